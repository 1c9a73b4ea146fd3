// The access log writer's timing, on its own clock: a batch is written one interval after its *first line*, never
// on a tick shared by all batches (which wrote a line logged just before the tick at once). The Go SDK's own
// TestSetBucketLogging depends on it: it turns logging on and off, waits 5 s and deletes the target bucket, which a
// shared 60 s tick filled with a log object about one run in six (BucketNotEmpty).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessLogWriter } from '../src/audit/access-log.js';
import { RequestRecord } from '../src/audit/record.js';
import type { Bucket } from '../src/domain/model.js';

const bucket = (name: string, logTo: string | null): Bucket => ({
  name, ownerAccountId: '1000000000000001', createdAt: 0, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard',
  redundancyType: 'LRS', policy: null, cors: null,
  configs: logTo === null ? {} : { logging: JSON.stringify({ targetBucket: logTo, targetPrefix: 'log/' }) },
});

function request(source: string, id: string): RequestRecord {
  const rec = new RequestRecord(id, '127.0.0.1', process.hrtime.bigint(), 0);
  rec.service = 'oss';
  rec.operation = 'GetObject';
  rec.access = { method: 'GET', url: `/${source}/k`, httpVersion: '1.1', host: '127.0.0.1', referer: undefined, userAgent: 'test', bucket: source, key: 'k', headerBytes: 10 };
  rec.finish(200, 0);
  return rec;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits (real time, generous for a loaded machine) until `done()`; the writer's ripeness is decided by the test clock. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 60_000; !done() && Date.now() < deadline;) await tick(10);
}

describe('access log batches are written one interval after their first line', () => {
  it('a young batch waits however often the timer runs; an old one is written alone', async () => {
    let now = 1_000_000;
    const buckets = new Map([['a', bucket('a', 'logs')], ['b', bucket('b', 'logs')], ['logs', bucket('logs', null)]]);
    const written: { key: string; body: string }[] = [];
    const writer = new AccessLogWriter({
      getBucket: async (n) => buckets.get(n) ?? null,
      write: async (_b, key, body) => { written.push({ key, body: body.toString() }); return true; },
      clock: () => now,
      log: () => {},
    }, { flushIntervalMs: 40 }); // the timer looks every 10 ms of real time; ripeness is decided by `now`
    writer.start();
    try {
      writer.record(request('a', 'A1'));
      await tick(20);
      now += 30;
      writer.record(request('b', 'B1'));
      // Many timer runs later (real time), with `now` 30 ms past a's first line: nothing is due.
      await tick(120);
      assert.equal(written.length, 0, 'no batch is an interval old yet');
      now += 10; // a's batch is 40 ms old, b's 10 ms
      await until(() => written.length > 0);
      assert.equal(written.length, 1, 'only the ripe batch');
      assert.match(written[0]!.key, /^log\/a\d{4}-/);
      assert.match(written[0]!.body, /"A1"/);
      writer.record(request('a', 'A2')); // a new batch for a, young again
      await tick(60);
      assert.equal(written.length, 1, 'b (10 ms) and the new a batch (0 ms) wait');
      now += 30; // b: 40 ms
      await until(() => written.length >= 2);
      assert.equal(written.length, 2);
      assert.match(written[1]!.key, /^log\/b\d{4}-/);
      assert.match(written[1]!.body, /"B1"/);
    } finally {
      await writer.close();
    }
    assert.equal(written.length, 3, 'close() writes what is left however young');
    assert.match(written[2]!.body, /"A2"/);
  });

  it('a full batch is written at once without taking the others along', async () => {
    const now = 5_000_000;
    const buckets = new Map([['a', bucket('a', 'logs')], ['b', bucket('b', 'logs')], ['logs', bucket('logs', null)]]);
    const written: string[] = [];
    const writer = new AccessLogWriter({
      getBucket: async (n) => buckets.get(n) ?? null,
      write: async (_b, key) => { written.push(key); return true; },
      clock: () => now,
      log: () => {},
    }, { flushIntervalMs: 3_600_000, maxRecords: 2 });
    writer.start();
    try {
      writer.record(request('b', 'B1'));
      writer.record(request('a', 'A1'));
      writer.record(request('a', 'A2'));
      await until(() => written.length > 0);
      await tick(50);
      assert.equal(written.length, 1);
      assert.match(written[0]!, /^log\/a/);
    } finally {
      await writer.close();
    }
    assert.equal(written.length, 2);
    assert.match(written[1]!, /^log\/b/);
  });
});

describe('the default interval is an hour, as OSS generates its log files', () => {
  it('a batch 75 s old is not written (the Java SDK\'s testNormalSetBucketLogging deletes its buckets 70 s in); one an hour old is', async () => {
    let now = 9_000_000;
    const buckets = new Map([['src', bucket('src', 'tgt')], ['tgt', bucket('tgt', null)]]);
    const written: string[] = [];
    const writer = new AccessLogWriter({
      getBucket: async (n) => buckets.get(n) ?? null,
      write: async (_b, key) => { written.push(key); return true; },
      clock: () => now,
      log: () => {},
    });
    // What the timer does (every 15 minutes of real time with the default), run by hand on the test clock.
    const look = async (): Promise<void> => {
      const w = writer as unknown as { flushRipe(): void; chain: Promise<void> };
      w.flushRipe();
      await w.chain;
    };
    try {
      writer.record(request('src', 'S1'));
      await until(() => writer.heldChars > 0);
      now += 75_000;
      await look();
      assert.equal(written.length, 0, 'not after 75 s (it was, with the former 60 s default)');
      now += 3_600_000 - 75_000;
      await look();
      assert.equal(written.length, 1, 'an hour after its first line');
      assert.match(written[0]!, /^log\/src\d{4}-/);
    } finally {
      await writer.close();
    }
  });
});
