// The in-memory sign-in counters (src/console/attempts.ts) and logon-name parsing (src/console/signin.ts):
// locks after the limit inside the window, unlocks after the lock time, and never hold more than their bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressAttempts, addressKey, AttemptCounter, HOUR_MS } from '../src/console/attempts.js';
import { parseLogonName } from '../src/console/signin.js';

describe('console sign-in attempt counters', () => {
  it('locks after `limit` failures within the window, for the lock time', () => {
    const c = new AttemptCounter(HOUR_MS, HOUR_MS);
    const t = 1_000_000_000;
    c.fail('u', t, 3);
    c.fail('u', t + 1, 3);
    assert.equal(c.locked('u', t + 2), false);
    c.fail('u', t + 2, 3);
    assert.equal(c.locked('u', t + 3), true);
    assert.equal(c.locked('u', t + 2 + HOUR_MS - 1), true);
    assert.equal(c.locked('u', t + 2 + HOUR_MS), false);
  });

  it('forgets failures older than the window, and limit 0 never locks', () => {
    const c = new AttemptCounter(HOUR_MS, HOUR_MS);
    c.fail('u', 0, 2);
    c.fail('u', HOUR_MS + 1, 2);
    assert.equal(c.locked('u', HOUR_MS + 2), false);
    for (let i = 0; i < 100; i++) c.fail('v', i, 0);
    assert.equal(c.locked('v', 100), false);
  });

  it('stays within its bound, dropping unlocked entries before locked ones', () => {
    const c = new AttemptCounter(HOUR_MS, HOUR_MS, 3);
    c.fail('locked', 0, 1);
    for (let i = 0; i < 50; i++) c.fail(`k${i}`, 1 + i, 5);
    assert.ok(c.size <= 3, `${c.size} entries`);
    assert.equal(c.locked('locked', 100), true);
  });

  it('counts IPv6 sources by their /64 (IPv4 and IPv4-mapped by address)', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(addressKey('10.0.0.7'), '10.0.0.7');
    assert.notEqual(addressKey('10.0.0.7'), addressKey('10.0.0.8'));
    assert.equal(addressKey('not an address'), 'not an address');
    // One host rotating through its /64 is still one budget.
    const c = new AddressAttempts(HOUR_MS, HOUR_MS);
    for (let i = 1; i <= 3; i++) c.fail(`2001:db8:5:6::${i.toString(16)}`, 100 + i, 3);
    assert.equal(c.locked('2001:db8:5:6:1234:5678:9abc:def0', 200), true);
    assert.equal(c.locked('2001:db8:5:7::1', 200), false);
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
