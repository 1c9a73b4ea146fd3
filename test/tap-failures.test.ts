import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureCollector } from './helpers/tap-failures.js';

const tap = `# Subtest: a suite
    # Subtest: passes
    ok 1 - passes
      ---
      duration_ms: 1.2
      ...
    # Subtest: fails
    not ok 2 - fails
      ---
      duration_ms: 3.4
      location: '/x/dist/test/a.test.js:10:5'
      failureType: 'testCodeFailure'
      error: |-
        Expected values to be strictly equal:
      code: 'ERR_ASSERTION'
      ...
    1..2
not ok 1 - a suite
  ---
  duration_ms: 5
  type: 'suite'
  location: '/x/dist/test/a.test.js:3:1'
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  code: 'ERR_TEST_FAILURE'
  ...
not ok 2 - dist/test/b.test.js
  ---
  duration_ms: 7
  failureType: 'testCodeFailure'
  exitCode: 1
  error: 'test failed'
  code: 'ERR_TEST_FAILURE'
  ...
ok 3 - fine
`;

describe('the failure summary of test/run', () => {
  it('repeats each failing test with its location and error, not the suites that failed for it, whatever the chunking', () => {
    for (const size of [1, 7, 64, tap.length]) {
      const c = new FailureCollector();
      for (let i = 0; i < tap.length; i += size) c.push(tap.slice(i, i + size));
      const out = c.summary();
      assert.match(out, /^# failing tests: 2\n/);
      assert.match(out, /^# {3}not ok 2 - fails$/m);
      assert.match(out, /^# {5}location: '\/x\/dist\/test\/a\.test\.js:10:5'$/m);
      assert.match(out, /^# {7}Expected values to be strictly equal:$/m);
      assert.match(out, /^# {3}not ok 2 - dist\/test\/b\.test\.js$/m);
      assert.doesNotMatch(out, /a suite|subtestsFailed|passes|fine/);
    }
  });

  it('prints nothing when nothing failed', () => {
    const c = new FailureCollector();
    c.push('ok 1 - x\n  ---\n  duration_ms: 1\n  ...\n1..1\n');
    assert.equal(c.summary(), '');
  });

  it('shows at most 20 blocks and says how many there were', () => {
    const c = new FailureCollector();
    for (let i = 1; i <= 25; i++) c.push(`not ok ${i} - t${i}\n  ---\n  error: 'x'\n  ...\n`);
    const out = c.summary();
    assert.match(out, /^# failing tests: 25 \(the first 20 shown\)\n/);
    assert.equal(out.match(/not ok/g)?.length, 20);
  });
});
