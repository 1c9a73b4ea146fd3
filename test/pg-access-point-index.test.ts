// The access point alias index (docs/access-points.md) shared by several server processes on one PostgreSQL
// database: an alias created through one server is served by another at once; unknown aliases (anonymous, from
// the network) make no server scan the buckets (calls of the store's listBuckets counted); DeleteAccessPoint and
// DeleteBucket take the alias out of the shared index, so no server resolves it any more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { accessPointPolicyCompilations } from '../src/authz/access-point.js';
import { ALIAS_INDEX } from '../src/domain/access-point.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { testPostgres } from './helpers/postgres.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'ap-index-data';

interface Reply { status: number; text: string; code: string | undefined }

async function send(srv: TestServer, method: string, bucket: string, key: string | null, query: Array<[string, string]> = [], opts: { body?: string; headers?: Record<string, string>; anonymous?: boolean } = {}): Promise<Reply> {
  const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  if (opts.anonymous !== true) headers.authorization = v1Authorization({ method, bucket, key, query, headers }, AK, SECRET).authorization;
  const res = await rawRequest(srv.port, { method, path: `/${bucket}/${key === null ? '' : encodeURIComponent(key)}${qs}`, headers, body: opts.body });
  return { status: res.status, text: res.body.toString('utf8'), code: errorOf(res)?.Code };
}

const expect = (r: Reply, status: number, code?: string): Reply => {
  assert.equal(r.status, status, r.text.slice(0, 500));
  if (code !== undefined) assert.equal(r.code, code, r.text.slice(0, 500));
  return r;
};

/** Counts the store's bucket listings (the full scan an alias miss used to cost). */
function countListings(srv: TestServer): () => number {
  let n = 0;
  const original = srv.meta.listBuckets.bind(srv.meta);
  srv.meta.listBuckets = (q) => {
    n++;
    return original(q);
  };
  return () => n;
}

describe('access point aliases across servers sharing one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  let url = '';
  const noWorkers = { lifecycle: { enabled: false }, inventory: { enabled: false } };

  async function createAp(srv: TestServer, bucket: string, name: string): Promise<string> {
    const r = expect(await send(srv, 'PUT', bucket, null, [['accessPoint', '']], { body: `<CreateAccessPointConfiguration><AccessPointName>${name}</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>` }), 200);
    const alias = /<Alias>([^<]+)<\/Alias>/.exec(r.text)![1]!;
    const arn = `acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspoint/${name}`;
    expect(await send(srv, 'PUT', bucket, null, [['accessPointPolicy', '']], {
      headers: { 'x-oss-access-point-name': name },
      body: policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${arn}/object/*`] }),
    }), 200);
    return alias;
  }

  before(async () => {
    url = await (await testPostgres()).freshUrl();
    const masterKey = randomBytes(32);
    a = await startTestServer({ meta: url, masterKey, ...noWorkers });
    b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir, ...noWorkers });
    assert.ok(a.meta instanceof PostgresMetadataStore && b.meta instanceof PostgresMetadataStore);
    await a.client().putBucket(BUCKET);
    await a.client({ bucket: BUCKET }).put('a.txt', Buffer.from('hello'));
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('an alias created through one server is served by the other; unknown aliases scan no buckets', async () => {
    const listedA = countListings(a);
    const listedB = countListings(b);
    const alias = await createAp(a, BUCKET, 'ap-shared');
    // B has never seen this alias: one point read of the shared index finds it.
    assert.equal((await send(b, 'GET', alias, 'a.txt')).text, 'hello');
    // B entered the (here: no) access points made before the index once; from then on nothing scans.
    const scansSoFar = listedB();
    assert.ok(scansSoFar <= 1, `B listed buckets ${scansSoFar} times`);
    // (CreateAccessPoint itself lists the account's buckets: names are unique per account.)
    const listedABefore = listedA();
    for (let round = 0; round < 3; round++) {
      // More than a second apart: the index this replaced rescanned every bucket on a miss once a second.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => send(b, 'GET', `x${round}-${i}-0123456789abcdef012345-ossalias`, 'k', [], { anonymous: true })));
      for (const r of replies) expect(r, 404, 'NoSuchBucket');
      expect(await send(a, 'GET', `y${round}-0123456789abcdef012345-ossalias`, 'k', [], { anonymous: true }), 404, 'NoSuchBucket');
    }
    assert.equal(listedB(), scansSoFar);
    assert.equal(listedA(), listedABefore);
    // Still served by both.
    assert.equal((await send(a, 'GET', alias, 'a.txt')).text, 'hello');
    assert.equal((await send(b, 'GET', alias, 'a.txt')).text, 'hello');
  });

  it('an access point policy changed through one server takes effect on the other at once (compiled once per stored document)', async () => {
    const alias = await createAp(a, BUCKET, 'ap-policy');
    const arn = `acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspoint/ap-policy`;
    const put = (srv: TestServer, ...statements: object[]): Promise<Reply> =>
      send(srv, 'PUT', BUCKET, null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-policy' }, body: policyDoc(...statements) });
    const allow = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${arn}/object/*`] };
    const before = accessPointPolicyCompilations();
    for (let i = 0; i < 3; i++) {
      assert.equal((await send(b, 'GET', alias, 'a.txt')).text, 'hello');
      assert.equal((await send(a, 'GET', alias, 'a.txt')).text, 'hello');
    }
    // Both servers run in this process: at most once each for this stored document.
    assert.ok(accessPointPolicyCompilations() - before <= 2, `prepared ${accessPointPolicyCompilations() - before} times`);
    expect(await put(a, allow, { Effect: 'Deny', Action: ['oss:GetObject'], Principal: [ACCOUNT_ID], Resource: [`${arn}/object/*`] }), 200);
    expect(await send(b, 'GET', alias, 'a.txt'), 403, 'AccessDenied');
    expect(await send(b, 'DELETE', BUCKET, null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-policy' } }), 204);
    expect(await send(a, 'GET', alias, 'a.txt'), 403, 'AccessDenied');
    expect(await put(b, allow), 200);
    assert.equal((await send(a, 'GET', alias, 'a.txt')).text, 'hello');
    assert.equal((await send(b, 'GET', alias, 'a.txt')).text, 'hello');
  });

  it('DeleteAccessPoint on one server: the alias leaves the shared index and no server resolves it', async () => {
    const alias = await createAp(b, BUCKET, 'ap-gone');
    assert.equal((await send(a, 'GET', alias, 'a.txt')).text, 'hello');
    assert.equal(await a.meta.getIndexEntry(ALIAS_INDEX, alias), BUCKET);
    expect(await send(b, 'DELETE', BUCKET, null, [['accessPoint', '']], { headers: { 'x-oss-access-point-name': 'ap-gone' } }), 204);
    assert.equal(await a.meta.getIndexEntry(ALIAS_INDEX, alias), null);
    expect(await send(a, 'GET', alias, 'a.txt'), 404, 'NoSuchBucket');
    expect(await send(b, 'GET', alias, 'a.txt'), 404, 'NoSuchBucket');
  });

  it('DeleteBucket takes its access points out of the index; a refused CreateAccessPoint leaves no entry', async () => {
    await a.client().putBucket('ap-index-empty');
    const alias = await createAp(a, 'ap-index-empty', 'ap-doomed');
    assert.equal(await b.meta.getIndexEntry(ALIAS_INDEX, alias), 'ap-index-empty');
    // The same name again is refused: the alias it would have had is not left in the index.
    const entries = async (): Promise<string[]> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const { rows } = await c.query<{ name: string }>('SELECT name FROM bucket_configs WHERE bucket = $1 ORDER BY name', [`/index/${ALIAS_INDEX}`]);
        return rows.map((r) => r.name);
      } finally {
        await c.end();
      }
    };
    const held = await entries();
    assert.ok(held.includes(alias) && held.includes('.built'), held.join());
    expect(await send(a, 'PUT', 'ap-index-empty', null, [['accessPoint', '']], { body: '<CreateAccessPointConfiguration><AccessPointName>ap-doomed</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' }), 409, 'AccessPointAlreadyExists');
    assert.deepEqual(await entries(), held);
    expect(await send(b, 'DELETE', 'ap-index-empty', null), 204);
    assert.equal(await a.meta.getIndexEntry(ALIAS_INDEX, alias), null);
    assert.deepEqual(await entries(), held.filter((n) => n !== alias));
    expect(await send(a, 'GET', alias, 'a.txt'), 404, 'NoSuchBucket');
  });
});
