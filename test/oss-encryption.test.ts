// Server-side encryption is not implemented: every write that asks for it (PutObject, CopyObject, AppendObject,
// InitiateMultipartUpload, PostObject form fields, PutBucket) is refused with 501 NotImplemented and stores
// nothing, instead of storing the data in the clear as if the header had been honoured.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { expectOssError } from './helpers/oss.js';
import { parseErrorXml } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'sse-bucket';

const REQUESTS: Array<Record<string, string>> = [
  { 'x-oss-server-side-encryption': 'AES256' },
  { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': '9468da86-3509-4f8d-a61e-6eab1eac****' },
  { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4' },
  { 'x-oss-server-side-encryption-customer-algorithm': 'AES256' },
];

describe('server-side encryption headers are refused, never dropped', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('source', Buffer.from('source bytes'));
  });
  after(async () => {
    await srv.stop();
  });

  async function absent(key: string): Promise<void> {
    await expectOssError(srv.client({ bucket: BUCKET }).head(key), 'NoSuchKey', 404);
  }

  test('PutObject, CopyObject, AppendObject and InitiateMultipartUpload: 501 and nothing stored', async () => {
    const client = srv.client({ bucket: BUCKET });
    for (const headers of REQUESTS) {
      const msg = /Server-side encryption \(x-oss-server-side-[a-z-]+\) is not implemented/;
      const put = await expectOssError(client.put('put', Buffer.from('secret'), { headers }), 'NotImplemented', 501);
      assert.match(put.message, msg);
      await absent('put');
      await expectOssError(client.copy('copied', 'source', { headers }), 'NotImplemented', 501);
      await absent('copied');
      await expectOssError(client.append('appended', Buffer.from('secret'), { headers }), 'NotImplemented', 501);
      await absent('appended');
      await expectOssError(client.initMultipartUpload('multi', { headers }), 'NotImplemented', 501);
      const uploads = await client.listUploads({});
      assert.equal(uploads.uploads.length, 0);
    }
    // Without the headers the same writes work.
    await client.put('put', Buffer.from('plain'));
    assert.equal((await client.get('put')).content.toString(), 'plain');
  });

  test('PutBucket with a default encryption: 501 and no bucket', async () => {
    for (const headers of REQUESTS) {
      await expectOssError(srv.client().putBucket('sse-new-bucket', { headers } as never), 'NotImplemented', 501);
      await expectOssError(srv.client().getBucketInfo('sse-new-bucket'), 'NoSuchBucket', 404);
    }
  });

  test('PostObject with an encryption form field: 501 and nothing stored', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$key', '']] })).toString('base64');
    const fd = new FormData();
    for (const [k, v] of [['key', 'posted'], ['OSSAccessKeyId', AK], ['policy', policy], ['Signature', signPostPolicyV1(SECRET, policy)], ['x-oss-server-side-encryption', 'AES256']]) fd.append(k!, v!);
    fd.append('file', new Blob([new Uint8Array(Buffer.from('secret'))]), 'f.txt');
    const res = await fetch(`${srv.url}/${BUCKET}/`, { method: 'POST', body: fd });
    const text = await res.text();
    assert.equal(res.status, 501, text);
    assert.equal(parseErrorXml(text).Code, 'NotImplemented');
    await absent('posted');
  });
});
