// Stored-and-returned bucket configurations (docs/stored-configurations.md): every configuration round-trips
// (ali-oss where it has the call, else signed raw HTTP); documents the published schema does not allow are
// refused with nothing stored (generated from the schema table for every Put); absent configurations answer
// their documented 404 or default; an explicit Deny refuses; ListBuckets filters by tag. Runs on SQLite, and
// on PostgreSQL through test/pg-stored-configs.test.ts.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OSS from 'ali-oss';
import { catalogOperationOf, route, type RouteInput } from '../src/oss/operations.js';
import { CATALOG } from '../src/oss/catalog.js';
import { STORED_SCHEMAS, type StoredOperationName } from '../src/oss/stored/schemas.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const root = join(fileURLToPath(import.meta.url), '../../..');
const BUCKET = 'stored-bucket';

interface Reply extends RawResponse {
  text: string;
  err: Record<string, string> | null;
}

/** Signed (V1) raw request with the server's own canonicalization. */
async function send(srv: TestServer, method: string, bucket: string | null, query: Array<[string, string]>, body?: string, extra: Record<string, string> = {}, creds: [string, string] = [AK, SECRET], key: string | null = null): Promise<Reply> {
  const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
  const path = `/${bucket === null ? '' : `${bucket}/${key === null ? '' : encodeURIComponent(key)}`}${qs}`;
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), ...extra };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  headers.authorization = v1Authorization({ method, bucket, key, query, headers }, creds[0], creds[1]).authorization;
  const res = await rawRequest(srv.port, { method, path, headers, body });
  return { ...res, text: res.body.toString('utf8'), err: errorOf(res) };
}

/** The request of a stored operation: its catalog method and sub-resources, plus extra query pairs. */
function requestOf(op: StoredOperationName, extra: Array<[string, string]> = []): { method: string; query: Array<[string, string]> } {
  const entry = CATALOG.find((o) => o.name === op)!;
  return { method: entry.method, query: [...entry.subresources.map(([k, v]): [string, string] => [k, v]), ...extra] };
}

async function callOp(srv: TestServer, op: StoredOperationName, opts: { query?: Array<[string, string]>; body?: string; bucket?: string; creds?: [string, string]; headers?: Record<string, string>; key?: string } = {}): Promise<Reply> {
  const { method, query } = requestOf(op, opts.query);
  const scope = CATALOG.find((o) => o.name === op)!.scope;
  const key = scope === 'object' ? (opts.key ?? 'channel1') : null;
  return send(srv, method, scope === 'service' ? null : (opts.bucket ?? BUCKET), query, opts.body, opts.headers ?? {}, opts.creds ?? [AK, SECRET], key);
}

/** The access point's name where the metadata has it as an optional parameter (it tells its Block Public Access from the bucket's). */
function apNameQuery(entry: { query: readonly string[]; requiredQuery: readonly string[] }): Array<[string, string]> {
  return entry.query.includes('x-oss-access-point-name') && !entry.requiredQuery.includes('x-oss-access-point-name') ? [['x-oss-access-point-name', 'ap-x']] : [];
}

function ok(r: Reply, status = 200): Reply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  return r;
}

function fails(r: Reply, code: string, status: number): Reply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  assert.equal(r.err?.Code, code, r.text.slice(0, 400));
  return r;
}

/** Single-document configurations: a valid body, what Get must contain, and the Get when none is set. */
const SINGLES: Array<{ put: StoredOperationName; get?: StoredOperationName; del?: StoredOperationName; body: string; expect: string[]; absent: { code: string } | { contains: string } }> = [
  {
    put: 'PutBucketTransferAcceleration', get: 'GetBucketTransferAcceleration',
    body: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>',
    expect: ['<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>'],
    absent: { code: 'NoSuchTransferAccelerationConfiguration' },
  },
  {
    put: 'PutBucketHttpsConfig', get: 'GetBucketHttpsConfig',
    body: '<HttpsConfiguration><TLS><TLSVersion>TLSv1.2</TLSVersion><Enable>true</Enable><TLSVersion>TLSv1.3</TLSVersion></TLS></HttpsConfiguration>',
    // Published order: Enable before the TLSVersion list, whatever the request's order.
    expect: ['<TLS><Enable>true</Enable><TLSVersion>TLSv1.2</TLSVersion><TLSVersion>TLSv1.3</TLSVersion></TLS>'],
    absent: { contains: '<TLS><Enable>false</Enable></TLS>' },
  },
  {
    put: 'PutBucketArchiveDirectRead', get: 'GetBucketArchiveDirectRead',
    body: '<ArchiveDirectReadConfiguration><Enabled>true</Enabled></ArchiveDirectReadConfiguration>',
    expect: ['<Enabled>true</Enabled>'],
    absent: { contains: '<Enabled>false</Enabled>' },
  },
  {
    put: 'PutUserDefinedLogFieldsConfig', get: 'GetUserDefinedLogFieldsConfig', del: 'DeleteUserDefinedLogFieldsConfig',
    body: '<UserDefinedLogFieldsConfiguration><HeaderSet><header>x-a</header><header>x-b</header></HeaderSet><ParamSet><parameter>p</parameter></ParamSet></UserDefinedLogFieldsConfiguration>',
    expect: ['<HeaderSet><header>x-a</header><header>x-b</header></HeaderSet><ParamSet><parameter>p</parameter></ParamSet>'],
    absent: { code: 'NoSuchUserDefinedLogFieldsConfig' },
  },
  {
    put: 'PutBucketResourceGroup', get: 'GetBucketResourceGroup',
    body: '<BucketResourceGroupConfiguration><ResourceGroupId>rg-aek27tc1234</ResourceGroupId></BucketResourceGroupConfiguration>',
    expect: ['<ResourceGroupId>rg-aek27tc1234</ResourceGroupId>'],
    absent: { contains: '<ResourceGroupId>rg-default-id</ResourceGroupId>' },
  },
  {
    put: 'PutBucketAccessMonitor', get: 'GetBucketAccessMonitor',
    body: '<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>',
    expect: ['<Status>Enabled</Status>'],
    absent: { contains: '<Status>Disabled</Status>' },
  },
];

describe('stored bucket configurations', () => {
  let srv: TestServer;
  let client: OSS;

  before(async () => {
    // An opened metadata index reports Ready for ten minutes here: the meta query test reads Ready right after
    // opening, which the default 3 s could outlast on a loaded machine (the Running side: test/oss-meta-query.test.ts).
    // CNAMEs bound with a CreateCnameToken token and no DNS record (docs/stored-configurations.md#cnames-implemented).
    srv = await startTestServer({ timing: { metaQueryReadyMs: 600_000 }, cname: { verification: 'token' }, redundancyTransition: { intervalMs: 0 } });
    client = srv.client();
    await client.putBucket(BUCKET);
  });
  after(async () => {
    await srv.stop();
  });

  test('src/oss/stored/schemas.ts is what the generator makes of the checked-in fixture', async () => {
    const gen = (await import(join(root, 'scripts/gen-oss-stored.mjs'))) as { schemasSource(r: unknown): string; OPERATIONS: string[] };
    const fixture: unknown = JSON.parse(await readFile(join(root, 'test/fixtures/oss-stored-schemas.json'), 'utf8'));
    assert.equal(await readFile(join(root, 'src/oss/stored/schemas.ts'), 'utf8'), gen.schemasSource(fixture));
    assert.deepEqual(Object.keys(STORED_SCHEMAS), gen.OPERATIONS);
  });

  test('every stored operation is routed to itself by its catalog request', () => {
    for (const name of Object.keys(STORED_SCHEMAS) as StoredOperationName[]) {
      const entry = CATALOG.find((o) => o.name === name)!;
      const input: RouteInput = {
        method: entry.method, address: { style: 'path', bucket: entry.scope === 'service' ? null : BUCKET, key: entry.scope === 'object' ? 'channel1' : null },
        query: new Map([...entry.subresources, ...entry.requiredQuery.map((q): [string, string] => [q, 'x']), ...apNameQuery(entry)]),
        copySource: undefined, contentType: undefined, callback: false, objectAcl: false, taggingDirective: undefined, tagging: false,
        hasHeader: () => false,
      };
      // An access point's Block Public Access shares the bucket's sub-resource: the router tells them apart by the
      // access point's name (the catalog alone cannot, the name being optional there).
      const hit = apNameQuery(entry).length > 0 ? route(input) : catalogOperationOf(input);
      assert.equal(hit?.name, name);
    }
  });

  for (const s of SINGLES) {
    test(`${s.put} / ${s.get ?? '-'} round trip`, async () => {
      if (s.get !== undefined) {
        const before = await callOp(srv, s.get);
        if ('code' in s.absent) fails(before, s.absent.code, 404);
        else assert.ok(ok(before).text.includes(s.absent.contains), before.text);
      }
      ok(await callOp(srv, s.put, { body: s.body }));
      if (s.get !== undefined) {
        const got = ok(await callOp(srv, s.get));
        assert.match(got.headers['content-type'] ?? '', /application\/xml/);
        for (const e of s.expect) assert.ok(got.text.includes(e), `${got.text} lacks ${e}`);
      }
      if (s.del !== undefined) {
        ok(await callOp(srv, s.del), 204);
        if (s.get !== undefined && 'code' in s.absent) fails(await callOp(srv, s.get), s.absent.code, 404);
      }
    });
  }

  test('every Put refuses an element its schema does not publish (MalformedXML), and stores nothing', async () => {
    let count = 0;
    for (const name of Object.keys(STORED_SCHEMAS) as StoredOperationName[]) {
      const req = STORED_SCHEMAS[name].request;
      if (req === undefined || !('root' in req)) continue;
      const entry = CATALOG.find((o) => o.name === name)!;
      const query: Array<[string, string]> = name.endsWith('Inventory') ? [['inventoryId', 'inv1']] : entry.query.includes('x-oss-access-point-name') ? [['x-oss-access-point-name', 'ap-x']] : [];
      // Operations told apart by a header (anti-DDoS, access points) carry it: the body is checked before the header's value.
      const headers: Record<string, string> = Object.fromEntries(entry.requiredHeaders.map((h) => [h, 'ap-x']));
      const r = await callOp(srv, name, { body: `<${req.root}><NoSuchElement>1</NoSuchElement></${req.root}>`, query, headers });
      fails(r, 'MalformedXML', 400);
      assert.ok(r.err?.ErrorDetail?.includes('NoSuchElement'), r.text);
      const wrongRoot = await callOp(srv, name, { body: '<Wrong/>', query, headers });
      fails(wrongRoot, 'MalformedXML', 400);
      count += 1;
    }
    assert.ok(count >= 15, `only ${count} Put operations checked`);
    // Nothing was stored by the refused bodies.
    fails(await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv1']] }), 'NoSuchInventory', 404);
    fails(await callOp(srv, 'GetBucketReplication'), 'NoSuchReplicationConfiguration', 404);
  });

  test('an empty ResourceGroupId puts the bucket back in the default group (the Go SDK V1\'s TestBucketResourceGroup)', async () => {
    const B = 'stored-rg';
    await client.putBucket(B);
    const group = (): Promise<string> => callOp(srv, 'GetBucketResourceGroup', { bucket: B }).then((r) => /<ResourceGroupId>([^<]*)<\/ResourceGroupId>/.exec(ok(r).text)?.[1] ?? '');
    const put = (id: string): Promise<Reply> => callOp(srv, 'PutBucketResourceGroup', { bucket: B, body: `<BucketResourceGroupConfiguration><ResourceGroupId>${id}</ResourceGroupId></BucketResourceGroupConfiguration>` });
    const info = async (): Promise<string> => ok(await send(srv, 'GET', B, [['bucketInfo', '']])).text;
    const defaultId = await group();
    assert.equal(defaultId, 'rg-default-id');
    ok(await put('rg-aek27tc5678'));
    assert.equal(await group(), 'rg-aek27tc5678');
    ok(await put(''));
    assert.equal(await group(), defaultId);
    assert.ok((await info()).includes(`<ResourceGroupId>${defaultId}</ResourceGroupId>`));
    // The default group's own ID moves a bucket there as well; an ID that is none is refused and changes nothing.
    ok(await put('rg-aek27tc5678'));
    ok(await put(defaultId));
    assert.equal(await group(), defaultId);
    const bad = fails(await put('no-exist-id'), 'ResourceGroupIdPreCheckError', 400);
    assert.equal(bad.err?.Message, 'The resource group id precheck error');
    assert.equal(await group(), defaultId);
    // <ResourceGroupId/> too; the element itself is still required.
    ok(await put('rg-aek27tc5678'));
    ok(await callOp(srv, 'PutBucketResourceGroup', { bucket: B, body: '<BucketResourceGroupConfiguration><ResourceGroupId/></BucketResourceGroupConfiguration>' }));
    assert.equal(await group(), defaultId);
    fails(await callOp(srv, 'PutBucketResourceGroup', { bucket: B, body: '<BucketResourceGroupConfiguration/>' }), 'MalformedXML', 400);
    await client.deleteBucket(B);
  });

  test('DELETE ?transferAcceleration (Go SDK V1 DeleteBucketTransferAcc, Java deleteBucketTransferAcceleration) removes the configuration', async () => {
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>' }));
    assert.ok(ok(await callOp(srv, 'GetBucketTransferAcceleration')).text.includes('<Enabled>true</Enabled>'));
    const del = await send(srv, 'DELETE', BUCKET, [['transferAcceleration', '']]);
    assert.equal(del.status, 204, del.text);
    fails(await callOp(srv, 'GetBucketTransferAcceleration'), 'NoSuchTransferAccelerationConfiguration', 404);
    assert.ok(ok(await send(srv, 'GET', BUCKET, [['bucketInfo', '']])).text.includes('<TransferAcceleration>Disabled</TransferAcceleration>'));
    // Again, with nothing stored: still 204 (as DeleteBucketLifecycle and the other deletes).
    assert.equal((await send(srv, 'DELETE', BUCKET, [['transferAcceleration', '']])).status, 204);
    fails(await send(srv, 'DELETE', 'no-such-accel-bucket', [['transferAcceleration', '']]), 'NoSuchBucket', 404);
    // Authorized as oss:DeleteBucketTransferAcceleration on the bucket: an explicit Deny refuses it, and keeps the configuration.
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>' }));
    const ram = new Ram(srv);
    const u = await ram.userWith('accel-delete-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:DeleteBucketTransferAcceleration'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    fails(await send(srv, 'DELETE', BUCKET, [['transferAcceleration', '']], undefined, {}, [u.accessKeyId, u.accessKeySecret]), 'AccessDenied', 403);
    assert.ok(ok(await callOp(srv, 'GetBucketTransferAcceleration')).text.includes('<Enabled>true</Enabled>'));
    const only = await ram.userWith('accel-delete-only', policyDoc({ Effect: 'Allow', Action: ['oss:DeleteBucketTransferAcceleration'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    assert.equal((await send(srv, 'DELETE', BUCKET, [['transferAcceleration', '']], undefined, {}, [only.accessKeyId, only.accessKeySecret])).status, 204);
    fails(await callOp(srv, 'GetBucketTransferAcceleration'), 'NoSuchTransferAccelerationConfiguration', 404);
  });

  test('GetBucketInfo shows the stored acceleration, access monitor, resource group and replication', async () => {
    const info = async (): Promise<string> => ok(await send(srv, 'GET', BUCKET, [['bucketInfo', '']])).text;
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>' }));
    ok(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>' }));
    ok(await callOp(srv, 'PutBucketResourceGroup', { body: '<BucketResourceGroupConfiguration><ResourceGroupId>rg-info1</ResourceGroupId></BucketResourceGroupConfiguration>' }));
    ok(await callOp(srv, 'PutBucketReplication', { body: '<ReplicationConfiguration><Rule><ID>info</ID><Destination><Bucket>d</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>' }));
    let text = await info();
    for (const e of ['<AccessMonitor>Enabled</AccessMonitor>', '<CrossRegionReplication>Enabled</CrossRegionReplication>', '<ResourceGroupId>rg-info1</ResourceGroupId>', '<TransferAcceleration>Enabled</TransferAcceleration>']) assert.ok(text.includes(e), `${e} in ${text}`);
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>false</Enabled></TransferAccelerationConfiguration>' }));
    ok(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Disabled</Status></AccessMonitorConfiguration>' }));
    ok(await callOp(srv, 'DeleteBucketReplication', { body: '<ReplicationRules><ID>info</ID></ReplicationRules>' }));
    text = await info();
    for (const e of ['<AccessMonitor>Disabled</AccessMonitor>', '<CrossRegionReplication>Disabled</CrossRegionReplication>', '<TransferAcceleration>Disabled</TransferAcceleration>']) assert.ok(text.includes(e), `${e} in ${text}`);
  });

  test('typed values: booleans, enums, required elements; a bad document keeps the old one', async () => {
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>false</Enabled></TransferAccelerationConfiguration>' }));
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>yes</Enabled></TransferAccelerationConfiguration>' }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration></TransferAccelerationConfiguration>' }), 'MalformedXML', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>true</Enabled><Enabled>true</Enabled></TransferAccelerationConfiguration>' }), 'MalformedXML', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled><x/></Enabled></TransferAccelerationConfiguration>' }), 'MalformedXML', 400);
    assert.ok(ok(await callOp(srv, 'GetBucketTransferAcceleration')).text.includes('<Enabled>false</Enabled>'));
    fails(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>On</Status></AccessMonitorConfiguration>' }), 'MalformedXML', 400); // oss2 test_access_monitor
    fails(await callOp(srv, 'PutBucketHttpsConfig', { body: '<HttpsConfiguration><TLS><Enable>true</Enable><TLSVersion>SSLv3</TLSVersion></TLS></HttpsConfiguration>' }), 'MalformedXML', 400); // oss2 test_https_config_exception_2
    fails(await callOp(srv, 'PutBucketResourceGroup', { body: '<BucketResourceGroupConfiguration><ResourceGroupId>nope</ResourceGroupId></BucketResourceGroupConfiguration>' }), 'ResourceGroupIdPreCheckError', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<!DOCTYPE x [<!ENTITY a "b">]><TransferAccelerationConfiguration/>' }), 'MalformedXML', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: `<TransferAccelerationConfiguration>${' '.repeat(70 * 1024)}</TransferAccelerationConfiguration>` }), 'EntityTooLarge', 400);
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { bucket: 'no-such-bucket-here', body: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>' }), 'NoSuchBucket', 404);
  });

  test('common headers, object hash and process configuration are stored (Put / Delete)', async () => {
    ok(await callOp(srv, 'PutBucketCommonHeader', { body: '<CommonHeaders><Header><Key>Cache-Control</Key><Value>no-cache</Value></Header></CommonHeaders>' }));
    fails(await callOp(srv, 'PutBucketCommonHeader', { body: '<CommonHeaders><Header><Key>bad key</Key><Value>v</Value></Header></CommonHeaders>' }), 'InvalidArgument', 400);
    ok(await callOp(srv, 'DeleteBucketCommonHeader'), 204);
    ok(await callOp(srv, 'PutBucketHash', { body: '<ObjectHashConfiguration><ObjectHashFunction>SHA256</ObjectHashFunction><DisplayObjectHash>true</DisplayObjectHash></ObjectHashConfiguration>' }));
    fails(await callOp(srv, 'PutBucketHash', { body: '<ObjectHashConfiguration><DisplayObjectHash>true</DisplayObjectHash></ObjectHashConfiguration>' }), 'MalformedXML', 400);
    ok(await callOp(srv, 'PutProcessConfiguration', { body: '<BucketProcessConfiguration><CompliedHost>Both</CompliedHost></BucketProcessConfiguration>' }));
  });

  test('bucket tags through ali-oss: put, get, limits, partial delete; ListBuckets by tag-key / tag-value', async () => {
    type TagCalls = {
      putBucketTags(name: string, tags: Record<string, string>): Promise<{ status: number }>;
      getBucketTags(name: string): Promise<{ status: number; tag: Record<string, string> }>;
      deleteBucketTags(name: string): Promise<{ status: number }>;
    };
    const c = client as unknown as TagCalls;
    assert.deepEqual((await c.getBucketTags(BUCKET)).tag, {});
    assert.ok(ok(await callOp(srv, 'GetBucketTags')).text.endsWith('<Tagging><TagSet></TagSet></Tagging>'), 'no tags: an empty TagSet (the Java SDK reads it)');
    assert.equal((await c.putBucketTags(BUCKET, { team: 'blue', env: 'prod' })).status, 200);
    assert.deepEqual((await c.getBucketTags(BUCKET)).tag, { team: 'blue', env: 'prod' });
    const tooMany = Array.from({ length: 21 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('');
    fails(await callOp(srv, 'PutBucketTags', { body: `<Tagging><TagSet>${tooMany}</TagSet></Tagging>` }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'PutBucketTags', { body: '<Tagging><TagSet><Tag><Key>aliyun-x</Key><Value>v</Value></Tag></TagSet></Tagging>' }), 'InvalidTag', 400);
    fails(await callOp(srv, 'PutBucketTags', { body: `<Tagging><TagSet><Tag><Key>${'k'.repeat(65)}</Key><Value>v</Value></Tag></TagSet></Tagging>` }), 'InvalidTag', 400);
    fails(await callOp(srv, 'PutBucketTags', { body: '<Tagging><TagSet><Tag><Key>a</Key></Tag><Tag><Key>a</Key></Tag></TagSet></Tagging>' }), 'InvalidTag', 400);
    assert.deepEqual((await c.getBucketTags(BUCKET)).tag, { team: 'blue', env: 'prod' }, 'refused bodies changed nothing');

    await client.putBucket('stored-other');
    const names = async (q: Record<string, string>): Promise<string[]> => {
      const r = ok(await send(srv, 'GET', null, Object.entries(q)));
      return [...r.text.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]!);
    };
    assert.deepEqual(await names({ 'tag-key': 'team' }), [BUCKET]);
    assert.deepEqual(await names({ 'tag-key': 'team', 'tag-value': 'blue' }), [BUCKET]);
    assert.deepEqual(await names({ 'tag-key': 'team', 'tag-value': 'red' }), []);
    assert.deepEqual((await names({})).sort(), [BUCKET, 'stored-other'].sort());
    // The tagging form, as ali-oss's own "should list buckets by subres" sends it (a signed sub-resource), V1 and V4:
    // buckets with every pair, each with its tags (ali-oss's `tag`).
    type ListTagged = { listBuckets(q: Record<string, unknown>): Promise<{ buckets: Array<{ name: string; tag: Record<string, string> }> | null }> };
    for (const lister of [client, srv.client({ authorizationV4: true } as Partial<OSS.Options>)] as unknown as ListTagged[]) {
      const both = await lister.listBuckets({ subres: { tagging: '"team":"blue","env":"prod"' } });
      assert.deepEqual(both.buckets?.map((b) => [b.name, b.tag]), [[BUCKET, { team: 'blue', env: 'prod' }]]);
      assert.equal((await lister.listBuckets({ subres: { tagging: '"team":"red"' } })).buckets, null);
      assert.deepEqual((await lister.listBuckets({ 'tag-key': 'env' })).buckets?.map((b) => b.tag), [{ team: 'blue', env: 'prod' }]);
    }
    assert.deepEqual(await names({ tagging: '"team":"blue"', 'tag-key': 'env' }), [BUCKET]);
    assert.deepEqual(await names({ tagging: '"team":"blue"', 'tag-key': 'nope' }), []);
    fails(await send(srv, 'GET', null, [['tagging', 'team=blue']]), 'InvalidArgument', 400);
    fails(await send(srv, 'GET', null, [['tagging', '']]), 'InvalidArgument', 400);
    // Without a tag filter the entries carry no Tagging (as before).
    assert.doesNotMatch(ok(await send(srv, 'GET', null, [])).text, /<Tagging>/);

    ok(await callOp(srv, 'DeleteBucketTags', { query: [['tagging', 'env']] }), 204);
    assert.deepEqual((await c.getBucketTags(BUCKET)).tag, { team: 'blue' });
    // The same through ali-oss signing V4 (every query key signed).
    const v4 = srv.client({ authorizationV4: true } as Partial<OSS.Options>) as unknown as TagCalls;
    assert.equal((await v4.putBucketTags(BUCKET, { team: 'green' })).status, 200);
    assert.deepEqual((await v4.getBucketTags(BUCKET)).tag, { team: 'green' });
    assert.equal((await c.deleteBucketTags(BUCKET)).status, 204);
    assert.deepEqual((await c.getBucketTags(BUCKET)).tag, {});
    assert.deepEqual(await names({ 'tag-key': 'team' }), []);
    await client.deleteBucket('stored-other');
  });

  test('inventory through ali-oss: put, get, list, delete by id; Id must match; duplicates refused', async () => {
    type InvCalls = {
      putBucketInventory(bucket: string, inv: object): Promise<{ status: number }>;
      getBucketInventory(bucket: string, id: string): Promise<{ status: number; inventory: Record<string, unknown> }>;
      listBucketInventory(bucket: string): Promise<{ status: number; inventoryList: Array<Record<string, unknown>>; isTruncated: boolean }>;
      deleteBucketInventory(bucket: string, id: string): Promise<{ status: number }>;
    };
    const c = client as unknown as InvCalls;
    const inventory = (id: string): object => ({
      id, isEnabled: true, prefix: 'logs/', OSSBucketDestination: { format: 'CSV', accountId: '1234567890123456', rolename: 'AliyunOSSRole', bucket: BUCKET, prefix: 'inv/' },
      frequency: 'Daily', includedObjectVersions: 'All', optionalFields: { field: ['Size', 'LastModifiedDate'] },
    });
    assert.equal((await c.putBucketInventory(BUCKET, inventory('inv-a'))).status, 200);
    assert.equal((await c.putBucketInventory(BUCKET, inventory('inv-b'))).status, 200);
    const got = await c.getBucketInventory(BUCKET, 'inv-a');
    assert.equal(got.inventory.id, 'inv-a');
    assert.equal(got.inventory.frequency, 'Daily');
    assert.equal(got.inventory.isEnabled, true);
    const list = await c.listBucketInventory(BUCKET);
    assert.deepEqual(list.inventoryList.map((i) => i.id), ['inv-a', 'inv-b']);
    const dup = await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-a']], body: (await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv-a']] })).text });
    fails(dup, 'InventoryAlreadyExist', 409);
    const mismatch = (await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv-a']] })).text;
    fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-c']], body: mismatch }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-c']], body: mismatch.replace('inv-a', 'inv-c').replace('Daily', 'Hourly') }), 'InvalidArgument', 400);
    assert.equal((await c.deleteBucketInventory(BUCKET, 'inv-a')).status, 204);
    fails(await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv-a']] }), 'NoSuchInventory', 404);
    assert.deepEqual((await c.listBucketInventory(BUCKET)).inventoryList.map((i) => i.id), ['inv-b']);
    fails(await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'bad id!']] }), 'InvalidArgument', 400);
    // As oss2 writes it (to_put_inventory_configuration: str(is_enabled), Python's True), read back as true, the
    // only spelling oss2's _find_bool takes (test_bucket_inventory).
    const oss2Body = '<InventoryConfiguration><Id>inv-py</Id><IsEnabled>True</IsEnabled><IncludedObjectVersions>All</IncludedObjectVersions>' +
      '<Schedule><Frequency>Daily</Frequency></Schedule><OptionalFields><Field>Size</Field></OptionalFields><Destination><OSSBucketDestination>' +
      `<AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${BUCKET}</Bucket><Format>CSV</Format>` +
      '<Prefix>inv/</Prefix></OSSBucketDestination></Destination></InventoryConfiguration>';
    ok(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-py']], body: oss2Body }));
    assert.match((await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv-py']] })).text, /<IsEnabled>true<\/IsEnabled>/);
    // An incremental inventory (the Java SDK v2's testBucketInventoryOperationsWithIncremental): OSS's answer to an
    // account without the feature, nothing stored; any other unknown element stays MalformedXML.
    const incremental = oss2Body.replace('inv-py', 'inv-inc').replace('</InventoryConfiguration>',
      '<IncrementalInventory><IsEnabled>true</IsEnabled><Schedule><Frequency>600</Frequency></Schedule></IncrementalInventory></InventoryConfiguration>');
    const refused = fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-inc']], body: incremental }), 'AccessDenied', 403);
    assert.match(refused.text, /<Message>Incremental Inventory is disabled\.<\/Message>/);
    fails(await callOp(srv, 'GetBucketInventory', { query: [['inventoryId', 'inv-inc']] }), 'NoSuchInventory', 404);
    const unknown = fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-inc']], body: incremental.replace(/IncrementalInventory/g, 'Incremental') }), 'MalformedXML', 400);
    assert.match(unknown.text, /The document has an unknown element Incremental\./);
    fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'inv-py2']], body: oss2Body.replace('inv-py', 'inv-py2').replace('>True<', '>yes<') }), 'InvalidArgument', 400);
  });

  test('1,000 inventories a bucket, each written alone: the 1,001st is TooManyInventory; one after a delete is not; not part of the bucket record', async () => {
    const bucket = 'stored-inv-many';
    await srv.client().putBucket(bucket);
    const body = (id: string): string => `<InventoryConfiguration><Id>${id}</Id><IsEnabled>false</IsEnabled><Destination><OSSBucketDestination><Format>CSV</Format>` +
      `<AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${bucket}</Bucket><Prefix>inv/</Prefix>` +
      '</OSSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule><IncludedObjectVersions>All</IncludedObjectVersions></InventoryConfiguration>';
    const put = (id: string) => callOp(srv, 'PutBucketInventory', { bucket, query: [['inventoryId', id]], body: body(id) });
    const id = (i: number): string => `i${String(i).padStart(4, '0')}`;
    // 999 made in the store as PutBucketInventory keeps them (one entry each), the 1,000th through the API.
    ok(await put(id(0)));
    const stored = (await srv.meta.getConfigEntry(bucket, 'inventory', id(0)))!;
    for (let i = 1; i < 999; i++) await srv.meta.updateConfigEntry(bucket, 'inventory', id(i), () => stored.replace(id(0), id(i)));
    ok(await put(id(999)));
    fails(await put(id(1000)), 'TooManyInventory', 400);
    ok(await callOp(srv, 'DeleteBucketInventory', { bucket, query: [['inventoryId', id(7)]] }), 204);
    ok(await put(id(1000)));
    fails(await put(id(1001)), 'TooManyInventory', 400);
    // Listed 100 a page in Id order, ten pages.
    const seen: string[] = [];
    let token = '';
    for (let page = 0; page < 11; page++) {
      const r = ok(await callOp(srv, 'ListBucketInventory', { bucket, query: token === '' ? [] : [['continuation-token', token]] }));
      seen.push(...[...r.text.matchAll(/<Id>([^<]*)<\/Id>/g)].map((m) => m[1]!));
      token = /<NextContinuationToken>([^<]*)</.exec(r.text)?.[1] ?? '';
      if (token === '') break;
    }
    assert.equal(seen.length, 1000);
    assert.deepEqual(seen.slice(5, 8), [id(5), id(6), id(8)]);
    assert.equal(seen[999], id(1000));
    assert.deepEqual(Object.keys((await srv.meta.getBucket(bucket))!.configs), []);
  });

  test('inventory as the .NET SDK\'s tests use it: 104 configurations listed in pages of 100; one put without a Filter answers an empty one', async () => {
    const bucket = 'stored-inventories';
    await srv.client().putBucket(bucket);
    // BucketInventoryConfigurationSettingsTest.ListBucketInventoryConfigurationTest, as the SDK serializes it.
    const config = (id: string, filter: string): string => `<?xml version="1.0"?>\n<InventoryConfiguration>\n  <Id>${id}</Id>\n  <IsEnabled>false</IsEnabled>\n${filter}` +
      `  <Destination>\n    <OSSBucketDestination>\n      <Format>CSV</Format>\n      <AccountId>${ACCOUNT_ID}</AccountId>\n` +
      `      <RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn>\n      <Bucket>acs:oss:::${BUCKET}</Bucket>\n      <Prefix>prefix${id}</Prefix>\n` +
      '    </OSSBucketDestination>\n  </Destination>\n  <Schedule>\n    <Frequency>Daily</Frequency>\n  </Schedule>\n  <IncludedObjectVersions>All</IncludedObjectVersions>\n</InventoryConfiguration>';
    const ids = Array.from({ length: 104 }, (_, i) => `test${String(i).padStart(4, '0')}`);
    for (const [i, id] of ids.entries()) {
      const filter = i % 4 !== 0 ? `  <Filter>\n    <Prefix>filterPrefix${id}</Prefix>\n  </Filter>\n` : '';
      ok(await callOp(srv, 'PutBucketInventory', { bucket, query: [['inventoryId', id]], body: config(id, filter) }));
    }
    const idsOf = (xml: string): string[] => [...xml.matchAll(/<InventoryConfiguration><Id>([^<]*)<\/Id>/g)].map((m) => m[1]!);
    const first = ok(await callOp(srv, 'ListBucketInventory', { bucket, query: [['continuation-token', '']] })).text;
    assert.deepEqual(idsOf(first), ids.slice(0, 100));
    assert.match(first, /<IsTruncated>true<\/IsTruncated><NextContinuationToken>test0099<\/NextContinuationToken>/);
    const second = ok(await callOp(srv, 'ListBucketInventory', { bucket, query: [['continuation-token', 'test0099']] })).text;
    assert.deepEqual(idsOf(second), ids.slice(100));
    assert.doesNotMatch(second, /NextContinuationToken/);
    // BucketInventoryConfigurationBasicTest case 3: `Filter.Prefix` is "" for a configuration put without a Filter.
    assert.match(ok(await callOp(srv, 'GetBucketInventory', { bucket, query: [['inventoryId', 'test0000']] })).text, /<Filter><Prefix><\/Prefix><\/Filter>/);
    assert.match(ok(await callOp(srv, 'GetBucketInventory', { bucket, query: [['inventoryId', 'test0001']] })).text, /<Filter><Prefix>filterPrefixtest0001<\/Prefix><\/Filter>/);
    assert.match(first, /<Id>test0000<\/Id>.*?<Filter><Prefix><\/Prefix><\/Filter>/);
  });

  test('replication: add with a generated ID, get, RTC, progress, location, delete by ID', async () => {
    const none = fails(await callOp(srv, 'GetBucketReplicationProgress', { query: [['rule-id', 'nope']] }), 'NoSuchReplicationRule', 404);
    assert.match(none.text, /<Message>The BucketReplicationRule you specified does not exist<\/Message>/);
    const add = ok(await callOp(srv, 'PutBucketReplication', {
      body: '<ReplicationConfiguration><Rule><PrefixSet><Prefix>a/</Prefix></PrefixSet><Action>PUT</Action><Destination><Bucket>dest</Bucket><Location>oss-cn-beijing</Location></Destination></Rule></ReplicationConfiguration>',
    }));
    const id = add.headers['x-oss-replication-rule-id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    ok(await callOp(srv, 'PutBucketReplication', {
      body: '<ReplicationConfiguration><Rule><ID>second</ID><Destination><Bucket>dest2</Bucket><Location>oss-cn-hangzhou</Location></Destination></Rule></ReplicationConfiguration>',
    }));
    fails(await callOp(srv, 'PutBucketReplication', {
      body: '<ReplicationConfiguration><Rule><ID>second</ID><Destination><Bucket>d</Bucket><Location>oss-cn-hangzhou</Location></Destination></Rule></ReplicationConfiguration>',
    }), 'BucketReplicationAlreadyExist', 409);
    fails(await callOp(srv, 'PutBucketReplication', { body: '<ReplicationConfiguration><Rule><ID>x</ID></Rule></ReplicationConfiguration>' }), 'MalformedXML', 400);
    // The ID is echoed in the x-oss-replication-rule-id header: one the header cannot carry as it is (a control
    // character, beyond ASCII, a space at an end) is refused before anything is stored (it was stored, then 500).
    for (const bad of ['a&#1;b', 'r&#20013;', 'r&#233;', ' padded']) {
      fails(await callOp(srv, 'PutBucketReplication', { body: `<ReplicationConfiguration><Rule><ID>${bad}</ID><Destination><Bucket>d</Bucket><Location>oss-cn-hangzhou</Location></Destination></Rule></ReplicationConfiguration>` }), 'InvalidArgument', 400);
    }
    const got = ok(await callOp(srv, 'GetBucketReplication')).text;
    // The GetBucketInfo test's deleted rule may still be listed, closing.
    assert.equal(got.match(/<Status>starting<\/Status>/g)?.length, 2, got);
    assert.ok(got.includes(`<ID>${id}</ID><PrefixSet><Prefix>a/</Prefix></PrefixSet><Action>PUT</Action><Destination><Bucket>dest</Bucket><Location>oss-cn-beijing</Location></Destination><Status>starting</Status>`), got);
    assert.ok(got.includes('<ID>second</ID>'), got);
    ok(await callOp(srv, 'PutBucketRtc', { body: `<ReplicationRule><ID>second</ID><RTC><Status>enabled</Status></RTC></ReplicationRule>` }));
    // Turned on, RTC reads enabling while the rule has not taken effect (no bucket dest2 here: it never does).
    assert.ok(ok(await callOp(srv, 'GetBucketReplication')).text.includes('<RTC><Status>enabling</Status></RTC>'));
    fails(await callOp(srv, 'PutBucketRtc', { body: '<ReplicationRule><ID>none</ID><RTC><Status>enabled</Status></RTC></ReplicationRule>' }), 'NoSuchReplicationRule', 404);
    const progress = ok(await callOp(srv, 'GetBucketReplicationProgress', { query: [['rule-id', id]] })).text;
    assert.ok(progress.includes('<ReplicationProgress><Rule>') && progress.includes('<HistoricalObject>0.00</HistoricalObject>'), progress);
    const loc = ok(await callOp(srv, 'GetBucketReplicationLocation')).text;
    assert.ok(loc.includes('<Location>oss-cn-hangzhou</Location>') && loc.includes('<Location>oss-cn-beijing</Location>'), loc);
    fails(await callOp(srv, 'DeleteBucketReplication', { body: '<ReplicationRules><ID>nope</ID></ReplicationRules>' }), 'NoSuchReplicationRule', 404);
    ok(await callOp(srv, 'DeleteBucketReplication', { body: `<ReplicationRules><ID>${id}</ID></ReplicationRules>` }));
    // A deleted rule is listed as closing for a while (test/sdk-oss2-more.test.ts shows it go).
    const left = ok(await callOp(srv, 'GetBucketReplication')).text;
    assert.ok(left.includes(`<ID>${id}</ID>`) && left.includes('<Status>closing</Status>') && left.includes('<ID>second</ID>'), left);
    ok(await callOp(srv, 'DeleteBucketReplication', { body: '<ReplicationRules><ID>second</ID></ReplicationRules>' }));
    assert.ok(!ok(await callOp(srv, 'GetBucketReplication')).text.includes('<Status>starting</Status>'));

    // A configuration is at most 64 KiB in the store: the rule that would pass it is refused, the others stay.
    const big = (id: string): string => `<ReplicationConfiguration><Rule><ID>${id}</ID><PrefixSet>${Array.from({ length: 9 }, (_, i) => `<Prefix>${String(i).repeat(4000)}</Prefix>`).join('')}</PrefixSet><Destination><Bucket>${id}</Bucket><Location>oss-cn-hangzhou</Location></Destination></Rule></ReplicationConfiguration>`;
    ok(await callOp(srv, 'PutBucketReplication', { body: big('big-1') }));
    const over = fails(await callOp(srv, 'PutBucketReplication', { body: big('big-2') }), 'InvalidArgument', 400);
    assert.ok(over.err?.Message.includes('65536'), over.text);
    const kept = ok(await callOp(srv, 'GetBucketReplication')).text;
    assert.ok(kept.includes('<ID>big-1</ID>') && !kept.includes('big-2'), kept.slice(0, 200));
    ok(await callOp(srv, 'DeleteBucketReplication', { body: '<ReplicationRules><ID>big-1</ID></ReplicationRules>' }));
  });

  test('CNAME: token, bind, list, unbind; bad domains refused', async () => {
    fails(await callOp(srv, 'GetCnameToken', { query: [['cname', 'www.example.com']] }), 'CnameTokenNotFound', 404);
    const body = '<BucketCnameConfiguration><Cname><Domain>www.Example.com</Domain></Cname></BucketCnameConfiguration>';
    const token = ok(await callOp(srv, 'CreateCnameToken', { body })).text;
    assert.match(token, /<CnameToken><Bucket>stored-bucket<\/Bucket><Cname>www\.example\.com<\/Cname><Token>[0-9a-f]{32}<\/Token><ExpireTime>/);
    const again = ok(await callOp(srv, 'GetCnameToken', { query: [['cname', 'www.example.com']] })).text;
    assert.equal(/<Token>(\w+)<\/Token>/.exec(again)?.[1], /<Token>(\w+)<\/Token>/.exec(token)?.[1]);
    ok(await callOp(srv, 'PutCname', { body }));
    await client.putBucket('stored-cname-other');
    fails(await callOp(srv, 'PutCname', { bucket: 'stored-cname-other', body }), 'CnameAlreadyExists', 409);
    await client.deleteBucket('stored-cname-other');
    const list = ok(await callOp(srv, 'ListCname')).text;
    assert.ok(list.includes('<ListCnameResult><Bucket>stored-bucket</Bucket><Owner>') && list.includes('<Domain>www.example.com</Domain>'), list);
    fails(await callOp(srv, 'PutCname', { body: '<BucketCnameConfiguration><Cname><Domain>not a domain</Domain></Cname></BucketCnameConfiguration>' }), 'InvalidArgument', 400);
    ok(await callOp(srv, 'DeleteCname', { body }));
    // Again, the domain no longer bound: 200, nothing changes (oss2's test_bucket_cname.py and the PHP SDK expect it).
    ok(await callOp(srv, 'DeleteCname', { body }));
    assert.ok(!ok(await callOp(srv, 'ListCname')).text.includes('<Domain>'));
  });

  test('GetBucketPolicyStatus is computed from the bucket policy; DescribeRegions lists the regions', async () => {
    assert.ok(ok(await callOp(srv, 'GetBucketPolicyStatus')).text.includes('<PolicyStatus><IsPublic>false</IsPublic></PolicyStatus>'));
    const resource = [`acs:oss:*:*:${BUCKET}/*`];
    await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: resource }] });
    assert.ok(ok(await callOp(srv, 'GetBucketPolicyStatus')).text.includes('<IsPublic>true</IsPublic>'));
    const conditional = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: resource, Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } };
    await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [conditional] } as unknown as Parameters<OSS['putBucketPolicy']>[1]);
    assert.ok(ok(await callOp(srv, 'GetBucketPolicyStatus')).text.includes('<IsPublic>false</IsPublic>'));
    // No Principal (the Python SDK v2's test_bucket_policy) or an empty one: everyone, as authorization reads it.
    for (const principal of [{}, { Principal: [] }]) {
      const everyone = { Effect: 'Allow', Action: ['oss:PutObject'], ...principal, Resource: [`acs:oss:*:*:${BUCKET}`, ...resource] };
      await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [everyone] } as unknown as Parameters<OSS['putBucketPolicy']>[1]);
      assert.ok(ok(await callOp(srv, 'GetBucketPolicyStatus')).text.includes('<IsPublic>true</IsPublic>'), JSON.stringify(principal));
    }
    // Only named principals, or a Deny for everyone: not public.
    await client.putBucketPolicy(BUCKET, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['20214760404935xxxx'], Resource: resource }, { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: resource }] });
    assert.ok(ok(await callOp(srv, 'GetBucketPolicyStatus')).text.includes('<IsPublic>false</IsPublic>'));
    await client.deleteBucketPolicy(BUCKET);

    const all = ok(await send(srv, 'GET', null, [['regions', '']])).text;
    assert.ok(all.includes('<RegionInfoList><RegionInfo><Region>oss-ap-northeast-1</Region><InternetEndpoint>oss-ap-northeast-1.aliyuncs.com</InternetEndpoint>'), all);
    assert.ok(all.includes('<Region>oss-cn-hangzhou</Region><InternetEndpoint>oss-cn-hangzhou.aliyuncs.com</InternetEndpoint>'), all);
    assert.ok(all.includes('<Region>oss-eu-central-1</Region>'), all);
    const one = ok(await send(srv, 'GET', null, [['regions', 'oss-cn-beijing']])).text;
    assert.equal(one.split('<RegionInfo>').length - 1, 1);
    fails(await send(srv, 'GET', null, [['regions', 'oss-nowhere-9']]), 'NoSuchRegion', 404);
  });

  test('access points: create, get, list (account-wide), policy (validated JSON), delete', async () => {
    const create = (name: string, bucket = BUCKET): Promise<Reply> => callOp(srv, 'CreateAccessPoint', {
      bucket, body: `<CreateAccessPointConfiguration><AccessPointName>${name}</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>`,
    });
    const made = ok(await create('ap-01')).text;
    assert.match(made, /<CreateAccessPointResult><AccessPointArn>acs:oss:cn-hangzhou:1234567890123456:accesspoint\/ap-01<\/AccessPointArn><Alias>ap-01-[0-9a-f]+-ossalias<\/Alias><\/CreateAccessPointResult>/);
    fails(await create('ap-01'), 'AccessPointAlreadyExists', 409);
    fails(await create('AP_bad'), 'InvalidArgument', 400);
    fails(await callOp(srv, 'CreateAccessPoint', { body: '<CreateAccessPointConfiguration><AccessPointName>ap-02</AccessPointName><NetworkOrigin>vpc</NetworkOrigin></CreateAccessPointConfiguration>' }), 'MalformedXML', 400);
    await client.putBucket('stored-ap-other');
    fails(await create('ap-01', 'stored-ap-other'), 'AccessPointAlreadyExists', 409);
    ok(await create('ap-00', 'stored-ap-other'));
    const named = { 'x-oss-access-point-name': 'ap-01' };
    const got = ok(await callOp(srv, 'GetAccessPoint', { headers: named })).text;
    assert.ok(got.includes('<GetAccessPointResult><AccessPointName>ap-01</AccessPointName><Bucket>stored-bucket</Bucket><AccountId>1234567890123456</AccountId><NetworkOrigin>internet</NetworkOrigin>'), got);
    assert.ok(got.includes('<Status>enable</Status><Endpoints><PublicEndpoint>'), got);
    fails(await callOp(srv, 'GetAccessPoint', { headers: { 'x-oss-access-point-name': 'ap-99' } }), 'NoSuchAccessPoint', 404);
    const list = ok(await callOp(srv, 'ListAccessPoints')).text;
    assert.deepEqual([...list.matchAll(/<AccessPointName>([^<]+)<\/AccessPointName>/g)].map((m) => m[1]), ['ap-00', 'ap-01']);
    const page = ok(await callOp(srv, 'ListAccessPoints', { query: [['max-keys', '1']] })).text;
    assert.ok(page.includes('<IsTruncated>true</IsTruncated><NextContinuationToken>ap-00</NextContinuationToken>'), page);

    fails(await callOp(srv, 'GetAccessPointPolicy', { headers: named }), 'NoSuchAccessPointPolicy', 404);
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['123'], Resource: ['acs:oss:cn-hangzhou:1234567890123456:accesspoint/ap-01/object/*'] }] });
    fails(await callOp(srv, 'PutAccessPointPolicy', { headers: named, body: '{"Version":"1","Statement":[{"Effect":"Maybe"}]}' }), 'InvalidPolicyDocument', 400);
    fails(await callOp(srv, 'GetAccessPointPolicy', { headers: named }), 'NoSuchAccessPointPolicy', 404);
    ok(await callOp(srv, 'PutAccessPointPolicy', { headers: named, body: policy }));
    assert.equal(ok(await callOp(srv, 'GetAccessPointPolicy', { headers: named })).text, policy);
    ok(await callOp(srv, 'DeleteAccessPointPolicy', { headers: named }), 204);
    fails(await callOp(srv, 'GetAccessPointPolicy', { headers: named }), 'NoSuchAccessPointPolicy', 404);
    ok(await callOp(srv, 'DeleteAccessPoint', { headers: named }), 204);
    fails(await callOp(srv, 'DeleteAccessPoint', { headers: named }), 'NoSuchAccessPoint', 404);
    ok(await callOp(srv, 'DeleteAccessPoint', { bucket: 'stored-ap-other', headers: { 'x-oss-access-point-name': 'ap-00' } }), 204);
    await client.deleteBucket('stored-ap-other');
  });

  test('data redundancy transition: one task per bucket, queued, listed per bucket and account (carried out: test/oss-redundancy-transition.test.ts)', async () => {
    fails(await callOp(srv, 'CreateBucketDataRedundancyTransition', { query: [['x-oss-target-redundancy-type', 'LRS']] }), 'InvalidArgument', 400);
    const made = ok(await callOp(srv, 'CreateBucketDataRedundancyTransition', { query: [['x-oss-target-redundancy-type', 'ZRS']] })).text;
    const id = /<TaskId>([0-9a-f]{32})<\/TaskId>/.exec(made)?.[1];
    assert.ok(id, made);
    fails(await callOp(srv, 'CreateBucketDataRedundancyTransition', { query: [['x-oss-target-redundancy-type', 'ZRS']] }), 'BucketDataRedundancyTransitionTaskIsExist', 409);
    const got = ok(await callOp(srv, 'GetBucketDataRedundancyTransition', { query: [['x-oss-redundancy-transition-taskid', id]] })).text;
    assert.ok(got.includes(`<BucketDataRedundancyTransition><Bucket>stored-bucket</Bucket><TaskId>${id}</TaskId><Status>Queueing</Status><CreateTime>`), got);
    assert.ok(ok(await callOp(srv, 'ListBucketDataRedundancyTransition')).text.includes(`<TaskId>${id}</TaskId>`));
    const user = ok(await callOp(srv, 'ListUserDataRedundancyTransition')).text;
    assert.ok(user.includes('<IsTruncated>false</IsTruncated>') && user.includes(`<TaskId>${id}</TaskId>`), user);
    ok(await callOp(srv, 'DeleteBucketDataRedundancyTransition', { query: [['x-oss-redundancy-transition-taskid', id]] }), 204);
    fails(await callOp(srv, 'GetBucketDataRedundancyTransition', { query: [['x-oss-redundancy-transition-taskid', id]] }), 'BucketDataRedundancyTransitionTaskNotExist', 404);
  });

  test('meta query: open, status, close (DoMetaQuery itself: test/oss-meta-query.test.ts)', async () => {
    fails(await callOp(srv, 'GetMetaQueryStatus'), 'MetaQueryNotExist', 404);
    ok(await callOp(srv, 'OpenMetaQuery'));
    const status = ok(await callOp(srv, 'GetMetaQueryStatus')).text;
    // Ready for a moment after opening (then Running: test/oss-meta-query.test.ts), the mode shown.
    assert.match(status, /^(<\?xml[^>]*>\s*)?<MetaQueryStatus><State>Ready<\/State><Phase(><\/Phase|\/)><CreateTime>[^<]+<\/CreateTime><UpdateTime>[^<]+<\/UpdateTime><MetaQueryMode>basic<\/MetaQueryMode><\/MetaQueryStatus>$/, status);
    fails(await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'query']], '<MetaQuery><Query>{}</Query></MetaQuery>'), 'InvalidArgument', 400);
    ok(await callOp(srv, 'CloseMetaQuery'));
    fails(await callOp(srv, 'GetMetaQueryStatus'), 'MetaQueryNotExist', 404);
  });

  test('live channels through ali-oss: put, info, list, status, stat, history, delete (no RTMP ingest)', async () => {
    type Rtmp = {
      putChannel(id: string, conf: object): Promise<{ publishUrls: string[]; playUrls: string[] }>;
      getChannel(id: string): Promise<{ data: Record<string, unknown> }>;
      listChannels(q: Record<string, string>): Promise<{ channels: Array<Record<string, unknown>>; isTruncated: boolean; nextMarker: string | null }>;
      putChannelStatus(id: string, status: string): Promise<unknown>;
      getChannelStatus(id: string): Promise<{ data: Record<string, unknown> }>;
      getChannelHistory(id: string): Promise<{ records: unknown[] }>;
      deleteChannel(id: string): Promise<unknown>;
    };
    const c = srv.client({ bucket: BUCKET }) as unknown as Rtmp;
    const conf = { Description: 'cam', Status: 'enabled', Target: { Type: 'HLS', FragDuration: '10', FragCount: '5', PlaylistName: 'play.m3u8' } };
    const made = await c.putChannel('cam-1', conf);
    // On the host ali-oss sends (its IP-endpoint quirk: `<bucket>.oss-<region>.aliyuncs.com`).
    assert.deepEqual(made.publishUrls, ['rtmp://stored-bucket.oss-cn-hangzhou.aliyuncs.com/live/cam-1']);
    assert.deepEqual(made.playUrls, ['http://stored-bucket.oss-cn-hangzhou.aliyuncs.com/cam-1/play.m3u8']);
    await c.putChannel('cam-2', conf);
    const info = (await c.getChannel('cam-1')).data;
    assert.equal(info.Description, 'cam');
    assert.deepEqual(info.Target, { Type: 'HLS', FragDuration: '10', FragCount: '5', PlaylistName: 'play.m3u8' });
    const listed = await c.listChannels({ 'max-keys': '1' });
    assert.deepEqual(listed.channels.map((ch) => ch.Name), ['cam-1']);
    assert.equal(listed.isTruncated, true);
    assert.equal(listed.nextMarker, 'cam-1');
    assert.equal((await c.getChannelStatus('cam-1')).data.Status, 'Idle');
    await c.putChannelStatus('cam-1', 'disabled');
    assert.equal((await c.getChannelStatus('cam-1')).data.Status, 'Disabled');
    assert.equal((await c.getChannel('cam-1')).data.Status, 'disabled');
    assert.deepEqual((await c.getChannelHistory('cam-1')).records, []);
    fails(await callOp(srv, 'PutLiveChannelStatus', { key: 'cam-1', query: [['status', 'paused']] }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'PutLiveChannel', { key: 'cam-3', body: '<LiveChannelConfiguration><Target><Type>DASH</Type></Target></LiveChannelConfiguration>' }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'PutLiveChannel', { key: 'cam-3', body: '<LiveChannelConfiguration><Target><Type>HLS</Type><FragCount>500</FragCount></Target></LiveChannelConfiguration>' }), 'InvalidArgument', 400);
    fails(await callOp(srv, 'GetLiveChannelInfo', { key: 'cam-3' }), 'NoSuchLiveChannel', 404);
    await c.deleteChannel('cam-1');
    await c.deleteChannel('cam-2');
    // Deleting it again is 204, as for a channel that exists (the C++ SDK's DeleteLiveChannelTest).
    ok(await callOp(srv, 'DeleteLiveChannel', { key: 'cam-1' }), 204);
    assert.equal((await c.listChannels({})).channels.length, 0);
    // VOD playlists of a deleted channel without segments: "no segment", as ali-oss's own createVod test expects
    // (test/oss-vod.test.ts covers them).
    fails(await send(srv, 'GET', BUCKET, [['vod', ''], ['startTime', '1'], ['endTime', '2']], undefined, {}, [AK, SECRET], 'cam-1'), 'InvalidArgument', 400);
  });

  test('configurations survive a restart (SQLite: the same data directory)', { skip: process.env.ALUNITE_TEST_META === 'postgres' }, async () => {
    ok(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Enabled</Status><AllowCopy>true</AllowCopy></AccessMonitorConfiguration>' }));
    await srv.close();
    const again = await startTestServer({ dataDir: srv.dataDir });
    const dataDir = srv.dataDir;
    srv = { ...again, dataDir, stop: async () => { await again.stop(); await rm(dataDir, { recursive: true, force: true }); } };
    client = srv.client();
    assert.ok(ok(await callOp(srv, 'GetBucketAccessMonitor')).text.includes('<Status>Enabled</Status><AllowCopy>true</AllowCopy>'));
  });

  test('every stored operation is authorized as its own action: an explicit Deny of it refuses, an Allow of oss:* admits', async () => {
    const ram = new Ram(srv);
    const names = Object.keys(STORED_SCHEMAS) as StoredOperationName[];
    const actionOf = (n: string): string => `oss:${({ PutBucketTags: 'PutBucketTagging', GetBucketTags: 'GetBucketTagging', DeleteBucketTags: 'DeleteBucketTagging' } as Record<string, string>)[n] ?? n}`;
    const allowAll = { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] };
    const denied = await ram.userWith('stored-deny-all', policyDoc(allowAll, { Effect: 'Deny', Action: names.map(actionOf), Resource: ['acs:oss:*:*:*'] }));
    const allowed = await ram.userWith('stored-allow-all', policyDoc(allowAll));
    for (const name of names) {
      const entry = CATALOG.find((o) => o.name === name)!;
      const query: Array<[string, string]> = [...entry.requiredQuery.map((q): [string, string] => [q, 'x']), ...apNameQuery(entry)];
      const headers: Record<string, string> = Object.fromEntries(entry.requiredHeaders.map((h) => [h, 'ap-x']));
      const body = entry.method === 'PUT' || entry.method === 'POST' ? '<x/>' : undefined;
      const d = await callOp(srv, name, { query, body, headers, creds: [denied.accessKeyId, denied.accessKeySecret] });
      fails(d, 'AccessDenied', 403);
      const a = await callOp(srv, name, { query, body, headers, creds: [allowed.accessKeyId, allowed.accessKeySecret] });
      assert.notEqual(a.status, 403, `${name}: ${a.text.slice(0, 300)}`);
      assert.ok(a.status < 500, `${name}: ${a.text.slice(0, 300)}`);
    }
  });

  test('an explicit Deny refuses; an Allow of one action does not reach another; anonymous callers are refused', async () => {
    const ram = new Ram(srv);
    const u = await ram.userWith('stored-user', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketTransferAcceleration', 'oss:PutBucketTagging', 'oss:PutBucketInventory', 'oss:CreateAccessPoint', 'oss:ListAccessPoints'], Resource: [`acs:oss:*:*:${BUCKET}`, 'acs:oss:*:*:*'] },
    ));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const accel = '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>';
    ok(await callOp(srv, 'PutBucketTransferAcceleration', { body: '<TransferAccelerationConfiguration><Enabled>false</Enabled></TransferAccelerationConfiguration>' }));
    fails(await callOp(srv, 'PutBucketTransferAcceleration', { body: accel, creds }), 'AccessDenied', 403);
    assert.ok(ok(await callOp(srv, 'GetBucketTransferAcceleration', { creds })).text.includes('<Enabled>false</Enabled>'), 'the denied Put stored nothing');
    fails(await callOp(srv, 'PutBucketTags', { body: '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>', creds }), 'AccessDenied', 403);
    fails(await callOp(srv, 'PutBucketInventory', { query: [['inventoryId', 'x']], body: '<InventoryConfiguration/>', creds }), 'AccessDenied', 403);
    ok(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>', creds }));
    fails(await callOp(srv, 'CreateAccessPoint', { creds, body: '<CreateAccessPointConfiguration><AccessPointName>ap-denied</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' }), 'AccessDenied', 403);
    fails(await callOp(srv, 'ListAccessPoints', { creds }), 'AccessDenied', 403);
    assert.ok(!ok(await callOp(srv, 'ListAccessPoints')).text.includes('ap-denied'));

    // Access tracking is acted on now (lifecycle rules on the last access time): an explicit Deny holds too.
    const noMonitor = await ram.userWith('stored-deny-monitor', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketAccessMonitor'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    fails(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Disabled</Status></AccessMonitorConfiguration>', creds: [noMonitor.accessKeyId, noMonitor.accessKeySecret] }), 'AccessDenied', 403);
    assert.ok(ok(await callOp(srv, 'GetBucketAccessMonitor')).text.includes('<Status>Enabled</Status>'), 'the denied Put changed nothing');
    const narrow = await ram.userWith('stored-narrow', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketAccessMonitor'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    const ncreds: [string, string] = [narrow.accessKeyId, narrow.accessKeySecret];
    ok(await callOp(srv, 'GetBucketAccessMonitor', { creds: ncreds }));
    fails(await callOp(srv, 'PutBucketAccessMonitor', { body: '<AccessMonitorConfiguration><Status>Disabled</Status></AccessMonitorConfiguration>', creds: ncreds }), 'AccessDenied', 403);

    // ACLs never grant configurations: a public-read-write bucket still refuses anonymous callers.
    await client.putBucketACL(BUCKET, 'public-read-write');
    const anon = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/?transferAcceleration`, headers: { host: `localhost:${srv.port}` } });
    assert.equal(anon.status, 403, anon.body.toString('utf8'));
    const body = '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>';
    const anonPut = await rawRequest(srv.port, { method: 'PUT', path: `/${BUCKET}/?tagging`, headers: { host: `localhost:${srv.port}`, 'content-length': String(body.length) }, body });
    assert.equal(anonPut.status, 403, anonPut.body.toString('utf8'));
    await client.putBucketACL(BUCKET, 'private');
  });
});
