// Red-team wave 5: attacks on the day's changes, each against a real server the test starts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { startTestServer, type TestServer } from './helpers/server.js';
import { headersOf } from './helpers/oss.js';
import { rawPost } from './helpers/raw-http.js';

const DAY_MS = 60_000;

interface Extra {
  putBucketVersioning(bucket: string, status: string): Promise<unknown>;
  initiateBucketWorm(name: string, days: string | number): Promise<{ wormId: string }>;
  completeBucketWorm(name: string, wormId: string): Promise<{ status: number }>;
}
const x = (c: OSS): Extra => c as unknown as Extra;

// Held on the old code too (kept as a guard): a self-copy's version shares its bytes with the one it copies.
describe('redteam wave 5: CopyObject onto itself shares the bytes of a version', () => {
  let srv: TestServer;
  let offset = 0;

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset, timing: { retentionDayMs: DAY_MS } });
  });
  after(async () => {
    await srv?.stop();
  });

  it('deleting the older version (its retention over) leaves the newer, still protected version its bytes', async () => {
    const b = 'rt5-self-copy';
    const admin = srv.client();
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    const bytes = Buffer.alloc(200 * 1024, 7); // past the inline size: held in blobs
    const v1 = headersOf(await c.put('worm.bin', bytes))['x-oss-version-id']!;
    const init = await x(admin).initiateBucketWorm(b, 1);
    assert.equal((await x(admin).completeBucketWorm(b, init.wormId)).status, 200);
    offset += DAY_MS / 2;
    const copied = await c.copy('worm.bin', 'worm.bin', { headers: { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'application/x-rt5' } } as OSS.CopyObjectOptions);
    const v2 = headersOf(copied)['x-oss-version-id']!;
    assert.ok(v2 && v2 !== v1);
    // v1's day is over, v2 (written half a day later) is still under retention.
    offset += DAY_MS * 0.75;
    await c.delete('worm.bin', { versionId: v1 } as OSS.RequestOptions);
    const got = (await c.get('worm.bin', { versionId: v2 } as OSS.GetObjectOptions)) as unknown as { content: Buffer };
    assert.ok(got.content.equals(bytes), 'the protected version lost its bytes');
  });
});

describe('redteam wave 5: POP RPC JSON bodies are read before the signature is checked', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  const post = (body: string) => rawPost(srv.port, '/?Action=GetCallerIdentity&Version=2015-04-01&Format=JSON', 'application/json', body);

  it('an unauthenticated 1 MiB body of nested arrays is refused before JSON.parse builds half a million of them', async () => {
    // JSON.parse of this held the event loop ~0.3-0.5 s per request, no credential needed (a 1 MiB form: ~0.08 s).
    const levels = 512 * 1024 - 16;
    const deep = `{"A":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    const res = await post(deep);
    const doc = JSON.parse(res.body.toString('utf8')) as { Code?: string; Message?: string };
    assert.equal(res.status, 400, res.body.toString('utf8'));
    assert.equal(doc.Code, 'InvalidParameter');
    assert.match(doc.Message ?? '', /nests deeper than 64 levels/);
    // Brackets inside strings are not nesting; a body within the bound is read as before (then the signature).
    const shallow = `{"A":"${'['.repeat(1000)}","B":${'['.repeat(63)}${']'.repeat(63)}}`;
    const ok = await post(shallow);
    const okDoc = JSON.parse(ok.body.toString('utf8')) as { Code?: string };
    assert.notEqual(okDoc.Code, 'InvalidParameter', ok.body.toString('utf8'));
  });
});
