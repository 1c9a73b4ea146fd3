// Mistakes a newcomer makes when pointing an unchanged client at Alunite, and what the answer tells them
// (real server, real ali-oss and pop-core; the README's "Connect a client" and STS sections).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectOssError } from './helpers/oss.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, stsClient } from './helpers/sts.js';

describe('newcomer mistakes with ali-oss', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('my-bucket');
    await srv.client({ bucket: 'my-bucket' }).put('hello.txt', Buffer.from('hi'));
  });
  after(() => srv.stop());

  it("IP endpoint with region 'cn-hangzhou' (no oss- prefix): InvalidArgument naming the region to give, for any key", async () => {
    // ali-oss sends Host "my-bucket.cn-hangzhou.aliyuncs.com": read as path style, "hello.txt" was the bucket
    // (InvalidBucketName), "photo" another bucket (SignatureDoesNotMatch: the client signed /my-bucket/photo).
    const oss = srv.client({ bucket: 'my-bucket', region: 'cn-hangzhou' });
    for (const call of [() => oss.get('hello.txt'), () => oss.get('photo'), () => oss.put('a/b.txt', Buffer.from('x'))]) {
      const err = await expectOssError(call, 'InvalidArgument', 400);
      assert.match(err.message, /The Host "my-bucket\.cn-hangzhou\.aliyuncs\.com" names no OSS endpoint/);
      assert.match(err.message, /give region 'oss-cn-hangzhou', not 'cn-hangzhou'/);
    }
    // Nothing was written under another name.
    assert.deepEqual((await srv.client({ bucket: 'my-bucket' }).list({ prefix: 'a/', 'max-keys': 10 }, {})).objects ?? [], []);
  });

  it('the same client without a bucket (ListBuckets) still works: the Host names no bucket to get wrong', async () => {
    const result = (await srv.client({ region: 'cn-hangzhou' }).listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.deepEqual(result.buckets.map((b) => b.name), ['my-bucket']);
  });

  it("region 'oss-cn-hangzhou' and the internal endpoint's Host keep working", async () => {
    assert.equal((await srv.client({ bucket: 'my-bucket' }).get('hello.txt')).content.toString(), 'hi');
    assert.equal((await srv.client({ bucket: 'my-bucket', internal: true }).get('hello.txt')).content.toString(), 'hi');
  });
});

describe('newcomer mistakes with AssumeRole (pop-core)', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  /** The POP error pop-core throws for `params`: its code and the service's message. */
  const refusal = async (params: Record<string, unknown>): Promise<{ code: string; message: string }> => {
    const err = await assumeRole(stsClient(srv, AK, SECRET), params).then(
      () => assert.fail('expected an error'),
      (e: { code: string; data: { Message: string } }) => e,
    );
    return { code: err.code, message: err.data.Message };
  };

  it("a one-letter or spaced RoleSessionName ('x', 'my session'): the message says what a session name is", async () => {
    for (const name of ['x', 'my session']) {
      const { code, message } = await refusal({ RoleArn: `acs:ram::${ACCOUNT_ID}:role/reader`, RoleSessionName: name });
      assert.equal(code, 'InvalidParameter.RoleSessionName');
      // The cloud's text, then the rule.
      assert.equal(message, 'The parameter RoleSessionName is wrongly formed: 2-64 of letters, digits, ".", "@", "_" and "-".');
    }
  });

  it("the role's name, or its ARN with a region, as RoleArn: the message shows the ARN's form", async () => {
    for (const arn of ['reader', `acs:ram:cn-hangzhou:${ACCOUNT_ID}:role/reader`]) {
      const { code, message } = await refusal({ RoleArn: arn, RoleSessionName: 'session-1' });
      assert.equal(code, 'InvalidParameter.RoleArn');
      assert.match(message, /^The parameter RoleArn is wrongly formed: it is acs:ram::<16-digit account id>:role\/<role name>/);
    }
  });
});
