import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATALOG, type CatalogOperation } from './catalog.js';
import { agenticOperations, IMPLEMENTED_OPERATIONS, UNIMPLEMENTED_PARAMS, UNPUBLISHED_SUBRESOURCES, unpublishedConfigOperations } from './operations.js';
import { ENFORCED_OPERATIONS } from './stored/handlers.js';
import { STORED_SCHEMAS } from './stored/schemas.js';

/**
 * The operation coverage section of docs/compatibility.md, generated from the published metadata
 * (src/oss/catalog.ts) and the routing table; test/oss-catalog.test.ts keeps the document equal to it.
 * Rewrite it with `node dist/src/oss/coverage.js --write docs/compatibility.md` after a build.
 */
export const BEGIN = '<!-- BEGIN generated: node dist/src/oss/coverage.js --write docs/compatibility.md -->';
export const END = '<!-- END generated -->';

function requestOf(op: CatalogOperation): string {
  const path = op.scope === 'service' ? '/' : op.scope === 'bucket' ? '/<bucket>/' : op.name.includes('Vod') || op.name.includes('LiveChannel') ? '/<bucket>/<channel>' : '/<bucket>/<key>';
  const query = [...op.subresources.map(([k, v]) => (v === '' ? k : `${k}=${v}`)), ...op.requiredQuery.map((q) => `${q}=…`)];
  const headers = op.requiredHeaders.length > 0 ? ` + ${op.requiredHeaders.map((h) => `\`${h}\``).join(', ')}` : '';
  return `\`${op.method} ${path}${query.length > 0 ? `?${query.join('&')}` : ''}\`${headers}`;
}

/** The three states of an operation: its effect enforced, its configuration only kept, or 501. */
export type CoverageState = 'implemented' | 'stored and returned only' | '501 `NotImplemented`';

export function stateOf(name: string): CoverageState {
  if (!IMPLEMENTED_OPERATIONS.has(name)) return '501 `NotImplemented`';
  const stored = Object.hasOwn(STORED_SCHEMAS, name) && !ENFORCED_OPERATIONS.has(name as keyof typeof STORED_SCHEMAS);
  return stored ? 'stored and returned only' : 'implemented';
}

export function coverageSection(): string {
  const implemented = CATALOG.filter((op) => IMPLEMENTED_OPERATIONS.has(op.name)).length;
  const storedOnly = CATALOG.filter((op) => stateOf(op.name) === 'stored and returned only').length;
  const rows = CATALOG.map((op) => `| ${op.name} | ${requestOf(op)} | ${stateOf(op.name)} |`);
  const params = [...new Set(UNIMPLEMENTED_PARAMS.keys())].map((p) => `\`${p}\``).join(', ');
  const configs = unpublishedConfigOperations();
  const agentic = agenticOperations().map((o) => `${o.name} (\`${o.method} /${o.name === 'ListAgenticBuckets' ? '' : '<agentic bucket>/'}?agenticBucket${o.sub === null ? '' : `&${o.sub}`}\`)`);
  return [
    BEGIN,
    `${CATALOG.length} published operations: ${implemented - storedOnly} implemented and enforced, ${storedOnly} stored and returned only`,
    `(the configuration is validated, kept and given back, but nothing acts on it: [stored-configurations.md](stored-configurations.md)),`,
    `${CATALOG.length - implemented} answered with 501 \`NotImplemented\``,
    '(after authentication and authorization as `oss:<Operation>`). The request column is the metadata\'s path and',
    'required query parameters and headers; a required header only tells apart operations that share a path.',
    '',
    '| Operation | Request | Alunite |',
    '|---|---|---|',
    ...rows,
    '',
    `Also 501 \`NotImplemented\`: ${params === '' ? '' : `the parameters ${params} on any operation that takes them, and `}these`,
    `sub-resources, which the metadata does not publish as operations: ${[...UNPUBLISHED_SUBRESOURCES].map((s) => `\`${s}\``).join(', ')}.`,
    // Image processing (docs/image-processing.md) and SelectObject (docs/select.md) are the uses of x-oss-process implemented.
    '`x-oss-process` is implemented for image processing: `GET /<bucket>/<key>?x-oss-process=image/…|style/…` and',
    'the save-as `POST /<bucket>/<key>?x-oss-process` ([image-processing.md](image-processing.md)), for TriggerCallback',
    '(the same POST with `x-oss-process=trigger/callback,…` in the body, [callbacks.md](callbacks.md)), and for',
    'SelectObject / CreateSelectObjectMeta: `POST /<bucket>/<key>?x-oss-process=csv/select|json/select|csv/meta|json/meta`',
    '([select.md](select.md)); other values on POST answer 501.',
    // The QoS operations (docs/qos.md): unpublished, routed by oss/qos-route.ts.
    '`qosInfo`, `requesterQosInfo` and `qosRequester` are implemented for the QoS operations the SDKs call: GetUserQoSInfo',
    '(`GET /?qosInfo`), Put/Get/DeleteBucketQoSInfo (`/<bucket>/?qosInfo`) and Put/Get/List/DeleteBucketRequesterQoSInfo',
    '(`/<bucket>/?requesterQosInfo[&qosRequester=<uid>]`), stored and returned only ([qos.md](qos.md)); other requests',
    'naming them (an object, another method) answer 501. `resourcePool`, `resourcePoolInfo` and `resourcePoolBuckets`',
    '(with `requesterQosInfo` / `qosRequester` on the service) are implemented for the seven resource pool operations:',
    'an account here has no pools, so ListResourcePools answers an empty list and the others 404 `NoSuchResourcePool`',
    '([qos.md](qos.md#resource-pools)).',
    // The bucket's storage capacity (docs/storage-capacity.md): unpublished, routed by oss/qos-route.ts.
    '`qos` is implemented for Put/GetBucketStorageCapacity (`PUT|GET /<bucket>/?qos`, `<BucketUserQos>`, in GB), enforced',
    'on the writes that add bytes ([storage-capacity.md](storage-capacity.md)); other requests naming it answer 501.',
    // Async fetch (docs/async-fetch.md): unpublished, routed by oss/async-fetch-route.ts.
    '`asyncFetch` is implemented for PutAsyncFetchTask (`POST /<bucket>/?asyncFetch`) and GetAsyncFetchTask',
    '(`GET /<bucket>/?asyncFetch` with `x-oss-task-id`): the server fetches the URL into the object in the background,',
    'public sources only unless the callback allow-list names the host ([async-fetch.md](async-fetch.md)); other requests',
    'naming it answer 501.',
    // Configurations of the Go, Python and Java SDK v2 that the metadata does not publish (oss/operations.ts).
    `${[...new Set(configs.map((c) => c.sub))].map((s) => `\`${s}\``).join(', ')} are implemented for the SDK v2 configuration`,
    `operations ${configs.map((c) => `${c.name} (\`${c.method} /<bucket>/${c.onObject ? '<key>' : ''}?${c.sub}\`)`).join(', ')}`,
    '([stored-configurations.md](stored-configurations.md), [data-protection.md](data-protection.md)); other requests naming them answer 501.',
    // Batch Operations (docs/batch-operations.md): unpublished, routed by oss/operations.ts routeBatchJob.
    '`batchJob`, `batchJobPriority` and `batchJobStatus` are implemented on the service for Batch Operations: CreateJob',
    '(`POST /?batchJob`), DescribeJob / ListJobs (`GET /?batchJob[&batchJobId=…]`), UpdateJobPriority (`POST /?batchJobPriority`)',
    'and UpdateJobStatus (`POST /?batchJobStatus`), the jobs run by a worker ([batch-operations.md](batch-operations.md));',
    'on a bucket they are refused.',
    // Agentic buckets (docs/agentic-buckets.md): unpublished, routed by oss/operations.ts routeAgentic.
    `\`agenticBucket\` and \`bucketSpace\` are implemented for the agentic bucket operations ${agentic.join(', ')},`,
    'and bucket spaces are buckets PutBucket creates with `x-oss-agentic-bucket` ([agentic-buckets.md](agentic-buckets.md));',
    'other requests naming them answer 501 (405 for a method no operation takes).',
    END,
  ].join('\n');
}

/** The document with its generated section replaced (the markers must already be there). */
export function withCoverage(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error('the generated-section markers are missing');
  return doc.slice(0, start) + coverageSection() + doc.slice(end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write' && process.argv[3]) {
  const file = process.argv[3];
  writeFileSync(file, withCoverage(readFileSync(file, 'utf8')));
}
