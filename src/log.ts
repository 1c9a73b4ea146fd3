import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * Structured logs: pino, one JSON line per event on stderr (`{"level":"info","time":"…","msg":…}`).
 * Lines written while handling a request carry its `requestId` (the id the client sees). Secrets must
 * never be passed in fields; the redaction list below is a second line of defence, not the first.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Cheap check before building fields for a line that may not be written (per-request debug lines). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /** A logger adding `bindings` to every line (e.g. `{requestId}`). */
  child(bindings: Record<string, unknown>): Logger;
}

/** Field names whose values are never written, at the top level or one level down. */
const SECRET_FIELDS = [
  'accessKeySecret', 'AccessKeySecret', 'secret', 'securityToken', 'SecurityToken', 'password', 'Password',
  'signature', 'Signature', 'authorization', 'Authorization', 'masterKey',
];
const REDACT = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

function wrap(p: PinoLogger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    enabled: (level) => p.isLevelEnabled(level),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

/** `write` receives whole lines (tests capture them); by default they go to stderr, synchronously. */
export function createLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const destination: DestinationStream = write ? { write } : pino.destination({ dest: 2, sync: true });
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
  );
}

const SECRET_QUERY = /^(signature|x-oss-signature|security-token|x-oss-security-token|securitytoken|accesskeysecret|password)$/i;

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
