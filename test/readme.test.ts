// The README runs, top to bottom: every ```sh and ```js block, in order, against a fresh `bin/alunite server`
// started as a new user would (default development credentials, its own data directory). Shell blocks run with
// bash (errexit, pipefail) in a scratch directory holding `bin/` and a copy of `examples/`; JavaScript blocks run
// there as ES modules with `ali-oss`, `@alicloud/pop-core`, `@alicloud/sts20150401` (with `@alicloud/openapi-client`)
// and `alunite/client` resolving from this checkout, and
// with `alunite` on the PATH.
// Markers on the line before a fence: `<!-- readme-test: skip -->` (never run; a reason may follow the word) and
// `<!-- readme-test: server-stopped -->` (run after the server has stopped, e.g. key rotation).
// The README declares the placeholders substituted here: 8930 (server port), 8940 (vend port), ./.alunite
// (data directory). README_TEST_VERBOSE=1 prints what each block wrote. A JavaScript block's `console.log(…)   // text`
// comments are claims of what it prints: each must match a line of its output, in order.
// docs/*.md: every file with a `readme-test:` comment runs the same way, each against its own fresh server. Its
// declaration (a `readme-test:` comment that is not a marker) names the placeholders; when it names
// ALUNITE_ENDPOINT, that variable holds the server's address in every block (the CLI's "nothing configured"
// default is port 8930, which the server here does not use). A file with `<!-- readme-test: run -->` markers
// runs only its marked blocks (a reference page with one runnable quickstart); otherwise every block runs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portForLater } from './helpers/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BLOCK_TIMEOUT_MS = 120_000;

interface Block {
  lang: 'sh' | 'js';
  line: number; // 1-based line of the opening fence
  code: string;
  /** `unmarked` blocks run unless the document marks the blocks that run (`run`). */
  marker: 'unmarked' | 'run' | 'skip' | 'server-stopped';
}

const MARKERS: ReadonlySet<string> = new Set(['run', 'skip', 'server-stopped']);

/** A document's ```sh and ```js blocks in order, each with the marker on the line before its fence. */
export function extractBlocks(markdown: string, name = 'README'): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    assert.ok(end < lines.length, `${name} line ${i + 1}: fence never closed`);
    const lang = open[1];
    if (lang === 'sh' || lang === 'js') {
      const prev = i > 0 ? lines[i - 1]!.trim() : '';
      const m = /^<!--\s*readme-test:\s*([\w-]+)(.*?)-->$/.exec(prev);
      let marker: Block['marker'] = 'unmarked';
      if (m) {
        assert.ok(MARKERS.has(m[1]!), `${name} line ${i}: unknown marker ${m[1]}`);
        assert.ok(m[1] === 'skip' || m[2]!.trim() === '', `${name} line ${i}: only skip takes a reason`);
        marker = m[1] as Block['marker'];
      }
      const indent = /^\s*/.exec(lines[i]!)![0].length;
      blocks.push({ lang, line: i + 1, code: lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length))).join('\n') + '\n', marker });
    }
    i = end;
  }
  return blocks;
}

/** The blocks that run while the server is up, and after it stopped. */
function plan(blocks: readonly Block[]): { live: Block[]; stopped: Block[] } {
  const marksRuns = blocks.some((b) => b.marker === 'run');
  return {
    live: blocks.filter((b) => b.marker === 'run' || (b.marker === 'unmarked' && !marksRuns)),
    stopped: blocks.filter((b) => b.marker === 'server-stopped'),
  };
}

/** The document's `readme-test:` comments that are not block markers (its declaration of placeholders). */
function declaration(markdown: string): string {
  return [...markdown.matchAll(/<!--\s*readme-test:([\s\S]*?)-->/g)]
    .map((m) => m[1]!.trim())
    .filter((body) => !MARKERS.has(/^[\w-]+/.exec(body)?.[0] ?? ''))
    .join('\n');
}

/** README.md, then every docs/*.md that takes part (has a `readme-test:` comment), by name. */
export function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md') && readFileSync(join(ROOT, 'docs', f), 'utf8').includes('readme-test:'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
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
  output: string; // stdout and stderr, as they came
  stdout: string;
}

/** Runs one block; shell blocks get their own process group so that what they start in the background can be ended. */
function runBlock(block: Block, file: string, cwd: string, env: NodeJS.ProcessEnv, groups: number[]): Promise<RunResult> {
  const [cmd, args] = block.lang === 'sh' ? ['bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', file]] : [process.execPath, [file]];
  const child = spawn(cmd, args as string[], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: block.lang === 'sh' });
  if (block.lang === 'sh' && child.pid !== undefined) groups.push(child.pid);
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[readme-test] killed after ${BLOCK_TIMEOUT_MS / 1000} s`;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

/**
 * What a JavaScript block says it prints: the comment after each `console.log(…)` line, without a trailing
 * `(…)` remark, as a pattern for one whole line of output (`…` stands for any text).
 */
export function claimedOutputs(block: Pick<Block, 'lang' | 'code'>): RegExp[] {
  if (block.lang !== 'js') return [];
  const claims: RegExp[] = [];
  for (const line of block.code.split('\n')) {
    const m = /^\s*console\.log\(.*\)\s*;?\s*\/\/\s*(.+?)\s*$/.exec(line);
    if (!m) continue;
    const text = m[1]!.replace(/\s*\([^()]*\)$/, '');
    claims.push(new RegExp(`^${text.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  }
  return claims;
}

/** The claims no line of `stdout` matches, in order (each claim after the line the previous one matched). */
export function unmetClaims(claims: readonly RegExp[], stdout: string): string[] {
  const lines = stdout.split('\n').map((l) => l.trimEnd());
  const unmet: string[] = [];
  let from = 0;
  for (const claim of claims) {
    const at = lines.findIndex((l, i) => i >= from && claim.test(l));
    if (at < 0) unmet.push(claim.source);
    else from = at + 1;
  }
  return unmet;
}

test('a JavaScript block\'s `console.log(…)   // output` comments are read as claims, and a stale one is caught', () => {
  const claims = claimedOutputs({
    lang: 'js',
    code: "console.log(a);   // hi (a remark)\nconst x = 1; // not a claim\nconsole.log(url, b);  // … hi\nconsole.log(c, d);   // 403 AccessDenied Access denied by authorizer's policy.\n",
  });
  assert.deepEqual(claims.map((c) => c.source), ['^hi$', '^.* hi$', "^403 AccessDenied Access denied by authorizer's policy\\.$"]);
  assert.deepEqual(unmetClaims(claims, "hi\nhttp://x/y?z hi\n403 AccessDenied Access denied by authorizer's policy.\n"), []);
  assert.deepEqual(unmetClaims(claims, "hi\nhttp://x/y?z hi\n403 AccessDenied Access denied.\n"), ["^403 AccessDenied Access denied by authorizer's policy\\.$"]);
  assert.deepEqual(unmetClaims(claims.slice(0, 2), 'http://x hi\nhi\n'), ['^.* hi$']); // in order
  assert.deepEqual(claimedOutputs({ lang: 'sh', code: 'echo hi   # hi\n' }), []);
});

function describe(doc: string, block: Block): string {
  return `${doc} line ${block.line} (\`\`\`${block.lang})`;
}

test('README and docs: blocks are found, in order, with their markers; the documents declare their placeholders', async () => {
  const blocks = extractBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(plan(blocks).live.length >= 8, 'the README has its runnable examples');
  assert.ok(blocks.filter((b) => b.marker === 'skip').length <= 2, 'skips stay few');
  const demo = extractBlocks(
    '<!-- readme-test: skip -->\n```sh\nnpm start\n```\ntext\n```js\nconsole.log(1)\n```\n```\nnot code\n```\n' +
      '- item:\n  <!-- readme-test: skip needs the cloud -->\n  ```sh\n  echo indented\n  ```\n<!-- readme-test: run -->\n```sh\necho run\n```\n',
  );
  assert.deepEqual(
    demo.map((b) => [b.lang, b.line, b.marker, b.code]),
    [
      ['sh', 2, 'skip', 'npm start\n'],
      ['js', 6, 'unmarked', 'console.log(1)\n'],
      ['sh', 14, 'skip', 'echo indented\n'],
      ['sh', 18, 'run', 'echo run\n'],
    ],
  );
  // A document that marks its runnable blocks runs only those.
  assert.deepEqual(plan(demo).live.map((b) => b.line), [18]);
  assert.throws(() => extractBlocks('<!-- readme-test: skpi -->\n```sh\nx\n```\n'), /unknown marker skpi/);
  assert.throws(() => extractBlocks('<!-- readme-test: run because -->\n```sh\nx\n```\n'), /only skip takes a reason/);

  const docs = documents();
  for (const doc of ['docs/cli.md', 'docs/vend.md']) assert.ok(docs.includes(doc), `${doc} takes part`);
  for (const doc of docs) {
    const text = await readFile(join(ROOT, doc), 'utf8');
    assert.match(declaration(text), /8930/, `${doc} declares its placeholders in a readme-test: comment`);
    assert.ok(plan(extractBlocks(text, doc)).live.length >= 1, `${doc} has a block that runs`);
  }
});

/** Every file and folder under `dir` (relative to ROOT, `/`-separated), skipping node_modules and build output. */
function tree(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'build') continue;
      const path = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        dirs.push(path);
        walk(path);
      } else files.push(path);
    }
  };
  walk(dir);
  return { files, dirs };
}

/**
 * What docs/architecture.md gets wrong about the source tree: a module path it names that no file is (as
 * written from the checkout's root, from `src/`, or as the tail of a path under `src/`, the way the request-path
 * diagram names `signature/v1.ts` inside `src/auth/`; `*` a wildcard), a `name.ts` in backquotes no file has,
 * and a folder under `src/` or a top-level `src/*.ts` module it never names (`src/<folder>/`, `src/<module>`).
 */
export function architectureFaults(doc: string, files: readonly string[], srcDirs: readonly string[]): string[] {
  const faults: string[] = [];
  const exists = (name: string): boolean => {
    const glob = name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
    const whole = new RegExp(`^(src/)?${glob}$`);
    const tail = new RegExp(`^src/(.+/)?${glob}$`);
    return files.some((f) => whole.test(f) || (name.includes('/') && tail.test(f)));
  };
  const named = new Set<string>();
  for (const m of doc.matchAll(/(?<![\w./*-])((?:[\w*-]+\/)+[\w.*-]+\.(?:ts|mjs|cc|h))(?![\w.])/g)) named.add(m[1]!);
  for (const name of named) if (!exists(name)) faults.push(`names ${name}, which no file is`);
  for (const m of new Set([...doc.matchAll(/`([\w-]+\.(?:ts|mjs|cc))`/g)].map((x) => x[1]!))) {
    if (!files.some((f) => f.endsWith(`/${m}`))) faults.push(`names ${m}, which no file is`);
  }
  for (const m of doc.matchAll(/`(src\/(?:[\w-]+\/)+)`/g)) {
    if (!srcDirs.includes(m[1]!.slice(0, -1))) faults.push(`names the folder ${m[1]}, which does not exist`);
  }
  for (const d of srcDirs) if (!doc.includes(`${d}/`)) faults.push(`never describes the folder ${d}/`);
  for (const f of files) if (/^src\/[^/]+\.ts$/.test(f) && !doc.includes(f)) faults.push(`never names the module ${f}`);
  return faults;
}

test('docs/architecture.md: every module it names exists; every src/ folder and top-level module is described', () => {
  const { files: srcFiles, dirs } = tree('src');
  const files = [...srcFiles, ...(['scripts', 'native', 'test', 'bench', 'bin', 'console'] as const).flatMap((d) => tree(d).files)];
  assert.deepEqual(architectureFaults(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'), files, dirs), []);
  // The check itself: a renamed module, a bare name, a gone folder and an undescribed one are each caught.
  const fake = ['src/a/b.ts', 'src/a/c/d.ts', 'src/main.ts', 'scripts/gen.mjs'];
  assert.deepEqual(architectureFaults('`src/a/`, c/d.ts, `src/a/c/` a/b*.ts scripts/gen.mjs `src/main.ts` `d.ts`', fake, ['src/a', 'src/a/c']), []);
  assert.deepEqual(
    architectureFaults('`src/a/` c/e.ts `f.ts` `src/z/` src/main.ts', fake, ['src/a', 'src/a/c']),
    ['names c/e.ts, which no file is', 'names f.ts, which no file is', 'names the folder src/z/, which does not exist', 'never describes the folder src/a/c/'],
  );
});

/** The README's hand-written OSS operation counts: [published, implemented, stored only], or null if the sentence is gone. */
function readmeOperationCounts(readme: string): [number, number, number] | null {
  const m = /all (\d+) of the published API route by name; (\d+) are implemented and enforced[^]*?, and (\d+) keep and return/.exec(readme);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

test("README's OSS operation counts are the generated coverage table's (docs/compatibility.md)", () => {
  const generated = /(\d+) published operations: (\d+) implemented and enforced, (\d+) stored and returned only/.exec(readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8'));
  assert.ok(generated, 'the generated coverage sentence is in docs/compatibility.md');
  assert.deepEqual(readmeOperationCounts(readFileSync(join(ROOT, 'README.md'), 'utf8')), [Number(generated[1]), Number(generated[2]), Number(generated[3])]);
  // The check itself: stale counts are read as such.
  assert.deepEqual(readmeOperationCounts('all 162 of the published API route by name; 104 are implemented and enforced (a, b), and 58 keep and return'), [162, 104, 58]);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return out;
}

test('every docs/*.md page (and #anchor) the code names, in help texts, messages and comments, exists', () => {
  const named = new Map<string, string>(); // docs/x.md[#anchor] → where it is named
  for (const dir of ['src', 'console', 'bin', 'examples', 'scripts']) {
    for (const file of tree(dir).files) {
      if (!/\.(ts|js|mjs|html|yaml)$/.test(file) && !file.startsWith('bin/')) continue;
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bdocs\/[\w-]+\.md(?:#[\w-]+)?/g)) if (!named.has(m[0])) named.set(m[0], file);
    }
  }
  assert.ok(named.size > 20, `${named.size} pages named`);
  const faults: string[] = [];
  for (const [ref, where] of named) {
    const [page, anchor] = ref.split('#') as [string, string | undefined];
    let text: string;
    try {
      text = readFileSync(join(ROOT, page), 'utf8');
    } catch {
      faults.push(`${where}: ${ref}: no such page`);
      continue;
    }
    if (anchor !== undefined && !headingAnchors(text).has(anchor)) faults.push(`${where}: ${ref}: no such heading`);
  }
  assert.deepEqual(faults, []);
});

/** The environment of a new user: no ALUNITE_* settings leaking in from the caller, a fresh HOME. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
  env.HOME = home;
  env.PATH = `${join(ROOT, 'bin')}:${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  return env;
}

/** Runs one document's blocks against a fresh server, each as a subtest. */
async function runDocument(t: TestContext, doc: string): Promise<void> {
  const text = await readFile(join(ROOT, doc), 'utf8');
  const blocks = extractBlocks(text, doc);
  const declared = declaration(text);
  const { live, stopped } = plan(blocks);

  const tmp = await mkdtemp(join(tmpdir(), 'alunite-readme-'));
  const work = join(tmp, 'work');
  const home = join(tmp, 'home');
  const dataDir = join(tmp, 'data');
  await mkdir(join(work, 'node_modules', '@alicloud'), { recursive: true });
  await mkdir(home);
  await symlink(join(ROOT, 'bin'), join(work, 'bin'));
  await symlink(join(ROOT, 'node_modules', 'ali-oss'), join(work, 'node_modules', 'ali-oss'));
  // The SDKs the README's examples import, as a checkout (the README says where to run them) resolves them.
  for (const sdk of ['pop-core', 'sts20150401', 'openapi-client']) await symlink(join(ROOT, 'node_modules', '@alicloud', sdk), join(work, 'node_modules', '@alicloud', sdk));
  await symlink(ROOT.replace(/\/$/, ''), join(work, 'node_modules', 'alunite')); // `alunite/client` (package exports)
  const env = cleanEnv(home);
  const groups: number[] = [];
  const server = await startServer(dataDir, env);
  try {
    const p: Placeholders = { port: server.port, vendPort: await portForLater(), dataDir };
    if (/\bALUNITE_ENDPOINT\b/.test(declared)) env.ALUNITE_ENDPOINT = `http://127.0.0.1:${server.port}`;
    // The examples the documents point at, with the same placeholders.
    // Not examples/users.json: the README's vend step writes it there (git ignores it), and a copy would make
    // these blocks find their users already made.
    await cp(join(ROOT, 'examples'), join(work, 'examples'), { recursive: true, filter: (from) => !from.endsWith(`${sep}users.json`) });
    for (const f of await readdir(join(work, 'examples'))) {
      const path = join(work, 'examples', f);
      await writeFile(path, substitute(await readFile(path, 'utf8'), p));
    }

    const run = async (block: Block, n: number): Promise<void> => {
      await t.test(`${describe(doc, block)}${block.marker === 'server-stopped' ? ', server stopped' : ''}`, async (st) => {
        const file = join(work, `block-${n}.${block.lang === 'sh' ? 'sh' : 'mjs'}`);
        await writeFile(file, substitute(block.code, p));
        const r = await runBlock(block, file, work, env, groups);
        if (process.env.README_TEST_VERBOSE) st.diagnostic(r.output);
        assert.equal(r.code, 0, `${describe(doc, block)} failed (exit ${r.code}):\n${r.output}\n--- block as run ---\n${substitute(block.code, p)}`);
        // What the block's comments say it prints (with the placeholders as run) is what it printed.
        const unmet = unmetClaims(claimedOutputs({ lang: block.lang, code: substitute(block.code, p) }), r.stdout);
        assert.deepEqual(unmet, [], `${describe(doc, block)} printed none of these lines (the comments after console.log):\n${r.stdout}`);
      });
    };
    let n = 0;
    for (const b of live) await run(b, n++);
    await stopProcess(server.child);
    for (const b of stopped) await run(b, n++);
    assert.equal(n, live.length + stopped.length);
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
}

// Each block has its own limit; a document's is their sum plus the server's start, so that a slow block is
// reported with its output rather than as an anonymous test timeout.
for (const doc of documents()) {
  const timeout = extractBlocks(readFileSync(join(ROOT, doc), 'utf8'), doc).length * BLOCK_TIMEOUT_MS + 120_000;
  test(`${doc}: its shell and JavaScript blocks run against a fresh server`, { timeout }, async (t) => {
    if (doc === 'README.md') {
      assert.match(await readFile(join(ROOT, doc), 'utf8'), /readme-test:[^>]*8930[^>]*8940[^>]*\.\/\.alunite/, 'the README declares its placeholders');
    }
    await runDocument(t, doc);
  });
}
