// The server as a user starts it: bin/alunite server, flags and environment, what it prints, /-/health.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { eventually } from './helpers/eventually.js';
import { BIN, kill9, START_LIMIT_MS } from './helpers/spawn.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Spawns the CLI with exactly this environment (no test credentials) and collects its stdout. */
function start(args: string[], env: Record<string, string>, cwd: string): Promise<{ kill: () => Promise<void>; out: string; url: string; stderr: () => string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_'))) as Record<string, string>;
  const child = spawn(process.execPath, [BIN, 'server', ...args], { env: { ...clean, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line within ${START_LIMIT_MS / 1000} s: ${out}`));
    }, START_LIMIT_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^alunite listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ kill: () => kill9(child), out, url: m[1]!, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}${err}`));
    });
  });
}

describe('bin/alunite server', () => {
  it('uses and prints the well-known development credentials, and serves /-/health', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'alunite-cli-'));
    dirs.push(cwd);
    const s = await start(['--port', '0'], {}, cwd);
    try {
      assert.match(s.out, /AccessKeyId\s+LTAI5tAluniteDevAccessKey/);
      assert.match(s.out, /AccessKeySecret\s+AluniteDevSecret0123456789ABCD/);
      assert.match(s.out, /new OSS\(\{ endpoint: 'http:\/\/127\.0\.0\.1:\d+'/);
      const health = (await (await fetch(`${s.url}/-/health`)).json()) as { status: string; version: string; uptimeSeconds: number };
      assert.equal(health.status, 'ok');
      assert.match(health.version, /^\d+\.\d+\.\d+$/);
      assert.equal(typeof health.uptimeSeconds, 'number');
      const oss = new OSS({ endpoint: s.url, region: 'oss-cn-hangzhou', accessKeyId: 'LTAI5tAluniteDevAccessKey', accessKeySecret: 'AluniteDevSecret0123456789ABCD', bucket: 'dev' });
      await oss.putBucket('dev');
      await oss.put('a.txt', Buffer.from('a'));
      // Default data directory is ./.alunite
      assert.ok((await readdir(join(cwd, '.alunite'))).includes('metadata.sqlite'));
    } finally {
      await s.kill();
    }
  });

  it('reads ALUNITE_* environment variables and keeps nothing on disk with --in-memory', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'alunite-cli-'));
    dirs.push(cwd);
    const env = {
      ALUNITE_HOST: '127.0.0.1',
      ALUNITE_PORT: '0',
      ALUNITE_ROOT_ACCESS_KEY_ID: 'LTAI5tEnvKey',
      ALUNITE_ROOT_ACCESS_KEY_SECRET: 'EnvSecretEnvSecretEnvSecret123',
      ALUNITE_ACCOUNT_ID: '5555555555555555',
      ALUNITE_REGION: 'cn-beijing',
    };
    const s = await start(['--in-memory'], env, cwd);
    try {
      assert.doesNotMatch(s.out, /AluniteDevSecret/);
      assert.match(s.out, /region cn-beijing, account 5555555555555555, in memory/);
      const oss = new OSS({ endpoint: s.url, region: 'oss-cn-beijing', accessKeyId: env.ALUNITE_ROOT_ACCESS_KEY_ID, accessKeySecret: env.ALUNITE_ROOT_ACCESS_KEY_SECRET, bucket: 'mem', authorizationV4: true });
      await oss.putBucket('mem');
      await oss.put('big.bin', Buffer.alloc(300 * 1024, 1));
      const info = await oss.getBucketInfo('mem');
      assert.equal((info.bucket as unknown as { Owner: { ID: string } }).Owner.ID, '5555555555555555');
      assert.deepEqual(await readdir(cwd), []);
    } finally {
      await s.kill();
    }
  });

  it('logs every denial with its request id and the deciding policy statement', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'alunite-cli-'));
    dirs.push(cwd);
    const s = await start(['--in-memory', '--port', '0', '--log-level', 'info'], {}, cwd);
    try {
      const oss = new OSS({ endpoint: s.url, region: 'oss-cn-hangzhou', accessKeyId: 'LTAI5tAluniteDevAccessKey', accessKeySecret: 'AluniteDevSecret0123456789ABCD', bucket: 'logged' });
      await oss.putBucket('logged');
      await oss.put('secret.txt', Buffer.from('x'));
      // "*" with a Condition applies to the owner too (spec ram-sts §2.4): the owner locks itself out.
      await oss.putBucketPolicy('logged', {
        Version: '1',
        // ali-oss's typings have no Condition; the document is sent as JSON as written.
        Statement: [
          { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:logged/public/*'] },
          { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:logged/secret.txt'], Condition: { StringNotEquals: { 'acs:UserAgent': 'nobody' } } },
        ],
      } as unknown as Parameters<OSS['putBucketPolicy']>[1]);
      const err = await oss.get('secret.txt').then(() => null, (e: { code: string; requestId: string }) => e);
      assert.equal(err?.code, 'AccessDenied');
      const lineOf = () => s.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'access denied' && l.requestId === err?.requestId);
      // The log is written asynchronously: wait for the line rather than for a fixed time.
      await eventually(() => lineOf() !== undefined, `a log line for ${err?.requestId}: ${s.stderr()}`);
      const line = lineOf();
      assert.ok(line, `no log line for ${err?.requestId}: ${s.stderr()}`);
      assert.equal(line.layer, 'bucket');
      assert.equal(line.statement, 1);
      assert.equal(line.effect, 'Deny');
      assert.equal(line.principal, 'root:1000000000000001');
      assert.equal(line.action, 'oss:GetObject');
      assert.doesNotMatch(s.stderr(), /AluniteDevSecret/);
    } finally {
      await s.kill();
    }
  });

  it("run from the home directory, ./.alunite would be the CLI's ~/.alunite: refused while empty of server data, a warning once it holds some", async () => {
    const home = await mkdtemp(join(tmpdir(), 'alunite-home-'));
    dirs.push(home);
    await mkdir(join(home, '.alunite'));
    await writeFile(join(home, '.alunite', 'config'), '[default]\nendpoint = http://127.0.0.1:8930\n');
    await assert.rejects(start(['--port', '0'], { HOME: home }, home), (err: Error) => {
      assert.match(err.message, /^exited 2: /);
      assert.ok(err.message.includes(`error: the data directory ./.alunite is ${join(home, '.alunite')}, where the alunite CLI keeps its profiles (config) and upload checkpoints`), err.message);
      assert.ok(err.message.includes(`give it one with --data (e.g. --data ${join(home, 'alunite-data')})`), err.message);
      return true;
    });
    assert.deepEqual(await readdir(join(home, '.alunite')), ['config'], 'nothing written next to the CLI config');
    // Elsewhere in the same home: starts.
    const elsewhere = await start(['--port', '0', '--data', join(home, 'alunite-data')], { HOME: home }, home);
    await elsewhere.kill();
    // A directory that already holds a server's data (started before this check, here under another HOME) keeps working.
    const other = await start(['--port', '0', '--data', join(home, '.alunite')], { HOME: join(home, 'alunite-data') }, home);
    await other.kill();
    const again = await start(['--port', '0'], { HOME: home }, home);
    try {
      await eventually(() => /^warning: the data directory \.\/\.alunite is .*deleting it to reset the server would delete them too/m.test(again.stderr()), 'the warning on stderr');
    } finally {
      await again.kill();
    }
  });

  it('refuses a second server on a data directory in use, and bad environment values, with clear messages', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'alunite-cli-'));
    dirs.push(cwd);
    const first = await start(['--port', '0', '--data', join(cwd, 'data')], {}, cwd);
    try {
      await assert.rejects(start(['--port', '0', '--data', join(cwd, 'data')], {}, cwd), /metadata\.sqlite is in use by another alunite server .*: use that server, stop it .*, or start this one with its own data directory and port/);
      const taken = new URL(first.url).port;
      // Held by an alunite server (its /-/health answers): said so, with what to do.
      await assert.rejects(start(['--in-memory', '--port', taken], {}, cwd), new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use: an alunite \\d+\\.\\d+\\.\\d+ server \\(up \\d+ s\\) already runs there; use it, stop it \\(Ctrl-C in its terminal\\), or choose another with --port or ALUNITE_PORT`));
    } finally {
      await first.kill();
    }
    // Held by another program (no HTTP answer): the general message.
    const other = createNetServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = String((other.address() as AddressInfo).port);
    try {
      await assert.rejects(start(['--in-memory', '--port', otherPort], {}, cwd), new RegExp(`port ${otherPort} on 127\\.0\\.0\\.1 is already in use \\(another alunite, or another program\\): choose another with --port or ALUNITE_PORT`));
    } finally {
      other.close();
    }
    // Held by an alunite server whose metadata log failed to sync (/-/health 503 "failed", as src/server.ts answers;
    // making a real one fail needs an in-process fault, test/sqlite-durability.test.ts): still recognised, and said so.
    const failed = createHttpServer((req, res) => {
      const ok = req.url === '/-/health';
      res.writeHead(ok ? 503 : 404, { 'Content-Type': 'application/json' });
      res.end(ok ? JSON.stringify({ status: 'failed', version: '9.8.7', uptimeSeconds: 42, reason: 'metadata log sync failed (EIO); writes are refused until a restart' }) : '{}');
    });
    await new Promise<void>((resolve) => failed.listen(0, '127.0.0.1', resolve));
    const failedPort = String((failed.address() as AddressInfo).port);
    try {
      await assert.rejects(start(['--in-memory', '--port', failedPort], {}, cwd), new RegExp(`port ${failedPort} on 127\\.0\\.0\\.1 is already in use: an alunite 9\\.8\\.7 server \\(up 42 s, refusing writes until restarted\\) already runs there; use it, stop it`));
    } finally {
      failed.close();
    }
    await assert.rejects(start(['--in-memory'], { ALUNITE_PORT: 'abc' }, cwd), /ALUNITE_PORT="abc": must be a port number/);
    await assert.rejects(start(['--in-memory', '--port', '0'], { ALUNITE_LOG_LEVEL: 'loud' }, cwd), /ALUNITE_LOG_LEVEL="loud": must be one of debug, info, warn, error, silent/);
  });

  it('refuses a malformed account id with a clear message', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'alunite-cli-'));
    dirs.push(cwd);
    await assert.rejects(start(['--in-memory', '--port', '0'], { ALUNITE_ACCOUNT_ID: '12ab' }, cwd), /ALUNITE_ACCOUNT_ID must be 16 digits/);
  });
});

/** The processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name in parentheses, which may itself hold spaces.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('stopping npm with SIGTERM stops the server it started (the shell between them does not pass the signal on)', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_') && !k.startsWith('npm_'))) as Record<string, string>;
    const npm = spawn('npm', ['start', '--', '--in-memory', '--port', '0'], { cwd: dirname(dirname(BIN)), env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let server: number[] = [];
    try {
      const listening = (): string | undefined => /^alunite listening on (http:\/\/\S+)$/m.exec(out)?.[1];
      await eventually(() => listening() !== undefined, `a listening line: ${out}`, 60_000, 100);
      const url = listening()!;
      // npm → sh → node (or npm → node where the shell execs its one command: the test then checks the same).
      const below = childrenOf(npm.pid!);
      server = [...below, ...below.flatMap(childrenOf)];
      assert.equal((await fetch(`${url}/-/health`)).status, 200);
      npm.kill('SIGTERM');
      await exited;
      // The server notices within a second; a slow machine gets up to a minute.
      await eventually(() => !server.some(alive), `the server gone after npm ended: ${out}`, 60_000, 100);
      assert.deepEqual(server.filter(alive), [], `still running after npm ended: ${out}`);
      await assert.rejects(fetch(`${url}/-/health`));
    } finally {
      for (const pid of server) if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    }
  });
  // A newcomer's typo: server options before npm's `--`. npm keeps them (exporting npm_config_<name>); the server
  // names them and the command that means them instead of starting on 8930 or refusing a bare "19603".
  for (const args of [['--port', '19603', '--no-fsync'], ['--port=19603', '--data=.alunite-typo']]) {
    it(`npm start ${args.join(' ')} (no \`--\`): a usage error giving the command with \`--\``, async () => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_') && !k.startsWith('npm_'))) as Record<string, string>;
      // Should the options be ignored, the server starts harmlessly (a free port, nothing on disk): the test then fails.
      const npm = spawn('npm', ['start', ...args], { cwd: dirname(dirname(BIN)), env: { ...clean, ALUNITE_PORT: '0', ALUNITE_IN_MEMORY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
      npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      try {
        await eventually(() => npm.exitCode !== null || /^alunite listening on /m.test(out), `an exit or a listening line: ${out}`, 60_000, 100);
        assert.doesNotMatch(out, /^alunite listening on /m, 'the server started without the options given');
        assert.notEqual(await exited, 0);
        const expected = args[0] === '--port'
          ? 'error: npm kept --port, --no-fsync for itself (options before `--` are npm\'s), so the server never got them: give server options after `--`: npm start -- --port 19603 --no-fsync'
          : 'error: npm kept --port, --data for itself (options before `--` are npm\'s), so the server never got them: give server options after `--`: npm start -- --port 19603 --data .alunite-typo';
        assert.ok(out.split('\n').includes(expected), out);
      } finally {
        if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGTERM');
        await exited;
      }
    });
  }
});

describe('a fresh clone', () => {
  // `npm start` before `npm install`: no dist/ and no node_modules/, so `npm run build` (what a checkout without dist/
  // is told) would only fail again with `tsc: not found`.
  it('bin/alunite without node_modules/ or dist/ says to run npm install', async () => {
    const clone = await mkdtemp(join(tmpdir(), 'alunite-fresh-clone-'));
    dirs.push(clone);
    await mkdir(join(clone, 'bin'));
    await mkdir(join(clone, 'src', 'cli'), { recursive: true });
    await writeFile(join(clone, 'bin', 'alunite'), readFileSync(BIN));
    await writeFile(join(clone, 'src', 'cli', 'main.ts'), '');
    const child = spawn(process.execPath, [join(clone, 'bin', 'alunite'), 'server'], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1);
    assert.equal(err, `alunite: ${clone} has no dependencies installed and no build: run \`npm install\` there (it installs and builds; a few minutes), then this command again\n`);
  });
});
