// Listing 2,500 keys through the real ali-oss client: ListObjects (v1) and ListObjectsV2 paging,
// delimiters and common prefixes, byte order, encoding-type=url.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { byteOrder, expectOssError, mapLimit } from './helpers/oss.js';

const BUCKET = 'list-bucket';

/** 2,500 keys: flat files, a 1,000-key folder, nested folders, and keys whose UTF-8 order differs from UTF-16 order. */
function layout(): string[] {
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  const keys: string[] = ['dir-a']; // an object named like a folder, next to the folder itself
  for (let i = 0; i < 99; i++) keys.push(`root-${pad(i, 4)}`);
  for (let i = 0; i < 1000; i++) keys.push(`dir-a/file-${pad(i, 4)}`);
  for (let s = 0; s < 10; s++) for (let i = 0; i < 100; i++) keys.push(`dir-b/sub-${pad(s, 2)}/f-${pad(i, 3)}`);
  for (let i = 0; i < 300; i++) keys.push(`dir-c/x-${pad(i, 3)}`);
  // U+FF5E sorts after U+1F600 in UTF-16 (surrogates) but before it in UTF-8.
  const chars = ['a', 'Z', '~', 'é', '中', '😀', '\uFF5E', '+', ' ', '%'];
  for (const ch of chars) for (let i = 0; i < 10; i++) keys.push(`z/${ch}-${i}${i % 3 === 0 ? '/deeper' : ''}`);
  return keys;
}

/** What a delimiter listing must return: keys without a further delimiter, and rolled-up prefixes. */
function expectedEntries(keys: string[], prefix: string, delimiter: string): { entries: string[]; prefixes: Set<string> } {
  const out = new Set<string>();
  const prefixes = new Set<string>();
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    const idx = delimiter === '' ? -1 : k.indexOf(delimiter, prefix.length);
    if (idx >= 0) {
      const p = k.slice(0, idx + delimiter.length);
      out.add(p);
      prefixes.add(p);
    } else {
      out.add(k);
    }
  }
  return { entries: [...out].sort(byteOrder), prefixes };
}

interface V1Page {
  objects: Array<{ name: string; size: number; etag: string; owner: { id: string } }>;
  prefixes: string[] | null;
  nextMarker: string | null;
  isTruncated: boolean;
}

interface V2Page {
  objects: Array<{ name: string; owner: { id: string } | null }>;
  prefixes: string[] | null;
  isTruncated: boolean;
  keyCount: number;
  continuationToken: string | null;
  nextContinuationToken: string | null;
}

const listV1 = async (c: OSS, q: Record<string, string | number>): Promise<V1Page> => (await c.list(q as unknown as OSS.ListObjectsQuery, {})) as unknown as V1Page;
const listV2 = async (c: OSS, q: Record<string, string | number>): Promise<V2Page> => (await c.listV2(q as unknown as OSS.ListV2ObjectsQuery, {})) as unknown as V2Page;

/** Page ordering: every entry (object or prefix) of a page, sorted, must be the next slice of `expected`. */
function takePage(expected: string[], cursor: number, objects: string[], prefixes: string[] | null, label: string): number {
  const page = [...objects, ...(prefixes ?? [])].sort(byteOrder);
  assert.deepEqual(page, expected.slice(cursor, cursor + page.length), `${label}: page at ${cursor}`);
  assert.deepEqual(objects, [...objects].sort(byteOrder), `${label}: Contents in byte order`);
  return cursor + page.length;
}

describe('ali-oss listing of 2,500 keys', () => {
  let srv: TestServer;
  let keys: string[];
  let sorted: string[];
  let clients: Array<{ name: string; client: OSS }>;

  before(async () => {
    srv = await startTestServer();
    const admin = srv.client({ bucket: BUCKET });
    await admin.putBucket(BUCKET);
    keys = layout();
    assert.equal(keys.length, 2500);
    assert.equal(new Set(keys).size, 2500);
    sorted = [...keys].sort(byteOrder);
    await mapLimit(keys, 20, (k) => admin.put(k, Buffer.from(k)));
    clients = [
      { name: 'ip+v1', client: admin },
      { name: 'path+v4', client: srv.pathClient({ bucket: BUCKET, authorizationV4: true }) },
    ];
  });
  after(async () => {
    await srv.stop();
  });

  it('the layout has a key pair whose UTF-8 order differs from JavaScript string order', () => {
    assert.ok('z/😀-0' < 'z/\uFF5E-0', 'UTF-16 order');
    assert.ok(byteOrder('z/😀-0', 'z/\uFF5E-0') > 0, 'UTF-8 order');
  });

  it('list (v1) pages of 1000 with marker/nextMarker: every key once, in byte order', async () => {
    for (const { name, client } of clients) {
      const seen: string[] = [];
      let marker = '';
      let pages = 0;
      for (;;) {
        const res = await listV1(client, { 'max-keys': 1000, ...(marker ? { marker } : {}) });
        pages++;
        seen.push(...res.objects.map((o) => o.name));
        assert.equal(res.prefixes, null);
        if (!res.isTruncated) {
          assert.equal(res.nextMarker, null);
          break;
        }
        assert.equal(res.objects.length, 1000, name);
        assert.equal(res.nextMarker, res.objects.at(-1)!.name, 'NextMarker is the last key returned');
        marker = res.nextMarker!;
        assert.ok(pages < 10, 'paging terminates');
      }
      assert.equal(pages, 3, name);
      assert.deepEqual(seen, sorted, `${name}: all keys once, in UTF-8 byte order`);
      const sample = (await listV1(client, { prefix: 'dir-c/x-007', 'max-keys': 5 })).objects;
      assert.equal(sample.length, 1);
      assert.equal(sample[0]!.size, Buffer.byteLength('dir-c/x-007'));
      assert.equal(sample[0]!.owner.id, ACCOUNT_ID);
      assert.match(sample[0]!.etag, /^"[0-9A-F]{32}"$/);
    }
  });

  it('list (v1) with delimiter "/": CommonPrefixes, and paging through prefixes with small pages', async () => {
    for (const { name, client } of clients) {
      const top = await listV1(client, { delimiter: '/', 'max-keys': 1000 });
      const exp = expectedEntries(keys, '', '/');
      assert.deepEqual(top.prefixes, ['dir-a/', 'dir-b/', 'dir-c/', 'z/'], name);
      assert.deepEqual(top.objects.map((o) => o.name), exp.entries.filter((e) => !exp.prefixes.has(e)));
      assert.equal(top.isTruncated, false);

      for (const [prefix, maxKeys] of [['', 7], ['dir-b/', 3], ['z/', 4], ['dir-a/', 333]] as const) {
        const want = expectedEntries(keys, prefix, '/');
        let cursor = 0;
        let marker = '';
        for (let page = 0; ; page++) {
          assert.ok(page < 500, 'paging terminates');
          const res = await listV1(client, { prefix, delimiter: '/', 'max-keys': maxKeys, ...(marker ? { marker } : {}) });
          const objs = res.objects.map((o) => o.name);
          assert.ok(objs.length + (res.prefixes?.length ?? 0) <= maxKeys);
          cursor = takePage(want.entries, cursor, objs, res.prefixes, `${name} prefix=${prefix}`);
          if (!res.isTruncated) break;
          marker = res.nextMarker!;
          assert.equal(marker, want.entries[cursor - 1], 'NextMarker is the last key or prefix returned');
        }
        assert.equal(cursor, want.entries.length, `${name} prefix=${prefix}: every entry once`);
      }
    }
  });

  it('listV2 pages of 1000 with continuation-token: every key once, in byte order', async () => {
    for (const { name, client } of clients) {
      const seen: string[] = [];
      let token: string | null = null;
      let pages = 0;
      for (;;) {
        const res: V2Page = await listV2(client, { 'max-keys': 1000, ...(token ? { 'continuation-token': token } : {}) });
        pages++;
        assert.equal(res.keyCount, res.objects.length);
        assert.equal(res.continuationToken, token);
        seen.push(...res.objects.map((o) => o.name));
        if (!res.isTruncated) {
          assert.equal(res.nextContinuationToken, null);
          break;
        }
        assert.ok(res.nextContinuationToken, 'NextContinuationToken when truncated');
        token = res.nextContinuationToken;
        assert.ok(pages < 10);
      }
      assert.equal(pages, 3, name);
      assert.deepEqual(seen, sorted, `${name}: all keys once, in byte order`);
    }
  });

  it('listV2 start-after, prefix, fetch-owner', async () => {
    for (const { name, client } of clients) {
      const res = await listV2(client, { 'start-after': 'dir-a/file-0499', 'max-keys': 3 });
      assert.deepEqual(res.objects.map((o) => o.name), ['dir-a/file-0500', 'dir-a/file-0501', 'dir-a/file-0502'], name);
      assert.equal(res.objects[0]!.owner, null, 'no Owner unless fetch-owner=true');
      assert.equal(res.isTruncated, true);

      const between = await listV2(client, { prefix: 'dir-a/', 'start-after': 'dir-a/file-0997', 'max-keys': 10 });
      assert.deepEqual(between.objects.map((o) => o.name), ['dir-a/file-0998', 'dir-a/file-0999']);
      assert.equal(between.isTruncated, false);

      const sub = await listV2(client, { prefix: 'dir-b/sub-03/', 'max-keys': 1000, 'fetch-owner': 'true' });
      assert.equal(sub.objects.length, 100);
      assert.equal(sub.keyCount, 100);
      assert.equal(sub.objects[0]!.owner?.id, ACCOUNT_ID);
      assert.ok(sub.objects.every((o) => o.name.startsWith('dir-b/sub-03/')));

      const afterAll = await listV2(client, { 'start-after': sorted.at(-1)! });
      assert.deepEqual(afterAll.objects, []);
      assert.equal(afterAll.keyCount, 0);
    }
  });

  it('listV2 with delimiter "/" paged by continuation-token (small pages, prefix boundaries)', async () => {
    for (const { name, client } of clients) {
      for (const [prefix, maxKeys, startAfter] of [['', 5, ''], ['dir-b/', 4, ''], ['', 6, 'dir-a/file-0100'], ['z/', 3, 'z/a-5']] as const) {
        // start-after applies to the rolled-up entries: a folder that sorts before start-after is not
        // repeated even when some of its keys sort after it (the same rule that makes NextMarker paging work).
        const all = expectedEntries(keys, prefix, '/');
        const want = { entries: all.entries.filter((e) => byteOrder(e, startAfter) > 0) };
        let cursor = 0;
        let token: string | null = null;
        for (let page = 0; ; page++) {
          assert.ok(page < 500, 'paging terminates');
          const q: Record<string, string | number> = { prefix, delimiter: '/', 'max-keys': maxKeys };
          if (token) q['continuation-token'] = token;
          else if (startAfter) q['start-after'] = startAfter;
          const res: V2Page = await listV2(client, q);
          const objs = res.objects.map((o) => o.name);
          assert.equal(res.keyCount, objs.length + (res.prefixes?.length ?? 0), 'KeyCount counts Contents and CommonPrefixes');
          cursor = takePage(want.entries, cursor, objs, res.prefixes, `${name} v2 prefix=${prefix} start-after=${startAfter}`);
          if (!res.isTruncated) break;
          token = res.nextContinuationToken;
        }
        assert.equal(cursor, want.entries.length, `${name} v2 prefix=${prefix} start-after=${startAfter}: every entry once`);
      }
    }
  });

  it('empty query values (prefix="", delimiter="") sign and list like absent ones (ali-oss V4 quirk)', async () => {
    for (const { name, client } of clients) {
      const v2 = await listV2(client, { prefix: '', delimiter: '', 'max-keys': 5 });
      assert.deepEqual(v2.objects.map((o) => o.name), sorted.slice(0, 5), name);
      const v1 = await listV1(client, { prefix: '', marker: '', 'max-keys': 5 });
      assert.deepEqual(v1.objects.map((o) => o.name), sorted.slice(0, 5), name);
    }
  });

  it('encoding-type=url encodes keys and prefixes (v1 and v2)', async () => {
    const client = clients[0]!.client;
    const want = expectedEntries(keys, 'z/', '/');
    const v1 = await listV1(client, { prefix: 'z/', delimiter: '/', 'max-keys': 1000, 'encoding-type': 'url' });
    const names = v1.objects.map((o) => o.name);
    assert.ok(names.some((n) => n.includes('%')), 'some keys come back percent-encoded');
    assert.ok(names.every((n) => !/[ 中é😀]/u.test(n)), 'no raw non-ASCII or spaces remain');
    assert.deepEqual(names.map(decodeURIComponent), want.entries.filter((e) => !want.prefixes.has(e)));
    assert.deepEqual((v1.prefixes ?? []).map(decodeURIComponent), [...want.prefixes].sort(byteOrder));
    assert.ok((v1.prefixes ?? []).includes('z%2F%E4%B8%AD-0%2F') || (v1.prefixes ?? []).includes('z/%E4%B8%AD-0/'), (v1.prefixes ?? []).join(' '));

    const v2 = await listV2(clients[1]!.client, { prefix: 'z/', 'max-keys': 1000, 'encoding-type': 'url' });
    assert.deepEqual(v2.objects.map((o) => decodeURIComponent(o.name)), sorted.filter((k) => k.startsWith('z/')));
  });

  it('max-keys outside 1..1000 and a bad encoding-type are rejected', async () => {
    const client = clients[0]!.client;
    await expectOssError(listV1(client, { 'max-keys': 1001 }), 'InvalidArgument', 400);
    await expectOssError(listV2(client, { 'max-keys': 0 }), 'InvalidArgument', 400);
    await expectOssError(listV1(client, { 'encoding-type': 'base64' }), 'InvalidEncodingType', 400);
    const dflt = await listV1(client, {});
    assert.equal(dflt.objects.length, 100, 'default max-keys is 100');
    assert.equal(dflt.isTruncated, true);
  });
});
