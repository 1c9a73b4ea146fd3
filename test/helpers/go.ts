// Running Go against Debian's packaged sources, offline: shared by test/go-sdk.test.ts (our Go tests) and
// test/go-sdk-own-suite.test.ts (the SDK's own test suite).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** Debian's GOPATH for packaged Go sources (golang-*-dev packages). */
export const DEBIAN_GOCODE = '/usr/share/gocode';

export const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
export const haveGo = goVersion.status === 0;

/**
 * Whether Go can build with cgo here (its C compiler runs). Debian's Go ships the standard library compiled with
 * cgo on; with CGO_ENABLED=0 a cold build cache first recompiles net, crypto/tls and the rest of what the tests
 * import (about twice the CPU of the whole build with cgo). Without a C compiler cgo stays off.
 */
function cgoWorks(): boolean {
  if (!haveGo) return false;
  const cc = spawnSync('go', ['env', 'CC'], { encoding: 'utf8' }).stdout?.trim();
  return !!cc && spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
}
export const cgoEnabled = cgoWorks();
const CGO_ENABLED = cgoEnabled ? '1' : '0';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A hung build or test run is killed (and reported with its output) rather than hanging the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Offline, GOPATH mode against Debian's packaged sources, whatever the user's Go settings say; the build cache is
 * shared between runs (Go locks it). `work` holds HOME and the first GOPATH entry.
 */
export function offlineGoEnv(work: string): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_') && !k.startsWith('OSS_'))),
    HOME: work,
    GOENV: 'off',
    GO111MODULE: 'off',
    GOPATH: `${join(work, 'gopath')}:${DEBIAN_GOCODE}`,
    GOCACHE: join(tmpdir(), 'alunite-go-build-cache'),
    GOPROXY: 'off',
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED,
  };
}
