// Red-team wave 14 (an outsider and a low-privilege insider against a running server): each finding reproduced
// against a real server the test starts, failing on the code before its fix; then short guards for what held.
//
// Found and fixed:
// - Condition keys are case-insensitive, tag keys are not: a write may carry `Team=red` and `team=blue`. The
//   evaluator read the context under the policy's own spelling first and alone, so a Deny on
//   `oss:RequestObjectTag/team` = `red` refused `Team=red` (found case-insensitively) yet passed
//   `Team=red&team=blue` (found as written, `blue`). Now every spelling's values are one key's values
//   (policy/evaluate.ts lowerContext; docs/policy.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { denied, policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BY_POLICY = 'Access denied by bucket policy.';

/** ali-oss's object-tagging calls, which its typings leave out. */
type Tagging = { putObjectTagging(name: string, tags: Record<string, string>): Promise<unknown> };

describe('redteam wave 14: a tag condition sees every spelling of its key', () => {
  let srv: TestServer;
  let ram: Ram;
  const B = 'wave14-tags';

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(B);
  });
  after(async () => {
    await srv.stop();
  });

  it('a Deny on oss:RequestObjectTag/team = red refuses Team=red with or without a team=blue beside it', async () => {
    const writes = ['oss:PutObject', 'oss:PutObjectTagging'];
    const u = await ram.userWith('tagger', policyDoc(
      { Effect: 'Allow', Action: [...writes, 'oss:GetObject'], Resource: `acs:oss:*:*:${B}/*` },
      { Effect: 'Deny', Action: writes, Resource: `acs:oss:*:*:${B}/*`, Condition: { StringEquals: { 'oss:RequestObjectTag/team': 'red' } } },
    ));
    const oss: OSS = u.oss(B);
    const put = (tagging: string) => oss.put('k', Buffer.from('x'), { headers: { 'x-oss-tagging': tagging } });
    await denied(put('Team=red'), BY_POLICY);
    for (const tagging of ['Team=red&team=blue', 'team=blue&Team=red', 'TEAM=red&Team=x&team=blue']) await denied(put(tagging), BY_POLICY);
    await put('team=blue&Team=green');
    const tags = oss as unknown as Tagging;
    await denied(tags.putObjectTagging('k', { Team: 'red', team: 'blue' }), BY_POLICY);
    await tags.putObjectTagging('k', { Team: 'green', team: 'blue' });
  });

  it('a Deny on oss:ExistingObjectTag/secret = yes refuses an object tagged Secret=yes and secret=no', async () => {
    await srv.client({ bucket: B }).put('s', Buffer.from('classified'), { headers: { 'x-oss-tagging': 'secret=no&Secret=yes' } });
    const reader = await ram.userWith('reader', policyDoc(
      { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${B}/*` },
      { Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${B}/*`, Condition: { StringEquals: { 'oss:ExistingObjectTag/secret': 'yes' } } },
    ));
    await denied(reader.oss(B).get('s'), BY_POLICY);
    await srv.client({ bucket: B }).put('p', Buffer.from('plain'), { headers: { 'x-oss-tagging': 'secret=no&Secret=no' } });
    assert.equal((await reader.oss(B).get('p')).content.toString(), 'plain');
  });
});
