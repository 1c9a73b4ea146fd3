import { readFileSync } from 'node:fs';

/** The package's version, from package.json: two folders up from the compiled dist/src/defaults.js (checkout or package). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Well-known development credentials, printed at start when none are configured (like Azurite's). */
export const DEV_DEFAULTS = {
  accountId: '1000000000000001',
  accessKeyId: 'LTAI5tAluniteDevAccessKey',
  accessKeySecret: 'AluniteDevSecret0123456789ABCD',
} as const;

/**
 * How long after its first line a batch of bucket access log lines is written (docs/logging.md): an hour, as OSS
 * generates its log files hourly. SDK test suites turn logging on, wait, and delete the source or target bucket
 * expecting it empty (the Java SDK's BucketLoggingTest waits 70 s in all); `--access-log-flush-seconds` shortens it.
 */
export const ACCESS_LOG_FLUSH_SECONDS = 3600;
