// Red team (7 Dec 2026, late evening, helper 6): privilege escalation through RAM, STS and policies, as a RAM user
// with a narrow policy, a user allowed only sts:AssumeRole and a session narrowed by a session policy.
//
// Found (LOW, fixed): a role pattern with its type written `Role/…` was left out by the statement index (its test
// is in redteam-review.test.ts, beside the Deny on role/AdminRole it extends).
//
// Found (LOW, fixed): PutAgenticBucketAcl (`?agenticBucket&acl`), authorized as oss:PutBucketAcl, carried no
// `oss:x-oss-acl`, so a Deny of public ACLs written on that key never applied to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDoc, Ram } from './helpers/ram.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe('redteam (helper 6): the oss:x-oss-acl condition key on every request that sets a bucket ACL from it', () => {
  let srv: TestServer;
  const agentic = `vault-${ACCOUNT_ID}-cn-hangzhou-ab-apsr`;
  before(async () => {
    srv = await startTestServer();
    succeeds(await signedRequest(srv.port, 'PUT', agentic, null, [['agenticBucket', '']]));
    // An agentic bucket is made with Block Public Access on; its owner turned it off (for a bucket policy, say).
    succeeds(await signedRequest(srv.port, 'DELETE', agentic, null, [['agenticBucket', ''], ['publicAccessBlock', '']]), 204);
    succeeds(await signedRequest(srv.port, 'PUT', 'plain-vault', null, []));
  });
  after(async () => {
    await srv?.stop();
  });

  it('a Deny of oss:PutBucketAcl to public ACLs holds for PutAgenticBucketAcl as for PutBucketAcl', async () => {
    // "Bucket admins may manage their buckets but never make one public", written as the RAM docs write conditions.
    const u = await new Ram(srv).userWith('h6-bucket-admin', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
      { Effect: 'Deny', Action: 'oss:PutBucketAcl', Resource: '*', Condition: { StringEquals: { 'oss:x-oss-acl': ['public-read', 'public-read-write'] } } },
    ));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const put = (bucket: string, query: Array<[string, string]>, acl: string) => signedRequest(srv.port, 'PUT', bucket, null, query, { headers: { 'x-oss-acl': acl }, creds });
    for (const acl of ['public-read', 'public-read-write']) {
      failsWith(await put('plain-vault', [['acl', '']], acl), 'AccessDenied', 403);
      failsWith(await put(agentic, [['acl', '']], acl), 'AccessDenied', 403);
      const r = failsWith(await put(agentic, [['agenticBucket', ''], ['acl', '']], acl), 'AccessDenied', 403);
      assert.equal(r.err?.Message, 'Access denied by bucket policy.');
    }
    assert.equal((await srv.meta.getBucket(agentic))?.acl, 'private', 'the agentic bucket is still private');
    // A private ACL is still the admin's to set.
    succeeds(await put(agentic, [['agenticBucket', ''], ['acl', '']], 'private'));
  });
});
