import { Command, InvalidArgumentError, Option } from 'commander';

// What every client command shares: `--json` or a readable table on stdout, one error line on stderr
// (`error: <Code>: <Message> (RequestId: …)`), and exit codes: 0 ok, 1 service or I/O failure, 2 usage.

export const EXIT_SERVICE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called (bad flag value, missing profile…): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure with a service-style code that is not the service's answer (CRC mismatch, network…): exit 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

interface CodedError {
  code?: unknown;
  status?: unknown;
  requestId?: unknown;
  message: string;
}

/** The one error line, and the exit code, for anything a command can throw. */
export function describeError(err: unknown, endpoint?: string): { line: string; exitCode: number } {
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return { line: `error: ${err.message}`, exitCode: EXIT_USAGE };
  if (!(err instanceof Error)) return { line: `error: ${String(err)}`, exitCode: EXIT_SERVICE };
  const e = err as Error & CodedError;
  const rid = typeof e.requestId === 'string' && e.requestId !== '' ? ` (RequestId: ${e.requestId})` : '';
  // ali-oss marks transport failures with status -1 (network) / -2 (timeout); PopClient with NetworkError.
  const networkish = e.status === -1 || e.status === -2 || e.code === 'NetworkError' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH/.test(e.message);
  if (networkish && e.code !== 'NetworkError') {
    // ali-oss appends the request line and socket statistics; the first clause is the cause.
    const first = e.message.split('\n')[0]!.replace(/, (GET|PUT|POST|HEAD|DELETE) https?:\/\/.*$/, '').replace(/\s*\(req "error"\).*$/, '').replace(/, please increase the timeout.*$/, '');
    return { line: `error: NetworkError: cannot reach ${endpoint ?? 'the endpoint'} (${first})`, exitCode: EXIT_SERVICE };
  }
  if (typeof e.code === 'string' && e.code !== '' && !/^E[A-Z]+$/.test(e.code)) {
    return { line: `error: ${e.code}: ${e.message.split('\n')[0]}${rid}`, exitCode: EXIT_SERVICE };
  }
  const sys = e as NodeJS.ErrnoException;
  if (typeof sys.code === 'string' && sys.path !== undefined) {
    const what = sys.code === 'ENOENT' ? 'no such file or directory' : sys.code === 'EISDIR' ? 'is a directory' : sys.code === 'EACCES' ? 'permission denied' : sys.message;
    return { line: `error: ${sys.path}: ${what}`, exitCode: EXIT_SERVICE };
  }
  return { line: `error: ${e.message}`, exitCode: EXIT_SERVICE };
}

/** Endpoint of the current command, so a network error can name it. */
let currentEndpoint: string | undefined;
export function setEndpointForErrors(endpoint: string): void {
  currentEndpoint = endpoint;
}

/** Wraps an action: errors become the error line and the exit code instead of a stack trace. */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const { line, exitCode } = describeError(err, currentEndpoint);
      process.stderr.write(`${line}\n`);
      process.exitCode = exitCode;
    }
  };
}

/**
 * Usage errors commander detects (unknown option, missing argument, bad value) exit 2 instead of
 * commander's 1; help and version still exit 0. Applied to a command and everything below it.
 */
export function usageExitCodes(cmd: Command): Command {
  cmd.exitOverride((e) => {
    process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
  });
  for (const sub of cmd.commands) usageExitCodes(sub);
  return cmd;
}

/** Adds `--json` and the connection flags (see profile.ts) to a command that talks to a server. */
export function remote(cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output on stdout')
    .addOption(new Option('--profile <name>', 'profile in ~/.alunite/config (env ALUNITE_PROFILE, default "default")'))
    .addOption(new Option('--endpoint <url>', 'http(s)://host[:port] (env ALUNITE_ENDPOINT)'))
    .addOption(new Option('--region <region>', 'region id, e.g. cn-hangzhou (env ALUNITE_REGION)'))
    .addOption(new Option('--access-key-id <id>', 'AccessKey id (env ALUNITE_ACCESS_KEY_ID)'))
    .addOption(new Option('--access-key-secret <secret>', 'AccessKey secret (env ALUNITE_ACCESS_KEY_SECRET)'))
    .addOption(new Option('--security-token <token>', 'STS security token (env ALUNITE_SECURITY_TOKEN)'));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns separated by two spaces; a header row when given. */
export function formatTable(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = header ? [header, ...rows] : [...rows];
  if (all.length === 0) return '';
  const widths: number[] = [];
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function printTable(rows: readonly (readonly string[])[], header?: readonly string[]): void {
  process.stdout.write(formatTable(rows, header));
}

/** `key  value` lines for one record. */
export function printRecord(record: Record<string, unknown>): void {
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined || v === null || v === '') continue;
    rows.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  }
  printTable(rows);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

/** `8M`, `512K`, `1G`, `1048576` → bytes (binary units). */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a size such as 1048576, 512K, 8M or 1G.');
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').charAt(0).toLowerCase()] ?? 1;
  const n = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive size.');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}
