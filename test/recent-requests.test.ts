// The ring of recent requests behind ExplainRequest (audit/ring.ts): a circular array scanned from the
// newest entry, keeping what ExplainRequest reads of each record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestRecord } from '../src/audit/record.js';
import { RecentRequests } from '../src/audit/ring.js';

function record(id: string, status = 200): RequestRecord {
  const rec = new RequestRecord(id, '10.0.0.1', process.hrtime.bigint(), 0);
  rec.service = 'oss';
  rec.operation = 'GetObject';
  rec.status = status;
  return rec;
}

describe('RecentRequests', () => {
  it('finds each of the last `capacity` requests and forgets older ones, across several wrap-arounds', () => {
    const ring = new RecentRequests(5);
    assert.equal(ring.get('r0'), undefined, 'empty');
    for (let i = 0; i < 23; i++) {
      ring.add(record(`r${i}`, 200 + i));
      assert.equal(ring.size, Math.min(i + 1, 5));
      for (let j = 0; j <= i; j++) {
        const e = ring.get(`r${j}`);
        if (j > i - 5) assert.equal(e?.status, 200 + j, `r${j} after r${i}`);
        else assert.equal(e, undefined, `r${j} is forgotten after r${i}`);
      }
    }
  });

  it('keeps what ExplainRequest reads, as the record had it when added', () => {
    const ring = new RecentRequests(2);
    const rec = record('x', 403);
    rec.errorCode = 'AccessDenied';
    rec.message = 'Access denied by authorizer\'s policy.';
    rec.authz = { action: 'oss:GetObject', resource: 'acs:oss:*:1:b/k', decision: 'ExplicitDeny', statementIndex: 0 };
    ring.add(rec);
    assert.deepEqual(ring.get('x'), {
      requestId: 'x', time: rec.time, principal: null, sourceIp: '10.0.0.1', action: 'oss:GetObject', status: 403,
      errorCode: 'AccessDenied', message: 'Access denied by authorizer\'s policy.', authz: rec.authz,
    });
    const unauthorized = record('y', 400);
    ring.add(unauthorized);
    assert.equal(ring.get('y')?.action, 'oss:GetObject', 'no decision: <service>:<operation>');
  });

  it('an id seen twice answers the newer request', () => {
    const ring = new RecentRequests(4);
    ring.add(record('same', 200));
    ring.add(record('other', 200));
    ring.add(record('same', 500));
    assert.equal(ring.get('same')?.status, 500);
  });
});
