// Crash safety with two real `bin/alunite server` processes on one PostgreSQL database and one blob
// directory: process A is killed (SIGKILL) three times in the middle of a mixed load (PutObject, multipart
// Complete, CopyObject, DeleteMultipleObjects, AppendObject (small appends merged with the object's small last
// segment, larger ones added as segments) with reads of those objects through the other process racing the appends,
// and in a versioned bucket PUT, delete markers and deletes of named versions) and restarted each time; process B
// serves all along. Afterwards:
//  - nothing acknowledged is lost: each key of the unversioned bucket holds one of the states its history
//    allows (the outcome of an operation cut by the kill is either), each acknowledged version is listed;
//  - nothing half-written is visible: every listed object and version reads whole, its bytes matching the
//    ETag (MD5, for non-multipart objects) and the CRC-64 the server states, and are bytes that were sent;
//  - a read racing another process's appends gets a content the object had, whole (its CRC-64 stated);
//  - B never failed a request;
//  - after the blob collector ran (the files made old), no blob file is left that nothing references, no temp
//    file remains, and everything still reads back the same.
// No timing is asserted: the phases last a few seconds each, however much gets done in them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { crc64 } from '../src/util/crc64.js';
import { ABSENT, filesUnder, isCutOff, isNetworkError, md5 } from './helpers/crash-load.js';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const PLAIN = 'crash-plain';
const VERSIONED = 'crash-versioned';
const WORKERS = 6;
const KEYS_PER_WORKER = 4;
/** Kinds of operation a worker cycles through (the cases below). */
const KINDS = 10;
const HOUR = 60 * 60 * 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Versioning calls ali-oss has but its typings lack. */
interface VersionedOss {
  putBucketVersioning(name: string, status: string): Promise<unknown>;
  getBucketVersions(query: Record<string, string | number>): Promise<{
    objects: Array<{ name: string; versionId: string }>;
    isTruncated: boolean;
    nextKeyMarker: string | null;
    nextVersionIdMarker: string | null;
  }>;
}
const versioned = (c: OSS): VersionedOss => c as unknown as VersionedOss;

/** A network error from the other process of a multipart upload (counted for that process; the upload is abandoned). */
class OtherDown extends Error {}
async function onOther<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isNetworkError(err) ? new OtherDown(String(err)) : err;
  }
}

const headerOf = (res: { headers: unknown }, name: string): string | undefined => {
  const v = (res.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
};

describe('two bin/alunite processes on one PostgreSQL database: one killed mid-write, three times', () => {
  it('loses nothing acknowledged, shows nothing half-written, the other process serves throughout, and no blob leaks after GC', { timeout: 600_000 }, async (t) => {
    const url = await (await testPostgres()).freshUrl();
    const shared = await tempDir('alunite-pg-crash-');
    const blobsDir = join(shared, 'blobs');
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    // The load processes never collect on their own: the collection is the last phase, made to run then.
    const args = (name: string, extra: string[] = ['--gc-interval', '0']): string[] =>
      ['--data', join(shared, name), '--meta', url, '--blobs', blobsDir, '--no-fsync', ...extra];
    const procs: SpawnedServer[] = [];
    const client = (p: SpawnedServer, bucket: string): OSS =>
      new OSS({ endpoint: p.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket, timeout: 60_000 } as OSS.Options);
    try {
      procs.push(await spawnServer(args('a'), env), await spawnServer(args('b'), env));
      await client(procs[0]!, PLAIN).putBucket(PLAIN);
      await client(procs[1]!, VERSIONED).putBucket(VERSIONED);
      await versioned(client(procs[0]!, VERSIONED)).putBucketVersioning(VERSIONED, 'Enabled');

      const sentBodies = new Set<string>(); // md5 of every object body sent (copies repeat one of them)
      /** Unversioned bucket: the states each key may be in (md5 of its bytes, or ABSENT). */
      const plain = new Map<string, Set<string>>();
      /** Versioned bucket: per key, the acknowledged versions no delete was sent for (version id → md5, null for a copy). */
      const kept = new Map<string, Map<string, string | null>>();
      const unexpected: string[] = [];
      const counts = { put: 0, multipart: 0, copy: 0, deleteMulti: 0, vput: 0, vmarker: 0, vdelete: 0, vcopy: 0, vdeleteMulti: 0, append: 0, appendRead: 0 };
      /**
       * Each worker's Appendable object `a/<w>`, only ever appended to (never deleted, so every content it had is a
       * prefix of the next): what it holds when `sure`, else the contents it may hold (an append whose answer was lost;
       * its COMMIT may even land after the kill, when the killed process's backend reads it), and the MD5 of every
       * content it may ever have held (registered before each append is sent, for readers racing it).
       */
      const appendables = Array.from({ length: WORKERS }, (): { content: Buffer; sure: boolean; candidates: Buffer[]; created: boolean; history: Set<string>; misses: number } =>
        ({ content: Buffer.alloc(0), sure: true, candidates: [Buffer.alloc(0)], created: false, history: new Set<string>(), misses: 0 }));
      const networkErrors = [0, 0];
      let stop = false;

      const partFile = join(shared, 'part1');
      const part1 = randomBytes(100 * 1024 + 3);
      await writeFile(partFile, part1);

      /** Runs one operation through process `i`; a network error is its outcome unknown, any service error is a finding unless `allowed`. */
      let tried = 0;
      let kills = 0; // A's kills so far: a reply from A cut off by one is not a finding
      const attempt = async (i: number, what: string, op: () => Promise<void>, unknown: () => void, allowed?: (err: unknown) => boolean): Promise<void> => {
        tried++;
        const killsBefore = kills;
        try {
          await op();
        } catch (err) {
          if (i === 0 && kills !== killsBefore && isCutOff(err)) {
            // A was killed while sending a 200's body: ali-oss reads the part it got as an error document
            // ("Error 200 Non-whitespace before first tag"). B's replies, or A's outside a kill, are never excused.
            networkErrors[0]!++;
            unknown();
            await sleep(50);
          } else if (err instanceof OtherDown) {
            networkErrors[1 - i]!++;
            await sleep(50); // the process is down: no busy loop of refused connections while it restarts
          } else if (isNetworkError(err)) {
            networkErrors[i]!++;
            unknown();
            await sleep(50);
          } else if (!(allowed?.(err) ?? false)) {
            unexpected.push(`${what} via ${i === 0 ? 'A' : 'B'}: ${(err as Error).name} ${(err as { code?: string }).code ?? ''} ${(err as { status?: number }).status ?? ''} ${(err as Error).message}`);
          }
        }
      };
      const noSuchKey = (err: unknown): boolean => (err as { code?: string }).code === 'NoSuchKey';
      const body = (n: number): Buffer => {
        const b = randomBytes([300, 70_000, 400_000][n % 3]!);
        sentBodies.add(md5(b));
        return b;
      };

      const worker = async (w: number): Promise<void> => {
        const keyOf = (n: number): string => `k/${w}/${n % KEYS_PER_WORKER}`;
        for (let n = 0; !stop; n++) {
          const i = (n + w) % 2;
          const c = client(procs[i]!, PLAIN);
          const vc = client(procs[i]!, VERSIONED);
          const key = keyOf(n);
          const states = plain.get(key) ?? new Set([ABSENT]);
          plain.set(key, states);
          const versions = kept.get(key) ?? new Map<string, string | null>();
          kept.set(key, versions);
          // A case's variants go by the round, not by n: with an even number of kinds, n's parity is the same every
          // time a case comes round, so a variant chosen by `n % 2` never ran, its count stayed 0, and the last phase,
          // which waits for every kind, waited for ever. With appends as a tenth kind that was the named-version
          // DeleteObject (reproduced: "never answered: vdelete"), the likely cause of the earlier runs that hung.
          const round = Math.floor(n / KINDS);
          switch (n % KINDS) {
            case 0: {
              const b = body(n + w);
              await attempt(i, `PUT ${key}`, async () => {
                await c.put(key, b);
                plain.set(key, new Set([md5(b)]));
                counts.put++;
              }, () => states.add(md5(b)));
              break;
            }
            case 1: {
              // Initiated and parts through both processes; Complete through `i`.
              const tail = randomBytes(1000 + n);
              const sum = md5(Buffer.concat([part1, tail]));
              sentBodies.add(sum);
              await attempt(i, `multipart ${key}`, async () => {
                const other = client(procs[1 - i]!, PLAIN);
                const init = await onOther(() => other.initMultipartUpload(key));
                const p1 = await c.uploadPart(key, init.uploadId, 1, partFile, 0, part1.length);
                const tailFile = join(shared, `tail-${w}`);
                await writeFile(tailFile, tail);
                const p2 = await onOther(() => other.uploadPart(key, init.uploadId, 2, tailFile, 0, tail.length));
                try {
                  await c.completeMultipartUpload(key, init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
                } catch (err) {
                  if (isNetworkError(err)) states.add(sum);
                  throw err;
                }
                plain.set(key, new Set([sum]));
                counts.multipart++;
              }, () => undefined);
              break;
            }
            case 2: {
              const source = keyOf(n + 1 + (n % 3));
              if (source === key) break;
              const from = [...(plain.get(source) ?? [ABSENT])].filter((s) => s !== ABSENT);
              await attempt(i, `CopyObject ${source} → ${key}`, async () => {
                await c.copy(key, source);
                plain.set(key, new Set(from));
                counts.copy++;
              }, () => from.forEach((s) => states.add(s)), noSuchKey);
              break;
            }
            case 3: {
              const keys = [...new Set([key, keyOf(n + 1), keyOf(n + 2)])];
              await attempt(i, `DeleteMultipleObjects ${keys.join(' ')}`, async () => {
                await c.deleteMulti(keys, { quiet: round % 2 === 0 });
                for (const k of keys) plain.set(k, new Set([ABSENT]));
                counts.deleteMulti++;
              }, () => keys.forEach((k) => plain.get(k)?.add(ABSENT)));
              break;
            }
            case 4:
            case 5: {
              const b = body(n + w + 1);
              await attempt(i, `versioned PUT ${key}`, async () => {
                const res = await vc.put(key, b);
                const id = headerOf(res.res, 'x-oss-version-id');
                if (id === undefined) unexpected.push(`versioned PUT ${key}: no x-oss-version-id`);
                else versions.set(id, md5(b));
                counts.vput++;
              }, () => undefined);
              break;
            }
            case 6:
              await attempt(i, `versioned DeleteObject ${key} (a delete marker)`, async () => {
                await vc.delete(key);
                counts.vmarker++;
              }, () => undefined);
              break;
            case 7: {
              // A named version goes for good: it is no longer required, whether or not the answer came.
              const id = [...versions.keys()][n % Math.max(1, versions.size)];
              if (id === undefined) break;
              versions.delete(id);
              if (round % 2 === 0) {
                await attempt(i, `versioned DeleteObject ${key}?versionId=${id}`, async () => {
                  await vc.delete(key, { versionId: id } as OSS.RequestOptions);
                  counts.vdelete++;
                }, () => undefined);
              } else {
                const other = keyOf(n + 1);
                await attempt(i, `versioned DeleteMultipleObjects ${key}@${id} ${other}`, async () => {
                  await vc.deleteMulti([{ key, versionId: id }, other] as unknown as string[], { quiet: false });
                  counts.vdeleteMulti++;
                }, () => undefined);
              }
              break;
            }
            case 9: {
              // Through a process that changes every time: first a read of the next worker's Appendable object through
              // the other process, racing its appends (a merge replaces the small tail segment the read may be about to
              // open: BlobRange.relocate); then an append to this worker's own.
              const j = (round + w) % 2;
              const nb = (w + 1) % WORKERS;
              const theirs = appendables[nb]!;
              await attempt(1 - j, `GET a/${nb} racing its appends`, async () => {
                const got = await client(procs[1 - j]!, PLAIN).get(`a/${nb}`).catch((err: unknown) => {
                  if (!noSuchKey(err) || theirs.created) throw err;
                  return null;
                });
                if (got !== null) {
                  const bytes = got.content as Buffer;
                  if (headerOf(got.res, 'x-oss-hash-crc64ecma') !== crc64(bytes).toString()) unexpected.push(`GET a/${nb}: CRC-64 of the ${bytes.length} bytes read`);
                  if (!theirs.history.has(md5(bytes))) unexpected.push(`GET a/${nb}: ${bytes.length} bytes it never held`);
                }
                counts.appendRead++;
              }, () => undefined);
              const mine = appendables[w]!;
              const key = `a/${w}`;
              if (!plain.has(key)) plain.set(key, new Set([ABSENT]));
              const c = client(procs[j]!, PLAIN);
              const resolving = !mine.sure;
              await attempt(j, `AppendObject ${key}`, async () => {
                if (!mine.sure) {
                  // The last answer was lost: what the object holds now, through B (up all along), is one of the candidates.
                  const now = await client(procs[1]!, PLAIN).get(key).then((r) => r.content as Buffer, (err: unknown) => {
                    if (!noSuchKey(err)) throw err;
                    return Buffer.alloc(0);
                  });
                  if (!mine.candidates.some((x) => x.equals(now))) unexpected.push(`${key}: ${now.length} bytes, none of the ${mine.candidates.length} contents its appends allow`);
                  mine.content = now;
                }
                const chunk = randomBytes([200, 3000, 70_000][round % 3]!);
                const next = Buffer.concat([mine.content, chunk]);
                mine.history.add(md5(next));
                sentBodies.add(md5(next));
                plain.get(key)?.add(md5(next));
                try {
                  const res = await c.append(key, chunk, { position: String(mine.content.length) });
                  if (Number(res.nextAppendPosition) !== next.length) unexpected.push(`${key}: next position ${res.nextAppendPosition} after ${next.length} bytes`);
                  if (headerOf(res.res, 'x-oss-hash-crc64ecma') !== crc64(next).toString()) unexpected.push(`${key}: the append's CRC-64`);
                } catch (err) {
                  if (isNetworkError(err)) {
                    mine.candidates = mine.sure ? [mine.content, next] : [...mine.candidates, next];
                    mine.sure = false;
                  }
                  throw err;
                }
                Object.assign(mine, { content: next, sure: true, candidates: [next], created: true, misses: 0 });
                plain.set(key, new Set([md5(next)]));
                counts.append++;
              }, () => undefined, (err) => {
                // While the outcome of a lost answer is being settled, that append's COMMIT may land after the read
                // above (the killed process's backend still reading it): the position moved; read again next time.
                // Settled for good within a few tries, or it is a finding.
                if (!resolving || (err as { code?: string }).code !== 'PositionNotEqualToLength' || ++mine.misses > 3) return false;
                return true;
              });
              break;
            }
            default: {
              const source = keyOf(n + 1);
              if (source === key) break;
              await attempt(i, `versioned CopyObject ${source} → ${key}`, async () => {
                const res = await vc.copy(key, source);
                const id = headerOf(res.res, 'x-oss-version-id');
                if (id === undefined) unexpected.push(`versioned CopyObject ${key}: no x-oss-version-id`);
                else versions.set(id, null);
                counts.vcopy++;
              }, () => undefined, noSuchKey);
            }
          }
        }
      };

      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      // Each phase lasts until some operations were answered (a slow machine gets there later; nothing is timed),
      // and at least half a second. It was 2.5 s: in CI ~1,400 operations in all, each object then read back three times,
      // where the counts below are what the assertions need.
      const answered = (): number => Object.values(counts).reduce((a, b) => a + b, 0);
      const phase = async (atLeast: number, until: () => boolean = () => true): Promise<void> => {
        const from = answered();
        const triedFrom = tried;
        await sleep(500);
        // A finding ends the wait: an operation that only ever fails would otherwise never count, and the test hang.
        // So does a kind of operation never answered in a hundred times the attempts a phase needs, even if each of
        // its failures is one the test allows (three runs of an earlier version with appends added went on loading for
        // 7-9 minutes, their workers' loops at ~14,000 iterations where a whole run needs a few hundred, until they were killed).
        while ((answered() - from < atLeast || !until()) && unexpected.length === 0) {
          if (tried - triedFrom > 100 * atLeast) {
            unexpected.push(`${tried - triedFrom} operations tried in a phase and never answered: ${Object.entries(counts).filter(([, n]) => n === 0).map(([k]) => k).join(', ') || `only ${answered() - from} answered`}`);
            break;
          }
          await sleep(100);
        }
      };
      try {
        for (let kill = 0; kill < 3; kill++) {
          await phase(WORKERS * 5);
          kills++;
          await kill9(procs[0]!.child); // requests to A are in flight
          await sleep(300);
          procs[0] = await spawnServer(args('a'), env); // a new port; the workers follow
        }
        await phase(WORKERS * 5, () => Object.values(counts).every((n) => n > 0));
      } finally {
        // A restart that failed fails the test: the workers must not go on retrying a dead port for ever.
        stop = true;
        await Promise.all(workers);
      }
      t.diagnostic(`${JSON.stringify(counts)}; network errors A ${networkErrors[0]}, B ${networkErrors[1]}`);
      assert.deepEqual(unexpected, []);
      assert.equal(networkErrors[1], 0, 'B served every request');
      for (const [k, v] of Object.entries(counts)) assert.ok(v > 0, `${k} ran: ${JSON.stringify(counts)}`);

      /** Reads every object of both buckets through `p`, checks each is whole; returns key (and version) → md5. */
      const readAll = async (p: SpawnedServer): Promise<Map<string, string>> => {
        const out = new Map<string, string>();
        const whole = async (c: OSS, name: string, label: string, versionId?: string): Promise<void> => {
          const res = await c.get(name, undefined, versionId === undefined ? {} : { versionId } as OSS.GetObjectOptions);
          const bytes = res.content as Buffer;
          const sum = md5(bytes);
          assert.equal(headerOf(res.res, 'x-oss-hash-crc64ecma'), crc64(bytes).toString(), `${label}: CRC-64 of the bytes read`);
          const etag = (headerOf(res.res, 'etag') ?? '').replace(/"/g, '');
          if (headerOf(res.res, 'x-oss-object-type') === 'Normal') assert.equal(etag.toLowerCase(), sum, `${label}: ETag is the MD5 of the bytes read`);
          assert.ok(sentBodies.has(sum), `${label}: bytes that were sent, whole (${bytes.length} bytes)`);
          out.set(label, sum);
        };
        const reads: Array<() => Promise<void>> = [];
        const c = client(p, PLAIN);
        let marker: string | undefined;
        do {
          const r = await c.list({ 'max-keys': 1000, ...(marker !== undefined ? { marker } : {}) }, {});
          for (const o of r.objects ?? []) reads.push(() => whole(c, o.name, o.name));
          marker = r.isTruncated ? r.nextMarker : undefined;
        } while (marker !== undefined);
        const vc = client(p, VERSIONED);
        let keyMarker: string | null = null;
        let versionIdMarker: string | null = null;
        do {
          const r: Awaited<ReturnType<VersionedOss['getBucketVersions']>> = await versioned(vc).getBucketVersions({
            'max-keys': 1000, ...(keyMarker !== null ? { keyMarker, versionIdMarker: versionIdMarker ?? '' } : {}),
          });
          for (const v of r.objects) reads.push(() => whole(vc, v.name, `${v.name}@${v.versionId}`, v.versionId));
          keyMarker = r.isTruncated ? r.nextKeyMarker : null;
          versionIdMarker = r.nextVersionIdMarker;
        } while (keyMarker !== null);
        for (let at = 0; at < reads.length; at += 6) await Promise.all(reads.slice(at, at + 6).map((read) => read()));
        return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      };

      const seen = await readAll(procs[1]!);
      assert.deepEqual([...(await readAll(procs[0]!))], [...seen], 'both processes see the same objects and versions');
      for (const [key, states] of plain) {
        const now = seen.get(key) ?? ABSENT;
        assert.ok(states.has(now), `${key}: ${now} is one of the states its history allows (${[...states].join(', ')})`);
      }
      for (const [key, versions] of kept) {
        for (const [id, sum] of versions) {
          const now = seen.get(`${key}@${id}`);
          assert.ok(now !== undefined, `${key}@${id}: an acknowledged version no delete was sent for is listed`);
          if (sum !== null) assert.equal(now, sum, `${key}@${id}: its bytes`);
        }
      }
      t.diagnostic(`${seen.size} objects and versions read whole through both processes`);

      // The blob collector: both processes stopped, every file made old, one process started (it collects at start).
      for (const p of procs) await kill9(p.child);
      procs.length = 0;
      const before = await filesUnder(blobsDir);
      const old = new Date(Date.now() - 3 * HOUR);
      for (const f of before) await utimes(f, old, old);
      procs.push(await spawnServer(args('c', []), env));
      const meta = await PostgresMetadataStore.open({ url, durable: false });
      let leaked: string[] = [];
      try {
        await eventually(async () => {
          const referenced = await meta.referencedBlobIds();
          const left = await filesUnder(blobsDir);
          leaked = left.filter((f) => !f.startsWith(join(blobsDir, 'blobs')) || !referenced.has(basename(f)));
          return leaked.length === 0;
        }, 'every file left in the blob directory is a blob some object, version or part references').catch((err: Error) => {
          throw new Error(`${err.message}: ${leaked.slice(0, 10).join(', ')}${leaked.length > 10 ? ` and ${leaked.length - 10} more` : ''}`);
        });
      } finally {
        await meta.close();
      }
      t.diagnostic(`${before.length} files before the collection, ${(await filesUnder(blobsDir)).length} after`);
      assert.deepEqual([...(await readAll(procs[0]!))], [...seen], 'after the collection everything reads back the same');
    } finally {
      for (const p of procs) await kill9(p.child);
    }
  });
});
