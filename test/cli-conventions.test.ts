// The conventions every `alunite` command shares (README, docs/cli.md "Output and exit codes"), checked on
// the real command tree: --json accepted everywhere, exit 2 for every usage error, exit 1 and
// {"error": {code, message, requestId}} for service errors, global options before the subcommand,
// `eval "$(… --export)"` failing loudly, and `ram policy attach` finding system policies by itself.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, loadCommands } from '../src/cli/main.js';
import { describeError } from '../src/cli/output.js';
import { cliHome, fails, json, ok, type CliHome, type CliResult } from './helpers/cli.js';
import { ACCOUNT_ID, AK, SECRET } from './helpers/server.js';
import { BIN, kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

/** All the client commands (main() loads only those a command line names). */
const CLIENT_COMMANDS = await loadCommands();

let srv: SpawnedServer;
let dataDir: string;
let cli: CliHome;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-conv-'));
  srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  cli = await cliHome();
  // [default] points nowhere: a command that works proves the options given before the subcommand were used.
  ok(await cli.run(['configure', '--endpoint', 'http://127.0.0.1:1', '--access-key-id', 'nobody', '--access-key-secret', 'nothing']));
  ok(await cli.run(['configure', '--profile', 'dev', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET]));
});

after(async () => {
  await kill9(srv.child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(cli.home, { recursive: true, force: true });
});

/** Every command that runs an action, as its argument path (`['oss', 'bucket', 'cors', 'get']`). */
function runnable(): { path: string[]; cmd: Command }[] {
  const out: { path: string[]; cmd: Command }[] = [];
  const visit = (cmd: Command, path: string[]): void => {
    const handler = (cmd as unknown as { _actionHandler?: unknown })._actionHandler;
    if (handler !== undefined && handler !== null) out.push({ path, cmd });
    for (const sub of cmd.commands) visit(sub, [...path, sub.name()]);
  };
  visit(buildProgram(CLIENT_COMMANDS), []);
  return out;
}

/** Runs with at most `limit` children at once (the machine is shared). */
async function runAll(argsList: string[][], limit = 4): Promise<CliResult[]> {
  const out: CliResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < argsList.length) {
        const i = next++;
        out[i] = await cli.run(argsList[i]!);
      }
    }),
  );
  return out;
}

const errorDoc = (r: CliResult): { code: string; message: string; requestId: string | null } => {
  const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; requestId: string | null } };
  assert.deepEqual(Object.keys(doc), ['error'], r.stdout);
  return doc.error;
};

/**
 * Parses argv with a fresh command tree in this process, as main() does, and returns what main() would
 * report: the failure (exit code, code, message) or null when parsing succeeded up to the action.
 * Only argument lists that fail while parsing are given here, so no action (server, upload…) runs.
 */
async function parseFailure(args: string[]): Promise<{ exitCode: number; code: string; message: string; stderr: string }> {
  const program = buildProgram(CLIENT_COMMANDS);
  let stderr = '';
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (t) => void (stderr += t), writeOut: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['node', 'alunite', ...args]);
  } catch (err) {
    const f = describeError(err);
    return { exitCode: f.exitCode, code: f.code, message: f.message, stderr };
  }
  throw new Error(`${args.join(' ')}: parsed without a usage error`);
}

describe('every command (walked from the command tree)', () => {
  const commands = runnable();

  it('the tree has the commands the docs list', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const n of ['server', 'keys rotate', 'vend', 'vend add-user', 'policy validate', 'configure', 'oss sync', 'oss bucket cors put', 'oss bucket acl set', 'ram policy attach', 'sts assume-role']) {
      assert.ok(names.includes(n), `${n} is registered (${names.join(', ')})`);
    }
  });

  it('accepts --json; an unknown option is a usage error (exit 2) naming it', async () => {
    for (const { path, cmd } of commands) {
      const what = path.join(' ');
      // commander checks mandatory options first: give them, so the unknown one is what fails.
      const mandatory = cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, o.argChoices?.[0] ?? 'x']);
      const f = await parseFailure([...path, ...mandatory, '--json', '--no-such-option']);
      assert.equal(f.exitCode, 2, what);
      assert.equal(f.code, 'UsageError', what);
      assert.match(f.message, /unknown option '--no-such-option'/, what);
      assert.doesNotMatch(f.stderr, /--json/, `${what} accepts --json`);
    }
  });

  it('a missing argument or required option is a usage error (exit 2)', async () => {
    const needy = commands.filter(({ cmd }) => cmd.registeredArguments.some((a) => a.required) || cmd.options.some((o) => o.mandatory));
    assert.ok(needy.length > 30, `${needy.length} commands need something`);
    for (const { path } of needy) {
      const f = await parseFailure([...path, '--json']);
      assert.equal(f.exitCode, 2, path.join(' '));
      assert.match(f.message, /missing required argument|required option/, path.join(' '));
    }
  });

  it('the real CLI: a sample of them exit 2 with the error as JSON on stdout', async () => {
    const sample = [['server'], ['keys', 'rotate'], ['vend'], ['policy', 'validate'], ['oss', 'sync'], ['ram', 'policy', 'attach'], ['sts', 'assume-role', '--role-arn', 'a', '--session-name', 'b'], ['configure', 'list']];
    const results = await runAll(sample.map((path) => [...path, '--json', '--no-such-option']));
    results.forEach((r, i) => {
      const what = sample[i]!.join(' ');
      assert.equal(r.code, 2, `${what}: exit ${String(r.code)}\n${r.stderr}`);
      assert.match(r.stderr, /^error: unknown option '--no-such-option'$/m, what);
      assert.match(errorDoc(r).message, /unknown option '--no-such-option'/, what);
    });
  });
});

describe('alunite server --help and the README agree', () => {
  const server = buildProgram(CLIENT_COMMANDS).commands.find((c) => c.name() === 'server')!;

  it('--help opens with what a first start needs: --host, --port, --data', () => {
    assert.deepEqual(server.options.slice(0, 3).map((o) => o.long), ['--host', '--port', '--data']);
  });

  it("every server flag has a row in the README's server options table", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('| flag | env | default | meaning |');
    assert.ok(start >= 0, 'the README has the server options table');
    const table = readme.slice(start, readme.indexOf('\n\n', start));
    // --json is every command's (README: "Every command has --help and --json").
    const missing = server.options.map((o) => o.long!).filter((f) => f !== '--json' && !table.includes(`\`${f}`));
    assert.deepEqual(missing, [], 'add a row for each to README.md "Server options"');
  });
});

describe('usage errors exit 2, service errors exit 1', () => {
  it('unknown commands, bad values and commands that check their own flags', async () => {
    const cases: [string[], RegExp][] = [
      [['nosuch'], /unknown command 'nosuch'/],
      [['oss', 'nosuch'], /unknown command 'nosuch'/],
      [['ram', 'user', 'nosuch'], /unknown command 'nosuch'/],
      [['server', '--port', 'abc'], /must be a port number/],
      [['vend', '--port', 'x'], /must be a port number/],
      [['vend'], /required option '--config <file>' not specified/],
      [['keys', 'rotate'], /required option '--data <dir>'/],
      [['keys', 'rotate', '--meta', 'mysql://x'], /--meta must be "sqlite" or a postgres:\/\/ URL/],
      [['policy', 'validate', 'x.json', '--kind', 'nope'], /must be one of identity, bucket, trust, session/],
      [['oss', 'ls', 'oss://b', '--limit', '0'], /must be a positive integer/],
      [['oss', 'bucket', 'acl', 'set', 'oss://b', 'world-writable'], /Allowed choices are private, public-read, public-read-write/],
      [['oss', 'sync', './a', './b'], /one local directory and one oss:\/\/ URL/],
      [['sts', 'assume-role', '--role-arn', 'a', '--session-name', 'b', '--export', '--json'], /cannot be used with/],
      [['--profile', 'dev', 'server'], /--profile does not apply to "alunite server"/],
      // An empty region would accept V4 credentials scoped to no region.
      [['server', '--in-memory', '--region', ''], /--region <region>' argument '' is invalid\. must be a region id such as cn-hangzhou/],
      [['server', '--in-memory', '--region', 'cn hangzhou'], /must be a region id/],
    ];
    const results = await runAll(cases.map(([args]) => args));
    results.forEach((r, i) => assert.match(fails(r, 2), cases[i]![1], cases[i]![0].join(' ')));
    // The same with --json: one error document on stdout.
    const some = [cases[0]!, cases[3]!, cases[5]!, cases[7]!, cases[13]!];
    const jsonResults = await runAll(some.map(([args]) => [...args, '--json']));
    jsonResults.forEach((r, i) => {
      assert.equal(r.code, 2, some[i]![0].join(' '));
      assert.equal(errorDoc(r).code, 'UsageError', some[i]![0].join(' '));
      assert.match(errorDoc(r).message, some[i]![1], some[i]![0].join(' '));
    });
  });

  it('a bad ALUNITE_REGION stops the server before it starts; the oss- form is taken', async () => {
    for (const bad of ['', 'oss-', 'cn_hangzhou']) {
      const r = await cli.run(['server', '--in-memory', '--port', '0'], { ALUNITE_REGION: bad });
      assert.match(fails(r, 2), /ALUNITE_REGION="[^"]*": must be a region id such as cn-hangzhou/, JSON.stringify(bad));
    }
  });

  it('help and version exit 0', async () => {
    const [help, version, sub] = await runAll([['--help'], ['--version'], ['oss', 'sync', '--help']]);
    assert.match(ok(help!), /--profile <name>/);
    assert.match(ok(version!), /^\d+\.\d+\.\d+/);
    assert.match(ok(sub!), /--delete[\s\S]*--dry-run/);
    // A group without its subcommand: the usage on stderr, exit 2 (and the JSON error with --json).
    const [bare, bareJson] = await runAll([['ram', 'policy'], ['ram', 'policy', '--json']]);
    assert.equal(bare!.code, 2);
    assert.match(bare!.stderr, /^Usage: alunite ram policy/);
    assert.equal(bareJson!.code, 2);
    assert.match(errorDoc(bareJson!).message, /a subcommand is required/);
  });

  it('a service error exits 1 with {error: {code, message, requestId}} under --json', async () => {
    const r = await cli.run(['oss', 'ls', 'oss://no-such-bucket-here', '--profile', 'dev', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const e = errorDoc(r);
    assert.equal(e.code, 'NoSuchBucket');
    assert.match(e.message, /bucket does not exist/);
    assert.match(String(e.requestId), /^[0-9A-F]{24}$/);
    assert.match(r.stderr, /^error: NoSuchBucket: .* \(RequestId: [0-9A-F]{24}\)$/m);
    const ram = await cli.run(['ram', 'user', 'get', 'nobody', '--profile', 'dev', '--json']);
    assert.equal(ram.code, 1);
    assert.equal(errorDoc(ram).code, 'EntityNotExist.User');
    assert.match(String(errorDoc(ram).requestId), /^[0-9A-F-]{36}$/);
  });
});

describe('global options before the subcommand', () => {
  it('--profile, --json and the connection flags work before, between and after the subcommands', async () => {
    ok(await cli.run(['--profile', 'dev', 'oss', 'mb', 'oss://early-bird']));
    const [before1, between, after1, env, conn] = await runAll([
      ['--profile', 'dev', '--json', 'oss', 'ls'],
      ['oss', '--profile', 'dev', 'ls', '--json'],
      ['oss', 'ls', '--profile', 'dev', '--json'],
      ['--json', 'oss', 'ls', '--profile', 'dev'],
      ['--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET, 'ram', 'user', 'list', '--json'],
    ]);
    for (const r of [before1!, between!, after1!, env!]) assert.ok(json<{ name: string }[]>(r).some((b) => b.name === 'early-bird'), r.stdout);
    assert.deepEqual(json(conn!), []);
    // Given twice, the one after the subcommand wins.
    assert.ok(json<{ name: string }[]>(await cli.run(['--profile', 'nope', 'oss', 'ls', '--profile', 'dev', '--json'])).length > 0);
    // Without --profile the [default] profile (nowhere) is used: the options really came from before the subcommand.
    fails(await cli.run(['oss', 'ls']), 1, 'NetworkError');
    // `configure --profile NAME` keeps its meaning before the command too.
    ok(await cli.run(['--profile', 'other', 'configure', '--endpoint', srv.url, '--access-key-id', 'x', '--access-key-secret', 'y']));
    const profiles = json<{ profile: string }[]>(await cli.run(['configure', 'list', '--json']));
    assert.deepEqual(profiles.map((p) => p.profile), ['default', 'dev', 'other']);
  });

  it('server --json prints one JSON line once listening', async () => {
    const child = cli.start(['server', '--port', '0', '--in-memory', '--log-level', 'warn', '--json']);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
        });
        child.on('exit', (code) => reject(new Error(`server exited ${String(code)}`)));
      });
      const info = JSON.parse(line) as { url: string; region: string; dataDir: string | null; developmentCredentials?: { accessKeyId: string } };
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(info.region, 'cn-hangzhou');
      assert.equal(info.dataDir, null);
      assert.ok(info.developmentCredentials?.accessKeyId);
      assert.ok((await fetch(info.url)).status > 0, 'it answers HTTP');
    } finally {
      await kill9(child);
    }
  });
});

/** `bash -c SCRIPT` with the CLI's environment; `$ALUNITE` runs the CLI. */
function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const prelude = 'ALUNITE() { "$NODE_EXE" "$CLI_BIN" "$@"; }; ';
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script.replaceAll('$ALUNITE', 'ALUNITE')], { env: { ...cli.env, NODE_EXE: process.execPath, CLI_BIN: BIN }, cwd: cli.home }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('sts assume-role --export fails loudly', () => {
  it('a refused AssumeRole stops `set -e` scripts, and leaves a non-zero status without it', async () => {
    const arn = `acs:ram::${ACCOUNT_ID}:role/none`;
    // The profile is the account root, which may assume no role: the service refuses (NoPermission).
    const strict = await bash(`set -e; eval "$($ALUNITE sts assume-role --profile dev --role-arn ${arn} --session-name sess --export)"; echo reached`);
    assert.notEqual(strict.code, 0);
    assert.doesNotMatch(strict.stdout, /reached/);
    assert.match(strict.stderr, /^error: NoPermission: /m);
    assert.match(strict.stderr, /alunite: NoPermission: .*; nothing was exported/);
    const lax = await bash(`eval "$($ALUNITE sts assume-role --profile dev --role-arn ${arn} --session-name sess --export)"; echo "status=$?"; echo "key=\${ALUNITE_ACCESS_KEY_ID:-unset}"`);
    assert.match(lax.stdout, /^status=1$/m);
    assert.match(lax.stdout, /^key=unset$/m);
    // Usage errors too (commander's own, before the command runs), and the CLI itself exits non-zero.
    const usage = await bash(`set -e; eval "$($ALUNITE sts assume-role --profile dev --session-name sess --export)"; echo reached`);
    assert.notEqual(usage.code, 0);
    assert.doesNotMatch(usage.stdout, /reached/);
    assert.match(usage.stderr, /required option '--role-arn <arn>' not specified; nothing was exported/);
    const direct = await cli.run(['sts', 'assume-role', '--profile', 'dev', '--role-arn', arn, '--session-name', 'sess', '--export']);
    assert.equal(direct.code, 1);
    assert.match(direct.stdout, /; false\n$/);
  });
});

describe('ram policy attach without --type', () => {
  it('finds system and custom policies; an unknown one is the service error, one in other case a suggestion', async () => {
    const dev = ['--profile', 'dev'];
    ok(await cli.run(['ram', 'user', 'create', 'typeless', ...dev]));
    ok(await cli.run(['ram', 'policy', 'create', 'mine', '--document', '-', ...dev], {}, JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }] })));
    assert.match(ok(await cli.run(['ram', 'policy', 'attach', 'AliyunOSSReadOnlyAccess', '--user', 'typeless', ...dev])), /attached System policy AliyunOSSReadOnlyAccess to user typeless/);
    assert.match(ok(await cli.run(['ram', 'policy', 'attach', 'mine', '--user', 'typeless', ...dev])), /attached Custom policy mine/);
    const attached = json<{ PolicyName: string; PolicyType: string }[]>(await cli.run(['ram', 'policy', 'list', '--user', 'typeless', '--json', ...dev]));
    assert.deepEqual(attached.map((p) => [p.PolicyName, p.PolicyType]).sort(), [['AliyunOSSReadOnlyAccess', 'System'], ['mine', 'Custom']]);
    // get, entities and detach find the type the same way.
    assert.equal(json<{ PolicyType: string }>(await cli.run(['ram', 'policy', 'get', 'AliyunOSSReadOnlyAccess', '--json', ...dev])).PolicyType, 'System');
    assert.deepEqual(json<{ Name: string }[]>(await cli.run(['ram', 'policy', 'entities', 'AliyunOSSReadOnlyAccess', '--json', ...dev])).map((e) => e.Name), ['typeless']);
    ok(await cli.run(['ram', 'policy', 'detach', 'AliyunOSSReadOnlyAccess', '--user', 'typeless', ...dev]));
    fails(await cli.run(['ram', 'policy', 'attach', 'no-such-policy', '--user', 'typeless', ...dev]), 1, 'EntityNotExist.Policy');
    // The name in other case (OSS written Oss): a usage error naming the policy meant, custom or system.
    assert.match(fails(await cli.run(['ram', 'policy', 'attach', 'AliyunOssReadOnlyAccess', '--user', 'typeless', ...dev]), 2),
      /^error: no policy is named AliyunOssReadOnlyAccess \(names are case-sensitive\): did you mean AliyunOSSReadOnlyAccess \(System\)\?$/m);
    assert.match(fails(await cli.run(['ram', 'policy', 'get', 'MINE', ...dev]), 2), /did you mean mine \(Custom\)\?$/m);
    // An explicit --type is used as given (no lookup): the wrong one is the service's answer.
    fails(await cli.run(['ram', 'policy', 'attach', 'AliyunOSSReadOnlyAccess', '--type', 'Custom', '--user', 'typeless', ...dev]), 1, 'EntityNotExist.Policy');
  });
});
