// The README runs, top to bottom: every ```sh and ```js block, in order, against a fresh `bin/alunite server`
// started as a new user would (default development credentials, its own data directory). Shell blocks run with
// bash (errexit, pipefail) in a scratch directory holding `bin/` and a copy of `examples/`; JavaScript blocks run
// there as ES modules with `ali-oss`, `@alicloud/pop-core` and `alunite/client` resolving from this checkout.
// Markers on the line before a fence: `<!-- readme-test: skip -->` (never run) and
// `<!-- readme-test: server-stopped -->` (run after the server has stopped, e.g. key rotation).
// The README declares the placeholders substituted here: 8930 (server port), 8940 (vend port), ./.alunite
// (data directory). README_TEST_VERBOSE=1 prints what each block wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BLOCK_TIMEOUT_MS = 120_000;

interface Block {
  lang: 'sh' | 'js';
  line: number; // 1-based line of the opening fence
  code: string;
  marker: 'run' | 'skip' | 'server-stopped';
}

/** The README's ```sh and ```js blocks in order, each with the marker on the line before its fence. */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    assert.ok(end < lines.length, `README line ${i + 1}: fence never closed`);
    const lang = open[1];
    if (lang === 'sh' || lang === 'js') {
      const prev = i > 0 ? lines[i - 1]!.trim() : '';
      const m = /^<!--\s*readme-test:\s*([\w-]+)\s*-->$/.exec(prev);
      let marker: Block['marker'] = 'run';
      if (m) {
        assert.ok(m[1] === 'skip' || m[1] === 'server-stopped', `README line ${i}: unknown marker ${m[1]}`);
        marker = m[1] as Block['marker'];
      }
      blocks.push({ lang, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', marker });
    }
    i = end;
  }
  return blocks;
}

interface Placeholders {
  port: number;
  vendPort: number;
  dataDir: string;
}

function substitute(text: string, p: Placeholders): string {
  return text
    .replace(/\b8930\b/g, String(p.port))
    .replace(/\b8940\b/g, String(p.vendPort))
    .replace(/\.\/\.alunite\b/g, p.dataDir);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The environment of a new user: no ALUNITE_* settings leaking in from the caller, a fresh HOME. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
  env.HOME = home;
  env.PATH = `${join(ROOT, 'bin')}:${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  return env;
}

function startServer(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/alunite'), 'server', '--data', dataDir, '--port', '0', '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s: ${out}`)), 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /alunite listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs one block; shell blocks get their own process group so that what they start in the background can be ended. */
function runBlock(block: Block, file: string, cwd: string, env: NodeJS.ProcessEnv, groups: number[]): Promise<RunResult> {
  const [cmd, args] = block.lang === 'sh' ? ['bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', file]] : [process.execPath, [file]];
  const child = spawn(cmd, args as string[], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: block.lang === 'sh' });
  if (block.lang === 'sh' && child.pid !== undefined) groups.push(child.pid);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[readme-test] killed after ${BLOCK_TIMEOUT_MS / 1000} s`;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function describe(block: Block): string {
  return `README line ${block.line} (\`\`\`${block.lang})`;
}

test('README: blocks are found, in order, with their markers', async () => {
  const blocks = extractBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.filter((b) => b.marker !== 'skip').length >= 8, 'the README has its runnable examples');
  assert.ok(blocks.filter((b) => b.marker === 'skip').length <= 2, 'skips stay few');
  const demo = extractBlocks('<!-- readme-test: skip -->\n```sh\nnpm start\n```\ntext\n```js\nconsole.log(1)\n```\n```\nnot code\n```\n');
  assert.deepEqual(
    demo.map((b) => [b.lang, b.line, b.marker]),
    [
      ['sh', 2, 'skip'],
      ['js', 6, 'run'],
    ],
  );
});

// Each block has its own limit; the test's own is their sum plus the server's start, so that a slow block is
// reported with its output rather than as an anonymous test timeout.
const README_TIMEOUT_MS = extractBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).length * BLOCK_TIMEOUT_MS + 120_000;

test('README: every shell and JavaScript block runs against a fresh server', { timeout: README_TIMEOUT_MS }, async (t) => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /readme-test:[^>]*8930[^>]*8940[^>]*\.\/\.alunite/, 'the README declares its placeholders');
  const blocks = extractBlocks(readme);

  const tmp = await mkdtemp(join(tmpdir(), 'alunite-readme-'));
  const work = join(tmp, 'work');
  const home = join(tmp, 'home');
  const dataDir = join(tmp, 'data');
  await mkdir(join(work, 'node_modules', '@alicloud'), { recursive: true });
  await mkdir(home);
  await symlink(join(ROOT, 'bin'), join(work, 'bin'));
  await symlink(join(ROOT, 'node_modules', 'ali-oss'), join(work, 'node_modules', 'ali-oss'));
  await symlink(join(ROOT, 'node_modules', '@alicloud', 'pop-core'), join(work, 'node_modules', '@alicloud', 'pop-core'));
  await symlink(ROOT.replace(/\/$/, ''), join(work, 'node_modules', 'alunite')); // `alunite/client` (package exports)
  const env = cleanEnv(home);
  const groups: number[] = [];
  const server = await startServer(dataDir, env);
  try {
    const p: Placeholders = { port: server.port, vendPort: await freePort(), dataDir };
    // The examples the README points at, with the same placeholders (vend.yaml names the server's port).
    await cp(join(ROOT, 'examples'), join(work, 'examples'), { recursive: true });
    for (const f of await readdir(join(work, 'examples'))) {
      const path = join(work, 'examples', f);
      await writeFile(path, substitute(await readFile(path, 'utf8'), p));
    }

    const run = async (block: Block, n: number): Promise<void> => {
      await t.test(`${describe(block)}${block.marker === 'server-stopped' ? ', server stopped' : ''}`, async (st) => {
        const file = join(work, `block-${n}.${block.lang === 'sh' ? 'sh' : 'mjs'}`);
        await writeFile(file, substitute(block.code, p));
        const r = await runBlock(block, file, work, env, groups);
        if (process.env.README_TEST_VERBOSE) st.diagnostic(r.output);
        assert.equal(r.code, 0, `${describe(block)} failed (exit ${r.code}):\n${r.output}\n--- block as run ---\n${substitute(block.code, p)}`);
      });
    };
    let n = 0;
    for (const b of blocks) if (b.marker === 'run') await run(b, n++);
    await stopProcess(server.child);
    for (const b of blocks) if (b.marker === 'server-stopped') await run(b, n++);
    assert.ok(n >= 8);
  } finally {
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGTERM'); // background jobs (alunite vend) share the block's process group
      } catch {
        /* already gone */
      }
    }
    await stopProcess(server.child);
    await rm(tmp, { recursive: true, force: true });
  }
});
