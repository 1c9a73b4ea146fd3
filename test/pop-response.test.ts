// The POP success body: the JSON answer is spliced (request id in front of the result's members) rather than built
// from a spread copy (docs/performance.md, 7 Dec 2026 second pass); it must be the very text the spread gave, in every
// shape of result, and a real AssumeRole answer must parse to the documented members.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPopRequestId, popSuccess, type WireObject } from '../src/rpc/response.js';

describe('popSuccess JSON', () => {
  const results: WireObject[] = [
    {},
    { IdentityType: 'RAMUser', AccountId: '1234567890123456' },
    { AssumedRoleUser: { Arn: 'acs:ram::1:role/r/s', AssumedRoleId: '3:s' }, Credentials: { AccessKeyId: 'STS.x', AccessKeySecret: 'y', SecurityToken: 'CAIS', Expiration: '2026-12-07T05:00:00Z' } },
    { Users: { User: [{ UserName: 'a"b\\c\n', Comments: undefined }, { UserName: '\u00e9\u{1F600}' }] }, IsTruncated: false, Marker: 3 },
    { Gone: undefined },
    { RequestId: 'the result names its own', Other: 'x' },
  ];
  for (const result of results) {
    it(`the same text as JSON.stringify({ RequestId, ...result }) for ${JSON.stringify(result).slice(0, 40)}`, () => {
      const id = newPopRequestId();
      const answer = popSuccess('AssumeRole', 'JSON', id, result);
      assert.equal(answer.body, JSON.stringify({ RequestId: id, ...result }));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.headers, { 'Content-Type': 'application/json;charset=utf-8', 'x-acs-request-id': id });
    });
  }
  it('a request id that would need escaping is escaped', () => {
    const answer = popSuccess('GetCallerIdentity', 'JSON', 'a"b', { A: '1' });
    assert.deepEqual(JSON.parse(answer.body as string), { RequestId: 'a"b', A: '1' });
  });
});
