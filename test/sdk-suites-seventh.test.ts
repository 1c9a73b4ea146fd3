// The official SDKs' own test suites, seventh reading: the .NET SDK's (aliyun/aliyun-oss-csharp-sdk
// test/TestCase/ObjectTestCase/ObjectBasicOperationTest.cs). Requests are built as the SDK builds them (path style
// on an IP endpoint, V1 header signatures with a `Date` header); answers are read as its deserializers read them:
// GetObjectMetadataResponseDeserializer keeps every response header it is given (a header answered with an empty
// value is "" to the test, not null).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';

const B = 'sdk-suites-seventh';

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };

describe('the SDK test suites, seventh reading', () => {
  let srv: TestServer;

  async function send(r: Send): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, encodeURIComponent);
  }
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };

  before(async () => {
    srv = await startTestServer();
    ok(await send({ method: 'PUT', bucket: B }), 'PutBucket');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('.NET ObjectBasicOperationTest', () => {
    it('ModifyObjectMetaWithSetEmptyValue: a Cache-Control sent empty is not stored, so the metadata has none (was answered back as "")', async () => {
      const key = 'modify-meta-empty-value';
      // PutObject with ObjectMetadata { ContentType = "text/rtf" }.
      ok(await send({ method: 'PUT', key, headers: { 'content-type': 'text/rtf' }, body: 'hello' }), 'PutObject');
      const before = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      assert.equal(before.headers['content-type'], 'text/rtf');
      assert.equal(before.headers['cache-control'], undefined);
      // ModifyObjectMeta(new ObjectMetadata { CacheControl = "", ContentEncoding = null, ContentType =
      // "application/octet-stream", ExpirationTime = oldMeta.ExpirationTime }): a copy onto itself, REPLACE, with
      // the headers ObjectMetadata.Populate writes (CacheControl's setter keeps "", ExpirationTime DateTime.MinValue).
      ok(await send({
        method: 'PUT', key,
        headers: {
          'x-oss-copy-source': `/${B}/${key}`, 'x-oss-metadata-directive': 'REPLACE',
          'cache-control': '', 'content-type': 'application/octet-stream', expires: 'Mon, 01 Jan 0001 00:00:00 GMT',
        },
      }), 'ModifyObjectMeta');
      const after = ok(await send({ method: 'HEAD', key }), 'GetObjectMetadata');
      assert.equal(after.headers['content-type'], 'application/octet-stream');
      // Assert.AreEqual(null, newMeta2.CacheControl): the deserializer would read an empty header as "".
      assert.equal(after.headers['cache-control'], undefined, JSON.stringify(after.headers));
      const got = ok(await send({ method: 'GET', key }), 'GetObject');
      assert.equal(got.headers['cache-control'], undefined);
    });

    it('the same for a PutObject and the other standard headers sent empty (Content-Disposition, Content-Encoding, Content-Language, Expires); a value is kept', async () => {
      const key = 'put-empty-standard-headers';
      ok(await send({
        method: 'PUT', key, body: 'x',
        headers: { 'cache-control': '', 'content-disposition': '', 'content-encoding': '', 'content-language': '', expires: '', 'x-oss-meta-kept': '' },
      }), 'PutObject');
      const head = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      for (const h of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires']) {
        assert.equal(head.headers[h], undefined, `${h}: ${JSON.stringify(head.headers)}`);
      }
      // User metadata is the user's: an empty value stays one.
      assert.equal(head.headers['x-oss-meta-kept'], '');
      ok(await send({ method: 'PUT', key, body: 'x', headers: { 'cache-control': 'no-cache', 'content-disposition': 'attachment' } }), 'PutObject');
      const again = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      assert.equal(again.headers['cache-control'], 'no-cache');
      assert.equal(again.headers['content-disposition'], 'attachment');
    });
  });
});
