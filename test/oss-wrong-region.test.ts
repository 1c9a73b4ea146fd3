// Requests sent through another region's OSS endpoint (src/oss/wrong-region.ts, docs/compatibility.md): ali-oss
// configured with endpoint oss-cn-shenzhen.aliyuncs.com (V1 and V4 signatures) against a cn-hangzhou server, every
// name resolved to the loopback. Runs on SQLite and, with ALUNITE_TEST_META=postgres, on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { loopbackAgent, loopbackGet as get } from './helpers/loopback.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const B = 'wrong-region-home';
const ENDPOINT_TEXT = 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.';

interface OssError { status: number; code: string; params?: Record<string, string>; message: string }

describe('a request sent through another region\'s endpoint', () => {
  let srv: TestServer;
  /** ali-oss as an app in cn-shenzhen configures it (V4: signed for cn-shenzhen too). */
  const shenzhen = (v4: boolean, bucket?: string): OSS => new OSS({
    endpoint: `http://oss-cn-shenzhen.aliyuncs.com:${srv.port}`, region: 'oss-cn-shenzhen', accessKeyId: AK, accessKeySecret: SECRET,
    agent: loopbackAgent, timeout: 60_000, ...(bucket !== undefined ? { bucket } : {}), ...(v4 ? { authorizationV4: true } : {}),
  } as OSS.Options);
  const failure = async (p: Promise<unknown>): Promise<OssError> => {
    try {
      await p;
    } catch (err) {
      return err as OssError;
    }
    assert.fail('expected the request to fail');
  };

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(B);
    await srv.client({ bucket: B }).put('a.txt', Buffer.from('hangzhou'));
  });
  after(async () => {
    await srv.stop();
  });

  it('an existing bucket: 403 AccessDenied naming its endpoint, for a valid V1 or V4 signature alike', async () => {
    for (const v4 of [false, true]) {
      const err = await failure(shenzhen(v4, B).get('a.txt'));
      assert.equal(err.status, 403, `v4=${v4}`);
      assert.equal(err.code, 'AccessDenied');
      assert.equal(err.message, ENDPOINT_TEXT);
    }
    // ali-oss keeps no error body: a URL it presigns for that endpoint shows the <Endpoint> named.
    const url = shenzhen(false, B).signatureUrl('a.txt', { expires: 600 });
    const res = await get(url);
    assert.equal(res.status, 403);
    assert.match(res.body, /<Code>AccessDenied<\/Code>/);
    assert.match(res.body, /<Endpoint>oss-cn-hangzhou\.aliyuncs\.com<\/Endpoint>/);
  });

  it('PutBucket creates nothing here: 403 AccessDenied naming this server\'s region endpoint, and the name stays free', async () => {
    for (const v4 of [false, true]) {
      const name = `wrong-region-new-${v4 ? 'v4' : 'v1'}`;
      const err = await failure(shenzhen(v4).putBucket(name));
      assert.equal(err.status, 403, `v4=${v4}: ${err.message}`);
      assert.equal(err.code, 'AccessDenied');
      assert.equal(err.message, ENDPOINT_TEXT);
      const missing = await failure(srv.client().getBucketInfo(name));
      assert.equal(missing.code, 'NoSuchBucket', `v4=${v4}`);
      // Through this region's endpoint it is created as usual.
      await srv.client().putBucket(name);
    }
  });
});
