// Red-team (7 Dec 2026, helper 2): Block Public Access and bucket-policy Principals written with `?`.
//
// Found (MEDIUM, fixed): a Principal is matched as a wildcard pattern, `?` included (policy/compile.ts), but Block
// Public Access counted a statement as public only when a Principal value held `*`. Every user id and account id is
// 16 digits, so `"????????????????"` names every RAM user and every root of every account on the server, and
// `"1???????????????"` with `"2???????????????"` does the same. Such a policy was accepted under the bucket's or
// the account's block (`Put public bucket policy is not allowed.` is what a `*` gets) and kept in the evaluation
// while the block was on: another account's root read the blocked bucket. A RAM user allowed oss:PutBucketPolicy
// could so open a bucket its root had closed with the account-level block. A Principal value holding `?` now counts
// as open, as `?` already did in the pinning Condition values (docs/access-rules.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedRequest } from './helpers/signed.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const B = '2000000000000027';
const B_AK = 'LTAI5tBpaWildAccountBKey1';
const B_SECRET = 'BpaWildAccountBSecretKey1234567';

const pab = (on: boolean): string => `<PublicAccessBlockConfiguration><BlockPublicAccess>${on}</BlockPublicAccess></PublicAccessBlockConfiguration>`;
const readPolicy = (principal: string[]): string => JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: principal, Resource: ['acs:oss:*:*:vault/*'] }],
});

/** Principal lists that name every caller holding an account: 16-digit user ids and account ids alike. */
const EVERY_ACCOUNT = [['????????????????'], ['1???????????????', '2???????????????'], ['?*']];

describe('redteam: Block Public Access counts a Principal written with ? as open', () => {
  let srv: TestServer;
  let writer: [string, string];
  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: B, name: 'bpa-wild-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
    await signedRequest(srv.port, 'PUT', 'vault', null, []);
    await signedRequest(srv.port, 'PUT', 'vault', 'secret.txt', [], { body: 'top secret' });
    // The RAM user the root lets manage the bucket, policy included; the account's block is the root's.
    const u = await new Ram(srv).userWith('bucket-admin', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: ['acs:oss:*:*:vault', 'acs:oss:*:*:vault/*'] }));
    writer = [u.accessKeyId, u.accessKeySecret];
  });
  after(async () => {
    await srv.stop();
  });

  const otherAccountGet = async (): Promise<number> => (await signedRequest(srv.port, 'GET', 'vault', 'secret.txt', [], { creds: [B_AK, B_SECRET] })).status;

  it('under the account-level block, a RAM user cannot write such a policy; a fixed account id is still accepted', async () => {
    assert.equal((await signedRequest(srv.port, 'PUT', null, null, [['publicAccessBlock', '']], { body: pab(true) })).status, 200);
    for (const principal of EVERY_ACCOUNT) {
      const r = await signedRequest(srv.port, 'PUT', 'vault', null, [['policy', '']], { body: readPolicy(principal), creds: writer });
      assert.equal(r.status, 403, `${JSON.stringify(principal)}: ${r.text}`);
      assert.equal(r.err?.Code, 'AccessDenied');
      assert.equal(r.err?.Message, 'Put public bucket policy is not allowed.');
      assert.equal(await srv.meta.getBucket('vault').then((b) => b?.policy ?? null), null, 'nothing stored');
      assert.equal(await otherAccountGet(), 403);
    }
    // Naming the other account exactly is no public grant.
    const fixed = await signedRequest(srv.port, 'PUT', 'vault', null, [['policy', '']], { body: readPolicy([B]), creds: writer });
    assert.equal(fixed.status, 200, fixed.text);
    assert.equal(await otherAccountGet(), 200);
    assert.equal((await signedRequest(srv.port, 'DELETE', 'vault', null, [['policy', '']])).status, 204);
    assert.equal((await signedRequest(srv.port, 'DELETE', null, null, [['publicAccessBlock', '']])).status, 204);
  });

  it('an access point policy is judged the same way (the access point\'s own block)', async () => {
    const made = await signedRequest(srv.port, 'PUT', 'vault', null, [['accessPoint', '']], { body: '<CreateAccessPointConfiguration><AccessPointName>ap-wild</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' });
    assert.equal(made.status, 200, made.text);
    const block = await signedRequest(srv.port, 'PUT', 'vault', null, [['publicAccessBlock', ''], ['x-oss-access-point-name', 'ap-wild']], { body: pab(true) });
    assert.equal(block.status, 200, block.text);
    const apPolicy = (principal: string[]): string => JSON.stringify({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: principal, Resource: [`acs:oss:cn-hangzhou:${ACCOUNT_ID}:accesspoint/ap-wild/object/*`] }],
    });
    for (const principal of EVERY_ACCOUNT) {
      const r = await signedRequest(srv.port, 'PUT', 'vault', null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-wild' }, body: apPolicy(principal), creds: writer });
      assert.equal(r.status, 403, `${JSON.stringify(principal)}: ${r.text}`);
      assert.equal(r.err?.Message, 'Put public access point policy is not allowed.');
    }
    const fixed = await signedRequest(srv.port, 'PUT', 'vault', null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-wild' }, body: apPolicy([B]), creds: writer });
    assert.equal(fixed.status, 200, fixed.text);
  });

  it('a policy written before the bucket\'s block is public by GetBucketPolicyStatus, and left out of the evaluation while the block is on', async () => {
    for (const principal of EVERY_ACCOUNT) {
      assert.equal((await signedRequest(srv.port, 'PUT', 'vault', null, [['policy', '']], { body: readPolicy(principal) })).status, 200);
      assert.equal(await otherAccountGet(), 200, `${JSON.stringify(principal)} grants every account while nothing blocks it`);
      // GetBucketPolicyStatus says what the block judges: public.
      const status = await signedRequest(srv.port, 'GET', 'vault', null, [['policyStatus', '']]);
      assert.match(status.text, /<IsPublic>true<\/IsPublic>/, `${JSON.stringify(principal)}: ${status.text}`);
      assert.equal((await signedRequest(srv.port, 'PUT', 'vault', null, [['publicAccessBlock', '']], { body: pab(true) })).status, 200);
      assert.equal(await otherAccountGet(), 403, `${JSON.stringify(principal)} under the bucket's block`);
      assert.equal((await signedRequest(srv.port, 'DELETE', 'vault', null, [['publicAccessBlock', '']])).status, 204);
    }
    // A fixed account id is no public grant by either reading.
    assert.equal((await signedRequest(srv.port, 'PUT', 'vault', null, [['policy', '']], { body: readPolicy([B]) })).status, 200);
    assert.match((await signedRequest(srv.port, 'GET', 'vault', null, [['policyStatus', '']])).text, /<IsPublic>false<\/IsPublic>/);
  });
});
