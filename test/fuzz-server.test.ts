// A bounded, seeded fuzz run against a real server process (bin/alunite, so a crash is its exit): valid
// signed requests (V1 and V4 headers, XML bodies, PostObject forms, POP RPC parameters) are mutated,
// before or after signing, and mixed with raw garbage. No answer may be a 5xx (501 NotImplemented is a
// legitimate answer for an unimplemented feature) and no request may hang; afterwards /-/health answers
// and the process is alive; each bucket's listings then agree with HEAD, GET and GetBucketStat (no request, refused
// or not, lost bytes, left a version no request can name, or miscounted). Then objects with odd (valid) metadata
// are re-read after a restart, and metadata holding a newline (as stored before such values were refused) answers
// InternalError, not a crash.
//
// FUZZ_SEED=<n> replays a run; FUZZ_COUNT=<n> changes its length (default 2,400 requests).
// ALUNITE_TEST_META=postgres (test/pg-fuzz-server.test.ts) runs it with the metadata in PostgreSQL, and
// FUZZ_PROCESSES=<n> there spreads the requests over n processes sharing that database and one blob directory
// (so requests of one run race across processes; the restart case restarts the first).
// FUZZ_VERSIONED=1 enables versioning on the main bucket first (the same requests then take the versioned paths), and
// adds requests that name versions (VERSION_KINDS).
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { percentEncode } from '../src/rpc/encoding.js';
import { rpcSignature, rpcStringToSign } from '../src/rpc/signature.js';
import { isoSeconds } from '../src/util/time.js';
import { testPostgres } from './helpers/postgres.js';
import { errorOf, rawRequest, v1Authorization, v4Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { mulberry32 } from './helpers/seeded-random.js';
import { assertBucketAgrees } from './helpers/crash-load.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2400);
/** Stop issuing new requests after this long even if COUNT is not reached (a busy machine). */
const BUDGET_MS = 45_000;
const ON_POSTGRES = process.env.ALUNITE_TEST_META === 'postgres';
/** Server processes sharing the metadata (PostgreSQL only; SQLite is one process's file). */
const PROCESSES = ON_POSTGRES ? Math.max(1, Number(process.env.FUZZ_PROCESSES ?? 1)) : 1;
const VERSIONED = process.env.FUZZ_VERSIONED === '1';
const WORKERS = 8;
const BUCKET = 'fuzz-main';
const SIDE = 'fuzz-side';
const REGION = 'cn-hangzhou';

/** The seeded generator (helpers/seeded-random.ts) with the picks the mutations use. */
function prng(seed: number): Rng {
  const next = mulberry32(seed);
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
  return rng;
}

interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Buffer;
}

const SPECIALS = ['\r', '\n', '\r\n', '\0', '\x7f', '\t', '\x1b', '\x01', 'é', '中', '\u{1F600}', '\uffff', '\ud800', '%', '%0d%0a', '%00', '&', '<', '>', '"', "'", '\\', '/', '..', '../', '${filename}', ' ', '*', '?', '#', '=', ';', ',', ']]>', '&amp;', '&#0;', '&#x1F600;', '<!--'];
const NUMBERS = ['-1', '0', '1', '4294967296', '99999999999999999999999', '1e309', 'NaN', '0x10', '+5', ' 7', '007', '-0', '9007199254740993'];

/** The most a repeat makes of a string (characters). */
const MUTATED_MAX = 1 << 20;

/** One mutation of a string (or none): insertions of special characters, cuts, repeats, garbage. */
function mutate(r: Rng, s: string): string {
  switch (r.int(10)) {
    case 0: {
      const at = r.int(s.length + 1);
      return s.slice(0, at) + r.pick(SPECIALS) + s.slice(at);
    }
    case 1: {
      const at = r.int(s.length + 1);
      return s.slice(0, at) + s.slice(at + 1 + r.int(8));
    }
    case 2:
      if (r.chance(0.5)) {
        // Repeats compound over mutateN's rounds: bounded, or one string reached ~400 MB (seed 11), and making and
        // signing it held this process's loop for a minute, so that every request in flight timed out as a "hang".
        const times = 1 + r.int(200);
        return s.repeat(Math.min(times, Math.max(1, Math.floor(MUTATED_MAX / Math.max(1, s.length)))));
      }
      return r.pick(['a', '<', '%', 'é', '\n']).repeat(1 + r.int(20_000));
    case 3:
      return '';
    case 4:
      return r.bytes(r.int(64)).toString('latin1');
    case 5:
      return r.pick(NUMBERS);
    case 6:
      return s.slice(0, r.int(s.length + 1));
    case 7: {
      const at = r.int(s.length + 1);
      return s.slice(0, at) + s.slice(r.int(s.length + 1)) + s.slice(at);
    }
    default:
      return s;
  }
}

/** Several mutations in a row (most requests get one or two). */
function mutateN(r: Rng, s: string): string {
  let out = s;
  const n = r.chance(0.6) ? 1 : 1 + r.int(4);
  for (let i = 0; i < n; i++) out = mutate(r, out);
  return out;
}

/**
 * A header text node's http client can send: control characters other than tab dropped, lone surrogates
 * replaced. The server verifies signatures over the text (UTF-8 bytes decoded, else latin1), so requests
 * are signed over this text and sent with `wire`.
 */
const headerSafe = (s: string): string => Buffer.from(s.replace(/[^\t\x20-\x7e\x80-\u{10ffff}]/gu, ''), 'utf8').toString('utf8');
/** Header text as the bytes that go out: beyond U+00FF as UTF-8, else one latin1 byte per character (as ali-oss). */
const wire = (s: string): string => (/[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);
const wireAll = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, wire(v)]));

interface Req {
  kind: string;
  method: string;
  bucket: string | null;
  key: string | null;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body: Buffer;
}

function keyOf(r: Rng): string {
  const base = r.pick(['obj-1', 'dir/obj-2', 'odd/ütf8', 'big.bin', 'a b+c', 'x'.repeat(100)]);
  return r.chance(0.2) ? mutateN(r, base) : base;
}

const xmlCors = (r: Rng): string => {
  const rules = Array.from({ length: 1 + r.int(3) }, () =>
    `<CORSRule><AllowedOrigin>${r.pick(['*', 'http://a.example', 'https://*.b.example'])}</AllowedOrigin><AllowedMethod>${r.pick(['GET', 'PUT', 'POST', 'HEAD'])}</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>x-oss-request-id</ExposeHeader><MaxAgeSeconds>${r.int(1000)}</MaxAgeSeconds></CORSRule>`,
  ).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><CORSConfiguration>${rules}<ResponseVary>false</ResponseVary></CORSConfiguration>`;
};
const xmlTagging = (r: Rng): string =>
  `<Tagging><TagSet>${Array.from({ length: r.int(4) }, (_, i) => `<Tag><Key>k${i}</Key><Value>v${r.int(100)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
const xmlDelete = (r: Rng): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>${r.pick(['true', 'false'])}</Quiet>${Array.from({ length: 1 + r.int(3) }, () => `<Object><Key>gone-${r.int(50)}</Key></Object>`).join('')}</Delete>`;
const xmlComplete = (r: Rng): string =>
  `<CompleteMultipartUpload>${Array.from({ length: 1 + r.int(3) }, (_, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${createHash('md5').update(String(r.int(9))).digest('hex').toUpperCase()}"</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
const policyJson = (r: Rng): string =>
  JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: [r.pick(['oss:GetObject', 'oss:*'])], Principal: [r.pick(['*', '1234567890123456'])], Resource: [`acs:oss:*:*:${SIDE}/*`] }] });
const XML_EXTRAS = [
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;&b;&b;</x>',
  `${'<a>'.repeat(3000)}${'</a>'.repeat(3000)}`,
  '<CORSConfiguration><CORSRule></CORSRule></CORSConfiguration>',
  '<?xml version="1.0" encoding="UTF-16"?><Tagging/>',
  '',
];

/** A mutated XML body: mostly text mutations of a valid document, sometimes a hostile one. */
const mutateXml = (r: Rng, xml: string): string => (r.chance(0.1) ? r.pick(XML_EXTRAS) : r.chance(0.85) ? mutateN(r, xml) : xml);

const md5b64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

/**
 * With FUZZ_VERSIONED, requests that name versions (`versions`: ids the setup's writes answered, 'null' and the
 * like): DeleteObject, GetObject, HEAD, tagging and DeleteMultipleObjects entries of a version, ListObjectVersions
 * markers. Only those runs draw them, so a seed's requests without versioning are what they were.
 */
const VERSION_KINDS = ['version-delete', 'version-read', 'version-delete-many', 'version-list'] as const;

/** A valid-looking OSS request of a random kind, with a random part mutated; `versions` as for VERSION_KINDS. */
function ossRequest(r: Rng, uploadId: string, versions: readonly string[] = []): Req {
  const kind = r.pick(['put', 'get', 'head', 'cors', 'tagging', 'delete', 'complete', 'policy', 'list', 'copy', 'append', 'acl', 'symlink', ...(versions.length > 0 ? VERSION_KINDS : [])]);
  const versionId = (): string => (r.chance(0.8) ? r.pick(versions) : mutateN(r, r.pick(versions)));
  const h: Record<string, string> = {};
  const mh = (name: string, value: string): void => {
    h[name] = r.chance(0.3) ? mutateN(r, value) : value;
  };
  let method = 'GET';
  let bucket: string | null = BUCKET;
  let key: string | null = keyOf(r);
  let query: Array<[string, string]> = [];
  let body: Buffer = Buffer.alloc(0);
  const xmlBody = (xml: string): void => {
    body = Buffer.from(mutateXml(r, xml), 'utf8');
    h['content-type'] = 'application/xml';
    if (r.chance(0.7)) h['content-md5'] = md5b64(body);
  };
  switch (kind) {
    case 'put':
      method = 'PUT';
      body = r.bytes(r.int(2048));
      mh('content-type', r.pick(['text/plain', 'application/octet-stream', 'image/png; charset=x']));
      if (r.chance(0.5)) mh('x-oss-meta-note', r.pick(['hello', 'Grüße', 'tab\there', '"quoted"']));
      if (r.chance(0.3)) mh('cache-control', 'max-age=60');
      if (r.chance(0.3)) mh('content-disposition', 'attachment; filename="a.txt"');
      if (r.chance(0.2)) mh('expires', 'Wed, 21 Oct 2015 07:28:00 GMT');
      if (r.chance(0.2)) mh('x-oss-object-acl', 'private');
      if (r.chance(0.2)) mh('x-oss-storage-class', 'Standard');
      if (r.chance(0.2)) mh('x-oss-tagging', 'a=1&b=2');
      if (r.chance(0.2)) mh('x-oss-forbid-overwrite', 'false');
      if (r.chance(0.2)) mh('content-md5', md5b64(body));
      if (r.chance(0.1)) mh('x-oss-hash-crc64ecma', '0');
      break;
    case 'get':
    case 'head':
      method = kind === 'get' ? 'GET' : 'HEAD';
      for (const q of ['response-content-type', 'response-content-disposition', 'response-cache-control', 'response-expires', 'response-content-language', 'response-content-encoding']) {
        if (r.chance(0.25)) query.push([q, r.chance(0.6) ? mutateN(r, 'attachment; filename="x.txt"') : 'text/plain']);
      }
      if (r.chance(0.3)) mh('range', `bytes=${r.int(100)}-${r.int(3000)}`);
      if (r.chance(0.15)) mh('if-modified-since', 'Wed, 21 Oct 2015 07:28:00 GMT');
      if (r.chance(0.15)) mh('if-none-match', '"abc"');
      if (r.chance(0.1)) mh('x-oss-range-behavior', 'standard');
      break;
    case 'cors':
      method = r.chance(0.8) ? 'PUT' : r.pick(['GET', 'DELETE']);
      bucket = SIDE;
      key = null;
      query = [['cors', '']];
      if (method === 'PUT') xmlBody(xmlCors(r));
      break;
    case 'tagging':
      method = 'PUT';
      key = 'obj-1';
      query = [['tagging', '']];
      xmlBody(xmlTagging(r));
      break;
    case 'delete':
      method = 'POST';
      key = null;
      query = [['delete', '']];
      xmlBody(xmlDelete(r));
      h['content-md5'] = md5b64(body);
      break;
    case 'complete':
      method = 'POST';
      key = 'mp-object';
      query = [['uploadId', r.chance(0.7) ? uploadId : mutateN(r, uploadId)]];
      xmlBody(xmlComplete(r));
      break;
    case 'policy':
      method = 'PUT';
      bucket = SIDE;
      key = null;
      query = [['policy', '']];
      body = Buffer.from(r.chance(0.8) ? mutateN(r, policyJson(r)) : policyJson(r), 'utf8');
      break;
    case 'list':
      key = null;
      for (const [q, v] of [['prefix', 'dir/'], ['marker', 'obj'], ['max-keys', '10'], ['delimiter', '/'], ['encoding-type', 'url'], ['continuation-token', 'abc'], ['list-type', '2'], ['start-after', 'a']] as const) {
        if (r.chance(0.3)) query.push([q, r.chance(0.5) ? mutateN(r, v) : v]);
      }
      break;
    case 'copy':
      method = 'PUT';
      mh('x-oss-copy-source', `/${BUCKET}/obj-1`);
      if (r.chance(0.5)) mh('x-oss-metadata-directive', 'REPLACE');
      if (r.chance(0.3)) mh('x-oss-meta-copied', 'yes');
      if (r.chance(0.2)) mh('x-oss-copy-source-if-match', '"abc"');
      break;
    case 'append':
      method = 'POST';
      key = `append-${r.int(5)}`;
      query = [['append', ''], ['position', r.chance(0.7) ? String(r.int(4096)) : r.pick(NUMBERS)]];
      body = r.bytes(r.int(512));
      break;
    case 'acl':
      method = 'PUT';
      query = [['acl', '']];
      mh('x-oss-object-acl', r.pick(['private', 'public-read', 'default']));
      break;
    case 'symlink':
      method = 'PUT';
      query = [['symlink', '']];
      mh('x-oss-symlink-target', r.pick(['obj-1', 'dir%2Fobj-2', '%E0%A4%A']));
      break;
    case 'version-delete':
      method = 'DELETE';
      query = [['versionId', versionId()]];
      break;
    case 'version-read':
      method = r.pick(['GET', 'HEAD']);
      query = [...(r.chance(0.3) ? [['tagging', ''] as [string, string]] : []), ['versionId', versionId()]];
      break;
    case 'version-delete-many': {
      method = 'POST';
      key = null;
      query = [['delete', '']];
      const entries = Array.from({ length: 1 + r.int(4) }, () => `<Object><Key>${r.chance(0.7) ? keyOf(r).replace(/[<&]/g, '') : `gone-${r.int(50)}`}</Key>${r.chance(0.7) ? `<VersionId>${versionId().replace(/[<&]/g, '')}</VersionId>` : ''}</Object>`);
      xmlBody(`<Delete><Quiet>${r.pick(['true', 'false'])}</Quiet>${entries.join('')}</Delete>`);
      h['content-md5'] = md5b64(body);
      break;
    }
    case 'version-list':
      key = null;
      query = [['versions', ''], ['key-marker', keyOf(r)], ['version-id-marker', versionId()], ['max-keys', String(1 + r.int(5))]];
      break;
  }
  if (r.chance(0.15)) query = query.map(([k, v]) => (r.chance(0.5) ? [mutateN(r, k), v] : [k, mutateN(r, v)]));
  if (r.chance(0.05)) bucket = mutateN(r, bucket ?? 'b');
  return { kind, method, bucket, key, query, headers: h, body };
}

const queryString = (q: Array<[string, string]>): string =>
  q.length === 0 ? '' : `?${q.map(([k, v]) => (v === '' && r0(k) ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
// Sub-resources like `?cors` go without `=`, as ali-oss sends them.
const r0 = (k: string): boolean => ['cors', 'tagging', 'delete', 'policy', 'append', 'acl', 'symlink', 'uploads'].includes(k);
const pathOf = (bucket: string | null, key: string | null): string =>
  `/${bucket === null ? '' : `${encodeURIComponent(bucket)}/`}${key === null ? '' : encodeURIComponent(key).replace(/%2F/g, '/')}`;

/** Signs (V1 or V4, as ali-oss does) and makes the headers sendable; optionally mutates after signing. */
function signOss(r: Rng, q: Req, port: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(q.headers)) {
    const safe = headerSafe(v);
    if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(k)) headers[k] = safe;
  }
  headers['content-length'] = String(q.body.length);
  const v4 = r.chance(0.4);
  const signing = { method: q.method, bucket: q.bucket, key: q.key, query: q.query, headers };
  if (v4) {
    headers['x-oss-date'] = isoSeconds(Date.now()).replace(/[-:]/g, '').replace(/\.\d+/, '');
    headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
    headers.authorization = v4Authorization(signing, AK, SECRET, REGION);
  } else {
    headers.date = new Date().toUTCString();
    headers.authorization = v1Authorization(signing, AK, SECRET).authorization;
  }
  if (r.chance(0.15)) {
    const name = r.pick(Object.keys(headers).filter((k) => k !== 'content-length'));
    headers[name] = headerSafe(mutateN(r, headers[name]!));
  }
  headers.host = `127.0.0.1:${port}`;
  return wireAll(headers);
}

/** A PostObject form: signed V1 policy, fields and parts mutated (names, dispositions, values, boundary). */
function postForm(r: Rng): { path: string; headers: Record<string, string>; body: Buffer } {
  const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['content-length-range', 0, 4096]] })).toString('base64');
  const fields: Array<[string, string]> = [
    ['key', r.chance(0.8) ? 'post/${filename}' : mutateN(r, 'post/x')],
    ['OSSAccessKeyId', AK],
    ['policy', policy],
    ['Signature', signPostPolicyV1(SECRET, policy)],
  ];
  for (const [n, v] of [['x-oss-meta-a', 'v'], ['Content-Type', 'text/plain'], ['Content-Disposition', 'inline'], ['Cache-Control', 'no-cache'], ['Expires', '0'], ['success_action_status', '201'], ['x-oss-content-type', 'text/html'], ['success_action_redirect', 'http://a.example/']] as const) {
    if (r.chance(0.25)) fields.push([n, r.chance(0.6) ? mutateN(r, v) : v]);
  }
  const boundary = r.chance(0.9) ? `fz${r.int(1e9)}` : mutateN(r, 'fzboundary');
  const parts: Buffer[] = [];
  const part = (disposition: string, data: Buffer, type?: string): void => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`, 'utf8'), data, Buffer.from('\r\n'));
  };
  for (const [n, v] of fields) {
    const disposition = r.chance(0.05) ? r.pick(['form-data', 'form-data; name=""', `form-data; filename="${n}"`, `form-data; name="${n}"; name="x"`, mutateN(r, `form-data; name="${n}"`)]) : `form-data; name="${n}"`;
    part(disposition, Buffer.from(v, 'utf8'));
  }
  const fileName = r.chance(0.8) ? 'f.txt' : mutateN(r, 'f.txt');
  const fileData = r.bytes(r.chance(0.05) ? 5000 : r.int(2048));
  if (r.chance(0.95)) part(r.chance(0.9) ? `form-data; name="file"; filename="${fileName}"` : mutateN(r, 'form-data; name="file"; filename="a"'), fileData, r.chance(0.5) ? 'text/plain' : undefined);
  if (r.chance(0.2)) part('form-data; name="after"', Buffer.from('tail'));
  let body: Buffer = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  if (r.chance(0.1)) body = body.subarray(0, r.int(body.length));
  if (r.chance(0.05)) body = Buffer.from(mutateN(r, body.toString('latin1')), 'latin1');
  const bucket = r.chance(0.9) ? BUCKET : r.pick([SIDE, 'no-such-bucket-fz']);
  return { path: `/${bucket}/`, headers: { 'content-type': headerSafe(`multipart/form-data; boundary=${boundary}`), 'content-length': String(body.length) }, body };
}

const POP_ACTIONS: Array<[string, string, Array<[string, string]>]> = [
  ['GetCallerIdentity', '2015-04-01', []],
  ['AssumeRole', '2015-04-01', [['RoleArn', 'acs:ram::1234567890123456:role/none'], ['RoleSessionName', 'fz'], ['DurationSeconds', '900'], ['Policy', '{"Version":"1","Statement":[]}']]],
  ['CreateUser', '2015-05-01', [['UserName', 'fz-user'], ['DisplayName', 'Fuzz'], ['Comments', 'c']]],
  ['GetUser', '2015-05-01', [['UserName', 'fz-user']]],
  ['ListUsers', '2015-05-01', [['MaxItems', '10'], ['Marker', '']]],
  ['CreatePolicy', '2015-05-01', [['PolicyName', 'fz-policy'], ['PolicyDocument', '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}']]],
  ['AttachPolicyToUser', '2015-05-01', [['PolicyType', 'Custom'], ['PolicyName', 'fz-policy'], ['UserName', 'fz-user']]],
  ['CreateRole', '2015-05-01', [['RoleName', 'fz-role'], ['AssumeRolePolicyDocument', '{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}']]],
  ['ListPoliciesForUser', '2015-05-01', [['UserName', 'fz-user']]],
  ['CreateGroup', '2015-05-01', [['GroupName', 'fz-group']]],
];

/** A POP RPC call (form POST or GET query), parameters mutated before signing (or the signature after). */
function popRequest(r: Rng): { method: string; path: string; headers: Record<string, string>; body: Buffer } {
  const [action, version, extra] = r.pick(POP_ACTIONS);
  const params = new Map<string, string>([
    ['Action', action],
    ['Format', r.pick(['JSON', 'XML', 'json'])],
    ['Version', version],
    ['AccessKeyId', AK],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', randomUUID()],
    ['Timestamp', isoSeconds(Date.now()).replace(/\.\d+/, '')],
  ]);
  for (const [k, v] of extra) params.set(k, r.chance(0.5) ? mutateN(r, v) : v);
  if (r.chance(0.2)) {
    const k = r.pick([...params.keys()]);
    params.set(k, mutateN(r, params.get(k)!));
  }
  const method = r.chance(0.7) ? 'POST' : 'GET';
  params.set('Signature', rpcSignature(SECRET, rpcStringToSign(method, params)));
  if (r.chance(0.1)) params.set('Signature', mutateN(r, params.get('Signature')!));
  const encoded = [...params].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  if (method === 'GET') return { method, path: `/?${encoded}`, headers: {}, body: Buffer.alloc(0) };
  const body = Buffer.from(encoded, 'utf8');
  return { method, path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }, body };
}

/** Raw bytes on a fresh connection: broken request lines, header bytes node's client would refuse, garbage. */
function garbage(r: Rng, port: number): Buffer {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  switch (r.int(6)) {
    case 0:
      return r.bytes(1 + r.int(512));
    case 1:
      return Buffer.from(`GET /${BUCKET}/obj-1 HTTP/1.1\r\n${host}X-Oss-Meta-A: a${r.pick(['\x00', '\x01', '\x7f', '\r'])}b\r\nConnection: close\r\n\r\n`, 'latin1');
    case 2:
      return Buffer.from(`${mutateN(r, 'GET')} ${mutateN(r, `/${BUCKET}/obj-1?acl`)} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 'latin1');
    case 3:
      return Buffer.from(`PUT /${BUCKET}/g HTTP/1.1\r\n${host}Content-Length: ${r.pick(NUMBERS)}\r\nTransfer-Encoding: ${r.pick(['chunked', 'gzip', 'chunked, chunked'])}\r\nConnection: close\r\n\r\n${r.pick(['5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', ''])}`, 'latin1');
    case 4:
      return Buffer.from(`GET / HTTP/1.1\r\n${host}${'X-Big: '.concat('a'.repeat(20_000))}\r\nConnection: close\r\n\r\n`, 'latin1');
    default:
      return Buffer.from(`OPTIONS /${SIDE}/k HTTP/1.1\r\n${host}Origin: ${mutateN(r, 'http://a.example')}\r\nAccess-Control-Request-Method: ${mutateN(r, 'GET')}\r\nAccess-Control-Request-Headers: ${mutateN(r, 'x-a, x-b')}\r\nConnection: close\r\n\r\n`, 'latin1');
  }
}

interface Outcome {
  status: number;
  body: string;
}

function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent, setHost: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 600) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s (hang)')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes on a new connection (half-closed after writing): the first status code, or 0 if the server just closed. */
function sendRaw(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw request: no answer and no close within 30 s (hang)'));
    }, 30_000);
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, body: text.slice(0, 600) });
    });
    sock.end(bytes);
  });
}

const isServerFault = (status: number): boolean => status >= 500 && status !== 501;

describe('fuzz: no input ends the server or gets a 5xx', () => {
  let dataDir: string;
  let srv: SpawnedServer;
  /** The other processes on the same database (FUZZ_PROCESSES), after `srv`. */
  const others: SpawnedServer[] = [];
  /** With ALUNITE_TEST_META=postgres, the fresh schema the server keeps its metadata in. */
  let metaUrl: string | undefined;
  const serverArgs = (n = 0): string[] => [
    '--data', n === 0 ? dataDir : join(dataDir, `process-${n}`), '--no-fsync',
    ...(metaUrl === undefined ? [] : ['--meta', metaUrl]),
    ...(PROCESSES > 1 ? ['--blobs', join(dataDir, 'shared-blobs')] : []),
  ];
  // Processes sharing a database share the master key.
  const serverEnv: Record<string, string> = PROCESSES > 1 ? { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') } : {};
  const oddMeta: Array<{ key: string; headers: Record<string, string> }> = [];

  async function signedRaw(method: string, bucket: string | null, key: string | null, query: Array<[string, string]>, headers: Record<string, string>, body: Buffer | string = ''): Promise<RawResponse> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const h = { date: new Date().toUTCString(), ...headers };
    const { authorization } = v1Authorization({ method, bucket, key, query, headers: h }, AK, SECRET);
    return rawRequest(srv.port, { method, path: pathOf(bucket, key) + queryString(query), headers: { ...wireAll(h), authorization, host: `127.0.0.1:${srv.port}`, 'content-length': String(buf.length) }, body: buf });
  }

  async function health(): Promise<void> {
    for (const s of [srv, ...others]) {
      assert.equal(s.child.exitCode, null, `server exited: ${s.stderr()}`);
      const res = await rawRequest(s.port, { method: 'GET', path: '/-/health', headers: { host: `127.0.0.1:${s.port}` } });
      assert.equal(res.status, 200);
    }
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'alunite-fuzz-'));
    metaUrl = ON_POSTGRES ? await (await testPostgres()).freshUrl() : undefined;
    srv = await spawnServer(serverArgs(), serverEnv);
    for (let n = 1; n < PROCESSES; n++) others.push(await spawnServer(serverArgs(n), serverEnv));
  });
  after(async () => {
    for (const s of [srv, ...others]) await kill9(s.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`survives ${COUNT} mutated requests (seed ${SEED}${PROCESSES > 1 ? `, ${PROCESSES} processes` : ''}${VERSIONED ? ', versioned bucket' : ''})`, { timeout: 240_000 }, async (t) => {
    for (const b of [BUCKET, SIDE]) {
      const res = await signedRaw('PUT', b, null, [], {});
      assert.equal(res.status, 200, res.body.toString());
    }
    if (VERSIONED) {
      const res = await signedRaw('PUT', BUCKET, null, [['versioning', '']], {}, '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
      assert.equal(res.status, 200, res.body.toString());
    }
    // The version ids the setup's writes answer (versioned runs): what the version-aimed requests name.
    const versions: string[] = [];
    for (const k of ['obj-1', 'dir/obj-2', 'big.bin', 'victim', 'bystander']) {
      const res = await signedRaw('PUT', BUCKET, k, [], { 'content-type': 'text/plain' }, Buffer.alloc(k === 'big.bin' ? 100_000 : 10, 0x61));
      assert.equal(res.status, 200);
      if (VERSIONED && k !== 'victim' && k !== 'bystander') versions.push(String(res.headers['x-oss-version-id']));
    }
    if (VERSIONED) versions.push('null');
    // Odd but valid metadata, re-read after the restart below.
    const odd: Array<[string, Record<string, string>]> = [
      ['odd/latin1', { 'x-oss-meta-note': 'caf\xe9', 'content-disposition': "attachment; filename*=UTF-8''%C3%A9.txt" }],
      ['odd/utf8', { 'x-oss-meta-note': 'Grüße 中文', 'cache-control': 'no-cache, max-age=0' }],
      ['odd/tab', { 'x-oss-meta-note': 'a\tb "c" <d>', expires: 'not a date' }],
      ['odd/empty', { 'x-oss-meta-empty': '', 'content-type': 'x/y; a="b;c"' }],
      ['odd/long', { 'x-oss-meta-long': 'L'.repeat(6000) }],
    ];
    for (const [key, headers] of odd) {
      const res = await signedRaw('PUT', BUCKET, key, [], headers, 'odd');
      assert.equal(res.status, 200, res.body.toString());
      oddMeta.push({ key, headers });
    }
    const init = await signedRaw('POST', BUCKET, 'mp-object', [['uploads', '']], {});
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())?.[1] ?? 'none';

    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const failures: string[] = [];
    const started = Date.now();
    let issued = 0;
    let answered = 0;
    const worker = async (w: number): Promise<void> => {
      const r = prng(SEED * 31 + w);
      while (issued < COUNT && Date.now() - started < BUDGET_MS && failures.length < 20) {
        const n = issued++;
        // Requests go round the processes (one with a single process), so that their writes race each other.
        const target = [srv, ...others][n % PROCESSES]!;
        const roll = r.next();
        let what = '';
        try {
          let out: Outcome;
          if (roll < 0.62) {
            const q = ossRequest(r, uploadId, versions);
            const path = pathOf(q.bucket, q.key) + queryString(q.query);
            what = `${q.kind} ${q.method} ${path.slice(0, 200)}`;
            const headers = signOss(r, q, target.port);
            out = await send(agent, target.port, q.method, path, headers, q.body);
          } else if (roll < 0.77) {
            const f = postForm(r);
            what = `PostObject ${f.path}`;
            out = await send(agent, target.port, 'POST', f.path, f.headers, f.body);
          } else if (roll < 0.92) {
            const p = popRequest(r);
            what = `POP ${p.method} ${p.path.slice(0, 200)}`;
            out = await send(agent, target.port, p.method, p.path, p.headers, p.body);
          } else {
            const bytes = garbage(r, target.port);
            what = `raw ${JSON.stringify(bytes.subarray(0, 120).toString('latin1'))}`;
            out = await sendRaw(target.port, bytes);
          }
          answered++;
          if (isServerFault(out.status)) failures.push(`#${n}${PROCESSES > 1 ? ` (process ${n % PROCESSES})` : ''} ${what} → ${out.status} ${out.body}`);
        } catch (err) {
          // A connection the server closed after a refused body is fine; the process must still be up.
          if (target.child.exitCode !== null) failures.push(`#${n} ${what} → server exited: ${target.stderr().slice(-2000)}`);
          else if (/no answer/.test(String(err))) failures.push(`#${n} ${what} → ${String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    agent.destroy();
    t.diagnostic(`${answered} of ${issued} requests answered in ${Date.now() - started} ms`);
    // The servers' own account of what failed (their internal-error log lines name the cause).
    if (failures.length > 0) for (const s of [srv, ...others]) t.diagnostic(s.stderr().split('\n').filter((l) => /internal error/.test(l)).slice(0, 10).join('\n'));
    assert.deepEqual(failures, [], `seed ${SEED}: ${failures.length} failures`);
    assert.ok(answered > Math.min(COUNT, 200), `only ${answered} requests answered`);
    await health();
    for (const s of [srv, ...others]) assert.doesNotMatch(s.stderr(), /internal error/, 'no request was logged as an internal error');
  });

  it('after the run, every bucket\'s listings agree with HEAD, GET and GetBucketStat (nothing lost or miscounted)', { timeout: 120_000 }, async () => {
    for (const s of [srv, ...others]) {
      await assertBucketAgrees(s, BUCKET, VERSIONED);
      await assertBucketAgrees(s, SIDE, false);
    }
  });

  it('a body its client cuts short is the client\'s doing: no internal error logged (configuration bodies, the console sign-in)', async () => {
    const bucket = 'cut-short';
    assert.equal((await signedRaw('PUT', bucket, null, [], {})).status, 200);
    const cut = async (method: string, path: string, headers: Record<string, string>): Promise<void> => {
      const socket = connect(srv.port, '127.0.0.1');
      await new Promise<void>((res, rej) => socket.once('connect', res).once('error', rej));
      const head = Object.entries({ host: `127.0.0.1:${srv.port}`, ...headers, 'content-length': '1000' }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
      socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n\r\n<Co`);
      await new Promise((res) => setTimeout(res, 50));
      socket.destroy();
    };
    for (const [method, key, query] of [['PUT', null, [['cors', '']]], ['POST', null, [['delete', '']]], ['PUT', 'k', [['tagging', '']]], ['PUT', null, [['lifecycle', '']]]] as const) {
      const h = { date: new Date().toUTCString(), 'content-type': 'application/xml' };
      const q = query.map(([a, b]) => [a, b] as [string, string]);
      const { authorization } = v1Authorization({ method, bucket, key, query: q, headers: h }, AK, SECRET);
      await cut(method, pathOf(bucket, key) + queryString(q), { ...h, authorization });
    }
    await cut('POST', '/-/console/api/signin', { 'content-type': 'application/json' });
    // Wait until the server has answered the four OSS requests (they are counted when answered), so the checks below
    // look at what it did, on a machine however slow; none of them may be counted as a 500.
    const ops = ['PutBucketCors', 'DeleteMultipleObjects', 'PutObjectTagging', 'PutBucketLifecycle'];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const metrics = (await rawRequest(srv.port, { method: 'GET', path: '/-/metrics', headers: { host: `127.0.0.1:${srv.port}` } })).body.toString('utf8');
      const answered = ops.filter((op) => new RegExp(`alunite_requests_total\\{[^}]*operation="${op}"`).test(metrics));
      if (answered.length === ops.length) {
        for (const op of ops) assert.doesNotMatch(metrics, new RegExp(`alunite_requests_total\\{[^}]*operation="${op}"[^}]*status="500"`), op);
        break;
      }
      assert.ok(Date.now() < deadline, `answered only ${answered.join(', ')}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    // The console sign-in has no counter: a second for it (a slow machine could only hide a failure, never make one).
    await new Promise((res) => setTimeout(res, 1000));
    await health();
    assert.doesNotMatch(srv.stderr(), /internal error|console sign-in failed/, 'a client that left mid-body is logged as its own doing');
  });

  it('after a restart, odd metadata reads back byte for byte; metadata with a newline from before the fix answers InternalError', { timeout: 120_000 }, async () => {
    await kill9(srv.child);
    // What an older server could have stored: a PostObject meta field and a CORS ExposeHeader with a newline.
    const badCors = JSON.stringify({ rules: [{ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: ['x-a\nx-b'], maxAgeSeconds: null }], responseVary: false });
    if (metaUrl === undefined) {
      const db = new Database(join(dataDir, 'metadata.sqlite'));
      db.prepare("UPDATE objects SET meta = json_set(meta, '$.bad', 'a' || char(13) || char(10) || 'X-Evil: 1') WHERE bucket = ? AND key = ?").run(BUCKET, 'victim');
      db.prepare('UPDATE buckets SET cors = ? WHERE name = ?').run(badCors, SIDE);
      db.close();
    } else {
      const db = new pg.Client({ connectionString: metaUrl });
      await db.connect();
      try {
        const set = await db.query("UPDATE objects SET meta = jsonb_set(meta::jsonb, '{bad}', to_jsonb('a' || chr(13) || chr(10) || 'X-Evil: 1'))::text WHERE bucket = $1 AND key = $2", [BUCKET, Buffer.from('victim')]);
        assert.equal(set.rowCount, 1);
        assert.equal((await db.query('UPDATE buckets SET cors = $1 WHERE name = $2', [badCors, SIDE])).rowCount, 1);
      } finally {
        await db.end();
      }
    }
    srv = await spawnServer(serverArgs(), serverEnv);

    for (const { key, headers } of oddMeta) {
      const res = await signedRaw('GET', BUCKET, key, [], {});
      assert.equal(res.status, 200, `${key}: ${res.body.toString()}`);
      for (const [name, value] of Object.entries(headers)) {
        if (name === 'expires' || name.startsWith('x-oss-meta-') || name.startsWith('content-') || name === 'cache-control') {
          assert.equal(res.headers[name], wire(value), `${key} ${name}`);
        }
      }
    }
    for (const method of ['GET', 'HEAD']) {
      const res = await signedRaw(method, BUCKET, 'victim', [], {});
      assert.equal(res.status, 500, `${method}: ${res.body.toString()}`);
      assert.equal(errorOf(res)?.Code, 'InternalError');
      assert.equal(res.headers['x-evil'], undefined);
      if (method === 'HEAD') assert.equal(res.body.length, 0);
    }
    const cors = await rawRequest(srv.port, { method: 'GET', path: `/${SIDE}/k`, headers: { host: `127.0.0.1:${srv.port}`, origin: 'http://a.example' } });
    assert.equal(cors.status, 500);
    assert.match(srv.stderr(), /response not sendable/);
    // Other objects and buckets are unaffected.
    assert.equal((await signedRaw('GET', BUCKET, 'bystander', [], {})).status, 200);
    await health();
  });
});
