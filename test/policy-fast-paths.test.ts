/**
 * The evaluator's fast paths of issue 15 (docs/performance.md) against the general path they stand for, on random
 * inputs: a policy set's candidate index, taken without comparing its members when the set is frozen or was the last
 * one seen, against deciding the same policies through an array never seen before (no index, statement by statement).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ossResourceArn } from '../src/policy/arn.js';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.js';
import { decide, type EvalRequest } from '../src/policy/evaluate.js';
import type { Caller } from '../src/policy/types.js';
import { mulberry32 } from './helpers/seeded-random.js';

const OWNER = '1234567890123456';
const ALICE: Caller = { kind: 'user', accountId: OWNER, userId: '200000000000000001', userName: 'alice' };

describe('evaluator fast paths against the general ones', () => {
  it("decisions through a set's index equal those of a fresh array of the same policies (frozen, mutated, alternating sets)", () => {
    const rnd = mulberry32(0x1515);
    const pick = <T>(xs: readonly T[]): T => xs[(rnd() * xs.length) | 0] as T;
    const buckets = ['b1', 'b2', 'b3'];
    const actions = ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListObjects'];
    const statement = (): Record<string, unknown> => {
      const st: Record<string, unknown> = { Effect: rnd() < 0.3 ? 'Deny' : 'Allow', Action: pick([...actions, 'oss:*', 'oss:Get*']) };
      st[rnd() < 0.15 ? 'NotResource' : 'Resource'] = pick([`acs:oss:*:*:${pick(buckets)}/*`, `acs:oss:*:*:${pick(buckets)}/k*`, '*', `acs:oss:*:*:${pick(buckets)}`]);
      if (rnd() < 0.4) st.Condition = { IpAddress: { 'acs:SourceIp': pick(['10.0.0.0/8', '192.168.0.0/16']) } };
      return st;
    };
    const pool: CompiledPolicy[] = Array.from({ length: 12 }, (_, i) => {
      const r = compilePolicy(JSON.stringify({ Version: '1', Statement: Array.from({ length: 1 + ((rnd() * 4) | 0) }, statement) }), 'identity', { label: `p${i}` });
      if (!r.ok) throw new Error(r.error.message);
      return r.policy;
    });
    const set = (): CompiledPolicy[] => Array.from({ length: 2 + ((rnd() * 4) | 0) }, () => pick(pool));
    const sets: CompiledPolicy[][] = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? Object.freeze(set()) as CompiledPolicy[] : set()));
    let mutations = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = pick(sets);
      if (!Object.isFrozen(s) && rnd() < 0.05) {
        // The array an index was built for changes in place: its decisions follow the new members.
        if (rnd() < 0.5) s[(rnd() * s.length) | 0] = pick(pool);
        else if (rnd() < 0.5 || s.length < 3) s.push(pick(pool));
        else s.pop();
        mutations++;
      }
      const key = rnd() < 0.5 ? 'k' : 'x';
      const req: EvalRequest = { action: pick(actions), resource: ossResourceArn('cn-hangzhou', OWNER, pick(buckets), key), caller: ALICE, context: { 'acs:SourceIp': pick(['10.1.2.3', '192.168.9.9', '8.8.8.8']) } };
      const fast = decide(s, req);
      const general = decide([...s], req); // an array never seen: decided statement by statement, no index
      assert.equal(fast.decision, general.decision, JSON.stringify({ i, req }));
      assert.deepEqual(fast.deciding, general.deciding);
    }
    assert.ok(mutations > 100);
  });
});
