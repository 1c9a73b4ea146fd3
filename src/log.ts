import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { LOG_FORMATS, type LogFormat, type LogLevel } from './log-levels.js';

/**
 * Structured logs: pino, one line per event on stderr. Two formats of the same events: `json`
 * (`{"level":"info","time":"…","msg":…}`, for collectors) and `pretty` (`03:40:00.123 INFO  access denied
 * requestId=… principal=user:alice …`, for a person at a terminal; the default when stderr is one).
 * Lines written while handling a request carry its `requestId` (the id the client sees). Secrets must
 * never be passed in fields; the redaction list below is a second line of defence, not the first.
 */
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log-levels.js';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Cheap check before building fields for a line that may not be written (per-request debug lines). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /** A logger adding `bindings` to every line (e.g. `{requestId}`). */
  child(bindings: Record<string, unknown>): Logger;
  /**
   * The one line per request (method, URL, status, operation, time): at info in the pretty format (someone
   * is watching the terminal), at debug in JSON (collectors have the audit log). `fields` is only called
   * when the line is written.
   */
  request(fields: () => Record<string, unknown>): void;
}

/** Field names whose values are never written, at the top level or one level down. */
const SECRET_FIELDS = [
  'accessKeySecret', 'AccessKeySecret', 'secret', 'securityToken', 'SecurityToken', 'password', 'Password',
  'signature', 'Signature', 'authorization', 'Authorization', 'masterKey',
];
const REDACT = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

function wrap(p: PinoLogger, requestLevel: 'info' | 'debug'): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    enabled: (level) => p.isLevelEnabled(level),
    child: (bindings) => wrap(p.child(bindings), requestLevel),
    request: (fields) => {
      if (p.isLevelEnabled(requestLevel)) p[requestLevel](fields(), 'request');
    },
  };
}

/** `--log-format`, else ALUNITE_LOG_FORMAT, else pretty when stderr (where logs go) is a terminal. */
export function resolveLogFormat(option: LogFormat | undefined, env: NodeJS.ProcessEnv = process.env, stderrIsTty = process.stderr.isTTY === true): LogFormat {
  if (option !== undefined) return option;
  const fromEnv = env.ALUNITE_LOG_FORMAT;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!(LOG_FORMATS as readonly string[]).includes(fromEnv)) throw new Error(`ALUNITE_LOG_FORMAT=${JSON.stringify(fromEnv)}: must be one of ${LOG_FORMATS.join(', ')}.`);
    return fromEnv as LogFormat;
  }
  return stderrIsTty ? 'pretty' : 'json';
}

export interface LoggerOptions {
  /** Default: resolveLogFormat(undefined) (pretty on a terminal) without `write`, json with it. */
  format?: LogFormat;
  /** Colour the level in the pretty format; default: when writing to a terminal that allows colour. */
  color?: boolean;
}

/**
 * `write` receives whole lines (tests capture them); by default they go to stderr, synchronously. In the
 * pretty format pino still makes the JSON line (redaction included) and formatPrettyLine rewrites it.
 */
export function createLogger(level: LogLevel, write?: (line: string) => void, opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (write ? 'json' : resolveLogFormat(undefined));
  const color = opts.color ?? (!write && process.stderr.isTTY === true && process.env.NO_COLOR === undefined);
  let destination: DestinationStream;
  if (format === 'pretty') {
    const out = write ?? ((line: string) => void process.stderr.write(line));
    destination = { write: (line: string) => out(formatPrettyLine(line, color)) };
  } else {
    destination = write ? { write } : pino.destination({ dest: 2, sync: true });
  }
  return wrap(
    pino(
      {
        level,
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACT, censor: '[redacted]' },
      },
      destination,
    ),
    format === 'pretty' ? 'info' : 'debug',
  );
}

const LEVEL_COLOR: Readonly<Record<string, string>> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };
/** Not repeated after the message: the time, the level and the message are the line's head; pid is noise. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
/** Shown first, in this order, when present. */
const FIRST_FIELDS = ['requestId', 'principal', 'action', 'resource', 'decision', 'layer', 'policy', 'statement'];

function showValue(v: unknown): string {
  if (typeof v === 'string') return v !== '' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/**
 * One JSON log line → one readable line: `03:40:00.123 INFO  <msg>  key=value …` (UTC time of day), a
 * request as `GET /b/k → 200 GetObject 3.1ms`. Multi-line values (stack traces) follow, indented. A line
 * that is not JSON is passed through.
 */
export function formatPrettyLine(line: string, color = false): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof e !== 'object' || e === null) return `${line.trimEnd()}\n`;
  const time = typeof e.time === 'string' ? (/T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(e.time)?.[1] ?? e.time) : '';
  const levelName = typeof e.level === 'string' ? e.level : String(e.level ?? '');
  const label = levelName.toUpperCase().padEnd(5);
  const level = color ? `${LEVEL_COLOR[levelName] ?? ''}${label}\x1b[0m` : label;
  const msg = String(e.msg ?? '');
  const rest = new Map(Object.entries(e).filter(([k]) => !HEAD_FIELDS.has(k)));
  let head = msg;
  if (msg === 'request') {
    const take = (k: string): unknown => {
      const v = rest.get(k);
      rest.delete(k);
      return v;
    };
    const ms = take('ms');
    head = [take('method'), take('url'), '→', take('status'), take('op'), typeof ms === 'number' ? `${ms.toFixed(1)}ms` : undefined]
      .filter((x) => x !== undefined && x !== '')
      .map(String)
      .join(' ');
  }
  const tail: string[] = [];
  const blocks: string[] = [];
  const keys = [...FIRST_FIELDS.filter((k) => rest.has(k)), ...[...rest.keys()].filter((k) => !FIRST_FIELDS.includes(k))];
  for (const k of keys) {
    const v = rest.get(k);
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && v.includes('\n')) blocks.push(`    ${k}: ${v.replace(/\n/g, '\n      ')}`);
    else tail.push(`${k}=${showValue(v)}`);
  }
  const one = [time, level, tail.length > 0 ? `${head}  ${tail.join(' ')}` : head].filter((x) => x !== '').join(' ');
  return `${one}\n${blocks.map((b) => `${b}\n`).join('')}`;
}

// Credentials that POP GETs carry in the query: passwords (ChangePassword, login profiles), MFA codes, and the
// bearer tokens of AssumeRoleWithOIDC / AssumeRoleWithSAML.
const SECRET_QUERY = /^(signature|x-oss-signature|security-token|x-oss-security-token|securitytoken|accesskeysecret|password|oldpassword|newpassword|oidctoken|samlassertion|authenticationcode1|authenticationcode2)$/i;

/** A request URL for a log line: values of signature and token parameters replaced (presigned URLs, POP GETs). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return eq >= 0 && SECRET_QUERY.test(decoded) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}
