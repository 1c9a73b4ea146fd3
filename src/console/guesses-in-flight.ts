import type { CounterName, Failures } from './shared-attempts.js';

// Guesses (passwords, MFA codes) being checked right now, per counted key, in this process. The stored counts
// (shared-attempts.ts) learn of a guess only once it has failed, so a burst of guesses sent at once all read the
// same count below the limit and were all checked: 40 at once for one user (39 wrong, then the right one) signed
// in, where MaxLoginAttemps is 5, and 200 at once from one address all got a password hash where the address
// allows 50 failures (test/redteam-wave10.test.ts). A guess takes its places before it reads the counts and gives
// them back only after its failure is counted, so each guess sees every other one, counted or in flight.

export class GuessesInFlight {
  private readonly counts = new Map<string, number>();

  /**
   * Takes a place under each (distinct) key. `ahead[i]`: the guesses under `keys[i]` already in flight. `leave`
   * once the guess's failure, if any, is counted in the store.
   */
  enter(keys: readonly string[]): { ahead: number[]; leave: () => void } {
    const ahead = keys.map((k) => {
      const n = this.counts.get(k) ?? 0;
      this.counts.set(k, n + 1);
      return n;
    });
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      for (const k of keys) {
        const n = (this.counts.get(k) ?? 1) - 1;
        if (n <= 0) this.counts.delete(k);
        else this.counts.set(k, n);
      }
    };
    return { ahead, leave };
  }
}

/**
 * Whether one more guess fits under `counter`'s limit: the failures stored within the window and the guesses in
 * flight ahead of it, each of which may fail too, stay below `limit` (0: no limit).
 */
export function roomFor(f: Failures | null, counter: CounterName, limit: number, windowMs: number, ahead: number, now: number): boolean {
  if (limit <= 0) return true;
  const recent = f?.[counter]?.times.filter((t) => t > now - windowMs).length ?? 0;
  return recent + ahead < limit;
}
