// DoMetaQuery (docs/meta-query.md): scalar retrieval over the metadata store. Objects are written with ali-oss
// (tags, user metadata, storage classes, ACLs); DoMetaQuery, which ali-oss lacks, goes as signed raw HTTP.
// Conditions on every kind of field, nesting, sorting, paging through NextToken, aggregations, the documented
// errors, an explicit Deny, versioned buckets; the scan bounds against a real SQLite store. Runs on SQLite,
// and on PostgreSQL through test/pg-meta-query.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { MetaQueryService, META_QUERY_LIMITS, type MetaQueryRequest } from '../src/domain/meta-query.js';
import { AppError } from '../src/errors.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { MemoryBlobStore } from '../src/store/blob/memory.js';
import type { DomainContext } from '../src/domain/context.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { byteOrder, userMeta } from './helpers/oss.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'meta-query-bucket';

interface Reply {
  status: number;
  text: string;
  err: Record<string, string> | null;
}

async function send(srv: TestServer, method: string, bucket: string, query: Array<[string, string]>, body?: string, creds: [string, string] = [AK, SECRET]): Promise<Reply> {
  const qs = `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-type': 'application/xml' };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  headers.authorization = v1Authorization({ method, bucket, key: null, query, headers }, creds[0], creds[1]).authorization;
  const res = await rawRequest(srv.port, { method, path: `/${bucket}/${qs}`, headers, body });
  const text = res.body.toString('utf8');
  return { status: res.status, text, err: errorOf(res) };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Ask {
  query: object | string;
  maxResults?: number | string;
  nextToken?: string;
  sort?: string;
  order?: string;
  aggregations?: Array<[string, string]>;
}

function body(a: Ask): string {
  const q = typeof a.query === 'string' ? a.query : JSON.stringify(a.query);
  return `<?xml version="1.0" encoding="UTF-8"?><MetaQuery>${a.nextToken !== undefined ? `<NextToken>${esc(a.nextToken)}</NextToken>` : ''}`
    + `${a.maxResults !== undefined ? `<MaxResults>${a.maxResults}</MaxResults>` : ''}<Query>${esc(q)}</Query>`
    + `${a.sort !== undefined ? `<Sort>${a.sort}</Sort>` : ''}${a.order !== undefined ? `<Order>${a.order}</Order>` : ''}`
    + `${a.aggregations !== undefined ? `<Aggregations>${a.aggregations.map(([f, o]) => `<Aggregation><Field>${f}</Field><Operation>${o}</Operation></Aggregation>`).join('')}</Aggregations>` : ''}</MetaQuery>`;
}

interface FileOut {
  name: string;
  size: number;
  modified: string;
  type: string;
  storageClass: string;
  acl: string;
  etag: string;
  crc64: string;
  tags: Array<[string, string]>;
  meta: Array<[string, string]>;
  xml: string;
}

const tagOf = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1];
const pairsOf = (xml: string | undefined, item: string): Array<[string, string]> =>
  xml === undefined ? [] : [...xml.matchAll(new RegExp(`<${item}><Key>([\\s\\S]*?)</Key><Value>([\\s\\S]*?)</Value></${item}>`, 'g'))].map((m) => [m[1]!, m[2]!]);

interface Answer {
  files: FileOut[];
  nextToken: string | undefined;
  aggregations: string | undefined;
  text: string;
}

function answerOf(r: Reply): Answer {
  assert.equal(r.status, 200, r.text.slice(0, 500));
  const files = [...r.text.matchAll(/<File>([\s\S]*?)<\/File>/g)].map((m) => {
    const x = m[1]!;
    return {
      name: tagOf(x, 'Filename')!, size: Number(tagOf(x, 'Size')), modified: tagOf(x, 'FileModifiedTime')!, type: tagOf(x, 'OSSObjectType')!,
      storageClass: tagOf(x, 'OSSStorageClass')!, acl: tagOf(x, 'ObjectACL')!, etag: tagOf(x, 'ETag')!, crc64: tagOf(x, 'OSSCRC64')!,
      tags: pairsOf(tagOf(x, 'OSSTagging'), 'Tagging'), meta: pairsOf(tagOf(x, 'OSSUserMeta'), 'UserMeta'), xml: x,
    };
  });
  // The last page has an empty NextToken (always written: oss2 requires the element); no token to follow.
  assert.match(r.text, /<MetaQuery><NextToken>/, 'NextToken comes first, on every page');
  const token = tagOf(r.text, 'NextToken');
  return { files, nextToken: token === '' ? undefined : token, aggregations: tagOf(r.text, 'Aggregations'), text: r.text };
}

const names = (a: Answer): string[] => a.files.map((f) => f.name);
const sorted = (list: string[]): string[] => [...list].sort(byteOrder);

/** The objects of the main bucket: key → (size, headers, user metadata). */
const OBJECTS: Array<{ key: string; size: number; headers?: Record<string, string>; meta?: Record<string, string> }> = [
  { key: 'docs/a.txt', size: 10, headers: { 'x-oss-tagging': 'owner=John&type=document' }, meta: { location: 'hangzhou' } },
  { key: 'docs/b.pdf', size: 2000, headers: { 'x-oss-tagging': 'owner=Mary', 'x-oss-storage-class': 'IA', 'x-oss-object-acl': 'public-read' } },
  { key: 'img/c.jpg', size: 500, headers: { 'x-oss-storage-class': 'IA' }, meta: { location: 'Beijing', camera: 'x100' } },
  { key: 'img/d.JPG', size: 0 },
  { key: 'notes.md', size: 100, headers: { 'x-oss-tagging': 'type=document&Owner=john' } },
  { key: 'docs/sub/e.txt', size: 3000, meta: { location: 'hangzhou' } },
];
const ALL = sorted(OBJECTS.map((o) => o.key));

describe('DoMetaQuery', () => {
  let srv: TestServer;
  let client: OSS;
  const query = (a: Ask, creds?: [string, string], bucket = BUCKET): Promise<Reply> => send(srv, 'POST', bucket, [['metaQuery', ''], ['comp', 'query']], body(a), creds);
  const find = async (a: Ask): Promise<Answer> => answerOf(await query(a));
  const fails = async (a: Ask | string, code: string, status: number): Promise<Reply> => {
    const r = typeof a === 'string' ? await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'query']], a) : await query(a);
    assert.equal(r.status, status, r.text.slice(0, 500));
    assert.equal(r.err?.Code, code, r.text.slice(0, 500));
    return r;
  };

  before(async () => {
    // An opened index is Running at once here; the Ready phase has its own test below.
    srv = await startTestServer({ timing: { metaQueryReadyMs: 0 } });
    client = srv.client();
    await client.putBucket(BUCKET);
    client.useBucket(BUCKET);
    for (const o of OBJECTS) {
      await client.put(o.key, Buffer.alloc(o.size, 'x'), { headers: o.headers ?? {}, meta: userMeta(o.meta ?? {}) } as unknown as OSS.PutObjectOptions);
    }
  });
  after(async () => {
    await srv.stop();
  });

  test('refused with MetaQueryNotExist until OpenMetaQuery; then GetMetaQueryStatus says Running', async () => {
    const r = await fails({ query: { Field: 'Size', Value: '1', Operation: 'gt' } }, 'MetaQueryNotExist', 404);
    assert.equal(r.err?.BucketName, BUCKET);
    const open = await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'add']]);
    assert.equal(open.status, 200, open.text);
    const status = await send(srv, 'GET', BUCKET, [['metaQuery', '']]);
    assert.equal(tagOf(status.text, 'State'), 'Running', status.text);
    assert.equal(tagOf(status.text, 'Phase'), 'IncrementalScanning', status.text);
    // Opening again keeps the index (and its creation time).
    assert.equal((await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'add']])).status, 200);
    assert.equal(tagOf((await send(srv, 'GET', BUCKET, [['metaQuery', '']])).text, 'CreateTime'), tagOf(status.text, 'CreateTime'));
  });

  test('answers every field of a file as published', async () => {
    const a = await find({ query: { Field: 'Filename', Value: 'docs/a.txt', Operation: 'eq' } });
    assert.deepEqual(names(a), ['docs/a.txt']);
    assert.equal(a.nextToken, undefined);
    const f = a.files[0]!;
    const head = await client.head('docs/a.txt');
    const h = head.res.headers as Record<string, string>;
    assert.equal(f.size, 10);
    assert.equal(f.etag, h.etag);
    assert.equal(f.crc64, h['x-oss-hash-crc64ecma']);
    assert.equal(f.type, 'Normal');
    assert.equal(f.storageClass, 'Standard');
    assert.equal(f.acl, 'default');
    assert.equal(Date.parse(f.modified), Date.parse(h['last-modified']!) + (Date.parse(f.modified) % 1000));
    assert.deepEqual(f.tags, [['owner', 'John'], ['type', 'document']]);
    assert.equal(tagOf(f.xml, 'OSSTaggingCount'), '2');
    assert.deepEqual(f.meta, [['x-oss-meta-location', 'hangzhou']]);
    // Published element order.
    const order = ['Filename', 'Size', 'FileModifiedTime', 'OSSObjectType', 'OSSStorageClass', 'ObjectACL', 'ETag', 'OSSCRC64', 'OSSTaggingCount', 'OSSTagging', 'OSSUserMeta'];
    const at = order.map((t) => f.xml.indexOf(`<${t}>`));
    assert.deepEqual([...at].sort((x, y) => x - y), at);
    assert.ok(!at.includes(-1));
    const b = (await find({ query: { Field: 'Filename', Value: 'docs/b.pdf', Operation: 'eq' } })).files[0]!;
    assert.equal(b.storageClass, 'IA');
    assert.equal(b.acl, 'public-read');
    assert.ok(!b.xml.includes('<OSSUserMeta>'));
  });

  test('eq, gt, gte, lt, lte on Size and OSSTaggingCount', async () => {
    const by = async (op: string, v: string, field = 'Size'): Promise<string[]> => names(await find({ query: { Field: field, Value: v, Operation: op } }));
    assert.deepEqual(await by('eq', '500'), ['img/c.jpg']);
    assert.deepEqual(await by('gt', '500'), ['docs/b.pdf', 'docs/sub/e.txt']);
    assert.deepEqual(await by('gte', '500'), ['docs/b.pdf', 'docs/sub/e.txt', 'img/c.jpg']);
    assert.deepEqual(await by('lt', '100'), ['docs/a.txt', 'img/d.JPG']);
    assert.deepEqual(await by('lte', '100'), ['docs/a.txt', 'img/d.JPG', 'notes.md']);
    assert.deepEqual(await by('eq', '2', 'OSSTaggingCount'), ['docs/a.txt', 'notes.md']);
    assert.deepEqual(await by('eq', '0', 'OSSTaggingCount'), ['docs/sub/e.txt', 'img/c.jpg', 'img/d.JPG']);
  });

  test('prefix, match and eq on Filename; storage class, ACL and ETag', async () => {
    assert.deepEqual(names(await find({ query: { Field: 'Filename', Value: 'docs/', Operation: 'prefix' } })), ['docs/a.txt', 'docs/b.pdf', 'docs/sub/e.txt']);
    assert.deepEqual(names(await find({ query: { Field: 'Filename', Value: 'nothing/', Operation: 'prefix' } })), []);
    // match: the value anywhere in the name, case-insensitively.
    assert.deepEqual(names(await find({ query: { Field: 'Filename', Value: '.jpg', Operation: 'match' } })), ['img/c.jpg', 'img/d.JPG']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSStorageClass', Value: 'IA', Operation: 'eq' } })), ['docs/b.pdf', 'img/c.jpg']);
    assert.deepEqual(names(await find({ query: { Field: 'ObjectACL', Value: 'public', Operation: 'prefix' } })), ['docs/b.pdf']);
    const etag = (await client.head('img/c.jpg')).res.headers as Record<string, string>;
    assert.deepEqual(names(await find({ query: { Field: 'ETag', Value: etag.etag, Operation: 'eq' } })), ['img/c.jpg']);
    assert.deepEqual(names(await find({ query: { Field: 'ETag', Value: etag.etag!.replace(/"/g, ''), Operation: 'eq' } })), ['img/c.jpg']);
  });

  test('tags (key and value case-sensitive) and user metadata (key case-insensitive, value case-sensitive)', async () => {
    assert.deepEqual(names(await find({ query: { Field: 'OSSTagging.owner', Value: 'John', Operation: 'eq' } })), ['docs/a.txt']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSTagging.Owner', Value: 'john', Operation: 'eq' } })), ['notes.md']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSTagging.type', Value: 'doc', Operation: 'prefix' } })), ['docs/a.txt', 'notes.md']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSUserMeta.x-oss-meta-location', Value: 'hangzhou', Operation: 'eq' } })), ['docs/a.txt', 'docs/sub/e.txt']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSUserMeta.X-OSS-META-Location', Value: 'hangzhou', Operation: 'eq' } })), ['docs/a.txt', 'docs/sub/e.txt']);
    assert.deepEqual(names(await find({ query: { Field: 'OSSUserMeta.x-oss-meta-location', Value: 'beijing', Operation: 'eq' } })), []);
    assert.deepEqual(names(await find({ query: { Field: 'OSSUserMeta.camera', Value: 'x100', Operation: 'eq' } })), ['img/c.jpg']);
  });

  test('ServerSideEncryption: answered and searchable for encrypted objects only', async () => {
    await client.put('sse/x', Buffer.from('secret'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as unknown as OSS.PutObjectOptions);
    const a = await find({ query: { Field: 'ServerSideEncryption', Value: 'AES256', Operation: 'eq' } });
    assert.deepEqual(names(a), ['sse/x']);
    assert.equal(tagOf(a.files[0]!.xml, 'ServerSideEncryption'), 'AES256');
    const plain = await find({ query: { Field: 'Filename', Value: 'docs/a.txt', Operation: 'eq' } });
    assert.ok(!plain.files[0]!.xml.includes('ServerSideEncryption'));
    const g = await find({ query: { Field: 'Size', Value: '0', Operation: 'gte' }, aggregations: [['ServerSideEncryption', 'count'], ['ServerSideEncryption', 'group']] });
    assert.ok(g.aggregations!.includes('<Value>1</Value>'), g.aggregations);
    assert.ok(g.aggregations!.includes('<Groups><Group><Value>AES256</Value><Count>1</Count></Group></Groups>'), g.aggregations);
    await client.delete('sse/x');
  });

  test('FileModifiedTime compares as a time (RFC 3339, any offset)', async () => {
    const all = await find({ query: { Field: 'Size', Value: '0', Operation: 'gte' } });
    assert.deepEqual(names(all), ALL);
    const times = new Map(all.files.map((f) => [f.name, Date.parse(f.modified)]));
    const pivot = times.get('img/c.jpg')!;
    const expect = (pred: (t: number) => boolean): string[] => ALL.filter((k) => pred(times.get(k)!));
    const iso = new Date(pivot).toISOString();
    assert.deepEqual(names(await find({ query: { Field: 'FileModifiedTime', Value: iso, Operation: 'gt' } })), expect((t) => t > pivot));
    assert.deepEqual(names(await find({ query: { Field: 'FileModifiedTime', Value: iso, Operation: 'lte' } })), expect((t) => t <= pivot));
    // The same instant written with another offset and nanoseconds.
    const shifted = new Date(pivot + 8 * 3600_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000000+08:00');
    assert.deepEqual(names(await find({ query: { Field: 'FileModifiedTime', Value: shifted, Operation: 'eq' } })), expect((t) => t === pivot));
  });

  test('and, or, not nest (the published examples)', async () => {
    const q1 = { Operation: 'and', SubQueries: [{ Field: 'Filename', Value: 'docs/a.txt', Operation: 'eq' }, { Field: 'Size', Value: '1000', Operation: 'lt' }] };
    assert.deepEqual(names(await find({ query: q1 })), ['docs/a.txt']);
    const q2 = {
      Operation: 'and',
      SubQueries: [
        { Field: 'Filename', Value: 'docs/', Operation: 'prefix' },
        { Field: 'Size', Value: '5', Operation: 'gt' },
        { Operation: 'or', SubQueries: [{ Field: 'OSSTagging.type', Value: 'document', Operation: 'eq' }, { Field: 'OSSTagging.owner', Value: 'Mary', Operation: 'eq' }] },
      ],
    };
    assert.deepEqual(names(await find({ query: q2 })), ['docs/a.txt', 'docs/b.pdf']);
    // not: objects without the tag match too.
    const q3 = { Operation: 'not', SubQueries: [{ Field: 'OSSTagging.type', Value: 'document', Operation: 'eq' }] };
    assert.deepEqual(names(await find({ query: q3 })), ['docs/b.pdf', 'docs/sub/e.txt', 'img/c.jpg', 'img/d.JPG']);
    const q4 = { Operation: 'and', SubQueries: [{ Field: 'Filename', Value: 'img/', Operation: 'prefix' }, { Operation: 'not', SubQueries: [{ Field: 'Size', Value: '0', Operation: 'eq' }] }] };
    assert.deepEqual(names(await find({ query: q4 })), ['img/c.jpg']);
  });

  test('Sort and Order: by Size both ways; Order defaults to desc once Sort is given; ties by name', async () => {
    const all = { Field: 'Size', Value: '0', Operation: 'gte' };
    const bySize = [...OBJECTS].sort((x, y) => x.size - y.size).map((o) => o.key);
    assert.deepEqual(names(await find({ query: all, sort: 'Size', order: 'asc' })), bySize);
    assert.deepEqual(names(await find({ query: all, sort: 'Size', order: 'desc' })), [...bySize].reverse());
    assert.deepEqual(names(await find({ query: all, sort: 'Size' })), [...bySize].reverse());
    assert.deepEqual(names(await find({ query: all, sort: 'Filename', order: 'desc' })), [...ALL].reverse());
    const byClass = await find({ query: all, sort: 'OSSStorageClass', order: 'asc' });
    assert.deepEqual(names(byClass), ['docs/b.pdf', 'img/c.jpg', 'docs/a.txt', 'docs/sub/e.txt', 'img/d.JPG', 'notes.md']);
  });

  test('aggregations over the whole matching set: sum, count, min, max, average, distinct, group', async () => {
    const a = await find({
      query: { Field: 'Filename', Value: 'docs/', Operation: 'prefix' }, maxResults: 1,
      aggregations: [['Size', 'sum'], ['Size', 'count'], ['Size', 'min'], ['Size', 'max'], ['Size', 'average'], ['OSSStorageClass', 'distinct'], ['OSSStorageClass', 'group']],
    });
    // Aggregations alone: no files, no NextToken (the PHP SDK's BucketMetaQueryTest).
    assert.equal(a.files.length, 0);
    assert.equal(a.nextToken, undefined);
    assert.doesNotMatch(a.text, /<Files/);
    assert.match(a.text, /<NextToken><\/NextToken>|<NextToken\/>/);
    const aggs = [...a.aggregations!.matchAll(/<Aggregation>([\s\S]*?)<\/Aggregation>/g)].map((m) => m[1]!);
    const value = (i: number): string | undefined => tagOf(aggs[i]!, 'Value');
    assert.equal(aggs.length, 7);
    assert.equal(tagOf(aggs[0]!, 'Field'), 'Size');
    assert.equal(tagOf(aggs[0]!, 'Operation'), 'sum');
    assert.equal(value(0), '5010');
    assert.equal(value(1), '3');
    assert.equal(value(2), '10');
    assert.equal(value(3), '3000');
    assert.equal(value(4), '1670');
    assert.equal(value(5), '2');
    assert.equal(aggs[6], '<Field>OSSStorageClass</Field><Operation>group</Operation><Groups><Group><Value>Standard</Value><Count>2</Count></Group><Group><Value>IA</Value><Count>1</Count></Group></Groups>');
  });

  test('pages through NextToken over more objects than MaxResults, in key order and in another order', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 23; i++) {
      const key = `page/${String(i).padStart(2, '0')}`;
      keys.push(key);
      await client.put(key, Buffer.alloc((i * 7) % 10, 'p'));
    }
    const q = { Field: 'Filename', Value: 'page/', Operation: 'prefix' };
    const walk = async (extra: Partial<Ask>): Promise<string[][]> => {
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const a = await find({ query: q, maxResults: 10, ...extra, ...(token !== undefined ? { nextToken: token } : {}) });
        pages.push(names(a));
        token = a.nextToken;
        assert.ok(pages.length <= 5, 'paging ends');
      } while (token !== undefined);
      return pages;
    };
    const pages = await walk({});
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 3]);
    assert.deepEqual(pages.flat(), keys);
    const bySize = keys.map((k, i) => ({ k, s: (i * 7) % 10 })).sort((x, y) => y.s - x.s || (x.k < y.k ? 1 : -1)).map((x) => x.k);
    const sizePages = await walk({ sort: 'Size', order: 'desc' });
    assert.deepEqual(sizePages.map((p) => p.length), [10, 10, 3]);
    assert.deepEqual(sizePages.flat(), bySize);
    // A full page with nothing after it gives no NextToken.
    const exact = await find({ query: q, maxResults: 23 });
    assert.equal(exact.files.length, 23);
    assert.equal(exact.nextToken, undefined);
    // MaxResults 0 or absent: 100; more than 100 (the Python SDK v2's tests send 80369): 100.
    assert.equal((await find({ query: q, maxResults: 0 })).files.length, 23);
    assert.equal((await find({ query: q, maxResults: 80369 })).files.length, 23);
    // A token only continues the query it came from.
    const first = await find({ query: q, maxResults: 10 });
    const r = await fails({ query: q, maxResults: 10, sort: 'Size', nextToken: first.nextToken! }, 'InvalidArgument', 400);
    assert.equal(r.err?.ArgumentName, 'NextToken');
    await fails({ query: q, nextToken: 'not a token!' }, 'InvalidArgument', 400);
    for (const k of keys) await client.delete(k);
  });

  test('bad requests answer 400 with the argument named, nothing else happens', async () => {
    const bad = async (a: Ask, argument: string): Promise<void> => {
      const r = await fails(a, 'InvalidArgument', 400);
      assert.equal(r.err?.ArgumentName, argument, r.text);
    };
    await bad({ query: '{"Field": "Size"' }, 'Query');
    await bad({ query: '[]' }, 'Query');
    await bad({ query: { Field: 'Size', Value: '1' } }, 'Operation');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'between' } }, 'Operation');
    await bad({ query: { Field: 'Colour', Value: '1', Operation: 'eq' } }, 'Field');
    await bad({ query: { Field: 'Size', Value: 'big', Operation: 'gt' } }, 'Value');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'match' } }, 'Operation');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'prefix' } }, 'Operation');
    await bad({ query: { Field: 'FileModifiedTime', Value: 'yesterday', Operation: 'gt' } }, 'Value');
    await bad({ query: { Field: 'Filename', Operation: 'eq' } }, 'Value');
    await bad({ query: { Field: 'Filename', Value: 'x'.repeat(1025), Operation: 'eq' } }, 'Value');
    await bad({ query: { Operation: 'and', SubQueries: [] } }, 'SubQueries');
    await bad({ query: { Operation: 'or', SubQueries: Array.from({ length: 101 }, () => ({ Field: 'Size', Value: '1', Operation: 'eq' })) } }, 'SubQueries');
    let deep: object = { Field: 'Size', Value: '1', Operation: 'eq' };
    for (let i = 0; i < 9; i++) deep = { Operation: 'not', SubQueries: [deep] };
    await bad({ query: deep }, 'SubQueries');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, maxResults: -1 }, 'MaxResults');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, sort: 'OSSTagging.owner' }, 'Sort');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, sort: 'Size', order: 'up' }, 'Order');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, aggregations: [['Filename', 'sum']] }, 'Operation');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, aggregations: [['Size', 'median']] }, 'Operation');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, aggregations: [['OSSTagging.owner', 'count']] }, 'Field');
    await bad({ query: '' }, 'Query');
    // Hostile shapes: bounded before they cost anything, never a 500.
    await bad({ query: `${'['.repeat(8000)}${']'.repeat(8000)}` }, 'Query');
    await bad({ query: JSON.stringify({ Field: 'Filename', Value: 'x'.repeat(17000), Operation: 'eq' }) }, 'Query');
    await bad({ query: { Field: 'Filename', Value: { nested: { deeper: 1 } }, Operation: 'eq' } }, 'Value');
    await bad({ query: { Field: 'OSSTagging.', Value: 'x', Operation: 'eq' } }, 'Field');
    await bad({ query: { Field: 'Size', Value: '99999999999999999999', Operation: 'gt' } }, 'Value');
    await bad({ query: { Operation: 'and', SubQueries: [{ Field: 'Size', Value: '1', Operation: 'eq' }], Field: 'Size' } }, 'Operation');
    await bad({ query: { Field: 'Size', Value: '1', Operation: 'eq' }, aggregations: Array.from({ length: 17 }, (): [string, string] => ['Size', 'sum']) }, 'Aggregations');
    let wide: object[] = [];
    for (let i = 0; i < 3; i++) wide = Array.from({ length: 8 }, () => ({ Operation: 'or', SubQueries: wide.length > 0 ? wide : [{ Field: 'Size', Value: '1', Operation: 'eq' }] }));
    await bad({ query: { Operation: 'and', SubQueries: wide } }, 'Query');
    await fails(`<MetaQuery><Query>${'x'.repeat(70 * 1024)}</Query></MetaQuery>`, 'EntityTooLarge', 400);
    await fails('<MetaQuery><Query>{"Field":"Size"</MetaQuery>', 'MalformedXML', 400);
    await fails('<Other/>', 'MalformedXML', 400);
    // mode=semantic is answered (its natural-language Query is not understood: test/sdk-go-v2-suite.test.ts), but an
    // unknown MediaType is refused.
    const semantic = await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'query'], ['mode', 'semantic']], '<MetaQuery><Query>a forest</Query><MediaTypes><MediaType>smell</MediaType></MediaTypes></MetaQuery>');
    assert.equal(semantic.status, 400, semantic.text);
  });

  test('current versions only on a versioned bucket', async () => {
    const vb = 'meta-query-versioned';
    await client.putBucket(vb);
    await (client as unknown as { putBucketVersioning(b: string, s: string): Promise<unknown> }).putBucketVersioning(vb, 'Enabled');
    const v = srv.client({ bucket: vb });
    await v.put('k1', Buffer.alloc(5));
    await v.put('k1', Buffer.alloc(7));
    await v.put('k2', Buffer.alloc(3));
    await v.delete('k2');
    assert.equal((await send(srv, 'POST', vb, [['metaQuery', ''], ['comp', 'add']])).status, 200);
    const a = answerOf(await query({ query: { Field: 'Size', Value: '0', Operation: 'gte' }, aggregations: [['Size', 'count']] }, undefined, vb));
    assert.deepEqual(a.files, []);
    assert.equal(tagOf(a.aggregations!, 'Value'), '1');
    const b = answerOf(await query({ query: { Field: 'Size', Value: '0', Operation: 'gte' } }, undefined, vb));
    assert.deepEqual(b.files.map((f) => [f.name, f.size]), [['k1', 7]]);
  });

  test('an explicit Deny on oss:DoMetaQuery refuses; an Allow admits', async () => {
    const ram = new Ram(srv);
    const allowAll = { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] };
    const denied = await ram.userWith('meta-query-denied', policyDoc(allowAll, { Effect: 'Deny', Action: ['oss:DoMetaQuery'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    const allowed = await ram.userWith('meta-query-allowed', policyDoc({ Effect: 'Allow', Action: ['oss:DoMetaQuery'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    const q = { query: { Field: 'Size', Value: '0', Operation: 'gte' } };
    const d = await query(q, [denied.accessKeyId, denied.accessKeySecret]);
    assert.equal(d.status, 403, d.text);
    assert.equal(d.err?.Code, 'AccessDenied');
    assert.equal(names(answerOf(await query(q, [allowed.accessKeyId, allowed.accessKeySecret]))).length, OBJECTS.length);
    // The narrow Allow does not reach the index switch.
    const close = await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'delete']], undefined, [allowed.accessKeyId, allowed.accessKeySecret]);
    assert.equal(close.status, 403, close.text);
  });

  test('CloseMetaQuery: refused again with MetaQueryNotExist', async () => {
    assert.equal((await send(srv, 'POST', BUCKET, [['metaQuery', ''], ['comp', 'delete']])).status, 200);
    await fails({ query: { Field: 'Size', Value: '0', Operation: 'gte' } }, 'MetaQueryNotExist', 404);
  });
});

describe('GetMetaQueryStatus: Ready, then Running (the Python SDK v2\'s test_meta_query_client)', () => {
  test('Ready right after opening (DoMetaQuery answers already), Running once --meta-query-ready-seconds passed; the mode, filters and workflow parameters shown back', async () => {
    let now = Date.now();
    const srv = await startTestServer({ clock: () => now, timing: { metaQueryReadyMs: 3000 } });
    try {
      await srv.client().putBucket('mq-ready');
      await srv.client({ bucket: 'mq-ready' }).put('big.bin', Buffer.alloc(2000));
      const status = async (bucket: string): Promise<string> => {
        const r = await send(srv, 'GET', bucket, [['metaQuery', '']]);
        assert.equal(r.status, 200, r.text);
        return r.text;
      };
      assert.equal((await send(srv, 'POST', 'mq-ready', [['metaQuery', ''], ['comp', 'add']])).status, 200);
      const ready = await status('mq-ready');
      assert.equal(tagOf(ready, 'State'), 'Ready', ready);
      assert.equal(tagOf(ready, 'MetaQueryMode'), 'basic', ready);
      assert.ok(tagOf(ready, 'CreateTime') !== undefined && tagOf(ready, 'UpdateTime') !== undefined, ready);
      // The index is the objects table: a query answers during Ready too (the SDK's test queries at once).
      const q = await send(srv, 'POST', 'mq-ready', [['metaQuery', ''], ['comp', 'query']], body({ query: { Field: 'Size', Value: '1000', Operation: 'gt' } }));
      assert.deepEqual(answerOf(q).files.map((f) => f.name), ['big.bin']);
      now += 3000;
      const running = await status('mq-ready');
      assert.equal(tagOf(running, 'State'), 'Running', running);
      assert.equal(tagOf(running, 'Phase'), 'IncrementalScanning', running);

      // mode=semantic with workflow parameters and filters, as the SDK's test opens it; both read back in order.
      await srv.client().putBucket('mq-semantic');
      const open = '<MetaQuery><WorkflowParameters><WorkflowParameter><Name>VideoInsightEnable</Name><Value>True</Value></WorkflowParameter>'
        + '<WorkflowParameter><Name>ImageInsightEnable</Name><Value>True</Value></WorkflowParameter></WorkflowParameters>'
        + '<Filters><Filter>Size > 1024, FileModifiedTime > 2025-06-03T09:20:47.999Z</Filter><Filter>Filename prefix (YWEvYmIv)</Filter></Filters></MetaQuery>';
      assert.equal((await send(srv, 'POST', 'mq-semantic', [['metaQuery', ''], ['comp', 'add'], ['mode', 'semantic'], ['role', 'OSSServiceRole']], open)).status, 200);
      const semantic = await status('mq-semantic');
      assert.equal(tagOf(semantic, 'State'), 'Ready');
      assert.equal(tagOf(semantic, 'MetaQueryMode'), 'semantic');
      assert.match(semantic, /<Filters><Filter>Size &gt; 1024, FileModifiedTime &gt; 2025-06-03T09:20:47.999Z<\/Filter><Filter>Filename prefix \(YWEvYmIv\)<\/Filter><\/Filters>/);
      assert.match(semantic, /<WorkflowParameters><WorkflowParameter><Name>VideoInsightEnable<\/Name><Value>True<\/Value><\/WorkflowParameter><WorkflowParameter><Name>ImageInsightEnable<\/Name><Value>True<\/Value><\/WorkflowParameter><\/WorkflowParameters>/);
      assert.equal((await send(srv, 'POST', 'mq-semantic', [['metaQuery', ''], ['comp', 'add'], ['mode', 'vector']])).status, 400);
    } finally {
      await srv.stop();
    }
  });
});

describe('DoMetaQuery scan bounds (a real SQLite store, small limits)', () => {
  const ctx = (meta: SqliteMetadataStore): DomainContext => ({ meta, blobs: new MemoryBlobStore(), clock: () => Date.now(), region: 'cn-hangzhou', log: () => {} });

  test('key order pages stop after scanLimit objects read and resume there; other orders refuse past it', async () => {
    const meta = new SqliteMetadataStore({ path: ':memory:' });
    await meta.createBucket({ name: 'b', ownerAccountId: '1', createdAt: 0, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
    await meta.updateBucketConfig('b', 'stored.meta-query', () => JSON.stringify({ State: 'Running' }));
    const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const [i, key] of keys.entries()) {
      await meta.putObject('b', key, () => ({
        bucket: 'b', key, size: i, etag: 'E', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
        lastModified: 1, headers: { contentType: 'x/y' }, userMeta: {}, tags: i % 5 === 0 ? [['five', 'yes']] : [], segments: [], inline: null, symlinkTarget: null,
      }));
    }
    const svc = new MetaQueryService(ctx(meta), { ...META_QUERY_LIMITS, scanLimit: 10, pageSize: 3 });
    const req = (over: Partial<MetaQueryRequest>): MetaQueryRequest => ({ query: JSON.stringify({ Field: 'OSSTagging.five', Value: 'yes', Operation: 'eq' }), aggregations: [], ...over });
    // Matches are k00, k05, k10, k15, k20: each request reads at most 10 objects, so pages are partial but complete together.
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    let requests = 0;
    do {
      const r = await svc.query('b', req(token !== undefined ? { nextToken: token } : {}));
      seen.push(...r.files.map((f) => f.filename));
      sizes.push(r.files.length);
      token = r.nextToken;
      assert.ok(++requests <= 5);
    } while (token !== undefined);
    assert.deepEqual(seen, ['k00', 'k05', 'k10', 'k15', 'k20']);
    assert.deepEqual(sizes, [2, 2, 1]);
    // Sorting otherwise (or aggregating) needs every candidate: refused past the bound, allowed within a prefix range.
    await assert.rejects(svc.query('b', req({ sort: 'Size' })), (e: unknown) => e instanceof AppError && e.code === 'NotImplemented');
    await assert.rejects(svc.query('b', req({ aggregations: [{ field: 'Size', operation: 'sum' }] })), (e: unknown) => e instanceof AppError && e.code === 'NotImplemented');
    const narrow = await svc.query('b', { query: JSON.stringify({ Field: 'Filename', Value: 'k1', Operation: 'prefix' }), sort: 'Size', aggregations: [] });
    assert.deepEqual(narrow.files.map((f) => f.filename), ['k19', 'k18', 'k17', 'k16', 'k15', 'k14', 'k13', 'k12', 'k11', 'k10']);
    const summed = await svc.query('b', { query: JSON.stringify({ Field: 'Filename', Value: 'k1', Operation: 'prefix' }), aggregations: [{ field: 'Size', operation: 'sum' }] });
    assert.deepEqual(summed.files, []);
    assert.equal(summed.aggregations[0]!.value, 145);
    // Ready (an earlier Alunite stored it) answers like Running; a state Alunite never stores is refused.
    await meta.updateBucketConfig('b', 'stored.meta-query', () => JSON.stringify({ State: 'Ready' }));
    assert.equal((await svc.query('b', req({}))).files.length, 2);
    await meta.updateBucketConfig('b', 'stored.meta-query', () => JSON.stringify({ State: 'Stop' }));
    await assert.rejects(svc.query('b', req({})), (e: unknown) => e instanceof AppError && e.code === 'MetaQueryNotReady');
    await meta.close();
  });
});
