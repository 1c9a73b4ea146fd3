// The sign-in counters' rule (src/console/attempts.ts) and logon-name parsing (src/console/signin.ts): locks
// after the limit inside the window, unlocks after the lock time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, HOUR_MS, noteFailure, type Entry } from '../src/console/attempts.js';
import { parseLogonName } from '../src/console/signin.js';

describe('console sign-in attempt counters', () => {
  const lockedAt = (e: Entry, t: number): boolean => e.lockedUntil > t;

  it('locks after `limit` failures within the window, for the lock time', () => {
    const e: Entry = { times: [], lockedUntil: 0 };
    const t = 1_000_000_000;
    noteFailure(e, t, 3, HOUR_MS, HOUR_MS);
    noteFailure(e, t + 1, 3, HOUR_MS, HOUR_MS);
    assert.equal(lockedAt(e, t + 2), false);
    noteFailure(e, t + 2, 3, HOUR_MS, HOUR_MS);
    assert.equal(lockedAt(e, t + 3), true);
    assert.equal(lockedAt(e, t + 2 + HOUR_MS - 1), true);
    assert.equal(lockedAt(e, t + 2 + HOUR_MS), false);
    // A failure while locked does not count towards the next lock.
    noteFailure(e, t + 10, 3, HOUR_MS, HOUR_MS);
    assert.deepEqual(e.times, []);
  });

  it('forgets failures older than the window, and limit 0 never locks', () => {
    const e: Entry = { times: [], lockedUntil: 0 };
    noteFailure(e, 0, 2, HOUR_MS, HOUR_MS);
    noteFailure(e, HOUR_MS + 1, 2, HOUR_MS, HOUR_MS);
    assert.equal(lockedAt(e, HOUR_MS + 2), false);
    const v: Entry = { times: [], lockedUntil: 0 };
    for (let i = 0; i < 100; i++) noteFailure(v, i, 0, HOUR_MS, HOUR_MS);
    assert.equal(lockedAt(v, 100), false);
  });

  it('counts IPv6 sources by their /64 (IPv4 and IPv4-mapped by address)', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(addressKey('10.0.0.7'), '10.0.0.7');
    assert.notEqual(addressKey('10.0.0.7'), addressKey('10.0.0.8'));
    assert.equal(addressKey('not an address'), 'not an address');
    // One host rotating through its /64 is one key.
    assert.equal(addressKey('2001:db8:5:6::1'), addressKey('2001:db8:5:6:1234:5678:9abc:def0'));
  });

  it('parses logon names in every accepted form', () => {
    assert.deepEqual(parseLogonName('alice'), { userName: 'alice', domain: null });
    assert.deepEqual(parseLogonName('alice@1234567890123456.onaliyun.com'), { userName: 'alice', domain: '1234567890123456' });
    assert.deepEqual(parseLogonName('alice@Demo-Corp.OnAliyun.com'), { userName: 'alice', domain: 'demo-corp' });
    assert.deepEqual(parseLogonName('a.b_c-d@demo-corp'), { userName: 'a.b_c-d', domain: 'demo-corp' });
    for (const bad of ['', '@demo', 'alice@', 'al ice', 'alice@demo.example.com', 'x'.repeat(65), `alice@${'d'.repeat(300)}`, 'alice@de/mo']) {
      assert.equal(parseLogonName(bad), null, bad);
    }
  });
});
