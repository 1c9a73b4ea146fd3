// `npm test`: every dist/test/**/*.test.js under `node --test`, two processes at a time, with one PostgreSQL server
// for the whole run (test/helpers/postgres.ts: each test process takes its own database on it instead of running
// initdb and starting a server of its own). Files that leave no process-wide state share a process, a few at a
// time, and the processes start longest first (test/helpers/test-plan.ts); `--alone` gives every file its own.
// Files named on the command line run instead of all of them, each in its own process.
//
// Each full run writes how long each file took to dist/test-timings.json; a copy of it in
// test/fixtures/test-timings.json is what the layout goes by (refresh it when files are added or change much).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FailureCollector } from './helpers/tap-failures.js';
import { SHARED_PORT_ENV, startPostgres, type OwnedPostgres } from './helpers/postgres.js';
import { planUnits, type TestUnit } from './helpers/test-plan.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The test files under dist/test, as paths relative to it. */
function testFiles(dir = here): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) out.push(relative(here, path));
  }
  return out;
}

const args = process.argv.slice(2);
const alone = args.includes('--alone');
const options = args.filter((a) => a.startsWith('-') && a !== '--alone');
const named = args.filter((a) => !a.startsWith('-'));
const root = join(here, '..', '..');

/** Seconds per file (relative to dist/test) from the committed timings; none when it is missing or unreadable. */
function committedTimings(): Map<string, number> {
  try {
    const table = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'test-timings.json'), 'utf8')) as Record<string, number>;
    return new Map(Object.entries(table).filter(([, s]) => typeof s === 'number'));
  } catch {
    return new Map();
  }
}

/**
 * One small module per process: it imports its files one after another (a file that fails to load is a failing
 * test, and the next still runs). node 20's `--test` runs files in name order whatever order they are given in, so
 * the names carry the order.
 */
function writeUnits(units: TestUnit[], dir: string): string[] {
  return units.map((u, i) => {
    const label = u.files[0]!.replace(/\.test\.js$/, '').replace(/[^\w.-]+/g, '_') + (u.files.length > 1 ? `+${u.files.length - 1}` : '');
    const path = join(dir, `${String(i).padStart(3, '0')}-${label}.test.mjs`);
    const urls = u.files.map((f) => pathToFileURL(join(here, f)).href);
    writeFileSync(path, [
      `// ${u.files.join(', ')}: ${u.weight.toFixed(1)} s when last measured`,
      `for (const url of ${JSON.stringify(urls)}) {`,
      '  try {',
      '    await import(url);',
      '  } catch (err) {',
      "    const { test } = await import('node:test');",
      '    test(`${url} loads`, () => { throw err; });',
      '  }',
      '}',
      '',
    ].join('\n'));
    return path;
  });
}

let unitDir: string | null = null;
let files: string[];
if (named.length > 0) {
  files = named;
} else {
  const units = planUnits(testFiles().map((name) => ({ name, source: readFileSync(join(here, name), 'utf8') })), {
    weights: committedTimings(),
    shareUpTo: alone ? 0 : 25,
    maxShared: alone ? 1 : 8,
  });
  unitDir = mkdtempSync(join(tmpdir(), 'alunite-test-run-'));
  files = writeUnits(units, unitDir);
}
// The timings of a full run, unless the caller chose the reporters.
const timings = join(root, 'dist', 'test-timings.json');
const reporters = named.length > 0 || options.some((o) => o.startsWith('--test-reporter'))
  ? []
  : ['--test-reporter=tap', '--test-reporter-destination=stdout', `--test-reporter=${join(here, 'helpers', 'timings-reporter.js')}`, `--test-reporter-destination=${timings}`];

// Ctrl-C reaches the test runner too; a signal sent to this process alone is passed on. Either way the server is
// stopped once the runner has ended (its test processes use it until then), or once it has started when the signal
// came first.
let child: ChildProcess | null = null;
let signalled: NodeJS.Signals | null = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    signalled = signal;
    child?.kill(signal);
  });
}

let postgres: OwnedPostgres | null = null;
try {
  postgres = await startPostgres();
} catch (err) {
  // The PostgreSQL tests then fail one by one, each with this reason (as they do when run alone).
  process.stderr.write(`test/run: no shared PostgreSQL server for this run: ${(err as Error).message.split('\n')[0]}\n`);
}

let code = 1;
if (signalled === null) {
  // `--liftoff-only` (passed on to every test process): the tests' fetch() compiles its HTTP parser (WebAssembly)
  // with V8's baseline compiler alone; optimising it cost ~0.1-0.2 CPU s per process (a 60-file sample: 95 -> 83 CPU s).
  const runner = spawn(process.execPath, ['--liftoff-only', '--test', '--test-concurrency=2', ...reporters, ...options, ...files], {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { ...process.env, ...(postgres ? { [SHARED_PORT_ENV]: String(postgres.port) } : {}) },
  });
  child = runner;
  const failures = new FailureCollector();
  runner.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    failures.push(chunk.toString('utf8'));
  });
  code = await new Promise<number>((resolve) => runner.once('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  // A CI log often keeps only its last lines: the failures are repeated there, after the counts.
  process.stdout.write(failures.summary());
}
postgres?.stop();
if (unitDir !== null && existsSync(unitDir)) rmSync(unitDir, { recursive: true, force: true });
process.exit(code);
