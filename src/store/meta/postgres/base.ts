import pg from 'pg';
import { diskFullError } from '../../disk-space.js';
import { commitMayHaveLanded, commitOutcomeUnknown } from '../types.js';
import { migrate } from './schema.js';
import { describeUrl } from './url.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`; libpq parameters in the query). */
  url: string;
  /** synchronous_commit on (default true); off acknowledges a commit before its WAL reaches disk. */
  durable?: boolean;
  /** Connections in the pool (default 20). */
  poolSize?: number;
}

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

// int8 (bigint) columns and count(*) arrive as strings by default; every such value here (sizes, times,
// counts) is below 2^53, so numbers are exact. Scoped to our pool, not pg's global parsers.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Whether a transaction's COMMIT went out with its last write (writeAndCommit). */
interface TxState {
  committed: boolean;
}

/**
 * Thrown by a transaction's function after writeAndCommit when its write changed nothing and the decision must be
 * taken again (an insert that met a row another transaction committed meanwhile): `tx` runs it again.
 */
export const RERUN = new Error('transaction to run again');

/**
 * A statement sent without waiting for it (the connection is pipelined), its failure observed now so that it is
 * never an unhandled rejection; whoever awaits the promise still sees it. For writeAndCommit's `earlier`.
 */
export function sendNow<R extends pg.QueryResultRow>(c: pg.PoolClient, q: pg.QueryConfig): Promise<pg.QueryResult<R>> {
  const sent = c.query<R>(q);
  sent.catch(() => undefined);
  return sent;
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export { describeUrl };

/**
 * Pool, transactions and the state shared with other processes using the same database: the identity
 * generation (RAM caches) and the bucket row cache, both invalidated by counters in `alunite_counters`.
 */
export abstract class PgBase {
  protected readonly pool: pg.Pool;

  protected constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connects, checks the server answers, migrates. Errors name the URL (password hidden). */
  protected static async connect(opts: PostgresStoreOptions): Promise<pg.Pool> {
    if (!/^postgres(ql)?:\/\//.test(opts.url)) {
      throw new Error(`not a PostgreSQL URL: ${describeUrl(opts.url)} (expected postgres://user:password@host:port/database)`);
    }
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 20,
      application_name: 'alunite',
      connectionTimeoutMillis: 10_000,
      // A query is written without waiting for the answers of those before it on the connection: a transaction's
      // BEGIN travels with its first statement, and COMMIT with its last write (writeAndCommit), one round trip each.
      pipeline: true,
      ...(opts.durable === false ? { options: '-c synchronous_commit=off' } : {}),
      types,
    });
    // An idle connection the server dropped must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    // Nor one dropped while checked out (a restart, a proxy or network cut mid-transaction): pg then fails the
    // running query and also emits 'error' on the client, where the pool listens only while it is idle. The
    // query's own error is the one that counts, and the connection is released as broken.
    pool.on('connect', (client) => client.on('error', () => undefined));
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`cannot connect to PostgreSQL at ${describeUrl(opts.url)}: ${(err as Error).message || String(err)}`);
    }
    try {
      await migrate(client);
    } catch (err) {
      client.release();
      await pool.end().catch(() => undefined);
      throw new Error(`cannot prepare the PostgreSQL metadata schema at ${describeUrl(opts.url)}: ${(err as Error).message}`);
    }
    client.release();
    return pool;
  }

  /**
   * Runs `fn` in a READ COMMITTED transaction on one pooled connection; rolls back if it throws. Row locks
   * (SELECT … FOR UPDATE) and ON CONFLICT make conditional writes atomic; a deadlock or serialization
   * failure reruns the whole function (the deciders it calls are pure). BEGIN is not waited for: the connection
   * is pipelined, so it goes out with `fn`'s first statement, which the server runs after it.
   */
  protected async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let broken: Error | undefined;
      const begin = c.query('BEGIN');
      // Observed below. BEGIN fails only with its connection, and everything behind it with it: the server refuses
      // it only inside a failed transaction, which a connection back in the pool is never in.
      begin.catch(() => undefined);
      const state: TxState = { committed: false };
      this.txStates.set(c, state);
      try {
        const value = await fn(c);
        await begin;
        if (!state.committed) await this.commit(c);
        return value;
      } catch (err) {
        if (commitMayHaveLanded(err)) {
          // Nothing to roll back, nothing to rerun: the connection's state is unknown, so it is not reused.
          broken = err as Error;
          throw err;
        }
        await begin.catch((e: Error) => {
          broken = e;
        });
        // After writeAndCommit the transaction has ended either way (a failed write's COMMIT is a ROLLBACK).
        if (!state.committed) {
          await c.query('ROLLBACK').catch((e: Error) => {
            broken = e;
          });
        }
        if (attempt < 5 && err === RERUN) continue;
        const code = (err as { code?: string }).code;
        if (attempt < 5 && code !== undefined && RETRYABLE.has(code)) continue;
        // 53100 disk_full: the database server's disk; the client gets the same answer as for ours.
        if (code === '53100') throw diskFullError();
        throw err;
      } finally {
        this.txStates.delete(c);
        c.release(broken);
      }
    }
  }

  private readonly txStates = new WeakMap<pg.PoolClient, TxState>();

  /**
   * Sends the transaction's last statement with COMMIT right behind it: one round trip for both (the connection is
   * pipelined). Nothing may follow it in the transaction. When the statement fails the server ends the transaction
   * with that COMMIT as a ROLLBACK; when the connection is lost meanwhile the outcome is unknown (commit()).
   * `fn` may throw RERUN after it (its write changed nothing): `tx` then runs the whole function again.
   * `earlier`: statements of the transaction sent (sendNow) and not waited for, which travel in the same round trip;
   * the first of them to fail is the error reported (those behind it fail only because the transaction aborted).
   * `later`: statements whose results are not read, sent behind `q` and before the COMMIT (they run only when all
   * before them succeeded, since a failure aborts the transaction).
   */
  protected async writeAndCommit<R extends pg.QueryResultRow>(
    c: pg.PoolClient, q: pg.QueryConfig, earlier: readonly Promise<unknown>[] = [], later: readonly pg.QueryConfig[] = [],
  ): Promise<pg.QueryResult<R>> {
    const state = this.txStates.get(c);
    if (state === undefined || state.committed) throw new Error('writeAndCommit outside a transaction');
    state.committed = true;
    const write = sendNow<R>(c, q);
    const behind = later.map((l) => sendNow(c, l));
    const commit = this.commit(c);
    commit.catch(() => undefined); // observed below, after the write's outcome
    let result: pg.QueryResult<R>;
    try {
      for (const e of earlier) await e;
      result = await write;
      for (const b of behind) await b;
    } catch (err) {
      await Promise.allSettled([...earlier, write, ...behind, commit]);
      // Reported by the server: the statement failed, so the COMMIT behind it rolled back. Else (no SQLSTATE: the
      // connection was lost) the COMMIT may or may not have reached the server.
      if (typeof (err as { code?: unknown }).code === 'string') throw err;
      throw commitOutcomeUnknown(err as Error);
    }
    await commit;
    return result;
  }

  /**
   * Sends statements of a transaction together, one round trip: the connection is pipelined and the server runs
   * each after the one before (under READ COMMITTED with a snapshot of its own, so a read behind a lock sees what
   * was committed before the lock was granted). Rejects, once all have settled, with the first one's error.
   */
  protected async pipelined(c: pg.PoolClient, qs: readonly pg.QueryConfig[]): Promise<pg.QueryResult[]> {
    const settled = await Promise.allSettled(qs.map((q) => c.query(q)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<pg.QueryResult>).value);
  }

  /**
   * COMMIT, whose failure does not always mean the transaction was undone: a connection lost after the COMMIT
   * was sent (the server restarting, a proxy cutting it, a network fault) leaves it committed or not, and only
   * the server knows. Such an error is marked commitOutcomeUnknown, so the write keeps the blobs its rows may
   * reference (start-up collection takes them if the commit was lost). An error the server reports for the
   * COMMIT itself (a deferred check, a serialization failure: SQLSTATE classes 23, 25, 40) means rolled back.
   */
  private async commit(c: pg.PoolClient): Promise<void> {
    try {
      await c.query('COMMIT');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && /^(23|25|40)/.test(code)) throw err;
      throw commitOutcomeUnknown(code === '53100' ? diskFullError() : (err as Error));
    }
  }

  // ---- shared state ----

  private identityGen = 0;
  private bucketGen = 0;
  /** Last counter values this process knows of. */
  private readonly seen = { identity: -1, buckets: -1 };
  protected readonly bucketCache = new Map<string, unknown>();

  identityGeneration(): number {
    return this.identityGen;
  }

  protected bucketGeneration(): number {
    return this.bucketGen;
  }

  /** Bumps a shared counter inside the caller's transaction (taking its row lock until commit). */
  protected async bump(c: Queryable, name: 'identity' | 'buckets'): Promise<number> {
    const { rows } = await c.query<{ value: number }>({
      name: `bump-${name}`,
      text: 'UPDATE alunite_counters SET value = value + 1 WHERE name = $1 RETURNING value',
      values: [name],
    });
    return rows[0]!.value;
  }

  /** A counter moved (here or elsewhere): drop what depends on it. */
  private observe(name: 'identity' | 'buckets', value: number): void {
    if (value <= this.seen[name]) return; // the counters only grow
    this.seen[name] = value;
    if (name === 'identity') this.identityGen++;
    else {
      this.bucketGen++;
      this.bucketCache.clear();
    }
  }

  /** After a reset bumped both counters in its transaction: drop every cache. */
  protected observeReset(identity: number, buckets: number): void {
    this.observe('identity', identity);
    this.observe('buckets', buckets);
  }

  /** An identity write: serialized across processes by the counter's row lock; caches drop on commit. */
  protected async writeIdentity<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let value = 0;
    const result = await this.tx(async (c) => {
      value = await this.bump(c, 'identity');
      return fn(c);
    });
    this.observe('identity', value);
    return result;
  }

  /** A bucket write; `changed` says whether it changed anything (then the counter moves). */
  protected async writeBucket<T>(fn: (c: pg.PoolClient) => Promise<{ result: T; changed: boolean }>): Promise<T> {
    let value: number | null = null;
    const result = await this.tx(async (c) => {
      const out = await fn(c);
      value = out.changed ? await this.bump(c, 'buckets') : null;
      return out.result;
    });
    if (value !== null) this.observe('buckets', value);
    return result;
  }

  private refreshing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /**
   * Catches up with writes other processes committed: reads the shared counters and drops the caches
   * whose counter moved. The server calls it as each request arrives, so a request sees every identity
   * or bucket change committed before it arrived, in any process. Concurrent callers share one query:
   * a caller joins the next query to start (one already running may have read too early for it).
   */
  refreshSharedState(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.refreshing) {
      this.refreshing = this.readCounters().finally(() => {
        this.refreshing = null;
      });
      return this.refreshing;
    }
    this.queued = this.refreshing
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refreshSharedState();
      });
    return this.queued;
  }

  private async readCounters(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ name: 'identity' | 'buckets'; value: number }>({
        name: 'read-counters',
        text: 'SELECT name, value FROM alunite_counters',
      });
      for (const r of rows) this.observe(r.name, r.value);
    } catch (err) {
      // Unable to tell what changed: trust no cache; the request's own queries will report the failure.
      this.identityGen++;
      this.bucketGen++;
      this.bucketCache.clear();
      throw err;
    }
  }

  // ---- leases ----

  /**
   * Takes (or renews) the named lease for `ttlMs` if it is free, expired or already `holder`'s: one
   * UPDATE … WHERE expired, so of several processes asking at once exactly one gets it (the others wait
   * for its row lock, then re-check the condition against the new row and update nothing). Times are the
   * database's clock, so the processes' clocks need not agree.
   */
  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE alunite_leases SET holder = $2, expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE name = $1 AND (expires_at <= clock_timestamp() OR holder = $2)`,
      [name, holder, ttlMs],
    );
    return rowCount === 1;
  }

  /** Gives the lease up at once (if `holder` still has it), so the next taker need not wait for expiry. */
  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query(`UPDATE alunite_leases SET expires_at = '-infinity' WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
