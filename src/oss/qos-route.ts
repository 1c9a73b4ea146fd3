import { REQUESTER_PATTERN } from '../domain/qos.js';
import { bucketSubresourceRoute, onBucket } from './bucket-route.js';
import type { Operation, RouteInput } from './operations.js';
import { invalidArgument } from '../errors.js';

// Routing of the QoS operations (docs/qos.md), which the API metadata does not publish as operations but the SDKs
// call (the Go SDK v1's GetUserQoSInfo / SetBucketQoSInfo / GetBucketQosInfo / DeleteBucketQosInfo, the Java SDK's
// getUserQosInfo / setBucketQosInfo / …, and the API reference's requester QoS operations):
//   GET    /?qosInfo                                   GetUserQoSInfo
//   PUT    /<bucket>/?qosInfo                          PutBucketQoSInfo
//   GET    /<bucket>/?qosInfo                          GetBucketQoSInfo
//   DELETE /<bucket>/?qosInfo                          DeleteBucketQoSInfo
//   PUT    /<bucket>/?requesterQosInfo&qosRequester=   PutBucketRequesterQoSInfo
//   GET    /<bucket>/?requesterQosInfo&qosRequester=   GetBucketRequesterQoSInfo
//   GET    /<bucket>/?requesterQosInfo                 ListBucketRequesterQoSInfos (max-keys, continuation-token)
//   DELETE /<bucket>/?requesterQosInfo&qosRequester=   DeleteBucketRequesterQoSInfo
//   PUT    /<bucket>/?qos                              PutBucketStorageCapacity (docs/storage-capacity.md)
//   GET    /<bucket>/?qos                              GetBucketStorageCapacity
// Each is authorized as the action the API reference names (owner and policies only, never an ACL). Anything else
// naming these sub-resources (an object, another method, another sub-resource besides, the resource pool
// operations) is left to the refusals: 501 as before.

/** Parameters a QoS request may carry besides its sub-resources. */
const PLAIN = new Set(['max-keys', 'continuation-token']);
const OWN = new Set(['qosInfo', 'requesterQosInfo', 'qosRequester']);

/**
 * The QoS operation a request names, or null. `isSubresource` tells the other sub-resources (published or not):
 * a request naming one of them besides is not a QoS request.
 */
export function routeQos(input: RouteInput, isSubresource: (key: string) => boolean): Operation | null {
  const { method, address, query } = input;
  const { bucket, key } = address;
  if (query.has('qos')) return routeStorageCapacity(input, isSubresource);
  const bucketQos = query.has('qosInfo');
  const requesterQos = query.has('requesterQosInfo');
  if (bucketQos === requesterQos || key !== null) return null;
  for (const k of query.keys()) {
    if (!OWN.has(k) && !PLAIN.has(k) && isSubresource(k)) return null;
  }
  if (bucket === null) {
    if (!bucketQos || method !== 'GET' || query.has('qosRequester')) return null;
    return { name: 'GetUserQoSInfo', bucket: null, key: null, checks: [{ action: 'oss:GetUserQoSInfo', bucket: null, key: null, acl: 'none' }] };
  }
  const on = (action: string) => onBucket(bucket, action);
  if (bucketQos) {
    if (query.has('qosRequester')) return null;
    if (method === 'PUT') return { name: 'PutBucketQoSInfo', ...on('oss:PutBucketQoSInfo') };
    if (method === 'GET') return { name: 'GetBucketQoSInfo', ...on('oss:GetBucketQoSInfo') };
    if (method === 'DELETE') return { name: 'DeleteBucketQoSInfo', ...on('oss:DeleteBucketQoSInfo') };
    return null;
  }
  if (method === 'GET' && !query.has('qosRequester')) {
    // The API reference names the action oss:ListBucketRequesterQoSInfo (ossutil's page: …Infos) [UNVERIFIED which].
    return { name: 'ListBucketRequesterQoSInfos', ...on('oss:ListBucketRequesterQoSInfo') };
  }
  if (method !== 'PUT' && method !== 'GET' && method !== 'DELETE') return null;
  const requester = requesterOf(query.get('qosRequester'));
  if (method === 'PUT') return { name: 'PutBucketRequesterQoSInfo', ...on('oss:PutBucketRequesterQoSInfo'), params: { requester } };
  if (method === 'GET') return { name: 'GetBucketRequesterQoSInfo', ...on('oss:GetBucketRequesterQoSInfo'), params: { requester } };
  return { name: 'DeleteBucketRequesterQoSInfo', ...on('oss:DeleteBucketRequesterQoSInfo'), params: { requester } };
}

/** A requester as `qosRequester` names one: an account UID (REQUESTER_PATTERN). */
function requesterOf(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw invalidArgument('qosRequester (the requester\'s UID) is required.', 'qosRequester', raw ?? '');
  if (!REQUESTER_PATTERN.test(raw)) throw invalidArgument('qosRequester must be a UID.', 'qosRequester', raw.slice(0, 64));
  return raw;
}

/**
 * The bucket's storage capacity (`?qos`, <BucketUserQos>): the PHP, C#, Java v1 and oss2 SDKs' Put/GetBucketStorageCapacity
 * (the Go SDK v1's SetBucketQoSInfo is `?qosInfo`, above). Actions as the SDKs name the calls: no RAM page in the
 * docs names them [UNVERIFIED].
 */
function routeStorageCapacity(input: RouteInput, isSubresource: (key: string) => boolean): Operation | null {
  return bucketSubresourceRoute(input, 'qos', isSubresource, { PUT: 'PutBucketStorageCapacity', GET: 'GetBucketStorageCapacity' });
}
