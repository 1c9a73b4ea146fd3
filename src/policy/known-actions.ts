/**
 * What a policy can name: every action of the services Alunite serves (OSS, RAM, STS) and the KMS actions its
 * SSE-KMS checks use, the resource types
 * each acts on, and the condition keys of each service. Facts for `policy validate`'s warnings only: the
 * engine itself matches whatever a policy says (RAM accepts unknown actions too, spec ram-sts §1.3, §8).
 */
import { CATALOG, type CatalogScope } from '../oss/catalog.js';
import { IMS_ACTION_RESOURCES, RAM_ACTION_NAMES } from '../ram/actions.js';
import { STS_ACTION_RESOURCES } from '../sts/actions.js';
import { PUBLISHED_ACTIONS, type RamResourceKind } from './published-actions.js';

/** The shape of a request ARN an action is authorized on (see arn.ts and ram/arn.ts). */
export type ResourceType =
  | { readonly service: 'oss'; readonly kind: CatalogScope | 'accesspoint' }
  | { readonly service: 'ram'; readonly kind: RamResourceKind | 'request' | 'any' }
  | { readonly service: 'kms'; readonly kind: 'key' };

export type KnownService = 'oss' | 'ram' | 'sts' | 'kms';

/**
 * OSS operations authorized as another operation's action (spec ram-sts §3: "there is no oss:HeadObject,
 * oss:CopyObject, oss:UploadPart action"; the bucket tag operations are the `…BucketTagging` actions).
 * `null`: no authorization at all (the CORS preflight).
 */
const OSS_ACTION_OF_OPERATION: Readonly<Record<string, string | null>> = {
  HeadObject: 'GetObject',
  GetObjectMeta: 'GetObject',
  GetSymlink: 'GetObject',
  SelectObject: 'GetObject',
  CreateSelectObjectMeta: 'PutObject', // write permission on the object (docs/select.md)
  PutSymlink: 'PutObject',
  AppendObject: 'PutObject',
  InitiateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  CopyObject: 'PutObject',
  UploadPartCopy: 'PutObject',
  ListObjectsV2: 'ListObjects',
  PutBucketTags: 'PutBucketTagging',
  GetBucketTags: 'GetBucketTagging',
  DeleteBucketTags: 'DeleteBucketTagging',
  OptionObject: null,
};

/** OSS actions that are no operation's name: versioned variants (spec §3) and ListBuckets' older name. */
const OSS_EXTRA_ACTIONS: ReadonlyArray<readonly [string, CatalogScope]> = [
  ['GetObjectVersion', 'object'],
  ['DeleteObjectVersion', 'object'],
  ['GetObjectVersionAcl', 'object'],
  ['PutObjectVersionAcl', 'object'],
  ['GetObjectVersionTagging', 'object'],
  ['PutObjectVersionTagging', 'object'],
  ['DeleteObjectVersionTagging', 'object'],
  ['RestoreObjectVersion', 'object'],
  ['PostProcessTask', 'object'],
  // GET ?processConfiguration (the Java SDK's getBucketProcess), the unpublished Get of PutProcessConfiguration.
  ['GetProcessConfiguration', 'bucket'],
  // DELETE ?transferAcceleration (Go SDK V1 DeleteBucketTransferAcc, Java deleteBucketTransferAcceleration).
  ['DeleteBucketTransferAcceleration', 'bucket'],
  ['GetService', 'service'],
  // GET /?userRegion (the Java SDK's listUserRegions), unpublished [UNVERIFIED: the action's name].
  ['ListUserRegions', 'service'],
  // The QoS operations (docs/qos.md), which the metadata does not publish; actions as the API reference names them.
  ['GetUserQoSInfo', 'service'],
  ['PutBucketQoSInfo', 'bucket'],
  ['GetBucketQoSInfo', 'bucket'],
  ['DeleteBucketQoSInfo', 'bucket'],
  ['PutBucketRequesterQoSInfo', 'bucket'],
  ['GetBucketRequesterQoSInfo', 'bucket'],
  ['ListBucketRequesterQoSInfo', 'bucket'],
  ['DeleteBucketRequesterQoSInfo', 'bucket'],
  // The resource pool operations (docs/qos.md), unpublished likewise; actions as the operations are named [UNVERIFIED].
  ['ListResourcePools', 'service'],
  ['GetResourcePoolInfo', 'service'],
  ['ListResourcePoolBuckets', 'service'],
  ['PutResourcePoolRequesterQoSInfo', 'service'],
  ['GetResourcePoolRequesterQoSInfo', 'service'],
  ['ListResourcePoolRequesterQoSInfos', 'service'],
  ['DeleteResourcePoolRequesterQoSInfo', 'service'],
  // The bucket's storage capacity (`?qos`, docs/storage-capacity.md), unpublished likewise [UNVERIFIED: the names].
  ['PutBucketStorageCapacity', 'bucket'],
  ['GetBucketStorageCapacity', 'bucket'],
  // Async fetch (docs/async-fetch.md), unpublished likewise; the Put also needs oss:PutObject on its object.
  ['PutAsyncFetchTask', 'bucket'],
  ['GetAsyncFetchTask', 'bucket'],
  // The bucket callback policy (`?policy&comp=callback`, the PHP, Java and Python SDKs'; oss/handlers/callback-policy.ts).
  ['PutBucketCallbackPolicy', 'bucket'],
  ['GetBucketCallbackPolicy', 'bucket'],
  ['DeleteBucketCallbackPolicy', 'bucket'],
  // The bucket's overwrite configuration and storage quota (`?overwriteConfig`, `?quota`: oss/handlers/
  // overwrite-config.ts, storage-quota.ts), not in the metadata [UNVERIFIED: the quota's action names].
  ['PutBucketOverwriteConfig', 'bucket'],
  ['GetBucketOverwriteConfig', 'bucket'],
  ['DeleteBucketOverwriteConfig', 'bucket'],
  ['PutBucketStorageQuota', 'bucket'],
  ['GetBucketStorageQuota', 'bucket'],
  ['DeleteBucketStorageQuota', 'bucket'],
  // The bucket's metadata tables (oss/handlers/metadata-table.ts) [UNVERIFIED: the action names].
  ['CreateBucketMetadataConfiguration', 'bucket'],
  ['GetBucketMetadataConfiguration', 'bucket'],
  ['DeleteBucketMetadataConfiguration', 'bucket'],
  ['UpdateBucketMetadataInventoryTableConfiguration', 'bucket'],
  ['UpdateBucketMetadataJournalTableConfiguration', 'bucket'],
  // Object-level retention (oss/handlers/object-worm.ts): OSS's pages name oss:PutObjectRetention and its siblings.
  ['PutBucketObjectWormConfiguration', 'bucket'],
  ['GetBucketObjectWormConfiguration', 'bucket'],
  ['PutObjectRetention', 'object'],
  ['GetObjectRetention', 'object'],
  ['PutObjectLegalHold', 'object'],
  ['GetObjectLegalHold', 'object'],
  // Lifting a GOVERNANCE retention (x-oss-bypass-governance-retention on PutObjectRetention and deletes): S3's
  // s3:BypassGovernanceRetention under OSS's prefix [UNVERIFIED: OSS's pages name no action for it].
  ['BypassGovernanceRetention', 'object'],
  // Batch Operations (oss/handlers/batch-jobs.ts), on the account: OSS's pages name these actions.
  ['CreateJob', 'service'],
  ['DescribeJob', 'service'],
  ['ListJobs', 'service'],
  ['UpdateJobPriority', 'service'],
  ['UpdateJobStatus', 'service'],
  // Agentic buckets (oss/handlers/agentic.ts) take the general bucket's actions on `agenticbucket/<name>`; these two
  // have no general counterpart [UNVERIFIED: the names].
  ['PutAgenticBucketStatus', 'bucket'],
  ['ListBucketSpaces', 'bucket'],
];

function ossActions(): Map<string, ResourceType[]> {
  const out = new Map<string, ResourceType[]>();
  const add = (action: string, type: ResourceType): void => {
    const list = out.get(action) ?? [];
    if (!list.some((t) => t.kind === type.kind)) list.push(type);
    out.set(action, list);
  };
  for (const op of CATALOG) {
    const action = op.name in OSS_ACTION_OF_OPERATION ? OSS_ACTION_OF_OPERATION[op.name] : op.name;
    if (action === null || action === undefined) continue;
    add(action, { service: 'oss', kind: op.scope });
    // Access point operations address `accesspoint/<name>` as well as the bucket.
    if (/AccessPoint/.test(op.name) && op.scope === 'bucket') add(action, { service: 'oss', kind: 'accesspoint' });
  }
  for (const [action, scope] of OSS_EXTRA_ACTIONS) add(action, { service: 'oss', kind: scope });
  return out;
}

function ramActions(): Map<string, ResourceType[]> {
  const out = new Map<string, ResourceType[]>();
  for (const [name, kinds] of Object.entries(PUBLISHED_ACTIONS.ram)) {
    out.set(name, kinds.length === 0 ? [{ service: 'ram', kind: 'any' }] : kinds.map((kind) => ({ service: 'ram', kind })));
  }
  // Alunite's extensions (ram/actions.ts) that are not published RAM operations.
  for (const name of RAM_ACTION_NAMES) if (!out.has(name)) out.set(name, [{ service: 'ram', kind: 'any' }]);
  out.set('SimulatePrincipalPolicy', [{ service: 'ram', kind: 'user' }, { service: 'ram', kind: 'role' }]);
  // federation: the IMS identity-provider actions, authorized as ram:<Action> on the provider ARN.
  for (const name of Object.keys(IMS_ACTION_RESOURCES)) out.set(name, [{ service: 'ram', kind: name.includes('OIDC') ? 'oidc-provider' : 'saml-provider' }]);
  out.set('ExplainRequest', [{ service: 'ram', kind: 'request' }]);
  return out;
}

function stsActions(): Map<string, ResourceType[]> {
  const out = new Map<string, ResourceType[]>();
  const names = new Set([...Object.keys(PUBLISHED_ACTIONS.sts), ...Object.keys(STS_ACTION_RESOURCES)]);
  for (const name of names) {
    const kinds = PUBLISHED_ACTIONS.sts[name] ?? [];
    // GetCallerIdentity has no resource (it is never denied): any resource may be named with it.
    out.set(name, kinds.length === 0 ? [{ service: 'ram', kind: 'any' }] : kinds.map((kind) => ({ service: 'ram', kind })));
  }
  return out;
}

/**
 * The KMS actions a request here is checked for: using an SSE-KMS key (authz/authorize.ts, docs/encryption.md).
 * KMS itself is not served; other kms: actions name nothing a request here asks for.
 */
function kmsActions(): Map<string, ResourceType[]> {
  return new Map(['GenerateDataKey', 'Decrypt'].map((name) => [name, [{ service: 'kms', kind: 'key' }]]));
}

let tables: Record<KnownService, Map<string, ResourceType[]>> | undefined;

/** Action name (without the service) → the resource types it acts on, per service. */
export function knownActions(): Readonly<Record<KnownService, ReadonlyMap<string, readonly ResourceType[]>>> {
  tables ??= { oss: ossActions(), ram: ramActions(), sts: stsActions(), kms: kmsActions() };
  return tables;
}

/** The action an OSS operation (any case) is authorized as, when it is another name (`HeadObject` → `GetObject`). */
export function ossActionOfOperation(name: string): { operation: string; action: string | null } | undefined {
  const operation = Object.keys(OSS_ACTION_OF_OPERATION).find((op) => op.toLowerCase() === name.toLowerCase());
  return operation === undefined ? undefined : { operation, action: OSS_ACTION_OF_OPERATION[operation] as string | null };
}

/**
 * Condition keys by prefix, lower-cased (keys match case-insensitively), for the prefixes whose list is
 * documented (spec ram-sts §1.7). A trailing `/` is a family (`oss:BucketTag/<tag key>`).
 */
export const KNOWN_CONDITION_KEYS: Readonly<Record<string, readonly string[]>> = {
  acs: ['acs:sourceip', 'acs:sourcevpc', 'acs:securetransport', 'acs:currenttime', 'acs:useragent', 'acs:referer', 'acs:mfapresent', 'acs:accessid', 'acs:resourcetag/', 'acs:principalaccount'],
  oss: [
    'oss:prefix', 'oss:delimiter', 'oss:x-oss-acl', 'oss:x-oss-object-acl', 'oss:buckettag/', 'oss:existingobjecttag/', 'oss:requestobjecttag/',
    'oss:object-remaining-retention-days', 'oss:dataaccesspointarn', 'oss:accesspointnetworkorigin', 'oss:dataaccesspointaccount',
  ],
  sts: ['sts:externalid', 'sts:rolesessionname'],
};

/** Whether `key` is a documented condition key; undefined when the prefix's list is not known. */
export function isKnownConditionKey(key: string): boolean | undefined {
  const lower = key.toLowerCase();
  const list = KNOWN_CONDITION_KEYS[lower.slice(0, lower.indexOf(':'))];
  if (list === undefined) return undefined;
  return list.some((k) => (k.endsWith('/') ? lower.startsWith(k) && lower.length > k.length : lower === k));
}

/**
 * The actions oss:ExistingObjectTag applies to: reads of the object (GetObject, HeadObject, GetObjectMeta,
 * GetSymlink, SelectObject, a copy's source: all oss:GetObject) and the object-tagging operations (the OSS
 * RAM-policy reference: "operations used to read objects, such as GetObject and HeadObject, and operations
 * related to object tags, such as PutObjectTagging and GetObjectTagging"), with their Version twins.
 */
export const EXISTING_OBJECT_TAG_ACTIONS: ReadonlySet<string> = new Set([
  'oss:getobject', 'oss:getobjectversion',
  'oss:getobjecttagging', 'oss:getobjectversiontagging',
  'oss:putobjecttagging', 'oss:putobjectversiontagging',
  'oss:deleteobjecttagging', 'oss:deleteobjectversiontagging',
]);
