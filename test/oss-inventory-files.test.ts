// Inventory files (docs/inventory.md): a configuration stored through PutBucketInventory makes the inventory
// worker write gzip CSV data files and a manifest.json to the destination bucket, with the configured fields and
// filters, once per period (a test clock moves time; RunningServer.inventory.runOnce() triggers the check, as
// the lifecycle tests drive their worker). Read back through ali-oss. PostgreSQL: test/pg-inventory-files.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const SRC = 'inv-source';
const DEST = 'inv-dest';
// A "day" of one minute (the inventory's dayMs), so the test clock stays within the signatures' 15-minute skew.
const DAY = 60_000;
const labelOf = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace(':', '-')}Z`;

async function putInventory(srv: TestServer, bucket: string, xml: string, creds: [string, string] = [AK, SECRET]): Promise<{ status: number; text: string }> {
  const id = /<Id>([^<]*)<\/Id>/.exec(xml)![1]!;
  const query: Array<[string, string]> = [['inventory', ''], ['inventoryId', id]];
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-length': String(Buffer.byteLength(xml)) };
  headers.authorization = v1Authorization({ method: 'PUT', bucket, key: null, query, headers }, creds[0], creds[1]).authorization;
  const res = await rawRequest(srv.port, { method: 'PUT', path: `/${bucket}/?inventory&inventoryId=${id}`, headers, body: xml });
  return { status: res.status, text: `${res.body.toString('utf8')} ${JSON.stringify(errorOf(res))}` };
}

/** Status of a root GetBucketInventory / DeleteBucketInventory (signed raw request). */
async function rawInventory(srv: TestServer, method: 'GET' | 'DELETE', bucket: string, id: string): Promise<number> {
  const query: Array<[string, string]> = [['inventory', ''], ['inventoryId', id]];
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
  headers.authorization = v1Authorization({ method, bucket, key: null, query, headers }, AK, SECRET).authorization;
  return (await rawRequest(srv.port, { method, path: `/${bucket}/?inventory&inventoryId=${id}`, headers })).status;
}
const rawGet = (srv: TestServer, bucket: string, id: string): Promise<number> => rawInventory(srv, 'GET', bucket, id);
const rawDelete = (srv: TestServer, bucket: string, id: string): Promise<number> => rawInventory(srv, 'DELETE', bucket, id);

function inventoryXml(opts: { id: string; dest?: string; prefix?: string; filter?: string; fields?: string[]; versions?: 'All' | 'Current'; frequency?: 'Daily' | 'Weekly'; accountId?: string; enabled?: boolean }): string {
  return `<InventoryConfiguration><Id>${opts.id}</Id><IsEnabled>${opts.enabled ?? true}</IsEnabled>`
    + `<Destination><OSSBucketDestination><Format>CSV</Format><AccountId>${opts.accountId ?? ACCOUNT_ID}</AccountId>`
    + `<RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${opts.dest ?? DEST}</Bucket>`
    + `${opts.prefix !== undefined ? `<Prefix>${opts.prefix}</Prefix>` : ''}</OSSBucketDestination></Destination>`
    + `<Schedule><Frequency>${opts.frequency ?? 'Daily'}</Frequency></Schedule>${opts.filter ?? ''}`
    + `<IncludedObjectVersions>${opts.versions ?? 'Current'}</IncludedObjectVersions>`
    + `<OptionalFields>${(opts.fields ?? []).map((f) => `<Field>${f}</Field>`).join('')}</OptionalFields></InventoryConfiguration>`;
}

/** CSV rows of a data file: every cell double-quoted. */
function rowsOf(gz: Buffer): string[][] {
  return gunzipSync(gz).toString('utf8').split('\n').filter((l) => l !== '').map((l) => [...l.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"')));
}

interface Manifest {
  creationTimestamp: string;
  destinationBucket: string;
  sourceBucket: string;
  fileFormat: string;
  fileSchema: string;
  files: Array<{ key: string; size: number; MD5checksum: string }>;
}

describe('inventory files', () => {
  let srv: TestServer;
  let client: OSS;
  let now = Date.now() - 20_000;
  const t0 = now;

  before(async () => {
    srv = await startTestServer({ clock: () => now, inventory: { intervalMs: 0, rowsPerFile: 2, dayMs: DAY } });
    client = srv.client();
    await client.putBucket(SRC);
    await client.putBucket(DEST);
    client.useBucket(SRC);
    await client.put('a/1.txt', Buffer.from('one'));
    await client.put('a/2.txt', Buffer.from('two two two'));
    await client.put('a/key with space,"q".txt', Buffer.from('quoted'));
    await client.put('a/cold.txt', Buffer.from('cold data'), { headers: { 'x-oss-storage-class': 'IA' } });
    await client.put('b/other.txt', Buffer.from('elsewhere'));
    now += 90_000; // a minute and a half later
    await client.put('a/late.txt', Buffer.from('late'));
  });
  after(async () => {
    await srv?.stop();
  });

  const listDest = async (prefix: string): Promise<string[]> => {
    client.useBucket(DEST);
    try {
      const r = await client.listV2({ prefix, 'max-keys': '1000' }, {}) as unknown as { objects?: Array<{ name: string }> };
      return (r.objects ?? []).map((o) => o.name);
    } finally {
      client.useBucket(SRC);
    }
  };
  const getDest = async (key: string): Promise<Buffer> => {
    client.useBucket(DEST);
    try {
      return (await client.get(key)).content as Buffer;
    } finally {
      client.useBucket(SRC);
    }
  };

  test('a due inventory writes gzip CSV files (rowsPerFile each) and a manifest under the documented paths', async () => {
    const put = await putInventory(srv, SRC, inventoryXml({ id: 'inv1', prefix: 'reports', filter: '<Filter><Prefix>a/</Prefix></Filter>', fields: ['Size', 'ETag', 'StorageClass', 'IsMultipartUploaded', 'LastModifiedDate'] }));
    assert.equal(put.status, 200, put.text);
    const results = await srv.inventory!.runOnce();
    assert.deepEqual(results.map((r) => [r.bucket, r.id, r.status, r.rows]), [[SRC, 'inv1', 'Done', 5]]);
    const label = labelOf(now);
    assert.equal(results[0]!.manifest, `reports/${SRC}/inv1/${label}/manifest.json`);

    const dataKeys = await listDest(`reports/${SRC}/inv1/data/`);
    assert.equal(dataKeys.length, 3, `5 rows, 2 per file: ${dataKeys.join(' ')}`);
    const manifest = JSON.parse((await getDest(results[0]!.manifest!)).toString('utf8')) as Manifest;
    assert.equal(manifest.sourceBucket, SRC);
    assert.equal(manifest.destinationBucket, DEST);
    assert.equal(manifest.fileFormat, 'CSV');
    assert.equal(manifest.creationTimestamp, String(Math.floor(now / 1000)));
    assert.equal(manifest.fileSchema, 'Bucket, Key, Size, ETag, StorageClass, IsMultipartUploaded, LastModifiedDate');
    assert.deepEqual(manifest.files.map((f) => f.key).sort(), [...dataKeys].sort());

    const rows: string[][] = [];
    for (const f of manifest.files) {
      const gz = await getDest(f.key);
      assert.equal(f.size, gz.length);
      assert.equal(f.MD5checksum, createHash('md5').update(gz).digest('hex').toUpperCase());
      rows.push(...rowsOf(gz));
    }
    // Key order, URL-encoded keys, only the filter's prefix; the configured fields in the configured order.
    assert.deepEqual(rows.map((r) => decodeURIComponent(r[1]!)), ['a/1.txt', 'a/2.txt', 'a/cold.txt', 'a/key with space,"q".txt', 'a/late.txt']);
    assert.ok(rows.every((r) => r[0] === SRC && r.length === 7));
    assert.equal(rows[0]![1], 'a%2F1.txt');
    assert.deepEqual(rows[0]!.slice(2, 6), ['3', createHash('md5').update('one').digest('hex').toUpperCase(), 'Standard', 'false']);
    assert.equal(rows[2]![4], 'IA');
    assert.equal(rows[4]![6], new Date(now).toISOString());
    assert.equal(rows[0]![6], new Date(t0).toISOString());
  });

  test('runs once per period: not again the same day, again a day later (Weekly: a week later)', async () => {
    assert.deepEqual(await srv.inventory!.runOnce(), []);
    now += DAY - 1000;
    assert.deepEqual(await srv.inventory!.runOnce(), []);
    now += 1000;
    const again = await srv.inventory!.runOnce();
    assert.deepEqual(again.map((r) => [r.id, r.status]), [['inv1', 'Done']]);
    assert.equal(again[0]!.manifest, `reports/${SRC}/inv1/${labelOf(now)}/manifest.json`);

    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'weekly', prefix: 'w', frequency: 'Weekly' }))).status, 200);
    assert.deepEqual((await srv.inventory!.runOnce()).map((r) => r.id), ['weekly']);
    now += DAY;
    assert.deepEqual((await srv.inventory!.runOnce()).map((r) => r.id), ['inv1']);
    now += 6 * DAY;
    assert.deepEqual((await srv.inventory!.runOnce()).map((r) => r.id).sort(), ['inv1', 'weekly']);
  });

  test('filters: modification times, size bounds, storage classes; all versions; disabled configurations write nothing', async () => {
    const from = Math.floor((t0 + 45_000) / 1000);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'late', prefix: 'f', filter: `<Filter><LastModifyBeginTimeStamp>${from}</LastModifyBeginTimeStamp></Filter>`, fields: ['Size'] }))).status, 200);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'sizes', prefix: 'f', filter: '<Filter><LowerSizeBound>4</LowerSizeBound><UpperSizeBound>9</UpperSizeBound></Filter>', fields: ['Size'] }))).status, 200);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'ia', prefix: 'f', filter: '<Filter><StorageClass>IA,Archive</StorageClass></Filter>' }))).status, 200);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'versions', prefix: 'f', versions: 'All', filter: '<Filter><Prefix>b/</Prefix></Filter>' }))).status, 200);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'off', prefix: 'f', enabled: false }))).status, 200);
    const results = new Map((await srv.inventory!.runOnce()).map((r) => [r.id, r]));
    assert.equal(results.has('off'), false);
    const keysOf = async (id: string): Promise<string[][]> => {
      const m = JSON.parse((await getDest(results.get(id)!.manifest!)).toString('utf8')) as Manifest;
      const out: string[][] = [];
      for (const f of m.files) out.push(...rowsOf(await getDest(f.key)));
      return out;
    };
    assert.deepEqual((await keysOf('late')).map((r) => decodeURIComponent(r[1]!)), ['a/late.txt']);
    assert.deepEqual((await keysOf('sizes')).map((r) => [decodeURIComponent(r[1]!), r[2]]), [['a/cold.txt', '9'], ['a/key with space,"q".txt', '6'], ['a/late.txt', '4'], ['b/other.txt', '9']]);
    assert.deepEqual((await keysOf('ia')).map((r) => decodeURIComponent(r[1]!)), ['a/cold.txt']);
    // All versions: VersionId, IsLatest, IsDeleteMarker follow the key.
    assert.deepEqual(await keysOf('versions'), [[SRC, 'b%2Fother.txt', 'null', 'true', 'false']]);
    assert.deepEqual(await listDest('f/inv-source/off/'), []);
  });

  test('configuring an inventory needs oss:PutObject on its destination: an explicit Deny refuses, nothing stored', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('inv-no-write', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${DEST}/*`] },
    ));
    const xml = inventoryXml({ id: 'sneaky', prefix: 'y' });
    const denied = await putInventory(srv, SRC, xml, [user.accessKeyId, user.accessKeySecret]);
    assert.equal(denied.status, 403, denied.text);
    assert.match(denied.text, /AccessDenied/);
    const denyInventory = await ram.userWith('inv-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketInventory'], Resource: [`acs:oss:*:*:${SRC}`] },
    ));
    assert.equal((await putInventory(srv, SRC, xml, [denyInventory.accessKeyId, denyInventory.accessKeySecret])).status, 403);
    assert.equal((await srv.inventory!.runOnce()).some((r) => r.id === 'sneaky'), false);
    assert.deepEqual(await listDest('y/'), []);
  });

  test('configuring an inventory needs oss:ListObjects on the source (All versions: oss:ListObjectVersions too)', async () => {
    const ram = new Ram(srv);
    const stored = async (id: string): Promise<boolean> => {
      const r = await rawGet(srv, SRC, id);
      return r === 200;
    };
    const destWrite = { Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${DEST}/*`] };
    // Only PutBucketInventory on the source: its listing would reach a bucket the user reads.
    const noList = await ram.userWith('inv-no-list', policyDoc(
      { Effect: 'Allow', Action: ['oss:PutBucketInventory'], Resource: [`acs:oss:*:*:${SRC}`] }, destWrite));
    const r1 = await putInventory(srv, SRC, inventoryXml({ id: 'nolist', prefix: 'nl' }), [noList.accessKeyId, noList.accessKeySecret]);
    assert.equal(r1.status, 403, r1.text);
    assert.match(r1.text, /AccessDenied/);
    assert.equal(await stored('nolist'), false);
    // ListObjects allowed: Current is accepted, All (every version and delete marker) still refused.
    const listOnly = await ram.userWith('inv-list', policyDoc(
      { Effect: 'Allow', Action: ['oss:PutBucketInventory', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${SRC}`] }, destWrite));
    const creds: [string, string] = [listOnly.accessKeyId, listOnly.accessKeySecret];
    const all1 = await putInventory(srv, SRC, inventoryXml({ id: 'listall', prefix: 'la', versions: 'All' }), creds);
    assert.equal(all1.status, 403, all1.text);
    assert.match(all1.text, /AccessDenied/);
    assert.equal(await stored('listall'), false);
    const cur = await putInventory(srv, SRC, inventoryXml({ id: 'listcur', prefix: 'lc' }), creds);
    assert.equal(cur.status, 200, cur.text);
    assert.equal(await stored('listcur'), true);
    const versionsToo = await ram.userWith('inv-versions', policyDoc(
      { Effect: 'Allow', Action: ['oss:PutBucketInventory', 'oss:ListObjects', 'oss:ListObjectVersions'], Resource: [`acs:oss:*:*:${SRC}`] }, destWrite));
    const all2 = await putInventory(srv, SRC, inventoryXml({ id: 'verall', prefix: 'va', versions: 'All' }), [versionsToo.accessKeyId, versionsToo.accessKeySecret]);
    assert.equal(all2.status, 200, all2.text);
    assert.equal(await stored('verall'), true);
    // An explicit Deny of ListObjects wins over oss:*.
    const denyList = await ram.userWith('inv-deny-list', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${SRC}`] }));
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'denylist', prefix: 'dl' }), [denyList.accessKeyId, denyList.accessKeySecret])).status, 403);
    assert.equal(await stored('denylist'), false);
    for (const id of ['listcur', 'verall']) {
      const del = await rawDelete(srv, SRC, id);
      assert.equal(del, 204);
    }
  });

  test('an explicit Deny of oss:ListObjectVersions: an All inventory is refused when configured, a Current one accepted', async () => {
    const ram = new Ram(srv);
    // Configuring, under oss:* with an explicit Deny of ListObjectVersions on the source: All refused, Current accepted.
    const u = await ram.userWith('inv-deny-versions', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:ListObjectVersions'], Resource: [`acs:oss:*:*:${SRC}`] }));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const all = await putInventory(srv, SRC, inventoryXml({ id: 'denyver', prefix: 'dv', versions: 'All' }), creds);
    assert.equal(all.status, 403, all.text);
    assert.match(all.text, /AccessDenied/);
    assert.equal(await rawGet(srv, SRC, 'denyver'), 404);
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'denyver-cur', prefix: 'dvc' }), creds)).status, 200);
    assert.equal(await rawDelete(srv, SRC, 'denyver-cur'), 204);
  });

  test('a destination of another owner, a missing one, or an AccountId not the owner\'s: the run fails and writes nothing', async () => {
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'wrong-account', prefix: 'x', accountId: '9999999999999999' }))).status, 200);
    // A missing destination is refused when configured (400 InvalidArgument, EC 0020-00000033, as the C++ SDK's
    // BucketInventoryConfigurationNegativeTest expects); one deleted since fails the run.
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'no-dest', prefix: 'x', dest: 'no-such-dest-bucket' }))).status, 400);
    await client.putBucket('inv-gone');
    assert.equal((await putInventory(srv, SRC, inventoryXml({ id: 'gone-dest', prefix: 'x', dest: 'inv-gone' }))).status, 200);
    await client.deleteBucket('inv-gone');
    const results = new Map((await srv.inventory!.runOnce()).map((r) => [r.id, r]));
    assert.equal(results.get('wrong-account')?.status, 'Failed');
    assert.match(results.get('wrong-account')!.error ?? '', /owner/);
    assert.equal(results.has('no-dest'), false);
    assert.equal(results.get('gone-dest')?.status, 'Failed');
    assert.match(results.get('gone-dest')!.error ?? '', /does not exist/);
    assert.deepEqual(await listDest('x/'), []);
  });
});

describe('inventory files on the worker\'s own schedule', () => {
  test('with an interval the worker writes a due inventory by itself (polled with a generous deadline)', async () => {
    const srv = await startTestServer({ inventory: { intervalMs: 100 } });
    try {
      const client = srv.client();
      await client.putBucket('sched-src');
      await client.putBucket('sched-dest');
      client.useBucket('sched-src');
      await client.put('k.txt', Buffer.from('k'));
      assert.equal((await putInventory(srv, 'sched-src', inventoryXml({ id: 'auto', dest: 'sched-dest', fields: ['Size'] }))).status, 200);
      client.useBucket('sched-dest');
      const deadline = Date.now() + 60_000;
      let names: string[] = [];
      while (Date.now() < deadline) {
        const r = await client.listV2({ prefix: 'sched-src/auto/', 'max-keys': '100' }, {}) as unknown as { objects?: Array<{ name: string }> };
        names = (r.objects ?? []).map((o) => o.name);
        if (names.some((n) => n.endsWith('/manifest.json'))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(names.some((n) => n.endsWith('/manifest.json')), names.join(' '));
      assert.equal(names.filter((n) => n.startsWith('sched-src/auto/data/')).length, 1);
    } finally {
      await srv.stop();
    }
  });
});

describe('inventory EncryptionStatus', () => {
  test('read from the listing rows: current objects and every version, encrypted and plain', async () => {
    const srv = await startTestServer({ inventory: { intervalMs: 0, dayMs: DAY } });
    try {
      const client = srv.client();
      await client.putBucket('enc-src');
      await client.putBucket('enc-dest');
      await (client as unknown as { putBucketVersioning(b: string, s: string): Promise<unknown> }).putBucketVersioning('enc-src', 'Enabled');
      client.useBucket('enc-src');
      const sse = { headers: { 'x-oss-server-side-encryption': 'AES256' } };
      // a.txt: encrypted, then overwritten plain; b.txt: plain, then overwritten encrypted; c.txt: plain only.
      await client.put('a.txt', Buffer.from('a1'), sse);
      await client.put('a.txt', Buffer.from('a2'));
      await client.put('b.txt', Buffer.from('b1'));
      await client.put('b.txt', Buffer.from('b2'), sse);
      await client.put('c.txt', Buffer.from('c1'));
      assert.equal((await putInventory(srv, 'enc-src', inventoryXml({ id: 'cur', dest: 'enc-dest', fields: ['Size', 'EncryptionStatus'] }))).status, 200);
      assert.equal((await putInventory(srv, 'enc-src', inventoryXml({ id: 'all', dest: 'enc-dest', versions: 'All', fields: ['EncryptionStatus'] }))).status, 200);
      const results = new Map((await srv.inventory!.runOnce()).map((r) => [r.id, r]));
      client.useBucket('enc-dest');
      const rows = async (id: string): Promise<string[][]> => {
        const m = JSON.parse(((await client.get(results.get(id)!.manifest!)).content as Buffer).toString('utf8')) as Manifest;
        const out: string[][] = [];
        for (const f of m.files) out.push(...rowsOf((await client.get(f.key)).content as Buffer));
        return out;
      };
      assert.deepEqual((await rows('cur')).map((r) => [r[1], r[2], r[3]]), [['a.txt', '2', 'false'], ['b.txt', '2', 'true'], ['c.txt', '2', 'false']]);
      // Key, then newest first: VersionId, IsLatest, IsDeleteMarker, EncryptionStatus.
      assert.deepEqual((await rows('all')).map((r) => [r[1], r[3], r[5]]), [
        ['a.txt', 'true', 'false'], ['a.txt', 'false', 'true'],
        ['b.txt', 'true', 'true'], ['b.txt', 'false', 'false'],
        ['c.txt', 'true', 'false'],
      ]);
    } finally {
      await srv.stop();
    }
  });
});

describe('inventory ObjectAcl, TaggingCount, ObjectType, Crc64', () => {
  test('accepted (ali-oss\'s own bucket test puts all ten fields) and written from each object\'s record, versions included', async () => {
    const srv = await startTestServer({ inventory: { intervalMs: 0, dayMs: DAY } });
    try {
      const client = srv.client();
      await client.putBucket('more-src');
      await client.putBucket('more-dest');
      await (client as unknown as { putBucketVersioning(b: string, s: string): Promise<unknown> }).putBucketVersioning('more-src', 'Enabled');
      client.useBucket('more-src');
      await client.put('a.txt', Buffer.from('a1'), { headers: { 'x-oss-object-acl': 'public-read', 'x-oss-tagging': 'k1=v1&k2=v2' } });
      await client.put('a.txt', Buffer.from('a2'));
      await client.append('b.log', Buffer.from('line\n'));
      await client.put('gone.txt', Buffer.from('g'));
      await client.delete('gone.txt');
      const all = ['Size', 'LastModifiedDate', 'ETag', 'StorageClass', 'IsMultipartUploaded', 'EncryptionStatus', 'ObjectAcl', 'TaggingCount', 'ObjectType', 'Crc64'];
      assert.equal((await putInventory(srv, 'more-src', inventoryXml({ id: 'cur', dest: 'more-dest', fields: ['ObjectAcl', 'TaggingCount', 'ObjectType', 'Crc64'] }))).status, 200);
      assert.equal((await putInventory(srv, 'more-src', inventoryXml({ id: 'ten', dest: 'more-dest', fields: all }))).status, 200);
      assert.equal((await putInventory(srv, 'more-src', inventoryXml({ id: 'all', dest: 'more-dest', versions: 'All', fields: ['ObjectAcl', 'TaggingCount', 'ObjectType', 'Crc64'] }))).status, 200);
      // The stored configuration gives the ten fields back.
      const query: Array<[string, string]> = [['inventory', ''], ['inventoryId', 'ten']];
      const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method: 'GET', bucket: 'more-src', key: null, query, headers }, AK, SECRET).authorization;
      const got = (await rawRequest(srv.port, { method: 'GET', path: '/more-src/?inventory&inventoryId=ten', headers })).body.toString('utf8');
      assert.deepEqual([...got.matchAll(/<Field>([^<]+)<\/Field>/g)].map((m) => m[1]), all);
      // Still refused: a field OSS does not have.
      const bad = await putInventory(srv, 'more-src', inventoryXml({ id: 'bad', dest: 'more-dest', fields: ['StartTime'] }));
      assert.equal(bad.status, 400);

      const heads = new Map<string, Record<string, string>>();
      for (const k of ['a.txt', 'b.log']) heads.set(k, (await client.head(k)).res.headers as Record<string, string>);
      const results = new Map((await srv.inventory!.runOnce()).map((r) => [r.id, r]));
      client.useBucket('more-dest');
      const rows = async (id: string): Promise<string[][]> => {
        const m = JSON.parse(((await client.get(results.get(id)!.manifest!)).content as Buffer).toString('utf8')) as Manifest;
        const out: string[][] = [];
        for (const f of m.files) out.push(...rowsOf((await client.get(f.key)).content as Buffer));
        return out;
      };
      assert.deepEqual((await rows('cur')).map((r) => r.slice(1)), [
        ['a.txt', 'default', '0', 'Normal', heads.get('a.txt')!['x-oss-hash-crc64ecma']!],
        ['b.log', 'default', '0', 'Appendable', heads.get('b.log')!['x-oss-hash-crc64ecma']!],
      ]);
      // Key, VersionId, IsLatest, IsDeleteMarker, then the fields: the old a.txt keeps its ACL and two tags.
      const versions = (await rows('all')).map((r) => [r[1], r[3], r[4], ...r.slice(5)]);
      assert.deepEqual(versions.map((v) => v.slice(0, 6)), [
        ['a.txt', 'true', 'false', 'default', '0', 'Normal'],
        ['a.txt', 'false', 'false', 'public-read', '2', 'Normal'],
        ['b.log', 'true', 'false', 'default', '0', 'Appendable'],
        ['gone.txt', 'true', 'true', '', '', ''],
        ['gone.txt', 'false', 'false', 'default', '0', 'Normal'],
      ]);
      assert.match(versions[1]![6]!, /^\d+$/, 'a CRC-64 in decimal');
    } finally {
      await srv.stop();
    }
  });
});

describe('inventory: a run lists only the source bucket it started on', () => {
  const OTHER = '2234567890123477';
  const OTHER_KEYS: [string, string] = ['LTAI5tInventoryOtherKey0', 'InventoryOtherAccountSecret12345'];
  const asOther = { accessKeyId: OTHER_KEYS[0], accessKeySecret: OTHER_KEYS[1] };

  for (const versions of ['Current', 'All'] as const) {
    test(`a source deleted during a run and created again by another account is not listed into the owner's inventory (${versions})`, async () => {
      // Two objects per listing step: the run reads the source in steps, and the name changes hands between two.
      const srv = await startTestServer({ inventory: { intervalMs: 0, rowsPerFile: 1, dayMs: DAY, pageSize: 2 } });
      const meta = srv.meta;
      const scan = meta.scanObjects.bind(meta);
      const listVersions = meta.listObjectVersions.bind(meta);
      let steps = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let reached!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      // The run's second step in the source waits until the test has handed the name over.
      const hold = async (bucket: string): Promise<void> => {
        if (bucket !== 'race-src' || ++steps !== 2) return;
        reached();
        await gate;
      };
      try {
        await srv.accounts.create({ accountId: OTHER, name: 'inventory-other', accessKeyId: OTHER_KEYS[0], accessKeySecret: OTHER_KEYS[1] });
        const client = srv.client();
        await client.putBucket('race-src');
        await client.putBucket('race-dest');
        const src = srv.client({ bucket: 'race-src' });
        for (const k of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) await src.put(k, Buffer.from(k));
        assert.equal((await putInventory(srv, 'race-src', inventoryXml({ id: 'race', dest: 'race-dest', versions }))).status, 200);
        meta.scanObjects = async (...args: Parameters<typeof meta.scanObjects>) => {
          await hold(args[0]);
          return scan(...args);
        };
        meta.listObjectVersions = async (...args: Parameters<typeof meta.listObjectVersions>) => {
          await hold(args[0]);
          return listVersions(...args);
        };
        const tick = srv.inventory!.runOnce();
        await reachedP;
        await src.deleteMulti(['a.txt', 'b.txt', 'c.txt', 'd.txt']);
        await client.deleteBucket('race-src');
        await srv.client(asOther).putBucket('race-src');
        await srv.client({ ...asOther, bucket: 'race-src' }).put('their-private-plan.txt', Buffer.from('x'));
        release();
        const race = (await tick).find((r) => r.bucket === 'race-src' && r.id === 'race')!;
        assert.equal(race.status, 'Failed', JSON.stringify(race));
        // Before: the other account's key was listed (a row of a data file, then the manifest) into the owner's inventory.
        const dest = srv.client({ bucket: 'race-dest' });
        for (const o of (await dest.list({ 'max-keys': 100 }, {})).objects ?? []) {
          if (!o.name.endsWith('.csv.gz')) continue;
          const cells = rowsOf((await dest.get(o.name)).content as Buffer).map((r) => r[1]);
          assert.ok(!cells.includes('their-private-plan.txt'), `${o.name}: ${cells.join(' ')}`);
        }
      } finally {
        meta.scanObjects = scan;
        meta.listObjectVersions = listVersions;
        release();
        await srv.stop();
      }
    });
  }
});

describe('inventory: a run writes only into the destination bucket it checked', () => {
  const OTHER = '2234567890123478';
  const OTHER_KEYS: [string, string] = ['LTAI5tInventoryOtherKey1', 'InventoryOtherAccountSecret12346'];
  const asOther = { accessKeyId: OTHER_KEYS[0], accessKeySecret: OTHER_KEYS[1] };

  test('a destination deleted during a run and created again by another account gets none of the run\'s files', async () => {
    const srv = await startTestServer({ inventory: { intervalMs: 0, rowsPerFile: 1, dayMs: DAY } });
    const meta = srv.meta;
    const putObject = meta.putObject.bind(meta);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    let held = false;
    try {
      await srv.accounts.create({ accountId: OTHER, name: 'inventory-other2', accessKeyId: OTHER_KEYS[0], accessKeySecret: OTHER_KEYS[1] });
      const client = srv.client();
      await client.putBucket('race-src2');
      await client.putBucket('race-dest2');
      const src = srv.client({ bucket: 'race-src2' });
      for (const k of ['a.txt', 'b.txt', 'c.txt']) await src.put(k, Buffer.from(k));
      assert.equal((await putInventory(srv, 'race-src2', inventoryXml({ id: 'race', dest: 'race-dest2' }))).status, 200);
      // The run's first data file is committed; before the worker goes on, the owner deletes the destination and the
      // other account creates a bucket of that name.
      meta.putObject = async (...args: Parameters<typeof meta.putObject>) => {
        const res = await putObject(...args);
        if (args[0] === 'race-dest2' && !held) {
          held = true;
          reached();
          await gate;
        }
        return res;
      };
      const tick = srv.inventory!.runOnce();
      await reachedP;
      const dest = srv.client({ bucket: 'race-dest2' });
      const first = (await dest.list({ 'max-keys': 100 }, {})).objects ?? [];
      assert.equal(first.length, 1, 'the first data file');
      await dest.deleteMulti(first.map((o) => o.name));
      await client.deleteBucket('race-dest2');
      await srv.client(asOther).putBucket('race-dest2');
      release();
      const race = (await tick).find((r) => r.bucket === 'race-src2' && r.id === 'race')!;
      assert.equal(race.status, 'Failed', JSON.stringify(race));
      // Before: the next data files and the manifest (the source's key names) were written into the other account's bucket.
      const theirs = await srv.client({ ...asOther, bucket: 'race-dest2' }).list({ 'max-keys': 100 }, {});
      assert.deepEqual((theirs.objects ?? []).map((o) => o.name), []);
    } finally {
      meta.putObject = putObject;
      release();
      await srv.stop();
    }
  });
});
