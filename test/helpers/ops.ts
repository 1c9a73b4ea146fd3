// Helpers for the operations tests: a spawned server whose output is kept, the TLS fixture, a
// Prometheus text-format reader.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { fileURLToPath } from 'node:url';
import OSS from 'ali-oss';
import { BIN, START_LIMIT_MS } from './spawn.js';
import { ACCOUNT_ID, AK, SECRET } from './server.js';

export const TLS_DIR = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
export const TLS_CERT = `${TLS_DIR}cert.pem`;
export const TLS_KEY = `${TLS_DIR}key.pem`;

/** An https agent trusting the self-signed fixture certificate (and nothing else). */
export function fixtureAgent(): Agent {
  return new Agent({ ca: readFileSync(TLS_CERT), keepAlive: false });
}

/** ali-oss over https: path style on `localhost` (the certificate's DNS name), trusting the fixture. */
export function httpsClient(url: string, opts: Partial<OSS.Options> = {}): OSS {
  const u = new URL(url);
  return new OSS({
    region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, timeout: 60_000,
    endpoint: `https://localhost:${u.port}`, sldEnable: true, httpsAgent: fixtureAgent(), ...opts,
  } as OSS.Options);
}

export interface OpsServer {
  child: ChildProcess;
  /** Every `alunite listening on …` URL, in order. */
  urls: string[];
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/** Spawns `bin/alunite server` (port 0, in memory unless args say otherwise) and waits for `expectUrls` listening lines. */
export function spawnOps(args: string[], expectUrls = 1, env: Record<string, string> = {}): Promise<OpsServer> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', ...args], {
    env: { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: AK, ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET, ALUNITE_ACCOUNT_ID: ACCOUNT_ID, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${START_LIMIT_MS / 1000} s: ${out}${err}`));
    }, START_LIMIT_MS);
    const check = (): void => {
      const urls = [...out.matchAll(/alunite listening on (https?:\/\/\S+)/g)].map((m) => m[1]!);
      if (urls.length < expectUrls) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({
        child,
        urls,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}${err}`));
    });
  });
}

/** Runs `bin/alunite server …` expecting it to fail at start-up; resolves with its exit code and stderr. */
export function failingStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--in-memory', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, stderr: err });
  }));
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format (0.0.4), asserting every line is well formed: HELP/TYPE
 * comments, then `name{label="value",…} number` samples (NaN in any case, as Prometheus' float parser
 * accepts; prom-client writes `Nan` for a gauge not sampled yet).
 */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `TYPE ${type[1]} given twice`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/.exec(line);
    assert.ok(m, `not a valid exposition line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The value of the one sample named `name` whose labels include `labels` (0 when absent). */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);
  assert.ok(hits.length <= 1, `${hits.length} samples ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value ?? 0;
}
