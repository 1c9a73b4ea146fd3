// Findings of test/fuzz-catalog.test.ts (the fuzzer generated from the API metadata), each reduced to the request
// that showed it, against a real server: a write refused with an error must have changed nothing.
//
// - InitiateMultipartUpload with an `encoding-type` other than `url` was 400 InvalidEncodingType, but the upload had
//   been created (listed by ListMultipartUploads, holding a place among the bucket's uploads). Found with
//   `?uploads&encoding-type=url&encoding-type=` (seed 20261207).
// - CompleteMultipartUpload the same: the object was written and the upload gone, yet the answer was 400, so a
//   client that retried got NoSuchUpload for an upload that had completed.
// - DeleteMultipleObjects checked each entry's VersionId only as it came to it: keys listed before a bad one were
//   deleted, then the request was 400. And a key no other request may name (`\gone-0`, over 1,023 bytes) was taken: in
//   a versioned bucket it got a delete marker that HEAD, GET and DeleteObject refuse as InvalidObjectName. Found by
//   the listing check after test/fuzz-server.test.ts (seed 108, FUZZ_VERSIONED=1: `<Key>\gone-0</Key>`).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'fuzz-findings';

describe('refused writes found by the catalog fuzzer change nothing', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    succeeds(await signedRequest(srv.port, 'PUT', BUCKET, null, []));
  });
  after(async () => {
    await srv.stop();
  });

  const uploads = async (): Promise<number> => (succeeds(await signedRequest(srv.port, 'GET', BUCKET, null, [['uploads', '']])).text.match(/<Upload>/g) ?? []).length;

  it('InitiateMultipartUpload with a bad encoding-type: refused, no upload made', async () => {
    for (const value of ['%', 'URL', 'xml']) {
      failsWith(await signedRequest(srv.port, 'POST', BUCKET, 'mp', [['uploads', ''], ['encoding-type', value]]), 'InvalidEncodingType', 400);
    }
    assert.equal(await uploads(), 0);
    const ok = succeeds(await signedRequest(srv.port, 'POST', BUCKET, 'mp', [['uploads', ''], ['encoding-type', 'url']]));
    assert.match(ok.text, /<EncodingType>url<\/EncodingType>/);
    assert.equal(await uploads(), 1);
  });

  it('CompleteMultipartUpload with a bad encoding-type: refused, the upload still open and no object written', async () => {
    const init = succeeds(await signedRequest(srv.port, 'POST', BUCKET, 'done', [['uploads', '']]));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = succeeds(await signedRequest(srv.port, 'PUT', BUCKET, 'done', [['partNumber', '1'], ['uploadId', uploadId]], { body: 'one part' }));
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers.etag)}</ETag></Part></CompleteMultipartUpload>`;
    failsWith(await signedRequest(srv.port, 'POST', BUCKET, 'done', [['uploadId', uploadId], ['encoding-type', 'bogus']], { body }), 'InvalidEncodingType', 400);
    failsWith(await signedRequest(srv.port, 'GET', BUCKET, 'done', []), 'NoSuchKey', 404);
    succeeds(await signedRequest(srv.port, 'GET', BUCKET, 'done', [['uploadId', uploadId]]));
    // The same request with a valid encoding-type then completes it.
    succeeds(await signedRequest(srv.port, 'POST', BUCKET, 'done', [['uploadId', uploadId], ['encoding-type', 'url']], { body }));
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', BUCKET, 'done', [])).text, 'one part');
  });

  const deleteMany = (bucket: string, objects: string): ReturnType<typeof signedRequest> => {
    const body = `<Delete><Quiet>false</Quiet>${objects}</Delete>`;
    return signedRequest(srv.port, 'POST', bucket, null, [['delete', '']], { body, headers: { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' } });
  };

  it('DeleteMultipleObjects with a bad VersionId after a good key: refused as a whole, the key still there', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', BUCKET, 'kept', [], { body: 'still here' }));
    failsWith(await deleteMany(BUCKET, '<Object><Key>kept</Key></Object><Object><Key>other</Key><VersionId>a b</VersionId></Object>'), 'InvalidArgument', 400);
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', BUCKET, 'kept', [])).text, 'still here');
  });

  it('DeleteMultipleObjects naming a key no request may name: InvalidObjectName, no delete marker made', async () => {
    const versioned = 'fuzz-findings-versioned';
    succeeds(await signedRequest(srv.port, 'PUT', versioned, null, []));
    succeeds(await signedRequest(srv.port, 'PUT', versioned, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    succeeds(await signedRequest(srv.port, 'PUT', versioned, 'kept', [], { body: 'still here' }));
    for (const bad of ['\\gone-0', 'k'.repeat(1024)]) {
      failsWith(await deleteMany(versioned, `<Object><Key>kept</Key></Object><Object><Key>${bad}</Key></Object>`), 'InvalidObjectName', 400);
    }
    const versions = succeeds(await signedRequest(srv.port, 'GET', versioned, null, [['versions', '']])).text;
    assert.doesNotMatch(versions, /<DeleteMarker>/);
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', versioned, 'kept', [])).text, 'still here');
  });
});
