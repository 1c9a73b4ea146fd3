// Runs bin/alunite client commands as child processes, the way a user does, with HOME (and so
// ~/.alunite/) in a temp directory and no ALUNITE_* variables inherited from the test runner.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BIN } from './spawn.js';
import { tempDir } from './tmp.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliHome {
  home: string;
  /** ALUNITE_CONFIG (inside home, but not the default path, so both lookups are exercised). */
  config: string;
  env: Record<string, string>;
  run(args: string[], extraEnv?: Record<string, string>, stdin?: string): Promise<CliResult>;
  start(args: string[], extraEnv?: Record<string, string>): ChildProcess;
}

function cleanEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('ALUNITE_') && v !== undefined)) as Record<string, string>;
}

export async function cliHome(opts: { defaultConfigPath?: boolean } = {}): Promise<CliHome> {
  const home = await tempDir('alunite-cli-home-');
  const config = opts.defaultConfigPath ? join(home, '.alunite', 'config') : join(home, 'alunite.ini');
  const env: Record<string, string> = { ...cleanEnv(), HOME: home, ...(opts.defaultConfigPath ? {} : { ALUNITE_CONFIG: config }) };
  const start = (args: string[], extraEnv: Record<string, string> = {}): ChildProcess =>
    spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, cwd: home, stdio: ['pipe', 'pipe', 'pipe'] });
  return {
    home,
    config,
    env,
    start,
    run(args, extraEnv = {}, stdin) {
      const child = start(args, extraEnv);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin!.end(stdin ?? '');
      return new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    },
  };
}

/** Asserts success and returns stdout. */
export function ok(r: CliResult): string {
  assert.equal(r.code, 0, `exit ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** Asserts success and parses stdout as JSON. */
export function json<T = any>(r: CliResult): T { // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
  return JSON.parse(ok(r)) as T;
}

/** Asserts a failure with this exit code and an `error: <code>:` line on stderr (and nothing on stdout). */
export function fails(r: CliResult, exitCode: number, code?: string): string {
  assert.equal(r.code, exitCode, `expected exit ${exitCode}, got ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  if (code !== undefined) assert.match(r.stderr, new RegExp(`^error: ${code.replace(/\./g, '\\.')}: .+`, 'm'), r.stderr);
  else assert.match(r.stderr, /error/, r.stderr);
  return r.stderr;
}
