import { bucketSubresourceRoute } from './bucket-route.js';
import type { Operation, RouteInput } from './operations.js';

// Routing of async fetch (docs/async-fetch.md), which the API metadata does not publish as operations but the SDKs
// call (the Go SDK v1's SetBucketAsyncTask / GetBucketAsyncTask, the Java SDK's setAsyncFetchTask /
// getAsyncFetchTask, oss2's put_async_fetch_task / get_async_fetch_task, ali-oss's asyncFetch / getAsyncFetch):
//   POST /<bucket>/?asyncFetch                         PutAsyncFetchTask  (body <AsyncFetchTaskConfiguration>)
//   GET  /<bucket>/?asyncFetch   x-oss-task-id: <id>   GetAsyncFetchTask
// Each is authorized as the action the API reference names (oss:PutAsyncFetchTask, oss:GetAsyncFetchTask; owner
// and policies only, never an ACL); the Put also needs oss:PutObject on the object it names, checked by its handler
// once the body is read. Anything else naming `asyncFetch` (an object, another method, another sub-resource
// besides) is left to the refusals: 501 as before.

/** The async fetch operation a request names, or null. `isSubresource` tells the other sub-resources. */
export function routeAsyncFetch(input: RouteInput, isSubresource: (key: string) => boolean): Operation | null {
  return bucketSubresourceRoute(input, 'asyncFetch', isSubresource, { POST: 'PutAsyncFetchTask', GET: 'GetAsyncFetchTask' });
}
