// Durable SQLite writes (issue 15): a commit is fsync'd on libuv's thread pool instead of inside the
// transaction on the event loop, and nothing is answered before the fsync covering it: not the write, and
// not a read that could see it. The test holds the store's fdatasync calls (node:fs, patched for this
// process) to see what waits on them.
import assert from 'node:assert/strict';
import fs, { readdirSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import type { Bucket, ObjectRecord } from '../src/domain/model.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/eventually.js';
import { Ram } from './helpers/ram.js';
import { AppError } from '../src/errors.js';

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;

/** Whether this process's descriptor is a SQLite WAL file. */
function isWal(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).endsWith('-wal');
  } catch {
    return false;
  }
}

/** Holds every fdatasync until released (or failed); `called` resolves at the next call. */
class SyncGate {
  private held: Array<{ fd: number; cb: SyncCallback }> = [];
  private waiting: Array<() => void> = [];
  private readonly real = fs.fdatasync;
  calls = 0;
  holding = false;
  /** Hold only the WAL's syncs (a blob file's go through). */
  walOnly = false;

  install(): void {
    const gate = this;
    fs.fdatasync = function (fd: number, cb: SyncCallback): void {
      gate.calls++;
      if (!gate.holding || (gate.walOnly && !isWal(fd))) return gate.real(fd, cb);
      gate.held.push({ fd, cb });
      for (const w of gate.waiting.splice(0)) w();
    } as typeof fs.fdatasync;
    syncBuiltinESMExports();
  }

  uninstall(): void {
    fs.fdatasync = this.real;
    syncBuiltinESMExports();
  }

  /** Resolves once at least one call is held. */
  called(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(err?: NodeJS.ErrnoException): void {
    this.holding = false;
    for (const { fd, cb } of this.held.splice(0)) {
      if (err) cb(err);
      else this.real(fd, cb);
    }
  }
}

/** What a failed fdatasync gives its callback. */
const eio = (): NodeJS.ErrnoException => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });

/** Lets the event loop run a few full turns (timers, I/O, setImmediate), without any timing. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function record(bucket: string, key: string, body: string): ObjectRecord {
  return {
    bucket, key, size: body.length, etag: 'E', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
    lastModified: 1, headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], symlinkTarget: null, inline: Buffer.from(body),
  };
}

const BUCKET: Bucket = { name: 'b', ownerAccountId: '1', createdAt: 1, region: 'r', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} };

describe('SQLite commits: fsync off the event loop, answers after it', () => {
  const gate = new SyncGate();
  let dir: string;
  before(async () => {
    gate.install();
    dir = await mkdtemp(join(tmpdir(), 'alunite-durability-'));
  });
  after(async () => {
    gate.uninstall();
    await rm(dir, { recursive: true, force: true });
  });

  it('a durable store answers a write only after the WAL fsync covering its commit', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'a.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      gate.holding = true;
      let answered = false;
      const put = store.putObject('b', 'k', () => record('b', 'k', 'hello')).then(() => (answered = true));
      await gate.called();
      await turns();
      assert.equal(answered, false, 'answered before its fsync completed');
      // Committed (visible to this process), but not yet durable: a reader's answer must wait.
      assert.notEqual(await store.getObject('b', 'k'), null);
      const mark = store.commitMark();
      const settled = store.settled(mark);
      assert.notEqual(settled, null);
      gate.release();
      await put;
      await settled;
      assert.equal(store.settled(mark), null);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('writes arriving while a sync runs commit together after it, under one more sync', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'd.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      gate.holding = true;
      const calls = gate.calls;
      const first = store.putObject('b', 'k0', () => record('b', 'k0', 'x'));
      await gate.called();
      const mark = store.commitMark();
      const rest = [1, 2, 3, 4].map((i) => store.putObject('b', `k${i}`, () => record('b', `k${i}`, 'y')));
      await turns();
      // Not committed yet: they wait for the sync in flight.
      assert.equal(store.commitMark(), mark);
      assert.equal(await store.getObject('b', 'k1'), null);
      gate.release();
      await Promise.all([first, ...rest]);
      assert.equal(store.commitMark(), mark + 1);
      assert.equal(gate.calls - calls, 2);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('a batch that changes nothing (a DELETE of a missing key) starts no sync of its own', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'n.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      await store.putObject('b', 'k', () => record('b', 'k', 'x'));
      const calls = gate.calls;
      const mark = store.commitMark();
      assert.equal(await store.deleteObject('b', 'missing'), null);
      await Promise.all([1, 2, 3].map((i) => store.deleteObject('b', `missing-${i}`)));
      assert.equal(gate.calls, calls, 'no fdatasync for commits that wrote nothing');
      assert.equal(store.commitMark(), mark);
      assert.equal(store.noopCommitCount() >= 2, true);
      // A real delete still waits for its sync.
      gate.holding = true;
      let answered = false;
      const del = store.deleteObject('b', 'k').then(() => (answered = true));
      await gate.called();
      // Meanwhile a missing key's delete gathers behind that sync and is answered after it, with no sync of its own.
      let missingAnswered = false;
      const missing = store.deleteObject('b', 'missing-too').then(() => (missingAnswered = true));
      await turns();
      assert.equal(answered, false);
      assert.equal(missingAnswered, false, 'answered while the sync before it was still running');
      gate.release();
      await Promise.all([del, missing]);
      assert.equal(gate.calls - calls, 1);
      assert.equal(await store.getObject('b', 'k'), null);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('a batch reads SQLite\'s change count once, and its deletes are answered in the turn their sync completes', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'c.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      await Promise.all([0, 1, 2, 3].map((i) => store.putObject('b', `k${i}`, () => record('b', `k${i}`, 'x'))));
      const counter = (store as unknown as { totalChanges: { get: () => number } }).totalChanges;
      const real = counter.get.bind(counter);
      let reads = 0;
      counter.get = () => {
        reads++;
        return real();
      };
      const order: string[] = [];
      const deletes = [0, 1, 2, 3].map((i) => store.removeObject('b', `k${i}`, 2).then(() => order.push(`k${i}`)));
      // A reader waiting for the same commit: released by the same sync, after the writes it covers are settled.
      const synced = store.settled(store.commitMark() + 1)!.then(() => order.push('synced'));
      await Promise.all([...deletes, synced]);
      assert.equal(reads, 1, 'SELECT total_changes() once per batch (the count after the previous batch is its start)');
      // removeObject hands out the group commit's own promise: no second promise, resolved turns later, in between.
      assert.deepEqual(order, ['k0', 'k1', 'k2', 'k3', 'synced']);
      // The count carried over still tells a batch that changed nothing: no commit of its own, no sync.
      const calls = gate.calls;
      const mark = store.commitMark();
      await Promise.all([0, 1].map((i) => store.removeObject('b', `k${i}`, 3)));
      assert.equal(store.commitMark(), mark);
      assert.equal(gate.calls, calls);
      assert.equal(reads, 2);
      // And one that did change something is committed and synced.
      await store.putObject('b', 'k9', () => record('b', 'k9', 'y'));
      assert.equal(store.commitMark(), mark + 1);
      assert.equal(gate.calls, calls + 1);
    } finally {
      await store.close();
    }
  });

  it('a batch of deletes commits without a savepoint per delete; one refused is rolled back alone, under one sync', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 's.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => store.putObject('b', `k${i}`, () => record('b', `k${i}`, `body ${i}`))));
      const bare = store.bareCommitCount();
      const mark = store.commitMark();
      const calls = gate.calls;
      // One batch (same turn): k2's guard refuses after its row was deleted, as a retention guard does.
      const refuse = (): never => {
        throw new AppError('FileImmutable', undefined, { Key: 'k2' });
      };
      const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => store.deleteObject('b', `k${i}`, i === 2 ? refuse : undefined)));
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.equal(((outcomes[2] as PromiseRejectedResult).reason as AppError).code, 'FileImmutable');
      assert.equal((outcomes[0] as PromiseFulfilledResult<ObjectRecord | null>).value?.key, 'k0');
      for (const k of ['k0', 'k1', 'k3']) assert.equal(await store.getObject('b', k), null);
      assert.equal((await store.getObject('b', 'k2'))?.inline?.toString(), 'body 2', 'the refused delete kept the object and its bytes');
      assert.equal(store.commitMark(), mark + 1, 'one commit');
      assert.equal(gate.calls - calls, 1, 'one sync');
      assert.equal(store.bareCommitCount(), bare, 'run again with savepoints');
      // Deletes that all succeed commit without savepoints, one commit and one sync.
      await Promise.all([4, 5, 6].map((i) => store.deleteObject('b', `k${i}`)));
      assert.equal(store.bareCommitCount(), bare + 1);
      assert.equal(store.commitMark(), mark + 2);
      assert.equal(gate.calls - calls, 2);
      for (const k of ['k4', 'k5', 'k6']) assert.equal(await store.getObject('b', k), null);
      assert.equal((await store.getObject('b', 'k2'))?.key, 'k2');
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('a batch of object PUTs commits without a savepoint per PUT; one refused is rolled back alone, under one sync', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'p.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      await store.putObject('b', 'k2', () => record('b', 'k2', 'first'));
      const bare = store.bareCommitCount();
      const mark = store.commitMark();
      const calls = gate.calls;
      // One batch (same turn): k2's decider refuses an overwrite, as x-oss-forbid-overwrite does, after the others wrote.
      const forbid = (cur: ObjectRecord | null): ObjectRecord => {
        if (cur) throw new AppError('FileAlreadyExists');
        return record('b', 'k2', 'second');
      };
      const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => store.putObject('b', `k${i}`, i === 2 ? forbid : () => record('b', `k${i}`, `body ${i}`))));
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.equal(((outcomes[2] as PromiseRejectedResult).reason as AppError).code, 'FileAlreadyExists');
      for (const i of [0, 1, 3]) assert.equal((await store.getObject('b', `k${i}`))?.inline?.toString(), `body ${i}`);
      assert.equal((await store.getObject('b', 'k2'))?.inline?.toString(), 'first', 'the refused PUT changed nothing');
      assert.equal(store.commitMark(), mark + 1, 'one commit');
      assert.equal(gate.calls - calls, 1, 'one sync');
      assert.equal(store.bareCommitCount(), bare, 'run again with savepoints');
      // PUTs that all succeed (new keys and an overwrite) commit without savepoints, one commit and one sync.
      await Promise.all([4, 5, 2].map((i) => store.putObject('b', `k${i}`, () => record('b', `k${i}`, `again ${i}`))));
      assert.equal(store.bareCommitCount(), bare + 1, 'without a savepoint per PUT');
      assert.equal(store.commitMark(), mark + 2);
      assert.equal(gate.calls - calls, 2);
      for (const i of [4, 5, 2]) assert.equal((await store.getObject('b', `k${i}`))?.inline?.toString(), `again ${i}`);
      // A PUT and a write that is not rerunnable (a bucket's ACL) in one batch: savepoints, as before.
      await Promise.all([store.putObject('b', 'k6', () => record('b', 'k6', 'six')), store.updateBucket('b', { acl: 'public-read' })]);
      assert.equal(store.bareCommitCount(), bare + 1);
      assert.equal((await store.getObject('b', 'k6'))?.inline?.toString(), 'six');
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('a batch of replay-nonce claims commits without a savepoint per claim, a replay among them refused alone, under one sync', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'n.sqlite'), durable: true });
    try {
      const now = Date.now();
      assert.equal(await store.claimNonce('n0', now + 60_000, now), true);
      const bare = store.bareCommitCount();
      const mark = store.commitMark();
      const calls = gate.calls;
      // One batch (same turn), as concurrent AssumeRole calls claim: n0 again is a replay, n1 twice in one batch too.
      const claimed = await Promise.all(['n0', 'n1', 'n2', 'n1', 'n3'].map((n) => store.claimNonce(n, now + 60_000, now)));
      assert.deepEqual(claimed, [false, true, true, false, true]);
      assert.equal(store.commitMark(), mark + 1, 'one commit');
      assert.equal(gate.calls - calls, 1, 'one sync');
      assert.equal(store.bareCommitCount(), bare + 1, 'without a savepoint per claim');
      for (const n of ['n0', 'n1', 'n2', 'n3']) assert.equal(await store.nonceLive(n, now), true);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('a failed fsync is not an acknowledgement: the write is refused', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'b.sqlite'), durable: true });
    try {
      await store.createBucket(BUCKET);
      gate.holding = true;
      const put = store.putObject('b', 'k', () => record('b', 'k', 'x'));
      await gate.called();
      // A reader that saw the commit waits for the same sync: it is refused too, never answered as durable.
      const settled = store.settled(store.commitMark());
      assert.notEqual(settled, null);
      gate.release(eio());
      await assert.rejects(put, /EIO/);
      await assert.rejects(settled!, /EIO/);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('after a failed fsync no write commits until a restart: a later fsync could succeed with the failed pages lost', async () => {
    const path = join(dir, 'stop.sqlite');
    const failures: Error[] = [];
    let store = new SqliteMetadataStore({ path, durable: true, onSyncFailure: (err) => failures.push(err) });
    try {
      await store.createBucket(BUCKET);
      assert.equal(store.writeFailure(), null);
      gate.holding = true;
      const first = store.putObject('b', 'first', () => record('b', 'first', 'x'));
      await gate.called();
      // Gathers while the sync runs, for the commit after it.
      const gathered = store.putObject('b', 'gathered', () => record('b', 'gathered', 'y'));
      gate.release(eio());
      await assert.rejects(first, /EIO/);
      // Refused uncommitted: its own error, not the sync's.
      await assert.rejects(gathered, (err: unknown) => err instanceof AppError && err.code === 'InternalError' && /refuses writes until it is restarted/.test(err.message));
      assert.equal(failures.length, 1);
      assert.equal((store.writeFailure() as NodeJS.ErrnoException | null)?.code, 'EIO');
      // Later writes of every kind are refused at once, and start no sync (the next one could "succeed").
      const calls = gate.calls;
      await assert.rejects(store.putObject('b', 'later', () => record('b', 'later', 'z')), (err: unknown) => err instanceof AppError && err.code === 'InternalError');
      await assert.rejects(store.removeObject('b', 'first', Date.now()), (err: unknown) => err instanceof AppError && err.code === 'InternalError');
      await assert.rejects(store.createBucket({ ...BUCKET, name: 'b2' }), (err: unknown) => err instanceof AppError && err.code === 'InternalError');
      await turns();
      assert.equal(gate.calls, calls, 'no fsync after the failure');
      // Reads still answer: the first write's commit is visible (it may have survived).
      assert.equal((await store.getObject('b', 'first'))?.inline?.toString(), 'x');
      assert.equal(store.settled(store.commitMark()), null);
      await store.close();
      // A restart recovers what is on disk and accepts writes again; the refused writes were never committed.
      store = new SqliteMetadataStore({ path, durable: true });
      assert.equal(store.writeFailure(), null);
      assert.equal(await store.getObject('b', 'gathered'), null);
      assert.equal(await store.getObject('b', 'later'), null);
      assert.equal(await store.getBucket('b2'), null);
      await store.putObject('b', 'later', () => record('b', 'later', 'z'));
      assert.equal((await store.getObject('b', 'later'))?.inline?.toString(), 'z');
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('close() lets go of the database even when the sync it waits for fails: the file can be opened again', async () => {
    const path = join(dir, 'close-failed.sqlite');
    const store = new SqliteMetadataStore({ path, durable: true });
    let reopened: SqliteMetadataStore | undefined;
    try {
      await store.createBucket(BUCKET);
      gate.holding = true;
      const put = store.putObject('b', 'k', () => record('b', 'k', 'x'));
      await gate.called();
      // Gathers while the sync runs; close() commits it at once (after the running sync's commit, so no sync
      // running covers it: it must not wait forever).
      const gathered = store.putObject('b', 'gathered', () => record('b', 'gathered', 'y'));
      // A server stopping while the sync covering a commit runs; that sync fails.
      const closed = store.close();
      gate.release(eio());
      await assert.rejects(put, /EIO/);
      await assert.rejects(gathered, /EIO/);
      // The write was refused (its writer was told); closing still closes (before: rejected with the EIO, and the
      // database, its exclusive lock and the WAL descriptor stayed open, so nothing could open the file again).
      await closed;
      reopened = new SqliteMetadataStore({ path, durable: true });
      assert.equal(reopened.writeFailure(), null);
      assert.notEqual(await reopened.getBucket('b'), null);
    } finally {
      gate.release();
      await store.close().catch(() => undefined);
      await reopened?.close();
    }
  });

  it('--no-fsync (durable false) never syncs on a commit', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'c.sqlite'), durable: false });
    try {
      const before = gate.calls;
      await store.createBucket(BUCKET);
      await store.putObject('b', 'k', () => record('b', 'k', 'x'));
      assert.equal(gate.calls, before);
      assert.equal(store.settled(store.commitMark()), null);
    } finally {
      await store.close();
    }
  });

  it('statement journals stay in memory (temp_store): the WAL alone carries what a crash must recover', async () => {
    const store = new SqliteMetadataStore({ path: join(dir, 'd.sqlite') });
    try {
      const db = (store as unknown as { db: { pragma(p: string, o: { simple: true }): unknown } }).db;
      assert.equal(db.pragma('temp_store', { simple: true }), 2);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      await store.close();
    }
  });

  describe('server', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ durable: true });
      await server.client().putBucket('durable-bucket');
    });
    after(async () => {
      gate.release();
      await server.stop();
    });

    it('a PUT is answered after its fsync, and a GET that could see it waits for the same fsync', async () => {
      const client = server.client({ bucket: 'durable-bucket' });
      gate.holding = true;
      let putDone = false;
      const put = client.put('k1', Buffer.from('durable bytes')).then((r) => {
        putDone = true;
        return r;
      });
      await gate.called();
      // The object is committed now; a GET arriving meanwhile must not show it before it is durable.
      let getDone = false;
      const get = client.get('k1').then((r) => {
        getDone = true;
        return r;
      });
      await turns(200);
      assert.equal(putDone, false, 'PUT answered before its fsync');
      assert.equal(getDone, false, 'GET answered with a commit not yet durable');
      gate.release();
      assert.equal((await put).res.status, 200);
      assert.equal(String((await get).content), 'durable bytes');
    });

    /** A server of its own on `dataDir` (a failed sync stops its writes until a restart); `restart`: its bucket exists. */
    async function ownServer(dataDir: string, restart = false): Promise<TestServer> {
      const own = await startTestServer({ durable: true, dataDir });
      if (!restart) await own.client().putBucket('durable-bucket');
      return own;
    }

    it('a write refused by a failed sync keeps its blob: its committed record may survive, and still reads whole', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alunite-durability-server-'));
      let own = await ownServer(dataDir);
      try {
        let client = own.client({ bucket: 'durable-bucket' });
        // Larger than the bytes a row holds: a blob file. Its commit lands, then the sync covering it fails.
        const bytes = randomBytes(300 * 1024);
        gate.walOnly = true;
        gate.holding = true;
        const put = client.put('uncertain.bin', bytes).then(() => 'answered', (err: { status?: number }) => err.status);
        await gate.called();
        gate.release(eio());
        assert.equal(await put, 500, 'not acknowledged: its durability is unknown');
        // The record is there (this process sees the commit), and so are its bytes: before, the refused write
        // dropped its fresh blob, and the record pointed at a deleted file (GET 500).
        const got = await client.get('uncertain.bin');
        assert.ok(Buffer.from(got.content as Buffer).equals(bytes));
        // From here no write commits (a later sync could succeed with the failed pages lost), and /-/health says so.
        const refused = await client.put('after.txt', Buffer.from('z')).then(() => null, (err: { status?: number; code?: string; message?: string }) => err);
        assert.equal(refused?.status, 500);
        assert.equal(refused?.code, 'InternalError');
        assert.match(refused?.message ?? '', /refuses writes until it is restarted/);
        // A RAM read too (docs/operations.md): it claims its replay nonce in the store, a write.
        await assert.rejects(new Ram(own).call('ListUsers', {}), (err: Error) => /refuses writes until it is restarted/.test(err.message));
        const health = await fetch(`${own.url}/-/health`);
        assert.equal(health.status, 503);
        assert.equal(((await health.json()) as { status: string }).status, 'failed');
        // A part the same way, on the restarted server: listed, and completes into the object it was.
        await own.stop();
        own = await ownServer(dataDir, true);
        assert.equal((await fetch(`${own.url}/-/health`)).status, 200);
        client = own.client({ bucket: 'durable-bucket' });
        assert.ok(Buffer.from((await client.get('uncertain.bin')).content as Buffer).equals(bytes));
        const up = await client.initMultipartUpload('uncertain-mp.bin');
        gate.holding = true;
        const part = client.uploadPart('uncertain-mp.bin', up.uploadId, 1, bytes, 0, bytes.length).then(() => 'answered', (err: { status?: number }) => err.status);
        await gate.called();
        gate.release(eio());
        assert.equal(await part, 500);
        await own.stop();
        own = await ownServer(dataDir, true);
        client = own.client({ bucket: 'durable-bucket' });
        // ali-oss reads a single <Part> as an object, several as a list.
        const listed = ((await client.listParts('uncertain-mp.bin', up.uploadId)) as unknown as { parts: unknown }).parts;
        const parts = ([] as Array<{ PartNumber: string; ETag: string }>).concat(listed as { PartNumber: string; ETag: string });
        assert.deepEqual(parts.map((p) => p.PartNumber), ['1']);
        await client.completeMultipartUpload('uncertain-mp.bin', up.uploadId, [{ number: 1, etag: parts[0]!.ETag }]);
        assert.ok(Buffer.from((await client.get('uncertain-mp.bin')).content as Buffer).equals(bytes));
        // And the write refused after the failure was never stored.
        await assert.rejects(client.head('after.txt'), (err: { status?: number }) => err.status === 404);
      } finally {
        gate.walOnly = false;
        gate.release();
        await own.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it('a read refused by a failed sync lets go of the answer it had prepared: the blob file, the gzip stream', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alunite-durability-server-'));
      const own = await ownServer(dataDir);
      try {
        const client = own.client({ bucket: 'durable-bucket' });
        // A blob file (not bytes in the row), of a text type: answered gzip-compressed. Incompressible, so that the
        // compressed answer nobody reads fills its buffers and the file stays open until the answer is let go (a
        // compressible one is read to its end and closed within milliseconds either way).
        await client.put('text.txt', randomBytes(4 * 1024 * 1024), { mime: 'text/plain' });
        const blobs = join(dataDir, 'blobs');
        const openBlobs = (): number => readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(blobs);
          } catch {
            return false;
          }
        }).length;
        const before = openBlobs();
        gate.holding = true;
        const put = client.put('other', Buffer.from('y')).then(() => 'answered', (err: { status?: number }) => err.status);
        await gate.called();
        // This GET may see that commit, so it waits for its sync, its compressed answer already prepared (which
        // opens the blob file).
        const get = client.get('text.txt', { headers: { 'Accept-Encoding': 'gzip' } }).then(() => 'answered', (err: { status?: number }) => err.status);
        await eventually(() => openBlobs() > before, 'the GET prepared its answer, the blob file open');
        gate.release(eio());
        assert.equal(await put, 500);
        assert.equal(await get, 500);
        // Closing is asynchronous (the stream, then the descriptor on the thread pool): waited for, not timed.
        await eventually(() => openBlobs() === before, 'the refused GET let go of its blob file');
      } finally {
        gate.release();
        await own.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
