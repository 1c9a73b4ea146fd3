// `npm test`: every dist/test/**/*.test.js under `node --test`, two files at a time, with one PostgreSQL server
// for the whole run (test/helpers/postgres.ts: each test process takes its own database on it instead of running
// initdb and starting a server of its own). Files named on the command line run instead of all of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FailureCollector } from './helpers/tap-failures.js';
import { SHARED_PORT_ENV, startPostgres, type OwnedPostgres } from './helpers/postgres.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The test files under `dir`, as paths relative to the working directory, in byte order (as `find | sort` gave them). */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) out.push(relative(process.cwd(), path));
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const args = process.argv.slice(2);
const options = args.filter((a) => a.startsWith('-'));
const named = args.filter((a) => !a.startsWith('-'));
// node 20's `--test` runs its files in sorted order whatever the order given (so no longest-first order here).
const files = named.length > 0 ? named : testFiles(here);

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
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=2', ...options, ...files], {
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
process.exit(code);
