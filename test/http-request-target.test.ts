// Absolute-form request targets (RFC 9112 §3.2.2), as a client configured with an HTTP proxy sends them:
// the server takes bucket and key from the target, and the host from its authority, not from Host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { encodeKey, rawRequest, v1Authorization } from './helpers/raw-http.js';

describe('absolute-form request targets', () => {
  let srv: TestServer;
  const bucket = 'abs-form-target';
  const key = 'dir/a+b c%.txt';
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(bucket);
    await srv.client({ bucket }).put(key, Buffer.from('through a proxy'));
  });
  after(() => srv.stop());

  const signed = (method: string, b: string | null, k: string | null, query: Array<[string, string]> = []): Record<string, string> => {
    const date = new Date().toUTCString();
    return { date, authorization: v1Authorization({ method, bucket: b, key: k, query, headers: { date } }, AK, SECRET).authorization };
  };

  it('path style: bucket and key come from the target, whatever Host says', async () => {
    const res = await rawRequest(srv.port, {
      method: 'GET',
      path: `http://127.0.0.1:${srv.port}/${bucket}/${encodeKey(key)}`,
      headers: { host: `${bucket}.oss-cn-hangzhou.aliyuncs.com`, ...signed('GET', bucket, key) },
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.toString(), 'through a proxy');
  });

  it('virtual-hosted: the bucket is the authority\'s, and the query is kept as sent', async () => {
    const res = await rawRequest(srv.port, {
      method: 'GET',
      path: `http://${bucket}.oss-cn-hangzhou.aliyuncs.com/${encodeKey(key)}?acl`,
      headers: { host: 'oss-cn-hangzhou.aliyuncs.com', ...signed('GET', bucket, key, [['acl', '']]) },
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.match(res.body.toString(), /<AccessControlPolicy>[\s\S]*<Grant>default<\/Grant>/);
  });

  it('the service (ListBuckets) on the endpoint, and an authority with a port and userinfo', async () => {
    const res = await rawRequest(srv.port, {
      method: 'GET',
      path: 'http://someone@oss-cn-hangzhou.aliyuncs.com:80',
      headers: { host: `${bucket}.oss-cn-hangzhou.aliyuncs.com`, ...signed('GET', null, null) },
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.match(res.body.toString(), new RegExp(`<Name>${bucket}</Name>`));
  });

  it('never reaches the server\'s own /-/ endpoints (a front proxy guarding them by the raw target would not see that path)', async () => {
    assert.equal((await rawRequest(srv.port, { method: 'GET', path: '/-/health', headers: { host: '127.0.0.1' } })).status, 200);
    for (const path of [`http://127.0.0.1:${srv.port}/-/health`, 'http://x/-/metrics', 'HTTP://x/-/console/']) {
      const res = await rawRequest(srv.port, { method: 'GET', path, headers: { host: '127.0.0.1' } });
      assert.equal(res.status, 400, `${path}: ${res.body.toString()}`);
      assert.match(res.body.toString(), /<Code>InvalidBucketName<\/Code>/);
    }
  });

  it('a target signed for another key is still refused', async () => {
    const res = await rawRequest(srv.port, {
      method: 'GET',
      path: `http://${bucket}.oss-cn-hangzhou.aliyuncs.com/other.txt`,
      headers: { host: `${bucket}.oss-cn-hangzhou.aliyuncs.com`, ...signed('GET', bucket, key) },
    });
    assert.equal(res.status, 403);
    assert.match(res.body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});
