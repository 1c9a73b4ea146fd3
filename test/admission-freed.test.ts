// Deletes and the free-space reading (issue 15): a delete used to start a disk reading (statfs on the thread
// pool) each, which under a stream of deletes cost more than the deletes. Within the reading's TTL a delete now
// only marks the reading stale: the next write reads the disk before it is admitted, and one reading follows
// when the TTL is up (refilling the delete reserve).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteAdmission, type SpaceReading } from '../src/domain/admission.js';
import { AppError } from '../src/errors.js';

function disk(available: number): { read: () => Promise<SpaceReading[]>; reads: () => number; next: () => Promise<void>; set: (n: number) => void } {
  let count = 0;
  let free = available;
  let waiters: Array<() => void> = [];
  return {
    read: async () => {
      count++;
      for (const w of waiters.splice(0)) w();
      return [{ path: '/data', available: free, total: 1_000_000 }];
    },
    reads: () => count,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    set: (n) => {
      free = n;
    },
  };
}

describe('WriteAdmission.freed', () => {
  it('deletes within the TTL read the disk no more; the next write reads it before being admitted', async () => {
    const d = disk(100);
    const a = new WriteAdmission({ read: d.read, floor: { bytes: 50 }, ttlMs: 3_600_000, log: () => undefined });
    await a.prime();
    assert.equal(d.reads(), 1);
    for (let i = 0; i < 1000; i++) a.freed();
    await new Promise((r) => setImmediate(r));
    assert.equal(d.reads(), 1, 'a disk reading per delete');
    // Only 50 bytes above the floor by the old reading; the deletes freed more, which the write must see.
    d.set(10_000);
    const ticket = await a.admit(1000);
    ticket.done();
    assert.equal(d.reads(), 2);
  });

  it('a write refused by a stale reading is decided on a fresh one', async () => {
    const d = disk(60);
    const a = new WriteAdmission({ read: d.read, floor: { bytes: 50 }, ttlMs: 3_600_000, log: () => undefined });
    await a.prime();
    await assert.rejects(Promise.resolve().then(() => a.admit(1000)), (err: unknown) => err instanceof AppError && err.code === 'InsufficientStorage');
    a.freed();
    d.set(5_000);
    (await a.admit(1000)).done();
  });

  it('one reading follows the deletes when the TTL is up', async () => {
    const d = disk(100);
    const a = new WriteAdmission({ read: d.read, floor: { bytes: 50 }, ttlMs: 50, log: () => undefined });
    await a.prime();
    const reads = d.reads();
    const next = d.next();
    // The TTL timer is unref'd (it never keeps a server alive): hold the test's loop open meanwhile.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      a.freed();
      a.freed();
      await next;
    } finally {
      clearInterval(keepAlive);
    }
    assert.equal(d.reads(), reads + 1);
  });
});
