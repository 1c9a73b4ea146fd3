import type { HandlerTable } from '../context.js';
import * as bucket from './bucket.js';
import * as accessRules from './access-rules.js';
import * as archive from './archive.js';
import * as encryption from './encryption.js';
import * as image from './image.js';
import * as lifecycle from './lifecycle.js';
import * as logging from './logging.js';
import * as mp from './multipart.js';
import * as object from './object.js';
import { postObject } from './post-object.js';
import * as retention from './retention.js';
import * as service from './service.js';
import { sealAppendObject } from './seal.js';
import * as select from './select.js';
import { unimplemented } from './unimplemented.js';
import * as website from './website.js';
import { storedHandlers } from '../stored/handlers.js';
import { deleteSingle } from '../stored/common.js';
import { getProcessConfiguration } from '../stored/process-configuration.js';
import { doMetaQuery } from './meta-query.js';
import * as qos from './qos.js';
import * as resourcePools from './resource-pools.js';
import * as callbackPolicy from './callback-policy.js';
import * as overwriteConfig from './overwrite-config.js';
import * as objectWorm from './object-worm.js';
import * as storageQuota from './storage-quota.js';
import * as metadataTable from './metadata-table.js';
import * as asyncFetch from './async-fetch.js';
import * as batchJobs from './batch-jobs.js';
import * as agentic from './agentic.js';

/** Operation name → handler. The compiler checks that every operation has exactly one. */
export const handlers: HandlerTable = {
  ListBuckets: service.listBuckets,
  ListUserRegions: service.listUserRegions,
  PutBucket: bucket.putBucket,
  DeleteBucket: bucket.deleteBucket,
  GetBucketInfo: bucket.getBucketInfo,
  GetBucketLocation: bucket.getBucketLocation,
  HeadBucket: bucket.headBucket,
  GetProcessConfiguration: getProcessConfiguration,
  // Unpublished Delete of the stored transfer acceleration configuration: GetBucketTransferAcceleration is 404 after it.
  DeleteBucketTransferAcceleration: deleteSingle('transfer-acceleration'),
  // Async fetch (docs/async-fetch.md).
  PutAsyncFetchTask: asyncFetch.putAsyncFetchTask,
  GetAsyncFetchTask: asyncFetch.getAsyncFetchTask,
  // QoS configurations (docs/qos.md).
  GetUserQoSInfo: qos.getUserQoSInfo,
  PutBucketQoSInfo: qos.putBucketQoSInfo,
  GetBucketQoSInfo: qos.getBucketQoSInfo,
  DeleteBucketQoSInfo: qos.deleteBucketQoSInfo,
  PutBucketRequesterQoSInfo: qos.putBucketRequesterQoSInfo,
  GetBucketRequesterQoSInfo: qos.getBucketRequesterQoSInfo,
  ListBucketRequesterQoSInfos: qos.listBucketRequesterQoSInfos,
  DeleteBucketRequesterQoSInfo: qos.deleteBucketRequesterQoSInfo,
  // Resource pools (docs/qos.md): none exist for an account here.
  ListResourcePools: resourcePools.listResourcePools,
  GetResourcePoolInfo: resourcePools.noSuchResourcePool,
  ListResourcePoolBuckets: resourcePools.noSuchResourcePool,
  PutResourcePoolRequesterQoSInfo: resourcePools.noSuchResourcePool,
  GetResourcePoolRequesterQoSInfo: resourcePools.noSuchResourcePool,
  ListResourcePoolRequesterQoSInfos: resourcePools.noSuchResourcePool,
  DeleteResourcePoolRequesterQoSInfo: resourcePools.noSuchResourcePool,
  // The bucket callback policy (docs/callbacks.md).
  PutBucketCallbackPolicy: callbackPolicy.putBucketCallbackPolicy,
  GetBucketCallbackPolicy: callbackPolicy.getBucketCallbackPolicy,
  DeleteBucketCallbackPolicy: callbackPolicy.deleteBucketCallbackPolicy,
  PutBucketOverwriteConfig: overwriteConfig.putBucketOverwriteConfig,
  GetBucketOverwriteConfig: overwriteConfig.getBucketOverwriteConfig,
  DeleteBucketOverwriteConfig: overwriteConfig.deleteBucketOverwriteConfig,
  // Object-level retention (docs/data-protection.md).
  PutBucketObjectWormConfiguration: objectWorm.putBucketObjectWormConfiguration,
  GetBucketObjectWormConfiguration: objectWorm.getBucketObjectWormConfiguration,
  PutObjectRetention: objectWorm.putObjectRetention,
  GetObjectRetention: objectWorm.getObjectRetention,
  PutObjectLegalHold: objectWorm.putObjectLegalHold,
  GetObjectLegalHold: objectWorm.getObjectLegalHold,
  PutBucketStorageQuota: storageQuota.putBucketStorageQuota,
  GetBucketStorageQuota: storageQuota.getBucketStorageQuota,
  DeleteBucketStorageQuota: storageQuota.deleteBucketStorageQuota,
  CreateBucketMetadataConfiguration: metadataTable.createBucketMetadataConfiguration,
  GetBucketMetadataConfiguration: metadataTable.getBucketMetadataConfiguration,
  DeleteBucketMetadataConfiguration: metadataTable.deleteBucketMetadataConfiguration,
  UpdateBucketMetadataInventoryTableConfiguration: metadataTable.updateBucketMetadataInventoryTableConfiguration,
  UpdateBucketMetadataJournalTableConfiguration: metadataTable.updateBucketMetadataJournalTableConfiguration,
  CreateJob: batchJobs.createJob,
  DescribeJob: batchJobs.describeJob,
  ListJobs: batchJobs.listJobs,
  UpdateJobPriority: batchJobs.updateJobPriority,
  UpdateJobStatus: batchJobs.updateJobStatus,
  // Agentic buckets (docs/agentic-buckets.md).
  CreateAgenticBucket: agentic.createAgenticBucket,
  GetAgenticBucket: agentic.getAgenticBucket,
  DeleteAgenticBucket: agentic.deleteAgenticBucket,
  ListAgenticBuckets: agentic.listAgenticBuckets,
  PutAgenticBucketStatus: agentic.putAgenticBucketStatus,
  ListBucketSpaces: agentic.listBucketSpaces,
  PutAgenticBucketAcl: agentic.putAgenticBucketAcl,
  GetAgenticBucketAcl: agentic.getAgenticBucketAcl,
  PutAgenticBucketEncryption: agentic.putAgenticBucketEncryption,
  GetAgenticBucketEncryption: agentic.getAgenticBucketEncryption,
  DeleteAgenticBucketEncryption: agentic.deleteAgenticBucketEncryption,
  PutAgenticBucketVersioning: agentic.putAgenticBucketVersioning,
  GetAgenticBucketVersioning: agentic.getAgenticBucketVersioning,
  PutAgenticBucketPolicy: agentic.putAgenticBucketPolicy,
  GetAgenticBucketPolicy: agentic.getAgenticBucketPolicy,
  DeleteAgenticBucketPolicy: agentic.deleteAgenticBucketPolicy,
  PutAgenticBucketPublicAccessBlock: agentic.putAgenticBucketPublicAccessBlock,
  GetAgenticBucketPublicAccessBlock: agentic.getAgenticBucketPublicAccessBlock,
  DeleteAgenticBucketPublicAccessBlock: agentic.deleteAgenticBucketPublicAccessBlock,
  PutAgenticBucketStorageQuota: agentic.putAgenticBucketStorageQuota,
  GetAgenticBucketStorageQuota: agentic.getAgenticBucketStorageQuota,
  DeleteAgenticBucketStorageQuota: agentic.deleteAgenticBucketStorageQuota,
  // The bucket's storage capacity (docs/storage-capacity.md).
  PutBucketStorageCapacity: qos.putBucketStorageCapacity,
  GetBucketStorageCapacity: qos.getBucketStorageCapacity,
  GetBucketAcl: bucket.getBucketAcl,
  PutBucketAcl: bucket.putBucketAcl,
  GetBucketPolicy: bucket.getBucketPolicy,
  PutBucketPolicy: bucket.putBucketPolicy,
  DeleteBucketPolicy: bucket.deleteBucketPolicy,
  GetBucketCors: bucket.getBucketCors,
  PutBucketCors: bucket.putBucketCors,
  DeleteBucketCors: bucket.deleteBucketCors,
  GetBucketEncryption: encryption.getBucketEncryption,
  PutBucketEncryption: encryption.putBucketEncryption,
  DeleteBucketEncryption: encryption.deleteBucketEncryption,
  PutBucketVersioning: bucket.putBucketVersioning,
  GetBucketVersioning: bucket.getBucketVersioning,
  ListObjectVersions: bucket.listObjectVersions,
  GetBucketLifecycle: lifecycle.getBucketLifecycle,
  PutBucketLifecycle: lifecycle.putBucketLifecycle,
  DeleteBucketLifecycle: lifecycle.deleteBucketLifecycle,
  ListObjects: bucket.listObjects,
  ListObjectsV2: bucket.listObjectsV2,
  ListMultipartUploads: bucket.listMultipartUploads,
  DeleteMultipleObjects: bucket.deleteMultipleObjects,
  PutObject: object.putObject,
  GetObject: object.getObject,
  HeadObject: object.headObject,
  GetObjectMeta: object.getObjectMeta,
  DeleteObject: object.deleteObject,
  CopyObject: object.copyObject,
  AppendObject: object.appendObject,
  GetObjectAcl: object.getObjectAcl,
  PutObjectAcl: object.putObjectAcl,
  PutSymlink: object.putSymlink,
  GetSymlink: object.getSymlink,
  GetObjectTagging: object.getObjectTagging,
  PutObjectTagging: object.putObjectTagging,
  DeleteObjectTagging: object.deleteObjectTagging,
  InitiateMultipartUpload: mp.initiateMultipartUpload,
  UploadPart: mp.uploadPart,
  UploadPartCopy: mp.uploadPartCopy,
  CompleteMultipartUpload: mp.completeMultipartUpload,
  AbortMultipartUpload: mp.abortMultipartUpload,
  ListParts: mp.listParts,
  InitiateBucketWorm: retention.initiateBucketWorm,
  AbortBucketWorm: retention.abortBucketWorm,
  CompleteBucketWorm: retention.completeBucketWorm,
  ExtendBucketWorm: retention.extendBucketWorm,
  GetBucketWorm: retention.getBucketWorm,
  RestoreObject: archive.restoreObject,
  CleanRestoredObject: archive.cleanRestoredObject,
  GetBucketStat: bucket.getBucketStat,
  PostObject: postObject,
  // Access rules (docs/access-rules.md)
  PutBucketReferer: accessRules.putBucketReferer,
  GetBucketReferer: accessRules.getBucketReferer,
  PutBucketPublicAccessBlock: accessRules.putBucketPublicAccessBlock,
  GetBucketPublicAccessBlock: accessRules.getBucketPublicAccessBlock,
  DeleteBucketPublicAccessBlock: accessRules.deleteBucketPublicAccessBlock,
  PutBucketRequestPayment: accessRules.putBucketRequestPayment,
  GetBucketRequestPayment: accessRules.getBucketRequestPayment,
  PutPublicAccessBlock: accessRules.putPublicAccessBlock,
  GetPublicAccessBlock: accessRules.getPublicAccessBlock,
  DeletePublicAccessBlock: accessRules.deletePublicAccessBlock,
  Unimplemented: unimplemented,
  // Static website hosting and access logging.
  PutBucketWebsite: website.putBucketWebsite,
  GetBucketWebsite: website.getBucketWebsite,
  DeleteBucketWebsite: website.deleteBucketWebsite,
  PutBucketLogging: logging.putBucketLogging,
  GetBucketLogging: logging.getBucketLogging,
  DeleteBucketLogging: logging.deleteBucketLogging,
  // Image processing and styles (docs/image-processing.md).
  PutStyle: image.putStyle,
  GetStyle: image.getStyle,
  ListStyle: image.listStyle,
  DeleteStyle: image.deleteStyle,
  ProcessObjectSave: image.processObjectSave,
  // Appendable objects (docs/traffic-limit-seal.md)
  SealAppendObject: sealAppendObject,
  // Stored bucket configurations (src/oss/stored/, generated schemas).
  ...storedHandlers,
  // Metadata query (docs/meta-query.md).
  DoMetaQuery: doMetaQuery,
  // SelectObject (docs/select.md).
  SelectObject: select.selectObject,
  CreateSelectObjectMeta: select.createSelectObjectMeta,
};
