// Every published OSS operation (src/oss/catalog.ts, generated from Alibaba Cloud's API metadata) routes to
// its own handler or answers 501 NotImplemented: never to another operation, never a listing, never a bucket
// created or deleted. Also keeps the generated table and the coverage section of docs/compatibility.md true.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CATALOG, type CatalogOperation } from '../src/oss/catalog.js';
import { coverageSection, stateOf, withCoverage } from '../src/oss/coverage.js';
import { handlers } from '../src/oss/handlers/index.js';
import { IMPLEMENTED_OPERATIONS, isAgenticOperation, route, UNPUBLISHED_SUBRESOURCES, type Operation, type RouteInput } from '../src/oss/operations.js';
import { isSubResource } from '../src/auth/signature/request.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const root = join(fileURLToPath(import.meta.url), '../../..');
const BUCKET = 'catalog-bucket';

/** Query values that satisfy the implemented handlers' syntax checks. */
const QUERY_VALUES: Record<string, string> = { partNumber: '1', uploadId: 'no-such-upload', position: '0' };
/** Operations told apart by a parameter's value (SelectObject / CreateSelectObjectMeta: docs/select.md). */
const OP_QUERY_VALUES: Record<string, Record<string, string>> = {
  SelectObject: { 'x-oss-process': 'csv/select' },
  CreateSelectObjectMeta: { 'x-oss-process': 'csv/meta' },
};
const HEADER_VALUES: Record<string, string> = { 'x-oss-copy-source': `/${BUCKET}/source`, 'x-oss-acl': 'private' };

interface Sample {
  key: string | null;
  bucket: string | null;
  query: Array<[string, string]>;
  headers: Record<string, string>;
}

/** The request an SDK sends for an operation: its scope, sub-resources, required parameters and headers. */
function sampleOf(op: CatalogOperation): Sample {
  const key = op.scope !== 'object' ? null : op.name === 'PostVodPlaylist' ? 'channel/playlist' : 'object';
  const query: Array<[string, string]> = [
    ...op.subresources.map(([k, v]): [string, string] => [k, v]),
    ...op.requiredQuery.map((q): [string, string] => [q, OP_QUERY_VALUES[op.name]?.[q] ?? QUERY_VALUES[q] ?? 'x']),
    // The access point's name, optional in the metadata, is what tells its Block Public Access from the bucket's.
    ...(op.query.includes('x-oss-access-point-name') && !op.requiredQuery.includes('x-oss-access-point-name') ? [['x-oss-access-point-name', 'ap-01'] as [string, string]] : []),
  ];
  const headers: Record<string, string> = {};
  for (const h of op.requiredHeaders) headers[h] = HEADER_VALUES[h] ?? 'x';
  return { bucket: op.scope === 'service' ? null : BUCKET, key, query, headers };
}

/** Operations the metadata gives identical requests (same method, scope, sub-resources, required parameters). */
function twinsOf(op: CatalogOperation): string[] {
  const sig = (o: CatalogOperation): string => JSON.stringify([o.method, o.scope, o.subresources, o.requiredQuery, [...o.requiredHeaders].sort()]);
  return CATALOG.filter((o) => sig(o) === sig(op)).map((o) => o.name);
}

function routeSample(op: CatalogOperation, s: Sample, extraQuery: Array<[string, string]> = []): Operation {
  const input: RouteInput = {
    method: op.method,
    address: { style: 'path', bucket: s.bucket, key: s.key },
    query: new Map([...s.query, ...extraQuery]),
    copySource: s.headers['x-oss-copy-source'],
    contentType: undefined,
    callback: false,
    objectAcl: false,
    taggingDirective: undefined,
    tagging: false,
    hasHeader: (h) => s.headers[h] !== undefined,
  };
  return route(input);
}

describe('the published operation table', () => {
  test('src/oss/catalog.ts is what the generator makes of the checked-in metadata fixture', async () => {
    const gen = (await import(join(root, 'scripts/gen-oss-catalog.mjs'))) as { catalogSource(r: unknown): string };
    const fixture: unknown = JSON.parse(await readFile(join(root, 'test/fixtures/oss-api-operations.json'), 'utf8'));
    assert.equal(await readFile(join(root, 'src/oss/catalog.ts'), 'utf8'), gen.catalogSource(fixture));
    assert.equal(CATALOG.length, 162);
  });

  test('docs/compatibility.md carries the generated coverage section unchanged', async () => {
    const doc = await readFile(join(root, 'docs/compatibility.md'), 'utf8');
    assert.ok(doc.includes(coverageSection()), 'run: node dist/src/oss/coverage.js --write docs/compatibility.md');
    assert.equal(withCoverage(doc), doc);
    for (const op of CATALOG) {
      const line = doc.split('\n').find((l) => l.startsWith(`| ${op.name} |`));
      assert.ok(line, `${op.name} is missing from the coverage table`);
      assert.ok(line.endsWith(`| ${stateOf(op.name)} |`), line);
      // Three states (implemented and enforced / stored and returned only / 501), agreeing with the routing table.
      assert.equal(stateOf(op.name) === '501 `NotImplemented`', !IMPLEMENTED_OPERATIONS.has(op.name), line);
    }
  });

  test('the implemented set is exactly the published operations that have a handler', () => {
    const published = new Set(CATALOG.map((op) => op.name));
    for (const name of IMPLEMENTED_OPERATIONS) assert.ok(published.has(name), `${name} is not a published operation`);
    for (const name of Object.keys(handlers)) {
      if (published.has(name)) assert.ok(IMPLEMENTED_OPERATIONS.has(name), `${name} has a handler but is listed as unimplemented`);
    }
  });

  test('route(): each of the 162 operations routes to itself or to a 501 naming it', () => {
    for (const op of CATALOG) {
      if (op.method === 'OPTIONS') continue; // the CORS preflight is answered before routing
      const sample = sampleOf(op);
      const twins = twinsOf(op);
      for (const extra of [[], [['foo', 'bar']]] as Array<Array<[string, string]>>) {
        const routed = routeSample(op, sample, extra);
        const implementedTwin = twins.find((t) => t !== op.name && IMPLEMENTED_OPERATIONS.has(t));
        if (IMPLEMENTED_OPERATIONS.has(op.name)) {
          assert.equal(routed.name, op.name, `${op.name} ${JSON.stringify(sample)}`);
        } else if (implementedTwin !== undefined) {
          // The same request as an implemented operation's (GetAccessPointPublicAccessBlock without its
          // optional access point name is GetBucketPublicAccessBlock): it is that operation.
          assert.equal(routed.name, implementedTwin, `${op.name} ${JSON.stringify(sample)}`);
        } else {
          assert.equal(routed.name, 'Unimplemented', `${op.name} routed to ${routed.name}`);
          assert.ok(routed.name === 'Unimplemented' && twins.includes(routed.params.operation), `${op.name} named ${JSON.stringify(routed.params)}`);
        }
      }
    }
  });

  test('every unpublished sub-resource the routing refuses is one a V1 signature may sign (the two lists agree)', () => {
    // `selectMeta` is in no SDK's V1 list (CreateSelectObjectMeta is `x-oss-process=…/meta`): refused, never signed.
    const unsigned = [...UNPUBLISHED_SUBRESOURCES].filter((k) => !isSubResource(k) && k !== 'selectMeta');
    assert.deepEqual(unsigned, [], 'add them to SUB_RESOURCES in src/auth/signature/request.ts');
  });

  test('route(): sub-resources never fall through; unknown plain parameters are ignored', () => {
    const r = (method: string, bucket: string | null, key: string | null, query: Array<[string, string]>): Operation =>
      route({ method, address: { style: 'path', bucket, key }, query: new Map(query), copySource: undefined, contentType: undefined, callback: false, objectAcl: false, taggingDirective: undefined, tagging: false, hasHeader: () => false });
    const unimplemented = (op: Operation): string => (op.name === 'Unimplemented' ? op.params.operation : `routed to ${op.name}`);
    assert.equal(r('DELETE', 'b', null, [['x-oss-common-header', '']]).name, 'DeleteBucketCommonHeader');
    assert.equal(r('GET', null, null, [['regions', '']]).name, 'DescribeRegions');
    assert.equal(r('GET', 'b', null, [['regions', '']]).name, 'DescribeRegions');
    assert.equal(r('GET', 'b', null, [['accessmonitor', '']]).name, 'GetBucketAccessMonitor');
    assert.equal(r('GET', 'b', null, [['x-oss-datalake-storage-transfer-job', '']]).name, 'ListDataLakeStorageTransferJob');
    assert.equal(r('GET', null, null, [['accessPointForObjectProcess', '']]).name, 'ListAccessPointsForObjectProcess');
    assert.equal(unimplemented(r('PUT', 'b', null, [['resourcePool', '']])), 'PutBucket'); // unpublished: 501 all the same
    // The resource pool operations (docs/qos.md) are routed on the service only.
    assert.equal(r('GET', null, null, [['resourcePool', '']]).name, 'ListResourcePools');
    assert.equal(r('GET', null, null, [['requesterQosInfo', ''], ['resourcePool', 'p']]).name, 'ListResourcePoolRequesterQoSInfos');
    // The QoS operations (docs/qos.md) are unpublished but routed; with another sub-resource besides, 501 as before.
    assert.equal(r('PUT', 'b', null, [['qosInfo', '']]).name, 'PutBucketQoSInfo');
    assert.equal(r('GET', null, null, [['qosInfo', '']]).name, 'GetUserQoSInfo');
    assert.equal(r('GET', 'b', null, [['requesterQosInfo', '']]).name, 'ListBucketRequesterQoSInfos');
    assert.deepEqual(r('GET', 'b', null, [['requesterQosInfo', ''], ['qosRequester', '123']]).checks.map((c) => c.action), ['oss:GetBucketRequesterQoSInfo']);
    assert.equal(unimplemented(r('PUT', 'b', null, [['qosInfo', ''], ['acl', '']])), 'PutBucketAcl');
    assert.equal(unimplemented(r('GET', 'b', 'k', [['qosInfo', '']])), 'GetObject');
    // `?qos` on a bucket is the storage capacity (docs/storage-capacity.md); any other use of it stays 501.
    assert.deepEqual(r('PUT', 'b', null, [['qos', '']]).checks.map((c) => [c.action, c.bucket]), [['oss:PutBucketStorageCapacity', 'b']]);
    assert.equal(r('GET', 'b', null, [['qos', '']]).name, 'GetBucketStorageCapacity');
    assert.equal(unimplemented(r('DELETE', 'b', null, [['qos', '']])), 'DeleteBucket');
    assert.equal(unimplemented(r('GET', 'b', 'k', [['qos', '']])), 'GetObject');
    assert.equal(unimplemented(r('GET', null, null, [['qos', '']])), 'ListBuckets');
    assert.equal(unimplemented(r('PUT', 'b', null, [['qos', ''], ['acl', '']])), 'PutBucketAcl');
    assert.equal(unimplemented(r('PUT', 'b', null, [['qos', ''], ['qosInfo', '']])), 'PutBucket');
    // Async fetch (docs/async-fetch.md) likewise: POST and GET on a bucket, anything else 501 as before.
    assert.deepEqual(r('POST', 'b', null, [['asyncFetch', '']]).checks.map((c) => c.action), ['oss:PutAsyncFetchTask']);
    assert.deepEqual(r('GET', 'b', null, [['asyncFetch', '']]).checks.map((c) => c.action), ['oss:GetAsyncFetchTask']);
    assert.equal(unimplemented(r('GET', 'b', 'k', [['asyncFetch', '']])), 'GetObject');
    assert.equal(unimplemented(r('GET', 'b', null, [['asyncFetch', ''], ['acl', '']])), 'GetBucketAcl');
    // A sub-resource only an implemented operation of another method uses: 405, never a DeleteBucket.
    assert.throws(() => r('DELETE', 'b', null, [['stat', '']]), { name: 'MethodNotAllowedError' });
    // Image processing (docs/image-processing.md) is GetObject; x-oss-process on other methods is still refused.
    assert.equal(r('GET', 'b', 'k', [['x-oss-process', 'image/resize,w_10']]).name, 'GetObject');
    assert.deepEqual(r('GET', 'b', 'k', [['x-oss-process', 'image/info'], ['versionId', 'v1']]).checks.map((c) => c.action), ['oss:GetObjectVersion']);
    assert.equal(unimplemented(r('PUT', 'b', 'k', [['x-oss-process', 'image/resize,w_10']])), 'PutObject');
    assert.equal(r('POST', 'b', 'k', [['x-oss-process', '']]).name, 'ProcessObjectSave');
    // SelectObject and CreateSelectObjectMeta (docs/select.md); other processes on POST stay 501.
    assert.deepEqual(r('POST', 'b', 'k', [['x-oss-process', 'csv/select']]).checks.map((c) => c.action), ['oss:GetObject']);
    assert.equal(r('POST', 'b', 'k', [['x-oss-process', 'json/meta']]).name, 'CreateSelectObjectMeta');
    assert.equal(unimplemented(r('POST', 'b', 'k', [['x-oss-process', 'video/snapshot']])), 'SelectObject');
    // versionId names a version (docs/versioning.md) and asks for the …Version action.
    const versionDelete = r('DELETE', 'b', 'k', [['versionId', 'v1']]);
    assert.equal(versionDelete.name, 'DeleteObject');
    assert.deepEqual(versionDelete.checks.map((c) => c.action), ['oss:DeleteObjectVersion']);
    assert.deepEqual(r('GET', 'b', 'k', [['versionId', 'v1'], ['tagging', '']]).checks.map((c) => c.action), ['oss:GetObjectVersionTagging']);
    assert.deepEqual(r('GET', 'b', 'k', []).checks.map((c) => c.action), ['oss:GetObject']);
    // ListBuckets' tagging filter (docs/stored-configurations.md).
    assert.equal(r('GET', null, null, [['tagging', '"a":"1"']]).name, 'ListBuckets');
    assert.throws(() => r('PUT', 'b', null, [['acl', ''], ['x-oss-common-header', '']]), { code: 'InvalidArgument' });
    assert.throws(() => r('PUT', 'b', null, [['acl', ''], ['x-oss-datalake-cache-prefetch-job', '']]), { code: 'InvalidArgument' });
    assert.throws(() => r('DELETE', 'b', null, [['acl', '']]), { code: 'MethodNotAllowed' });
    // uploadId / partNumber without a key: refused, never DeleteBucket / PutBucket / ListObjects.
    for (const [m, q] of [['DELETE', [['uploadId', '']]], ['DELETE', [['uploadId', 'x']]], ['PUT', [['partNumber', '1'], ['uploadId', '']]], ['POST', [['uploadId', 'x']]], ['GET', [['uploadId', 'x']]]] as const) {
      assert.throws(() => r(m, 'b', null, q.map(([k, v]) => [k, v] as [string, string])), { code: 'InvalidArgument' }, `${m} ${JSON.stringify(q)}`);
    }
    assert.throws(() => r('POST', 'b', 'k', [['tagging', '']]), { code: 'MethodNotAllowed' });
    assert.throws(() => r('GET', 'b', null, [['acl', ''], ['cors', '']]), { code: 'InvalidArgument' });
    assert.equal(r('GET', 'b', null, [['foo', 'bar'], ['t', '123']]).name, 'ListObjects');
    assert.equal(r('GET', 'b', null, [['list-type', '1']]).name, 'ListObjects');
    assert.equal(r('GET', 'b', 'k', [['objectMeta', '']]).name, 'GetObjectMeta');
    assert.equal(r('GET', 'b', 'k', [['x-oss-unknown', '1']]).name, 'GetObject');
    // The newer SDKs' unpublished operations (Python/Go SDK v2): 501, never the base operation of the path.
    for (const sub of ['quota', 'overwriteConfig', 'metadataConfiguration', 'objectWorm', 'retention', 'legalHold', 'dataRedundancyTransition', 'archiveDirectRead']) {
      for (const [m, key] of [['DELETE', null], ['DELETE', 'k'], ['GET', null], ['GET', 'k'], ['PUT', null], ['PUT', 'k']] as const) {
        // The bucket's overwrite configuration, storage quota and metadata tables are implemented (oss/handlers/
        // overwrite-config.ts, storage-quota.ts, metadata-table.ts; Create is a POST); on a key they are not.
        const verb = m === 'PUT' ? 'Put' : m === 'GET' ? 'Get' : 'Delete';
        const metadata = m === 'GET' ? 'GetBucketMetadataConfiguration' : m === 'DELETE' ? 'DeleteBucketMetadataConfiguration' : 'Unimplemented';
        // Object-level retention (oss/handlers/object-worm.ts): Put/Get of `?objectWorm` on the bucket, of `?retention`
        // and `?legalHold` on an object; no DELETE of either (ObjectWorm cannot be turned off).
        const worm: Record<string, string | undefined> = key === null
          ? { objectWorm: m === 'DELETE' ? undefined : `${verb}BucketObjectWormConfiguration` }
          : { retention: m === 'DELETE' ? undefined : `${verb}ObjectRetention`, legalHold: m === 'DELETE' ? undefined : `${verb}ObjectLegalHold` };
        const expected = worm[sub] ?? (key !== null ? 'Unimplemented' : sub === 'overwriteConfig' ? `${verb}BucketOverwriteConfig` : sub === 'quota' ? `${verb}BucketStorageQuota` : sub === 'metadataConfiguration' ? metadata : 'Unimplemented');
        assert.equal(r(m, 'b', key, [[sub, '']]).name, expected, `${m} ${key ?? '(bucket)'} ?${sub}`);
      }
    }
    assert.throws(() => r('POST', 'b', null, [['overwriteConfig', '']]), { code: 'MethodNotAllowed' });
    // Agentic buckets (the SDK v2s' AgenticBucketClient, docs/agentic-buckets.md): with or beside a published
    // sub-resource, an agentic bucket operation, never a bucket's.
    for (const q of [[['agenticBucket', '']], [['agenticBucket', ''], ['acl', '']], [['agenticBucket', ''], ['policy', '']], [['agenticBucket', ''], ['bucketSpace', '']]] as Array<Array<[string, string]>>) {
      for (const m of ['DELETE', 'GET', 'PUT', 'POST']) {
        // Its own operation; else 501, or 405 where no operation of the method takes the published one (DELETE ?acl).
        let name: string;
        try {
          name = r(m, 'b', null, q).name;
        } catch (err) {
          name = (err as { code?: string }).code ?? String(err);
        }
        assert.ok(name === 'Unimplemented' || name === 'MethodNotAllowed' || isAgenticOperation(name), `${m} ${JSON.stringify(q)}: ${name}`);
      }
    }
    // Any value-less key no operation takes, on a write of the path itself: a newer operation, never that write.
    for (const [m, key, name] of [['DELETE', null, 'DeleteBucket'], ['PUT', null, 'PutBucket'], ['DELETE', 'k', 'DeleteObject'], ['PUT', 'k', 'PutObject']] as const) {
      const op = r(m, 'b', key, [['someNewOperation', '']]);
      assert.equal(op.name, 'Unimplemented', `${m} ${key ?? '(bucket)'}`);
      assert.equal(op.name === 'Unimplemented' && op.params.operation, name);
      // With a value it is a plain parameter (a cache-buster), ignored as OSS ignores it; reads ignore either.
      assert.equal(r(m, 'b', key, [['t', '123']]).name, name);
    }
    // CopyObject is chosen by a header, AppendObject and PutSymlink by their own keys: an unknown one beside them is refused too.
    const rh = (method: string, key: string, query: Array<[string, string]>, copySource?: string): Operation =>
      route({ method, address: { style: 'path', bucket: 'b', key }, query: new Map(query), copySource, contentType: undefined, callback: false, objectAcl: false, taggingDirective: undefined, tagging: false, hasHeader: () => false });
    for (const [m, q, src] of [['PUT', [['someNewOperation', '']], '/b/src'], ['POST', [['append', ''], ['position', '0'], ['someNewOperation', '']], undefined], ['PUT', [['symlink', ''], ['someNewOperation', '']], undefined]] as Array<[string, Array<[string, string]>, string | undefined]>) {
      assert.equal(rh(m, 'k', q, src).name, 'Unimplemented', `${m} ${JSON.stringify(q)}`);
    }
    assert.equal(rh('PUT', 'k', [], '/b/src').name, 'CopyObject');
    assert.equal(r('GET', 'b', null, [['someNewOperation', '']]).name, 'ListObjects');
    assert.equal(r('GET', 'b', 'k', [['_', '']]).name, 'GetObject');
    assert.equal(r('PUT', 'b', 'k', [['x-oss-something', '']]).name, 'PutObject');
    assert.equal(r('DELETE', 'b', 'k', [['versionId', '']]).name, 'DeleteObject');
  });
});

describe('every published operation over HTTP, as the owner', () => {
  let server: TestServer;

  async function send(method: string, s: Sample, body?: string): Promise<RawResponse & { err: Record<string, string> | null }> {
    const path = `/${s.bucket === null ? '' : `${s.bucket}/${s.key ?? ''}`}${s.query.length > 0 ? `?${s.query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : ''}`;
    const headers: Record<string, string> = { host: `localhost:${server.port}`, 'x-oss-date': new Date().toUTCString(), ...s.headers };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    headers.authorization = v1Authorization({ method, bucket: s.bucket, key: s.key, query: s.query, headers }, AK, SECRET).authorization;
    const res = await rawRequest(server.port, { method, path, headers, body });
    return { ...res, err: errorOf(res) };
  }

  async function bucketExists(): Promise<boolean> {
    const res = await send('GET', { bucket: BUCKET, key: null, query: [['bucketInfo', '']], headers: {} });
    return res.status === 200;
  }

  before(async () => {
    server = await startTestServer();
    const made = await send('PUT', { bucket: BUCKET, key: null, query: [], headers: {} });
    assert.equal(made.status, 200);
  });
  after(async () => {
    await server.stop();
  });

  test('unimplemented operations answer 501 naming themselves; nothing is listed, created or deleted', { timeout: 300_000 }, async () => {
    let count = 0;
    let twinned = 0;
    for (const op of CATALOG) {
      if (IMPLEMENTED_OPERATIONS.has(op.name)) continue;
      // Its request is an implemented operation's (route() test above).
      if (twinsOf(op).some((t) => IMPLEMENTED_OPERATIONS.has(t))) {
        twinned += 1;
        continue;
      }
      const s = sampleOf(op);
      const res = await send(op.method, s, op.method === 'PUT' || op.method === 'POST' ? '<x/>' : undefined);
      const what = `${op.name}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
      assert.equal(res.status, 501, what);
      const err = op.method === 'HEAD' ? null : res.err;
      if (op.method !== 'HEAD') {
        assert.equal(err?.Code, 'NotImplemented', what);
        assert.ok(twinsOf(op).some((name) => err?.Message.includes(name)), what);
        assert.ok(!res.body.toString('utf8').includes('ListBucketResult') && !res.body.toString('utf8').includes('ListAllMyBucketsResult'), what);
      }
      if (op.method !== 'GET') assert.ok(await bucketExists(), `${op.name} removed the bucket`);
      count += 1;
    }
    assert.equal(count, CATALOG.length - IMPLEMENTED_OPERATIONS.size - twinned);
    // Still empty: no write ran as PutObject, and no bucket other than the test's was made.
    const list = await send('GET', { bucket: BUCKET, key: null, query: [], headers: {} });
    assert.ok(!list.body.toString('utf8').includes('<Contents>'), list.body.toString('utf8'));
    const buckets = await send('GET', { bucket: null, key: null, query: [], headers: {} });
    assert.equal(buckets.body.toString('utf8').split('<Bucket>').length - 1, 1, buckets.body.toString('utf8'));
  });

  test('implemented operations are answered by their own handler (never 501)', { timeout: 300_000 }, async () => {
    for (const op of CATALOG) {
      if (!IMPLEMENTED_OPERATIONS.has(op.name) || op.name === 'DeleteBucket' || op.method === 'OPTIONS') continue;
      const res = await send(op.method, sampleOf(op), op.method === 'PUT' || op.method === 'POST' ? '' : undefined);
      assert.notEqual(res.status, 501, `${op.name}: ${res.body.toString('utf8').slice(0, 300)}`);
      assert.ok(await bucketExists(), `${op.name} removed the bucket`);
    }
  });

  test('a DELETE naming a newer SDK\'s sub-resource deletes nothing (it deleted the bucket or the object before)', async () => {
    const put = await send('PUT', { bucket: BUCKET, key: 'kept', query: [], headers: {} }, 'bytes');
    assert.equal(put.status, 200);
    for (const [key, sub] of [['kept', 'quota'], ['kept', 'overwriteConfig'], ['kept', 'metadataConfiguration'], ['kept', 'retention'], ['kept', 'legalHold'], ['kept', 'agenticBucket'], [null, 'notYetPublished'], ['kept', 'notYetPublished']] as const) {
      const res = await send('DELETE', { bucket: BUCKET, key, query: [[sub, '']], headers: {} });
      assert.equal(res.status, 501, `${sub}: ${res.body.toString('utf8').slice(0, 300)}`);
      assert.equal(res.err?.Code, 'NotImplemented');
    }
    // DeleteAgenticBucket of a general bucket: 404 NoSuchAgenticBucket, the bucket kept (docs/agentic-buckets.md).
    const agentic = await send('DELETE', { bucket: BUCKET, key: null, query: [['agenticBucket', '']], headers: {} });
    assert.equal(agentic.err?.Code, 'NoSuchAgenticBucket', agentic.body.toString('utf8').slice(0, 300));
    assert.ok(await bucketExists());
    assert.equal((await send('GET', { bucket: BUCKET, key: 'kept', query: [], headers: {} })).body.toString('utf8'), 'bytes');
    assert.equal((await send('DELETE', { bucket: BUCKET, key: 'kept', query: [], headers: {} })).status, 204);
  });

  test('V1 signatures that sign the newer sub-resources (the Python SDK v2 signs userDefinedLogFieldsConfig) and those that do not are both accepted', async () => {
    // The StringToSign written out by hand, not by the server's own code.
    for (const resource of [`/${BUCKET}/?userDefinedLogFieldsConfig`, `/${BUCKET}/`]) {
      const date = new Date().toUTCString();
      const signature = createHmac('sha1', SECRET).update(`GET\n\n\n${date}\n${resource}`, 'utf8').digest('base64');
      const res = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/?userDefinedLogFieldsConfig`, headers: { host: `localhost:${server.port}`, date, authorization: `OSS ${AK}:${signature}` } });
      assert.equal(errorOf(res)?.Code, 'NoSuchUserDefinedLogFieldsConfig', `${resource}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    // The Python SDK v2 signs `policyStatus` (its operation's own sub-resource), and an inventory request's
    // `inventory` without its `inventoryId`.
    const signedGet = async (path: string, resource: string): Promise<RawResponse> => {
      const date = new Date().toUTCString();
      const signature = createHmac('sha1', SECRET).update(`GET\n\n\n${date}\n${resource}`, 'utf8').digest('base64');
      return rawRequest(server.port, { method: 'GET', path, headers: { host: `localhost:${server.port}`, date, authorization: `OSS ${AK}:${signature}` } });
    };
    for (const resource of [`/${BUCKET}/?policyStatus`, `/${BUCKET}/`]) {
      const res = await signedGet(`/${BUCKET}/?policyStatus`, resource);
      assert.equal(res.status, 200, `${resource}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    for (const resource of [`/${BUCKET}/?inventory&inventoryId=none`, `/${BUCKET}/?inventory`]) {
      const res = await signedGet(`/${BUCKET}/?inventory&inventoryId=none`, resource);
      assert.equal(errorOf(res)?.Code, 'NoSuchInventory', `${resource}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
  });

  test('anonymous callers are refused before the 501 (authentication and authorization come first)', async () => {
    const res = await rawRequest(server.port, { method: 'DELETE', path: `/${BUCKET}/?x-oss-common-header`, headers: { host: `localhost:${server.port}` } });
    assert.equal(res.status, 403, res.body.toString('utf8'));
    assert.equal(errorOf(res)?.Code, 'AccessDenied');
    assert.ok(await bucketExists());
  });
});
