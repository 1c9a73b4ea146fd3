// A read that finds its blob gone (another process on the same PostgreSQL database and blob directory removed it after
// this one read the record) answers NoSuchKey only when the object is gone as a request would find it now
// (ObjectService.vanisher, ReadRangesOptions.vanished). Not for reads that are not of a stored object (a sequential
// upload's complete reading its parts: InvalidPart, as before the vanisher), and not when the version read is gone but
// the key still has a current object (a later GET would read it): a NoSuchKey there is a false "no such object" that
// clients do not retry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { startServerPairOnPostgres } from './helpers/server.js';
import { staleNext } from './helpers/read-window.js';

describe('a read whose blob another process removed', () => {
  it('a sequential complete whose part was uploaded again through the other server: 400 InvalidPart, not 404 NoSuchKey', async () => {
    const pair = await startServerPairOnPostgres();
    const { a, b } = pair;
    try {
      const bucket = 'vanish-mpu';
      const key = 'fresh-key';
      succeeds(await signedRequest(a.port, 'PUT', bucket, null, []));
      const init = succeeds(await signedRequest(a.port, 'POST', bucket, key, [['uploads', ''], ['sequential', '']]));
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
      const part = Buffer.alloc(200_000, 7);
      const put = succeeds(await signedRequest(a.port, 'PUT', bucket, key, [['partNumber', '1'], ['uploadId', uploadId]], { body: part }));
      const etag = String(put.headers.etag);
      const fired = staleNext(b, 'listParts', (id) => id === uploadId, async () => {
        succeeds(await signedRequest(a.port, 'PUT', bucket, key, [['partNumber', '1'], ['uploadId', uploadId]], { body: Buffer.alloc(200_000, 9) }));
      });
      const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
      const r = await signedRequest(b.port, 'POST', bucket, key, [['uploadId', uploadId]], { body: xml });
      assert.ok(fired(), 'the window was not hit');
      failsWith(r, 'InvalidPart', 400);
    } finally {
      await pair.stop();
    }
  });

  it('a versioned GET whose version was deleted through the other server while the key has another: not 404 NoSuchKey', async () => {
    const pair = await startServerPairOnPostgres();
    const { a, b } = pair;
    try {
      const bucket = 'vanish-versions';
      const key = 'k';
      succeeds(await signedRequest(a.port, 'PUT', bucket, null, []));
      succeeds(await signedRequest(a.port, 'PUT', bucket, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
      succeeds(await signedRequest(a.port, 'PUT', bucket, key, [], { body: Buffer.alloc(300_000, 1) }));
      const v1 = String(succeeds(await signedRequest(a.port, 'PUT', bucket, key, [], { body: Buffer.alloc(300_000, 2) })).headers['x-oss-version-id']);
      const fired = staleNext(b, 'getObject', (bk, k) => bk === bucket && k === key, async () => {
        succeeds(await signedRequest(a.port, 'DELETE', bucket, key, [['versionId', v1]]), 204);
      });
      const r = await signedRequest(b.port, 'GET', bucket, key, []);
      assert.ok(fired(), 'the window was not hit');
      // The key still has a current object (the first version): a GET now reads it.
      assert.ok(succeeds(await signedRequest(a.port, 'GET', bucket, key, [])).body.equals(Buffer.alloc(300_000, 1)));
      assert.notEqual(r.err?.Code, 'NoSuchKey', `${r.status} ${r.text.slice(0, 300)}`);
      // The one clean answer the read can give without the bytes: the server's error, which clients retry.
      failsWith(r, 'InternalError', 500);
      // With the key gone too (no current object), the read of a removed version answers as after the delete.
      const v0 = String(succeeds(await signedRequest(a.port, 'HEAD', bucket, key, [])).headers['x-oss-version-id']);
      const gone = staleNext(b, 'getObject', (bk, k) => bk === bucket && k === key, async () => {
        succeeds(await signedRequest(a.port, 'DELETE', bucket, key, [['versionId', v0]]), 204);
      });
      const r2 = await signedRequest(b.port, 'GET', bucket, key, []);
      assert.ok(gone(), 'the window was not hit');
      failsWith(r2, 'NoSuchKey', 404);
    } finally {
      await pair.stop();
    }
  });
});
