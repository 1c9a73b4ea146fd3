import Database from 'better-sqlite3';
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { diskFullError, isDiskFull } from '../../disk-space.js';
import { createPrivateFileSync, privateFileSync } from '../../file-modes.js';
import { migrate } from './schema.js';
import { commitOutcomeUnknown } from '../types.js';
import { AppError } from '../../../errors.js';

/** A write refused, uncommitted, because an earlier WAL sync failed (syncWal): nothing of it was stored. */
function writesStoppedError(): AppError {
  return new AppError('InternalError', 'The server could not make an earlier write durable (a sync of its metadata log failed) and refuses writes until it is restarted; nothing of this request was stored.');
}

/** A committed batch's answers, given once the WAL sync covering commit `seq` completes. */
interface Unsynced {
  seq: number;
  settle: () => void;
  fail: (err: unknown) => void;
}

interface PendingWrite {
  fn: () => unknown;
  frees: boolean;
  /** Reads and writes the database only (no other effect), so it may run again after a rollback. */
  rerunnable: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Thrown inside a batch's transaction (rolled back by it) to run the batch again with a savepoint per write. */
const RUN_WITH_SAVEPOINTS = Symbol('run with savepoints');

/**
 * The database is held by another process (SQLite's exclusive lock). Recognised by its name where importing this
 * module would be too heavy (the CLI's server command adds what a second server can do instead).
 */
export class DataDirectoryInUse extends Error {
  constructor(readonly database: string) {
    super(`${database} is in use by another alunite process (one process owns a data directory); stop it first.`);
    this.name = 'DataDirectoryInUse';
  }
}

export interface SqliteMetadataStoreOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  /** Every commit fsync'd before its writes are answered (durable on power loss); false: as synchronous=NORMAL (default true). */
  durable?: boolean;
  /**
   * Called when a batch of writes failed because the disk is full: frees reserved space (store/disk-space.ts
   * SpaceReserve) and says whether it did, so the batch's deletes can be retried. Writes that grow storage
   * are refused either way.
   */
  onDiskFull?: () => boolean;
  /** Called once, when a WAL sync fails and the store stops accepting writes (the server logs it). */
  onSyncFailure?: (err: Error) => void;
}

/**
 * What every part of the SQLite store shares: the database (better-sqlite3, WAL), group commit of writes,
 * the identity generation counter and cached prepared statements. better-sqlite3 is synchronous, which
 * is what makes each write run atomically inside one transaction; the async signatures are for other engines.
 */
export abstract class SqliteBase {
  protected readonly db: Database.Database;
  private readonly batchTxn: (run: () => void) => void;
  private readonly savepoint: (fn: () => unknown) => unknown;
  private readonly onDiskFull: () => boolean;
  private readonly onSyncFailure: (err: Error) => void;
  /** The WAL file that commits are fsync'd in (durable file databases), else null (answered at commit). */
  private readonly walPath: string | null;

  constructor(opts: SqliteMetadataStoreOptions) {
    this.onDiskFull = opts.onDiskFull ?? (() => false);
    this.onSyncFailure = opts.onSyncFailure ?? (() => undefined);
    if (opts.path !== ':memory:') {
      // Small objects' bytes live in this file: 0600 whatever the umask (SQLite gives its WAL the same mode).
      createPrivateFileSync(opts.path);
      for (const suffix of ['-wal', '-shm', '-journal']) privateFileSync(opts.path + suffix);
    }
    // No busy wait: the file is held exclusively by one process, so waiting for it cannot help.
    this.db = new Database(opts.path, { timeout: 0 });
    try {
      if (opts.path !== ':memory:') {
        // One server process owns the file (several processes share PostgreSQL instead); exclusive
        // locking spares every statement its file-lock system calls, and waiting for it is pointless.
        this.db.pragma('locking_mode = EXCLUSIVE');
        this.db.pragma('journal_mode = WAL');
      }
      // Durable file databases run synchronous=NORMAL and fsync the WAL themselves after each commit, on
      // libuv's thread pool (see syncWal): what synchronous=FULL adds to NORMAL in WAL mode is exactly that
      // sync, but done inside the commit it blocks the event loop for the whole fsync.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = OFF');
      // The bucket_stats triggers (schema.ts, 7) must see rows that INSERT OR REPLACE replaces.
      this.db.pragma('recursive_triggers = ON');
      migrate(this.db);
      // A statement that fires triggers (every object write: the bucket_stats counters, schema.ts 7) keeps a
      // statement journal for its own rollback, by default in a temporary file: written through system calls on
      // every such statement, it was about half of a DELETE's time in SQLite. In memory it holds only the pages
      // one statement changes. Set after the migrations, whose one-off sorts of whole tables may spill to disk.
      this.db.pragma('temp_store = MEMORY');
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new DataDirectoryInUse(opts.path);
      }
      throw err;
    }
    this.walPath = opts.path !== ':memory:' && opts.durable !== false ? `${opts.path}-wal` : null;
    if (this.walPath !== null) this.syncStartup(opts.path);
    const outer = this.db.transaction((run: () => void) => run());
    this.batchTxn = (run) => outer.immediate(run);
    this.savepoint = this.db.transaction((fn: () => unknown) => fn());
    this.totalChanges = this.db.prepare<[], number>('SELECT total_changes()').pluck();
    this.changesSeen = this.walPath === null ? 0 : this.totalChanges.get()!;
  }

  /** Rows inserted, updated or deleted on this connection so far, by statements and by their triggers. */
  private readonly totalChanges: Database.Statement<[], number>;
  /** `totalChanges` as read after the last batch (durable file databases; commitBatch). */
  private changesSeen: number;

  // Group commit: writes that arrive in the same event-loop turn share one transaction, and one WAL fsync
  // (syncWal) acknowledges them all. Each runs in its own savepoint: a write whose decider throws is rolled
  // back alone and rejects alone; the others commit.
  private pending: PendingWrite[] = [];

  /**
   * Incremented by every committed identity write (users, keys, groups, roles, policies, attachments), so
   * in-process caches of credentials and compiled identity policies know when to refresh. (One process
   * owns this file; the PostgreSQL store keeps the counter in the database for several processes.)
   */
  private identityGen = 0;

  /** Incremented before every write transaction (object-record-cache.ts): rows read earlier may be stale. */
  private writeGen = 0;

  protected get writeGeneration(): number {
    return this.writeGen;
  }

  identityGeneration(): number {
    return this.identityGen;
  }

  protected writeIdentity<T>(fn: () => T): Promise<T> {
    // Only a committed write changes anything (a refused one rolled back its savepoint).
    return this.write(fn).then((value) => {
      this.identityGen++;
      return value;
    });
  }

  /**
   * `frees`: the write only removes rows (deletes), so it may use the reserved space when the disk is full.
   * `rerunnable`: `fn` has no effect but on the database (what it throws included), so running it again after its
   * transaction was rolled back is the same as running it once.
   */
  protected write<T>(fn: () => T, frees = false, rerunnable = false): Promise<T> {
    if (this.syncFailure !== null) return Promise.reject(writesStoppedError());
    // Closing: a commit now could start a sync after close() let go of the WAL's descriptor.
    if (this.closing) return Promise.reject(new Error('the metadata store is closing'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, frees, rerunnable, resolve: resolve as (v: unknown) => void, reject });
      // While a WAL sync runs, writes gather for the commit after it (syncWal starts it): one transaction
      // and one sync for all of them, as when the sync held the event loop, but the loop stays free.
      if (this.pending.length === 1 && !this.syncing) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (this.syncFailure !== null) {
      for (const item of batch) item.reject(writesStoppedError());
      return;
    }
    if (this.commitBatch(batch) !== 'disk-full') return;
    // Nothing of the batch was committed. Even a DELETE needs room in the WAL: free the reserve and retry
    // the deletes alone; writes that would grow storage are refused.
    const deletes = batch.filter((item) => item.frees);
    for (const item of batch) if (!item.frees) item.reject(diskFullError());
    if (deletes.length === 0) return;
    if (!this.onDiskFull() || this.commitBatch(deletes) === 'disk-full') {
      for (const item of deletes) item.reject(diskFullError('delete'));
    }
  }

  /**
   * Runs the writes in one transaction and settles them, unless the disk was full (then none is settled).
   * A batch of rerunnable writes only (deletes, object PUTs, nonce claims) first runs without a savepoint per write:
   * SAVEPOINT and RELEASE and the statement journal of the pages each write changes were ~20 k instructions of a
   * 4 KiB DELETE. If one
   * of them throws, the whole transaction is rolled back and the batch runs again with savepoints, so each write
   * still commits or fails alone.
   */
  private commitBatch(batch: PendingWrite[], bare = batch.every((item) => item.rerunnable)): 'done' | 'disk-full' {
    // Before anything changes: what in-process caches of rows hold may be stale from here on.
    this.writeGen++;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    // The count read after the previous batch: nothing writes between batches but writes of batches (migrations ran
    // before the first), and were something else to, the count could only have grown since, which makes this batch
    // look changed and synced, never the reverse. One statement per batch instead of two.
    const changesBefore = this.changesSeen;
    const fail = (err: unknown): void => {
      for (const item of batch) item.reject(err);
    };
    try {
      this.batchTxn(() => {
        for (const item of batch) {
          if (bare) {
            try {
              outcomes.push({ ok: true, value: item.fn() });
            } catch (err) {
              throw isDiskFull(err) ? err : RUN_WITH_SAVEPOINTS;
            }
            continue;
          }
          try {
            outcomes.push({ ok: true, value: this.savepoint(item.fn) });
          } catch (err) {
            // SQLite may have rolled the whole transaction back: undo all of it, answer below.
            if (isDiskFull(err)) throw err;
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      if (err === RUN_WITH_SAVEPOINTS) return this.commitBatch(batch, false);
      if (isDiskFull(err)) return 'disk-full';
      fail(err);
      return 'done';
    }
    if (bare) this.bareCommits++;
    const settle = (): void => {
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.err);
      });
    };
    const changesAfter = this.walPath === null ? 0 : this.totalChanges.get()!;
    this.changesSeen = changesAfter;
    if (this.walPath !== null && changesAfter === changesBefore) {
      // Nothing changed (a DELETE of a missing key, a refused write): the commit wrote nothing to the WAL, so
      // there is nothing of its own to sync. Its answers may still rest on earlier commits (a refusal can read
      // a write not yet durable): they wait for those, and no new sync starts. (A row changed and then undone
      // by a savepoint still counts as a change: such a batch is synced, as before.)
      const earlier = this.settled(this.commitSeq);
      if (earlier === null) settle();
      else earlier.then(settle, fail);
      this.noopCommits++;
      this.syncWal(); // only starts one if an earlier commit has none running
      return 'done';
    }
    const seq = ++this.commitSeq;
    if (this.walPath === null) {
      this.syncedSeq = seq;
      settle();
    } else {
      // Answered once durable: a write is acknowledged only after the fsync covering its commit.
      this.unsynced.push({ seq, settle, fail });
      this.syncWal();
    }
    return 'done';
  }

  // Durability. Commits are numbered; `syncedSeq` is the last one known to be on disk. One fdatasync of the
  // WAL at a time runs on the thread pool and covers every commit made before it started (SQLite appends
  // commits to the WAL in order, and a checkpoint syncs the WAL and then the database before the WAL is
  // reused). Writes arriving while a sync runs are committed after it as one batch (write(), and the end of
  // the sync), so each sync covers one commit of everything that gathered.
  private commitSeq = 0;
  private syncedSeq = 0;
  private syncing = false;
  private walFd: number | null = null;
  private unsynced: Unsynced[] = [];
  private durableWaiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];

  /** Batches that needed no sync of their own (tests). */
  private noopCommits = 0;

  noopCommitCount(): number {
    return this.noopCommits;
  }

  /** Batches committed without a savepoint per write (tests). */
  private bareCommits = 0;

  bareCommitCount(): number {
    return this.bareCommits;
  }

  private syncWal(): void {
    if (this.syncing || this.syncedSeq >= this.commitSeq) return;
    const target = this.commitSeq;
    this.syncing = true;
    // `synced`: the error came from fdatasync itself (not from opening the WAL, which loses nothing: the next sync covers it).
    const done = (err: NodeJS.ErrnoException | null, synced = true): void => {
      this.syncing = false;
      this.syncedSeq = target;
      const covered = this.unsynced.filter((u) => u.seq <= target);
      this.unsynced = this.unsynced.filter((u) => u.seq > target);
      // A failed sync leaves those commits' durability unknown: they are not acknowledged (the client gets
      // an error and may retry), though they may survive.
      for (const u of covered) {
        if (err) u.fail(commitOutcomeUnknown(err));
        else u.settle();
      }
      // Readers waiting to show those commits are refused the same way, never answered as if durable.
      const ready = this.durableWaiters.filter((w) => w.seq <= target);
      this.durableWaiters = this.durableWaiters.filter((w) => w.seq > target);
      for (const w of ready) {
        if (err) w.reject(err);
        else w.resolve();
      }
      if (err && synced) {
        // Linux reports a write-back error to a descriptor once and may drop the pages that failed, so the next
        // fdatasync of the WAL can succeed with those frames missing: a commit after them would be acknowledged,
        // then lost at the next start (WAL recovery stops at the first bad frame). So no write commits from here
        // on (what gathered during this sync is refused uncommitted) until a restart recovers what is durable.
        this.syncFailure = err;
        for (const item of this.pending.splice(0)) item.reject(writesStoppedError());
        // Commits made while this sync ran (close() flushes what gathered at once): no sync will ever cover them.
        for (const u of this.unsynced.splice(0)) u.fail(commitOutcomeUnknown(err));
        for (const w of this.durableWaiters.splice(0)) w.reject(err);
        this.onSyncFailure(err);
        return;
      }
      if (this.pending.length > 0) setImmediate(() => this.flush());
      else this.syncWal();
    };
    try {
      this.walFd ??= openSync(this.walPath!, 'r');
    } catch (err) {
      done(err as NodeJS.ErrnoException, false);
      return;
    }
    fdatasync(this.walFd, (err) => done(err));
  }

  /** At start: whatever the migrations wrote is made durable, and the WAL's directory entry with it. */
  private syncStartup(path: string): void {
    try {
      this.walFd = openSync(this.walPath!, 'r');
    } catch {
      return; // no WAL yet: SQLite creates it with the first write, whose directory entry its first checkpoint syncs
    }
    fsyncSync(this.walFd);
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** The failed WAL sync that stopped writes (syncWal), or null. */
  private syncFailure: Error | null = null;

  writeFailure(): Error | null {
    return this.syncFailure;
  }

  /** How many commits there have been: a mark to pass to `settled` later. */
  commitMark(): number {
    return this.commitSeq;
  }

  /**
   * Null when every commit up to `mark` is durable, else a promise of that: an answer that read the database
   * at `mark` waits on it, so no reader is shown a write that a power loss could still undo.
   */
  settled(mark: number): Promise<void> | null {
    if (mark <= this.syncedSeq) return null;
    if (this.syncFailure !== null) return Promise.reject(this.syncFailure);
    return new Promise((resolve, reject) => this.durableWaiters.push({ seq: mark, resolve, reject }));
  }

  /** Versions recorded in `schema_migrations`, oldest first (tests, diagnostics). */
  appliedMigrations(): number[] {
    return (this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);
  }

  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();
  /** A prepared statement, cached by its SQL text. */
  protected sql<Row = unknown>(text: string): Database.Statement<unknown[], Row> {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], unknown>(text);
      this.statements.set(text, stmt);
    }
    return stmt as Database.Statement<unknown[], Row>;
  }

  protected count(text: string, ...params: unknown[]): number {
    return this.sql<{ n: number }>(text).get(...params)!.n;
  }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    if (this.pending.length > 0) this.flush();
    // A sync failing meanwhile was answered to the writes and reads it covered (and stopped the store's writes, its
    // owner told): the database, its exclusive lock and the WAL descriptor are let go of all the same.
    await this.settled(this.commitSeq)?.catch(() => undefined);
    if (this.walFd !== null) {
      closeSync(this.walFd);
      this.walFd = null;
    }
    if (this.db.open) this.db.close();
  }
}
