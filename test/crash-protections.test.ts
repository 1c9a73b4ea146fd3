// One bin/alunite server process killed (SIGKILL) three times under load and restarted on the same data directory
// (SQLite, or with ALUNITE_TEST_META=postgres the same PostgreSQL database), with the newer write rules in play:
//  - a WORM bucket (locked retention): no delete of a protected object ever succeeds, and each reads back unchanged;
//  - x-oss-forbid-overwrite on existing keys: always FileAlreadyExists, the first bytes kept;
//  - AppendObject: after a kill the object ends at a whole append (its next position one of the acknowledged or
//    cut-short appends' ends), holding exactly the bytes appended in order, none acknowledged lost;
//  - CompleteMultipartUpload cut by the kill and sent again after the restart: either it completes, or the first
//    one had (NoSuchUpload) and the object holds the parts;
//  - a versioned bucket with puts, delete markers and uploads left open;
//  - after each kill an empty and a cut-short temporary file are left in tmp/, as a kill mid-write leaves them.
// Afterwards, per bucket, GetBucketStat's Storage, ObjectCount, DeleteMarkerCount, MultipartUploadCount and
// MultipartPartCount equal what ListObjectVersions / ListMultipartUploads / ListParts show (a storage quota is held
// to Storage), every listed version reads whole, and a start after the kills removed the temporary files (SQLite).
// Nothing is timed: each phase lasts until some operations were answered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import { isNetworkError, md5 } from './helpers/crash-load.js';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const WORM = 'crash-worm';
const PLAIN = 'crash-rules';
const VERSIONED = 'crash-versions';
const WORKERS = 5;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls ali-oss has but its typings lack. */
interface MoreOss {
  initiateBucketWorm(name: string, days: string): Promise<{ wormId: string }>;
  completeBucketWorm(name: string, wormId: string): Promise<unknown>;
  putBucketVersioning(name: string, status: string): Promise<unknown>;
  getBucketStat(name: string): Promise<{ stat: Record<string, string> }>;
  append(name: string, body: Buffer, options: { position: string }): Promise<{ nextAppendPosition: string }>;
  getBucketVersions(query: Record<string, string | number>): Promise<{
    objects: Array<{ name: string; versionId: string; size: string | number }>;
    deleteMarker: unknown[];
    isTruncated: boolean;
    nextKeyMarker: string | null;
    nextVersionIdMarker: string | null;
  }>;
  listUploads(query: Record<string, string | number>): Promise<{ uploads: Array<{ name: string; uploadId: string }>; isTruncated: boolean; nextKeyMarker: string; nextUploadIdMarker: string }>;
  listParts(name: string, uploadId: string, query: Record<string, string>): Promise<{ parts?: Array<{ Size: string }> | { Size: string } }>;
}
const more = (c: OSS): MoreOss => c as unknown as MoreOss;

/** The i-th append to `key`: some cross the inline bound (64 KiB) together, most are small. */
const chunkOf = (key: string, i: number): Buffer => Buffer.from(`${key}:${i};`.repeat(i % 3 === 0 ? 7000 : 3));

describe('a server killed under load keeps WORM, forbid-overwrite, append positions, multipart completes and bucket statistics', () => {
  it('three kills and restarts: every rule held, every figure matches what is stored', { timeout: 240_000 }, async (t) => {
    const dataDir = await tempDir('alunite-crash-rules-');
    const postgres = process.env.ALUNITE_TEST_META === 'postgres';
    const args = ['--data', dataDir, ...(postgres ? ['--meta', await (await testPostgres()).freshUrl()] : [])];
    let srv: SpawnedServer = await spawnServer(args);
    const client = (bucket: string): OSS => new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket, timeout: 60_000 } as OSS.Options);
    try {
      await client(WORM).putBucket(WORM);
      const worm = await more(client(WORM)).initiateBucketWorm(WORM, '1');
      await more(client(WORM)).completeBucketWorm(WORM, worm.wormId);
      await client(PLAIN).putBucket(PLAIN);
      await client(VERSIONED).putBucket(VERSIONED);
      await more(client(VERSIONED)).putBucketVersioning(VERSIONED, 'Enabled');
      for (let i = 0; i < 4; i++) {
        await client(WORM).put(`locked/${i}`, Buffer.from(`locked ${i}`));
        await client(PLAIN).put(`first/${i}`, Buffer.from(`first ${i}`));
      }

      const unexpected: string[] = [];
      const counts: Record<string, number> = {};
      let stop = false;
      const attempt = async (what: string, op: () => Promise<void>, unknown?: () => void): Promise<void> => {
        try {
          await op();
          counts[what] = (counts[what] ?? 0) + 1;
        } catch (err) {
          if (!isNetworkError(err)) unexpected.push(`${what}: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
          unknown?.();
          await sleep(50);
        }
      };
      const refused = async (what: string, op: () => Promise<unknown>, status: number): Promise<void> => attempt(what, async () => {
        try {
          await op();
          unexpected.push(`${what} succeeded`);
        } catch (err) {
          if ((err as { status?: number }).status !== status) throw err;
        }
      });
      const part1 = randomBytes(100 * 1024 + 7);
      /** Appended objects: acknowledged appends, and whether the last one's outcome is unknown (cut by a kill). */
      const appends = new Map<string, { acked: number; position: number; unknown: boolean }>();

      const worker = async (w: number): Promise<void> => {
        const partFile = join(dataDir, `..part-${w}`);
        for (let n = 0; !stop; n++) {
          switch (n % 6) {
            case 0:
              await refused('WORM delete', () => client(WORM).delete(`locked/${n % 4}`), 409);
              break;
            case 1:
              await refused('forbid-overwrite put', () => client(PLAIN).put(`first/${n % 4}`, Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } }), 409);
              break;
            case 2: {
              const key = `append/${w}`;
              const a = appends.get(key) ?? { acked: 0, position: 0, unknown: false };
              appends.set(key, a);
              if (a.unknown) {
                // A kill cut the last append: the object ends where one of the appends ends, as HEAD says.
                try {
                  const head = await client(PLAIN).head(key);
                  a.position = Number((head.res.headers as Record<string, string>)['x-oss-next-append-position']);
                } catch (err) {
                  if (isNetworkError(err)) { await sleep(50); break; }
                  throw err;
                }
                let end = 0;
                let i = 0;
                while (end < a.position) end += chunkOf(key, i++).length;
                if (end !== a.position || i < a.acked) unexpected.push(`${key}: next position ${a.position} is not the end of append ${a.acked} or ${a.acked + 1}`);
                a.acked = i;
                a.unknown = false;
              }
              await attempt('AppendObject', async () => {
                const res = await more(client(PLAIN)).append(key, chunkOf(key, a.acked), { position: String(a.position) });
                a.position = Number(res.nextAppendPosition);
                a.acked++;
              }, () => (a.unknown = true));
              break;
            }
            case 3: {
              const key = `multipart/${w}/${n % 3}`;
              const tail = randomBytes(500 + n);
              await attempt('CompleteMultipartUpload', async () => {
                const c = client(PLAIN);
                const init = await c.initMultipartUpload(key);
                await writeFile(partFile, part1);
                const p1 = await c.uploadPart(key, init.uploadId, 1, partFile, 0, part1.length);
                await writeFile(partFile, tail);
                const p2 = await c.uploadPart(key, init.uploadId, 2, partFile, 0, tail.length);
                const parts = [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }];
                for (let sent = 0; ; sent++) {
                  try {
                    await client(PLAIN).completeMultipartUpload(key, init.uploadId, parts);
                    return;
                  } catch (err) {
                    if (isNetworkError(err) && sent < 200) { await sleep(50); continue; }
                    if (sent === 0 || (err as { code?: string }).code !== 'NoSuchUpload') throw err;
                    // The cut Complete had completed: the object holds the parts (no other writer of the key).
                    const got = (await client(PLAIN).get(key)).content as Buffer;
                    if (md5(got) !== md5(Buffer.concat([part1, tail]))) unexpected.push(`${key}: NoSuchUpload after a cut Complete, and not its bytes`);
                    counts['Complete sent again'] = (counts['Complete sent again'] ?? 0) + 1;
                    return;
                  }
                }
              });
              break;
            }
            case 4:
              await attempt('versioned PUT', async () => { await client(VERSIONED).put(`v/${w}/${n % 4}`, randomBytes([10, 70_000, 300_000][n % 3]!)); });
              break;
            default:
              if (n % 12 === 5) {
                await attempt('versioned DELETE', async () => { await client(VERSIONED).delete(`v/${w}/${n % 4}`); });
              } else {
                await attempt('upload left open', async () => {
                  const c = client(VERSIONED);
                  const init = await c.initMultipartUpload(`open/${w}/${n}`);
                  await writeFile(partFile, randomBytes(2000));
                  await c.uploadPart(`open/${w}/${n}`, init.uploadId, 1, partFile, 0, 2000);
                });
              }
          }
        }
      };

      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      const answered = (): number => Object.values(counts).reduce((a, b) => a + b, 0);
      const phase = async (atLeast: number): Promise<void> => {
        const from = answered();
        await sleep(600);
        // A finding ends the wait: operations that only ever fail would otherwise never count, and the test hang.
        while (answered() - from < atLeast && unexpected.length === 0) await sleep(50);
      };
      for (let kill = 0; kill < 3; kill++) {
        await phase(WORKERS * 4);
        await kill9(srv.child); // requests are in flight
        await mkdir(join(dataDir, 'tmp'), { recursive: true });
        await writeFile(join(dataDir, 'tmp', `${randomBytes(16).toString('hex')}.tmp`), '');
        await writeFile(join(dataDir, 'tmp', `${randomBytes(16).toString('hex')}.tmp`), randomBytes(3000));
        srv = await spawnServer(args); // a new port; the workers follow
      }
      await phase(WORKERS * 4);
      stop = true;
      await Promise.all(workers);
      t.diagnostic(JSON.stringify(counts));
      assert.deepEqual(unexpected, []);
      for (const what of ['WORM delete', 'forbid-overwrite put', 'AppendObject', 'CompleteMultipartUpload', 'versioned PUT']) assert.ok((counts[what] ?? 0) > 0, `${what} ran`);

      for (let i = 0; i < 4; i++) {
        assert.equal(((await client(WORM).get(`locked/${i}`)).content as Buffer).toString(), `locked ${i}`);
        assert.equal(((await client(PLAIN).get(`first/${i}`)).content as Buffer).toString(), `first ${i}`);
      }
      for (const [key, a] of appends) {
        const got = await client(PLAIN).get(key).then((r) => r.content as Buffer, (err: { status?: number }) => {
          if (err.status === 404 && a.acked === 0) return Buffer.alloc(0);
          throw err;
        });
        const expected: Buffer[] = [];
        while (Buffer.concat(expected).length < got.length) expected.push(chunkOf(key, expected.length));
        assert.ok(Buffer.concat(expected).equals(got), `${key}: the appends in order, each whole`);
        assert.ok(expected.length >= a.acked, `${key}: ${expected.length} appends kept, ${a.acked} acknowledged`);
      }

      for (const bucket of [WORM, PLAIN, VERSIONED]) {
        const c = more(client(bucket));
        const want = { Storage: 0, ObjectCount: 0, DeleteMarkerCount: 0, MultipartUploadCount: 0, MultipartPartCount: 0 };
        let keyMarker: string | null = null;
        let versionIdMarker: string | null = null;
        do {
          const r: Awaited<ReturnType<MoreOss['getBucketVersions']>> = await c.getBucketVersions({ 'max-keys': 1000, ...(keyMarker !== null ? { keyMarker, versionIdMarker: versionIdMarker ?? '' } : {}) });
          for (const o of r.objects) {
            want.Storage += Number(o.size);
            want.ObjectCount++;
            const got = (await client(bucket).get(o.name, undefined, { versionId: o.versionId } as OSS.GetObjectOptions)).content as Buffer;
            assert.equal(got.length, Number(o.size), `${bucket}/${o.name}@${o.versionId} reads whole`);
          }
          want.DeleteMarkerCount += r.deleteMarker.length;
          keyMarker = r.isTruncated ? r.nextKeyMarker : null;
          versionIdMarker = r.nextVersionIdMarker;
        } while (keyMarker !== null);
        let uploadMarker: { key: string; id: string } | null = null;
        do {
          const r: Awaited<ReturnType<MoreOss['listUploads']>> = await c.listUploads({ 'max-uploads': 1000, ...(uploadMarker !== null ? { 'key-marker': uploadMarker.key, 'upload-id-marker': uploadMarker.id } : {}) });
          for (const u of r.uploads) {
            want.MultipartUploadCount++;
            const parts = (await c.listParts(u.name, u.uploadId, {})).parts ?? [];
            for (const p of Array.isArray(parts) ? parts : [parts]) {
              want.MultipartPartCount++;
              want.Storage += Number(p.Size);
            }
          }
          uploadMarker = r.isTruncated ? { key: r.nextKeyMarker, id: r.nextUploadIdMarker } : null;
        } while (uploadMarker !== null);
        const stat = (await c.getBucketStat(bucket)).stat;
        const got = Object.fromEntries(Object.keys(want).map((k) => [k, Number(stat[k])]));
        assert.deepEqual(got, want, `${bucket}: GetBucketStat is what is stored`);
      }
      // SQLite: one process owns the directory, so a start removes every temporary file (PostgreSQL: only old ones).
      if (!postgres) assert.deepEqual(await readdir(join(dataDir, 'tmp')), []);
      else assert.ok(!(await readdir(dataDir)).includes('metadata.sqlite'), 'the metadata is in PostgreSQL');
      assert.equal(srv.child.exitCode, null, srv.stderr());
    } finally {
      await kill9(srv.child);
    }
  });
});
