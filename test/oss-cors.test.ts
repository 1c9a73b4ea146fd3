// Bucket CORS (spec oss-protocol §12.10): PutBucketCors/GetBucketCors/DeleteBucketCors through ali-oss and
// raw signed XML (validation), the anonymous OPTIONS preflight, and Access-Control-* headers on actual
// responses (success and error alike), persistence across a restart, and RAM enforcement.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { startServer } from '../src/server.js';
import { expectOssError, statusOf } from './helpers/oss.js';
import { denied, MSG, policyDoc, Ram } from './helpers/ram.js';
import { encodeKey, errorOf, queryString, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'cors-main';
const FORBIDDEN_MSG =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.";
const md5 = (b: string): string => createHash('md5').update(b).digest('base64');

type Rule = { origins: string[]; methods: string[]; headers?: string[]; expose?: string[]; maxAge?: number };

function corsBody(rules: Rule[], vary?: string): string {
  const rule = (r: Rule): string =>
    '<CORSRule>' +
    r.origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('') +
    r.methods.map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
    (r.headers ?? []).map((h) => `<AllowedHeader>${h}</AllowedHeader>`).join('') +
    (r.expose ?? []).map((h) => `<ExposeHeader>${h}</ExposeHeader>`).join('') +
    (r.maxAge !== undefined ? `<MaxAgeSeconds>${r.maxAge}</MaxAgeSeconds>` : '') +
    '</CORSRule>';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>${rules.map(rule).join('')}${vary !== undefined ? `<ResponseVary>${vary}</ResponseVary>` : ''}</CORSConfiguration>`;
}

interface Send {
  method: string;
  bucket?: string;
  key?: string | null;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string;
  /** Sign with the root key (default) or send anonymously. */
  signed?: boolean;
}

describe('bucket CORS', () => {
  let srv: TestServer;

  /** Path-style request, V1-signed by the test (or anonymous). */
  async function send(r: Send): Promise<RawResponse & { err: Record<string, string> | null }> {
    const bucket = r.bucket ?? BUCKET;
    const key = r.key ?? null;
    const path = `/${bucket}/${key === null ? '' : encodeKey(key)}${queryString(r.query)}`;
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, ...(r.headers ?? {}) };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    if (r.signed !== false) {
      headers['x-oss-date'] = new Date().toUTCString();
      headers.authorization = v1Authorization({ method: r.method, bucket, key, query: r.query ?? [], headers }, AK, SECRET).authorization;
    }
    const res = await rawRequest(srv.port, { method: r.method, path, headers, body: r.body });
    return { ...res, err: errorOf(res) };
  }

  const putCors = (body: string, bucket = BUCKET, extra: Record<string, string> = {}) =>
    send({ method: 'PUT', bucket, query: [['cors', '']], headers: { 'content-md5': md5(body), 'content-type': 'application/xml', ...extra }, body });
  const getCors = (bucket = BUCKET) => send({ method: 'GET', bucket, query: [['cors', '']] });

  const preflight = (key: string | null, h: Record<string, string>, bucket = BUCKET) =>
    send({ method: 'OPTIONS', bucket, key, headers: h, signed: false });

  function corsHeaders(res: RawResponse): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (k.startsWith('access-control-') || k === 'vary') out[k] = String(v);
    }
    return out;
  }

  before(async () => {
    srv = await startTestServer();
    const c = srv.client();
    await c.putBucket(BUCKET);
    await c.putBucket('cors-none');
    await srv.client({ bucket: BUCKET }).put('obj.txt', Buffer.from('hello cors'));
  });
  after(async () => {
    await srv.stop();
  });

  describe('configuration', () => {
    it('ali-oss putBucketCORS / getBucketCORS / deleteBucketCORS round trip (V1 and V4)', async () => {
      for (const v4 of [false, true]) {
        const c = srv.client({ authorizationV4: v4 });
        await c.putBucket('cors-crud');
        await expectOssError(c.getBucketCORS('cors-crud'), 'NoSuchCORSConfiguration', 404);
        const rules = [
          { allowedOrigin: ['http://a.example.com', 'http://*.b.example.com'], allowedMethod: ['GET', 'PUT', 'POST'], allowedHeader: ['x-oss-*', 'content-type'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '600' },
          { allowedOrigin: '*', allowedMethod: 'GET' },
        ];
        assert.equal(statusOf(await c.putBucketCORS('cors-crud', rules as unknown as OSS.CORSRule[])), 200);
        const got = await c.getBucketCORS('cors-crud');
        assert.deepEqual(got.rules, rules);
        // A second put replaces the whole configuration.
        await c.putBucketCORS('cors-crud', [{ allowedOrigin: 'http://only.example', allowedMethod: 'HEAD' }] as unknown as OSS.CORSRule[]);
        assert.deepEqual((await c.getBucketCORS('cors-crud')).rules, [{ allowedOrigin: 'http://only.example', allowedMethod: 'HEAD' }]);
        assert.equal(statusOf(await c.deleteBucketCORS('cors-crud')), 204);
        await expectOssError(c.getBucketCORS('cors-crud'), 'NoSuchCORSConfiguration', 404);
        // Deleting when there is none is still 204.
        assert.equal(statusOf(await c.deleteBucketCORS('cors-crud')), 204);
        await c.deleteBucket('cors-crud');
      }
    });

    it('GetBucketCors returns ResponseVary as stored', async () => {
      const body = corsBody([{ origins: ['*'], methods: ['GET'] }], 'true');
      assert.equal((await putCors(body, 'cors-none')).status, 200);
      const got = await getCors('cors-none');
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-type'], 'application/xml');
      assert.match(got.body.toString(), /<CORSConfiguration><CORSRule><AllowedOrigin>\*<\/AllowedOrigin><AllowedMethod>GET<\/AllowedMethod><\/CORSRule><ResponseVary>true<\/ResponseVary><\/CORSConfiguration>/);
      assert.equal((await send({ method: 'DELETE', bucket: 'cors-none', query: [['cors', '']] })).status, 204);
    });

    it('on a missing bucket: NoSuchBucket for put, get and delete', async () => {
      const c = srv.client();
      await expectOssError(c.putBucketCORS('cors-missing', [{ allowedOrigin: '*', allowedMethod: 'GET' }] as unknown as OSS.CORSRule[]), 'NoSuchBucket', 404);
      await expectOssError(c.getBucketCORS('cors-missing'), 'NoSuchBucket', 404);
      await expectOssError(c.deleteBucketCORS('cors-missing'), 'NoSuchBucket', 404);
    });

    const eleven = Array.from({ length: 11 }, (_, i) => ({ origins: [`http://o${i}.example`], methods: ['GET'] }));
    const invalid: Array<{ name: string; body: string; code: string; arg?: string; value?: string; message: RegExp }> = [
      { name: 'no CORSRule', body: corsBody([]), code: 'MalformedXML', message: /at least one CORSRule/ },
      { name: '11 rules', body: corsBody(eleven), code: 'InvalidArgument', arg: 'CORSRule', message: /at most 10 CORSRule/ },
      { name: 'a rule without AllowedOrigin', body: corsBody([{ origins: [], methods: ['GET'] }]), code: 'MalformedXML', message: /CORSRule 1 has no AllowedOrigin/ },
      { name: 'a rule without AllowedMethod', body: corsBody([{ origins: ['*'], methods: ['GET'] }, { origins: ['*'], methods: [] }]), code: 'MalformedXML', message: /CORSRule 2 has no AllowedMethod/ },
      { name: 'method PATCH', body: corsBody([{ origins: ['*'], methods: ['GET', 'PATCH'] }]), code: 'InvalidArgument', arg: 'AllowedMethod', message: /AllowedMethod "PATCH"/ },
      { name: 'lower-case method', body: corsBody([{ origins: ['*'], methods: ['get'] }]), code: 'InvalidArgument', arg: 'AllowedMethod', message: /AllowedMethod "get"/ },
      { name: 'two wildcards in an origin', body: corsBody([{ origins: ['http://*.*.example.com'], methods: ['GET'] }]), code: 'InvalidArgument', arg: 'AllowedOrigin', message: /AllowedOrigin "http:\/\/\*\.\*\.example\.com".*more than one/ },
      { name: 'two wildcards in a header', body: corsBody([{ origins: ['*'], methods: ['GET'], headers: ['x-*-*'] }]), code: 'InvalidArgument', arg: 'AllowedHeader', message: /AllowedHeader "x-\*-\*"/ },
      { name: 'a wildcard ExposeHeader', body: corsBody([{ origins: ['*'], methods: ['GET'], expose: ['*'] }]), code: 'InvalidArgument', arg: 'ExposeHeader', message: /ExposeHeader "\*"/ },
      { name: 'MaxAgeSeconds not a number', body: corsBody([{ origins: ['*'], methods: ['GET'] }]).replace('</AllowedMethod>', '</AllowedMethod><MaxAgeSeconds>ten</MaxAgeSeconds>'), code: 'MalformedXML', message: /MaxAgeSeconds "ten"/ },
      // oss2 test_invalid_argument: InvalidArgument whose ArgumentName / ArgumentValue oss2 reads as e.name / e.value.
      { name: 'MaxAgeSeconds -1', body: corsBody([{ origins: ['*'], methods: ['GET'], maxAge: -1 }]), code: 'InvalidArgument', arg: 'MaxAgeSeconds', value: '-1', message: /MaxAgeSeconds/ },
      { name: 'MaxAgeSeconds 1000000000', body: corsBody([{ origins: ['*'], methods: ['GET'], maxAge: 1_000_000_000 }]), code: 'InvalidArgument', arg: 'MaxAgeSeconds', value: '1000000000', message: /MaxAgeSeconds/ },
      { name: 'ResponseVary not a boolean', body: corsBody([{ origins: ['*'], methods: ['GET'] }], 'yes'), code: 'MalformedXML', message: /ResponseVary "yes"/ },
      { name: 'the wrong root element', body: '<CORSRules><CORSRule/></CORSRules>', code: 'MalformedXML', message: /not well-formed/ },
      { name: 'not XML', body: 'allow everything', code: 'MalformedXML', message: /not well-formed/ },
    ];
    for (const c of invalid) {
      it(`PutBucketCors with ${c.name} → 400 ${c.code}, the stored configuration untouched`, async () => {
        const good = corsBody([{ origins: ['http://keep.example'], methods: ['GET'] }]);
        assert.equal((await putCors(good, 'cors-none')).status, 200);
        const res = await putCors(c.body, 'cors-none');
        assert.equal(res.status, 400);
        assert.equal(res.err?.Code, c.code);
        assert.match(res.err?.Message ?? '', c.message);
        if (c.arg !== undefined) assert.equal(res.err?.ArgumentName, c.arg);
        if (c.value !== undefined) assert.equal(res.err?.ArgumentValue, c.value);
        assert.equal(res.err?.RequestId, res.headers['x-oss-request-id']);
        assert.match((await getCors('cors-none')).body.toString(), /<AllowedOrigin>http:\/\/keep\.example<\/AllowedOrigin>/);
      });
    }

    it('PutBucketCors over 16 KB → 400 EntityTooLarge; a wrong Content-MD5 → 400 InvalidDigest', async () => {
      await send({ method: 'DELETE', bucket: 'cors-none', query: [['cors', '']] });
      const big = corsBody([{ origins: ['*'], methods: ['GET'], headers: Array.from({ length: 400 }, (_, i) => `x-oss-meta-header-${i}`) }]);
      assert.ok(Buffer.byteLength(big) > 16 * 1024);
      const res = await putCors(big, 'cors-none');
      assert.equal(res.status, 400);
      assert.equal(res.err?.Code, 'EntityTooLarge');
      const body = corsBody([{ origins: ['*'], methods: ['GET'] }]);
      const bad = await putCors(body, 'cors-none', { 'content-md5': md5(`${body} `) });
      assert.equal(bad.err?.Code, 'InvalidDigest');
      assert.equal((await getCors('cors-none')).err?.Code, 'NoSuchCORSConfiguration');
    });

    it('ali-oss reports a validation error as InvalidArgument', async () => {
      const c = srv.client();
      const err = await expectOssError(c.putBucketCORS('cors-none', [{ allowedOrigin: 'http://*.*.x', allowedMethod: 'GET' }] as unknown as OSS.CORSRule[]), 'InvalidArgument', 400);
      assert.match(err.message, /more than one "\*" wildcard/);
    });
  });

  describe('OPTIONS preflight', () => {
    before(async () => {
      const body = corsBody([
        { origins: ['http://app.example.com'], methods: ['PUT', 'POST'], headers: ['Content-Type', 'x-oss-meta-*'], expose: ['ETag', 'x-oss-request-id'], maxAge: 300 },
        { origins: ['http://*.example.com'], methods: ['GET', 'PUT'], headers: ['*'], expose: ['x-oss-hash-crc64ecma'] },
        { origins: ['*'], methods: ['GET', 'HEAD'] },
      ]);
      assert.equal((await putCors(body)).status, 200);
    });

    const allowed: Array<{ name: string; key: string | null; h: Record<string, string>; want: Record<string, string> }> = [
      {
        name: 'exact origin, method and headers (first rule)',
        key: 'obj.txt',
        h: { origin: 'http://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-oss-meta-a' },
        want: {
          'access-control-allow-origin': 'http://app.example.com',
          'access-control-allow-methods': 'PUT, POST',
          'access-control-allow-headers': 'content-type, x-oss-meta-a',
          'access-control-expose-headers': 'ETag, x-oss-request-id',
          'access-control-max-age': '300',
        },
      },
      {
        name: 'header names compare case-insensitively and are echoed as sent',
        key: 'obj.txt',
        h: { origin: 'http://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'Content-Type, X-OSS-Meta-Owner' },
        want: {
          'access-control-allow-origin': 'http://app.example.com',
          'access-control-allow-methods': 'PUT, POST',
          'access-control-allow-headers': 'Content-Type, X-OSS-Meta-Owner',
          'access-control-expose-headers': 'ETag, x-oss-request-id',
          'access-control-max-age': '300',
        },
      },
      {
        name: 'a header the first rule lacks falls to the wildcard-origin rule with AllowedHeader *',
        key: 'obj.txt',
        h: { origin: 'http://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-oss-date,authorization' },
        want: {
          'access-control-allow-origin': 'http://app.example.com',
          'access-control-allow-methods': 'GET, PUT',
          'access-control-allow-headers': 'x-oss-date, authorization',
          'access-control-expose-headers': 'x-oss-hash-crc64ecma',
        },
      },
      {
        name: 'wildcard subdomain origin, no requested headers',
        key: 'dir/any key',
        h: { origin: 'http://deep.sub.example.com', 'access-control-request-method': 'GET' },
        want: { 'access-control-allow-origin': 'http://deep.sub.example.com', 'access-control-allow-methods': 'GET, PUT', 'access-control-expose-headers': 'x-oss-hash-crc64ecma' },
      },
      {
        name: 'origin * answers Allow-Origin *',
        key: null,
        h: { origin: 'https://elsewhere.test', 'access-control-request-method': 'HEAD' },
        want: { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, HEAD' },
      },
    ];
    for (const c of allowed) {
      it(`allowed: ${c.name}`, async () => {
        const res = await preflight(c.key, c.h);
        assert.equal(res.status, 200, res.body.toString());
        assert.deepEqual(corsHeaders(res), c.want);
        assert.equal(res.body.length, 0);
        assert.match(String(res.headers['x-oss-request-id']), /^[0-9A-F]{24}$/);
      });
    }

    const refused: Array<{ name: string; h: Record<string, string> }> = [
      { name: 'method no rule allows', h: { origin: 'http://app.example.com', 'access-control-request-method': 'DELETE' } },
      { name: 'method in the wrong case', h: { origin: 'https://elsewhere.test', 'access-control-request-method': 'get' } },
      { name: 'header no rule allows for that origin', h: { origin: 'https://elsewhere.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-custom' } },
      { name: 'origin in another case (origins are case-sensitive)', h: { origin: 'HTTP://APP.EXAMPLE.COM', 'access-control-request-method': 'POST' } },
      { name: 'origin outside the wildcard pattern', h: { origin: 'http://example.com.evil.test', 'access-control-request-method': 'PUT' } },
      { name: 'method unknown to CORS', h: { origin: 'http://app.example.com', 'access-control-request-method': 'PATCH' } },
    ];
    for (const c of refused) {
      it(`refused: ${c.name} → 403 AccessForbidden`, async () => {
        const res = await preflight('obj.txt', c.h);
        assert.equal(res.status, 403);
        assert.equal(res.err?.Code, 'AccessForbidden');
        assert.equal(res.err?.Message, FORBIDDEN_MSG);
        assert.deepEqual(corsHeaders(res), {});
      });
    }

    it('no CORS configuration → 403 AccessForbidden', async () => {
      const res = await preflight('obj.txt', { origin: 'http://app.example.com', 'access-control-request-method': 'GET' }, 'cors-none');
      assert.equal(res.status, 403);
      assert.equal(res.err?.Code, 'AccessForbidden');
      assert.equal(res.err?.Message, FORBIDDEN_MSG);
    });

    it('missing Origin or Access-Control-Request-Method → 400 BadRequest', async () => {
      const a = await preflight('obj.txt', { 'access-control-request-method': 'GET' });
      assert.equal(a.status, 400);
      assert.equal(a.err?.Code, 'BadRequest');
      assert.equal(a.err?.Message, 'Insufficient information. Origin request header needed.');
      const b = await preflight('obj.txt', { origin: 'http://app.example.com' });
      assert.equal(b.status, 400);
      assert.equal(b.err?.Code, 'BadRequest');
      assert.equal(b.err?.Message, 'Insufficient information. Access-Control-Request-Method request header needed.');
    });

    it('unknown bucket → 404 NoSuchBucket; a bad bucket name → 400 InvalidBucketName', async () => {
      const res = await preflight('obj.txt', { origin: 'http://app.example.com', 'access-control-request-method': 'GET' }, 'cors-nowhere');
      assert.equal(res.status, 404);
      assert.equal(res.err?.Code, 'NoSuchBucket');
      assert.equal(res.err?.BucketName, 'cors-nowhere');
      const bad = await preflight(null, { origin: 'http://app.example.com', 'access-control-request-method': 'GET' }, 'Bad_Name');
      assert.equal(bad.status, 400);
      assert.equal(bad.err?.Code, 'InvalidBucketName');
    });

    it('a signature on a preflight is ignored (preflights are anonymous)', async () => {
      const res = await send({ method: 'OPTIONS', key: 'obj.txt', headers: { origin: 'http://x.example.com', 'access-control-request-method': 'GET', authorization: 'OSS nobody:bogus' }, signed: false });
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], 'http://x.example.com');
    });
  });

  describe('headers on actual requests', () => {
    let signer: OSS;
    before(async () => {
      const body = corsBody([
        { origins: ['http://app.example.com'], methods: ['GET', 'PUT', 'HEAD'], expose: ['ETag', 'x-oss-request-id'], maxAge: 60 },
        { origins: ['http://*.vary.test'], methods: ['GET'] },
      ], 'false');
      assert.equal((await putCors(body)).status, 200);
      signer = srv.pathClient({ bucket: BUCKET });
    });

    /** A signed URL's path + query, sent raw with an Origin header. */
    async function viaUrl(method: 'GET' | 'PUT' | 'HEAD', key: string, origin: string | null, body?: string): Promise<RawResponse & { err: Record<string, string> | null }> {
      const url = new URL(signer.signatureUrl(key, { method: method as 'GET', expires: 600 }));
      const headers: Record<string, string> = { host: `localhost:${srv.port}` };
      if (origin !== null) headers.origin = origin;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const res = await rawRequest(srv.port, { method, path: url.pathname + url.search, headers, body });
      return { ...res, err: errorOf(res) };
    }

    const APP = {
      'access-control-allow-origin': 'http://app.example.com',
      'access-control-allow-methods': 'GET, PUT, HEAD',
      'access-control-expose-headers': 'ETag, x-oss-request-id',
      'access-control-max-age': '60',
    };

    it('GET, PUT and HEAD of an object carry the matching rule’s headers', async () => {
      const get = await viaUrl('GET', 'obj.txt', 'http://app.example.com');
      assert.equal(get.status, 200);
      assert.equal(get.body.toString(), 'hello cors');
      assert.deepEqual(corsHeaders(get), APP);
      const put = await viaUrl('PUT', 'put-by-page.txt', 'http://app.example.com', 'from a page');
      assert.equal(put.status, 200);
      assert.deepEqual(corsHeaders(put), APP);
      assert.ok(put.headers.etag);
      const head = await viaUrl('HEAD', 'obj.txt', 'http://app.example.com');
      assert.equal(head.status, 200);
      assert.deepEqual(corsHeaders(head), APP);
    });

    it('error responses carry them too: 404 NoSuchKey and 403 AccessDenied', async () => {
      const missing = await viaUrl('GET', 'no-such-key', 'http://app.example.com');
      assert.equal(missing.status, 404);
      assert.equal(missing.err?.Code, 'NoSuchKey');
      assert.deepEqual(corsHeaders(missing), APP);
      const anon = await send({ method: 'GET', key: 'obj.txt', headers: { origin: 'http://app.example.com' }, signed: false });
      assert.equal(anon.status, 403);
      assert.equal(anon.err?.Code, 'AccessDenied');
      assert.deepEqual(corsHeaders(anon), APP);
      const badSig = await send({ method: 'GET', key: 'obj.txt', headers: { origin: 'http://app.example.com', authorization: `OSS ${AK}:bogus`, 'x-oss-date': new Date().toUTCString() }, signed: false });
      assert.equal(badSig.err?.Code, 'SignatureDoesNotMatch');
      assert.deepEqual(corsHeaders(badSig), APP);
    });

    it('nothing without Origin, for an origin or method no rule allows, or on a bucket without CORS', async () => {
      assert.deepEqual(corsHeaders(await viaUrl('GET', 'obj.txt', null)), {});
      assert.deepEqual(corsHeaders(await viaUrl('GET', 'obj.txt', 'http://other.example.org')), {});
      // Rule 2 allows only GET for *.vary.test.
      assert.deepEqual(corsHeaders(await viaUrl('PUT', 'x.txt', 'http://a.vary.test', 'x')), {});
      const noCors = await send({ method: 'GET', bucket: 'cors-none', key: null, headers: { origin: 'http://app.example.com' } });
      assert.equal(noCors.status, 200);
      assert.deepEqual(corsHeaders(noCors), {});
      const noBucket = await send({ method: 'GET', bucket: 'cors-nowhere', key: 'k', headers: { origin: 'http://app.example.com' } });
      assert.equal(noBucket.err?.Code, 'NoSuchBucket');
      assert.deepEqual(corsHeaders(noBucket), {});
    });

    it('bucket requests (ListObjects) carry them as well', async () => {
      const list = await send({ method: 'GET', key: null, headers: { origin: 'http://app.example.com' } });
      assert.equal(list.status, 200);
      assert.deepEqual(corsHeaders(list), APP);
    });

    it('ResponseVary=true adds Vary: Origin (actual and preflight)', async () => {
      const body = corsBody([{ origins: ['http://*.vary.test'], methods: ['GET'] }], 'true');
      assert.equal((await putCors(body, 'cors-none')).status, 200);
      const list = await send({ method: 'GET', bucket: 'cors-none', key: null, headers: { origin: 'http://a.vary.test' } });
      assert.deepEqual(corsHeaders(list), { 'access-control-allow-origin': 'http://a.vary.test', 'access-control-allow-methods': 'GET', vary: 'Origin' });
      const pre = await preflight(null, { origin: 'http://a.vary.test', 'access-control-request-method': 'GET' }, 'cors-none');
      assert.equal(pre.headers.vary, 'Origin');
      // …and ResponseVary=false (rule 2 of the main bucket) does not.
      assert.equal((await viaUrl('GET', 'obj.txt', 'http://a.vary.test')).headers.vary, undefined);
      await send({ method: 'DELETE', bucket: 'cors-none', query: [['cors', '']] });
    });

    it('a new configuration applies to the next request (no stale cache)', async () => {
      assert.deepEqual(corsHeaders(await viaUrl('GET', 'obj.txt', 'http://new.example.net')), {});
      const body = corsBody([{ origins: ['http://new.example.net'], methods: ['GET'] }]);
      assert.equal((await putCors(body)).status, 200);
      assert.equal((await viaUrl('GET', 'obj.txt', 'http://new.example.net')).headers['access-control-allow-origin'], 'http://new.example.net');
      assert.equal((await send({ method: 'DELETE', query: [['cors', '']] })).status, 204);
      assert.deepEqual(corsHeaders(await viaUrl('GET', 'obj.txt', 'http://new.example.net')), {});
      const pre = await preflight('obj.txt', { origin: 'http://new.example.net', 'access-control-request-method': 'GET' });
      assert.equal(pre.err?.Code, 'AccessForbidden');
    });
  });

  describe('authorization', () => {
    it('a RAM user needs oss:PutBucketCors / GetBucketCors / DeleteBucketCors', async () => {
      const ram = new Ram(srv);
      const reader = await ram.userWith('cors-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketCors'], Resource: ['acs:oss:*:*:*'] }));
      const rules = [{ allowedOrigin: '*', allowedMethod: 'GET' }] as unknown as OSS.CORSRule[];
      await srv.client().putBucketCORS(BUCKET, rules);
      const oss = reader.oss();
      await denied(oss.putBucketCORS(BUCKET, rules), MSG.bucket);
      await denied(oss.deleteBucketCORS(BUCKET), MSG.bucket);
      assert.deepEqual((await oss.getBucketCORS(BUCKET)).rules, [{ allowedOrigin: '*', allowedMethod: 'GET' }]);
      const writer = await ram.userWith('cors-writer', policyDoc({ Effect: 'Allow', Action: ['oss:PutBucketCors', 'oss:DeleteBucketCors'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
      const w = writer.oss();
      await denied(w.getBucketCORS(BUCKET), MSG.bucket);
      assert.equal(statusOf(await w.putBucketCORS(BUCKET, [{ allowedOrigin: 'http://w.example', allowedMethod: 'PUT' }] as unknown as OSS.CORSRule[])), 200);
      assert.deepEqual((await oss.getBucketCORS(BUCKET)).rules, [{ allowedOrigin: 'http://w.example', allowedMethod: 'PUT' }]);
      assert.equal(statusOf(await w.deleteBucketCORS(BUCKET)), 204);
      await expectOssError(oss.getBucketCORS(BUCKET), 'NoSuchCORSConfiguration', 404);
    });
  });
});

describe('bucket CORS persistence', () => {
  it('the configuration survives a server restart on the same SQLite files', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alunite-cors-'));
    const opts = {
      host: '127.0.0.1', port: 0, dataDir, inMemory: false, region: 'cn-hangzhou', accountId: ACCOUNT_ID,
      rootAccessKeyId: AK, rootAccessKeySecret: SECRET, logLevel: 'silent' as const, durable: false,
    };
    try {
      const first = await startServer(opts);
      const client = (url: string) => new OSS({ endpoint: url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET });
      const rules = [{ allowedOrigin: 'http://persist.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag', maxAgeSeconds: '42' }];
      await client(first.url).putBucket('cors-persist');
      await client(first.url).putBucketCORS('cors-persist', rules as unknown as OSS.CORSRule[]);
      await first.close();

      const second = await startServer(opts);
      try {
        assert.deepEqual((await client(second.url).getBucketCORS('cors-persist')).rules, rules);
        const res = await rawRequest(second.port, {
          method: 'OPTIONS',
          path: '/cors-persist/k',
          headers: { host: `localhost:${second.port}`, origin: 'http://persist.example', 'access-control-request-method': 'PUT' },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers['access-control-max-age'], '42');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
