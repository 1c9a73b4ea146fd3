import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Writes `kept` (oldest first) as one JSON line each, newest kept when they pass the bounds; replaced
 * atomically (a temporary file renamed over it), mode 0600. Returns how many were written.
 */
export async function writeKeptRefusals(dataDir: string, kept: readonly KeptRefusal[]): Promise<number> {
  const lines: string[] = [];
  let bytes = 0;
  for (let i = kept.length - 1; i >= 0 && lines.length < KEPT_REFUSALS_MAX; i--) {
    const line = `${JSON.stringify(kept[i])}\n`;
    if (bytes + line.length > KEPT_REFUSALS_MAX_BYTES) break;
    bytes += line.length;
    lines.push(line);
  }
  lines.reverse();
  const file = join(dataDir, KEPT_REFUSALS_FILE);
  // The process id: processes sharing a data directory (PostgreSQL) never write the same temporary file.
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
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

function isKept(v: unknown): v is KeptRefusal {
  if (typeof v !== 'object' || v === null) return false;
  const k = v as { accounts?: unknown; explanation?: unknown };
  if (!Array.isArray(k.accounts) || !k.accounts.every((a) => typeof a === 'string')) return false;
  const e = k.explanation as Partial<RequestExplanation> | undefined;
  return typeof e === 'object' && e !== null && typeof e.requestId === 'string' && typeof e.time === 'number' && typeof e.status === 'number';
}

/**
 * The refusals a previous stop kept, by request id; none when there is no file. A line that is not one (an edited
 * or truncated file) is skipped and counted, never fatal: start-up does not depend on this file.
 */
export async function readKeptRefusals(dataDir: string): Promise<{ kept: Map<string, KeptRefusal>; skipped: number }> {
  const file = join(dataDir, KEPT_REFUSALS_FILE);
  const kept = new Map<string, KeptRefusal>();
  let skipped = 0;
  let text: string;
  try {
    // Bounded like the writer: a file grown by hand past it is not read into memory.
    if ((await stat(file)).size > 2 * KEPT_REFUSALS_MAX_BYTES) return { kept, skipped: 1 };
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kept, skipped };
    throw err;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (isKept(v) && kept.size < KEPT_REFUSALS_MAX) kept.set(v.explanation.requestId, v);
    else skipped++;
  }
  return { kept, skipped };
}
