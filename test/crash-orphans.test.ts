// A bin/alunite server (SQLite) killed with SIGKILL at seeded points of a concurrent load, restarted on the same data
// three times; then nothing acknowledged is lost, nothing half-written is visible, and the start-up collector left
// no orphan: once every object, version and upload is deleted through the API, blobs/ and tmp/ hold no file (a
// blob no record refers to would survive those deletes).
// The load, each worker on its own keys so a ledger knows each key's possible states: PUT (0 B–300 KB: inline and
// file blobs), multipart (2 parts + complete), copy, delete, append (two appends after a delete), and in a versioned
// bucket PUTs and delete markers. A kill comes after a seeded number of acknowledged operations (no clock). A
// request cut by the kill may or may not have happened: its outcome joins the key's possible states.
// PostgreSQL (a collector by grace period, two processes) is test/pg-crash-two-processes.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import { crc64 } from '../src/util/crc64.js';
import { mulberry32 } from './helpers/seeded-random.js';
import { AK, SECRET } from './helpers/server.js';
import { signedRequest, succeeds } from './helpers/signed.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.CRASH_SEED ?? 4242);
const KILLS = 3;
const WORKERS = 4;
const PLAIN = 'orphans-plain';
const VERSIONED = 'orphans-versioned';
const ABSENT = 'absent';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function isNetworkError(err: unknown): boolean {
  const e = err as { status?: number; code?: string; name?: string; message?: string };
  if (typeof e.status === 'number' && e.status > 0) return false;
  return /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|RequestError|ConnectionTimeout|ResponseTimeout|other side closed/i.test(`${e.code ?? ''} ${e.name ?? ''} ${e.message ?? ''}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('SIGKILL at seeded points under concurrent writes (SQLite): nothing lost, nothing partial, no orphan blob', () => {
  it(`${KILLS} kills (seed ${SEED})`, { timeout: 240_000 }, async (t) => {
    const dataDir = await tempDir('alunite-crash-orphans-');
    let srv: SpawnedServer = await spawnServer(['--data', dataDir]);
    const client = (bucket: string): OSS => new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket, timeout: 60_000 } as OSS.Options);
    const rnd = mulberry32(SEED);
    const pick = (n: number): number => Math.floor(rnd() * n);
    try {
      await client(PLAIN).putBucket(PLAIN);
      await client(VERSIONED).putBucket(VERSIONED);
      succeeds(await signedRequest(srv.port, 'PUT', VERSIONED, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));

      /** Each plain key's possible states (ABSENT or the MD5 of its bytes); acknowledged versions and their MD5. */
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

      for (let cycle = 0; cycle <= KILLS; cycle++) {
        let stop = false;
        const killAfter = acked + 30 + pick(60);
        const worker = async (w: number, r: () => number): Promise<void> => {
          const p = (n: number): number => Math.floor(r() * n);
          while (!stop) {
            const key = `w${w}/k${p(4)}`;
            const body = Buffer.alloc(p(5) === 0 ? 0 : p(300_000), `${cycle}.${w}.${p(1e6)}.`);
            const c = client(PLAIN);
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
                const v = client(VERSIONED);
                if (p(3) === 0) {
                  await attempt([], async () => void (await v.delete(key)));
                } else {
                  await attempt([], async () => {
                    const res = await v.put(key, body);
                    const id = res.res.headers['x-oss-version-id' as keyof typeof res.res.headers] as unknown as string;
                    versions.set(`${key}@${id}`, md5(body));
                  });
                }
              }
            }
            if (acked >= killAfter && cycle < KILLS && !stop) {
              stop = true;
              await kill9(srv.child);
            }
          }
        };
        if (cycle === KILLS) {
          // The last cycle runs a while without a kill, then stops.
          const until = acked + 40;
          await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, (() => { const r = mulberry32(SEED + cycle * 10 + w); return () => { if (acked >= until) stop = true; return r(); }; })())));
        } else {
          await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, mulberry32(SEED + cycle * 10 + w))));
          srv = await spawnServer(['--data', dataDir]);
        }
      }
      assert.deepEqual(unexpected, []);

      // Every key holds one of its possible states, whole: bytes, MD5, the CRC-64 the server states.
      const plain = client(PLAIN);
      for (const [key, possible] of states) {
        let now = ABSENT;
        try {
          const got = await plain.get(key);
          const bytes = got.content as Buffer;
          now = md5(bytes);
          const crc = got.res.headers['x-oss-hash-crc64ecma' as keyof typeof got.res.headers] as unknown as string;
          assert.equal(crc, crc64(bytes).toString(), `${key}: CRC-64`);
        } catch (err) {
          if ((err as { status?: number }).status !== 404) throw err;
        }
        assert.ok(possible.has(now), `${key}: ${now} is one of ${[...possible].join(', ')}`);
      }
      for (const [kv, sum] of versions) {
        const [key, versionId] = kv.split('@') as [string, string];
        const got = succeeds(await signedRequest(srv.port, 'GET', VERSIONED, key, [['versionId', versionId]]));
        assert.equal(md5(got.body), sum, `${kv}: an acknowledged version reads whole`);
      }
      t.diagnostic(`${acked} operations acknowledged over ${KILLS} kills; ${states.size} keys, ${versions.size} versions checked`);

      // Delete everything through the API: then no blob file may be left (an orphan would survive these deletes).
      for (;;) {
        const page = await plain.list({ 'max-keys': '1000' }, {});
        const keys = (page.objects ?? []).map((o) => o.name);
        if (keys.length === 0) break;
        await plain.deleteMulti(keys, { quiet: true });
      }
      for (const bucket of [PLAIN, VERSIONED]) {
        const listed = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['versions', ''], ['max-keys', '1000']])).text;
        for (const m of listed.matchAll(/<(?:Version|DeleteMarker)><Key>([^<]+)<\/Key><VersionId>([^<]+)<\/VersionId>/g)) {
          succeeds(await signedRequest(srv.port, 'DELETE', bucket, m[1]!, [['versionId', m[2]!]]), 204);
        }
        const uploads = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['uploads', ''], ['max-uploads', '1000']])).text;
        for (const m of uploads.matchAll(/<Upload><Key>([^<]+)<\/Key><UploadId>([^<]+)<\/UploadId>/g)) {
          succeeds(await signedRequest(srv.port, 'DELETE', bucket, m[1]!, [['uploadId', m[2]!]]), 204);
        }
      }
      assert.doesNotMatch(succeeds(await signedRequest(srv.port, 'GET', VERSIONED, null, [['versions', '']])).text, /<Version>|<DeleteMarker>/);
      assert.deepEqual(await filesUnder(join(dataDir, 'blobs')), [], 'no blob file left once everything is deleted');
      assert.deepEqual(await filesUnder(join(dataDir, 'tmp')), [], 'no temporary file left');
      assert.doesNotMatch(srv.stderr(), /internal error/);
    } finally {
      await kill9(srv.child);
    }
  });
});
