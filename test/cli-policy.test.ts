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

async function cli(args: string[]): Promise<{ code: number; out: unknown }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, out: JSON.parse(stdout) as unknown };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: JSON.parse(e.stdout) as unknown };
  }
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
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('validate accepts a good document and names the fault in a bad one (exit 1)', async () => {
    assert.deepEqual(await cli(['policy', 'validate', file('prefix.json')]), { code: 0, out: { file: file('prefix.json'), valid: true } });
    const bad = await cli(['policy', 'validate', file('bad.json')]);
    assert.equal(bad.code, 1);
    const out = bad.out as { valid: boolean; error: string; path: string };
    assert.equal(out.valid, false);
    assert.equal(out.path, 'Statement[0].Action[1]');
    assert.match(out.error, /"Oss: GetObject" is not of the form service:action/);
  });

  it('validate reports unreadable files as invalid, one result per file', async () => {
    const r = await cli(['policy', 'validate', file('prefix.json'), file('missing.json'), dir]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.out, [
      { file: file('prefix.json'), valid: true },
      { file: file('missing.json'), valid: false, error: `cannot read ${file('missing.json')}: no such file` },
      { file: dir, valid: false, error: `cannot read ${dir}: it is a directory` },
    ]);
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
