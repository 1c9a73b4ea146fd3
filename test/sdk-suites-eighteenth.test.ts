// The official SDKs' own test suites, eighteenth reading: what they expect that Alunite still answered differently.
// Read (docs/compatibility.md, "eighteenth reading", lists what passed as is):
// - The Java SDK v2's (aliyun/alibabacloud-oss-java-sdk-v2) src/it/…/oss2/agentic/: TestBaseAgentic.java (its
//   cleanAgenticBucket: "Disable the bucket before deletion (required: 409 AgenticBucketNotDisabled)", then
//   DeleteAgenticBucket), ClientAgenticBucketLifecycleTest.java (PutAgenticBucketStatus Disabled 200, then
//   DeleteAgenticBucket 409 AgenticBucketNotReady), ClientAgenticBucketBasic(Async)Test, ClientAgenticBucketAttributeTest,
//   ClientAgenticBucketSpaceTest; the Python SDK v2's tests/integration/agentic/__init__.py and
//   test_agentic_bucket_lifecycle.py ("The service requires put_agentic_bucket_status(Disabled) before
//   delete_agentic_bucket"). Requests as the AgenticBucketClient sends them: the short name expanded to
//   `<name>-<uid>-<region>-ab-apsr`, virtual-hosted, V4-signed (test/helpers/sdk-v2-signer.ts).
// Needed a change:
// - DeleteAgenticBucket of a bucket still Enabled was 409 AgenticBucketNotReady (a guess); it is 409
//   AgenticBucketNotDisabled, the code the Java SDK v2's test base names. AgenticBucketNotReady stays the answer
//   within the wait after Disabled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { REGION, signHeader, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

/** The AgenticBucketClient's expansion of a short name (AgenticProvider: `-{accountId}-{region}-ab-apsr`). */
const full = (short: string): string => `${short}-${ACCOUNT_ID}-${REGION}-ab-apsr`;

/** One request of the AgenticBucketClient: virtual-hosted `<full name>.localhost`, V4-signed with the root key. */
async function agentic(method: string, short: string, params: Array<[string, string]>, body?: string): Promise<RawResponse> {
  const r: SdkRequest = { method, bucket: full(short), key: null, params: [['agenticBucket', ''], ...params], headers: body !== undefined ? { 'content-type': 'application/xml' } : {}, ...(body !== undefined ? { body } : {}) };
  const s = signHeader(r, { ak: AK, secret: SECRET });
  const headers = { ...s.headers, host: `${full(short)}.localhost:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
  return rawRequest(srv.port, { method, path: s.path.slice(full(short).length + 1), headers, body });
}

const text = (res: RawResponse): string => res.body.toString('utf8');
function fails(res: RawResponse, status: number, code: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${text(res).slice(0, 400)}`);
  assert.equal(errorOf(res)?.Code, code, `${what}: ${text(res).slice(0, 400)}`);
}

describe("the SDK test suites, eighteenth reading: the Java SDK v2's agentic bucket deletion (TestBaseAgentic, ClientAgenticBucketLifecycleTest)", () => {
  const B = 'oss-sdk-test-java-ab-42';

  it('an Enabled agentic bucket is not deleted: 409 AgenticBucketNotDisabled; once Disabled, 409 AgenticBucketNotReady within the wait', async () => {
    const created = await agentic('PUT', B, [], '<CreateAgenticBucketConfiguration><StorageClass>Standard</StorageClass><DataRedundancyType>LRS</DataRedundancyType></CreateAgenticBucketConfiguration>');
    assert.equal(created.status, 200, text(created));

    // cleanAgenticBucket's reason for disabling first.
    fails(await agentic('DELETE', B, []), 409, 'AgenticBucketNotDisabled', 'DeleteAgenticBucket of an Enabled bucket');
    const still = await agentic('GET', B, []);
    assert.equal(still.status, 200, text(still));
    assert.match(text(still), /<Status>Enabled<\/Status>/);

    // testDisableThenDeleteNotReady.
    const disabled = await agentic('PUT', B, [['status', '']], '<AgenticBucketStatus><Status>Disabled</Status></AgenticBucketStatus>');
    assert.equal(disabled.status, 200, text(disabled));
    fails(await agentic('DELETE', B, []), 409, 'AgenticBucketNotReady', 'DeleteAgenticBucket right after Disabled');
    assert.match(text(await agentic('GET', B, [])), /<Status>Disabled<\/Status>/);
  });
});
