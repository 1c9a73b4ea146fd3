// V4 signatures exactly as the official V2 SDKs (alibabacloud-oss-go-sdk-v2 oss/signer/v4.go,
// alibabacloud-oss-python-sdk-v2 alibabacloud_oss_v2/signer/v4.py) compute them, sent to a real server.
// The signer below is written from their algorithm, independent of src/auth: the canonical query is built
// from the *raw* query string as sent (split on & and =, sorted, `k` for an empty value), the canonical URI
// is '/' + bucket + '/' + key percent-encoded byte by byte except A-Z a-z 0-9 - . _ ~ and '/', the canonical
// headers are content-type, content-md5, x-oss-* and the listed additional headers that are present and
// non-empty; presigned URLs add x-oss-signature-version/-date/-expires/-credential (and
// x-oss-security-token, x-oss-additional-headers) to the query before signing it.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { Ram, policyDoc } from './helpers/ram.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const REGION = 'cn-hangzhou';
const BUCKET = 'v2-sdk-v4';

/** Go's url.QueryEscape with '+' turned into %20 (client.go), = Python's quote(v, safe=''). */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** signer/v4.go escapePath(path, false): every byte but unreserved and '/' as %XX. */
function escapePath(p: string): string {
  return queryEscape(p).replace(/%2F/g, '/');
}

/** Raw query as the SDKs send it: `k` for an empty value, else k=v, both escaped. */
function rawQuery(params: Array<[string, string]>): string {
  return params.map(([k, v]) => (v === '' ? queryEscape(k) : `${queryEscape(k)}=${queryEscape(v)}`)).join('&');
}

/** The canonical query of v4.go calcCanonicalRequest: from the raw query, sorted, empty values bare. */
function canonicalQuery(raw: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.replace(/\+/g, '%20').split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    pairs.push(at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

function signature(secret: string, day: string, stringToSign: string): string {
  const k = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), REGION), 'oss'), 'aliyun_v4_request');
  return createHmac('sha256', k).update(stringToSign, 'utf8').digest('hex');
}

const isDefaultSigned = (h: string): boolean => h.startsWith('x-oss-') || h === 'content-type' || h === 'content-md5';

interface SdkRequest {
  method: string;
  bucket: string | null;
  key: string | null;
  params?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The SDK's AdditionalHeaders option (kept only when present, non-empty and not signed by default). */
  additional?: string[];
}

interface Creds {
  ak: string;
  secret: string;
  token?: string;
}

function canonicalRequest(r: SdkRequest, raw: string, headers: Record<string, string>, additional: string[]): string {
  const uri = escapePath(`/${r.bucket !== null ? `${r.bucket}/` : ''}${r.key ?? ''}`);
  const names = Object.keys(headers).map((h) => h.toLowerCase()).filter((h) => isDefaultSigned(h) || additional.includes(h)).sort();
  const canonHeaders = names.map((h) => `${h}:${headers[h]!.trim()}\n`).join('');
  const payload = headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
  return `${r.method}\n${uri}\n${canonicalQuery(raw)}\n${canonHeaders}\n${additional.join(';')}\n${payload}`;
}

function stringToSign(iso: string, scope: string, canonical: string): string {
  return `OSS4-HMAC-SHA256\n${iso}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

const isoBasic = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function pathOf(r: SdkRequest): string {
  // Path style (an IP endpoint): /bucket/ + escaped key, or /bucket/ for bucket operations.
  if (r.bucket === null) return '/';
  return `/${r.bucket}/${r.key !== null ? escapePath(r.key) : ''}`;
}

/** authHeader of v4.go / _auth_header of v4.py. */
function signHeader(r: SdkRequest, c: Creds, now = Date.now()): { path: string; headers: Record<string, string>; canonical: string } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const iso = isoBasic(now);
  const day = iso.slice(0, 8);
  headers['x-oss-date'] = iso;
  headers.date = new Date(now).toUTCString();
  if (c.token !== undefined) headers['x-oss-security-token'] = c.token;
  headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
  const scope = `${day}/${REGION}/oss/aliyun_v4_request`;
  const additional = [...new Set((r.additional ?? []).map((h) => h.toLowerCase()))].filter((h) => !isDefaultSigned(h) && (headers[h] ?? '') !== '').sort();
  const raw = rawQuery(r.params ?? []);
  const canonical = canonicalRequest(r, raw, headers, additional);
  const sig = signature(c.secret, day, stringToSign(iso, scope, canonical));
  headers.authorization = `OSS4-HMAC-SHA256 Credential=${c.ak}/${scope}${additional.length ? `,AdditionalHeaders=${additional.join(';')}` : ''},Signature=${sig}`;
  return { path: `${pathOf(r)}${raw ? `?${raw}` : ''}`, headers, canonical };
}

/** authQuery of v4.go (url.Values.Encode: sorted, QueryEscape, '+' → %20). */
function presign(r: SdkRequest, c: Creds, expiresSec: number, now = Date.now()): string {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  const iso = isoBasic(now);
  const day = iso.slice(0, 8);
  const scope = `${day}/${REGION}/oss/aliyun_v4_request`;
  const additional = [...new Set((r.additional ?? []).map((h) => h.toLowerCase()))].filter((h) => !isDefaultSigned(h) && (headers[h] ?? '') !== '').sort();
  const params: Array<[string, string]> = [...(r.params ?? [])];
  if (c.token !== undefined) params.push(['x-oss-security-token', c.token]);
  params.push(['x-oss-signature-version', 'OSS4-HMAC-SHA256'], ['x-oss-date', iso], ['x-oss-expires', String(expiresSec)], ['x-oss-credential', `${c.ak}/${scope}`]);
  if (additional.length) params.push(['x-oss-additional-headers', additional.join(';')]);
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // url.Values.Encode writes k= for an empty value.
  const encode = (ps: Array<[string, string]>): string => ps.map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`).join('&');
  const raw = encode(params);
  const sig = signature(c.secret, day, stringToSign(iso, scope, canonicalRequest(r, raw, headers, additional)));
  return `${pathOf(r)}?${encode([...params, ['x-oss-signature', sig]].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) as Array<[string, string]>)}`;
}

describe('V4 signatures as the V2 SDKs (Go v2, Python v2) compute them', () => {
  let srv: TestServer;
  let sts: StsCredentials;
  const root: Creds = { ak: AK, secret: SECRET };
  const host = (): string => `127.0.0.1:${srv.port}`;

  async function send(r: SdkRequest, c: Creds = root): Promise<RawResponse & { canonical: string }> {
    const s = signHeader(r, c);
    const body = r.body;
    const headers = { ...s.headers, host: host(), ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const res = await rawRequest(srv.port, { method: r.method, path: s.path, headers, body });
    return { ...res, canonical: s.canonical };
  }

  const ok = (res: RawResponse & { canonical?: string }, status = 200): void => {
    assert.equal(res.status, status, `${res.status} ${res.body.toString('utf8').slice(0, 600)}\n--- canonical request (client) ---\n${res.canonical ?? ''}`);
  };

  before(async () => {
    srv = await startTestServer();
    ok(await send({ method: 'PUT', bucket: BUCKET, key: null }));
    const ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'v2sdk', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('v2sdk-oss', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'v2sdk-oss', RoleName: 'v2sdk' });
    const user = await ram.userWith('v2sdk-user', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('v2sdk') }));
    const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('v2sdk'), RoleSessionName: 'v2sdk', DurationSeconds: 3600 });
    sts = body.Credentials as StsCredentials;
  });

  after(async () => {
    await srv?.stop();
  });

  const KEYS = [
    'plain.txt',
    'dir/sub dir/file name.txt',
    'a+b=c&d.txt',
    "special !'()*~@$,;:.txt",
    '中文/日本語/ü é.txt',
    'percent%2Fnot-a-slash%25.txt',
    'dir/',
    'q?x#y.txt',
  ];

  for (const key of KEYS) {
    it(`PutObject / GetObject / HeadObject / DeleteObject of ${JSON.stringify(key)}`, async () => {
      const body = `body of ${key}`;
      const md5 = createHash('md5').update(body).digest('base64');
      ok(await send({ method: 'PUT', bucket: BUCKET, key, body, headers: { 'Content-Type': 'text/plain', 'Content-MD5': md5, 'x-oss-meta-Name': '  spaced value  ' } }));
      const got = await send({ method: 'GET', bucket: BUCKET, key });
      ok(got);
      assert.equal(got.body.toString('utf8'), body);
      assert.equal(got.headers['x-oss-meta-name'], 'spaced value');
      ok(await send({ method: 'HEAD', bucket: BUCKET, key }));
      ok(await send({ method: 'DELETE', bucket: BUCKET, key }), 204);
    });
  }

  it('ListObjectsV2 with prefix, delimiter "/", an empty continuation, encoding-type and unicode start-after', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'list/a b/1.txt', body: 'x' }));
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'list/中/2.txt', body: 'x' }));
    const res = await send({ method: 'GET', bucket: BUCKET, key: null, params: [['list-type', '2'], ['prefix', 'list/'], ['delimiter', '/'], ['max-keys', '100'], ['encoding-type', 'url'], ['start-after', 'list/0+0'], ['fetch-owner', 'true']] });
    ok(res);
    assert.match(res.body.toString('utf8'), /<CommonPrefixes><Prefix>list%2Fa%20b%2F<\/Prefix>/);
    // Python v2 sends parameters whose value is '' as k= (urlencode); they sign bare k.
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: null, params: [['prefix', ''], ['delimiter', '/']] }, root);
    const withEquals = s.path.replace('?prefix&', '?prefix=&');
    ok({ ...(await rawRequest(srv.port, { method: 'GET', path: withEquals, headers: { ...s.headers, host: host() } })), canonical: s.canonical });
  });

  it('sub-resources: ?acl (bare), ?tagging, ?uploads, ?uploadId&partNumber, ?versioning, ?objectMeta', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', body: 'x' }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['acl', '']] }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: 'sub/x.txt', params: [['acl', '']] }));
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', params: [['acl', '']], headers: { 'x-oss-object-acl': 'private' } }));
    const tagging = '<Tagging><TagSet><Tag><Key>k</Key><Value>v 1</Value></Tag></TagSet></Tagging>';
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', params: [['tagging', '']], body: tagging, headers: { 'Content-MD5': createHash('md5').update(tagging).digest('base64') } }));
    ok(await send({ method: 'HEAD', bucket: BUCKET, key: 'sub/x.txt', params: [['objectMeta', '']] }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['versioning', '']] }));
    const init = await send({ method: 'POST', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploads', ''], ['encoding-type', 'url']], headers: { 'Content-Type': 'application/octet-stream' } });
    ok(init);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString('utf8'))![1]!;
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/mp +.bin', params: [['partNumber', '1'], ['uploadId', uploadId]], body: 'part' }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploadId', uploadId], ['encoding-type', 'url']] }));
    ok(await send({ method: 'DELETE', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploadId', uploadId]] }), 204);
  });

  it('response-* overrides with spaces, quotes, + and unicode in the value', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'resp.txt', body: 'x' }));
    const res = await send({ method: 'GET', bucket: BUCKET, key: 'resp.txt', params: [['response-content-disposition', 'attachment; filename="a b+中.txt"'], ['response-content-type', 'text/plain;charset=utf-8']] });
    ok(res);
    assert.equal(res.headers['content-type'], 'text/plain;charset=utf-8');
  });

  it('AdditionalHeaders (Config.AdditionalHeaders): present ones signed and listed sorted, absent and default-signed ones skipped', async () => {
    const res = await send({
      method: 'PUT', bucket: BUCKET, key: 'additional.txt', body: 'x',
      headers: { 'User-Agent': 'aliyun-sdk-go/v1.2.0 (linux/amd64)', 'Cache-Control': 'no-cache', 'x-oss-meta-a': '1' },
      additional: ['User-Agent', 'cache-control', 'x-oss-meta-a', 'content-disposition', 'host'],
    });
    ok(res);
    assert.match(res.canonical, /\ncache-control;user-agent\nUNSIGNED-PAYLOAD$/);
    // A changed signed additional header is refused.
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: 'additional.txt', headers: { 'User-Agent': 'one' }, additional: ['user-agent'] }, root);
    const tampered = await rawRequest(srv.port, { method: 'GET', path: s.path, headers: { ...s.headers, 'user-agent': 'two', host: host() } });
    assert.equal(tampered.status, 403);
    assert.equal(errorOf(tampered)?.Code, 'SignatureDoesNotMatch');
  });

  it('STS credentials: x-oss-security-token header signed as an x-oss-* header', async () => {
    const c: Creds = { ak: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken };
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sts/中 1.txt', body: 'sts', headers: { 'Content-Type': 'text/plain' } }, c));
    const got = await send({ method: 'GET', bucket: BUCKET, key: 'sts/中 1.txt' }, c);
    ok(got);
    assert.equal(got.body.toString('utf8'), 'sts');
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['prefix', 'sts/'], ['list-type', '2']] }, c));
  });

  it('presigned V4 URLs (Presign): GET of unicode and + keys, PUT with a signed Content-Type and x-oss-meta, STS token, additional headers', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'pre/a+b 中.txt', body: 'presigned' }));
    const get = await rawRequest(srv.port, { method: 'GET', path: presign({ method: 'GET', bucket: BUCKET, key: 'pre/a+b 中.txt' }, root, 900), headers: { host: host() } });
    assert.equal(get.status, 200, get.body.toString('utf8'));
    assert.equal(get.body.toString('utf8'), 'presigned');

    const withResp = presign({ method: 'GET', bucket: BUCKET, key: 'pre/a+b 中.txt', params: [['response-content-disposition', 'attachment; filename="x y.txt"']] }, root, 60);
    const r2 = await rawRequest(srv.port, { method: 'GET', path: withResp, headers: { host: host() } });
    assert.equal(r2.status, 200, r2.body.toString('utf8'));
    assert.equal(r2.headers['content-disposition'], 'attachment; filename="x y.txt"');

    const putHeaders = { 'Content-Type': 'text/plain', 'x-oss-meta-who': 'presign' };
    const put = presign({ method: 'PUT', bucket: BUCKET, key: 'pre/put.txt', headers: putHeaders }, root, 600);
    const p = await rawRequest(srv.port, { method: 'PUT', path: put, headers: { ...putHeaders, host: host(), 'content-length': '3' }, body: 'abc' });
    assert.equal(p.status, 200, p.body.toString('utf8'));
    const wrongType = await rawRequest(srv.port, { method: 'PUT', path: put, headers: { 'content-type': 'text/html', 'x-oss-meta-who': 'presign', host: host(), 'content-length': '3' }, body: 'abc' });
    assert.equal(wrongType.status, 403);

    const c: Creds = { ak: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken };
    const stsGet = await rawRequest(srv.port, { method: 'GET', path: presign({ method: 'GET', bucket: BUCKET, key: 'pre/put.txt' }, c, 300), headers: { host: host() } });
    assert.equal(stsGet.status, 200, stsGet.body.toString('utf8'));

    const addl = presign({ method: 'GET', bucket: BUCKET, key: 'pre/put.txt', headers: { 'User-Agent': 'sdk-ua' }, additional: ['user-agent'] }, root, 300);
    assert.match(addl, /x-oss-additional-headers=user-agent/);
    const a1 = await rawRequest(srv.port, { method: 'GET', path: addl, headers: { host: host(), 'user-agent': 'sdk-ua' } });
    assert.equal(a1.status, 200, a1.body.toString('utf8'));
    const a2 = await rawRequest(srv.port, { method: 'GET', path: addl, headers: { host: host(), 'user-agent': 'other' } });
    assert.equal(a2.status, 403);
  });

  it('service-level ListBuckets (canonical URI "/") and bucket-level GetBucketInfo ("/bucket/")', async () => {
    const list = await send({ method: 'GET', bucket: null, key: null, params: [['prefix', 'v2-'], ['max-keys', '10']] });
    ok(list);
    assert.match(list.body.toString('utf8'), /<Name>v2-sdk-v4<\/Name>/);
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['bucketInfo', '']] }));
  });
});
