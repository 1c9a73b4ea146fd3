/**
 * The per-bucket narrowing of statements (compile.ts narrowToKey): a statement is skipped, or its
 * NotResource taken as applying, only when the request's bucket alone proves it. Every case is checked
 * against a reference that matches each statement's patterns directly, with no index.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ossResourceArn } from '../src/policy/arn.js';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.js';
import { decide, evaluate } from '../src/policy/evaluate.js';
import { compileGlob } from '../src/policy/glob.js';
import { keyConstraints, keyMayMatch, splitArn } from '../src/policy/resource.js';

const OWNER = '1234567890123456';
const arn = (bucket: string, key?: string): string => ossResourceArn('cn-hangzhou', OWNER, bucket, key);

function policy(statements: Array<Record<string, unknown>>): CompiledPolicy {
  const r = compilePolicy(JSON.stringify({ Version: '1', Statement: statements }), 'identity', { label: 'p' });
  if (!r.ok) throw new Error(r.error.message);
  return r.policy;
}

/** Whole-ARN reference: does a pattern match (segment-aware like resource.ts, via plain globs)? */
function refMatch(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split(':');
  if (p.length < 5) return compileGlob(pattern)(resource);
  const r = resource.split(':');
  if (r.length < 5) return false;
  for (let i = 0; i < 4; i++) if (!compileGlob(p[i]!)(r[i]!)) return false;
  return compileGlob(p.slice(4).join(':'))(r.slice(4).join(':'));
}

describe('policy key index', () => {
  it('keyConstraints: exact, prefix, or none', () => {
    assert.deepEqual(keyConstraints('acs:oss:*:*:photos/*'), [{ exact: 'photos' }]);
    assert.deepEqual(keyConstraints('acs:oss:*:*:photos'), [{ exact: 'photos' }]);
    assert.deepEqual(keyConstraints('acs:oss:*:*:pho*'), [{ prefix: 'pho' }]);
    assert.deepEqual(keyConstraints('acs:oss:*:*:pho?os/a'), [{ prefix: 'pho' }]);
    assert.deepEqual(keyConstraints('acs:oss:*:*:photos/a?c*'), [{ exact: 'photos' }]);
    assert.equal(keyConstraints('acs:oss:*:*:*'), null);
    assert.equal(keyConstraints('acs:oss:*:*:?hotos'), null);
    assert.equal(keyConstraints('acs:oss:*'), null);
    assert.equal(keyConstraints('*'), null);
  });

  it('keyConstraints: a role pattern is also keyed by its lower-cased form, which it matches too', () => {
    assert.deepEqual(keyConstraints('acs:ram:*:*:role/AdminRole'), [{ exact: 'role' }]);
    assert.deepEqual(keyConstraints('acs:ram:*:*:Role/AdminRole'), [{ exact: 'Role' }, { exact: 'role' }]);
    assert.deepEqual(keyConstraints('acs:ram:*:*:ROLE/*'), [{ exact: 'ROLE' }, { exact: 'role' }]);
    assert.deepEqual(keyConstraints('acs:oss:*:*:photos/*'), [{ exact: 'photos' }]);
    assert.equal(keyConstraints('acs:oss:*:*:*'), null);
  });

  it('keyMayMatch never rules out a bucket the pattern can match', () => {
    const patterns = ['acs:oss:*:*:b*', 'acs:oss:*:*:b?x', 'acs:oss:*:*:bk/x*', 'acs:oss:*:*:bk', 'acs:oss:*:*:bk-a*/k', 'acs:oss:*:*:bk?/k'];
    const resources = [arn('bk'), arn('bk', 'x'), arn('bk', 'xy'), arn('bkx'), arn('bk-a'), arn('bk-ab', 'k'), arn('b'), arn('bk', 'k'), arn('bkz', 'k'), arn('c', 'bk/x'), `acs:oss:cn-hangzhou:${OWNER}:bk/x:y`];
    for (const p of patterns) {
      const cs = keyConstraints(p);
      for (const r of resources) {
        const key = splitArn(r).key!;
        if (refMatch(p, r)) assert.ok(cs === null || cs.some((c) => keyMayMatch(c, key)), `${p} matches ${r} but key ${key} was ruled out`);
      }
    }
    // `?` may stand for the `/` after the bucket: the bucket `b` can match `b?x` through `b/x`.
    assert.ok(refMatch('acs:oss:*:*:b?x', arn('b', 'x')));
    assert.ok(keyConstraints('acs:oss:*:*:b?x')!.some((c) => keyMayMatch(c, 'b')));
  });

  const statements = [
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' },
    { Effect: 'Allow', Action: 'oss:GetObject', Resource: ['acs:oss:*:*:arch*', 'acs:oss:*:*:logs/2024/*'] },
    { Effect: 'Deny', Action: 'oss:GetObject', NotResource: ['acs:oss:*:*:photos/*', 'acs:oss:*:*:shared-*'], Condition: { StringEquals: { 'acs:UserAgent': 'x' } } },
    { Effect: 'Deny', Action: 'oss:GetObject', NotResource: 'acs:oss:*:*:*/public/*', Condition: { StringEquals: { 'acs:UserAgent': 'y' } } },
    { Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b?x' },
    { Effect: 'Allow', Action: 'oss:GetObject', NotResource: 'acs:oss:*:*:secret/*' },
  ];
  const p = policy(statements);
  const resources = [
    arn('photos', 'a.jpg'), arn('photos'), arn('photosx', 'a'), arn('archive', 'k'), arn('arch'), arn('ar', 'k'), arn('logs', '2024/a'),
    arn('logs', '2023/a'), arn('shared-1', 'k'), arn('shared', 'k'), arn('secret', 'k'), arn('secrets', 'k'), arn('b', 'x'), arn('bx', 'x'),
    arn('other', 'public/a'), `acs:oss:cn-hangzhou:${OWNER}:photos/x:y`, `acs:oss:*:${OWNER}:*`, 'acs:oss:cn-hangzhou:other:photos/a',
  ];

  it('decide and evaluate agree with direct matching, for every bucket, in any order and past the memo limit', () => {
    const expected = (resource: string, ua: string): string[] =>
      statements.flatMap((st, i) => {
        const pats = ([] as string[]).concat((st.Resource ?? st.NotResource) as string | string[]);
        const any = pats.some((x) => refMatch(x, resource));
        const resOk = st.Resource !== undefined ? any : !any;
        const condOk = st.Condition === undefined || (st.Condition as { StringEquals: Record<string, string> }).StringEquals['acs:UserAgent'] === ua;
        return resOk && condOk ? [`${i}`] : [];
      });
    const fillers = Array.from({ length: 600 }, (_, i) => arn(`filler-${i}`, 'k'));
    for (const round of [resources, [...resources].reverse(), fillers, resources]) {
      for (const resource of round) {
        for (const ua of ['x', 'y', 'z']) {
          const req = { action: 'oss:GetObject', resource, context: { 'acs:UserAgent': ua } };
          const want = expected(resource, ua);
          assert.deepEqual(evaluate([p], req).matched.map((m) => `${m.statement}`), want, `${resource} ${ua}`);
          const denies = want.filter((i) => statements[Number(i)]!.Effect === 'Deny');
          const d = decide([p], req);
          assert.equal(d.decision, denies.length > 0 ? 'ExplicitDeny' : want.length > 0 ? 'Allow' : 'ImplicitDeny', `${resource} ${ua}`);
          assert.equal(d.deciding?.statement, denies.length > 0 ? Number(denies[0]) : want.length > 0 ? Number(want[0]) : undefined);
        }
      }
    }
  });

  it('a NotResource taken as applying keeps its Sid, index and effect', () => {
    const q = policy([{ Sid: 'NotSecret', Effect: 'Deny', Action: 'oss:PutObject', NotResource: ['acs:oss:*:*:secret/*'] }]);
    const r = evaluate([q], { action: 'oss:PutObject', resource: arn('open', 'k') });
    assert.deepEqual(r.matched, [{ policy: 'p', statement: 0, effect: 'Deny', sid: 'NotSecret' }]);
    assert.equal(decide([q], { action: 'oss:PutObject', resource: arn('secret', 'k') }).decision, 'ImplicitDeny');
    // The other segments still count for Resource: same bucket name, other service.
    const s = policy([{ Effect: 'Allow', Action: 'oss:PutObject', Resource: ['acs:oss:*:*:open/*'] }]);
    assert.equal(decide([s], { action: 'oss:PutObject', resource: 'acs:ecs:cn-hangzhou:1:open/k' }).decision, 'ImplicitDeny');
    assert.equal(decide([s], { action: 'oss:PutObject', resource: arn('open', 'k') }).decision, 'Allow');
  });

  it('a policy set decided repeatedly (indexed) follows changes to its array and keeps labels', () => {
    const allowAll = policy([{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }]);
    const denyPhotos = compilePolicy(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' }] }), 'identity', { label: 'deny-photos' });
    if (!denyPhotos.ok) throw new Error('compile');
    const set: CompiledPolicy[] = [allowAll, allowAll.withLabel('second')];
    const req = { action: 'oss:GetObject', resource: arn('photos', 'a.jpg') };
    for (let i = 0; i < 3; i++) {
      const d = decide(set, req);
      assert.equal(d.decision, 'Allow');
      assert.equal(d.deciding?.policy, 'p');
    }
    set.push(denyPhotos.policy); // the same array, changed after it was indexed
    for (let i = 0; i < 3; i++) {
      const d = decide(set, req);
      assert.equal(d.decision, 'ExplicitDeny');
      assert.equal(d.deciding?.policy, 'deny-photos');
      assert.equal(decide(set, { action: 'oss:GetObject', resource: arn('other', 'a.jpg') }).decision, 'Allow');
    }
    set[2] = allowAll.withLabel('third'); // same length, another member
    assert.equal(decide(set, req).decision, 'Allow');
    set.splice(0, 3, allowAll.withLabel('only-one'), denyPhotos.policy.withLabel('renamed'));
    const d = decide(set, req);
    assert.equal(d.deciding?.policy, 'renamed');
    assert.deepEqual(evaluate(set, req).matched.map((m) => m.policy), ['only-one', 'renamed']);
  });
});
