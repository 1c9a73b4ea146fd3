import assert from 'node:assert/strict';

/**
 * Waits until `check` holds, polling: for what happens asynchronously (descriptors closing, a log line written,
 * a process exiting). Bounded by progress, not by a guess at the clock: a passing check returns at once, and a
 * machine at load 10 gets up to `limitMs` (30 s) to get there.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 30_000, everyMs = 20): Promise<void> {
  for (const t0 = Date.now(); !(await check()); await new Promise((r) => setTimeout(r, everyMs))) {
    if (Date.now() - t0 > limitMs) assert.fail(`not within ${limitMs / 1000} s: ${what}`);
  }
}
