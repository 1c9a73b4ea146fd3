// The official SDKs' own test suites, sixth reading: the newer split integration files of the Go and Python SDK v2
// (alibabacloud-oss-go-sdk-v2 `oss/client_integration_bucket_basic_test.go`, alibabacloud-oss-python-sdk-v2
// `tests/integration/aio/test_bucket_basic_async.py`) and the Java SDK's ListMultipartUploads paging
// (`UploadPartTest.testNormalListMultipartUploads`). Requests are built as the SDKs build them (path style on an IP
// endpoint, V1 header signatures, as every SDK can be configured to send); answers are read as their parsers read them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'sdk-suites-sixth';

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };

describe('the SDK test suites, sixth reading', () => {
  let srv: TestServer;

  async function send(r: Send): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, encodeURIComponent);
  }
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const one = (res: SdkReply, name: string): string => {
    const all = strictTexts(res.text, name);
    assert.equal(all.length, 1, `${name} once in ${res.text.slice(0, 300)}`);
    return all[0]!;
  };

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  describe('GetBucketStat of a new bucket (Go v2 TestGetBucketStat, Python v2 aio test_get_bucket_stat)', () => {
    it('LastModifiedTime is the bucket\'s creation (epoch seconds), every count and size 0; later the last change', async () => {
      const bucket = `${B}-stat`;
      ok(await send({ method: 'PUT', bucket }), 'PutBucket');
      const created = Math.floor(Date.parse(one(ok(await send({ method: 'GET', bucket, query: [['bucketInfo', '']] }), 'GetBucketInfo'), 'CreationDate')) / 1000);
      const stat = ok(await send({ method: 'GET', bucket, query: [['stat', '']] }), 'GetBucketStat');
      // Go v2: assert.Greater(t, stat.LastModifiedTime, int64(0)); Python v2: "An empty bucket reports its creation
      // time here, not 0."
      assert.equal(Number(one(stat, 'LastModifiedTime')), created);
      for (const f of ['Storage', 'ObjectCount', 'MultipartUploadCount', 'LiveChannelCount', 'StandardStorage', 'ArchiveRealStorage', 'ColdArchiveObjectCount', 'DeleteMarkerCount']) {
        assert.equal(one(stat, f), '0', f);
      }
      ok(await send({ method: 'PUT', bucket, key: 'k', body: 'data' }), 'PutObject');
      const after1 = ok(await send({ method: 'GET', bucket, query: [['stat', '']] }), 'GetBucketStat');
      assert.ok(Number(one(after1, 'LastModifiedTime')) >= created);
      assert.equal(one(after1, 'ObjectCount'), '1');
    });
  });

  describe('SealAppendObject (Python v2 test_object_basic.py test_seal_append_object, OSS\'s SealAppendObject page)', () => {
    it('an append to a sealed object is AppendSealedObjectNotAllowed; so is a seal of an object that is not Appendable', async () => {
      const bucket = `${B}-seal`;
      ok(await send({ method: 'PUT', bucket }), 'PutBucket');
      const first = ok(await send({ method: 'POST', bucket, key: 'k-seal', query: [['append', ''], ['position', '0']], body: 'hello' }), 'AppendObject');
      assert.equal(first.headers['x-oss-next-append-position'], '5');
      const sealed = ok(await send({ method: 'POST', bucket, key: 'k-seal', query: [['seal', ''], ['position', '5']] }), 'SealAppendObject');
      assert.ok(sealed.headers['x-oss-sealed-time'], 'sealed_time');
      const refused = await send({ method: 'POST', bucket, key: 'k-seal', query: [['append', ''], ['position', '5']], body: ' world' });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.err?.Code, 'AppendSealedObjectNotAllowed');
      assert.equal(refused.err?.RequestId?.length, 24);
      ok(await send({ method: 'PUT', bucket, key: 'k-normal', body: 'n' }), 'PutObject');
      const notAppendable = await send({ method: 'POST', bucket, key: 'k-normal', query: [['seal', ''], ['position', '1']] });
      assert.equal(notAppendable.status, 409, notAppendable.text);
      assert.equal(notAppendable.err?.Code, 'AppendSealedObjectNotAllowed');
      // An append to an object that was never Appendable keeps its own code.
      const normal = await send({ method: 'POST', bucket, key: 'k-normal', query: [['append', ''], ['position', '1']], body: 'x' });
      assert.equal(normal.err?.Code, 'ObjectNotAppendable');
    });
  });

  describe('a cold restore is still running seconds after it was asked for (Go v2 TestCleanRestoredObject, C++ RestoreWithColdArchiveTest)', () => {
    it('with the default delay, CleanRestoredObject a second after a ColdArchive restore is 409 ArchiveRestoreNotFinished', async () => {
      const bucket = `${B}-cold`;
      ok(await send({ method: 'PUT', bucket }), 'PutBucket');
      ok(await send({ method: 'PUT', bucket, key: 'cold', body: 'c', headers: { 'x-oss-storage-class': 'ColdArchive' } }), 'PutObject');
      assert.equal((await send({ method: 'POST', bucket, key: 'cold', query: [['restore', '']] })).status, 202);
      // The Go test sleeps 1 s here (the C++ one 5 s); a ColdArchive restore takes 120 Archive restores (1 s each by
      // default). Before: one Archive restore for every class, done by then: 200, and the Go test read a nil error.
      await new Promise((r) => setTimeout(r, 1500));
      const clean = await send({ method: 'POST', bucket, key: 'cold', query: [['cleanRestoredObject', '']] });
      assert.equal(clean.status, 409, clean.text);
      assert.equal(clean.err?.Code, 'ArchiveRestoreNotFinished');
      const head = await send({ method: 'HEAD', bucket, key: 'cold' });
      assert.equal(head.headers['x-oss-restore'], 'ongoing-request="true"');
    });
  });
});
