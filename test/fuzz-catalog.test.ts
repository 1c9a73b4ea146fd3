// A fuzzer generated from the API metadata (test/fixtures/api-fuzz-shapes.json, written by
// scripts/gen-fuzz-shapes.mjs): every one of the 162 published OSS operations is sent, correctly signed (V1),
// first as the metadata describes it and then with seeded mutations of its inputs: XML bodies with wrong types,
// missing, duplicated and unknown elements, huge and negative numbers, invalid UTF-8, character references,
// empty and cut bodies, a wrong Content-MD5, boundary-size values, odd query and header values. Then every RAM and
// STS action through @alicloud/pop-core with mutated parameters. Against a real `bin/alunite server` process:
//  - no answer is a 5xx but 501 (unimplemented) and 503 (overloaded), none hangs, the process stays up, and no
//    request is logged as an internal error;
//  - every error is the service's own: an OSS error document (or `x-oss-err` for HEAD) / a POP JSON error, with a
//    Code and a Message;
//  - a refused write changed nothing: the operation's own reader (PutBucketCors → GetBucketCors, …) and the
//    bucket's version and upload listings answer exactly what they did before it (RAM: the lists of users,
//    groups, roles and policies).
// Deterministic (FUZZ_SEED) and bounded: FUZZ_PER_OP requests per operation, and no new round after FUZZ_BUDGET_MS
// (15 s; POP: FUZZ_POP_BUDGET_MS, 8 s); the first round, every operation as described, is always sent whole.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { CATALOG, type CatalogOperation } from '../src/oss/catalog.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { mulberry32 } from './helpers/seeded-random.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const PER_OP = Number(process.env.FUZZ_PER_OP ?? 8);
/**
 * No new OSS request after this long, nor POP request after POP_BUDGET_MS more (a busy machine). Every operation's
 * first round comes before any later one, so a cut run still reaches all of them; the suite runs near its time
 * limit, so the default is short (FUZZ_BUDGET_MS / FUZZ_POP_BUDGET_MS for a longer hunt).
 */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 15_000);
const POP_BUDGET_MS = Number(process.env.FUZZ_POP_BUDGET_MS ?? 8_000);
const ANSWER_LIMIT_MS = 30_000;
const WORKERS = 4;

type Shape = 's' | 'i' | 'b' | { e: string[] } | { a: Shape } | { o: Record<string, Shape> };
interface Param {
  name: string;
  in: string;
  type: Shape;
}
interface Fixture {
  oss: Record<string, { params: Param[]; body?: 'raw' | { root: string; shape: Shape } }>;
  ram: Record<string, Array<{ name: string; type: Shape }>>;
  sts: Record<string, Array<{ name: string; type: Shape }>>;
}
const SHAPES = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/api-fuzz-shapes.json', import.meta.url)), 'utf8')) as Fixture;

interface Rng {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}
function rngOf(seed: number): Rng {
  const next = mulberry32(seed);
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]!, chance: (p) => next() < p };
}

/** Stands for bytes that are not UTF-8 in a leaf; the serializer puts the bytes in. */
const BAD_UTF8 = '\u0000BADUTF8\u0000';
const CHAR_REFS = ['&#0;', '&#xD800;', '&#x110000;', '&#65;', '&lt;&gt;', '&unknown;', '&#xFFFE;', '&#99999999999;', '&#x;', '&amp;amp;'];
const HUGE = ['99999999999999999999999', '9223372036854775808', '4294967296', '2147483648', '1e309', '1.5', '0x10', ' 7 '];
const NEGATIVE = ['-1', '-0', '-9223372036854775809', '-2147483649'];
const ODD = ['', ' ', '%', '%zz', '\t', 'null', 'undefined', 'true', '[]', '{}', 'é', '\u{1F600}', '..', '/', '*'];
/** Lengths at and around the bounds OSS documents for names, keys, tags, headers. */
const SIZES = [63, 64, 65, 127, 128, 129, 255, 256, 1023, 1024, 1025, 8192, 65537];

// --- XML bodies as trees, so that elements can be dropped, doubled, retyped --------------------------------------
interface XNode {
  name: string;
  type: Shape;
  children?: XNode[];
  text?: string;
}

/** A plausible value for a leaf, by its name and type (the metadata has no examples for body elements). */
function valueOf(name: string, type: Shape, ctx: Ctx): string {
  if (typeof type === 'object' && 'e' in type) return type.e[0]!;
  if (type === 'i') return /Days|Hours|Age|Seconds|Period|Number|Size|Count|MaxKeys|Retention/i.test(name) ? '1' : '1';
  if (type === 'b') return 'true';
  const n = name.toLowerCase();
  if (n.includes('date') || n.endsWith('time')) return '2030-01-01T00:00:00.000Z';
  if (n === 'status') return 'Enabled';
  if (n.includes('bucket')) return 'fz-absent-target';
  if (n === 'key' || n.endsWith('object') || n.includes('document') || n === 'prefix') return n === 'prefix' ? 'p/' : 'obj';
  if (n.includes('origin')) return '*';
  if (n.includes('method')) return 'GET';
  if (n === 'etag') return `"${createHash('md5').update('x').digest('hex').toUpperCase()}"`;
  if (n.includes('domain')) return 'fz.example.com';
  if (n.includes('region') || n.includes('location')) return 'oss-cn-hangzhou';
  if (n.includes('id') || n.includes('name')) return 'fz1';
  if (n.includes('expression')) return Buffer.from('select * from ossobject').toString('base64');
  return ctx.key;
}

function treeOf(name: string, type: Shape, ctx: Ctx, depth = 0): XNode {
  if (typeof type === 'object' && 'o' in type) {
    const children: XNode[] = [];
    if (depth < 6) for (const [k, v] of Object.entries(type.o)) children.push(...nodesOf(k, v, ctx, depth + 1));
    return { name, type, children };
  }
  return { name, type, text: valueOf(name, type, ctx) };
}
function nodesOf(name: string, type: Shape, ctx: Ctx, depth: number): XNode[] {
  if (typeof type === 'object' && 'a' in type) return [treeOf(name, type.a, ctx, depth)];
  return [treeOf(name, type, ctx, depth)];
}

const escapeText = (s: string): string => s.replace(/&(?![#a-zA-Z][^;]{0,12};)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function serialize(n: XNode): string {
  if (n.children !== undefined) return `<${n.name}>${n.children.map(serialize).join('')}</${n.name}>`;
  return `<${n.name}>${escapeText(n.text ?? '')}</${n.name}>`;
}
const toBytes = (xml: string): Buffer => Buffer.concat(xml.split(BAD_UTF8).flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from(part)])));

function allNodes(n: XNode, out: Array<{ node: XNode; parent: XNode | null }> = [], parent: XNode | null = null): Array<{ node: XNode; parent: XNode | null }> {
  out.push({ node: n, parent });
  for (const c of n.children ?? []) allNodes(c, out, n);
  return out;
}
const clone = (n: XNode): XNode => ({ ...n, ...(n.children !== undefined ? { children: n.children.map(clone) } : {}) });

/** One structural or value mutation of an XML tree, in place; returns what it did (for failure messages). */
function mutateTree(r: Rng, root: XNode): string {
  const nodes = allNodes(root);
  const leaves = nodes.filter((x) => x.node.children === undefined);
  const inner = nodes.filter((x) => x.parent !== null);
  // A tree whose elements were all dropped has no leaf: its root becomes one.
  const leaf = (): XNode => {
    const x = leaves.length > 0 ? r.pick(leaves).node : root;
    delete x.children;
    return x;
  };
  switch (r.int(9)) {
    case 0: {
      // wrong type
      const l = leaf();
      l.text = l.type === 'i' ? r.pick(['abc', 'true', '1.0.0']) : l.type === 'b' ? r.pick(['yes', '1', 'TRUE ', '']) : r.pick(['Bogus', '123', '']);
      return `wrong type in ${l.name}`;
    }
    case 1: {
      if (inner.length === 0) return 'none';
      const x = r.pick(inner);
      x.parent!.children = x.parent!.children!.filter((c) => c !== x.node);
      return `missing ${x.node.name}`;
    }
    case 2: {
      if (inner.length === 0) return 'none';
      const x = r.pick(inner);
      const times = r.chance(0.8) ? 2 : 2 + r.int(2000);
      const at = x.parent!.children!.indexOf(x.node);
      x.parent!.children!.splice(at, 0, ...Array.from({ length: times - 1 }, () => clone(x.node)));
      return `${x.node.name} ×${times}`;
    }
    case 3: {
      const x = r.pick(nodes).node;
      if (x.children === undefined) {
        x.children = [{ name: 'Unknown', type: 's', text: 'u' }];
        delete x.text;
      } else x.children.splice(r.int(x.children.length + 1), 0, { name: r.pick(['Unknown', 'x:Foo', 'Rule', 'ID']), type: 's', text: 'u' });
      return `unknown element in ${x.name}`;
    }
    case 4: {
      const l = leaf();
      l.text = r.pick(r.chance(0.5) ? HUGE : NEGATIVE);
      return `${l.name}=${l.text}`;
    }
    case 5: {
      const l = leaf();
      l.text = (l.text ?? '') + BAD_UTF8;
      return `invalid UTF-8 in ${l.name}`;
    }
    case 6: {
      const l = leaf();
      l.text = (l.text ?? '') + r.pick(CHAR_REFS);
      return `character reference in ${l.name}: ${l.text}`;
    }
    case 7: {
      const l = leaf();
      const size = r.pick(SIZES);
      l.text = r.pick(['a', 'é', '/', '<']).repeat(size);
      return `${l.name} of ${size}`;
    }
    default: {
      const l = leaf();
      l.text = r.pick(ODD);
      return `${l.name}=${JSON.stringify(l.text)}`;
    }
  }
}

const HOSTILE = [
  '',
  '<',
  '<?xml version="1.0"?>',
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;&b;</x>',
  '<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
  `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`,
  '<?xml version="1.0" encoding="UTF-16"?><x/>',
  '\ufeff<x/>',
  '<x><![CDATA[a]]></x>',
  '<x xmlns="urn:y" a="1" a="2"/>',
  '{"json": true}',
];

// --- requests --------------------------------------------------------------------------------------------------
interface Ctx {
  bucket: string;
  key: string;
  uploadId: string;
}
interface Req {
  op: string;
  method: string;
  bucket: string | null;
  key: string | null;
  /** Decoded pairs; a '' value of a sub-resource goes without `=`. */
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body: Buffer;
  note: string;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

function keyFor(op: CatalogOperation): string {
  if (/LiveChannel|VodPlaylist/.test(op.name)) return 'chan';
  if (/Multipart|UploadPart|ListParts/.test(op.name)) return 'mp';
  if (op.name === 'AppendObject' || op.name === 'SealAppendObject') return 'app';
  if (op.name === 'DeleteObject') return 'doomed';
  return 'obj';
}

/** A value for a query parameter or header by its name. */
function paramValue(p: { name: string; type: Shape }, ctx: Ctx): string {
  switch (p.name) {
    case 'uploadId':
      return ctx.uploadId;
    case 'partNumber':
      return '1';
    case 'position':
      return '0';
    case 'x-oss-copy-source':
      return `/${ctx.bucket}/obj`;
    case 'x-oss-acl':
    case 'x-oss-object-acl':
      return 'private';
    case 'x-oss-symlink-target':
      return 'obj';
    case 'x-oss-copy-source-range':
      return 'bytes=0-1';
    case 'x-oss-access-point-name':
      return 'fz-ap';
    case 'x-oss-meta-*':
      return 'm';
    case 'max-keys':
      return '10';
    case 'startTime':
      return '1700000000';
    case 'endTime':
      return '1700003600';
    default:
      return valueOf(p.name, p.type, ctx);
  }
}

function baseRequest(op: CatalogOperation, ctx: Ctx, r: Rng): Req & { tree?: XNode } {
  const shape = SHAPES.oss[op.name];
  const key = op.scope === 'object' ? keyFor(op) : null;
  const query: Array<[string, string]> = op.subresources.map(([k, v]) => [k, v]);
  const headers: Record<string, string> = {};
  for (const p of shape?.params ?? []) {
    if (p.in === 'path') continue;
    const required = op.requiredQuery.includes(p.name) || op.requiredHeaders.includes(p.name);
    if (op.subresources.some(([k]) => k === p.name)) continue;
    if (!required && !r.chance(0.3)) continue;
    const value = paramValue(p, { ...ctx, key: key ?? 'obj' });
    if (p.in === 'query') query.push([p.name, value]);
    else if (p.in === 'header') headers[p.name === 'x-oss-meta-*' ? 'x-oss-meta-fz' : p.name] = value;
  }
  if (op.name === 'OptionObject') {
    headers.origin ??= 'http://a.example';
    headers['access-control-request-method'] ??= 'GET';
  }
  let body: Buffer = Buffer.alloc(0);
  let tree: XNode | undefined;
  if (shape?.body === 'raw') {
    body = /Policy/.test(op.name)
      ? Buffer.from(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${ctx.bucket}/*`] }] }))
      : Buffer.from(`fuzz body ${r.int(1000)}\n`);
  } else if (shape?.body !== undefined) {
    tree = treeOf(shape.body.root, shape.body.shape, { ...ctx, key: key ?? 'obj' });
    body = toBytes(serialize(tree));
    headers['content-type'] = 'application/xml';
  } else if (op.name === 'DeleteMultipleObjects') {
    body = Buffer.from('<Delete><Quiet>true</Quiet><Object><Key>none</Key></Object></Delete>');
  }
  return { op: op.name, method: op.method, bucket: op.scope === 'service' ? null : ctx.bucket, key, query, headers, body, note: 'as described', ...(tree !== undefined ? { tree } : {}) };
}

/** The request mutated: its body (tree or bytes), Content-MD5, a query value or a header value. */
function mutated(base: Req & { tree?: XNode }, r: Rng): Req {
  const q: Req = { ...base, query: base.query.map(([k, v]) => [k, v]), headers: { ...base.headers } };
  const notes: string[] = [];
  const rounds = r.chance(0.7) ? 1 : 2;
  let md5Mode: 'right' | 'wrong' | 'garbage' | 'none' = r.chance(0.5) ? 'right' : 'none';
  for (let i = 0; i < rounds; i++) {
    const what = r.int(10);
    if (what < 5 && base.tree !== undefined) {
      const t = clone(base.tree);
      notes.push(mutateTree(r, t));
      q.body = toBytes(serialize(t));
      base = { ...base, tree: t };
    } else if (what < 6 && base.body.length > 0) {
      if (r.chance(0.5)) {
        q.body = Buffer.from(r.pick(HOSTILE));
        notes.push(`hostile body ${JSON.stringify(q.body.toString().slice(0, 40))}`);
      } else {
        q.body = q.body.subarray(0, r.int(q.body.length));
        notes.push(`body cut to ${q.body.length}`);
      }
    } else if (what < 7) {
      md5Mode = r.pick(['wrong', 'garbage'] as const);
      notes.push(`content-md5 ${md5Mode}`);
    } else if (what < 9 && q.query.length > 0) {
      const at = r.int(q.query.length);
      const [k, v] = q.query[at]!;
      const choice = r.int(5);
      if (choice === 0) q.query.push([k, r.pick(ODD)]);
      else q.query[at] = [k, choice === 1 ? r.pick(HUGE) : choice === 2 ? r.pick(NEGATIVE) : choice === 3 ? 'x'.repeat(r.pick(SIZES)) : v === '' ? r.pick(ODD) : r.pick(ODD)];
      notes.push(`query ${k}=${JSON.stringify(q.query[at]![1].slice(0, 30))}${choice === 0 ? ' (twice)' : ''}`);
    } else {
      const names = Object.keys(q.headers).filter((h) => h !== 'content-type');
      const name = names.length > 0 && r.chance(0.7) ? r.pick(names) : r.pick(['x-oss-forbid-overwrite', 'x-oss-storage-class', 'x-oss-object-acl', 'content-type', 'x-oss-tagging', 'range', 'x-oss-server-side-encryption']);
      q.headers[name] = r.pick([...ODD.filter((s) => !/[\t]/.test(s)), ...HUGE, ...NEGATIVE, 'a'.repeat(r.pick(SIZES.slice(0, 11)))]);
      notes.push(`header ${name}=${JSON.stringify(q.headers[name]!.slice(0, 30))}`);
    }
  }
  if (md5Mode === 'right') q.headers['content-md5'] = md5(q.body);
  else if (md5Mode === 'wrong') q.headers['content-md5'] = md5(Buffer.concat([q.body, Buffer.from('x')]));
  else if (md5Mode === 'garbage') q.headers['content-md5'] = r.pick(['', 'abc', '!!!!', 'AAAAAAAAAAAAAAAAAAAAAA==', md5(q.body).slice(1)]);
  q.note = notes.join('; ');
  return q;
}

/** Non-ASCII header text as its UTF-8 bytes read as latin1 (what goes on the wire; the server decodes UTF-8). */
const wire = (s: string): string => (/[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);

function pathOf(q: Req): string {
  const base = `/${q.bucket === null ? '' : `${q.bucket}/`}${q.key === null ? '' : encodeURIComponent(q.key).replace(/%2F/g, '/')}`;
  if (q.query.length === 0) return base;
  return `${base}?${q.query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${v === '%zz' || v === '%' ? v : encodeURIComponent(v)}`)).join('&')}`;
}

/** Signs with V1 and sends; rejects when no answer comes within ANSWER_LIMIT_MS. */
async function send(port: number, q: Req): Promise<RawResponse> {
  const headers: Record<string, string> = { ...q.headers, date: new Date().toUTCString() };
  headers.authorization = v1Authorization({ method: q.method, bucket: q.bucket, key: q.key, query: q.query, headers }, AK, SECRET).authorization;
  headers.host = `127.0.0.1:${port}`;
  headers['content-length'] = String(q.body.length);
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_LIMIT_MS / 1000} s`)), ANSWER_LIMIT_MS);
  });
  try {
    return await Promise.race([rawRequest(port, { method: q.method, path: pathOf(q), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, wire(v)])), body: q.body }), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a refused answer must be: the service's own error with a Code and a Message; no 5xx but 501 and 503. */
function answerProblem(q: Req, res: RawResponse): string | null {
  if (res.status >= 500 && res.status !== 501 && res.status !== 503) return `status ${res.status}: ${res.body.toString().slice(0, 300)}`;
  if (res.status < 400) return null;
  let err: Record<string, string> | null;
  try {
    err = errorOf(res);
  } catch (e) {
    return `status ${res.status} without an error document: ${(e as Error).message.slice(0, 200)}`;
  }
  if (err === null) return q.method === 'HEAD' && res.headers['x-oss-request-id'] !== undefined ? null : `status ${res.status} without an error document`;
  if (!err.Code) return `status ${res.status} error without a Code`;
  if (!err.Message) return `status ${res.status} ${err.Code} without a Message`;
  return null;
}

// --- state: what a refused write must leave as it was -----------------------------------------------------------
const BY_NAME = new Map(CATALOG.map((op) => [op.name, op]));
const WRITE_VERBS = /^(Put|Delete|Create|Update|Init|Initiate|Abort|Complete|Extend|Close|Open|Seal|Clean|Restore|Append|Copy|Upload|Post)/;

/** The reader whose answer a write of `op` would change: PutBucketCors → GetBucketCors, PutObjectTagging → GetObjectTagging, … */
function readerOf(op: CatalogOperation): CatalogOperation | undefined {
  const rest = op.name.replace(WRITE_VERBS, '');
  for (const name of [`Get${rest}`, `Get${rest}Info`, `List${rest}`, `List${rest}s`, `Get${rest.replace(/Status$/, '')}Info`]) {
    const reader = BY_NAME.get(name);
    if (reader !== undefined && reader.method === 'GET' && reader.scope === op.scope) return reader;
  }
  return undefined;
}

/** The request the reader needs, with the parameters the write named (inventoryId, styleName, …) reused. */
function readerRequest(reader: CatalogOperation, write: Req, ctx: Ctx): Req {
  const query: Array<[string, string]> = reader.subresources.map(([k, v]) => [k, v]);
  const headers: Record<string, string> = {};
  const fromWrite = (name: string): string | undefined => write.query.find(([k]) => k === name)?.[1] ?? write.headers[name];
  for (const name of reader.requiredQuery) query.push([name, fromWrite(name) ?? paramValue({ name, type: 's' }, ctx)]);
  for (const name of reader.requiredHeaders) headers[name] = fromWrite(name) ?? paramValue({ name, type: 's' }, ctx);
  return { op: reader.name, method: 'GET', bucket: write.bucket, key: write.key, query, headers, body: Buffer.alloc(0), note: 'reader' };
}

/** Answers with the parts that change per request (ids, dates of the answer) taken out. */
const stable = (res: RawResponse): string =>
  `${res.status} ${res.body.toString('utf8').replace(/<(RequestId|HostId)>[^<]*<\/\1>/g, '').replace(/"RequestId":"[^"]*"/g, '')}`;

async function snapshot(port: number, write: Req, ctx: Ctx): Promise<string[]> {
  const op = BY_NAME.get(write.op)!;
  const reqs: Req[] = [];
  const reader = readerOf(op);
  if (reader !== undefined) reqs.push(readerRequest(reader, write, ctx));
  if (write.bucket !== null) {
    reqs.push({ op: 'ListObjectVersions', method: 'GET', bucket: write.bucket, key: null, query: [['versions', '']], headers: {}, body: Buffer.alloc(0), note: 'state' });
    reqs.push({ op: 'ListMultipartUploads', method: 'GET', bucket: write.bucket, key: null, query: [['uploads', '']], headers: {}, body: Buffer.alloc(0), note: 'state' });
  }
  const out: string[] = [];
  for (const q of reqs) out.push(`${q.op}: ${stable(await send(port, q))}`);
  return out;
}

// --- the run -----------------------------------------------------------------------------------------------------
async function ok(port: number, q: Omit<Req, 'op' | 'note'>): Promise<RawResponse> {
  const res = await send(port, { ...q, op: 'setup', note: '' });
  assert.ok(res.status < 300, `${q.method} ${pathOf({ ...q, op: '', note: '' })}: ${res.status} ${res.body.toString()}`);
  return res;
}

async function prepare(port: number, bucket: string): Promise<Ctx> {
  const none = { key: null, query: [], headers: {}, body: Buffer.alloc(0) };
  await ok(port, { ...none, method: 'PUT', bucket });
  await ok(port, { ...none, method: 'PUT', bucket: `${bucket}-spare` });
  for (const key of ['obj', 'doomed']) await ok(port, { ...none, method: 'PUT', bucket, key, body: Buffer.from(`content of ${key}`) });
  await ok(port, { ...none, method: 'POST', bucket, key: 'app', query: [['append', ''], ['position', '0']], body: Buffer.from('appended') });
  const cors = Buffer.from('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>');
  await ok(port, { ...none, method: 'PUT', bucket, query: [['cors', '']], body: cors });
  await ok(port, { ...none, method: 'PUT', bucket, query: [['tagging', '']], body: Buffer.from('<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>') });
  await ok(port, { ...none, method: 'PUT', bucket, key: 'obj', query: [['tagging', '']], body: Buffer.from('<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>') });
  const init = await ok(port, { ...none, method: 'POST', bucket, key: 'mp', query: [['uploads', '']] });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())![1]!;
  await ok(port, { ...none, method: 'PUT', bucket, key: 'mp', query: [['partNumber', '1'], ['uploadId', uploadId]], body: Buffer.from('part one') });
  return { bucket, key: 'obj', uploadId };
}

describe('fuzzing every published operation from the API metadata', () => {
  let srv: SpawnedServer;
  before(async () => {
    // test/pg-fuzz-catalog.test.ts: the metadata in a fresh PostgreSQL schema (and none in the data directory).
    const onPostgres = process.env.ALUNITE_TEST_META === 'postgres';
    const meta = onPostgres ? ['--meta', await (await (await import('./helpers/postgres.js')).testPostgres()).freshUrl()] : [];
    const dataDir = await tempDir('alunite-fuzz-catalog-');
    srv = await spawnServer(['--data', dataDir, ...meta]);
    if (onPostgres) assert.ok(!existsSync(join(dataDir, 'metadata.sqlite')), 'the server keeps its metadata in PostgreSQL');
  });
  after(async () => {
    await kill9(srv.child);
  });

  it(`OSS: ${CATALOG.length} operations, ${PER_OP} requests each (seed ${SEED})`, { timeout: 300_000 }, async (t) => {
    assert.equal(CATALOG.length, 162);
    assert.equal(Object.keys(SHAPES.oss).length, 162);
    const failures: string[] = [];
    const started = Date.now();
    let sent = 0;
    let refusedWrites = 0;
    // Service-level operations (account-wide state) all go to worker 0, so no other worker changes what it reads.
    const lanes: CatalogOperation[][] = Array.from({ length: WORKERS }, () => []);
    CATALOG.forEach((op, i) => lanes[op.scope === 'service' ? 0 : i % WORKERS]!.push(op));
    await Promise.all(
      lanes.map(async (ops, w) => {
        const ctx = await prepare(srv.port, `fz-cat-${w}`);
        const r = rngOf(SEED + w);
        // Round by round (each operation as described, then its mutations), so a cut budget still reached every one:
        // the first round is sent whatever the budget (a busy machine may spend it on prepare() alone).
        for (let n = 0; n < PER_OP && (n === 0 || Date.now() - started < BUDGET_MS); n++) {
          for (const op of ops) {
            if (n > 0 && Date.now() - started >= BUDGET_MS) break;
            const base = baseRequest(op, ctx, r);
            if (op.name === 'DeleteBucket') base.bucket = `${ctx.bucket}-spare`;
            const q = n === 0 ? base : mutated(base, r);
            const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(q.method);
            const label = `${op.name} #${n} (${q.note})`;
            try {
              const before = isWrite ? await snapshot(srv.port, q, ctx) : [];
              const res = await send(srv.port, q);
              sent++;
              const problem = answerProblem(q, res);
              if (problem !== null) failures.push(`${label}: ${problem}`);
              if (isWrite && res.status >= 400) {
                refusedWrites++;
                const afterIt = await snapshot(srv.port, q, ctx);
                for (let i = 0; i < before.length; i++) if (afterIt[i] !== before[i]) failures.push(`${label}: refused ${res.status} but changed state\n  before ${before[i]!.slice(0, 400)}\n  after  ${afterIt[i]!.slice(0, 400)}`);
              }
            } catch (e) {
              failures.push(`${label}: ${(e as Error).message}`);
              if (srv.child.exitCode !== null) failures.push(`server exited: ${srv.stderr().slice(-2000)}`);
            }
          }
        }
      }),
    );
    t.diagnostic(`${sent} requests (${refusedWrites} refused writes checked) in ${Date.now() - started} ms`);
    assert.deepEqual(failures.slice(0, 30), []);
    assert.equal(srv.child.exitCode, null, 'the server is up');
    assert.doesNotMatch(srv.stderr(), /internal error/, 'no request was logged as an internal error');
    assert.ok(sent >= CATALOG.length, `only ${sent} requests sent`);
  });

  it(`RAM and STS: every action with mutated parameters through @alicloud/pop-core (seed ${SEED})`, { timeout: 300_000 }, async (t) => {
    const r = rngOf(SEED ^ 0x5eed);
    const clients = {
      ram: new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, apiVersion: '2015-05-01' }),
      sts: new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, apiVersion: '2015-04-01' }),
    };
    const base: Record<string, string> = {
      UserName: 'fz-user', GroupName: 'fz-group', RoleName: 'fz-role', PolicyName: 'fz-policy', PolicyType: 'Custom',
      PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }] }),
      AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::1234567890123456:root'] } }] }),
      RoleArn: 'acs:ram::1234567890123456:role/fz-role', RoleSessionName: 'fz-session', DurationSeconds: '900', Password: 'Fz-Passw0rd!23',
      NewPassword: 'Fz-Passw0rd!45', OldPassword: 'Fz-Passw0rd!23', MaxItems: '10', Status: 'Inactive', VersionId: 'v1', SetAsDefault: 'false',
    };
    const snapshotRam = async (): Promise<string> => {
      const parts: string[] = [];
      for (const action of ['ListUsers', 'ListGroups', 'ListRoles', 'ListPolicies']) {
        const answer = await clients.ram.request<Record<string, unknown>>(action, { MaxItems: '100' }, { method: 'POST' });
        parts.push(JSON.stringify({ ...answer, RequestId: '' }));
      }
      return parts.join('\n');
    };
    await clients.ram.request('CreateUser', { UserName: 'fz-user' }, { method: 'POST' });
    await clients.ram.request('CreateRole', { RoleName: 'fz-role', AssumeRolePolicyDocument: base.AssumeRolePolicyDocument }, { method: 'POST' });
    const failures: string[] = [];
    let sent = 0;
    const started = Date.now();
    for (let n = 0; n < Math.max(2, Math.floor(PER_OP / 2)); n++) {
      for (const [service, actions] of [['ram', SHAPES.ram], ['sts', SHAPES.sts]] as const) {
        for (const [action, params] of Object.entries(actions)) {
          if (n > 0 && Date.now() - started >= POP_BUDGET_MS) break;
          const p: Record<string, string> = {};
          for (const param of params) if (r.chance(0.7)) p[param.name] = base[param.name] ?? valueOf(param.name, param.type, { bucket: '', key: 'fz', uploadId: '' });
          const notes: string[] = [];
          if (n > 0 && params.length > 0) {
            for (let i = 0; i < 1 + r.int(2); i++) {
              const name = r.pick(params).name;
              p[name] = r.pick([...ODD, ...HUGE, ...NEGATIVE, 'a'.repeat(r.pick(SIZES)), '\u0000', '{"Version":"1","Statement":[{"Effect":"Allow"}]}', '<x/>', '&#0;']);
              notes.push(`${name}=${JSON.stringify(p[name]!.slice(0, 30))}`);
            }
          }
          if (n > 0 && r.chance(0.15)) {
            p[r.pick(['Unknown', 'Action', 'Version', 'Timestamp', 'SignatureNonce'])] = r.pick(ODD);
            notes.push('an extra parameter');
          }
          const label = `${service} ${action} #${n} (${notes.join('; ') || 'as described'})`;
          const isWrite = service === 'ram' && !/^(Get|List)/.test(action);
          try {
            const before = isWrite ? await snapshotRam() : '';
            let status = 200;
            try {
              await clients[service].request(action, p, { method: 'POST', timeout: ANSWER_LIMIT_MS });
            } catch (e) {
              const err = e as Error & { code?: string; data?: { Code?: string; Message?: string }; entry?: { response?: { statusCode?: number } } };
              if (err.data === undefined) throw err;
              status = err.entry?.response?.statusCode ?? 0;
              if (status >= 500 && status !== 503) failures.push(`${label}: status ${status} ${JSON.stringify(err.data).slice(0, 300)}`);
              if (!err.data.Code || !err.data.Message) failures.push(`${label}: error without Code or Message: ${JSON.stringify(err.data).slice(0, 300)}`);
              if (isWrite && (await snapshotRam()) !== before) failures.push(`${label}: refused (${err.data.Code}) but changed RAM state`);
            }
            sent++;
          } catch (e) {
            failures.push(`${label}: ${(e as Error).message.slice(0, 300)}`);
          }
        }
      }
    }
    t.diagnostic(`${sent} POP requests in ${Date.now() - started} ms`);
    assert.deepEqual(failures.slice(0, 30), []);
    assert.equal(srv.child.exitCode, null, 'the server is up');
    assert.doesNotMatch(srv.stderr(), /internal error/, 'no request was logged as an internal error');
  });
});
