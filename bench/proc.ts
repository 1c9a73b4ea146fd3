/** Child server processes of the benchmark and what /proc says about them. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

let clkTck: number | null = null;

/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK, almost always 100). */
export function clockTicks(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** User + system CPU seconds the process (all its threads) has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpu(`/proc/${pid}/stat`);
}

/** User + system CPU seconds of the process's main thread (the JS event loop) alone. */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpu(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * Bytes the process has caused to be read from block devices so far (`read_bytes` of /proc/PID/io: page-cache
 * misses and their readahead, not reads the cache answered); null where the kernel does not account I/O.
 */
export function diskReadBytes(pid: number): number | null {
  try {
    const m = /^read_bytes:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function statCpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / clockTicks();
}

/** Busy CPU seconds of the whole machine (all cores, /proc/stat), to tell how much else was running. */
export function hostBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
  return busy / clockTicks();
}

/** A `Vm*` line of /proc/<pid>/status in bytes (VmRSS, VmHWM, ...). */
export function vmBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Samples VmRSS every `intervalMs` until stopped; reports the maximum seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  readonly baseline: number;
  max: number;
  samples = 0;

  constructor(private readonly pid: number, intervalMs = 50) {
    this.baseline = vmBytes(pid, 'VmRSS');
    this.max = this.baseline;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      const rss = vmBytes(this.pid, 'VmRSS');
      this.samples++;
      if (rss > this.max) this.max = rss;
    } catch {
      // process gone
    }
  }

  stop(): { baseline: number; max: number; growth: number; samples: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return { baseline: this.baseline, max: this.max, growth: this.max - this.baseline, samples: this.samples };
  }
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` and waits for the line `... listening on http://HOST:PORT` on its stdout.
 * Its stderr is passed through (prefixed), the rest of its stdout is dropped.
 */
/** Node flags given as one argument ("--perf-basic-prof --trace-gc"), for a server's command line. */
export function nodeFlagsOf(list: string | undefined): string[] {
  return (list ?? '').split(/\s+/).filter((f) => f !== '');
}

export async function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const err = createInterface({ input: child.stderr! });
  err.on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  const out = createInterface({ input: child.stdout! });
  // BENCH_SERVER_STDOUT=1: the servers' standard output on stderr (with --server-node-flags --trace-gc, say).
  if (process.env.BENCH_SERVER_STDOUT === '1') out.on('line', (line) => process.stderr.write(`[${name}:out] ${line}\n`));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening`));
    };
    child.once('exit', onExit);
    out.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(m[1]!);
      }
    });
  });
  return {
    name,
    url,
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The positive number after `name` on the command line, else `def` (a bench's numeric option). */
export function positiveArg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return def;
  const n = Number(process.argv[i + 1]);
  if (!(n > 0)) throw new Error(`${name} needs a positive number`);
  return n;
}
