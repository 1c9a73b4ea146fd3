// `alunite server` flags for the batch job worker (docs/batch-operations.md, "Where jobs live, and who runs them"):
// each flag has an ALUNITE_BATCH_* environment twin; the flag wins.
import { InvalidArgumentError, type Command } from 'commander';
import type { ServerOptions } from '../server.js';
import { UsageError } from './output.js';

export interface BatchFlags {
  batchInterval?: number;
  batchStartDelay?: number;
  batchPageSize?: number;
  batchMaxJobs?: number;
  batchRetentionDays?: number;
  batchSuspendedDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function number(min: number, integer: boolean, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`must be ${what} >= ${min}.`);
    return n;
  };
}

/** name → [flag, env, parser, help]. */
const FLAGS: ReadonlyArray<readonly [keyof BatchFlags, string, string, (v: string) => number, string]> = [
  ['batchInterval', '--batch-interval <seconds>', 'ALUNITE_BATCH_INTERVAL', number(0, false, 'a number of seconds'), 'look for batch job work this often, 0 never (default 5)'],
  ['batchStartDelay', '--batch-start-delay <seconds>', 'ALUNITE_BATCH_START_DELAY', number(0, false, 'a number of seconds'), 'a new batch job waits this long before it is prepared (default 10)'],
  ['batchPageSize', '--batch-page-size <n>', 'ALUNITE_BATCH_PAGE_SIZE', number(1, true, 'an integer'), 'tasks a batch job runs before the worker turns to the next account (default 1000)'],
  ['batchMaxJobs', '--batch-max-jobs <n>', 'ALUNITE_BATCH_MAX_JOBS', number(1, true, 'an integer'), 'batch jobs an account may have not yet ended; CreateJob beyond is TooManyJobs (default 1000)'],
  ['batchRetentionDays', '--batch-retention-days <days>', 'ALUNITE_BATCH_RETENTION_DAYS', number(0.000001, false, 'a number of days'), 'ended batch jobs are forgotten this long after they end (default 90)'],
  ['batchSuspendedDays', '--batch-suspended-days <days>', 'ALUNITE_BATCH_SUSPENDED_DAYS', number(0.000001, false, 'a number of days'), 'a Suspended batch job never confirmed fails after this long (default 14)'],
];

export function addBatchOptions(cmd: Command): Command {
  for (const [, flag, env, parse, help] of FLAGS) cmd.option(flag, `${help} (env ${env}; docs/batch-operations.md)`, parse);
  return cmd;
}

/** The worker's options from the flags, else the environment, else the server's defaults (nothing set). */
export function batchJobOptions(o: BatchFlags, env: NodeJS.ProcessEnv): Pick<ServerOptions, 'batchJobs'> {
  const v: BatchFlags = {};
  for (const [name, , envName, parse] of FLAGS) {
    const raw = env[envName];
    let value = o[name];
    if (value === undefined && raw !== undefined) {
      try {
        value = parse(raw);
      } catch (err) {
        throw new UsageError(`${envName}=${JSON.stringify(raw)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (value !== undefined) v[name] = value;
  }
  const batchJobs: NonNullable<ServerOptions['batchJobs']> = {
    ...(v.batchInterval !== undefined ? { intervalMs: v.batchInterval * 1000 } : {}),
    ...(v.batchStartDelay !== undefined ? { startDelayMs: v.batchStartDelay * 1000 } : {}),
    ...(v.batchPageSize !== undefined ? { pageSize: v.batchPageSize } : {}),
    ...(v.batchMaxJobs !== undefined ? { maxJobsPerAccount: v.batchMaxJobs } : {}),
    ...(v.batchRetentionDays !== undefined ? { retentionMs: v.batchRetentionDays * DAY_MS } : {}),
    ...(v.batchSuspendedDays !== undefined ? { suspendedMs: v.batchSuspendedDays * DAY_MS } : {}),
  };
  return Object.keys(batchJobs).length > 0 ? { batchJobs } : {};
}
