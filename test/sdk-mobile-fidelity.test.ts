// What the OSS mobile SDKs' own tests read from OSS — aliyun/aliyun-oss-android-sdk (oss-android-sdk/src/androidTest:
// OSSPutObjectTest, MultipartUploadTest, ResumableUploadTest, ManageObjectTest, OSSAuthenticationTest, TriggerCallbackTest,
// ImagePersistTest, SymlinkTest, RestoreObjectTest, OSSBucketTest) and aliyun/aliyun-oss-ios-sdk (AliyunOSSiOSTests:
// OSSObjectTests, OSSBucketTests, TriggerCallbackTests, SequentialMultipartUploadTests) — replayed against a real
// server with requests built as the SDKs build them (read from their source; nothing of theirs runs here):
// - path style on an IP endpoint (`/<bucket>` without a trailing slash for bucket requests), keys encoded as the
//   Android SDK's HttpUtil.urlEncode (java.net.URLEncoder with `+`→`%20`, `*`→`%2A`, `%7E`→`~`, `%2F`→`/`);
// - V1 header signatures as SignUtils.buildCanonicalString writes them, signing only the SDK's own list of
//   sub-resources (SignParameters.SIGNED_PARAMTERS), `x-oss-security-token` as a header for STS credentials;
// - a Content-Type on every PUT and POST (canonicalizeRequestMessage guesses one from the key when none is given);
// - presigned URLs as ObjectURLPresigner / OSSClient presignConstrainURL write them; V4 as OSSV4Signer signs.
// The answers are read as the SDKs' parsers read them: header names compared case-sensitively (the Android
// ResponseParsers look up `ETag`, `x-oss-hash-crc64ecma`, `x-oss-next-append-position` in a plain HashMap of the
// names as sent), CompleteMultipartUpload's XML recognised only by `Content-Type` equal to `application/xml`.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { policyDoc, Ram } from './helpers/ram.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const B = 'mobile-sdk';
const PUBLIC_RW = 'mobile-sdk-public';

// ---- The SDKs' request building, written from their source ----

/** SignParameters.SIGNED_PARAMTERS (Android; the iOS SDK signs the same list): sub-resources put in the canonical resource. */
const SIGNED = new Set([
  'bucketInfo', 'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append',
  'uploadId', 'partNumber', 'security-token', 'position', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires', 'x-oss-process',
  'sequential', 'symlink', 'restore', 'tagging', 'objectMeta',
]);

/** HttpUtil.urlEncode: URLEncoder.encode, then `+`→`%20`, `*`→`%2A`, `%7E`→`~`, `%2F`→`/`. */
function javaUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

/** SignUtils.buildCanonicalString. */
function canonicalV1(method: string, headers: Record<string, string>, bucket: string | null, key: string | null, params: Array<[string, string]>): string {
  const sign = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const l = name.toLowerCase();
    if (l === 'content-type' || l === 'content-md5' || l === 'date' || l.startsWith('x-oss-')) sign.set(l, value.trim());
  }
  if (!sign.has('content-type')) sign.set('content-type', '');
  if (!sign.has('content-md5')) sign.set('content-md5', '');
  let text = `${method}\n`;
  for (const name of [...sign.keys()].sort()) text += `${name.startsWith('x-oss-') ? `${name}:${sign.get(name)}` : sign.get(name)}\n`;
  let resource = bucket === null ? '/' : key === null ? `/${bucket}/` : `/${bucket}/${key}`;
  let sep = '?';
  for (const name of params.map(([n]) => n).sort()) {
    if (!SIGNED.has(name)) continue;
    const value = params.find(([n]) => n === name)![1];
    resource += `${sep}${name}${value !== '' ? `=${value}` : ''}`;
    sep = '&';
  }
  return text + resource;
}

const hmacSha1 = (secret: string, text: string): string => createHmac('sha1', secret).update(text, 'utf8').digest('base64');

interface Creds {
  ak: string;
  sk: string;
  token?: string;
}
const ROOT: Creds = { ak: AK, sk: SECRET };

interface Reply {
  status: number;
  reason: string;
  /** Header names exactly as sent, first value of each. */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

let port = 0;

function send(method: string, path: string, headers: Array<[string, string]>, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method, path, headers: headers.flat(), agent: false, setHost: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const named: Record<string, string> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) named[res.rawHeaders[i]!] ??= res.rawHeaders[i + 1]!;
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: named, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

const httpDate = (ms: number): string => new Date(ms).toUTCString();

/**
 * One request as the Android SDK's InternalRequestOperation + OSSRequestTask send it: `params` in the SDK's insertion
 * order (OSSUtils.paramToQueryString: a bare name for an empty value), headers with the SDK's own spelling.
 */
async function mobile(
  method: string, bucket: string | null, key: string | null, params: Array<[string, string]> = [],
  opts: { headers?: Record<string, string>; body?: Buffer | string; creds?: Creds | null; date?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { Date: opts.date ?? httpDate(Date.now()) };
  if ((method === 'PUT' || method === 'POST') && !Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  Object.assign(headers, opts.headers ?? {});
  const creds = opts.creds === undefined ? ROOT : opts.creds;
  if (creds !== null) {
    if (creds.token !== undefined) headers['x-oss-security-token'] = creds.token;
    headers.Authorization = `OSS ${creds.ak}:${hmacSha1(creds.sk, canonicalV1(method, headers, bucket, key, params))}`;
  }
  const qs = params.map(([n, v]) => (v === '' ? javaUrlEncode(n) : `${javaUrlEncode(n)}=${javaUrlEncode(v)}`)).join('&');
  const path = `${bucket === null ? '/' : `/${bucket}`}${key === null ? '' : `/${javaUrlEncode(key)}`}${qs === '' ? '' : `?${qs}`}`;
  const wire: Array<[string, string]> = [['Host', `127.0.0.1:${port}`], ...Object.entries(headers)];
  const body = opts.body ?? (method === 'PUT' || method === 'POST' ? '' : undefined);
  if (body !== undefined) wire.push(['Content-Length', String(Buffer.byteLength(body))]);
  return send(method, path, wire, body);
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const code = (r: Reply): string | undefined => tag(r.text, 'Code');
const md5b64 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function ok(r: Reply, status = 200): Reply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  return r;
}

function fails(r: Reply, status: number, errorCode: string): Reply {
  assert.equal(r.status, status, r.text.slice(0, 400));
  assert.equal(code(r), errorCode, r.text.slice(0, 400));
  return r;
}

// CRC-64/ECMA-182 as the SDKs compute it (CRC64.java, OSSUtil crc64), to compare x-oss-hash-crc64ecma with.
const CRC_TABLE: bigint[] = [];
for (let i = 0n; i < 256n; i++) {
  let c = i;
  for (let j = 0; j < 8; j++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
  CRC_TABLE.push(c);
}
function crc64(data: Buffer): string {
  let c = 0xffffffffffffffffn;
  for (const byte of data) c = CRC_TABLE[Number((c ^ BigInt(byte)) & 0xffn)]! ^ (c >> 8n);
  return (c ^ 0xffffffffffffffffn).toString();
}

// ---- A callback server (the tests' OSSTestConfig.CALLBACK_SERVER) ----

interface Received {
  path: string;
  body: string;
}

let srv: TestServer;
let offset = 0;
let receiver: Server;
let callbackBase = '';
const received: Received[] = [];

before(async () => {
  srv = await startTestServer({ callbacks: { allowHosts: ['127.0.0.1'] }, clock: () => Date.now() + offset });
  port = srv.port;
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      if (req.url?.startsWith('/fail') === true) {
        res.writeHead(500).end('no');
        return;
      }
      const answer = JSON.stringify({ Status: 'success', got: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(answer)) }).end(answer);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  callbackBase = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  ok(await mobile('PUT', B, null, [], { body: '<CreateBucketConfiguration><StorageClass>Standard</StorageClass></CreateBucketConfiguration>' }));
  ok(await mobile('PUT', PUBLIC_RW, null, [], { headers: { 'x-oss-acl': 'public-read-write' } }));
});
after(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await srv.stop();
});

describe('the mobile SDKs\' request shapes and parsers', () => {
  it('CRC-64 of the test side agrees with OSS\'s documented value of "hello"', () => {
    assert.equal(crc64(Buffer.from('hello')), '11177612005948864433');
  });

  it('PutObject and AppendObject: ETag, x-oss-hash-crc64ecma and x-oss-next-append-position under the names the parsers look up (OSSPutObjectTest, iOS testAPI_appendObject)', async () => {
    const data = Buffer.alloc(1024 * 10, 0x61);
    // testPutObjectFromFile: odd metadata the SDK sends as it is (a non-x-oss header, mixed-case x-oss-meta-, a
    // Content-Encoding the body does not have, a Last-Modified on the request).
    const put = ok(await mobile('PUT', B, 'file1m.jpg', [], {
      headers: {
        'Content-Type': 'image/jpeg', 'X-Oss-meta-Key2': 'Value2', userVar1: 'value', 'Content-Disposition': 'attachment;filename=/sdcard/oss/file1m',
        'x-oss-server-side-encryption': 'AES256', 'Cache-Control': 'no-cache', 'Content-Encoding': 'gzip', 'Last-Modified': httpDate(Date.now()),
        Expires: httpDate(Date.now() + 86_400_000),
      },
      body: data,
    }));
    assert.equal(put.headers.ETag, `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`);
    assert.equal(put.headers['x-oss-hash-crc64ecma'], crc64(data));
    assert.ok(put.headers['x-oss-request-id']);
    assert.ok(put.headers.Date);
    const head = ok(await mobile('HEAD', B, 'file1m.jpg'));
    assert.equal(head.headers['Content-Type'], 'image/jpeg');
    assert.equal(head.headers['Content-Length'], String(data.length));
    // parseObjectMetadata keeps headers whose name contains `x-oss-meta-` (case-sensitive).
    assert.equal(head.headers['x-oss-meta-key2'], 'Value2');
    assert.equal(head.headers['Content-Encoding'], 'gzip');
    // testPutObjectWithWrongUserMetaData: an x-oss- header that is no metadata is no user metadata.
    ok(await mobile('PUT', B, 'wrong-meta', [], { headers: { 'x-oss-wrong-key': 'Value1' }, body: 'x' }));
    assert.deepEqual(Object.keys(ok(await mobile('HEAD', B, 'wrong-meta')).headers).filter((h) => h.includes('x-oss-meta-')), []);

    // testSyncAppendObjectWithFile: position 0, then the position the first answer gave; CRCs are cumulative.
    const first = ok(await mobile('POST', B, 'append_file1m', [['append', ''], ['position', '0']], { body: data }));
    assert.equal(first.headers['x-oss-next-append-position'], String(data.length));
    assert.equal(first.headers['x-oss-hash-crc64ecma'], crc64(data));
    const second = ok(await mobile('POST', B, 'append_file1m', [['append', ''], ['position', first.headers['x-oss-next-append-position']!]], { body: data }));
    assert.equal(second.headers['x-oss-next-append-position'], String(2 * data.length));
    assert.equal(second.headers['x-oss-hash-crc64ecma'], crc64(Buffer.concat([data, data])));
    assert.equal(ok(await mobile('HEAD', B, 'append_file1m')).headers['Content-Length'], String(2 * data.length));
  });

  it('multipart: parts, ListParts to resume, CompleteMultipartUpload with `Content-Type: application/xml` and Location/Bucket/Key/ETag, the upload\'s own Content-Type kept (MultipartUploadTest, ResumableUploadTest)', async () => {
    const key = 'file1m';
    // testResumableUploadMithSpecifiedMeta: the metadata goes with InitiateMultipartUpload.
    const init = ok(await mobile('POST', B, key, [['uploads', '']], { headers: { 'Content-Type': 'application/binary-stream', 'x-oss-meta-name3': 'value3' } }));
    assert.equal(init.headers['Content-Type'], 'application/xml');
    const uploadId = tag(init.text, 'UploadId')!;
    const parts = [Buffer.alloc(100 * 1024, 1), Buffer.alloc(100 * 1024, 2), Buffer.from('tail')];
    // The first two parts, then the app "restarts" and lists what is there (ResumableUploadTask.initMultipartUploadId).
    for (const [i, part] of parts.slice(0, 2).entries()) {
      const up = ok(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', String(i + 1)]], { body: part, headers: { 'Content-MD5': md5b64(part) } }));
      assert.equal(up.headers.ETag, `"${createHash('md5').update(part).digest('hex').toUpperCase()}"`);
      assert.equal(up.headers['x-oss-hash-crc64ecma'], crc64(part));
    }
    const listed = ok(await mobile('GET', B, key, [['uploadId', uploadId]]));
    const partXml = [...listed.text.matchAll(/<Part>(.*?)<\/Part>/g)].map((m) => m[1]!);
    assert.deepEqual(partXml.map((p) => tag(p, 'PartNumber')), ['1', '2'], 'sorted: the SDK takes the first one\'s Size as the part size');
    assert.deepEqual(partXml.map((p) => tag(p, 'Size')), ['102400', '102400']);
    assert.match(tag(partXml[0]!, 'LastModified')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'DateUtil.parseIso8601Date');
    const etags = partXml.map((p) => tag(p, 'ETag')!.replace(/&quot;/g, '"'));
    const last = ok(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '3']], { body: parts[2] }));
    etags.push(last.headers.ETag!);
    // OSSUtils.buildXMLFromPartEtagList, posted with the Content-Type guessed from the key.
    let xml = '<CompleteMultipartUpload>\n';
    for (const [i, etag] of etags.entries()) xml += `<Part>\n<PartNumber>${i + 1}</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n`;
    xml += '</CompleteMultipartUpload>\n';
    const done = ok(await mobile('POST', B, key, [['uploadId', uploadId]], { body: xml }));
    assert.equal(done.headers['Content-Type'], 'application/xml', 'CompleteMultipartUploadResponseParser compares it with equals()');
    assert.ok(tag(done.text, 'Location'));
    assert.equal(tag(done.text, 'Bucket'), B);
    assert.equal(tag(done.text, 'Key'), key);
    assert.match(tag(done.text, 'ETag')!, /^(&quot;|")[0-9A-F]{32}-3(&quot;|")$/);
    // The SDK combines the parts' CRCs (calcObjectCRCFromParts) and compares.
    assert.equal(done.headers['x-oss-hash-crc64ecma'], crc64(Buffer.concat(parts)));
    const head = ok(await mobile('HEAD', B, key));
    assert.equal(head.headers['Content-Type'], 'application/binary-stream');
    assert.equal(head.headers['x-oss-meta-name3'], 'value3');
    // After completion the upload is gone: 404, which the resumable task reads as "start again".
    fails(await mobile('GET', B, key, [['uploadId', uploadId]]), 404, 'NoSuchUpload');
  });

  it('part limits and digests: EntityTooSmall for a 50 KiB part, part numbers 1–10000, InvalidDigest for a Content-MD5 that is no digest (iOS testAPI_multipartUploadWithPartSizeLessThan100k, testAPI_putObjectWithInvalidMd5; MultipartUploadTest testUploadPartsWithInvalidMd5Verify)', async () => {
    const key = 'test-part-size-less-than-100k';
    const uploadId = tag(ok(await mobile('POST', B, key, [['uploads', '']])).text, 'UploadId')!;
    const small = Buffer.alloc(51200, 3);
    fails(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '1']], { body: small, headers: { 'Content-MD5': 'wrongMd5' } }), 400, 'InvalidDigest');
    const e1 = ok(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '1']], { body: small })).headers.ETag!;
    const e2 = ok(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '2']], { body: small })).headers.ETag!;
    ok(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '10000']], { body: 'x' }));
    fails(await mobile('PUT', B, key, [['uploadId', uploadId], ['partNumber', '10001']], { body: 'x' }), 400, 'InvalidArgument');
    const body = `<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>${e1}</ETag>\n</Part>\n<Part>\n<PartNumber>2</PartNumber>\n<ETag>${e2}</ETag>\n</Part>\n</CompleteMultipartUpload>\n`;
    fails(await mobile('POST', B, key, [['uploadId', uploadId]], { body }), 400, 'EntityTooSmall');
    // A file smaller than one part is one part, whatever the part size (testAPI_multipartUploadWithFileAndPartSizeLessThan100k).
    const only = `<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>${e1}</ETag>\n</Part>\n</CompleteMultipartUpload>\n`;
    ok(await mobile('POST', B, key, [['uploadId', uploadId]], { body: only }));
    // testAPI_putObjectWithInvalidMd5: anonymous, to a public-read-write bucket.
    fails(await mobile('PUT', PUBLIC_RW, 'file1m', [], { creds: null, headers: { 'Content-MD5': 'invliadmd5valuetotest' }, body: 'abc' }), 400, 'InvalidDigest');
    ok(await mobile('PUT', PUBLIC_RW, 'file1m', [], { creds: null, headers: { 'Content-MD5': md5b64('abc') }, body: 'abc' }));
  });

  it('sequential multipart upload: `?uploads&sequential`, parts with Content-MD5, CompleteMultipartUpload with the iOS SDK\'s x-oss-hash-sha1 (SequentialMultipartUploadTests)', async () => {
    const key = 'sequential-multipart';
    const uploadId = tag(ok(await mobile('POST', PUBLIC_RW, key, [['uploads', ''], ['sequential', '']])).text, 'UploadId')!;
    const parts = [Buffer.alloc(100 * 1024, 7), Buffer.from('the rest')];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const up = ok(await mobile('PUT', PUBLIC_RW, key, [['uploadId', uploadId], ['partNumber', String(i + 1)]], { body: part, headers: { 'Content-MD5': md5b64(part) } }));
      assert.equal(up.headers['x-oss-hash-crc64ecma'], crc64(part));
      etags.push(up.headers.ETag!);
    }
    const xml = `<CompleteMultipartUpload>\n${etags.map((e, i) => `<Part>\n<PartNumber>${i + 1}</PartNumber>\n<ETag>${e}</ETag>\n</Part>\n`).join('')}</CompleteMultipartUpload>\n`;
    const sha1 = createHash('sha1').update(Buffer.concat(parts)).digest('hex');
    const done = ok(await mobile('POST', PUBLIC_RW, key, [['uploadId', uploadId]], { headers: { 'x-oss-hash-sha1': sha1 }, body: xml }));
    assert.equal(done.headers['x-oss-hash-crc64ecma'], crc64(Buffer.concat(parts)));
    assert.deepEqual(ok(await mobile('GET', PUBLIC_RW, key)).body, Buffer.concat(parts));
  });

  it('a device clock far off: 403 RequestTimeTooSkewed with the server\'s Date, and the retry signed with that Date passes (OSSAuthenticationTest testTimeTooSkewedAndAutoFix, iOS testAPI_timeSkewedButAutoRetry)', async () => {
    ok(await mobile('PUT', B, 'skew', [], { body: 'skewed' }));
    // Android: DateUtil.setCurrentServerTime(0), a Date at the epoch; iOS: a clock 30 minutes ahead.
    for (const date of [httpDate(0), httpDate(Date.now() + 30 * 60_000)]) {
      const refused = fails(await mobile('GET', B, 'skew', [], { date }), 403, 'RequestTimeTooSkewed');
      // OSSRetryHandler: RequestTimeTooSkewed → read `Date` (RFC 822) and sign again with it.
      const serverDate = refused.headers.Date!;
      assert.ok(!Number.isNaN(Date.parse(serverDate)));
      assert.equal(ok(await mobile('GET', B, 'skew', [], { date: serverDate })).text, 'skewed');
    }
  });

  it('a missing or unreadable date: AccessDenied with OSS\'s ECs, 0002-00000503 and 0002-00000502 (the Android SDK\'s V4 signer of 2.9.x sends its ISO time in Date alone)', async () => {
    const none = await send('GET', `/${B}/skew`, [['Host', `127.0.0.1:${port}`], ['Authorization', `OSS ${AK}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=`]]);
    fails(none, 403, 'AccessDenied');
    assert.equal(none.headers['x-oss-ec'], '0002-00000503');
    // OSSV4Signer.addDateHeaderIfNeeded puts yyyyMMdd'T'HHmmss'Z' in `Date`; OSS's 0002-00000502 names that form.
    const dateTime = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const isoOnly = v4Request('GET', B, 'skew', { Date: dateTime }, dateTime);
    const refused = fails(await send('GET', `/${B}/skew`, isoOnly), 403, 'AccessDenied');
    assert.equal(refused.headers['x-oss-ec'], '0002-00000502');
    // The iOS SDK's signer sends it in x-oss-date too: accepted.
    assert.equal(ok(await send('GET', `/${B}/skew`, v4Request('GET', B, 'skew', { Date: dateTime, 'x-oss-date': dateTime }, dateTime))).text, 'skewed');
  });
});

/** A V4 header-signed request as OSSV4Signer (iOS, Android) signs it; `headers` already hold the dates. */
function v4Request(method: string, bucket: string, key: string, headers: Record<string, string>, dateTime: string, creds: Creds = ROOT): Array<[string, string]> {
  const all: Record<string, string> = { ...headers, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  if (creds.token !== undefined) all['x-oss-security-token'] = creds.token;
  const signed = Object.entries(all)
    .map(([n, v]) => [n.toLowerCase(), v.trim()] as const)
    .filter(([n, v]) => (n === 'content-type' || n === 'content-md5' || n.startsWith('x-oss-')) && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = [method, `/${bucket}/${javaUrlEncode(key)}`, '', signed.map(([n, v]) => `${n}:${v}\n`).join(''), '', 'UNSIGNED-PAYLOAD'].join('\n');
  const day = dateTime.slice(0, 8);
  const scope = `${day}/cn-hangzhou/oss/aliyun_v4_request`;
  const toSign = ['OSS4-HMAC-SHA256', dateTime, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k: Buffer = createHmac('sha256', `aliyun_v4${creds.sk}`).update(day).digest();
  for (const part of ['cn-hangzhou', 'oss', 'aliyun_v4_request']) k = createHmac('sha256', k).update(part).digest();
  const signature = createHmac('sha256', k).update(toSign).digest('hex');
  return [['Host', `127.0.0.1:${port}`], ...Object.entries(all), ['Authorization', `OSS4-HMAC-SHA256 Credential=${creds.ak}/${scope},Signature=${signature}`]];
}

describe('objects and buckets as the SDKs manage them', () => {
  it('CopyObject with the conditions ManageObjectTest sends: if-modified-since 2017 and if-unmodified-since "now" in whole seconds pass right after the PutObject; a wrong if-match is 412', async () => {
    ok(await mobile('PUT', B, 'copy-src', [], { body: 'copy me' }));
    const copied = ok(await mobile('PUT', B, 'testCopy', [], {
      headers: {
        'Content-Type': 'application/binary-copy', 'x-oss-copy-source': `/${B}/copy-src`, 'x-oss-copy-source-if-modified-since': httpDate(Date.UTC(2017, 0, 1)),
        'x-oss-copy-source-if-unmodified-since': httpDate(Date.now()), 'x-oss-server-side-encryption': 'AES256', 'x-oss-metadata-directive': 'REPLACE',
      },
    }));
    assert.ok(tag(copied.text, 'ETag'));
    assert.match(tag(copied.text, 'LastModified')!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(ok(await mobile('HEAD', B, 'testCopy')).headers['Content-Type'], 'application/binary-copy');
    fails(await mobile('PUT', B, 'testCopy', [], {
      headers: { 'x-oss-copy-source': `/${B}/copy-src`, 'x-oss-copy-source-if-match': '7E868A8A0AD0493DD9545129EFD51C45-4', 'x-oss-metadata-directive': 'REPLACE' },
    }), 412, 'PreconditionFailed');
    // iOS testAPI_copyObjectWithZhongWenAndDeleteObject: a Chinese key, URL-encoded in x-oss-copy-source.
    ok(await mobile('PUT', B, '中文', [], { body: 'zh' }));
    ok(await mobile('PUT', B, '中文_copyTo', [], { headers: { 'x-oss-copy-source': `/${B}/${javaUrlEncode('中文')}` } }));
    ok(await mobile('DELETE', B, '中文_copyTo'), 204);
    // doesObjectExist: HEAD, 404 is false (no body to read a code from).
    assert.equal((await mobile('HEAD', B, 'doesnotexist')).status, 404);
    // iOS testAPI_getObjectACL: an object without an ACL of its own answers `default`.
    assert.equal(tag(ok(await mobile('GET', B, 'copy-src', [['acl', '']])).text, 'Grant'), 'default');
  });

  it('special keys, directory-like keys with data, ranges (OSSGetObjectTest testPutAndGetObjectWithSpecialFileKey, testGetObjectRange; iOS setUpLocalFiles fileDirA/)', async () => {
    const data = Buffer.from('0123456789'.repeat(20));
    for (const key of ['+&~?、测试文件', 'fileDirA/']) {
      ok(await mobile('PUT', B, key, [], { body: data }));
      assert.deepEqual(ok(await mobile('GET', B, key)).body, data);
    }
    const ranged = ok(await mobile('GET', B, 'fileDirA/', [], { headers: { Range: 'bytes=1-100' } }), 206);
    assert.equal(ranged.headers['Content-Length'], '100');
    assert.equal(ok(await mobile('GET', B, 'fileDirA/', [], { headers: { Range: 'bytes=-100' } }), 206).body.length, 100);
    assert.equal(ok(await mobile('GET', B, 'fileDirA/', [], { headers: { Range: 'bytes=100-' } }), 206).body.length, data.length - 100);
    fails(await mobile('GET', B, 'nofile'), 404, 'NoSuchKey');
  });

  it('buckets: created with x-oss-acl and a StorageClass body, ACL and BucketInfo Grant, 409 on a bucket with objects, 404 on a missing one, ListBuckets paged by marker (OSSBucketTest, iOS OSSBucketTests)', async () => {
    const name = 'oss-android-create-bucket-test';
    const created = ok(await mobile('PUT', name, null, [], { headers: { 'x-oss-acl': 'public-read' }, body: '<CreateBucketConfiguration><StorageClass>Standard</StorageClass></CreateBucketConfiguration>' }));
    assert.equal(created.headers.Location, `/${name}`);
    assert.equal(tag(ok(await mobile('GET', name, null, [['acl', '']])).text, 'Grant'), 'public-read');
    const info = ok(await mobile('GET', name, null, [['bucketInfo', '']]));
    assert.equal(tag(info.text, 'Grant'), 'public-read');
    assert.match(tag(info.text, 'CreationDate')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    ok(await mobile('PUT', name, 'file1m', [], { body: 'x' }));
    fails(await mobile('DELETE', name, null), 409, 'BucketNotEmpty');
    ok(await mobile('DELETE', name, 'file1m'), 204);
    ok(await mobile('DELETE', name, null), 204);
    fails(await mobile('DELETE', 'not-exist-bucket', null), 404, 'NoSuchBucket');
    fails(await mobile('PUT', 'wrong-bucket', 'file1m', [], { body: 'x' }), 404, 'NoSuchBucket');
    // testAPI_getService: max-keys 2, marker = NextMarker until IsTruncated is false.
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const list = ok(await mobile('GET', null, null, [['max-keys', '2'], ...(marker !== undefined ? [['marker', marker] as [string, string]] : [])]));
      seen.push(...[...list.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]!));
      if (tag(list.text, 'IsTruncated') !== 'true') break;
      marker = tag(list.text, 'NextMarker');
    }
    assert.deepEqual(seen, [B, PUBLIC_RW]);
    // iOS testListMultipartUploads: MaxUploads read back.
    assert.equal(tag(ok(await mobile('GET', B, null, [['uploads', ''], ['max-uploads', '1000']])).text, 'MaxUploads'), '1000');
    // testDeleteMultipleObject: not quiet, with Content-MD5 and Content-Length; each key comes back under Deleted.
    const del = '<Delete><Quiet>false</Quiet><Object><Key>wrong-meta</Key></Object><Object><Key>never-there</Key></Object></Delete>';
    const deleted = ok(await mobile('POST', B, null, [['delete', '']], { headers: { 'Content-MD5': md5b64(del) }, body: del }));
    assert.deepEqual([...deleted.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['wrong-meta', 'never-there']);
  });

  it('symlinks (the Android SDK URL-encodes the target), RestoreObject 202 then 409, ImagePersist with the Android SDK\'s unescaped base64 (SymlinkTest, RestoreObjectTest, ImagePersistTest; iOS testAPI_putSymlink, testAPI_restoreObject)', async () => {
    ok(await mobile('PUT', B, '符号文件测试', [], { body: 'target' }));
    for (let i = 0; i < 2; i++) {
      ok(await mobile('PUT', B, 'test-symlink-object-symlink', [['symlink', '']], { headers: { 'x-oss-symlink-target': javaUrlEncode('符号文件测试'), 'x-oss-meta-location': 'HONGKONG' } }));
    }
    const link = ok(await mobile('GET', B, 'test-symlink-object-symlink', [['symlink', '']]));
    assert.equal(decodeURIComponent(link.headers['x-oss-symlink-target']!), '符号文件测试');
    assert.equal(link.headers['x-oss-meta-location'], 'HONGKONG');
    assert.equal(ok(await mobile('GET', B, 'test-symlink-object-symlink')).text, 'target');

    const archive = 'android-restoreobjecttest';
    ok(await mobile('PUT', archive, null, [], { body: '<CreateBucketConfiguration><StorageClass>Archive</StorageClass></CreateBucketConfiguration>' }));
    ok(await mobile('PUT', archive, 'android-test-restore-object-name', [], { body: Buffer.alloc(1024) }));
    ok(await mobile('POST', archive, 'android-test-restore-object-name', [['restore', '']]), 202);
    fails(await mobile('POST', archive, 'android-test-restore-object-name', [['restore', '']]), 409, 'RestoreAlreadyInProgress');

    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    ok(await mobile('PUT', B, 'source-image-key', [], { headers: { 'Content-Type': 'image/jpeg' }, body: jpeg }));
    // iOS testAPI_getImage.
    const small = ok(await mobile('GET', B, 'source-image-key', [['x-oss-process', 'image/resize,m_lfit,w_100,h_100']]));
    assert.equal((await sharp(small.body).metadata()).width, 100);
    // OSSUtils.buildImagePersistentBody: standard base64, written into the body unescaped. A target key whose base64
    // holds a `+` (which a form reader takes for a space) still lands under its name.
    let target = 'persis2Obj';
    while (!b64(target).includes('+')) target += '>';
    const persisted = ok(await mobile('POST', B, 'source-image-key', [['x-oss-process', '']], { body: `x-oss-process=image/resize,w_100|sys/saveas,o_${b64(target)},b_${b64(B)}` }));
    assert.equal(JSON.parse(persisted.text).object, target);
    assert.equal(ok(await mobile('HEAD', B, target)).headers['Content-Type'], 'image/jpeg');
  });
});

describe('credentials: presigned URLs, STS tokens, custom signers', () => {
  let reader: StsCredentials;
  before(async () => {
    const ram = new Ram(srv);
    await ram.createPolicy('mobile-rw', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${B}/*`] }));
    await ram.call('CreateRole', { RoleName: 'mobile-app', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'mobile-rw', RoleName: 'mobile-app' });
    const server = await ram.userWith('app-server', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'acs:ram::*:role/*' }));
    reader = (await assumeRole(stsClient(srv, server.accessKeyId, server.accessKeySecret), { RoleArn: roleArn('mobile-app'), RoleSessionName: 'phone', DurationSeconds: 900 })).Credentials as StsCredentials;
  });

  const sts = (): Creds => ({ ak: reader.AccessKeyId, sk: reader.AccessKeySecret, token: reader.SecurityToken });

  it('OSSStsTokenCredentialProvider / OSSFederationCredentialProvider: x-oss-security-token signed as a header; a wrong secret, a wrong key, an expired token (OSSAuthenticationTest)', async () => {
    const data = Buffer.alloc(2048, 9);
    const put = ok(await mobile('PUT', B, 'from-phone', [], { creds: sts(), body: data }));
    assert.equal(put.headers['x-oss-hash-crc64ecma'], crc64(data));
    assert.deepEqual(ok(await mobile('GET', B, 'from-phone', [], { creds: sts() })).body, data);
    // The role may not read bucket ACLs: 403 AccessDenied.
    fails(await mobile('GET', B, null, [['acl', '']], { creds: sts() }), 403, 'AccessDenied');
    // testValidCustomSignCredentialProvider / testPutObjectWithWrongAKSKCredentiaProvider: 403.
    fails(await mobile('PUT', B, 'from-phone', [], { creds: { ...sts(), sk: 'wrong-SK' }, body: 'x' }), 403, 'SignatureDoesNotMatch');
    fails(await mobile('PUT', B, 'from-phone', [], { creds: { ak: 'wrongAK', sk: 'wrongSK' }, body: 'x' }), 403, 'InvalidAccessKeyId');
    // A token kept past its expiry (the provider refreshes 15 s early; a device whose clock is wrong does not).
    offset = 16 * 60_000;
    try {
      const expired = await mobile('GET', B, 'from-phone', [], { creds: sts(), date: httpDate(Date.now() + offset) });
      fails(expired, 403, 'SecurityTokenExpired');
      assert.equal(tag(expired.text, 'Message'), 'The security token you provided has expired.');
    } finally {
      offset = 0;
    }
    // testCustomSignCredentialProvider: the app server signs the canonical string with its own key.
    ok(await mobile('PUT', B, 'custom-signed', [], { body: 'x' }));
    // ResumableUploadTest testResumableUploadWithServerError: a custom signer answering "xxx" is a service error.
    const bad = await send('PUT', `/${B}/file1m`, [['Host', `127.0.0.1:${port}`], ['Date', httpDate(Date.now())], ['Content-Type', 'application/octet-stream'], ['Authorization', 'xxx'], ['Content-Length', '1']], 'x');
    assert.ok(bad.status >= 400 && code(bad) !== undefined, bad.text);
  });

  it('presigned URLs as ObjectURLPresigner writes them: Expires, OSSAccessKeyId, Signature (its `/` left unescaped), security-token; expired → 403 Forbidden; a missing key → 404 Not Found (testPresignObjectURL…, iOS testAPI_presignURLToPutObject)', async () => {
    const data = Buffer.alloc(4096, 5);
    ok(await mobile('PUT', B, 'file1m-presign', [], { body: data }));
    const presign = (method: string, key: string, seconds: number, creds: Creds, headers: Record<string, string> = {}): string => {
      const expires = String(Math.floor(Date.now() / 1000) + seconds);
      const params: Array<[string, string]> = creds.token !== undefined ? [['security-token', creds.token]] : [];
      const signature = hmacSha1(creds.sk, canonicalV1(method, { ...headers, Date: expires }, B, key, params));
      // HttpUtil.paramToQueryString: each value through urlEncode, which leaves `/` as it is.
      const query = [['Expires', expires], ['OSSAccessKeyId', creds.ak], ['Signature', signature], ...params].map(([n, v]) => `${n}=${javaUrlEncode(v!)}`).join('&');
      return `/${B}/${javaUrlEncode(key)}?${query}`;
    };
    for (const creds of [ROOT, sts()]) {
      const got = ok(await send('GET', presign('GET', 'file1m-presign', 900, creds), [['Host', `127.0.0.1:${port}`]]));
      assert.equal(got.headers['Content-Length'], String(data.length));
      const missing = await send('GET', presign('GET', 'wrong-key', 900, creds), [['Host', `127.0.0.1:${port}`]]);
      assert.deepEqual([missing.status, missing.reason], [404, 'Not Found']);
      const expired = await send('GET', presign('GET', 'file1m-presign', -1, creds), [['Host', `127.0.0.1:${port}`]]);
      assert.deepEqual([expired.status, expired.reason], [403, 'Forbidden']);
    }
    // iOS presignConstrainURLWithBucketName:…httpMethod:@"PUT"…contentType:…withHeaders: — Content-Type and the
    // x-oss-meta- header are signed, and sent again with the upload.
    const headers = { 'Content-Type': 'image/png', 'x-oss-meta-text-key': 'test-value' };
    ok(await send('PUT', presign('PUT', 'ObjectKey', 1800, sts(), headers), [['Host', `127.0.0.1:${port}`], ...Object.entries(headers), ['Content-Length', String(data.length)]], data));
    const head = ok(await mobile('HEAD', B, 'ObjectKey'));
    assert.deepEqual([head.headers['Content-Type'], head.headers['x-oss-meta-text-key']], ['image/png', 'test-value']);
  });
});

describe('server callbacks as the SDKs ask for them', () => {
  // OSSUtils.populateMapToBase64JsonString: base64 of the JSON of the map.
  const param = (map: Record<string, string>): string => b64(JSON.stringify(map));

  it('PutObject and CompleteMultipartUpload with x-oss-callback: the callback server\'s body is the answer, not application/xml; a failed callback is 203 CallbackFailed (testPutObjectWithServerCallback, testServerCallbackFailed, testUploadPartsAndCompleteWithServerCallback)', async () => {
    const put = ok(await mobile('PUT', B, 'file1m-cb', [], {
      headers: { 'x-oss-callback': param({ callbackUrl: `${callbackBase}/ok`, callbackBody: 'test' }), 'x-oss-callback-var': param({ 'x:var1': 'value' }), 'x-oss-meta-Key2': 'Value2' },
      body: 'callback me',
    }));
    assert.equal(JSON.parse(put.text).Status, 'success', 'PutObjectResult.getServerCallbackReturnBody');
    assert.ok(put.headers.ETag);
    const failed = await mobile('PUT', B, 'file1m-cb', [], {
      headers: { 'x-oss-callback': param({ callbackUrl: `${callbackBase}/fail`, callbackBody: 'test' }), 'x-oss-callback-var': param({ 'x:var1': 'value' }) },
      body: 'callback me',
    });
    // OSSRequestTask: 203 is an error, parsed from the XML body.
    fails(failed, 203, 'CallbackFailed');

    const uploadId = tag(ok(await mobile('POST', B, 'multipart-cb', [['uploads', '']])).text, 'UploadId')!;
    const etag = ok(await mobile('PUT', B, 'multipart-cb', [['uploadId', uploadId], ['partNumber', '1']], { body: Buffer.alloc(100 * 1024) })).headers.ETag!;
    const done = ok(await mobile('POST', B, 'multipart-cb', [['uploadId', uploadId]], {
      headers: { 'x-oss-callback': param({ callbackUrl: `${callbackBase}/ok`, callbackBody: 'test' }) },
      body: `<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n</CompleteMultipartUpload>\n`,
    }));
    assert.notEqual(done.headers['Content-Type'], 'application/xml');
    assert.ok(JSON.parse(done.text).Status.includes('success'), 'testUploadPartsAndCompleteWithServerCallback: contains("success")');
  });

  it('TriggerCallback: x-oss-process=trigger/callback,callback_…,callback-var_… in the body sends the callback for the stored object and answers with the callback server\'s body (TriggerCallbackTest, iOS TriggerCallbackTests)', async () => {
    const object = 'objectKey';
    const data = Buffer.alloc(1024, 0x42);
    ok(await mobile('PUT', B, object, [], { body: data }));
    // OSSUtils.buildTriggerCallbackBody: the base64 unescaped in the body (a `+` included), Content-MD5 of the body.
    let body = 'bucket=${bucket}&object=${object}&size=${size}&etag=${etag}&crc=${crc64}&k=${x:key1}&op=${operation}&pad=';
    // Three `>` in a row at a multiple of 3 bytes are `Pj4+` in base64: this ends within three turns.
    while (!param({ callbackUrl: `${callbackBase}/ok`, callbackBody: body }).includes('+')) body += '>';
    const trigger = (params: string | null, vars: string | null): string =>
      `x-oss-process=trigger/callback,callback_${params ?? ''},callback-var_${vars ?? ''}`;
    const sent = trigger(param({ callbackUrl: `${callbackBase}/ok`, callbackBody: body }), param({ 'x:key1': 'value1', key2: 'value2' }));
    const sentSoFar = received.length;
    const answered = ok(await mobile('POST', B, object, [['x-oss-process', '']], { headers: { 'Content-MD5': md5b64(sent) }, body: sent }));
    assert.equal(answered.headers['Content-Type'], 'application/json');
    const got = new URLSearchParams(JSON.parse(answered.text).got as string);
    assert.equal(received.length, sentSoFar + 1);
    assert.deepEqual(
      [got.get('bucket'), got.get('object'), got.get('size'), got.get('etag'), got.get('crc'), got.get('k'), got.get('op')],
      [B, object, String(data.length), createHash('md5').update(data).digest('hex').toUpperCase(), crc64(data), 'value1', 'TriggerCallback'],
    );
    // The iOS SDK: callbackBody "test", variables without the x: prefix; form-encoded as a form client would send it.
    const ios = trigger(param({ callbackUrl: `${callbackBase}/ok`, callbackBody: 'test' }), param({ var1: 'value1', var2: 'value2' }));
    assert.equal(JSON.parse(ok(await mobile('POST', B, object, [['x-oss-process', '']], { body: `x-oss-process=${encodeURIComponent(ios.slice('x-oss-process='.length))}` })).text).got, 'test');
    // testTriggerCallbackWithoutParams: nothing to call.
    fails(await mobile('POST', B, object, [['x-oss-process', '']], { body: trigger(null, param({ key1: 'value1' })) }), 400, 'InvalidArgument');
    // A callback that fails: 203 CallbackFailed, as for an upload; a missing object: 404; a bad Content-MD5: 400.
    fails(await mobile('POST', B, object, [['x-oss-process', '']], { body: trigger(param({ callbackUrl: `${callbackBase}/fail`, callbackBody: 'test' }), null) }), 203, 'CallbackFailed');
    fails(await mobile('POST', B, 'no-such-object', [['x-oss-process', '']], { body: sent }), 404, 'NoSuchKey');
    fails(await mobile('POST', B, object, [['x-oss-process', '']], { headers: { 'Content-MD5': md5b64('other') }, body: sent }), 400, 'InvalidDigest');
    // Reading the object is not enough: a callback announces an upload, so the caller must be allowed to write it.
    const ram = new Ram(srv);
    const readOnly = await ram.userWith('trigger-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${B}/*`] }));
    fails(await mobile('POST', B, object, [['x-oss-process', '']], { creds: { ak: readOnly.accessKeyId, sk: readOnly.accessKeySecret }, body: sent }), 403, 'AccessDenied');
    // Nor is writing it: the callback reports the stored object's size, ETag and CRC, which a reader may see.
    const writeOnly = await ram.userWith('trigger-writer', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${B}/*`] }));
    fails(await mobile('POST', B, object, [['x-oss-process', '']], { creds: { ak: writeOnly.accessKeyId, sk: writeOnly.accessKeySecret }, body: sent }), 403, 'AccessDenied');
    // Both allowed: the callback goes; an explicit Deny on either one refuses.
    const both = await ram.userWith('trigger-both', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${B}/*`] }));
    assert.equal((await mobile('POST', B, object, [['x-oss-process', '']], { creds: { ak: both.accessKeyId, sk: both.accessKeySecret }, body: sent })).status, 200);
    for (const denied of ['oss:GetObject', 'oss:PutObject']) {
      const user = await ram.userWith(`trigger-deny-${denied.slice(4).toLowerCase()}`, policyDoc(
        { Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${B}/*`] },
        { Effect: 'Deny', Action: [denied], Resource: [`acs:oss:*:*:${B}/${object}`] },
      ));
      fails(await mobile('POST', B, object, [['x-oss-process', '']], { creds: { ak: user.accessKeyId, sk: user.accessKeySecret }, body: sent }), 403, 'AccessDenied');
    }
  });
});
