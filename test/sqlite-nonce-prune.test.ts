// Replay nonces in the SQLite store (rpc/authenticate.ts): a claim is one upsert that also reclaims an
// expired nonce, and expired rows are pruned in bounded steps at most every NONCE_PRUNE_MS, not by every
// claim (issue 15: a DELETE per AssumeRole). The row counts are read from the closed database file.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { NONCE_PRUNE_MS, NONCE_PRUNE_ROWS } from '../src/store/meta/sqlite/identity.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';

describe('SQLite replay nonces: upsert claims, bounded pruning', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-nonce-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const rows = (path: string): string[] => {
    const db = new Database(path);
    try {
      return (db.prepare('SELECT nonce FROM rpc_nonces ORDER BY nonce').all() as Array<{ nonce: string }>).map((r) => r.nonce);
    } finally {
      db.close();
    }
  };

  const old = NONCE_PRUNE_ROWS + 476;
  /** A store with `old` nonces claimed at t=0 (the first claim prunes nothing: the table is empty), all expiring at t=1000. */
  const withOld = async (path: string): Promise<SqliteMetadataStore> => {
    const s = new SqliteMetadataStore({ path });
    const claimed = await Promise.all(Array.from({ length: old }, (_, i) => s.claimNonce(`old-${i}`, 1000, 0)));
    assert.ok(claimed.every((c) => c));
    return s;
  };

  it('one prune removes at most NONCE_PRUNE_ROWS expired rows', async () => {
    const path = join(dir, 'step.sqlite');
    const s = await withOld(path);
    assert.equal(await s.claimNonce('a', 10_000, 5000), true);
    await s.close();
    assert.equal(rows(path).filter((n) => n.startsWith('old-')).length, old - NONCE_PRUNE_ROWS);
  });

  it('one batch of claims (one transaction) prunes one step, however many claims it holds', async () => {
    const path = join(dir, 'batch.sqlite');
    const s = await withOld(path);
    // Claims made in the same turn share one group commit: a step per claim would hold the event loop
    // for claims × NONCE_PRUNE_ROWS deletes.
    const claimed = await Promise.all(Array.from({ length: 5 }, (_, i) => s.claimNonce(`burst-${i}`, 10_000, 5000)));
    assert.deepEqual(claimed, [true, true, true, true, true]);
    await s.close();
    assert.equal(rows(path).filter((n) => n.startsWith('old-')).length, old - NONCE_PRUNE_ROWS);
  });

  it('a full step prunes again at the next claim; then pruning waits NONCE_PRUNE_MS, and expired rows are reclaimed meanwhile', async () => {
    const path = join(dir, 'prune.sqlite');
    const s = await withOld(path);
    const t = 5000;
    assert.equal(await s.claimNonce('a', 10_000, t), true);
    assert.equal(await s.claimNonce('b', 10_000, t + 1), true);
    // Expired but not yet pruned: the upsert reclaims them all the same.
    const late = t + 2;
    assert.equal(await s.claimNonce('x-0', late + 100, late), true);
    for (let i = 1; i < 10; i++) assert.equal(await s.claimNonce(`x-${i}`, late + 100, late), true);
    const after = late + 101;
    assert.ok(after - (t + 1) < NONCE_PRUNE_MS, 'the next prune is not due yet');
    assert.equal(await s.claimNonce('x-0', 20_000, after), true, 'an expired, unpruned nonce is claimed again');
    assert.equal(await s.claimNonce('x-0', 20_000, after + 1), false, 'and is then a replay');
    assert.equal(await s.claimNonce('a', 10_000, after + 1), false, 'a live nonce stays a replay');
    await s.close();
    // 'a' (full step: 1024 pruned) and 'b' (the rest) pruned every old row; the x-* rows expired after it.
    const left = rows(path);
    assert.equal(left.filter((n) => n.startsWith('old-')).length, 0);
    assert.deepEqual(left, ['a', 'b', ...Array.from({ length: 10 }, (_, i) => `x-${i}`)]);

    const s2 = new SqliteMetadataStore({ path });
    // Due again (a new process prunes at its first claim): the nine expired x-* rows go.
    assert.equal(await s2.claimNonce('c', 30_000, after + NONCE_PRUNE_MS + 1), true);
    await s2.close();
    assert.deepEqual(rows(path), ['a', 'b', 'c', 'x-0']);
  });

  it('a clock that went back prunes again instead of waiting', async () => {
    const path = join(dir, 'back.sqlite');
    const s = new SqliteMetadataStore({ path });
    assert.equal(await s.claimNonce('n1', 100, 0), true);
    assert.equal(await s.claimNonce('n2', 10_000, 5_000), true); // prunes n1
    assert.equal(await s.claimNonce('n3', 200, 50), true); // the clock went back: due at once (nothing expired)
    assert.equal(await s.claimNonce('n4', 10_000, 300), true); // 250 ms after that: prunes n3
    await s.close();
    assert.deepEqual(rows(path), ['n2', 'n4']);
  });
});
