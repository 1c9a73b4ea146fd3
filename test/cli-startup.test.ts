// The CLI's client commands start without loading the server: main.js's static imports reach neither server.js
// nor the drivers and libraries only the server uses. Loading them made every `alunite …` command take 0.8–1.0 s
// (330 modules) where 0.3 s does (docs/cli.md). A static walk of the compiled modules' import statements. And a
// command line loads only the commands it names (each pulls in its own libraries; docs/testing.md).
// Likewise the server: the libraries of features most servers never use (images, OIDC and SAML federation, state
// files, PostgreSQL) are imported at their first use, not with server.js (~0.3 s of CPU off every server start, every
// `node --test` file that starts one; docs/testing.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
/** The same, plus `import('…')` expressions with a literal specifier (what is loaded at first use). */
const ANY_IMPORT = new RegExp(`${IMPORT.source}|\\bimport\\(\\s*['"]([^'"]+)['"]\\s*\\)`, 'gm');

/** Every module main.js-style static imports reach (with `dynamic`, `import('…')` too): relative files, and packages as `pkg:<name>`. */
function staticClosure(entry: string, opts: { dynamic?: boolean } = {}): Set<string> {
  const seen = new Set<string>();
  const todo = [normalize(entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.startsWith('pkg:')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(opts.dynamic === true ? ANY_IMPORT : IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) todo.push(normalize(join(dirname(file), spec)));
      else todo.push(`pkg:${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!}`);
    }
  }
  return seen;
}

/** The client commands main.js imports when a command line names them (main.ts CLIENT_COMMANDS). */
const CLIENT_COMMANDS = ['policy', 'keys', 'vend', 'configure', 'oss', 'ram', 'sts', 'init', 'account'];
const SERVER_ONLY = ['pkg:sharp', 'pkg:pg', 'pkg:better-sqlite3', 'pkg:jose', 'pkg:xml-crypto', 'pkg:prom-client', 'pkg:pino', 'pkg:busboy'];
/** What server.js imports only when a feature first needs it. */
const AT_FIRST_USE = ['pkg:sharp', 'pkg:jose', 'pkg:xml-crypto', 'pkg:yaml', 'pkg:pg'];

describe('CLI start-up', () => {
  it('the walk finds what the server loads (so an empty answer below means something)', () => {
    // The stores are imported when opened (store/meta/open.ts), so the walk starts from them too.
    const server = staticClosure(join(SRC, 'server.js'), { dynamic: true });
    for (const p of SERVER_ONLY) assert.ok(server.has(p), p);
  });

  it('main.js and its client commands reach neither server.js nor the server\'s drivers and libraries', () => {
    // main.js imports a client command's module when a command line names it (CLIENT_COMMANDS).
    const cli = new Set([join(SRC, 'cli', 'main.js'), ...CLIENT_COMMANDS.map((c) => join(SRC, 'cli', `${c}.js`))].flatMap((f) => [...staticClosure(f)]));
    assert.ok(cli.has(join(SRC, 'cli', 'policy-simulate.js')) && cli.has('pkg:commander'), 'the walk follows the commands');
    assert.ok(!cli.has(join(SRC, 'server.js')), 'server.js is imported by the server command\'s action only');
    assert.deepEqual(SERVER_ONLY.filter((p) => cli.has(p)), []);
    assert.ok(cli.size < 150, `${cli.size} modules`);
  });
});

describe('each command line loads the modules of the commands it names', () => {
  // A loader hook in the spawned `bin/alunite` reports every file it loads: what is counted is what runs. It writes
  // with writeSync: the hooks run on their own thread, and its process.stderr writes still queued when the command
  // exits were lost (a busy machine dropped the last file loaded, cli/configure.js, once in a full run).
  const hook = 'import { writeSync } from "node:fs"; export async function load(url, context, next) { if (url.startsWith("file:")) writeSync(2, `LOADED ${url}\\n`); return next(url, context); }';
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  /** The files `bin/alunite <args>` loads (its own output checked by `expect`). */
  async function loaded(args: string[], expect: RegExp): Promise<string[]> {
    const { execFile } = await import('node:child_process');
    const { BIN } = await import('./helpers/spawn.js');
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, [`--import=data:text/javascript,${encodeURIComponent(register)}`, BIN, ...args], (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
    });
    assert.match(stdout, expect, stderr);
    return stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => fileURLToPath(l.slice('LOADED '.length)));
  }
  const cliModule = (name: string): string => join(SRC, 'cli', `${name}.js`);

  it('`--help` loads every command (it lists them); `--version`, `configure` and `ram` load a fraction', async () => {
    const all = await loaded(['--help'], /Commands:[\s\S]*\bram\b[\s\S]*\baccount\b/);
    for (const c of CLIENT_COMMANDS) assert.ok(all.includes(cliModule(c)), `--help loads cli/${c}.js`);
    const version = await loaded(['--version'], /^\d+\.\d+\.\d+/);
    const configure = await loaded(['configure', '--help'], /Usage: alunite configure/);
    const ram = await loaded(['ram', 'user', 'list', '--help'], /Usage: alunite ram user list/);
    assert.deepEqual(CLIENT_COMMANDS.filter((c) => version.includes(cliModule(c))), []);
    assert.deepEqual(CLIENT_COMMANDS.filter((c) => configure.includes(cliModule(c))), ['configure']);
    assert.deepEqual(CLIENT_COMMANDS.filter((c) => ram.includes(cliModule(c))), ['ram']);
    // The policy engine (linting a document a command sends) and the OSS transfer code with its CRC-64 addon.
    for (const heavy of [join(SRC, 'policy', 'index.js'), cliModule('oss-transfer'), join(SRC, 'util', 'crc64-native.js')]) {
      assert.ok(all.includes(heavy) && !ram.includes(heavy) && !configure.includes(heavy), heavy);
    }
    // Measured when this was written: --help 85 files, --version 18, configure 19, ram 28 (all 85 before).
    assert.ok(version.length < 30 && configure.length < 30 && ram.length < 40, `--version ${version.length}, configure ${configure.length}, ram ${ram.length} files`);
    assert.ok(all.length > 2 * ram.length, `--help ${all.length} files`);
  });
});

describe('server start-up', () => {
  it('server.js and the SQLite store import the libraries of rarely used features at their first use, not with them', () => {
    const eager = new Set([...staticClosure(join(SRC, 'server.js')), ...staticClosure(join(SRC, 'store', 'meta', 'sqlite', 'store.js'))]);
    const reachable = staticClosure(join(SRC, 'server.js'), { dynamic: true });
    for (const p of AT_FIRST_USE) assert.ok(reachable.has(p), `${p} is still reached (the walk would see it imported)`);
    assert.deepEqual(AT_FIRST_USE.filter((p) => eager.has(p)), []);
  });
});

describe('test helpers', () => {
  it('the helpers of tests that spawn their servers (spawn, cli) load neither server.js nor ali-oss', () => {
    // test/helpers/server.ts loads them in startTestServer: its keys are all the spawning tests take from it.
    const helpers = join(dirname(fileURLToPath(import.meta.url)), 'helpers');
    for (const name of ['spawn.js', 'cli.js', 'server.js']) {
      const reached = staticClosure(join(helpers, name));
      assert.ok(!reached.has(join(SRC, 'server.js')), `${name} reaches server.js`);
      assert.ok(!reached.has('pkg:ali-oss'), `${name} reaches ali-oss`);
    }
  });

  it('startTestServer gives a fresh data directory the fixture callback key (no RSA key generated per test server)', async () => {
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const { CALLBACK_KEY, startTestServer } = await import('./helpers/server.js');
    const fixture = createPublicKey(createPrivateKey(await readFile(CALLBACK_KEY, 'utf8'))).export({ type: 'spki', format: 'pem' });
    const srv = await startTestServer();
    try {
      assert.equal(await (await fetch(`${srv.url}/-/callback/public-key.pem`)).text(), fixture);
    } finally {
      await srv.stop();
    }
  });
});
