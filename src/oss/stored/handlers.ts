import type { Handler } from '../context.js';
import { invalidArgument } from '../../errors.js';
import * as ap from './access-points.js';
import * as fc from './object-fc-access-points.js';
import * as antiDdos from './anti-ddos.js';
import * as dataLake from './data-lake.js';
import { DEFAULT_RESOURCE_GROUP } from './bucket-info.js';
import { asJson, bucketBeforeBody, bucketOf, deleteSingle, getSingle, putSingle, readDocument } from './common.js';
import { empty } from '../handlers/common.js';
import * as cname from './cname.js';
import { checkHttpsConfig } from './https-config.js';
import * as computed from './computed.js';
import * as inventory from './inventory.js';
import * as live from './live-channel.js';
import * as metaQuery from './meta-query.js';
import { checkProcessConfiguration, PROCESS_CONFIG } from './process-configuration.js';
import * as redundancy from './redundancy.js';
import * as replication from './replication.js';
import * as resourceGroup from './resource-group.js';
import { listOf, textOf, type Doc } from './schema.js';
import type { StoredOperationName } from './schemas.js';
import * as tags from './tags.js';
import * as vod from './vod.js';

// The table of every stored operation's handler (docs/stored-configurations.md): one-document configurations
// are built from the generic shapes of common.ts here; the collections live in their own modules.

/** Every stored operation's handler (the compiler checks the table is complete). */
export const storedHandlers: { readonly [N in StoredOperationName]: Handler } = {
  PutBucketTags: putSingle('PutBucketTags', {
    config: 'bucket-tags',
    bounds: { maxItems: { 'TagSet.Tag': tags.BUCKET_TAG_LIMITS.maxTags }, required: ['TagSet'], notXml: tags.notXmlTag },
    check: tags.checkTags,
  }),
  // No tags: a Tagging holding an empty TagSet. The api-docs say only that "the Tagging element is empty"; the
  // Java SDK reads `root.getChild("TagSet").getChildren("Tag")` (ResponseParsers.parseGetBucketTagging, a bare
  // <Tagging/> throws there) and its BucketTaggingTest reads the tags back after DeleteBucketTagging.
  GetBucketTags: getSingle('GetBucketTags', 'bucket-tags', { TagSet: {} }),
  DeleteBucketTags: tags.deleteBucketTags,
  PutBucketTransferAcceleration: putSingle('PutBucketTransferAcceleration', { config: 'transfer-acceleration', bounds: { required: ['Enabled'] } }),
  GetBucketTransferAcceleration: getSingle('GetBucketTransferAcceleration', 'transfer-acceleration', 'NoSuchTransferAccelerationConfiguration'),
  PutBucketHttpsConfig: putSingle('PutBucketHttpsConfig', {
    config: 'https-config',
    bounds: { required: ['TLS'], maxItems: { 'TLS.TLSVersion': 4, 'CipherSuite.CustomCipherSuite': 64, 'CipherSuite.TLS13CustomCipherSuite': 16 } },
    check: checkHttpsConfig,
  }),
  GetBucketHttpsConfig: getSingle('GetBucketHttpsConfig', 'https-config', { TLS: { Enable: 'false' } }),
  PutBucketArchiveDirectRead: putSingle('PutBucketArchiveDirectRead', { config: 'archive-direct-read', bounds: { required: ['Enabled'], malformedValues: ['Enabled'] } }),
  GetBucketArchiveDirectRead: getSingle('GetBucketArchiveDirectRead', 'archive-direct-read', { Enabled: 'false' }),
  PutUserDefinedLogFieldsConfig: putSingle('PutUserDefinedLogFieldsConfig', {
    config: 'user-defined-log-fields',
    bounds: { maxItems: { 'HeaderSet.header': 5, 'ParamSet.parameter': 5 }, maxLength: { 'HeaderSet.header': 128, 'ParamSet.parameter': 128 } },
  }),
  GetUserDefinedLogFieldsConfig: getSingle('GetUserDefinedLogFieldsConfig', 'user-defined-log-fields', 'NoSuchUserDefinedLogFieldsConfig'),
  DeleteUserDefinedLogFieldsConfig: deleteSingle('user-defined-log-fields'),
  PutBucketCommonHeader: putSingle('PutBucketCommonHeader', {
    config: 'common-header',
    bounds: { maxItems: { Header: 16 }, maxLength: { 'Header.Key': 128, 'Header.Value': 1024 }, required: ['Header.Key'] },
    check: (doc) => {
      for (const h of listOf(doc, 'Header')) {
        const key = textOf(h as Doc, 'Key') ?? '';
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw invalidArgument('Header Key must be an HTTP header name.', 'Key', key);
      }
    },
  }),
  DeleteBucketCommonHeader: deleteSingle('common-header'),
  PutBucketResourceGroup: resourceGroup.putBucketResourceGroup,
  // No group set: the default resource group, as GetBucketInfo shows it.
  GetBucketResourceGroup: getSingle('GetBucketResourceGroup', 'resource-group', { ResourceGroupId: DEFAULT_RESOURCE_GROUP }),
  // Access tracking has behaviour (lifecycle rules on the last access time, docs/lifecycle.md): its service decides.
  PutBucketAccessMonitor: async (req) => {
    const written = await bucketBeforeBody(req);
    const doc = await readDocument(req, 'PutBucketAccessMonitor', { required: ['Status'], malformedValues: ['Status'] });
    await req.services.accessMonitor.put(bucketOf(req), asJson(doc), written);
    return empty();
  },
  GetBucketAccessMonitor: getSingle('GetBucketAccessMonitor', 'access-monitor', { Status: 'Disabled' }),
  PutBucketHash: putSingle('PutBucketHash', { config: 'object-hash', bounds: { required: ['ObjectHashFunction'] } }),
  PutProcessConfiguration: putSingle('PutProcessConfiguration', { config: PROCESS_CONFIG, check: checkProcessConfiguration }),
  PutBucketReplication: replication.putBucketReplication,
  GetBucketReplication: replication.getBucketReplication,
  GetBucketReplicationLocation: replication.getBucketReplicationLocation,
  GetBucketReplicationProgress: replication.getBucketReplicationProgress,
  DeleteBucketReplication: replication.deleteBucketReplication,
  PutBucketRtc: replication.putBucketRtc,
  PutBucketInventory: inventory.putBucketInventory,
  GetBucketInventory: inventory.getBucketInventory,
  ListBucketInventory: inventory.listBucketInventory,
  DeleteBucketInventory: inventory.deleteBucketInventory,
  PutCname: cname.putCname,
  ListCname: cname.listCname,
  DeleteCname: cname.deleteCname,
  CreateCnameToken: cname.createCnameToken,
  GetCnameToken: cname.getCnameToken,
  GetBucketPolicyStatus: computed.getBucketPolicyStatus,
  DescribeRegions: computed.describeRegions,
  CreateAccessPoint: ap.createAccessPoint,
  GetAccessPoint: ap.getAccessPoint,
  ListAccessPoints: ap.listAccessPoints,
  DeleteAccessPoint: ap.deleteAccessPoint,
  PutAccessPointPolicy: ap.putAccessPointPolicy,
  GetAccessPointPolicy: ap.getAccessPointPolicy,
  DeleteAccessPointPolicy: ap.deleteAccessPointPolicy,
  CreateBucketDataRedundancyTransition: redundancy.createBucketDataRedundancyTransition,
  GetBucketDataRedundancyTransition: redundancy.getBucketDataRedundancyTransition,
  ListBucketDataRedundancyTransition: redundancy.listBucketDataRedundancyTransition,
  ListUserDataRedundancyTransition: redundancy.listUserDataRedundancyTransition,
  DeleteBucketDataRedundancyTransition: redundancy.deleteBucketDataRedundancyTransition,
  OpenMetaQuery: metaQuery.openMetaQuery,
  GetMetaQueryStatus: metaQuery.getMetaQueryStatus,
  CloseMetaQuery: metaQuery.closeMetaQuery,
  PutLiveChannel: live.putLiveChannel,
  ListLiveChannel: live.listLiveChannel,
  DeleteLiveChannel: live.deleteLiveChannel,
  PutLiveChannelStatus: live.putLiveChannelStatus,
  GetLiveChannelInfo: live.getLiveChannelInfo,
  GetLiveChannelHistory: live.getLiveChannelHistory,
  GetLiveChannelStat: live.getLiveChannelStat,
  // Access points' Block Public Access and Object FC access points (docs/access-points.md).
  PutAccessPointPublicAccessBlock: ap.putAccessPointPublicAccessBlock,
  GetAccessPointPublicAccessBlock: ap.getAccessPointPublicAccessBlock,
  DeleteAccessPointPublicAccessBlock: ap.deleteAccessPointPublicAccessBlock,
  CreateAccessPointForObjectProcess: fc.createAccessPointForObjectProcess,
  GetAccessPointForObjectProcess: fc.getAccessPointForObjectProcess,
  ListAccessPointsForObjectProcess: fc.listAccessPointsForObjectProcess,
  DeleteAccessPointForObjectProcess: fc.deleteAccessPointForObjectProcess,
  PutAccessPointConfigForObjectProcess: fc.putAccessPointConfigForObjectProcess,
  GetAccessPointConfigForObjectProcess: fc.getAccessPointConfigForObjectProcess,
  PutAccessPointPolicyForObjectProcess: fc.putAccessPointPolicyForObjectProcess,
  GetAccessPointPolicyForObjectProcess: fc.getAccessPointPolicyForObjectProcess,
  DeleteAccessPointPolicyForObjectProcess: fc.deleteAccessPointPolicyForObjectProcess,
  // Anti-DDoS records, the last small 501s and VOD playlists (docs/anti-ddos.md, docs/stored-configurations.md).
  InitUserAntiDDosInfo: antiDdos.initUserAntiDDosInfo,
  UpdateUserAntiDDosInfo: antiDdos.updateUserAntiDDosInfo,
  GetUserAntiDDosInfo: antiDdos.getUserAntiDDosInfo,
  InitBucketAntiDDosInfo: antiDdos.initBucketAntiDDosInfo,
  UpdateBucketAntiDDosInfo: antiDdos.updateBucketAntiDDosInfo,
  ListBucketAntiDDosInfo: antiDdos.listBucketAntiDDosInfo,
  // No operation sets event notifications: none is ever configured.
  GetBucketEventNotification: getSingle('GetBucketEventNotification', 'event-notification', {}),
  PutChannel: putSingle('PutChannel', {
    config: 'image-channel',
    bounds: { maxLength: { Default404Pic: 1024, StyleDelimiters: 16 } },
    check: (doc) => {
      const status = textOf(doc, 'Status');
      if (status !== undefined && status !== 'Enabled' && status !== 'Disabled') throw invalidArgument('Status must be Enabled or Disabled.', 'Status', status.slice(0, 32));
      const delimiters = textOf(doc, 'StyleDelimiters');
      if (delimiters !== undefined && !/^[-_/!]{1,4}$/.test(delimiters)) throw invalidArgument('StyleDelimiters may hold only -, _, / and !.', 'StyleDelimiters', delimiters);
    },
  }),
  PutDataLakeCachePrefetchJob: dataLake.putDataLakeCachePrefetchJob,
  StartDataLakeCachePrefetchJob: dataLake.startDataLakeCachePrefetchJob,
  ListDataLakeStorageTransferJob: dataLake.listDataLakeStorageTransferJob,
  GetVodPlaylist: vod.getVodPlaylist,
  PostVodPlaylist: vod.postVodPlaylist,
};

/**
 * Stored operations whose answer is computed or acted on (the coverage table's "implemented": the policy
 * status, the region list, bucket tags that filter ListBuckets); the others only store and return.
 */
export const ENFORCED_OPERATIONS: ReadonlySet<StoredOperationName> = new Set<StoredOperationName>([
  'GetBucketPolicyStatus', 'DescribeRegions', 'PutBucketTags', 'GetBucketTags', 'DeleteBucketTags',
  // The metadata index switch: DoMetaQuery answers only while it is open (docs/meta-query.md).
  'OpenMetaQuery', 'GetMetaQueryStatus', 'CloseMetaQuery',
  // Access points are served through their aliases, under their policies and Block Public Access.
  'CreateAccessPoint', 'GetAccessPoint', 'ListAccessPoints', 'DeleteAccessPoint', 'PutAccessPointPolicy', 'GetAccessPointPolicy',
  'DeleteAccessPointPolicy', 'PutAccessPointPublicAccessBlock', 'GetAccessPointPublicAccessBlock', 'DeleteAccessPointPublicAccessBlock',
  // VOD playlists are built from the channel's objects (and PostVodPlaylist writes one).
  'GetVodPlaylist', 'PostVodPlaylist',
  // CNAMEs: ownership proven, bound store-wide, requests to a bound domain routed to the bucket (docs/stored-configurations.md#cnames-implemented).
  'PutCname', 'ListCname', 'DeleteCname', 'CreateCnameToken', 'GetCnameToken',
  // Inventory configurations are acted on: the inventory worker writes their files (docs/inventory.md).
  'PutBucketInventory', 'GetBucketInventory', 'ListBucketInventory', 'DeleteBucketInventory',
  // Access tracking records reads and lifecycle rules on the last access time act on it (docs/lifecycle.md).
  'PutBucketAccessMonitor', 'GetBucketAccessMonitor',
  // Real-time access of Archive objects: a frozen Archive object of the bucket is read without a restore
  // (domain/archive-direct-read.ts, docs/data-protection.md).
  'PutBucketArchiveDirectRead', 'GetBucketArchiveDirectRead',
  // TLS versions and cipher suites: a request over TLS the bucket does not accept is refused (oss/bucket-tls.ts).
  'PutBucketHttpsConfig', 'GetBucketHttpsConfig',
  // User-defined log fields: written into the audit log line of each request on the bucket (audit/user-log-fields.ts).
  'PutUserDefinedLogFieldsConfig', 'GetUserDefinedLogFieldsConfig', 'DeleteUserDefinedLogFieldsConfig',
  // Replication rules to a bucket of this server's region are acted on: the replication worker copies (docs/replication.md).
  'PutBucketReplication', 'GetBucketReplication', 'DeleteBucketReplication', 'GetBucketReplicationProgress',
  // Data redundancy transitions are carried out: the worker moves a task to Finished and makes the bucket ZRS.
  'CreateBucketDataRedundancyTransition', 'GetBucketDataRedundancyTransition', 'ListBucketDataRedundancyTransition',
  'ListUserDataRedundancyTransition', 'DeleteBucketDataRedundancyTransition',
  // Common headers: added to the bucket's object reads (oss/common-headers.ts).
  'PutBucketCommonHeader', 'DeleteBucketCommonHeader',
  // Image access settings: style delimiters and source image protection act on object reads (oss/image-access.ts).
  'PutProcessConfiguration',
  // Transfer acceleration: the acceleration endpoints serve the bucket only while it is on (oss/accelerate-endpoint.ts).
  'PutBucketTransferAcceleration', 'GetBucketTransferAcceleration',
  // Resource groups: ListBuckets' x-oss-resource-group-id lists a group's buckets, GetBucketInfo names the group.
  'PutBucketResourceGroup', 'GetBucketResourceGroup',
  // Replication locations: computed from the regions this server knows (DescribeRegions' list); RTC reads enabling
  // until its rule has taken effect (the replication worker's first pass), enabled after.
  'GetBucketReplicationLocation', 'PutBucketRtc',
]);
