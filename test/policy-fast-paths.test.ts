/**
 * The evaluator's fast paths of issue 15 (docs/performance.md) against the general path they stand for, on random
 * inputs: a policy set's candidate index, taken without comparing its members when the set is frozen or was the last
 * one seen, against deciding the same policies through an array never seen before (no index, statement by statement);
 * the recent request keys of an action's candidates and the recent context key lists (evaluate.ts), against a plain
 * reading of the statements.
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

  it('recent request keys and context key lists: more shapes than slots, equal lengths, keys in any spelling', () => {
    const rnd = mulberry32(0x2215);
    const pick = <T>(xs: readonly T[]): T => xs[(rnd() * xs.length) | 0] as T;
    // Equal lengths throughout: a slot must be told apart by its text, not its length.
    const buckets = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'];
    const keyNames = ['acs:UserAgent', 'acs:Referer', 'oss:Prefix', 'oss:Delimiter', 'acs:SourceVpc', 'oss:MaxKeys'];
    const values = ['v1', 'v2'];
    const spell = (k: string): string => pick([k, k.toUpperCase(), k.toLowerCase()]);
    type St = { effect: 'Allow' | 'Deny'; bucket: string; object: boolean; key: string; value: string };
    const statements: St[] = Array.from({ length: 40 }, () => ({ effect: rnd() < 0.3 ? 'Deny' : 'Allow', bucket: pick(buckets), object: rnd() < 0.5, key: pick(keyNames), value: pick(values) }));
    const doc = (sts: readonly St[]): string =>
      JSON.stringify({
        Version: '1',
        Statement: sts.map((st) => ({ Effect: st.effect, Action: 'oss:GetObject', Resource: `acs:oss:*:*:${st.bucket}${st.object ? '/*' : ''}`, Condition: { StringEquals: { [spell(st.key)]: st.value } } })),
      });
    const policies = [0, 1, 2, 3].map((i) => {
      const r = compilePolicy(doc(statements.slice(i * 10, i * 10 + 10)), 'identity', { label: `p${i}` });
      if (!r.ok) throw new Error(r.error.message);
      return r.policy;
    });
    const frozen = Object.freeze([...policies]) as CompiledPolicy[];
    let allowed = 0;
    let denied = 0;
    for (let i = 0; i < 20_000; i++) {
      // Contexts of many key lists of one length (each key in one spelling, in varying order).
      const ctx: Record<string, string> = {};
      const given = new Map<string, string>();
      for (const k of keyNames) {
        if (rnd() < 0.5) continue;
        const v = pick(values);
        ctx[spell(k)] = v;
        given.set(k.toLowerCase(), v);
      }
      const bucket = pick(buckets);
      const object = rnd() < 0.7;
      const req: EvalRequest = { action: 'oss:GetObject', resource: object ? ossResourceArn('cn-hangzhou', OWNER, bucket, 'k') : ossResourceArn('cn-hangzhou', OWNER, bucket), caller: ALICE, context: ctx };
      const applying = statements.filter((st) => st.bucket === bucket && st.object === object && given.get(st.key.toLowerCase()) === st.value);
      const want = applying.some((st) => st.effect === 'Deny') ? 'ExplicitDeny' : applying.length > 0 ? 'Allow' : 'ImplicitDeny';
      if (want === 'Allow') allowed++;
      if (want === 'ExplicitDeny') denied++;
      assert.equal(decide(frozen, req).decision, want, JSON.stringify({ i, req }));
      assert.equal(decide([...policies], req).decision, want, JSON.stringify({ i, req }));
    }
    assert.ok(allowed > 1000 && denied > 1000, `${allowed} allowed, ${denied} denied`);
  });
});
