// Round trips between Alunite and PostgreSQL per small request, counted on the wire (test/helpers/pg-round-trips.ts),
// and the write that goes out with its COMMIT meeting a row another transaction inserted meanwhile.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import pg from 'pg';
import type { ObjectRecord } from '../src/domain/model.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { roundTripProxy, type RoundTripProxy } from './helpers/pg-round-trips.js';
import { testPostgres } from './helpers/postgres.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

/** `url` with its host and port those of the proxy. */
function through(url: string, proxy: RoundTripProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/** A server on a fresh database of the test PostgreSQL, through a round-trip proxy. */
async function serverThroughProxy(opts: Parameters<typeof startTestServer>[0] = {}): Promise<{ proxy: RoundTripProxy; srv: TestServer }> {
  const url = await (await testPostgres()).freshUrl();
  const u = new URL(url);
  const proxy = await roundTripProxy(u.hostname, Number(u.port));
  return { proxy, srv: await startTestServer({ ...opts, meta: through(url, proxy) }) };
}

const N = 30;
// Background work (the statistics fold, AccessKey last-use notes, ...) adds a few round trips of its own.
const within = (trips: number, each: number): boolean => trips <= each * N + N / 2;
/** Round trips of N requests made one after the other. */
async function tripsThrough(proxy: RoundTripProxy, send: (i: number) => Promise<unknown>): Promise<number> {
  proxy.reset();
  for (let i = 0; i < N; i++) await send(i);
  return proxy.counts().roundTrips;
}

describe('round trips to PostgreSQL per request (one request at a time: each also reads the shared counters once)', () => {
  let proxy: RoundTripProxy;
  let srv: TestServer;
  before(async () => {
    ({ proxy, srv } = await serverThroughProxy());
    await srv.client().putBucket('trips');
  });
  after(async () => {
    await srv?.stop();
    await proxy?.close();
  });

  const tripsOf = (send: (i: number) => Promise<unknown>): Promise<number> => tripsThrough(proxy, send);

  it('PutObject of a new key and an overwrite: 3 (the counters; BEGIN with the bucket and row locks; the write with its COMMIT)', async () => {
    const c = srv.client({ bucket: 'trips' });
    // Warm: the pool's connections opened, the named statements prepared.
    for (let i = 0; i < 3; i++) await c.put(`warm-${i}`, Buffer.from('w'));
    const created = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('x')));
    const overwritten = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('y')));
    // Before, each PUT took 5: BEGIN, the locks, the write and COMMIT each waited for.
    assert.ok(within(created, 3), `new keys: ${created} round trips for ${N} PUTs`);
    assert.ok(within(overwritten, 3), `overwrites: ${overwritten} round trips for ${N} PUTs`);
    assert.equal((await c.get('k-7')).content.toString(), 'y');
  });

  it('UploadPart: 4 (the counters; the upload, read before the body; BEGIN with the upload\'s lock and the part it replaces; the part\'s row with its COMMIT)', async () => {
    const c = srv.client({ bucket: 'trips' });
    const { uploadId } = await c.initMultipartUpload('mpu');
    const body = Buffer.from('p'.repeat(100));
    await c.uploadPart('mpu', uploadId, 1, body, 0, body.length);
    const created = await tripsOf((i) => c.uploadPart('mpu', uploadId, i + 2, body, 0, body.length));
    const replaced = await tripsOf((i) => c.uploadPart('mpu', uploadId, i + 2, body, 0, body.length));
    // Before, each took 6: BEGIN with the lock, the read of the part replaced, the write and COMMIT each waited for.
    assert.ok(within(created, 4), `new parts: ${created} round trips for ${N} UploadParts`);
    assert.ok(within(replaced, 4), `parts uploaded again: ${replaced} round trips for ${N} UploadParts`);
    const parts = await c.listParts('mpu', uploadId);
    assert.equal(parts.parts.length, N + 1);
  });

  it('PutObject into a versioned bucket, new keys and new versions: 4 (the counters; BEGIN with the bucket\'s lock; the key\'s lock with its reads; the writes with their COMMIT)', async () => {
    await srv.client().putBucket('trips-v');
    await (srv.client() as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('trips-v', 'Enabled');
    const c = srv.client({ bucket: 'trips-v' });
    for (let i = 0; i < 3; i++) await c.put(`warm-${i}`, Buffer.from('w'));
    const created = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('x')));
    const versioned = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('y')));
    // Before: 7 and 8 (the key's lock, its current row, its newest version, each write and COMMIT waited for).
    assert.ok(within(created, 4), `new keys: ${created} round trips for ${N} PUTs`);
    assert.ok(within(versioned, 4), `new versions: ${versioned} round trips for ${N} PUTs`);
    assert.equal((await c.get('k-7')).content.toString(), 'y');
    const versions = await (c as unknown as { getBucketVersions(q: Record<string, string>): Promise<{ objects: Array<{ name: string; isLatest: boolean }> }> })
      .getBucketVersions({ prefix: 'k-7' });
    assert.deepEqual(versions.objects.map((o) => o.isLatest).sort(), [false, true]);
  });

  it('DeleteObject in a versioned bucket, a delete marker over an object and over a marker: 4 (the counters; the unversioned delete that finds versioning; BEGIN with the versioning, the key\'s lock and its reads; the writes with their COMMIT)', async () => {
    await srv.client().putBucket('trips-vd');
    await (srv.client() as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('trips-vd', 'Enabled');
    const c = srv.client({ bucket: 'trips-vd' });
    for (let i = 0; i < N; i++) await c.put(`k-${i}`, Buffer.from('x'));
    await c.delete('warm').catch(() => undefined);
    const overObject = await tripsOf((i) => c.delete(`k-${i}`));
    const overMarker = await tripsOf((i) => c.delete(`k-${i}`));
    // Before: 10 and 10 (the versioning read, the key's lock, its current row, its newest version, each write and COMMIT waited for).
    assert.ok(within(overObject, 4), `delete markers over objects: ${overObject} round trips for ${N} DELETEs`);
    assert.ok(within(overMarker, 4), `delete markers over markers: ${overMarker} round trips for ${N} DELETEs`);
    await assert.rejects(c.get('k-7'), { status: 404 });
    const versions = await (c as unknown as { getBucketVersions(q: Record<string, string>): Promise<{ objects: unknown[]; deleteMarker: Array<{ versionId: string }> }> })
      .getBucketVersions({ prefix: 'k-7' });
    assert.equal(versions.objects.length, 1);
    assert.equal(new Set(versions.deleteMarker.map((m) => m.versionId)).size, 2);
  });

  it('CompleteMultipartUpload: 4 (the counters; the upload read; BEGIN with the upload\'s lock, its parts, the bucket and the object row; the write and the upload\'s removal with their COMMIT)', async () => {
    const c = srv.client({ bucket: 'trips' });
    const body = Buffer.from('m'.repeat(100));
    const uploads: Array<{ key: string; uploadId: string; etag: string }> = [];
    for (let i = 0; i < N; i++) {
      const key = `mpu-${i % 15}`; // half of them new keys, half over the object the first half made
      const { uploadId } = await c.initMultipartUpload(key);
      const { etag } = await c.uploadPart(key, uploadId, 1, body, 0, body.length);
      uploads.push({ key, uploadId, etag });
    }
    const trips = await tripsOf((i) => c.completeMultipartUpload(uploads[i]!.key, uploads[i]!.uploadId, [{ number: 1, etag: uploads[i]!.etag }]));
    assert.ok(within(trips, 4), `${trips} round trips for ${N} CompleteMultipartUploads`);
    assert.equal((await c.get('mpu-3')).content.toString(), body.toString());
    assert.equal((await c.listUploads({ prefix: 'mpu-' })).uploads.length, 0);
  });

  it('DeleteObject naming a version, a current delete marker, a current object and a noncurrent version: 3 (the counters; BEGIN with the versioning, the key\'s lock and the rows behind it; the removal, the promotion and the COMMIT)', async () => {
    await srv.client().putBucket('trips-dv');
    await (srv.client() as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('trips-dv', 'Enabled');
    const c = srv.client({ bucket: 'trips-dv' });
    const idOf = (r: unknown): string => String((r as { res: { headers: Record<string, string> } }).res.headers['x-oss-version-id']);
    const ids: Array<{ v1: string; v2: string; marker: string }> = [];
    for (let i = 0; i < N; i++) {
      const v1 = idOf(await c.put(`k-${i}`, Buffer.from('v1')));
      const v2 = idOf(await c.put(`k-${i}`, Buffer.from('v2')));
      ids.push({ v1, v2, marker: idOf(await c.delete(`k-${i}`)) });
    }
    const del = (key: string, versionId: string): Promise<unknown> => c.delete(key, { versionId } as Parameters<typeof c.delete>[1]);
    // The marker goes and v2 becomes current again; then v2 goes and v1 becomes current; then v1, noncurrent under v3.
    const markers = await tripsOf((i) => del(`k-${i}`, ids[i]!.marker));
    assert.equal((await c.get('k-7')).content.toString(), 'v2');
    const currents = await tripsOf((i) => del(`k-${i}`, ids[i]!.v2));
    assert.equal((await c.get('k-7')).content.toString(), 'v1');
    for (let i = 0; i < N; i++) await c.put(`k-${i}`, Buffer.from('v3'));
    const noncurrents = await tripsOf((i) => del(`k-${i}`, ids[i]!.v1));
    // Before: 8, 7 and 5 (the version's row, its removal, the next newest version and its promotion, each waited for).
    assert.ok(within(markers, 3), `current delete markers: ${markers} round trips for ${N} DELETEs`);
    assert.ok(within(currents, 3), `current objects: ${currents} round trips for ${N} DELETEs`);
    assert.ok(within(noncurrents, 3), `noncurrent versions: ${noncurrents} round trips for ${N} DELETEs`);
    assert.equal((await c.get('k-7')).content.toString(), 'v3');
    const versions = await (c as unknown as { getBucketVersions(q: Record<string, string>): Promise<{ objects: Array<{ isLatest: boolean }>; deleteMarker: unknown[] }> })
      .getBucketVersions({ prefix: 'k-7' });
    assert.deepEqual(versions.objects.map((o) => o.isLatest), [true]);
    assert.equal(versions.deleteMarker.length, 0);
  });

  it('PutObject and DeleteObject in a Suspended bucket: the writes sent together, with the COMMIT unless the null version they delete is read back', async () => {
    const versioning = (status: string): Promise<unknown> =>
      (srv.client() as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('trips-s', status);
    await srv.client().putBucket('trips-s');
    await versioning('Enabled');
    const c = srv.client({ bucket: 'trips-s' });
    for (let i = 0; i < N; i++) await c.put(`k-${i}`, Buffer.from('e'));
    await versioning('Suspended');
    // Over a versioned object: moved to the versions, the null version deleted and read back, the new row; then COMMIT.
    const overVersioned = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('s1')));
    // Over the null version: overwritten in place, with the COMMIT.
    const overNull = await tripsOf((i) => c.put(`k-${i}`, Buffer.from('s2')));
    // A null delete marker over the null version, with the COMMIT; then one over that marker (deleted and read back).
    const markOverNull = await tripsOf((i) => c.delete(`k-${i}`));
    const markOverMarker = await tripsOf((i) => c.delete(`k-${i}`));
    // Before: 7, 5, 5 and 7 (each write and the COMMIT waited for).
    assert.ok(within(overVersioned, 5), `PUTs over versioned objects: ${overVersioned} round trips for ${N}`);
    assert.ok(within(overNull, 4), `PUTs over null versions: ${overNull} round trips for ${N}`);
    assert.ok(within(markOverNull, 4), `DELETEs over null versions: ${markOverNull} round trips for ${N}`);
    assert.ok(within(markOverMarker, 5), `DELETEs over null delete markers: ${markOverMarker} round trips for ${N}`);
    await assert.rejects(c.get('k-7'), { status: 404 });
    const versions = await (c as unknown as { getBucketVersions(q: Record<string, string>): Promise<{ objects: Array<{ versionId: string }>; deleteMarker: Array<{ versionId: string }> }> })
      .getBucketVersions({ prefix: 'k-7' });
    assert.equal(versions.objects.length, 1);
    assert.notEqual(versions.objects[0]!.versionId, 'null');
    assert.deepEqual(versions.deleteMarker.map((m) => m.versionId), ['null']);
  });

  it('DeleteObject naming a version whose blob another version shares: the blob stays until the last version referencing it goes', async () => {
    await srv.client().putBucket('trips-dvs');
    await (srv.client() as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning('trips-dvs', 'Enabled');
    const c = srv.client({ bucket: 'trips-dvs' });
    const idOf = (r: unknown): string => String((r as { res: { headers: Record<string, string> } }).res.headers['x-oss-version-id']);
    const body = Buffer.alloc(100 * 1024, 'b'); // above the inline size: a blob file
    const blobs = async (): Promise<number> => (await readdir(srv.dataDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && e.name.length >= 32).length;
    const before = await blobs();
    const v1 = idOf(await c.put('big', body));
    const v2 = idOf(await c.copy('big', 'big')); // a new version sharing v1's blob
    assert.equal(await blobs(), before + 1);
    const del = (versionId: string): Promise<unknown> => c.delete('big', { versionId } as Parameters<typeof c.delete>[1]);
    await del(v2); // the current version: v1 becomes current again, the blob stays
    assert.deepEqual((await c.get('big')).content, body);
    assert.equal(await blobs(), before + 1);
    const v3 = idOf(await c.copy('big', 'big'));
    await del(v1); // a noncurrent version: v3 still references the blob
    assert.deepEqual((await c.get('big', { versionId: v3 } as Parameters<typeof c.get>[1])).content, body);
    await del(v3); // the last one
    assert.equal(await blobs(), before);
  });

  it('GetObject, HeadObject and DeleteObject: 2 each', async () => {
    const c = srv.client({ bucket: 'trips' });
    for (const [what, send] of [
      ['GET', (i: number) => c.get(`k-${i}`)],
      ['HEAD', (i: number) => c.head(`k-${i}`)],
      ['DELETE', (i: number) => c.delete(`k-${i}`)],
      ['DELETE of keys already gone', (i: number) => c.delete(`k-${i}`)],
    ] as const) {
      const trips = await tripsOf(send);
      assert.ok(within(trips, 2), `${what}: ${trips} round trips for ${N} requests`);
    }
  });
});

describe('round trips of a DeleteObject under a bucket\'s retention policy (WORM; a retention day is a minute here)', () => {
  const DAY_MS = 60_000;
  let proxy: RoundTripProxy;
  let srv: TestServer;
  let offset = 0;
  before(async () => {
    ({ proxy, srv } = await serverThroughProxy({ clock: () => Date.now() + offset, timing: { retentionDayMs: DAY_MS } }));
  });
  after(async () => {
    await srv?.stop();
    await proxy?.close();
  });

  it('a delete the retention refuses and one it allows: 3 each (the counters; BEGIN with the versioning, the key\'s lock and the row locked; the removal with its COMMIT, or the ROLLBACK)', async () => {
    const c = srv.client({ bucket: 'trips-worm' }) as unknown as OSS & {
      initiateBucketWorm(n: string, d: string): Promise<{ wormId: string }>; completeBucketWorm(n: string, id: string): Promise<unknown>;
    };
    await c.putBucket('trips-worm');
    await c.completeBucketWorm('trips-worm', (await c.initiateBucketWorm('trips-worm', '1')).wormId);
    for (let i = 0; i < N; i++) await c.put(`k-${i}`, Buffer.from('x'));
    const refused = await tripsThrough(proxy, (i) => assert.rejects(c.delete(`k-${i}`), { status: 409, code: 'FileImmutable' }));
    offset += 2 * DAY_MS; // past the retention: the deletes go through
    const allowed = await tripsThrough(proxy, (i) => c.delete(`k-${i}`));
    // Before: 4 and 5 (the versioning read, the row's lock, the delete and the COMMIT each waited for).
    assert.ok(within(refused, 3), `refused: ${refused} round trips for ${N} DELETEs`);
    assert.ok(within(allowed, 3), `allowed: ${allowed} round trips for ${N} DELETEs`);
    assert.equal((await c.list({ prefix: 'k-', 'max-keys': 1000 }, {})).objects?.length ?? 0, 0);
  });
});

describe('a new key\'s insert sent with its COMMIT, meeting the row another transaction inserted meanwhile', () => {
  let url: string;
  let store: PostgresMetadataStore;
  let raw: pg.Client;
  before(async () => {
    url = await (await testPostgres()).freshUrl();
    store = await PostgresMetadataStore.open({ url, durable: false });
    raw = new pg.Client({ connectionString: url });
    await raw.connect();
  });
  after(async () => {
    await raw?.end();
    await store?.close();
  });

  const record = (key: string, etag: string): ObjectRecord => ({
    bucket: 'ins', key, size: 1, etag, crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
    lastModified: Date.now(), headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], inline: Buffer.from(etag), symlinkTarget: null,
  });

  it('the transaction that inserted nothing is run again and decides against the winner\'s row', async () => {
    await store.createBucket({ name: 'ins', ownerAccountId: ACCOUNT_ID, createdAt: Date.now(), region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
    await store.putObject('ins', 'seed', () => record('seed', 'WINNER'));
    // Another transaction inserts the key (a copy of the seed's row) and holds it uncommitted.
    const columns = 'size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments, symlink_target, inline_data, attrs, version_id';
    await raw.query('BEGIN');
    await raw.query(`INSERT INTO objects (bucket, key, ${columns}) SELECT bucket, $1, ${columns} FROM objects WHERE bucket = 'ins' AND key = $2`, [Buffer.from('k'), Buffer.from('seed')]);
    const seen: Array<string | null> = [];
    const put = store.putObject('ins', 'k', (current) => {
      seen.push(current?.etag ?? null);
      return record('k', 'LATE');
    });
    // The store's insert waits for that row's transaction (the unique key): commit it then.
    for (let i = 0; ; i++) {
      const { rows } = await raw.query<{ n: number }>(
        // This database's sessions only: under npm test the server is shared with the other test process (test/run.ts).
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'transactionid' AND pid <> pg_backend_pid() AND datname = current_database()",
      );
      if (rows[0]!.n > 0) break;
      assert.ok(i < 2000, 'the store\'s insert never waited for the uncommitted row');
      await new Promise((r) => setTimeout(r, 5));
    }
    await raw.query('COMMIT');
    const out = await put;
    // First decided on no row; its insert did nothing, so its transaction ran again and saw the winner's.
    assert.deepEqual(seen, [null, 'WINNER']);
    assert.equal(out.replaced?.etag, 'WINNER');
    assert.equal((await store.getObject('ins', 'k'))?.etag, 'LATE');
  });
});
