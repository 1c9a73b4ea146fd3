// Signature variants the official SDKs send besides ali-oss's V1/V4 (raw HTTP against a real server):
// - OSS2 (signature V2, oss2 AuthV2 / Go SDK AuthV2) headers and presigned URLs, checked against the official
//   examples (key 44CF9590006BF252F707) and against a test-side signer written from oss2's algorithm;
// - V4 headers that carry only `Date` (Go SDK V4 mode): the Date string is what the StringToSign holds.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signV2, stringToSignV2 } from '../src/auth/signature/v2.js';
import { v2Encode, v2PresignQuery, v2StringToSign, type V2Input } from './helpers/oss2.js';
import { encodeKey, errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

// The key of OSS's published V2 examples.
const AK = '44CF9590006BF252F707';
const SECRET = 'OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV';
const BUCKET = 'oss-example';
const REGION = 'cn-hangzhou';

const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** oss2's string to sign for this file's bucket. */
const testStringToSignV2 = (r: Omit<V2Input, 'bucket'>): string => v2StringToSign({ ...r, bucket: BUCKET });

const hmac256 = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

describe('SDK signature variants: OSS2 (V2) and V4 with Date', () => {
  let srv: TestServer;
  let now = Date.UTC(2026, 10, 22, 4, 21, 11);

  const hostHeader = (): string => `${BUCKET}.oss-${REGION}.aliyuncs.com`;
  const error = (res: RawResponse) => errorOf(res) ?? {};

  /** A V1-signed request at the server's current time (setup). */
  async function v1(method: string, key: string | null, body?: string, extra: Record<string, string> = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { host: hostHeader(), date: httpDate(now), ...extra };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query: [], headers }, AK, SECRET).authorization;
    return rawRequest(srv.port, { method, path: `/${key === null ? '' : encodeKey(key)}`, headers, body });
  }

  /** An OSS2 header-signed request (the test's own signer); `authorization` overrides the computed header. */
  async function v2(method: string, key: string | null, opts: { headers?: Record<string, string>; query?: Array<[string, string]>; additional?: string[]; body?: string; secret?: string } = {}): Promise<RawResponse & { stringToSign: string }> {
    const headers: Record<string, string> = { host: hostHeader(), date: httpDate(now), ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const additional = opts.additional ?? [];
    const stringToSign = testStringToSignV2({ method, key, headers, query: opts.query ?? [], dateSlot: headers.date!, additional });
    const sig = hmac256(opts.secret ?? SECRET, stringToSign).toString('base64');
    // oss2 lists the additional headers in set order, not sorted.
    headers.authorization = additional.length ? `OSS2 AccessKeyId:${AK},AdditionalHeaders:${[...additional].reverse().join(';')},Signature:${sig}` : `OSS2 AccessKeyId:${AK},Signature:${sig}`;
    const qs = (opts.query ?? []).map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
    const res = await rawRequest(srv.port, { method, path: `/${key === null ? '' : encodeKey(key)}${qs ? `?${qs}` : ''}`, headers, body: opts.body });
    return { ...res, stringToSign };
  }

  /** An OSS2 presigned URL path (oss2 `sign_url` with AuthV2), expiring at `expires` (seconds). */
  const v2Url = (method: string, key: string, expires: number, query: Array<[string, string]> = [], headers: Record<string, string> = {}): string =>
    `/${encodeKey(key)}?${v2PresignQuery({ method, bucket: BUCKET, key, ak: AK, secret: SECRET, expires, query, headers })}`;

  before(async () => {
    srv = await startTestServer({ clock: () => now, rootAccessKeyId: AK, rootAccessKeySecret: SECRET });
    assert.equal((await v1('PUT', null)).status, 200);
    const put = await v1('PUT', 'nelson', 'nelson-content-0123456789');
    assert.equal(put.status, 200, put.body.toString());
  });
  after(async () => {
    await srv.stop();
  });

  describe('OSS2 (signature V2)', () => {
    it("the server's V2 string to sign reproduces OSS's published examples", () => {
      const headerCase = {
        method: 'PUT', bucket: BUCKET, key: 'nelson', query: [],
        headers: { 'content-md5': 'FxqG8Ca0qEJPOghSihJ8Ew==', 'content-type': 'text/plain', 'x-oss-object-acl': 'private', date: 'Wed, 15 Feb 2017 09:37:11 GMT' },
      };
      const sts1 = stringToSignV2(headerCase, 'Wed, 15 Feb 2017 09:37:11 GMT', [], false);
      assert.equal(sts1, 'PUT\nFxqG8Ca0qEJPOghSihJ8Ew==\ntext/plain\nWed, 15 Feb 2017 09:37:11 GMT\nx-oss-object-acl:private\n\n%2Foss-example%2Fnelson');
      assert.equal(signV2(SECRET, sts1), '5Am2ewK1tL0gXX7GV6dwybZtj7efOEtc0Mo2FR6CkM8=');
      assert.equal(testStringToSignV2({ ...headerCase, dateSlot: 'Wed, 15 Feb 2017 09:37:11 GMT', additional: [] }), sts1, 'the test signer agrees');

      const urlCase = {
        method: 'GET', bucket: BUCKET, key: 'nelson', headers: {},
        query: [['extra-query', '1'], ['x-oss-signature-version', 'OSS2'], ['x-oss-access-key-id', AK], ['x-oss-expires', '1487211619'], ['x-oss-signature', 'ignored']] as Array<[string, string]>,
      };
      const sts2 = stringToSignV2(urlCase, '1487211619', [], true);
      assert.equal(sts2, 'GET\n\n\n1487211619\n\n%2Foss-example%2Fnelson?extra-query=1&x-oss-access-key-id=44CF9590006BF252F707&x-oss-expires=1487211619&x-oss-signature-version=OSS2');
      assert.equal(signV2(SECRET, sts2), 'wsARTPqvZdbdPjYpZfDZ/jisUaacYq7gGOdB3f1BgTE=');
    });

    it("OSS's published header example with AdditionalHeaders is accepted end to end", async () => {
      // Object written after the example's If-Modified-Since, so the ranged GET answers 206.
      now = Date.UTC(2017, 1, 16, 3, 0, 0);
      assert.equal((await v1('PUT', 'nelson', 'nelson-content-0123456789')).status, 200);
      now = Date.UTC(2017, 1, 16, 2, 9, 39);
      const res = await rawRequest(srv.port, {
        method: 'GET',
        path: '/nelson',
        headers: {
          host: hostHeader(),
          range: 'bytes=0-7',
          'if-modified-since': 'Thu, 16 Feb 2017 02:10:39 GMT',
          date: 'Thu, 16 Feb 2017 02:09:39 GMT',
          authorization: `OSS2 AccessKeyId:${AK},AdditionalHeaders:if-modified-since;range,Signature:YG9mKO3m4S0Jx9Hk6Lq64VchJg/TOTkyCX4DaeeOYxE=`,
        },
      });
      assert.equal(res.status, 206, res.body.toString());
      assert.equal(res.body.toString(), 'nelson-c');
    });

    it("OSS's published presigned URL example is accepted until x-oss-expires, then Request has expired.", async () => {
      const path = '/nelson?x-oss-signature-version=OSS2&x-oss-expires=1487152431&x-oss-access-key-id=44CF9590006BF252F707&x-oss-signature=ps%2F%2BMLhd1WKkVi%2FQlOiliJsTaBMBk93f6UYVscDNHCQ%3D';
      now = 1487151431_000;
      const ok = await rawRequest(srv.port, { method: 'GET', path, headers: { host: hostHeader() } });
      assert.equal(ok.status, 200, ok.body.toString());
      assert.equal(ok.body.toString(), 'nelson-content-0123456789');
      now = 1487152432_000;
      const late = await rawRequest(srv.port, { method: 'GET', path, headers: { host: hostHeader() } });
      assert.equal(late.status, 403);
      assert.deepEqual([error(late).Code, error(late).Message, error(late).EC], ['AccessDenied', 'Request has expired.', '0002-00000069']);
    });

    it('header-signed requests: object PUT/GET, listing with encoded query values, ACL sub-resource, service listing', async () => {
      now = Date.UTC(2026, 10, 22, 4, 21, 11);
      const body = 'v2 body';
      const md5 = createHash('md5').update(body).digest('base64');
      const put = await v2('PUT', 'dir/v2 key+ü.txt', { body, headers: { 'content-type': 'text/plain', 'content-md5': md5, 'x-oss-meta-who': 'oss2' } });
      assert.equal(put.status, 200, put.body.toString());
      const get = await v2('GET', 'dir/v2 key+ü.txt', { headers: { range: 'bytes=0-1' }, additional: ['range'] });
      assert.equal(get.status, 206, get.body.toString());
      assert.equal(get.body.toString(), 'v2');
      // All query parameters are signed, values percent-encoded (space, '/', '+').
      const list = await v2('GET', null, { query: [['prefix', 'dir/v2 key+'], ['max-keys', '10'], ['encoding-type', 'url']] });
      assert.equal(list.status, 200, list.body.toString());
      assert.match(list.body.toString(), /<Key>dir%2Fv2%20key%2B%C3%BC.txt<\/Key>/);
      const acl = await v2('GET', null, { query: [['acl', '']] });
      assert.equal(acl.status, 200, acl.body.toString());
      assert.match(acl.body.toString(), /<AccessControlPolicy>/);
      const service = await rawRequest(srv.port, {
        method: 'GET',
        path: '/',
        headers: (() => {
          const h: Record<string, string> = { host: `oss-${REGION}.aliyuncs.com`, date: httpDate(now) };
          const sts = `GET\n\n\n${h.date}\n\n${v2Encode('/')}`;
          h.authorization = `OSS2 AccessKeyId:${AK},Signature:${hmac256(SECRET, sts).toString('base64')}`;
          return h;
        })(),
      });
      assert.equal(service.status, 200, service.body.toString());
      assert.match(service.body.toString(), new RegExp(`<Name>${BUCKET}</Name>`));
      assert.match(service.body.toString(), new RegExp(`<ID>${ACCOUNT_ID}</ID>`));
    });

    it('a wrong secret, a changed signed header or an unlisted header change → SignatureDoesNotMatch with the V2 StringToSign', async () => {
      const bad = await v2('GET', 'nelson', { secret: 'not-the-secret' });
      assert.equal(bad.status, 403);
      assert.equal(error(bad).Code, 'SignatureDoesNotMatch');
      assert.equal(error(bad).StringToSign, bad.stringToSign, 'the server reports the string it signed');
      assert.equal(error(bad).EC, '0002-00000040');
      // Sign with range listed, then send another range: the signature no longer covers the request.
      const headers: Record<string, string> = { host: hostHeader(), date: httpDate(now), range: 'bytes=0-1' };
      const sts = testStringToSignV2({ method: 'GET', key: 'nelson', headers, query: [], dateSlot: headers.date!, additional: ['range'] });
      headers.authorization = `OSS2 AccessKeyId:${AK},AdditionalHeaders:range,Signature:${hmac256(SECRET, sts).toString('base64')}`;
      const swapped = await rawRequest(srv.port, { method: 'GET', path: '/nelson', headers: { ...headers, range: 'bytes=0-20' } });
      assert.equal(error(swapped).Code, 'SignatureDoesNotMatch');
      // A query parameter added after signing is caught too (V2 signs all of them, unlike V1).
      const added = await rawRequest(srv.port, { method: 'GET', path: '/nelson?response-content-type=text%2Fhtml', headers });
      assert.equal(error(added).Code, 'SignatureDoesNotMatch');
    });

    it('skewed Date → RequestTimeTooSkewed; no Date → AccessDenied; malformed OSS2 header → InvalidArgument', async () => {
      const skewed = await v2('GET', 'nelson', { headers: { date: httpDate(now - 16 * 60_000) } });
      assert.equal(error(skewed).Code, 'RequestTimeTooSkewed');
      const noDate = await rawRequest(srv.port, { method: 'GET', path: '/nelson', headers: { host: hostHeader(), authorization: `OSS2 AccessKeyId:${AK},Signature:abc=` } });
      assert.deepEqual([noDate.status, error(noDate).Code], [403, 'AccessDenied']);
      const noSig = await rawRequest(srv.port, { method: 'GET', path: '/nelson', headers: { host: hostHeader(), date: httpDate(now), authorization: `OSS2 AccessKeyId:${AK}` } });
      assert.deepEqual([noSig.status, error(noSig).Code], [400, 'InvalidArgument']);
    });

    it('presigned URLs: GET with response-* overrides and PUT; a changed parameter or an expired URL is refused', async () => {
      const expires = Math.floor(now / 1000) + 600;
      const get = await rawRequest(srv.port, { method: 'GET', path: v2Url('GET', 'nelson', expires, [['response-content-type', 'text/html']]), headers: { host: hostHeader() } });
      assert.equal(get.status, 200, get.body.toString());
      assert.equal(get.headers['content-type'], 'text/html');
      const put = await rawRequest(srv.port, {
        method: 'PUT',
        path: v2Url('PUT', 'from-url.txt', expires, [], { 'content-type': 'text/plain' }),
        headers: { host: hostHeader(), 'content-type': 'text/plain', 'content-length': '3' },
        body: 'url',
      });
      assert.equal(put.status, 200, put.body.toString());
      assert.equal((await v1('GET', 'from-url.txt')).body.toString(), 'url');
      const tampered = v2Url('GET', 'nelson', expires, [['response-content-type', 'text/html']]).replace('text%2Fhtml', 'text%2Fplain');
      const mism = await rawRequest(srv.port, { method: 'GET', path: tampered, headers: { host: hostHeader() } });
      assert.deepEqual([mism.status, error(mism).Code], [403, 'SignatureDoesNotMatch']);
      const old = await rawRequest(srv.port, { method: 'GET', path: v2Url('GET', 'nelson', Math.floor(now / 1000) - 1), headers: { host: hostHeader() } });
      assert.deepEqual([old.status, error(old).Code, error(old).Message], [403, 'AccessDenied', 'Request has expired.']);
      const partial = await rawRequest(srv.port, { method: 'GET', path: `/nelson?x-oss-signature-version=OSS2&x-oss-expires=${expires}&x-oss-signature=abc`, headers: { host: hostHeader() } });
      assert.deepEqual([partial.status, error(partial).Code], [403, 'AccessDenied']);
    });
  });

  describe('V4 with Date and no x-oss-date (Go SDK V4 mode)', () => {
    /** Go SDK getSignedStrV4: x-oss-*, content-type, content-md5 signed; StringToSign's time line is the Date value. */
    function goV4(method: string, key: string, headers: Record<string, string>, query: Array<[string, string]> = [], credentialDay?: string): string {
      const canon = Object.entries(headers)
        .filter(([k]) => k.startsWith('x-oss-') || k === 'content-type' || k === 'content-md5')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}:${v.trim()}\n`)
        .join('');
      const q = query.map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => (v ? `${k}=${v}` : k)).join('&');
      const uri = `/${BUCKET}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
      const canonical = `${method}\n${uri}\n${q}\n${canon}\n\n${headers['x-oss-content-sha256'] ?? ''}`;
      const date = headers.date!;
      const day = credentialDay ?? new Date(Date.parse(date)).toISOString().slice(0, 10).replace(/-/g, '');
      const scope = `${day}/${REGION}/oss/aliyun_v4_request`;
      const sts = `OSS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
      const key4 = [day, REGION, 'oss', 'aliyun_v4_request'].reduce<Buffer>((k, part) => hmac256(k, part), Buffer.from(`aliyun_v4${SECRET}`));
      return `OSS4-HMAC-SHA256 Credential=${AK}/${scope},Signature=${hmac256(key4, sts).toString('hex')}`;
    }

    it('PUT and GET signed over the Date header are accepted', async () => {
      now = Date.UTC(2026, 10, 22, 23, 59, 30);
      const put: Record<string, string> = { host: hostHeader(), date: httpDate(now), 'content-type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '5' };
      put.authorization = goV4('PUT', 'go/v4.txt', put);
      const res = await rawRequest(srv.port, { method: 'PUT', path: '/go/v4.txt', headers: put, body: 'go v4' });
      assert.equal(res.status, 200, res.body.toString());
      const get: Record<string, string> = { host: hostHeader(), date: httpDate(now), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      get.authorization = goV4('GET', 'go/v4.txt', get, [['response-content-type', 'text/csv']]);
      const got = await rawRequest(srv.port, { method: 'GET', path: '/go/v4.txt?response-content-type=text%2Fcsv', headers: get });
      assert.equal(got.status, 200, got.body.toString());
      assert.equal(got.body.toString(), 'go v4');
      assert.equal(got.headers['content-type'], 'text/csv');
    });

    it("the credential's day must be Date's UTC day; Date is checked for skew; without Date or x-oss-date → AccessDenied", async () => {
      now = Date.UTC(2026, 10, 22, 23, 59, 30);
      const h: Record<string, string> = { host: hostHeader(), date: httpDate(now), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      h.authorization = goV4('GET', 'go/v4.txt', h, [], '20261123');
      const wrongDay = await rawRequest(srv.port, { method: 'GET', path: '/go/v4.txt', headers: h });
      assert.deepEqual([wrongDay.status, error(wrongDay).Code, error(wrongDay).Message], [400, 'InvalidArgument', 'The date in the credential does not match Date.']);
      const old: Record<string, string> = { host: hostHeader(), date: httpDate(now - 20 * 60_000), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      old.authorization = goV4('GET', 'go/v4.txt', old);
      const skewed = await rawRequest(srv.port, { method: 'GET', path: '/go/v4.txt', headers: old });
      assert.deepEqual([skewed.status, error(skewed).Code], [403, 'RequestTimeTooSkewed']);
      const none: Record<string, string> = { host: hostHeader(), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', date: httpDate(now) };
      none.authorization = goV4('GET', 'go/v4.txt', none);
      delete none.date;
      const missing = await rawRequest(srv.port, { method: 'GET', path: '/go/v4.txt', headers: none });
      assert.deepEqual([missing.status, error(missing).Code], [403, 'AccessDenied']);
      // A signature over another Date value does not match.
      const moved: Record<string, string> = { host: hostHeader(), date: httpDate(now), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      moved.authorization = goV4('GET', 'go/v4.txt', moved);
      const resent = await rawRequest(srv.port, { method: 'GET', path: '/go/v4.txt', headers: { ...moved, date: httpDate(now - 1000) } });
      assert.deepEqual([resent.status, error(resent).Code], [403, 'SignatureDoesNotMatch']);
    });
  });
});
