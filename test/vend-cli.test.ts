// `bin/alunite vend` and `bin/alunite vend add-user` as an operator runs them (spawned): configuration
// errors naming the field, the users file, refusing the account's own AccessKey, a working start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfigFile } from '../src/vend/index.js';
import { AK, SECRET } from './helpers/server.js';
import { BIN, kill9, START_LIMIT_MS } from './helpers/spawn.js';
import { appWorld, configDoc, type AppWorld } from './helpers/vend.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cleanEnv = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_'))) as Record<string, string>;

function run(args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `alunite vend` and resolves at its listening line. */
function startVendCli(args: string[], env: Record<string, string> = {}): Promise<{ url: string; out: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'vend', ...args], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line within ${START_LIMIT_MS / 1000} s: ${out}${err}`));
    }, START_LIMIT_MS);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^alunite vend listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, out, stop: () => kill9(child) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}${err}`));
    });
  });
}

describe('alunite vend add-user', () => {
  let world: AppWorld;
  before(async () => {
    world = await appWorld();
  });
  after(async () => world.stop());

  it('creates the users file with mode 0600, scrypt hashes, refuses duplicates and unsafe names or groups', async () => {
    const file = join(world.dir, 'users.json');
    const a = await run(['vend', 'add-user', '--users', file, 'usr001', '--group', 'staff', '--password-stdin'], { stdin: 'correct horse battery\n' });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, `added user usr001 (group staff) to ${file}\n`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const doc = JSON.parse(await readFile(file, 'utf8')) as { users: Record<string, { password: string; group?: string }> };
    assert.match(doc.users.usr001!.password, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!JSON.stringify(doc).includes('correct horse'));
    assert.equal(doc.users.usr001!.group, 'staff');

    const generated = await run(['vend', 'add-user', '--users', file, 'usr002']);
    assert.equal(generated.code, 0, generated.stderr);
    const password = /^password: (\S+)$/m.exec(generated.stdout)?.[1];
    assert.ok(password && password.length >= 20);

    const dup = await run(['vend', 'add-user', '--users', file, 'usr001', '--password-stdin'], { stdin: 'another password' });
    assert.equal(dup.code, 1);
    // Every CLI failure is one `error: …` line (docs/cli.md "Output and exit codes").
    assert.equal(dup.stderr.trim(), `error: user "usr001" already exists in ${file}`);
    for (const [name, why] of [['../x', 'must not contain ".."'], ['a/b', 'must be 2-64 characters'], ['*', 'must be 2-64 characters'], ['${user}', 'must be 2-64 characters'], ['x', 'must be 2-64 characters']] as const) {
      const r = await run(['vend', 'add-user', '--users', file, name, '--password-stdin'], { stdin: 'long enough password' });
      assert.equal(r.code, 1, name);
      assert.ok(r.stderr.includes(`user id ${JSON.stringify(name)} ${why}`), r.stderr);
    }
    const badGroup = await run(['vend', 'add-user', '--users', file, 'usr003', '--group', 'a b', '--password-stdin'], { stdin: 'long enough password' });
    assert.equal(badGroup.code, 1);
    assert.match(badGroup.stderr, /group "a b" must be 2-64 characters/);
    const short = await run(['vend', 'add-user', '--users', file, 'usr003', '--password-stdin'], { stdin: 'short' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8 characters/);
    // Nothing of the refused calls reached the file.
    assert.deepEqual(Object.keys((JSON.parse(await readFile(file, 'utf8')) as { users: object }).users), ['usr001', 'usr002']);

    // The users log in to a spawned vend service with those passwords.
    const cfg = join(world.dir, 'vend.yaml');
    await writeFile(cfg, stringify(configDoc(world, { mode: 'users', usersFile: 'users.json' })));
    const vend = await startVendCli(['--config', cfg]);
    try {
      for (const [username, pw] of [['usr001', 'correct horse battery'], ['usr002', password]]) {
        const res = await fetch(`${vend.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: pw }) });
        assert.equal(res.status, 200, username);
        const { token } = (await res.json()) as { token: string };
        const t = await fetch(`${vend.url}/sts/token`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(((await t.json()) as { StatusCode: string }).StatusCode, '200');
      }
    } finally {
      await vend.stop();
    }
  });
});

describe('alunite vend: configuration and start-up', () => {
  let world: AppWorld;
  before(async () => {
    world = await appWorld();
    await writeFile(join(world.dir, 'users.json'), JSON.stringify({ users: {} }), { mode: 0o600 });
  });
  after(async () => world.stop());

  const write = async (name: string, doc: unknown): Promise<string> => {
    const p = join(world.dir, name);
    await writeFile(p, typeof doc === 'string' ? doc : stringify(doc));
    return p;
  };

  it('configuration errors: exit code 1 and every bad field named', async () => {
    const good = configDoc(world, { mode: 'users', usersFile: 'users.json' });
    const bad = {
      ...good,
      sts: { endpoint: 'ftp://sts', roleArn: 'acs:ram::1:role/x', durationSeconds: 60 },
      grants: {
        upload: { policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:PutObject', Resource: 42 }] } },
        typo: { policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:PutObject', Resource: 'acs:oss:*:*:${bucket}/${usr}/*' }] } },
        'bad name!': { policy: {} },
      },
      defaultGrant: 'missing',
      cahce: true,
    };
    const r = await run(['vend', '--config', await write('bad.yaml', bad)]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], `error: invalid vend configuration in ${join(world.dir, 'bad.yaml')}:`);
    for (const expected of [
      'cahce: is not a known setting',
      'sts.endpoint: "ftp://sts" must be an http or https URL',
      'sts.accessKeyId: is required (or set ALUNITE_VEND_ACCESS_KEY_ID)',
      'sts.accessKeySecret: is required (or set ALUNITE_VEND_ACCESS_KEY_SECRET)',
      'sts.roleArn: "acs:ram::1:role/x" is not a role ARN',
      'sts.durationSeconds: must be an integer from 900 to 43200, got 60',
      'grants.upload.policy.Statement[0].Resource: must be a string or an array of strings, got 42',
      'grants.typo.policy.Statement[0].Resource: unknown variable ${usr}',
      'grants.bad name!: grant names are 1-64 characters',
      'defaultGrant: "missing" is not a grant',
    ]) {
      assert.ok(lines.some((l) => l.trim().startsWith(expected)), `missing "${expected}" in:\n${r.stderr}`);
    }
    assert.equal(lines.length, 11, r.stderr);

    const tooLong = { ...good, sessionPolicy: { Version: '1', Statement: Array.from({ length: 14 }, () => ({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:${bucket}/${user}/${user}/*' })) } };
    const t = await run(['vend', '--config', await write('long.yaml', tooLong)]);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /sessionPolicy: .*2048.*after substituting a 64-character user id and group/);

    const jwt = await run(['vend', '--config', await write('jwt.yaml', { ...good, auth: { mode: 'jwt', secret: 'short', publicKeyFile: 'x.pem', issuer: 'i', audience: 'a' } })]);
    assert.equal(jwt.code, 1);
    assert.match(jwt.stderr, /auth: give exactly one of secret \(HS256\), publicKeyFile \(RS256\/ES256 PEM\), jwksFile \(got secret, publicKeyFile\)/);
    const mode = await run(['vend', '--config', await write('mode.yaml', { ...good, auth: { mode: 'ldap' } })]);
    assert.match(mode.stderr, /auth\.mode: must be "users" or "jwt", got "ldap"/);
    const yaml = await run(['vend', '--config', await write('broken.yaml', 'sts: [unclosed\n')]);
    assert.equal(yaml.code, 1);
    assert.match(yaml.stderr, /not valid YAML/);
    const missing = await run(['vend', '--config', join(world.dir, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the file/);
    // A missing flag is a usage error: exit 2, as for every command.
    const none = await run(['vend']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: required option '--config <file>' not specified$/m);
  });

  it('examples/vend.yaml is a valid configuration; its endpoints come from ALUNITE_ENDPOINT (any port)', () => {
    const example = fileURLToPath(new URL('../../examples/vend.yaml', import.meta.url));
    const keys = { ALUNITE_VEND_ACCESS_KEY_ID: 'LTAIexample', ALUNITE_VEND_ACCESS_KEY_SECRET: 'example-secret' };
    const config = loadConfigFile(example, { ...keys, ALUNITE_ENDPOINT: 'http://127.0.0.1:18930' });
    assert.deepEqual([...config.grants.keys()], ['default', 'read-only', 'team']);
    assert.equal(config.sts.accessKeyId, 'LTAIexample');
    assert.equal(config.auth.mode, 'users');
    assert.equal(config.oss.pathStyle, true);
    assert.equal(config.sts.endpoint, 'http://127.0.0.1:18930');
    assert.equal(config.oss.endpoint, 'http://127.0.0.1:18930');
    // A bare host:port, as the CLI accepts it there.
    assert.equal(loadConfigFile(example, { ...keys, ALUNITE_ENDPOINT: 'localhost:9000' }).sts.endpoint, 'http://localhost:9000');
    // Unset or empty: both fields say what is missing and where else it may come from.
    for (const env of [keys, { ...keys, ALUNITE_ENDPOINT: '' }]) {
      assert.throws(
        () => loadConfigFile(example, env),
        (err: Error) => /sts\.endpoint: is required \(or set ALUNITE_ENDPOINT\)/.test(err.message) && /oss\.endpoint: is required \(or set ALUNITE_ENDPOINT\)/.test(err.message),
      );
    }
    assert.throws(() => loadConfigFile(example, { ...keys, ALUNITE_ENDPOINT: 'ftp://x' }), /sts\.endpoint \(from ALUNITE_ENDPOINT\): "ftp:\/\/x" must be an http or https URL/);
  });

  it('an endpoint written in the file wins over ALUNITE_ENDPOINT', async () => {
    const doc = configDoc(world, { mode: 'users', usersFile: 'users.json' });
    const config = loadConfigFile(await write('explicit.yaml', doc), { ALUNITE_ENDPOINT: 'http://192.0.2.1:1' });
    assert.equal(config.sts.endpoint, (doc.sts as { endpoint: string }).endpoint);
    assert.equal(config.oss.endpoint, (doc.oss as { endpoint: string }).endpoint);
  });

  it("refuses to start with the account's own AccessKey; starts with the vending user's key from the environment", async () => {
    const doc = configDoc(world, { mode: 'users', usersFile: 'users.json' });
    const sts = { ...(doc.sts as Record<string, unknown>) };
    delete sts.accessKeyId;
    delete sts.accessKeySecret;
    const cfg = await write('env.yaml', { ...doc, sts, listen: { port: 1 } });
    const root = await run(['vend', '--config', cfg, '--port', '0'], { env: { ALUNITE_VEND_ACCESS_KEY_ID: AK, ALUNITE_VEND_ACCESS_KEY_SECRET: SECRET } });
    assert.equal(root.code, 1);
    assert.match(root.stderr, /sts\.accessKeyId is an AccessKey of the account itself/);
    // A wrong secret: the start-up call is named (it said AssumeRole) and so is the setting to check.
    const wrong = await run(['vend', '--config', cfg, '--port', '0'], { env: { ALUNITE_VEND_ACCESS_KEY_ID: world.vendUser.accessKeyId, ALUNITE_VEND_ACCESS_KEY_SECRET: 'wrong-secret-wrong-secret-wrong' } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: StsError: STS refused GetCallerIdentity: SignatureDoesNotMatch \(HTTP 400, RequestId [0-9A-F-]{36}\): .*; check the vending AccessKey: sts\.accessKeyId \/ ALUNITE_VEND_ACCESS_KEY_ID and sts\.accessKeySecret \/ ALUNITE_VEND_ACCESS_KEY_SECRET$/m);
    assert.ok(!wrong.stderr.includes(world.vendUser.accessKeyId), wrong.stderr);
    const vend = await startVendCli(['--config', cfg, '--port', '0', '--host', '127.0.0.1'], {
      ALUNITE_VEND_ACCESS_KEY_ID: world.vendUser.accessKeyId,
      ALUNITE_VEND_ACCESS_KEY_SECRET: world.vendUser.accessKeySecret,
    });
    try {
      assert.match(vend.out, /^alunite vend: role acs:ram::\d{16}:role\/AppUser via http:\/\/127\.0\.0\.1:\d+, auth users, grants default, read-only, team$/m);
      assert.ok(!vend.out.includes(world.vendUser.accessKeySecret));
      // What to call next, and where the demo page is (it said only where it listens).
      assert.ok(vend.out.includes(`\napp users: GET ${vend.url}/sts/token with "Authorization: Bearer <the token from POST ${vend.url}/login {"username":…,"password":…}>" gets credentials; demo page: ${vend.url}/\n`), vend.out);
      const r = await fetch(`${vend.url}/sts/token`);
      assert.equal(r.status, 401);
    } finally {
      await vend.stop();
    }
  });
});
