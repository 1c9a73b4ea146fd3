import { AppError, invalidArgument, isAppError } from '../../errors.js';
import { isValidBucketName } from '../../domain/names.js';
import type { BucketIncarnation } from '../../store/meta/types.js';
import { destinationBucketName, inventoryBase, INVENTORY_COLLECTION } from '../../domain/inventory-worker.js';
import type { Handler, OssRequest } from '../context.js';
import { empty, xmlResponse } from '../handlers/common.js';
import { child, renderNode, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond, responseSchema } from './common.js';
import type { SchemaNode } from './schemas.js';
import { xmlCarries } from '../../util/xml-chars.js';

// Inventory configurations by Id; the inventory worker writes their files (domain/inventory-worker.ts, docs/inventory.md).

/** OSS allows 1,000 inventories per bucket: one entry each of the bucket's INVENTORY_COLLECTION, written alone. */
const MAX_INVENTORIES = 1000;
const INVENTORY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A configuration as Get and List answer it: one put without a Filter has an empty one, `<Filter><Prefix></Prefix>`
 * (the .NET SDK's BucketInventoryConfigurationBasicTest reads `Filter.Prefix` as "" for it) [UNVERIFIED: inferred
 * from that test].
 */
function answered(config: Doc): Doc {
  return child(config, 'Filter') === undefined ? { ...config, Filter: { Prefix: '' } } : config;
}

/**
 * The Filter's StorageClass list in name order, as OSS answers it: oss2's test_bucket_inventory_filter puts
 * `Standard,IA` and reads back `IA,Standard`.
 */
function withSortedStorageClasses(doc: Doc): Doc {
  const filter = child(doc, 'Filter');
  const classes = filter === undefined ? undefined : textOf(filter, 'StorageClass');
  if (filter === undefined || classes === undefined) return doc;
  const sorted = classes.split(',').map((c) => c.trim()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',');
  return { ...doc, Filter: { ...filter, StorageClass: sorted } };
}

function inventoryIdOf(req: OssRequest): string {
  const id = req.query.get('inventoryId') ?? '';
  if (!INVENTORY_ID.test(id)) throw invalidArgument('inventoryId must be 1 to 64 letters, digits, - or _.', 'inventoryId', id.slice(0, 80));
  return id;
}

/**
 * The destination must be a bucket of the source bucket's owner. OSS refuses any other with 400 InvalidArgument
 * (EC 0020-00000032: no bucket name; 0020-00000033: no bucket of this account), as the C++ SDK's
 * BucketInventoryConfigurationNegativeTest expects of `not-exist-bucket`; it was 404 NoSuchBucket from the
 * destination's authorization. One answer whether another account has the bucket or nobody does.
 */
async function checkDestination(req: OssRequest, name: string, source: BucketIncarnation): Promise<void> {
  const refuse = (ec: string): never => {
    throw invalidArgument('The destination bucket of the inventory does not exist in your account.', 'Bucket', name.slice(0, 64), ec);
  };
  if (!isValidBucketName(name)) refuse('0020-00000032');
  const target = await Promise.resolve(req.services.buckets.get(name)).catch((err: unknown) => {
    if (isAppError(err) && err.code === 'NoSuchBucket') return null;
    throw err;
  });
  if (target === null || target.ownerAccountId !== source.ownerAccountId) refuse('0020-00000033');
}

export const putBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutBucketInventory', {
    required: ['Id', 'IsEnabled', 'Destination', 'Destination.OSSBucketDestination', 'Destination.OSSBucketDestination.Format',
      'Destination.OSSBucketDestination.AccountId', 'Destination.OSSBucketDestination.RoleArn', 'Destination.OSSBucketDestination.Bucket',
      'Schedule', 'Schedule.Frequency', 'IncludedObjectVersions'],
    // Incremental inventories are not made here: OSS's answer to an account without them (the Java SDK v2's
    // testBucketInventoryOperationsWithIncremental accepts it).
    unsupported: { IncrementalInventory: () => new AppError('AccessDenied', 'Incremental Inventory is disabled.') },
  });
  if (textOf(doc, 'Id') !== id) throw invalidArgument('The Id in the body must equal the inventoryId parameter.', 'Id', textOf(doc, 'Id') ?? '');
  const freq = textOf(child(doc, 'Schedule')!, 'Frequency');
  if (freq !== 'Daily' && freq !== 'Weekly') throw invalidArgument('Schedule Frequency must be Daily or Weekly.', 'Frequency', freq ?? '');
  const versions = textOf(doc, 'IncludedObjectVersions');
  if (versions !== 'All' && versions !== 'Current') throw invalidArgument('IncludedObjectVersions must be All or Current.', 'IncludedObjectVersions', versions ?? '');
  // The inventory worker writes the files for this configuration (docs/inventory.md): whoever configures it must
  // be allowed to write them, so no one gets writes into a bucket of the account they could not make themselves.
  const dest = child(child(doc, 'Destination')!, 'OSSBucketDestination')!;
  const destBucket = destinationBucketName(textOf(dest, 'Bucket') ?? '');
  const destPrefix = textOf(dest, 'Prefix') ?? '';
  await checkDestination(req, destBucket, written);
  // The files list the source bucket, so the caller must also be allowed to list it (all versions: ListObjectVersions).
  await req.authorize([
    { action: 'oss:PutObject', bucket: destBucket, key: `${inventoryBase(destPrefix, bucketOf(req), id)}/`, acl: 'write' },
    { action: 'oss:ListObjects', bucket: bucketOf(req), key: null, acl: 'read' },
    ...(versions === 'All' ? [{ action: 'oss:ListObjectVersions', bucket: bucketOf(req), key: null, acl: 'read' } as const] : []),
  ]);
  const stored = withSortedStorageClasses(doc);
  await req.services.stored.updateEntry(bucketOf(req), INVENTORY_COLLECTION, id, (current, count) => {
    if (current !== null) throw new AppError('InventoryAlreadyExist', `An inventory with Id ${id} already exists.`);
    if (count >= MAX_INVENTORIES) throw new AppError('TooManyInventory', `A bucket may have at most ${MAX_INVENTORIES} inventories.`);
    return asJson(stored);
  }, false, written);
  return empty();
};

export const getBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  const found = asDoc(await req.services.stored.entry(bucketOf(req), INVENTORY_COLLECTION, id));
  if (found === null) throw new AppError('NoSuchInventory', undefined, { InventoryId: id });
  return respond('GetBucketInventory', answered(found));
};

const LIST_PAGE = 100;

/**
 * ListBucketInventory's answer: the published shape plus `ContinuationToken`, the token the request sent, which
 * the metadata leaves out but OSS writes (the Java SDK's BucketInventoryTest.testListLotInventoryConfiguration and
 * oss2's test_list_lot_bucket_inventory read it back on the second page).
 */
const LIST_SCHEMA: { root: string; node: SchemaNode } = (() => {
  const { root, node } = responseSchema('ListBucketInventory');
  if (node.t !== 'o') throw new Error('ListBucketInventory: the response is not an element');
  const at = node.p.findIndex(([name]) => name === 'IsTruncated');
  const p = [...node.p.slice(0, at), ['ContinuationToken', { t: 's' }, ''] as const, ...node.p.slice(at)];
  return { root, node: { t: 'o', p } };
})();

export const listBucketInventory: Handler = async (req) => {
  const after = req.query.get('continuation-token') ?? '';
  // One entry more than the page says whether the list is truncated.
  const rest = (await req.services.stored.entries(bucketOf(req), INVENTORY_COLLECTION, { prefix: '', after, limit: LIST_PAGE + 1 })).map((e) => asDoc(e.value)!);
  const page = rest.slice(0, LIST_PAGE);
  // A bucket without any inventory: 404 NoSuchInventory, as the Java SDK's testListNoneInventoryConfiguration and
  // oss2's test_list_none_inventory expect (a later page that comes out empty is an empty list).
  if (page.length === 0 && after === '') throw new AppError('NoSuchInventory');
  const truncated = rest.length > page.length;
  const doc: Doc = { InventoryConfiguration: page.map(answered), IsTruncated: String(truncated) };
  // Echoed when one was sent (and an XML answer can carry it); none for the first page (oss2 reads None then).
  if (after !== '' && xmlCarries(after)) doc.ContinuationToken = after.slice(0, 1024);
  if (truncated) doc.NextContinuationToken = textOf(page[page.length - 1]!, 'Id')!;
  return xmlResponse(renderNode(LIST_SCHEMA.root, LIST_SCHEMA.node, doc)!);
};

export const deleteBucketInventory: Handler = async (req) => {
  const id = inventoryIdOf(req);
  await req.services.stored.updateEntry(bucketOf(req), INVENTORY_COLLECTION, id, () => null, true);
  return empty(204);
};
