/**
 * The lifecycle worker's expiration throughput: a bucket of N small objects (inline, as most small objects
 * are) that one rule expires, on SQLite (file, fsync on) or PostgreSQL. Measures one full pass of the worker
 * (listing pages, conditional deletes, progress saves), objects expired per second. Target: ≥ 10,000/s.
 * Not a test: nothing fails on timing.
 *
 *   node dist/bench/lifecycle.js [--objects N] [--meta postgres://…|postgres] [--no-fsync]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainContext } from '../src/domain/context.js';
import { LIFECYCLE, validateLifecycle } from '../src/domain/lifecycle.js';
import { LifecycleWorker } from '../src/domain/lifecycle-worker.js';
import type { ObjectRecord } from '../src/domain/model.js';
import { FsBlobStore } from '../src/store/blob/fs.js';
import { openMetadataStore } from '../src/store/meta/open.js';
import { benchPostgres } from './postgres.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('--objects') ?? 50_000);
const durable = !process.argv.includes('--no-fsync');
let metaArg = arg('--meta');
let pgCleanup: (() => Promise<void>) | undefined;
if (metaArg !== undefined) {
  const pg = await benchPostgres(metaArg);
  metaArg = await pg.freshUrl();
  pgCleanup = () => pg.close();
}

const dir = mkdtempSync(join(tmpdir(), 'alunite-bench-life-'));
const meta = await openMetadataStore({ meta: metaArg, sqlitePath: join(dir, 'metadata.sqlite'), durable });
const blobs = await FsBlobStore.open({ root: dir, durable });
const DAY = 1000;
let now = Date.now();
const ctx: DomainContext = { meta, blobs, clock: () => now, region: 'cn-hangzhou', log: () => undefined };
const bucket = 'bench-life';
await meta.createBucket({
  name: bucket, ownerAccountId: '1000000000000001', createdAt: now, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard',
  redundancyType: 'LRS', policy: null, cors: null, configs: {},
});

// Fill: 4 KiB inline objects, written in batches (one transaction per batch on SQLite).
const body = Buffer.alloc(4096, 1);
const t0 = performance.now();
for (let i = 0; i < N; i += 1000) {
  const batch: Array<Promise<unknown>> = [];
  for (let j = i; j < Math.min(N, i + 1000); j++) {
    const key = `logs/${String(j).padStart(8, '0')}`;
    const rec: ObjectRecord = {
      bucket, key, size: body.length, etag: 'E'.repeat(32), crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
      lastModified: now, headers: { contentType: 'application/octet-stream' }, userMeta: {}, tags: [], segments: [], inline: body, symlinkTarget: null,
    };
    batch.push(meta.putObject(bucket, key, () => rec));
  }
  await Promise.all(batch);
}
const fillSeconds = (performance.now() - t0) / 1000;

const config = validateLifecycle({ rules: [{ id: 'expire-logs', prefix: 'logs/', status: 'Enabled', tags: [], expiration: { days: 1 }, transitions: [], noncurrentVersionTransitions: [] }] }, { allowSameActionOverlap: false });
await meta.updateBucketConfig(bucket, LIFECYCLE.name, () => LIFECYCLE.encode(config));
now += 2 * DAY;

const worker = new LifecycleWorker(ctx, { holder: 'bench', dayMs: DAY, intervalMs: 0, log: () => undefined });
const t1 = performance.now();
const finished = await worker.runPass();
const seconds = (performance.now() - t1) / 1000;
const expired = finished.reduce((n, f) => n + f.expired, 0);
const left = (await meta.listObjects(bucket, { prefix: '', limit: 10 })).length;
await worker.stop();
await meta.close();
await blobs.close();
rmSync(dir, { recursive: true, force: true });
await pgCleanup?.();

const rate = expired / seconds;
const engine = metaArg ? 'postgres' : `sqlite${durable ? '' : ' --no-fsync'}`;
console.log(`lifecycle expiration (${engine}): ${N} objects filled in ${fillSeconds.toFixed(1)} s; one pass expired ${expired} in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString('en-US')} objects/s (target ≥ 10,000/s: ${rate >= 10_000 ? 'met' : 'NOT met'})${left > 0 ? `; ${left}+ objects left!` : ''}`);
