// The seeded crash load shared by test/crash-orphans.test.ts (SQLite) and test/pg-crash-restart.test.ts
// (PostgreSQL): one `bin/alunite server` under concurrent writes, killed (SIGKILL) after seeded numbers of
// acknowledged operations and started again on the same data, a ledger of the states each key may be in, and
// the checks that follow (nothing acknowledged lost, nothing half-written visible, listings, HEAD, GET and
// GetBucketStat telling the same story).
// The load, each worker on its own keys so the ledger knows each key's possible states: PUT (0 B–300 KB: inline
// and file blobs), multipart (2 parts + complete), copy, delete, append (two appends after a delete), and in a
// versioned bucket PUTs and delete markers. A kill comes after a seeded number of acknowledged operations (no
// clock). A request cut by the kill may or may not have happened: its outcome joins the key's possible states.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { crc64 } from '../../src/util/crc64.js';
import { mulberry32 } from './seeded-random.js';
import { AK, SECRET } from './server.js';
import { signedRequest, succeeds } from './signed.js';
import { kill9, type SpawnedServer } from './spawn.js';

export const ABSENT = 'absent';

export const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** A failure of the connection (the process is down or was killed mid-request), not an answer of the service. */
export function isNetworkError(err: unknown): boolean {
  const e = err as { status?: number; code?: string; name?: string; message?: string };
  if (typeof e.status === 'number' && e.status > 0) return false;
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|RequestError|ConnectionTimeout|ResponseTimeout|other side closed/i.test(
    `${e.code ?? ''} ${e.name ?? ''} ${e.message ?? ''}`,
  );
}

/**
 * A success whose body never arrived whole (the server died while sending it): ali-oss then parses the part it got
 * as an error document and throws with the 2xx status. Only a network outcome when the server was killed meanwhile.
 */
export function isCutOff(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 200 && status < 300;
}

/** Every file under `dir` (absolute paths, sorted); none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).sort();
}

export const ossClient = (srv: SpawnedServer, bucket: string): OSS =>
  new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket, timeout: 60_000 } as OSS.Options);

const header = (res: { headers: unknown }, name: string): string | undefined => {
  const v = (res.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
};

export interface CrashRun {
  /** The server started after the last kill (running). */
  srv: SpawnedServer;
  /** Every server the run started, in order (the killed ones' logs stay readable). */
  servers: SpawnedServer[];
  /** Unversioned bucket: each key's possible states (ABSENT or the MD5 of its bytes). */
  states: Map<string, Set<string>>;
  /** Versioned bucket: acknowledged versions (`key@versionId`) and the MD5 of their bytes. */
  versions: Map<string, string>;
  acked: number;
}

export interface CrashLoadOptions {
  /** Starts the server (again) on the same data. */
  start: () => Promise<SpawnedServer>;
  seed: number;
  kills: number;
  workers: number;
  plain: string;
  versioned: string;
}

/** Creates the two buckets, runs the load with `kills` kills and restarts, and returns the ledger; service errors fail it. */
export async function crashLoad(o: CrashLoadOptions): Promise<CrashRun> {
  let srv = await o.start();
  const servers = [srv];
  const client = (bucket: string): OSS => ossClient(srv, bucket);
  const rnd = mulberry32(o.seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  await client(o.plain).putBucket(o.plain);
  await client(o.versioned).putBucket(o.versioned);
  succeeds(await signedRequest(srv.port, 'PUT', o.versioned, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));

  const states = new Map<string, Set<string>>();
  const versions = new Map<string, string>();
  const unexpected: string[] = [];
  let acked = 0;
  const settle = (key: string, outcome: string, sure: boolean): void => {
    const s = states.get(key) ?? new Set([ABSENT]);
    if (sure) states.set(key, new Set([outcome]));
    else states.set(key, new Set([...s, outcome]));
  };
  /** Runs one operation; on a network error (the kill) its outcomes join the possible states. */
  const attempt = async (outcomes: Array<[string, string]>, op: () => Promise<void>): Promise<boolean> => {
    try {
      await op();
      for (const [k, v] of outcomes) settle(k, v, true);
      acked++;
      return true;
    } catch (err) {
      if (!isNetworkError(err)) unexpected.push(`${outcomes.map(([k]) => k).join(',')}: ${(err as Error).message}`);
      for (const [k, v] of outcomes) settle(k, v, false);
      return false;
    }
  };

  for (let cycle = 0; cycle <= o.kills; cycle++) {
    let stop = false;
    const killAfter = acked + 30 + pick(60);
    const worker = async (w: number, r: () => number): Promise<void> => {
      const p = (n: number): number => Math.floor(r() * n);
      while (!stop) {
        const key = `w${w}/k${p(4)}`;
        const body = Buffer.alloc(p(5) === 0 ? 0 : p(300_000), `${cycle}.${w}.${p(1e6)}.`);
        const c = client(o.plain);
        switch (p(7)) {
          case 0:
          case 1:
            await attempt([[key, md5(body)]], async () => void (await c.put(key, body)));
            break;
          case 2: {
            const mp = `${key}.mp`;
            const a = Buffer.concat([body, Buffer.alloc(100 * 1024 + 3, `p${w}`)]).subarray(0, 100 * 1024 + 3); // parts but the last ≥ 100 KiB
            const b = Buffer.from(`tail ${w}`);
            await attempt([[mp, md5(Buffer.concat([a, b]))]], async () => {
              const { uploadId } = await c.initMultipartUpload(mp);
              const p1 = await c.uploadPart(mp, uploadId, 1, a, 0, a.length);
              const p2 = await c.uploadPart(mp, uploadId, 2, b, 0, b.length);
              await c.completeMultipartUpload(mp, uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
            });
            break;
          }
          case 3: {
            const src = states.get(key);
            if (src === undefined || src.size !== 1 || src.has(ABSENT)) break;
            await attempt([[`${key}.copy`, [...src][0]!]], async () => void (await c.copy(`${key}.copy`, key)));
            break;
          }
          case 4:
            await attempt([[key, ABSENT]], async () => void (await c.delete(key)));
            break;
          case 5: {
            const app = `${key}.app`;
            const one = body.subarray(0, Math.min(body.length, 70_000));
            if (!(await attempt([[app, ABSENT]], async () => void (await c.delete(app))))) break;
            if (!(await attempt([[app, md5(one)]], async () => void (await c.append(app, one))))) break;
            const two = Buffer.from(`second append ${w}`);
            await attempt([[app, md5(Buffer.concat([one, two]))]], async () => void (await c.append(app, two, { position: String(one.length) })));
            break;
          }
          default: {
            const v = client(o.versioned);
            if (p(3) === 0) {
              await attempt([], async () => void (await v.delete(key)));
            } else {
              await attempt([], async () => {
                const res = await v.put(key, body);
                versions.set(`${key}@${header(res.res, 'x-oss-version-id')}`, md5(body));
              });
            }
          }
        }
        if (acked >= killAfter && cycle < o.kills && !stop) {
          stop = true;
          await kill9(srv.child);
        }
      }
    };
    if (cycle === o.kills) {
      // The last cycle runs a while without a kill, then stops.
      const until = acked + 40;
      const stopping = (r: () => number) => (): number => {
        if (acked >= until) stop = true;
        return r();
      };
      await Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w, stopping(mulberry32(o.seed + cycle * 10 + w)))));
    } else {
      await Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w, mulberry32(o.seed + cycle * 10 + w))));
      srv = await o.start();
      servers.push(srv);
    }
  }
  assert.deepEqual(unexpected, []);
  return { srv, servers, states, versions, acked };
}

/**
 * Every key of the ledger holds one of its possible states, whole (bytes, MD5, the CRC-64 the server states), and
 * every acknowledged version reads whole. Returns the keys of the unversioned bucket that are there now.
 */
export async function assertLedger(run: CrashRun, plainBucket: string, versionedBucket: string): Promise<Set<string>> {
  const plain = ossClient(run.srv, plainBucket);
  const present = new Set<string>();
  for (const [key, possible] of run.states) {
    let now = ABSENT;
    try {
      const got = await plain.get(key);
      const bytes = got.content as Buffer;
      now = md5(bytes);
      assert.equal(header(got.res, 'x-oss-hash-crc64ecma'), crc64(bytes).toString(), `${key}: CRC-64`);
      present.add(key);
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    assert.ok(possible.has(now), `${key}: ${now} is one of ${[...possible].join(', ')}`);
  }
  for (const [kv, sum] of run.versions) {
    const [key, versionId] = kv.split('@') as [string, string];
    const got = succeeds(await signedRequest(run.srv.port, 'GET', versionedBucket, key, [['versionId', versionId]]));
    assert.equal(md5(got.body), sum, `${kv}: an acknowledged version reads whole`);
  }
  return present;
}

/** One object or version as a listing names it. */
interface Listed {
  key: string;
  versionId?: string;
  isLatest?: boolean;
  size: number;
  etag: string;
  type: string;
}

/** The bytes of a listed object or version read whole: HEAD and GET agree with the listing, its MD5 and CRC-64 with the answer. */
async function assertReadsAsListed(c: OSS, o: Listed): Promise<void> {
  const opts = (o.versionId === undefined ? {} : { versionId: o.versionId }) as OSS.GetObjectOptions;
  const what = o.versionId === undefined ? o.key : `${o.key}@${o.versionId}`;
  const head = await c.head(o.key, opts);
  assert.equal(Number(header(head.res, 'content-length')), o.size, `${what}: HEAD's length is the listed size`);
  assert.equal(header(head.res, 'etag'), o.etag, `${what}: HEAD's ETag is the listed one`);
  const got = await c.get(o.key, undefined, opts);
  const bytes = got.content as Buffer;
  assert.equal(bytes.length, o.size, `${what}: GET's bytes are the listed size`);
  assert.equal(header(got.res, 'x-oss-hash-crc64ecma'), crc64(bytes).toString(), `${what}: CRC-64 of the bytes`);
  if (o.type === 'Normal') assert.equal(o.etag.replace(/"/g, '').toLowerCase(), md5(bytes), `${what}: the ETag is the MD5 of the bytes`);
}

/** What a bucket holds, as its listings say: objects or versions with data, delete markers, uploads and their parts. */
interface Holdings {
  data: Listed[];
  /** Keys of the delete markers. */
  markers: string[];
  uploads: number;
  parts: number;
  partBytes: number;
}

/** ali-oss's version listing (its typings lack it). */
interface VersionPage {
  objects: Array<{ name: string; versionId: string; isLatest: boolean; size: number; etag: string; type: string }>;
  deleteMarker: Array<{ name: string }>;
  isTruncated: boolean;
  nextKeyMarker: string | null;
  nextVersionIdMarker: string | null;
}

/** ali-oss gives one element of a repeated XML element as an object, several as an array. */
const many = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

async function holdings(c: OSS, versionedBucket: boolean): Promise<Holdings> {
  const out: Holdings = { data: [], markers: [], uploads: 0, parts: 0, partBytes: 0 };
  if (versionedBucket) {
    let keyMarker: string | null = null;
    let versionIdMarker: string | null = null;
    do {
      const q: Record<string, string> = { maxKeys: '1000', ...(keyMarker !== null ? { keyMarker, versionIdMarker: versionIdMarker ?? '' } : {}) };
      const r: VersionPage = await (c as unknown as { getBucketVersions(q: Record<string, string>): Promise<VersionPage> }).getBucketVersions(q);
      for (const v of r.objects) out.data.push({ key: v.name, versionId: v.versionId, isLatest: v.isLatest, size: v.size, etag: v.etag, type: v.type });
      out.markers.push(...r.deleteMarker.map((m) => m.name));
      keyMarker = r.isTruncated ? r.nextKeyMarker : null;
      versionIdMarker = r.nextVersionIdMarker;
    } while (keyMarker !== null);
  } else {
    let marker: string | undefined;
    do {
      const r = await c.list({ 'max-keys': 1000, ...(marker !== undefined ? { marker } : {}) }, {});
      for (const o of r.objects ?? []) out.data.push({ key: o.name, size: o.size, etag: o.etag, type: o.type });
      marker = r.isTruncated ? r.nextMarker : undefined;
    } while (marker !== undefined);
  }
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const r = await c.listUploads({ 'max-uploads': 1000, ...(keyMarker !== undefined ? { 'key-marker': keyMarker, 'upload-id-marker': uploadIdMarker } : {}) });
    for (const u of r.uploads ?? []) {
      out.uploads++;
      let partMarker: string | undefined;
      do {
        const query = { 'max-parts': 1000, ...(partMarker !== undefined ? { 'part-number-marker': partMarker } : {}) } as unknown as OSS.ListPartsQuery;
        const page = await c.listParts(u.name, u.uploadId, query);
        for (const p of many(page.parts as unknown as { Size: string } | Array<{ Size: string }>)) {
          out.parts++;
          out.partBytes += Number(p.Size);
        }
        partMarker = String(page.isTruncated) === 'true' ? String(page.nextPartNumberMarker) : undefined;
      } while (partMarker !== undefined);
    }
    keyMarker = r.isTruncated ? String(r.nextKeyMarker) : undefined;
    uploadIdMarker = String(r.nextUploadIdMarker);
  } while (keyMarker !== undefined);
  return out;
}

/**
 * Listings agree with HEAD and GET and with the ledger, and GetBucketStat with the listings:
 *  - the unversioned bucket lists exactly the keys found there (`present`), each reading whole as listed;
 *  - every version the versioned bucket lists reads whole as listed, a HEAD of each key answers its latest
 *    version (404 under a delete marker), and ListObjects names the keys whose latest version holds data;
 *  - each bucket's GetBucketStat counts what its listings hold: objects and versions with data and their bytes,
 *    delete markers, multipart uploads and their parts.
 * Returns how many objects and versions, and uploads, the buckets hold.
 */
export async function assertListingsAgree(srv: SpawnedServer, plainBucket: string, versionedBucket: string, present: ReadonlySet<string>): Promise<{ objects: number; uploads: number }> {
  let objects = 0;
  let uploads = 0;
  for (const [bucket, isVersioned] of [[plainBucket, false], [versionedBucket, true]] as const) {
    const held = await assertBucketAgrees(srv, bucket, isVersioned, isVersioned ? undefined : present);
    objects += held.objects;
    uploads += held.uploads;
  }
  return { objects, uploads };
}

/**
 * A key with a `.` or `..` path segment (`../`, `a/./b`) that ali-oss cannot address: its URL parser removes the
 * segment before sending, so the request names another path than the one it signed (SignatureDoesNotMatch, on OSS too).
 */
const hasDotSegment = (key: string): boolean => key.split('/').some((s) => s === '.' || s === '..');

/**
 * One bucket's part of assertListingsAgree: its listings agree with HEAD and GET (and, given `present`, name exactly
 * those keys), and its GetBucketStat with its listings.
 */
export async function assertBucketAgrees(srv: SpawnedServer, bucket: string, isVersioned: boolean, present?: ReadonlySet<string>): Promise<{ objects: number; uploads: number }> {
  const c = ossClient(srv, bucket);
  const held = await holdings(c, isVersioned);
  // A symlink's HEAD and GET answer its target, not what the listing says of the link itself.
  for (const o of held.data) {
    if (o.type === 'Symlink' || hasDotSegment(o.key)) continue;
    await assertReadsAsListed(c, o).catch((err: Error) => {
      throw new Error(`${bucket}/${JSON.stringify(o.key)}${o.versionId === undefined ? '' : `@${o.versionId}`}: ${err.message}`, { cause: err });
    });
  }
  if (!isVersioned) {
    if (present !== undefined) assert.deepEqual(held.data.map((o) => o.key).sort(), [...present].sort(), 'the listing names exactly the keys GET finds');
  } else {
    const latest = new Map(held.data.filter((v) => v.isLatest === true).map((v) => [v.key, v.versionId]));
    const links = new Set(held.data.filter((v) => v.isLatest === true && v.type === 'Symlink').map((v) => v.key));
    for (const key of new Set([...held.data.map((v) => v.key), ...held.markers])) {
      if (links.has(key) || hasDotSegment(key)) continue;
      const head = await c.head(key).then((r) => header(r.res, 'x-oss-version-id'), (err: { status?: number }) => {
        if (err.status !== 404) throw new Error(`${bucket}/${JSON.stringify(key)}: HEAD: ${String(err)}`, { cause: err });
        return undefined;
      });
      assert.equal(head, latest.get(key), `${key}: HEAD answers the latest listed version (none under a delete marker)`);
    }
    const current = (await c.list({ 'max-keys': 1000 }, {})).objects ?? [];
    assert.deepEqual(current.map((o) => o.name).sort(), [...latest.keys()].sort(), 'ListObjects names the keys whose latest version holds data');
  }
  const stat = (await (c as unknown as { getBucketStat(b: string): Promise<{ stat: Record<string, string> }> }).getBucketStat(bucket)).stat;
  const bytes = held.data.reduce((n, o) => n + o.size, 0);
  const figures = ['Storage', 'ObjectCount', 'DeleteMarkerCount', 'MultipartUploadCount', 'MultipartPartCount', 'MultipartPartStorage'];
  assert.deepEqual(
    Object.fromEntries(figures.map((f) => [f, Number(stat[f])])),
    { Storage: bytes + held.partBytes, ObjectCount: held.data.length, DeleteMarkerCount: held.markers.length, MultipartUploadCount: held.uploads, MultipartPartCount: held.parts, MultipartPartStorage: held.partBytes },
    `${bucket}: GetBucketStat agrees with the listings`,
  );
  return { objects: held.data.length, uploads: held.uploads };
}

/** Deletes every object, version and multipart upload of `buckets` through the API (raw requests: no client batching). */
export async function deleteEverything(srv: SpawnedServer, buckets: readonly string[]): Promise<void> {
  for (const bucket of buckets) {
    const c = ossClient(srv, bucket);
    for (;;) {
      const page = await c.list({ 'max-keys': '1000' }, {});
      const keys = (page.objects ?? []).map((o) => o.name);
      if (keys.length === 0) break;
      await c.deleteMulti(keys, { quiet: true });
    }
    const listed = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['versions', ''], ['max-keys', '1000']])).text;
    for (const m of listed.matchAll(/<(?:Version|DeleteMarker)><Key>([^<]+)<\/Key><VersionId>([^<]+)<\/VersionId>/g)) {
      succeeds(await signedRequest(srv.port, 'DELETE', bucket, m[1]!, [['versionId', m[2]!]]), 204);
    }
    const uploads = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['uploads', ''], ['max-uploads', '1000']])).text;
    for (const m of uploads.matchAll(/<Upload><Key>([^<]+)<\/Key><UploadId>([^<]+)<\/UploadId>/g)) {
      succeeds(await signedRequest(srv.port, 'DELETE', bucket, m[1]!, [['uploadId', m[2]!]]), 204);
    }
    assert.doesNotMatch(succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['versions', '']])).text, /<Version>|<DeleteMarker>/);
  }
}
