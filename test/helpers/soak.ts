// The short soak of test/soak-resources.test.ts (SQLite) and test/pg-soak-resources.test.ts (PostgreSQL): one
// `bin/alunite server` child under a bounded mixed load, then its resources must come back to where they were. The
// load (seeded, `rounds` rounds of each worker, no new round after `budgetMs` once each worker has done its first
// MIN_ROUNDS, so a slow machine does the same minimum; docs/testing.md "Tests on a busy machine"): PUT/GET/overwrite
// of 0–300 KB through ali-oss's keep-alive agent, multipart uploads completed or aborted, appends, copies, deletes,
// uploads cut mid-body by their client (a raw socket destroyed after part of the announced body), keep-alive churn
// (a fresh connection per request, `Connection: close`), connections opened and dropped without a request.
// Afterwards, with everything deleted and every upload aborted:
//  - the open descriptors (/proc/<pid>/fd) are back within a few of the idle baseline taken after a warm-up round
//    (apart from the blob shard directories' handles the store keeps for its fsyncs: at most 256);
//  - `tmp/` holds no file and no blob file is left (every object and part was removed);
//  - the resident set stays within a loose bound of the baseline (a leak of the bodies would be far above it);
//  - whatever else the caller samples (`gauges`, e.g. the server's connections to PostgreSQL) comes back to its
//    baseline too, and never passes its bound while the load runs.
// bench/soak-mixed.ts is the long version for manual runs (minutes to hours, sampled).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import OSS from 'ali-oss';
import { eventually } from './eventually.js';
import { v1Authorization } from './raw-http.js';
import { mulberry32 } from './seeded-random.js';
import { AK, SECRET } from './server.js';
import type { SpawnedServer } from './spawn.js';

/** Rounds each worker does whatever the time: the load the assertions are about, on a slow machine too. */
export const MIN_ROUNDS = 5;
const WORKERS = 4;
const BUCKET = 'soak-short';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A blob shard directory (`blobs/3f`): the store keeps one handle per shard it synced, 256 at most, by design. */
const SHARD_DIR = /\/blobs\/[0-9a-f]{2}$/;

/** The server's open descriptors, by what they point at (sockets, files), the kept shard directories apart. */
async function descriptors(pid: number): Promise<{ open: string[]; shards: number }> {
  const dir = `/proc/${pid}/fd`;
  const targets = await Promise.all((await readdir(dir)).map((fd) => readlink(join(dir, fd)).catch(() => 'gone')));
  return { open: targets.filter((x) => !SHARD_DIR.test(x)), shards: targets.filter((x) => SHARD_DIR.test(x)).length };
}

async function rssMiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** A PUT that announces `size` bytes, sends `sent` of them, and drops the connection. */
function cutUpload(port: number, key: string, size: number, sent: number): Promise<void> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-type': 'application/octet-stream' };
  const auth = v1Authorization({ method: 'PUT', bucket: BUCKET, key, headers }, AK, SECRET).authorization;
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`PUT /${BUCKET}/${key} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nDate: ${headers.date}\r\nContent-Type: application/octet-stream\r\nAuthorization: ${auth}\r\nContent-Length: ${size}\r\n\r\n`);
      sock.write(Buffer.alloc(sent, 0x61), () => setImmediate(() => sock.destroy()));
    });
    sock.on('error', () => undefined);
    sock.on('close', () => resolve());
  });
}

/** A figure of the server sampled besides descriptors and memory. */
export interface Gauge {
  name: string;
  read(): Promise<number>;
  /** It never passes this while the load runs (sampled between rounds). */
  max: number;
  /** Afterwards it comes back to at most this, given its baseline (read after the warm-up). */
  settlesWithin: (baseline: number) => number;
}

export interface SoakOptions {
  srv: SpawnedServer;
  /** The directory holding the server's `blobs/` and `tmp/` (its data directory, or its --blobs). */
  blobsRoot: string;
  seed: number;
  rounds: number;
  budgetMs: number;
  gauges?: Gauge[];
}

/** Runs the soak and its assertions (see the header). */
export async function soak(t: TestContext, o: SoakOptions): Promise<void> {
  const { srv } = o;
  const pid = srv.child.pid!;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
  const client = (agent?: Agent): OSS => new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: BUCKET, timeout: 60_000, ...(agent !== undefined ? { agent } : {}) } as OSS.Options);
  const shared = client(keepAlive);
  await shared.putBucket(BUCKET);
  const gauges = o.gauges ?? [];
  const peaks = new Map<string, number>(gauges.map((g) => [g.name, 0]));
  const sample = async (): Promise<void> => {
    for (const g of gauges) {
      const v = await g.read();
      peaks.set(g.name, Math.max(peaks.get(g.name)!, v));
      assert.ok(v <= g.max, `${g.name}: ${v}, above its bound ${g.max}`);
    }
  };

  const round = async (w: number, r: () => number, i: number): Promise<void> => {
    const pick = (n: number): number => Math.floor(r() * n);
    const key = `w${w}/k${pick(6)}`;
    const body = Buffer.alloc(pick(300_000), `${w}-${i}-`);
    switch (pick(8)) {
      case 0:
      case 1: {
        const put = await shared.put(key, body);
        assert.equal(put.res.status, 200);
        const got = await shared.get(key);
        assert.equal(createHash('md5').update(got.content as Buffer).digest('hex'), createHash('md5').update(body).digest('hex'));
        break;
      }
      case 2: {
        const { uploadId } = await shared.initMultipartUpload(`${key}.mp`);
        const part = await shared.uploadPart(`${key}.mp`, uploadId, 1, body, 0, body.length);
        if (pick(2) === 0) await shared.abortMultipartUpload(`${key}.mp`, uploadId);
        else {
          await shared.completeMultipartUpload(`${key}.mp`, uploadId, [{ number: 1, etag: part.etag }]);
          await shared.delete(`${key}.mp`);
        }
        break;
      }
      case 3: {
        const app = `${key}.app`;
        await shared.delete(app);
        const first = await shared.append(app, body.subarray(0, 1000));
        await shared.append(app, body.subarray(1000, 5000), { position: String(first.nextAppendPosition) });
        break;
      }
      case 4: {
        await shared.put(key, body);
        await shared.copy(`${key}.copy`, key);
        await shared.delete(`${key}.copy`);
        break;
      }
      case 5:
        // A client that goes away mid-body: nothing of it may stay (descriptor, temporary file, blob).
        await cutUpload(srv.port, `${key}.cut`, 200_000 + pick(500_000), pick(150_000));
        break;
      case 6: {
        // Keep-alive churn: a connection per request, closed by the client.
        const once = client(new Agent({ keepAlive: false }));
        await once.put(key, body.subarray(0, 2000), { headers: { Connection: 'close' } });
        await once.head(key);
        break;
      }
      default:
        // A connection opened and dropped without a request.
        await new Promise<void>((resolve) => {
          const s = connect(srv.port, '127.0.0.1', () => s.destroy());
          s.on('error', () => undefined);
          s.on('close', () => resolve());
        });
        await shared.delete(key);
    }
  };

  const cleanUp = async (): Promise<void> => {
    for (;;) {
      const page = await shared.list({ 'max-keys': '1000' }, {});
      const keys = (page.objects ?? []).map((x) => x.name);
      if (keys.length === 0) break;
      await shared.deleteMulti(keys, { quiet: true });
    }
    const uploads = await shared.listUploads({ 'max-uploads': 1000 });
    for (const u of uploads.uploads ?? []) await shared.abortMultipartUpload(u.name, u.uploadId);
  };
  const settled = async (what: string, check: () => Promise<boolean>): Promise<void> => eventually(check, what, 60_000, 100);

  // Warm-up: one round of every kind (lazily opened files, pools, caches), then the idle baseline.
  for (let kind = 0; kind < 8; kind++) await round(99, () => (kind + 0.5) / 8, kind);
  await cleanUp();
  keepAlive.destroy();
  await settled('tmp/ empty after the warm-up', async () => (await filesUnder(join(o.blobsRoot, 'tmp'))).length === 0);
  const baseFds = (await descriptors(pid)).open;
  const baseRss = await rssMiB(pid);
  const baseGauges = new Map<string, number>();
  for (const g of gauges) baseGauges.set(g.name, await g.read());

  const started = Date.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const r = mulberry32(o.seed * 100 + w);
      for (let i = 0; i < o.rounds && (i < MIN_ROUNDS || Date.now() - started < o.budgetMs); i++) {
        await round(w, r, i);
        done++;
        if (w === 0) await sample();
      }
    }),
  );
  await sample();
  const peakRss = await rssMiB(pid);
  await cleanUp();
  keepAlive.destroy();

  await settled('tmp/ empty', async () => (await filesUnder(join(o.blobsRoot, 'tmp'))).length === 0);
  await settled('no blob file left', async () => (await filesUnder(join(o.blobsRoot, 'blobs'))).length === 0);
  let fds: string[] = [];
  let shards = 0;
  await settled(`descriptors back to the baseline (${baseFds.length})`, async () => ({ open: fds, shards } = await descriptors(pid)).open.length <= baseFds.length + 2).catch((e: Error) => {
    const kinds = (xs: string[]): Record<string, number> => xs.reduce<Record<string, number>>((m, x) => ((m[x.replace(/\d+/g, 'N')] = (m[x.replace(/\d+/g, 'N')] ?? 0) + 1), m), {});
    throw new Error(`${e.message}: before ${JSON.stringify(kinds(baseFds))}, now ${JSON.stringify(kinds(fds))}`);
  });
  const ends = new Map<string, number>();
  for (const g of gauges) {
    const base = baseGauges.get(g.name)!;
    await settled(`${g.name} back to at most ${g.settlesWithin(base)} (baseline ${base})`, async () => {
      ends.set(g.name, await g.read());
      return ends.get(g.name)! <= g.settlesWithin(base);
    }).catch((e: Error) => {
      throw new Error(`${e.message}: now ${ends.get(g.name)}`);
    });
  }
  const rss = await rssMiB(pid);
  const gaugeNote = gauges.map((g) => `; ${g.name} ${baseGauges.get(g.name)} → peak ${peaks.get(g.name)} → ${ends.get(g.name)}`).join('');
  t.diagnostic(`${done} rounds in ${Date.now() - started} ms; descriptors ${baseFds.length} → ${fds.length} (+ ${shards} shard directories); RSS ${baseRss.toFixed(0)} → peak ${peakRss.toFixed(0)} → ${rss.toFixed(0)} MiB${gaugeNote}`);
  assert.ok(done >= WORKERS * Math.min(MIN_ROUNDS, o.rounds), `only ${done} rounds`);
  assert.ok(shards <= 256, `${shards} shard directory handles`);
  assert.ok(rss < baseRss + 160, `RSS ${rss} MiB against a baseline of ${baseRss} MiB`);
  assert.equal(srv.child.exitCode, null);
  assert.doesNotMatch(srv.stderr(), /internal error/);
}
