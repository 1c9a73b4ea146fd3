// What the server fuzz run on PostgreSQL (test/pg-fuzz-server.test.ts) found, each case pinned: a real server
// with its metadata in PostgreSQL (a fresh schema), raw signed requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKey, errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';

describe('PostgreSQL: fuzz findings', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  const send = (method: string, bucket: string, key: string | null, query: Array<[string, string]> = [], headers: Record<string, string> = {}, body = ''): Promise<RawResponse> => {
    const h = { date: new Date().toUTCString(), ...headers };
    const { authorization } = v1Authorization({ method, bucket, key, query, headers: h }, AK, SECRET);
    const qs = query.length === 0 ? '' : `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}`;
    return rawRequest(srv.port, {
      method, path: `/${bucket}/${key === null ? '' : encodeKey(key)}${qs}`,
      headers: { ...h, authorization, host: `127.0.0.1:${srv.port}`, 'content-length': String(Buffer.byteLength(body)) }, body,
    });
  };
  const ok = (res: RawResponse): RawResponse => {
    assert.equal(res.status, 200, res.body.toString());
    return res;
  };

  // Seed 12 (two processes): PutSymlink with x-oss-symlink-target a%00b answered InternalError, PostgreSQL text
  // refusing the byte 0x00. A key may hold U+0000 (keys are bytea), so a symlink may point at one.
  it('PutSymlink to a key holding U+0000: stored, read back by GetSymlink, followed by GET; also as an older version', async () => {
    const bucket = 'nul-target';
    ok(await send('PUT', bucket, null));
    const target = 'has\0nul';
    ok(await send('PUT', bucket, target, [], {}, 'through the link'));
    ok(await send('PUT', bucket, 'link', [['symlink', '']], { 'x-oss-symlink-target': encodeURIComponent(target) }));
    const got = ok(await send('GET', bucket, 'link', [['symlink', '']]));
    assert.equal(decodeURIComponent(String(got.headers['x-oss-symlink-target'])), target);
    assert.equal(ok(await send('GET', bucket, 'link')).body.toString(), 'through the link');

    // In a versioned bucket the link's first version, moved to the versions table, keeps its target.
    const versioned = 'nul-target-versioned';
    ok(await send('PUT', versioned, null));
    ok(await send('PUT', versioned, null, [['versioning', '']], {}, '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>'));
    const first = ok(await send('PUT', versioned, 'link', [['symlink', '']], { 'x-oss-symlink-target': encodeURIComponent(target) }));
    const firstId = String(first.headers['x-oss-version-id']);
    ok(await send('PUT', versioned, 'link', [['symlink', '']], { 'x-oss-symlink-target': 'plain' }));
    const old = ok(await send('GET', versioned, 'link', [['symlink', ''], ['versionId', firstId]]));
    assert.equal(decodeURIComponent(String(old.headers['x-oss-symlink-target'])), target);
    const current = ok(await send('GET', versioned, 'link', [['symlink', '']]));
    assert.equal(current.headers['x-oss-symlink-target'], 'plain');
  });

  // Seed 206 (two processes): CopyObject whose x-oss-copy-source named the bucket `fuzz-%00main` answered InternalError,
  // PostgreSQL text refusing the byte 0x00 in the bucket lookup authorization makes. No bucket name holds U+0000:
  // the source bucket does not exist, 404 NoSuchBucket, as on SQLite; the same for UploadPartCopy.
  it('a copy source whose bucket name holds U+0000: NoSuchBucket (CopyObject, UploadPartCopy), not an internal error', async () => {
    const bucket = 'nul-source';
    ok(await send('PUT', bucket, null));
    ok(await send('PUT', bucket, 'src', [], {}, 'source'));
    for (const source of [`/${bucket}%00/src`, `/nul%00source/src?versionId=abc`]) {
      const copy = await send('PUT', bucket, 'dst', [], { 'x-oss-copy-source': source });
      assert.equal(copy.status, 404, copy.body.toString());
      assert.equal(errorOf(copy)?.Code, 'NoSuchBucket');
    }
    const init = ok(await send('POST', bucket, 'mp', [['uploads', '']]));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())![1]!;
    const part = await send('PUT', bucket, 'mp', [['partNumber', '1'], ['uploadId', uploadId]], { 'x-oss-copy-source': `/${bucket}%00/src` });
    assert.equal(part.status, 404, part.body.toString());
    assert.equal(errorOf(part)?.Code, 'NoSuchBucket');
    assert.equal((await send('GET', bucket, 'dst')).status, 404, 'nothing was copied');
  });
});
