import { invalidArgument } from '../errors.js';
import type { Operation, RouteInput } from './operations.js';

// Routing of the resource pool operations (docs/qos.md "Resource pools"), which the API metadata does not publish
// as operations but the SDKs call (oss2's Service.list_resource_pools … delete_resource_pool_requester_qos_info):
//   GET    /?resourcePool                                          ListResourcePools
//   GET    /?resourcePoolInfo&resourcePool=<pool>                  GetResourcePoolInfo
//   GET    /?resourcePoolBuckets&resourcePool=<pool>               ListResourcePoolBuckets
//   PUT    /?requesterQosInfo&resourcePool=<pool>&qosRequester=    PutResourcePoolRequesterQoSInfo
//   GET    /?requesterQosInfo&resourcePool=<pool>&qosRequester=    GetResourcePoolRequesterQoSInfo
//   GET    /?requesterQosInfo&resourcePool=<pool>                  ListResourcePoolRequesterQoSInfos
//   DELETE /?requesterQosInfo&resourcePool=<pool>&qosRequester=    DeleteResourcePoolRequesterQoSInfo
// Account-level: authorized as the action of the same name (owner and policies only). Anything else naming these
// sub-resources (a bucket, another method, another sub-resource besides) is left to the refusals: 501.

/** Parameters a resource pool request may carry besides its sub-resources. */
const PLAIN = new Set(['max-keys', 'continuation-token']);
const OWN = new Set(['resourcePool', 'resourcePoolInfo', 'resourcePoolBuckets', 'requesterQosInfo', 'qosRequester']);

/** The resource pool operation a request names, or null. */
export function routeResourcePool(input: RouteInput, isSubresource: (key: string) => boolean): Operation | null {
  const { method, address, query } = input;
  if (address.bucket !== null || address.key !== null) return null;
  const info = query.has('resourcePoolInfo');
  const buckets = query.has('resourcePoolBuckets');
  const requester = query.has('requesterQosInfo');
  // Requester QoS on the service is the pool's (the bucket's is oss/qos-route.ts): without a pool, 400 below.
  if (!query.has('resourcePool') && !info && !buckets && !requester) return null;
  for (const k of query.keys()) {
    if (!OWN.has(k) && !PLAIN.has(k) && isSubresource(k)) return null;
  }
  if (Number(info) + Number(buckets) + Number(requester) > 1) return null;
  const op = (name: ResourcePoolOperationName): Operation =>
    ({ name, bucket: null, key: null, checks: [{ action: `oss:${name}`, bucket: null, key: null, acl: 'none' }] }) as Operation;
  if (!info && !buckets && !requester) {
    return method === 'GET' && !query.has('qosRequester') ? op('ListResourcePools') : null;
  }
  if (!requester) {
    if (method !== 'GET' || query.has('qosRequester')) return null;
    poolOf(query);
    return op(info ? 'GetResourcePoolInfo' : 'ListResourcePoolBuckets');
  }
  if (method === 'GET' && !query.has('qosRequester')) {
    poolOf(query);
    return op('ListResourcePoolRequesterQoSInfos');
  }
  const name = method === 'PUT' ? 'PutResourcePoolRequesterQoSInfo'
    : method === 'GET' ? 'GetResourcePoolRequesterQoSInfo'
      : method === 'DELETE' ? 'DeleteResourcePoolRequesterQoSInfo' : null;
  if (name === null) return null;
  const uid = query.get('qosRequester') ?? '';
  if (uid === '') throw invalidArgument('qosRequester (the requester\'s UID) is required.', 'qosRequester', uid);
  poolOf(query);
  return op(name);
}

export type ResourcePoolOperationName =
  | 'ListResourcePools' | 'GetResourcePoolInfo' | 'ListResourcePoolBuckets' | 'PutResourcePoolRequesterQoSInfo'
  | 'GetResourcePoolRequesterQoSInfo' | 'ListResourcePoolRequesterQoSInfos' | 'DeleteResourcePoolRequesterQoSInfo';

/** The pool a request names: `resourcePool=<name>`, required (the message is OSS's, oss2's async test reads it). */
export function poolOf(query: ReadonlyMap<string, string>): string {
  const pool = query.get('resourcePool') ?? '';
  if (pool === '') throw invalidArgument('Resource pool name is empty', 'resourcePool', '');
  return pool;
}
