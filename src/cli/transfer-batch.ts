import { CliError, describeError, printable, printJson } from './output.js';

// The transfers of one `oss cp -r` or `oss sync`: one object or file that cannot be transferred (a key too long
// for the local file system, an object refused by a policy, a file that vanished) is reported and the others go
// on, as `aws s3 cp --recursive` and ossutil do; before, the first such failure stopped the whole copy. A failure
// that every further transfer would meet too (nothing listening, a wrong or expired key, a full disk) stops
// scheduling new ones and is the command's error, as before.

/** Failure codes after which every further transfer of the run would fail the same way. */
const RUN_WIDE: ReadonlySet<string> = new Set([
  'NetworkError', 'InvalidResponse', 'SignatureDoesNotMatch', 'SecurityTokenExpired', 'InvalidSecurityToken', 'MissingSecurityToken',
  'AccessKeyIdAndSecurityTokenNotMatch', 'RequestTimeTooSkewed', 'NoSuchBucket', 'ENOSPC', 'EDQUOT', 'EROFS',
]);

/** Whether a failure stops the run (see RUN_WIDE); `code` is describeError's. */
function runWide(err: unknown, code: string): boolean {
  // A stream write's ENOSPC carries no path, so describeError does not name it by its errno: look at it directly.
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof errno === 'string' && RUN_WIDE.has(errno)) return true;
  // A response that stopped coming for one object (ali-oss's ResponseTimeoutError) is that object's; a
  // connection that cannot be made is everyone's.
  if ((err as Error | null)?.name === 'ResponseTimeoutError') return false;
  // InvalidAccessKeyId and its variants (InvalidAccessKeyId.Inactive: a disabled key).
  return RUN_WIDE.has(code) || code.startsWith('InvalidAccessKeyId');
}

export interface TransferFailure {
  source: string;
  destination: string;
  code: string;
  message: string;
  requestId: string | null;
}

export interface BatchOutcome {
  failures: TransferFailure[];
  /** The failure that stopped the run (scheduling stopped; items not started were not attempted). */
  stoppedBy?: unknown;
  total: number;
}

/**
 * Runs `fn` over items with at most `limit` in flight. A failure is written to stderr as
 * `error: <source> → <destination>: <Code>: <message>` and the run goes on, unless it is run-wide.
 */
export async function runTransfers<T>(
  items: readonly T[], limit: number, names: (item: T) => { source: string; destination: string }, fn: (item: T) => Promise<void>,
): Promise<BatchOutcome> {
  const failures: TransferFailure[] = [];
  let stoppedBy: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (stoppedBy === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        const f = describeError(err);
        if (runWide(err, f.code)) {
          stoppedBy ??= err;
          continue;
        }
        const { source, destination } = names(item);
        failures.push({ source, destination, code: f.code, message: f.message, requestId: f.requestId });
        process.stderr.write(`${printable(`error: ${source} → ${destination}: ${f.line.replace(/^error: /, '')}`)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { failures, ...(stoppedBy !== undefined ? { stoppedBy } : {}), total: items.length };
}

/**
 * The command's error after the run, if any: the run-wide failure itself, else one line counting the failed
 * transfers (each was written above when it failed). Undefined when everything was transferred.
 */
export function batchError(outcome: BatchOutcome, verb: string): unknown {
  if (outcome.stoppedBy !== undefined) return outcome.stoppedBy;
  const n = outcome.failures.length;
  if (n === 0) return undefined;
  const first = outcome.failures[0]!;
  return new CliError(
    'TransferFailed',
    `${n} of ${outcome.total} ${verb}s failed (each is listed above; the first: ${first.source}: ${first.code}); the other ${outcome.total - n} completed`,
  );
}

/**
 * `--json` output of `cp -r` and `sync`: one document with what was done and, after a failure, the failures and
 * the error in it; the error line also goes to stderr and sets the exit code (1), as without `--json`.
 */
export function printBatchJson(doc: Record<string, unknown>, error: unknown): void {
  if (error === undefined) {
    printJson(doc);
    return;
  }
  const f = describeError(error);
  printJson({ ...doc, error: { code: f.code, message: f.message, requestId: f.requestId } });
  process.stderr.write(`${printable(f.line)}\n`);
  process.exitCode = f.exitCode;
}
