// The access-rules suites (Referer, Block Public Access, pay-by-requester) again with the metadata in
// PostgreSQL: the configurations go through bucket_configs there, and the rules read them off the bucket record.
// Then two servers on one database: a rule set through one is enforced by the other (its cached bucket
// records are dropped when the bucket counter moves), the account-level block included.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bucketXml } from './helpers/bucket-xml.js';
import { testPostgres } from './helpers/postgres.js';
import { rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, assertServersOnPostgres, SECRET, startTestServer, type TestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-referer.test.js');
await import('./oss-public-access-block.test.js');
await import('./oss-request-payment.test.js');

it('the access-rules suites really run on PostgreSQL', assertServersOnPostgres);

describe('access rules across two servers sharing one PostgreSQL database', () => {
  const BUCKET = 'shared-rules';
  let a: TestServer;
  let b: TestServer;
  const anonymousStatus = async (srv: TestServer, referer?: string): Promise<number> =>
    (await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/pub.txt`, headers: { host: `127.0.0.1:${srv.port}`, ...(referer ? { referer } : {}) } })).status;
  /** Polls (generous deadline: the machine is shared) until `srv` answers `want`. */
  const eventually = async (srv: TestServer, want: number, referer?: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    let got = await anonymousStatus(srv, referer);
    while (got !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      got = await anonymousStatus(srv, referer);
    }
    assert.equal(got, want);
  };
  const accountBlock = async (srv: TestServer, body: string | undefined): Promise<number> => {
    const method = body === undefined ? 'DELETE' : 'PUT';
    const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString() };
    const { authorization } = v1Authorization({ method, bucket: null, key: null, query: [['publicAccessBlock', '']], headers }, AK, SECRET);
    return (await rawRequest(srv.port, { method, path: '/?publicAccessBlock', headers: { ...headers, host: `127.0.0.1:${srv.port}`, authorization }, body })).status;
  };

  before(async () => {
    const url = await (await testPostgres()).freshUrl();
    const masterKey = randomBytes(32);
    a = await startTestServer({ meta: url, masterKey });
    b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir });
    const client = a.client({ bucket: BUCKET });
    await client.putBucket(BUCKET);
    await client.putBucketACL(BUCKET, 'public-read');
    await client.put('pub.txt', Buffer.from('public'));
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('the account-level block set through A is enforced by B, and lifted likewise', async () => {
    await eventually(b, 200); // B has the bucket record cached from here on
    assert.equal(await accountBlock(a, '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>'), 200);
    await eventually(b, 403);
    assert.equal(await accountBlock(a, undefined), 204);
    await eventually(b, 200);
  });

  it('a Referer whitelist set through A is enforced by B', async () => {
    await bucketXml(a.client({ bucket: BUCKET }), 'PUT', BUCKET, 'referer',
      '<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>https://ok.example</Referer></RefererList></RefererConfiguration>');
    await eventually(b, 403, 'https://evil.example/');
    await eventually(b, 200, 'https://ok.example/page');
  });
});
