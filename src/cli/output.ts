import { basename, delimiter, isAbsolute, relative, resolve, sep } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { certificateHint } from '../client/tls-hint.js';

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

/** What a failure is, for the error line on stderr and the `{ "error": … }` document of `--json`. */
export interface Failure {
  line: string;
  exitCode: number;
  code: string;
  message: string;
  requestId: string | null;
}

/**
 * What to do about the two transport failures a first try meets: nothing listening (the server is not started,
 * or another port), and https:// sent to the server's plain-HTTP port (OpenSSL's "wrong version number").
 */
function networkHint(cause: string): string {
  if (/ECONNREFUSED/.test(cause)) return ': nothing listens there; start the server (alunite server, npm start in a checkout) or give its address with --endpoint';
  if (/wrong version number|EPROTO/.test(cause)) return ': no TLS there; use http://, or start the server with --cert and --key';
  return '';
}

/** OpenSSL's error string (`write EPROTO 80CC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…:350:`) as `TLS: wrong version number`. */
function tlsCause(cause: string): string {
  return cause.replace(/(?:write EPROTO )?[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^\s)]*\s*/g, 'TLS: $1');
}

/** The one error line, its parts and the exit code, for anything a command can throw. */
export function describeError(err: unknown, endpoint?: string): Failure {
  const fail = (code: string, message: string, exitCode: number, requestId: string | null = null): Failure => ({
    line: `error: ${code === 'UsageError' || code === 'Error' || code === 'LocalError' ? '' : `${code}: `}${message}${requestId !== null ? ` (RequestId: ${requestId})` : ''}`,
    exitCode, code, message, requestId,
  });
  if (err instanceof CommanderError) {
    // commander has already printed its own line ("error: unknown option '--x'"), or the help of a group
    // called without a subcommand (its message is then a placeholder).
    const message = err.code === 'commander.help' ? 'a subcommand is required (see the usage on stderr)' : err.message.replace(/^error: /, '');
    return { ...fail('UsageError', message, EXIT_USAGE), line: '' };
  }
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return fail('UsageError', err.message, EXIT_USAGE);
  if (!(err instanceof Error)) return fail('Error', String(err), EXIT_SERVICE);
  const e = err as Error & CodedError;
  const rid = typeof e.requestId === 'string' && e.requestId !== '' ? e.requestId : null;
  // ali-oss marks transport failures with status -1 (network) / -2 (timeout); PopClient with NetworkError.
  // A transport failure named only in the message is about the endpoint when the command talks to one
  // (setEndpointForErrors). Not otherwise (PostgreSQL behind --meta), nor an error with a code of its own (alunite
  // vend's StsUnavailable): those already say what to check, and the hint below would name a flag they lack.
  const ownCode = typeof e.code === 'string' && e.code !== '' && !/^E[A-Z]+$/.test(e.code) && typeof e.status === 'number' && e.status > 0;
  const networkish = e.status === -1 || e.status === -2 || e.code === 'NetworkError' ||
    (endpoint !== undefined && !ownCode && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH/.test(e.message));
  if (networkish && e.code !== 'NetworkError') {
    // ali-oss appends the request line and socket statistics; the first clause is the cause.
    const first = e.message.split('\n')[0]!.replace(/, (GET|PUT|POST|HEAD|DELETE) https?:\/\/.*$/, '').replace(/\s*\(req "error"\).*$/, '').replace(/, please increase the timeout.*$/, '');
    // (PopClient's NetworkError, below, carries its certificate hint in its message already.)
    return fail('NetworkError', `cannot reach ${endpoint ?? 'the endpoint'} (${tlsCause(first)})${networkHint(first)}${certificateHint(first)}`, EXIT_SERVICE);
  }
  // xml2js's parse error, which ali-oss passes on bare: the endpoint answered something that is not OSS XML (an
  // HTML page: the vend service's or another server's port).
  if (e.code === undefined && e.status === undefined && /\nLine: \d+\s*\nColumn: \d+\s*\nChar: /.test(e.message)) {
    const where = endpoint ?? 'the endpoint';
    return fail('InvalidResponse', `the answer from ${where} is not OSS XML (${e.message.split('\n')[0]!} at line ${/Line: (\d+)/.exec(e.message)![1]!}): is ${where} the OSS endpoint (alunite server's port, 8930 by default) and not another service's, such as the vend service's?`, EXIT_SERVICE);
  }
  if (e.code === 'NetworkError') return fail('NetworkError', `${tlsCause(e.message.replace(/\s*\n\s*/g, ' ').trim())}${networkHint(e.message)}`, EXIT_SERVICE, rid);
  if (typeof e.code === 'string' && e.code !== '' && !/^E[A-Z]+$/.test(e.code)) return fail(e.code, e.message.split('\n')[0]!, EXIT_SERVICE, rid);
  const sys = e as NodeJS.ErrnoException;
  if (typeof sys.code === 'string' && sys.path !== undefined) {
    const what = sys.code === 'ENOENT' ? 'no such file or directory' : sys.code === 'EISDIR' ? 'is a directory' : sys.code === 'EACCES' ? 'permission denied' : sys.message;
    return { ...fail('LocalError', `${sys.path}: ${what}`, EXIT_SERVICE), code: sys.code };
  }
  return fail('Error', e.message, EXIT_SERVICE);
}

/** Set by `policy explain`: its own refusal gets a hint about who may explain, not another `why:` line. */
let explaining = false;
export function markExplainCommand(): void {
  explaining = true;
}

/**
 * The next page's marker or token, refused when the server gave it before: a listing that never advances would
 * run (and collect) forever. `seen` is the listing's own set.
 */
export function advancing(seen: Set<string>, marker: string, what: string): string {
  if (seen.has(marker)) throw new CliError('InvalidResponse', `the server's ${what} did not advance (${JSON.stringify(marker.slice(0, 100))} came back again): stopped rather than list forever`);
  seen.add(marker);
  return marker;
}

/** Cleared by commands whose refusals the server keeps no decision for (`init reset`): no `why:` line to a dead end. */
let refusalsExplained = true;
export function refusalsNotExplained(): void {
  refusalsExplained = false;
}

/** A command's own advice for its failure, printed after the error line (e.g. the root account assuming a role). */
let failureHint: string | undefined;
export function hintOnFailure(hint: string): void {
  failureHint = hint;
}

/** Endpoint of the current command, so a network error can name it. */
let currentEndpoint: string | undefined;
export function setEndpointForErrors(endpoint: string): void {
  currentEndpoint = endpoint;
}

/** How a failed command reports: `--json` adds the error document on stdout, `--export` a failing shell line. */
export interface FailureOutput {
  json: boolean;
  /** stdout is meant for `eval "$(…)"`: it must make the shell fail, not silently export nothing. */
  shellExport: boolean;
}

/**
 * This command as the user can type it again: `alunite` when that is what runs it (installed, on PATH), else the
 * path it was started by (`bin/alunite` in a checkout, relative to the working directory when below it).
 */
export function selfCommand(argv1: string | undefined = process.argv[1], cwd = process.cwd(), path = process.env.PATH ?? ''): string {
  if (argv1 === undefined || basename(argv1) !== 'alunite') return 'alunite';
  if (path.split(delimiter).some((dir) => dir !== '' && resolve(cwd, dir, 'alunite') === argv1)) return 'alunite';
  const rel = relative(cwd, argv1);
  if (rel.startsWith('..') || isAbsolute(rel)) return argv1;
  return rel.includes(sep) ? rel : `.${sep}${rel}`;
}

/**
 * Reports any failure of any command (main.ts catches everything here): the error line on stderr, with
 * `--json` `{ "error": { code, message, requestId } }` on stdout, with `--export` a shell statement that
 * fails; returns the exit code (1 service/I/O, 2 usage).
 */
export function reportFailure(err: unknown, out: FailureOutput): number {
  const f = describeError(err, currentEndpoint);
  // The message and request id are the server's: written out printable, like every line for a person.
  if (f.line !== '') process.stderr.write(`${printableLines(f.line)}\n`);
  // A refusal by Alunite: the server can say which policy layer decided (ExplainRequest; the cloud has no such call).
  if (explaining && f.code === 'NoPermission') {
    process.stderr.write('hint: explaining a request needs ram:ExplainRequest: run it as the account\'s root or a RAM user allowed it (AdministratorAccess is), e.g. with --profile <that profile>\n');
  } else if (refusalsExplained && (f.code === 'AccessDenied' || f.code === 'NoPermission') && f.requestId !== null && !/\.aliyuncs\.com(:\d+)?\/?$/.test(currentEndpoint ?? '')) {
    process.stderr.write(`why: ${printable(`${selfCommand()} policy explain ${f.requestId}`)}\n`);
  }
  if (failureHint !== undefined) process.stderr.write(`hint: ${printable(failureHint)}\n`);
  if (out.shellExport) {
    // `eval "$(…)"` runs this: with `set -e` the script stops here, and without it the message says the
    // credentials were not exported (the caller is still on its previous identity).
    const msg = `alunite: ${f.code === 'UsageError' ? '' : `${f.code}: `}${f.message}; nothing was exported`.replace(/[\r\n]+/g, ' ');
    process.stdout.write(`printf '%s\\n' ${shellQuote(msg)} >&2; false\n`);
  } else if (out.json) {
    printJson({ error: { code: f.code, message: f.message, requestId: f.requestId } });
  }
  return f.exitCode;
}

/** POSIX shell single quotes: safe for any value, including quotes, `$`, spaces and newlines. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Kept for the commands' action definitions: failures propagate to main(), which reports them once
 * (reportFailure), whatever the command.
 */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return fn;
}

/** The options every command accepts before its subcommand as well as after it (see applyConventions). */
export const GLOBAL_OPTIONS: readonly { flags: string; description: string }[] = [
  { flags: '--json', description: 'machine-readable output on stdout (errors too: {"error": {code, message, requestId}})' },
  { flags: '--profile <name>', description: 'profile in ~/.alunite/config (env ALUNITE_PROFILE, default "default")' },
  { flags: '--endpoint <url>', description: 'http(s)://host[:port] (env ALUNITE_ENDPOINT)' },
  { flags: '--region <region>', description: 'region id, e.g. cn-hangzhou (env ALUNITE_REGION)' },
  { flags: '--access-key-id <id>', description: 'AccessKey id (env ALUNITE_ACCESS_KEY_ID)' },
  { flags: '--access-key-secret <secret>', description: 'AccessKey secret (env ALUNITE_ACCESS_KEY_SECRET)' },
  { flags: '--security-token <token>', description: 'STS security token (env ALUNITE_SECURITY_TOKEN)' },
];

const commandPath = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/**
 * The CLI's conventions, applied once to the whole command tree (main.ts, after every command is added),
 * so no command can differ:
 * - every command accepts `--json`;
 * - every usage error commander detects (unknown command or option, missing argument, bad value) is
 *   thrown to main(), which exits 2 (help and --version exit 0);
 * - the global options (GLOBAL_OPTIONS) are accepted on the program and on every command group, before
 *   the subcommand: `alunite --profile dev oss ls` = `alunite oss ls --profile dev`. A value given after
 *   the subcommand wins; one the command does not take is a usage error.
 */
export function applyConventions(root: Command): Command {
  const visit = (cmd: Command): void => {
    cmd.exitOverride((e) => {
      throw e;
    });
    // A group that is also a command of its own (`vend`, `configure`) takes only the options it declares.
    const handler = (cmd as unknown as { _actionHandler?: unknown })._actionHandler;
    const runsItself = handler !== undefined && handler !== null;
    if (cmd.commands.length > 0) cmd.enablePositionalOptions();
    if (cmd.commands.length > 0 && !runsItself) {
      for (const g of GLOBAL_OPTIONS) {
        if (!cmd.options.some((o) => o.long === g.flags.split(' ')[0])) {
          const opt = new Option(g.flags, g.description);
          if (cmd !== root) opt.hideHelp();
          cmd.addOption(opt);
        }
      }
    } else if (!cmd.options.some((o) => o.long === '--json')) {
      cmd.option('--json', 'machine-readable output on stdout');
    }
    for (const sub of cmd.commands) visit(sub);
  };
  visit(root);
  root.hook('preAction', (_root, action) => inheritGlobalOptions(action));
  return root;
}

/** Copies the global options given on the program or a group onto the command that runs. */
function inheritGlobalOptions(action: Command): void {
  for (let anc = action.parent; anc; anc = anc.parent) {
    for (const opt of anc.options) {
      const key = opt.attributeName();
      const source = anc.getOptionValueSource(key);
      if (source !== 'cli' || opt.long === undefined || opt.long === '--version') continue;
      const own = action.options.find((o) => o.long === opt.long);
      if (own === undefined) throw new UsageError(`${opt.long} does not apply to "${commandPath(action)}"`);
      const ownKey = own.attributeName();
      if (action.getOptionValueSource(ownKey) === 'cli') continue; // given after the subcommand (or nearer): it wins
      action.setOptionValueWithSource(ownKey, anc.getOptionValue(key), 'cli');
    }
  }
}

/**
 * Usage errors commander detects exit 2. Kept for callers that apply it to their own command; main.ts
 * applies the same rule to the whole tree (applyConventions).
 */
export function usageExitCodes(cmd: Command): Command {
  cmd.exitOverride((e) => {
    throw e;
  });
  for (const sub of cmd.commands) usageExitCodes(sub);
  return cmd;
}

/** Adds `--json` and the connection flags (see profile.ts) to a command that talks to a server. */
export function remote(cmd: Command): Command {
  for (const g of GLOBAL_OPTIONS) cmd.addOption(new Option(g.flags, g.description));
  return cmd;
}

/**
 * One JSON document. JSON.stringify escapes C0 control characters but not DEL and C1 (U+0080–U+009F; U+009B is
 * an 8-bit CSI to some terminals): those are written as `\u` escapes too, which JSON reads back the same.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f]/g, escapeChar)}\n`);
}

/**
 * Text as a terminal should show it: control characters (C0, DEL, C1, so escape sequences too) written as `\u001b`.
 * Object keys, resources and messages come from whoever wrote or sent them, and a person reads them here.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapeChar);
}

/** `\u001b` for ESC: how JSON writes a character, and how printable() shows one. */
function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Several lines, each made printable (their line breaks kept). */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** Left-aligned columns separated by two spaces; a header row when given. Cells are made printable. */
export function formatTable(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = (header ? [header, ...rows] : [...rows]).map((r) => r.map(printable));
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
