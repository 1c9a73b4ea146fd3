import { createHmac } from 'node:crypto';
import type { IdentityDocKey, IdentityStore } from '../store/meta/types.js';
import { noteFailure, type Entry as Counter } from './attempts.js';

// Failed console sign-ins counted in the metadata store (docs/console.md), so that every server process sharing
// one database counts the same failures: with counters in each process's memory, N processes behind a load
// balancer allowed N × MaxLoginAttemps guesses (and each source address N budgets). The counts are identity documents (kind FAILURES_DOC of the
// default account, store `ram_documents`), spread over a fixed number of shard documents by a keyed hash of the
// logon key: known and unknown names are counted alike (a lock tells nothing), yet whatever names an
// unauthenticated caller tries, the store holds at most SHARDS documents of at most MAX_PER_SHARD entries
// (past that, the least recently failed unlocked entry goes, as in memory). Each failure is one
// `updateIdentityDocs` (read, count, write in one transaction: exact under concurrent failures on several
// processes); a check is one read, and a success writes only when there were failures to forget.

export const FAILURES_DOC = 'console-signin-failures';
export const SHARDS = 64;
export const MAX_PER_SHARD = 160;

export type SharedAttemptsStore = Pick<IdentityStore, 'readIdentityDocs' | 'updateIdentityDocs'>;

/**
 * Which count: `p` failed sign-ins (MaxLoginAttemps), `m` wrong MFA codes (cleared only by a full sign-in), `a`
 * failures from one source address (keys from `addressKey`). Each note names its counter, so a logon name
 * spelt like an address key still counts only `p` and `m`.
 */
export type CounterName = 'p' | 'm' | 'a';
const COUNTERS: readonly CounterName[] = ['p', 'm', 'a'];

/** One key's counts; `f`: its last failure (entries are pruned `retainMs` after it, once unlocked). */
export type Failures = { [C in CounterName]?: Counter } & { f: number };

export interface FailureNote {
  key: string;
  counter: CounterName;
  /** Failures within `windowMs` that lock the key for `lockMs` (0: never). */
  limit: number;
  windowMs: number;
  lockMs: number;
}

/** Whether `f`'s `counter` is locked at `now`. */
export function lockedAt(f: Failures | null, counter: CounterName, now: number): boolean {
  return (f?.[counter]?.lockedUntil ?? 0) > now;
}

function isCounter(v: unknown): v is Counter {
  const c = v as Counter | null;
  return typeof c === 'object' && c !== null && Array.isArray(c.times) && c.times.every((t) => typeof t === 'number') && typeof c.lockedUntil === 'number';
}

/** A shard document: [key, failures] pairs, least recently failed first. A malformed one reads as empty. */
function parseShard(doc: string): Map<string, Failures> {
  const out = new Map<string, Failures>();
  let v: unknown;
  try {
    v = JSON.parse(doc);
  } catch {
    return out;
  }
  if (!Array.isArray(v)) return out;
  for (const pair of v as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') continue;
    const f = pair[1] as Partial<Failures> | null;
    if (typeof f !== 'object' || f === null || typeof f.f !== 'number') continue;
    if (COUNTERS.some((c) => f[c] !== undefined && !isCounter(f[c]))) continue;
    const e: Failures = { f: f.f };
    for (const c of COUNTERS) if (f[c] !== undefined) e[c] = f[c];
    out.set(pair[0], e);
  }
  return out;
}

const hasCounts = (f: Failures): boolean => COUNTERS.some((c) => f[c] !== undefined);
const anyLocked = (f: Failures, now: number): boolean => COUNTERS.some((c) => lockedAt(f, c, now));

export class SharedAttempts {
  private readonly shardKey: Buffer;

  /** `retainMs`: how long an unlocked key is kept after its last failure (the longest window counted). */
  constructor(
    private readonly store: SharedAttemptsStore,
    masterKey: Buffer,
    private readonly retainMs: number,
    private readonly shards = SHARDS,
    private readonly maxPerShard = MAX_PER_SHARD,
  ) {
    // Keyed, so a caller cannot pick names that fill the shard of someone else's name.
    this.shardKey = createHmac('sha256', masterKey).update('alunite console sign-in failure shards v1').digest();
  }

  private shardOf(key: string): string {
    return `shard-${createHmac('sha256', this.shardKey).update(key).digest().readUInt32BE(0) % this.shards}`;
  }

  /** The key's failures (null: none): one read. */
  async read(key: string): Promise<Failures | null> {
    return (await this.readMany([key]))[0]!;
  }

  /** Each key's failures (null: none), in the order asked: one read of their documents. */
  async readMany(keys: readonly string[]): Promise<Array<Failures | null>> {
    const ids = keys.map((k) => this.shardOf(k));
    const docs = await this.store.readIdentityDocs(FAILURES_DOC, [...new Set(ids)]);
    return keys.map((k, i) => {
      const doc = docs.get(ids[i]!);
      return doc === undefined ? null : (parseShard(doc).get(k) ?? null);
    });
  }

  /** Counts the failures, all in one transaction; answers each key's failures afterwards. */
  async fail(notes: readonly FailureNote[], now: number): Promise<Map<string, Failures>> {
    const ids = [...new Set(notes.map((n) => this.shardOf(n.key)))].sort();
    const keys: IdentityDocKey[] = ids.map((id) => ({ kind: FAILURES_DOC, id }));
    const out = new Map<string, Failures>();
    await this.store.updateIdentityDocs(keys, (current) =>
      current.map((doc, i) => {
        const entries = this.pruned(doc === null ? new Map() : parseShard(doc), now);
        for (const n of notes) {
          if (this.shardOf(n.key) !== ids[i]) continue;
          let e = entries.get(n.key);
          if (e === undefined) {
            this.makeRoom(entries, now);
            e = { f: now };
          } else {
            entries.delete(n.key); // re-inserted below: the order is last failure
          }
          e.f = now;
          const c = (e[n.counter] ??= { times: [], lockedUntil: 0 });
          noteFailure(c, now, n.limit, n.windowMs, n.lockMs);
          entries.set(n.key, e);
          out.set(n.key, e);
        }
        return entries.size === 0 ? null : JSON.stringify([...entries]);
      }),
    );
    return out;
  }

  /**
   * Forgets the key's `counters` after a success. `known` is what `read` answered on this request: with no such
   * counts there, nothing is written (a success without failures costs no write). Answers what is left.
   */
  async clear(key: string, counters: readonly CounterName[], known: Failures | null, now: number): Promise<Failures | null> {
    if (known === null || !counters.some((c) => known[c] !== undefined)) return known;
    const id = this.shardOf(key);
    let left: Failures | null = null;
    await this.store.updateIdentityDocs([{ kind: FAILURES_DOC, id }], ([doc]) => {
      const entries = this.pruned(doc === null || doc === undefined ? new Map() : parseShard(doc), now);
      const e = entries.get(key);
      left = null;
      if (e !== undefined) {
        for (const c of counters) delete e[c];
        if (hasCounts(e)) left = e;
        else entries.delete(key);
      }
      return [entries.size === 0 ? null : JSON.stringify([...entries])];
    });
    return left;
  }

  /** Drops keys whose counts are over: unlocked, and no failure within `retainMs`. */
  private pruned(entries: Map<string, Failures>, now: number): Map<string, Failures> {
    for (const [k, e] of entries) {
      if (!anyLocked(e, now) && e.f <= now - this.retainMs) entries.delete(k);
    }
    return entries;
  }

  /** Room for one more key: least recently failed unlocked key first, else the oldest. */
  private makeRoom(entries: Map<string, Failures>, now: number): void {
    if (entries.size < this.maxPerShard) return;
    for (const [k, e] of entries) {
      if (!anyLocked(e, now)) {
        entries.delete(k);
        return;
      }
    }
    const first = entries.keys().next();
    if (!first.done) entries.delete(first.value);
  }
}
