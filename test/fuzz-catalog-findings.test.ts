// Findings of test/fuzz-catalog.test.ts (the fuzzer generated from the API metadata), each reduced to the request
// that showed it, against a real server: a write refused with an error must have changed nothing.
//
// - InitiateMultipartUpload with an `encoding-type` other than `url` was 400 InvalidEncodingType, but the upload had
//   been created (listed by ListMultipartUploads, holding a place among the bucket's uploads). Found with
//   `?uploads&encoding-type=url&encoding-type=` (seed 20261207).
// - CompleteMultipartUpload the same: the object was written and the upload gone, yet the answer was 400, so a
//   client that retried got NoSuchUpload for an upload that had completed.
import assert from 'node:assert/strict';
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
});
