import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { privateFile } from '../store/file-modes.js';
import type { RequestExplanation } from './explain.js';

/**
 * The refusals ExplainRequest can still explain after a restart. The ring of recent requests lives in memory;
 * a graceful stop writes the explanations of the refused and failed requests in it (status ≥ 400: the ones the
 * CLI's `why:` line names) to `<data>/kept-refusals.jsonl`, and the next start reads them back. A crash writes
 * nothing, and the audit log (`--audit-log`) is the record that survives everything. Explanations, not the
 * requests: a trace is computed once, at the stop, from the policies as they were when the request was decided.
 */
export const KEPT_REFUSALS_FILE = 'kept-refusals.jsonl';

/** A refusal as kept: its explanation and the accounts it involves (who may have it explained). */
export interface KeptRefusal {
  accounts: string[];
  explanation: RequestExplanation;
}

/** Most refusals kept across a stop (the newest), and most bytes of the file (a refusal is ~1–8 KB). */
export const KEPT_REFUSALS_MAX = 10_000;
export const KEPT_REFUSALS_MAX_BYTES = 16 * 1024 * 1024;
/** A refusal whose line would pass this is kept without its trace (policies of hundreds of statements). */
export const KEPT_LINE_MAX_BYTES = 64 * 1024;
/** Refusals older than this are not carried forward (nor read back). */
export const KEPT_REFUSALS_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** The line for one refusal within KEPT_LINE_MAX_BYTES (without its trace if need be), or null if even that is over. */
function lineOf(k: KeptRefusal): string | null {
  const full = `${JSON.stringify(k)}\n`;
  if (Buffer.byteLength(full) <= KEPT_LINE_MAX_BYTES) return full;
  const { trace: _trace, ...rest } = k.explanation;
  const bare = `${JSON.stringify({ accounts: k.accounts, explanation: rest })}\n`;
  return Buffer.byteLength(bare) <= KEPT_LINE_MAX_BYTES ? bare : null;
}

/**
 * Writes the refusals `newestFirst` yields, newest first until KEPT_REFUSALS_MAX or KEPT_REFUSALS_MAX_BYTES (so
 * an explanation past the bounds is never built), as one JSON line each, oldest first in the file. The file is
 * replaced atomically: a new temporary file of mode 0600 (a name no other process or leftover has), renamed
 * over it; with none to keep, the file is removed. Returns how many were written.
 */
export async function writeKeptRefusals(dataDir: string, newestFirst: Iterable<KeptRefusal>): Promise<number> {
  const lines: string[] = [];
  let bytes = 0;
  for (const k of newestFirst) {
    if (lines.length >= KEPT_REFUSALS_MAX) break;
    const line = lineOf(k);
    if (line === null) continue;
    const n = Buffer.byteLength(line);
    if (bytes + n > KEPT_REFUSALS_MAX_BYTES) break;
    bytes += n;
    lines.push(line);
  }
  lines.reverse();
  const file = join(dataDir, KEPT_REFUSALS_FILE);
  // Nothing to keep: no file (a server that never refused anything leaves none behind).
  if (lines.length === 0) {
    await rm(file, { force: true });
    return 0;
  }
  // Processes sharing a data directory (PostgreSQL; containers where each is pid 1) never share this name, and
  // 'wx' never opens what is already there.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(lines.join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
  return lines.length;
}

/**
 * Removes the temporary files of writeKeptRefusals that a kill during a graceful stop left behind (up to
 * KEPT_REFUSALS_MAX_BYTES each, never read or replaced by anyone: without this they stayed for good). With
 * `writtenBefore` (epoch ms), only those not written since: another process sharing the data directory
 * (PostgreSQL) may be writing its own right now. Returns how many were removed; never fatal.
 */
export async function removeKeptRefusalLeftovers(dataDir: string, writtenBefore?: number): Promise<number> {
  const prefix = `${KEPT_REFUSALS_FILE}.`;
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const path = join(dataDir, name);
    try {
      if (writtenBefore !== undefined && (await stat(path)).mtimeMs >= writtenBefore) continue;
      await rm(path, { force: true });
      removed++;
    } catch {
      // gone meanwhile (its writer renamed it), or not ours to remove: left for the next start
    }
  }
  return removed;
}

const ACCOUNT_ID = /^\d{16}$/;

/** What a kept line must be to be used: every account named (16 digits, at least one) and the explanation's shape. */
function isKept(v: unknown): v is KeptRefusal {
  if (typeof v !== 'object' || v === null) return false;
  const k = v as { accounts?: unknown; explanation?: unknown };
  if (!Array.isArray(k.accounts) || k.accounts.length === 0 || !k.accounts.every((a) => typeof a === 'string' && ACCOUNT_ID.test(a))) return false;
  const e = k.explanation as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null) return false;
  if (typeof e.requestId !== 'string' || typeof e.time !== 'number' || typeof e.status !== 'number' || typeof e.statementIndex !== 'number') return false;
  for (const f of ['principal', 'sourceIp', 'action'] as const) if (typeof e[f] !== 'string') return false;
  const t = e.trace as { layers?: unknown } | undefined;
  return t === undefined || (typeof t === 'object' && t !== null && Array.isArray(t.layers));
}

export interface ReadKept {
  /** By request id: the newest KEPT_REFUSALS_MAX that are not older than KEPT_REFUSALS_MAX_AGE_MS. */
  kept: Map<string, KeptRefusal>;
  /** Lines that were not a kept refusal (an edited or truncated file). */
  skipped: number;
  /** The file was over twice KEPT_REFUSALS_MAX_BYTES and was not read. */
  tooLarge: boolean;
}

/**
 * The refusals a previous stop kept; none when there is no file. Never fatal: start-up does not depend on this
 * file, and a line that is not one is skipped and counted. The file's mode is tightened to 0600 like the data
 * directory's other files.
 */
export async function readKeptRefusals(dataDir: string, now: number): Promise<ReadKept> {
  const file = join(dataDir, KEPT_REFUSALS_FILE);
  const kept = new Map<string, KeptRefusal>();
  let skipped = 0;
  let text: string;
  try {
    await privateFile(file);
    // Bounded like the writer: a file grown by hand past it is not read into memory.
    if ((await stat(file)).size > 2 * KEPT_REFUSALS_MAX_BYTES) return { kept, skipped, tooLarge: true };
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kept, skipped, tooLarge: false };
    throw err;
  }
  const valid: KeptRefusal[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!isKept(v)) skipped++;
    else if (now - v.explanation.time <= KEPT_REFUSALS_MAX_AGE_MS) valid.push(v);
  }
  // Oldest first in the file: the newest are the last lines.
  for (const k of valid.slice(-KEPT_REFUSALS_MAX)) kept.set(k.explanation.requestId, k);
  return { kept, skipped, tooLarge: false };
}
