// `alunite policy validate|simulate`, run as a user runs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BIN } from './helpers/spawn.js';

const run = promisify(execFile);

/** Runs the CLI; `out` is stdout parsed as JSON when it is JSON. */
async function cli(args: string[]): Promise<{ code: number; out: unknown; stdout: string; stderr: string }> {
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return undefined;
    }
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, out: parse(stdout), stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: parse(e.stdout), stdout: e.stdout, stderr: e.stderr };
  }
}

interface Report {
  valid: boolean;
  errors: Array<{ file: string; code: string; message: string; path: string; statement?: number; sid?: string; field?: string; line?: number; column?: number }>;
  warnings: Report['errors'];
  files: Array<{ file: string; valid: boolean; errors: number; warnings: number }>;
}

describe('alunite policy', () => {
  let dir: string;
  const file = (name: string): string => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-policy-'));
    await writeFile(file('prefix.json'), JSON.stringify({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:app/usr001/*' },
        { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } },
      ],
    }));
    await writeFile(file('bad.json'), JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'Oss: GetObject'], Resource: '*' }] }));
    await writeFile(file('many.json'), [
      '{',
      '  "Version": "1",',
      '  "Statement": [',
      '    {"Sid": "first", "Action": "oss:GetObject", "Effect": "allow", "Resource": "acs:oss:*:*:b/*"},',
      '    {"Effect": "Allow", "Action": "oss:GetObject", "Condition": {"StringEqual": {"oss:Prefix": "a"}}, "Resource": "bucket"}',
      '  ]',
      '}',
    ].join('\n'));
    await writeFile(file('typo.json'), [
      '{',
      '  "Version": "1",',
      '  "Statement": [',
      '    {"Sid": "read", "Effect": "Allow", "Action": ["oss:GetObjekt", "oss:GetObject"], "Resource": "acs:oss:*:*:mybucket",',
      '     "Condition": {"StringEquals": {"oss:Prefx": "a"}}}',
      '  ]',
      '}',
    ].join('\n'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('validate accepts a good document and names the fault in a bad one (exit 1)', async () => {
    const good = await cli(['policy', 'validate', '--json', file('prefix.json')]);
    assert.equal(good.code, 0);
    assert.deepEqual(good.out, { valid: true, errors: [], warnings: [], files: [{ file: file('prefix.json'), valid: true, errors: 0, warnings: 0 }] });
    const bad = await cli(['policy', 'validate', '--json', file('bad.json')]);
    assert.equal(bad.code, 1);
    const out = bad.out as Report;
    assert.equal(out.valid, false);
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0]!.path, 'Statement[0].Action[1]');
    assert.match(out.errors[0]!.message, /"Oss: GetObject" is not of the form service:action/);
  });

  it('validate reports every error with its statement, Sid, field and line:column; readable on stderr, a verdict on stdout', async () => {
    const r = await cli(['policy', 'validate', file('many.json')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${file('many.json')}: invalid (3 errors)\n`);
    assert.deepEqual(r.stderr.split('\n').filter((l) => l !== ''), [
      `${file('many.json')}:4:49: error: Statement[0].Effect must be "Allow" or "Deny", got "allow" (Sid "first") [Grammar]`,
      `${file('many.json')}:5:66: error: Statement[1].Condition.StringEqual is not a supported condition operator [Grammar]`,
      `${file('many.json')}:5:103: error: Statement[1].Resource "bucket" is not "*" or an ARN of the form acs:<service>:<region>:<account>:<resource> [Grammar]`,
    ]);
    const json = (await cli(['policy', 'validate', '--json', file('many.json')])).out as Report;
    assert.deepEqual(json.errors.map((e) => [e.statement, e.sid, e.field, e.line, e.column]), [
      [0, 'first', 'Effect', 4, 49],
      [1, undefined, 'Condition', 5, 66],
      [1, undefined, 'Resource', 5, 103],
    ]);
  });

  it('validate warns on oss:GetObjekt, on a resource the action cannot act on and on unknown condition keys (exit 0; 1 with --strict)', async () => {
    const r = await cli(['policy', 'validate', file('typo.json')]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${file('typo.json')}: valid (3 warnings)\n`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /typo\.json:4:\d+: warning: Statement\[0\]\.Action\[0\] "oss:GetObjekt" matches no oss action \(did you mean "oss:GetObject"\?\) \(Sid "read"\) \[UnknownAction\]$/);
    assert.match(lines[1]!, /typo\.json:4:\d+: warning: Statement\[0\]\.Resource\[0\] "acs:oss:\*:\*:mybucket" cannot match .*\[ResourceTypeMismatch\]$/);
    assert.match(lines[2]!, /typo\.json:5:\d+: warning: .*"oss:Prefx".*\[UnknownConditionKey\]$/);
    const strict = await cli(['policy', 'validate', '--strict', '--json', file('typo.json')]);
    assert.equal(strict.code, 1);
    const out = strict.out as Report;
    assert.equal(out.valid, false);
    assert.deepEqual(out.warnings.map((w) => w.code), ['UnknownAction', 'ResourceTypeMismatch', 'UnknownConditionKey']);
    assert.deepEqual(out.files, [{ file: file('typo.json'), valid: false, errors: 0, warnings: 3 }]);
  });

  it('validate reports unreadable files as invalid, one result per file', async () => {
    const r = await cli(['policy', 'validate', '--json', file('prefix.json'), file('missing.json'), dir]);
    assert.equal(r.code, 1);
    const out = r.out as Report;
    assert.equal(out.valid, false);
    assert.deepEqual(out.files.map((f) => [f.file, f.valid]), [[file('prefix.json'), true], [file('missing.json'), false], [dir, false]]);
    assert.deepEqual(out.errors, [
      { file: file('missing.json'), code: 'Unreadable', message: `cannot read ${file('missing.json')}: no such file`, path: '' },
      { file: dir, code: 'Unreadable', message: `cannot read ${dir}: it is a directory`, path: '' },
    ]);
  });

  it('a bucket or trust policy validated without --kind: the Principal error, then a hint naming the kind it is valid as', async () => {
    await writeFile(file('bucket-policy.json'), JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b/*' }] }));
    await writeFile(file('trust-policy.json'), JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::1000000000000001:root'] } }] }));
    const r = await cli(['policy', 'validate', file('bucket-policy.json'), file('trust-policy.json'), file('bad.json')]);
    assert.equal(r.code, 1);
    const hints = r.stderr.split('\n').filter((l) => l.startsWith('hint: '));
    assert.deepEqual(hints, [
      `hint: ${file('bucket-policy.json')} is a valid bucket policy: validate it with --kind bucket (without --kind, a file is checked as a RAM identity policy)`,
      `hint: ${file('trust-policy.json')} is a valid trust policy: validate it with --kind trust (without --kind, a file is checked as a RAM identity policy)`,
    ]);
    assert.match(r.stderr, /Principal is not allowed in a RAM policy/);
    // An explicit --kind is taken as meant: no hint.
    const explicit = await cli(['policy', 'validate', '--kind', 'identity', file('bucket-policy.json')]);
    assert.equal(explicit.code, 1);
    assert.doesNotMatch(explicit.stderr, /^hint:/m);
    assert.equal((await cli(['policy', 'validate', '--kind', 'bucket', file('bucket-policy.json')])).code, 0);
  });

  it('every usage error of a policy command exits 2', async () => {
    const sim = ['policy', 'simulate', '--policy', file('prefix.json'), '--action', 'oss:GetObject', '--resource', 'acs:oss:*:1:b/k'];
    for (const args of [
      ['policy', 'validate'],
      ['policy', 'validate', '--bogus', file('prefix.json')],
      ['policy', 'validate', '--kind', 'nope', file('prefix.json')],
      ['policy', 'simulate', '--policy', file('prefix.json'), '--resource', '*'],
      [...sim, '--kind', 'nope'],
      ['policy', 'frobnicate'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /error: /, args.join(' '));
    }
  });

  it('simulate explains Allow, ExplicitDeny and ImplicitDeny with the deciding statements', async () => {
    const base = ['policy', 'simulate', '--policy', file('prefix.json'), '--action', 'oss:GetObject'];
    const allow = (await cli([...base, '--resource', 'acs:oss:cn-hangzhou:1234567890123456:app/usr001/a', '--context', 'acs:SourceIp=10.1.2.3'])).out as {
      decision: string; matched: Array<{ statement: number; effect: string }>;
    };
    assert.equal(allow.decision, 'Allow');
    assert.deepEqual(allow.matched.map((m) => [m.statement, m.effect]), [[0, 'Allow']]);
    const denied = (await cli([...base, '--resource', 'acs:oss:cn-hangzhou:1234567890123456:app/usr001/a', '--context', 'acs:SourceIp=192.168.0.1'])).out as {
      decision: string; reasons: string[];
    };
    assert.equal(denied.decision, 'ExplicitDeny');
    assert.match(denied.reasons[0]!, /Statement\[1\] denies/);
    const implicit = (await cli([...base, '--resource', 'acs:oss:cn-hangzhou:1234567890123456:app/usr002/a', '--context', 'acs:SourceIp=10.0.0.1'])).out as { decision: string };
    assert.equal(implicit.decision, 'ImplicitDeny');
  });
});
