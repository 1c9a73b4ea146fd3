// Error paths over raw HTTP (spec §10): status, Code, Message, RequestId = x-oss-request-id, and for
// HEAD an empty body with the XML base64-encoded in x-oss-err. Requests are signed in the test with the
// repo's V1/V4 signature functions, so each case can break exactly one thing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import {
  encodeKey,
  errorOf,
  parseErrorXml,
  queryString,
  rawRequest,
  v1Authorization,
  v1UrlParams,
  v4Authorization,
  type RawResponse,
} from './helpers/raw-http.js';

const NOW = Date.UTC(2026, 10, 22, 4, 21, 11);
const REGION = 'cn-hangzhou';
const BUCKET = 'errbucket';
const HOST = 'localhost';

const httpDate = (ms: number): string => new Date(ms).toUTCString();
const isoBasic = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');

interface Req {
  method: string;
  bucket?: string | null;
  key?: string | null;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** default v1 */
  auth?: 'v1' | 'v4' | 'none';
  ak?: string;
  secret?: string;
  /** Request time the client claims (default NOW). */
  time?: number;
}

interface Res extends RawResponse {
  err: Record<string, string> | null;
  /** V1 string-to-sign the client computed (v1 only). */
  stringToSign?: string;
}

describe('error responses over raw HTTP', () => {
  let server: TestServer;

  /** Path-style request to the test server, signed as asked. */
  async function send(r: Req): Promise<Res> {
    const bucket = r.bucket === undefined ? BUCKET : r.bucket;
    const key = r.key ?? null;
    const path = `/${bucket === null ? '' : `${bucket}/${key === null ? '' : encodeKey(key)}`}${queryString(r.query)}`;
    const headers: Record<string, string> = { host: `${HOST}:${server.port}`, ...(r.headers ?? {}) };
    if (r.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    let stringToSign: string | undefined;
    const signing = { method: r.method, bucket, key, query: r.query ?? [], headers };
    if ((r.auth ?? 'v1') === 'v1') {
      headers['x-oss-date'] ??= httpDate(r.time ?? NOW);
      const signed = v1Authorization(signing, r.ak ?? AK, r.secret ?? SECRET);
      headers.authorization = signed.authorization;
      stringToSign = signed.stringToSign;
    } else if (r.auth === 'v4') {
      headers['x-oss-date'] ??= isoBasic(r.time ?? NOW);
      headers['x-oss-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
      headers.authorization = v4Authorization(signing, r.ak ?? AK, r.secret ?? SECRET, REGION);
    }
    const res = await rawRequest(server.port, { method: r.method, path, headers, body: r.body });
    return { ...res, err: errorOf(res), stringToSign };
  }

  /** Checks the §10.1 shape and returns the parsed error. */
  function expectError(res: Res, status: number, code: string, message?: string | RegExp): Record<string, string> {
    const what = `${res.status} ${res.body.toString('utf8').slice(0, 400)}`;
    assert.equal(res.status, status, what);
    assert.ok(res.err, `no error document: ${what}`);
    assert.equal(res.err.Code, code, what);
    if (typeof message === 'string') assert.equal(res.err.Message, message);
    else if (message) assert.match(res.err.Message!, message);
    assert.match(String(res.headers['x-oss-request-id']), /^[0-9A-F]{24}$/);
    assert.equal(res.err.RequestId, res.headers['x-oss-request-id'], 'body RequestId must equal x-oss-request-id');
    assert.equal(res.err.HostId, `${HOST}:${server.port}`, 'HostId: the Host as the client sent it, its port included');
    if (res.body.length > 0) assert.equal(res.headers['content-type'], 'application/xml');
    if (res.err.EC !== undefined) assert.equal(res.headers['x-oss-ec'], res.err.EC);
    return res.err;
  }

  /** HEAD errors: status only, no body, the XML in base64 x-oss-err (spec §10.1). */
  function expectHeadError(res: Res, status: number, code: string): Record<string, string> {
    assert.equal(res.status, status);
    assert.equal(res.body.length, 0, 'HEAD error must have no body');
    assert.equal(res.headers['content-length'], '0');
    assert.equal(typeof res.headers['x-oss-err'], 'string', 'x-oss-err header missing');
    const err = parseErrorXml(Buffer.from(res.headers['x-oss-err'] as string, 'base64').toString('utf8'));
    assert.equal(err.Code, code);
    assert.equal(err.RequestId, res.headers['x-oss-request-id']);
    return err;
  }

  async function exists(key: string): Promise<boolean> {
    const res = await send({ method: 'HEAD', key });
    if (res.status === 200) return true;
    assert.equal(res.status, 404);
    return false;
  }

  /** Blob files (finished and temporary) on disk: nothing partial may be left behind. */
  async function blobFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const ent of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (ent.isDirectory()) await walk(join(dir, ent.name));
        else out.push(join(dir, ent.name));
      }
    };
    await walk(join(server.dataDir, 'blobs'));
    await walk(join(server.dataDir, 'tmp'));
    return out.sort();
  }

  async function initiate(key: string): Promise<string> {
    const res = await send({ method: 'POST', key, query: [['uploads', '']] });
    assert.equal(res.status, 200, res.body.toString());
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(res.body.toString())?.[1];
    assert.ok(id);
    return id;
  }

  before(async () => {
    server = await startTestServer({ clock: () => NOW });
    const res = await send({ method: 'PUT', key: null });
    assert.equal(res.status, 200, res.body.toString());
    const put = await send({ method: 'PUT', key: 'normal.txt', body: 'hello' });
    assert.equal(put.status, 200, put.body.toString());
  });
  after(async () => {
    await server.stop();
  });

  describe('malformed XML bodies → 400 MalformedXML', () => {
    const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema.';

    test('DeleteMultipleObjects with unclosed XML', async () => {
      const body = '<Delete><Quiet>false</Quiet><Object><Key>normal.txt</Key></Object>';
      const res = await send({ method: 'POST', key: null, query: [['delete', '']], headers: { 'content-md5': md5(body) }, body });
      expectError(res, 400, 'MalformedXML', MALFORMED);
      assert.ok(await exists('normal.txt'), 'nothing may be deleted');
    });

    test('DeleteMultipleObjects with the wrong root element', async () => {
      const body = '<Remove><Object><Key>normal.txt</Key></Object></Remove>';
      const res = await send({ method: 'POST', key: null, query: [['delete', '']], headers: { 'content-md5': md5(body) }, body });
      const err = expectError(res, 400, 'MalformedXML', MALFORMED);
      assert.equal(err.ErrorDetail, 'the root node is not named Delete.');
      assert.equal(err.EC, '0016-00000608');
      assert.ok(await exists('normal.txt'));
    });

    test('CompleteMultipartUpload with garbage', async () => {
      const uploadId = await initiate('mp-garbage.bin');
      const body = 'this is {not} xml <<<';
      const res = await send({ method: 'POST', key: 'mp-garbage.bin', query: [['uploadId', uploadId]], headers: { 'content-md5': md5(body) }, body });
      expectError(res, 400, 'MalformedXML', MALFORMED);
      assert.equal(await exists('mp-garbage.bin'), false);
    });

    test('PutBucketCors with garbage', async () => {
      const body = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>';
      const res = await send({ method: 'PUT', key: null, query: [['cors', '']], headers: { 'content-md5': md5(body) }, body });
      expectError(res, 400, 'MalformedXML', MALFORMED);
      const get = await send({ method: 'GET', key: null, query: [['cors', '']] });
      expectError(get, 404, 'NoSuchCORSConfiguration', 'The CORS Configuration does not exist.');
    });

    test('PutBucket with a garbage CreateBucketConfiguration creates nothing', async () => {
      const body = '<CreateBucketConfiguration><StorageClass>Standard</Storage';
      const res = await send({ method: 'PUT', bucket: 'garbage-config', key: null, headers: { 'content-type': 'application/xml' }, body });
      expectError(res, 400, 'MalformedXML', MALFORMED);
      const info = await send({ method: 'GET', bucket: 'garbage-config', key: null, query: [['bucketInfo', '']] });
      expectError(info, 404, 'NoSuchBucket');
    });
  });

  describe('names', () => {
    for (const name of ['AB', 'a', '-abc', 'abc-', 'a'.repeat(64), 'ab_c']) {
      test(`bucket name ${JSON.stringify(name.length > 10 ? `${name.slice(0, 6)}…(${name.length})` : name)} → 400 InvalidBucketName`, async () => {
        const res = await send({ method: 'PUT', bucket: name, key: null });
        const err = expectError(res, 400, 'InvalidBucketName', 'The specified bucket is not valid.');
        assert.equal(err.BucketName, name);
        assert.equal(err.EC, '0015-00000001');
      });
    }

    test('63-character bucket name is valid', async () => {
      const name = `b${'0'.repeat(61)}c`;
      const res = await send({ method: 'PUT', bucket: name, key: null });
      assert.equal(res.status, 200, res.body.toString());
    });

    test('key of 1024 bytes → 400 InvalidObjectName; 1023 bytes is fine', async () => {
      const long = await send({ method: 'PUT', key: 'k'.repeat(1024), body: 'x' });
      expectError(long, 400, 'InvalidObjectName', 'The Length of Object name must be less than 1024.');
      // 342 × "中" is 1026 UTF-8 bytes but only 342 UTF-16 code units: the limit is in bytes.
      const wide = await send({ method: 'PUT', key: '中'.repeat(342), body: 'x' });
      expectError(wide, 400, 'InvalidObjectName', 'The Length of Object name must be less than 1024.');
      const ok = await send({ method: 'PUT', key: 'k'.repeat(1023), body: 'x' });
      assert.equal(ok.status, 200, ok.body.toString());
    });
  });

  describe('body integrity: nothing partial is stored', () => {
    test('PutObject with a wrong Content-MD5 → 400 InvalidDigest, no object, no blob', async () => {
      const before = await blobFiles();
      const res = await send({ method: 'PUT', key: 'bad-md5.txt', headers: { 'content-md5': md5('something else') }, body: 'the real body' });
      expectError(res, 400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
      assert.equal(await exists('bad-md5.txt'), false);
      assert.deepEqual(await blobFiles(), before);
    });

    test('PutObject with a Content-MD5 that is not base64 of 16 bytes → 400 InvalidDigest', async () => {
      const res = await send({ method: 'PUT', key: 'bad-md5-2.txt', headers: { 'content-md5': 'not-an-md5' }, body: 'x' });
      expectError(res, 400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
      assert.equal(await exists('bad-md5-2.txt'), false);
    });

    test('a wrong Content-MD5 does not replace an existing object', async () => {
      const res = await send({ method: 'PUT', key: 'normal.txt', headers: { 'content-md5': md5('nope') }, body: 'overwrite' });
      expectError(res, 400, 'InvalidDigest');
      const get = await send({ method: 'GET', key: 'normal.txt' });
      assert.equal(get.body.toString(), 'hello');
    });

    test('DeleteMultipleObjects without Content-MD5 → 400 InvalidDigest', async () => {
      // Spec §12.11 says Content-MD5 is required but gives no error text; the code answers InvalidDigest
      // "Missing required header for this request: Content-MD5." [UNVERIFIED against real OSS].
      const body = '<Delete><Object><Key>normal.txt</Key></Object></Delete>';
      const res = await send({ method: 'POST', key: null, query: [['delete', '']], body });
      expectError(res, 400, 'InvalidDigest', 'Missing required header for this request: Content-MD5.');
      assert.ok(await exists('normal.txt'));
    });

    /** Declares `declared` bytes, sends `sent` (< declared), then closes the socket. */
    async function sendTruncated(method: string, key: string, query: Array<[string, string]>, declared: number, sent: number): Promise<void> {
      const headers: Record<string, string> = { host: `${HOST}:${server.port}`, 'x-oss-date': httpDate(NOW), 'content-length': String(declared) };
      headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query, headers }, AK, SECRET).authorization;
      await new Promise<void>((resolve, reject) => {
        const sock = connect(server.port, '127.0.0.1', () => {
          const line = `${method} /${BUCKET}/${encodeKey(key)}${queryString(query)} HTTP/1.1`;
          sock.write([line, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n'));
          sock.write(Buffer.alloc(sent, 'a'), () => setTimeout(() => sock.destroy(), 50));
        });
        sock.on('close', () => resolve());
        sock.on('error', reject);
      });
      // The server notices the abort asynchronously: give it time, then wait for its temp file to go.
      await new Promise((r) => setTimeout(r, 100));
    }

    async function settledBlobFiles(expected: number): Promise<string[]> {
      let files = await blobFiles();
      for (let i = 0; i < 100 && files.length !== expected; i++) {
        await new Promise((r) => setTimeout(r, 20));
        files = await blobFiles();
      }
      return files;
    }

    test('PutObject: Content-Length larger than the body, client closes early → no object stored', async () => {
      const before = await blobFiles();
      await sendTruncated('PUT', 'short-body.txt', [], 100_000, 1000);
      assert.deepEqual(await settledBlobFiles(before.length), before);
      assert.equal(await exists('short-body.txt'), false);
    });

    test('AppendObject: truncated body leaves the appendable object as it was', async () => {
      const first = await send({ method: 'POST', key: 'trunc-append.txt', query: [['append', ''], ['position', '0']], body: 'abc' });
      assert.equal(first.status, 200, first.body.toString());
      const before = await blobFiles();
      await sendTruncated('POST', 'trunc-append.txt', [['append', ''], ['position', '3']], 100_000, 1000);
      assert.deepEqual(await settledBlobFiles(before.length), before);
      const get = await send({ method: 'GET', key: 'trunc-append.txt' });
      assert.equal(get.body.toString(), 'abc');
      assert.equal(get.headers['x-oss-next-append-position'], '3');
    });

    test('UploadPart: truncated body stores no part', async () => {
      const uploadId = await initiate('trunc-part.bin');
      const before = await blobFiles();
      await sendTruncated('PUT', 'trunc-part.bin', [['partNumber', '1'], ['uploadId', uploadId]], 100_000, 1000);
      assert.deepEqual(await settledBlobFiles(before.length), before);
      const list = await send({ method: 'GET', key: 'trunc-part.bin', query: [['uploadId', uploadId]] });
      assert.equal(list.status, 200, list.body.toString());
      assert.doesNotMatch(list.body.toString(), /<Part>/);
    });
  });

  test('PUT with neither Content-Length nor chunked body → 411 MissingContentLength', async () => {
    const headers: Record<string, string> = { host: `${HOST}:${server.port}`, 'x-oss-date': httpDate(NOW) };
    headers.authorization = v1Authorization({ method: 'PUT', bucket: BUCKET, key: 'no-length.txt', headers }, AK, SECRET).authorization;
    const head = [`PUT /${BUCKET}/no-length.txt HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'connection: close', '', ''].join('\r\n');
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = connect(server.port, '127.0.0.1', () => sock.write(head));
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      sock.on('error', reject);
    });
    assert.match(text, /^HTTP\/1\.1 411 /);
    const err = parseErrorXml(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.equal(err.Code, 'MissingContentLength');
    assert.equal(err.Message, 'You must provide the Content-Length HTTP header.');
    assert.equal(await exists('no-length.txt'), false);
  });

  describe('authentication', () => {
    const OBJ = 'normal.txt';

    test('expired V1 presigned URL → 403 AccessDenied "Request has expired." (checked before the signature)', async () => {
      const expires = Math.floor(NOW / 1000) - 1;
      const query = v1UrlParams({ method: 'GET', bucket: BUCKET, key: OBJ, headers: {} }, AK, SECRET, expires);
      const res = await send({ method: 'GET', key: OBJ, query, auth: 'none' });
      assert.equal(expectError(res, 403, 'AccessDenied', 'Request has expired.').EC, '0002-00000069');
      // A bad signature on an expired URL still reports expiry.
      const bad = query.map(([k, v]): [string, string] => [k, k === 'Signature' ? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' : v]);
      assert.equal(expectError(await send({ method: 'GET', key: OBJ, query: bad, auth: 'none' }), 403, 'AccessDenied', 'Request has expired.').EC, '0002-00000069');
    });

    test('valid V1 presigned URL works (control)', async () => {
      const query = v1UrlParams({ method: 'GET', bucket: BUCKET, key: OBJ, headers: {} }, AK, SECRET, Math.floor(NOW / 1000) + 60);
      const res = await send({ method: 'GET', key: OBJ, query, auth: 'none' });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(res.body.toString(), 'hello');
    });

    test('non-numeric Expires → 403 AccessDenied "Invalid date (should be seconds since epoch)."', async () => {
      const query: Array<[string, string]> = [['OSSAccessKeyId', AK], ['Expires', 'tomorrow'], ['Signature', 'abc=']];
      const res = await send({ method: 'GET', key: OBJ, query, auth: 'none' });
      assert.equal(expectError(res, 403, 'AccessDenied', 'Invalid date (should be seconds since epoch).').EC, '0002-00000070');
    });

    for (const missing of ['OSSAccessKeyId', 'Expires', 'Signature']) {
      test(`V1 URL without ${missing} → 403 AccessDenied`, async () => {
        const all = v1UrlParams({ method: 'GET', bucket: BUCKET, key: OBJ, headers: {} }, AK, SECRET, Math.floor(NOW / 1000) + 60);
        const res = await send({ method: 'GET', key: OBJ, query: all.filter(([k]) => k !== missing), auth: 'none' });
        expectError(res, 403, 'AccessDenied', 'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters');
      });
    }

    test('V4 URL with x-oss-expires > 604800 → 400 InvalidArgument', async () => {
      // Spec §7 gives the 7-day maximum but not the error; the code answers 400 InvalidArgument naming
      // x-oss-expires [UNVERIFIED against real OSS].
      const query: Array<[string, string]> = [
        ['x-oss-credential', `${AK}/20261122/${REGION}/oss/aliyun_v4_request`],
        ['x-oss-date', isoBasic(NOW)],
        ['x-oss-expires', '604801'],
        ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
        ['x-oss-signature', '0'.repeat(64)],
      ];
      const res = await send({ method: 'GET', key: OBJ, query, auth: 'none' });
      const err = expectError(res, 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'x-oss-expires');
      assert.equal(err.ArgumentValue, '604801');
    });

    test('V1 wrong secret → 403 SignatureDoesNotMatch with the server-computed StringToSign', async () => {
      const res = await send({ method: 'GET', key: OBJ, query: [['acl', '']], secret: 'WrongSecretWrongSecretWrongSecr', headers: { 'x-oss-meta-x': '1' } });
      const err = expectError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
      assert.equal(err.StringToSign, res.stringToSign);
      assert.equal(err.StringToSign, `GET\n\n\n${httpDate(NOW)}\nx-oss-date:${httpDate(NOW)}\nx-oss-meta-x:1\n/${BUCKET}/${OBJ}?acl`);
      assert.equal(err.StringToSignBytes, [...Buffer.from(err.StringToSign!)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
      assert.equal(err.OSSAccessKeyId, AK);
      assert.match(err.SignatureProvided!, /^[A-Za-z0-9+/]{27}=$/);
      assert.equal(err.EC, '0002-00000040');
    });

    test('V1 wrong secret on HEAD → 403, no body, SignatureDoesNotMatch in x-oss-err', async () => {
      const res = await send({ method: 'HEAD', key: OBJ, secret: 'WrongSecretWrongSecretWrongSecr' });
      const err = expectHeadError(res, 403, 'SignatureDoesNotMatch');
      assert.equal(err.StringToSign, res.stringToSign);
    });

    test('V4 wrong secret → 403 SignatureDoesNotMatch with StringToSign and CanonicalRequest', async () => {
      const res = await send({ method: 'GET', key: OBJ, auth: 'v4', secret: 'WrongSecretWrongSecretWrongSecr' });
      const err = expectError(res, 403, 'SignatureDoesNotMatch');
      assert.match(err.StringToSign!, /^OSS4-HMAC-SHA256\n20261122T042111Z\n20261122\/cn-hangzhou\/oss\/aliyun_v4_request\n[0-9a-f]{64}$/);
      assert.equal(
        err.CanonicalRequest,
        `GET\n/${BUCKET}/${OBJ}\n\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20261122T042111Z\n\n\nUNSIGNED-PAYLOAD`,
      );
    });

    test('V4 correct secret works (control)', async () => {
      const res = await send({ method: 'GET', key: OBJ, auth: 'v4' });
      assert.equal(res.status, 200, res.body.toString());
    });

    test('unknown AccessKeyId → 403 InvalidAccessKeyId (V1 header, V4 header, V1 URL)', async () => {
      const msg = 'The OSS Access Key Id you provided does not exist in our records.';
      const v1 = await send({ method: 'GET', key: OBJ, ak: 'LTAI5tNoSuchKey' });
      assert.equal(expectError(v1, 403, 'InvalidAccessKeyId', msg).OSSAccessKeyId, 'LTAI5tNoSuchKey');
      expectError(await send({ method: 'GET', key: OBJ, ak: 'LTAI5tNoSuchKey', auth: 'v4' }), 403, 'InvalidAccessKeyId', msg);
      const query = v1UrlParams({ method: 'GET', bucket: BUCKET, key: OBJ, headers: {} }, 'LTAI5tNoSuchKey', SECRET, Math.floor(NOW / 1000) + 60);
      expectError(await send({ method: 'GET', key: OBJ, query, auth: 'none' }), 403, 'InvalidAccessKeyId', msg);
    });

    test('x-oss-date 20 minutes off → 403 RequestTimeTooSkewed (V1 both directions, V4)', async () => {
      const msg = 'The difference between the request time and the current time is too large.';
      expectError(await send({ method: 'GET', key: OBJ, time: NOW - 20 * 60_000 }), 403, 'RequestTimeTooSkewed', msg);
      expectError(await send({ method: 'GET', key: OBJ, time: NOW + 20 * 60_000 }), 403, 'RequestTimeTooSkewed', msg);
      expectError(await send({ method: 'GET', key: OBJ, time: NOW - 20 * 60_000, auth: 'v4' }), 403, 'RequestTimeTooSkewed', msg);
      // 14 minutes is inside the 15-minute window.
      assert.equal((await send({ method: 'GET', key: OBJ, time: NOW - 14 * 60_000 })).status, 200);
    });

    test('V1 with only a Date header (no x-oss-date) is accepted; without any date → 403 AccessDenied', async () => {
      // Python oss2 / Go v2 send Date; spec §3.1.
      const headers: Record<string, string> = { host: `${HOST}:${server.port}`, date: httpDate(NOW) };
      headers.authorization = v1Authorization({ method: 'GET', bucket: BUCKET, key: OBJ, headers }, AK, SECRET).authorization;
      const ok = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/${OBJ}`, headers });
      assert.equal(ok.status, 200, ok.body.toString());
      // Spec §2: missing date → 403 AccessDenied [UNVERIFIED whether real OSS uses 400 InvalidArgument].
      const none: Record<string, string> = { host: `${HOST}:${server.port}`, authorization: `OSS ${AK}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` };
      const res = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/${OBJ}`, headers: none });
      expectError({ ...res, err: errorOf(res) }, 403, 'AccessDenied', 'OSS authentication requires a valid Date.');
    });

    test('expired V4 presigned URL → 403 AccessDenied "Request has expired." (checked before the signature)', async () => {
      const query: Array<[string, string]> = [
        ['x-oss-credential', `${AK}/20261122/${REGION}/oss/aliyun_v4_request`],
        ['x-oss-date', isoBasic(NOW - 3600_000)],
        ['x-oss-expires', '60'],
        ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
        ['x-oss-signature', '0'.repeat(64)],
      ];
      assert.equal(expectError(await send({ method: 'GET', key: OBJ, query, auth: 'none' }), 403, 'AccessDenied', 'Request has expired.').EC, '0002-00000069');
      // Without x-oss-signature the URL is incomplete.
      const res = await send({ method: 'GET', key: OBJ, query: query.slice(0, 4), auth: 'none' });
      expectError(res, 403, 'AccessDenied', 'Query-string authentication requires the x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters');
    });

    test('V4 credential for another region → 400 InvalidArgument "Invalid signing region in Authorization header." (EC 0002-00000226)', async () => {
      const headers: Record<string, string> = { host: `${HOST}:${server.port}`, 'x-oss-date': isoBasic(NOW), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      headers.authorization = v4Authorization({ method: 'GET', bucket: BUCKET, key: OBJ, headers }, AK, SECRET, 'cn-beijing');
      const res = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/${OBJ}`, headers });
      const err = expectError({ ...res, err: errorOf(res) }, 400, 'InvalidArgument', 'Invalid signing region in Authorization header.');
      assert.equal(err.ArgumentName, 'Credential');
      assert.equal(err.ArgumentValue, 'cn-beijing');
      assert.equal(err.EC, '0002-00000226');
      // The same scope check guards presigned URLs.
      const query: Array<[string, string]> = [
        ['x-oss-credential', `${AK}/20261122/cn-beijing/oss/aliyun_v4_request`],
        ['x-oss-date', isoBasic(NOW)],
        ['x-oss-expires', '60'],
        ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
        ['x-oss-signature', '0'.repeat(64)],
      ];
      assert.equal(expectError(await send({ method: 'GET', key: OBJ, query, auth: 'none' }), 400, 'InvalidArgument', 'Invalid signing region in Authorization header.').EC, '0002-00000226');
    });

    test('V4 credential for another product → 400 InvalidArgument "Invalid signing product in Authorization header." (EC 0002-00000227)', async () => {
      const headers: Record<string, string> = { host: `${HOST}:${server.port}`, 'x-oss-date': isoBasic(NOW), 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
      headers.authorization = v4Authorization({ method: 'GET', bucket: BUCKET, key: OBJ, headers }, AK, SECRET, REGION).replace('/oss/aliyun_v4_request', '/ecs/aliyun_v4_request');
      const res = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/${OBJ}`, headers });
      assert.equal(expectError({ ...res, err: errorOf(res) }, 400, 'InvalidArgument', 'Invalid signing product in Authorization header.').EC, '0002-00000227');
    });

    test('the root key with a security token → 403 InvalidAccessKeyId (the C++ and .NET SDKs\' AccessKeyTest.InvalidSecurityTokenTest)', async () => {
      const res = await send({ method: 'GET', key: OBJ, headers: { 'x-oss-security-token': 'SomeToken' } });
      assert.equal(expectError(res, 403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.').EC, '0002-00000002');
    });

    test('security token in both header and URL → 400 InvalidArgument', async () => {
      const res = await send({ method: 'GET', key: OBJ, query: [['security-token', 'T']], headers: { 'x-oss-security-token': 'T' } });
      assert.equal(expectError(res, 400, 'InvalidArgument').EC, '0002-00000010');
    });

    test('Authorization header and URL signature together → 400 InvalidArgument', async () => {
      const query = v1UrlParams({ method: 'GET', bucket: BUCKET, key: OBJ, headers: {} }, AK, SECRET, Math.floor(NOW / 1000) + 60);
      const res = await send({ method: 'GET', key: OBJ, query });
      expectError(res, 400, 'InvalidArgument', /Only one auth mechanism allowed/);
    });

    test('malformed Authorization header → 400 InvalidArgument', async () => {
      const headers = { host: `${HOST}:${server.port}`, 'x-oss-date': httpDate(NOW), authorization: 'Bearer abc' };
      const res = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/${OBJ}`, headers });
      const err = expectError({ ...res, err: errorOf(res) }, 400, 'InvalidArgument', 'Authorization header is invalid.');
      assert.equal(err.ArgumentName, 'Authorization');
    });

    test('anonymous ListBuckets → 403 AccessDenied', async () => {
      const res = await send({ method: 'GET', bucket: null, auth: 'none' });
      expectError(res, 403, 'AccessDenied', 'Anonymous access is forbidden for this operation.');
    });

    test('anonymous GET on a private object → 403 AccessDenied; HEAD → x-oss-err', async () => {
      expectError(await send({ method: 'GET', key: OBJ, auth: 'none' }), 403, 'AccessDenied', 'Anonymous user has no right to access this object.');
      const head = expectHeadError(await send({ method: 'HEAD', key: OBJ, auth: 'none' }), 403, 'AccessDenied');
      assert.equal(head.Message, 'Anonymous user has no right to access this object.');
    });
  });

  describe('missing resources', () => {
    test('NoSuchBucket carries BucketName and EC', async () => {
      const res = await send({ method: 'GET', bucket: 'no-such-bucket', key: null });
      const err = expectError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist.');
      assert.equal(err.BucketName, 'no-such-bucket');
      assert.equal(err.EC, '0015-00000101');
      assert.equal(err.RecommendDoc, 'https://api.aliyun.com/troubleshoot?q=0015-00000101');
      // Element order (spec §10.1): Code, Message, RequestId, HostId, extras, EC, RecommendDoc.
      const names = [...res.body.toString().matchAll(/<(\w+)>/g)].map((m) => m[1]);
      assert.deepEqual(names, ['Error', 'Code', 'Message', 'RequestId', 'HostId', 'BucketName', 'EC', 'RecommendDoc']);
    });

    test('NoSuchKey carries Key and EC', async () => {
      const res = await send({ method: 'GET', key: 'dir/missing key+中.txt' });
      const err = expectError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      assert.equal(err.Key, 'dir/missing key+中.txt');
      assert.equal(err.EC, '0026-00000001');
    });

    test('HEAD on a missing key → 404, empty body, x-oss-err with NoSuchKey', async () => {
      const res = await send({ method: 'HEAD', key: 'missing.txt' });
      const err = expectHeadError(res, 404, 'NoSuchKey');
      assert.equal(err.Key, 'missing.txt');
      assert.equal(res.headers['x-oss-ec'], '0026-00000001');
    });

    test('HEAD on a missing bucket → 404, empty body, x-oss-err with NoSuchBucket', async () => {
      expectHeadError(await send({ method: 'HEAD', bucket: 'no-such-bucket', key: 'k' }), 404, 'NoSuchBucket');
    });
  });

  describe('multipart arguments', () => {
    let uploadId = '';
    before(async () => {
      uploadId = await initiate('parts.bin');
    });

    for (const n of ['0', '10001', 'abc', '-1', '1.5']) {
      test(`partNumber=${n} → 400 InvalidArgument`, async () => {
        const res = await send({ method: 'PUT', key: 'parts.bin', query: [['partNumber', n], ['uploadId', uploadId]], body: 'x' });
        const err = expectError(res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
        assert.equal(err.ArgumentName, 'partNumber');
      });
    }

    test('partNumber 1 and 10000 are accepted', async () => {
      for (const n of ['1', '10000']) {
        const res = await send({ method: 'PUT', key: 'parts.bin', query: [['partNumber', n], ['uploadId', uploadId]], body: 'x' });
        assert.equal(res.status, 200, res.body.toString());
      }
    });

    test('unknown uploadId → 404 NoSuchUpload (UploadPart, Complete, Abort, ListParts)', async () => {
      const msg = 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';
      const id = '0123456789ABCDEF0123456789ABCDEF';
      const q: Array<[string, string]> = [['uploadId', id]];
      expectError(await send({ method: 'PUT', key: 'parts.bin', query: [['partNumber', '1'], ...q], body: 'x' }), 404, 'NoSuchUpload', msg);
      const body = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"X"</ETag></Part></CompleteMultipartUpload>';
      expectError(await send({ method: 'POST', key: 'parts.bin', query: q, body }), 404, 'NoSuchUpload', msg);
      expectError(await send({ method: 'DELETE', key: 'parts.bin', query: q }), 404, 'NoSuchUpload', msg);
      expectError(await send({ method: 'GET', key: 'parts.bin', query: q }), 404, 'NoSuchUpload', msg);
      // An upload id of another key is not this key's upload.
      expectError(await send({ method: 'GET', key: 'other.bin', query: [['uploadId', uploadId]] }), 404, 'NoSuchUpload', msg);
    });
  });

  describe('query and header arguments', () => {
    // Spec §12.6/§13: max-keys 1–1000, outside → 400 InvalidArgument; the message is the code's own
    // [UNVERIFIED text].
    for (const v of ['0', '1001', 'abc', '-5']) {
      test(`max-keys=${v} → 400 InvalidArgument`, async () => {
        const res = await send({ method: 'GET', key: null, query: [['max-keys', v]] });
        const err = expectError(res, 400, 'InvalidArgument', 'Argument max-keys must be an integer between 1 and 1000.');
        assert.equal(err.ArgumentName, 'max-keys');
        assert.equal(err.ArgumentValue, v);
      });
    }

    test('max-keys=1000 is accepted', async () => {
      assert.equal((await send({ method: 'GET', key: null, query: [['max-keys', '1000']] })).status, 200);
    });

    test('PutBucketAcl with a bogus x-oss-acl → 400 InvalidArgument "no such bucket access control exists"', async () => {
      const res = await send({ method: 'PUT', key: null, query: [['acl', '']], headers: { 'x-oss-acl': 'bogus' } });
      const err = expectError(res, 400, 'InvalidArgument', 'no such bucket access control exists');
      assert.equal(err.ArgumentName, 'x-oss-acl');
      assert.equal(err.ArgumentValue, 'bogus');
      const acl = await send({ method: 'GET', key: null, query: [['acl', '']] });
      assert.match(acl.body.toString(), /<Grant>private<\/Grant>/);
    });

    test('unsupported sub-resource ?udf → 501 NotImplemented', async () => {
      // (?qosInfo, then ?resourcePool, were the example until they were implemented: docs/qos.md.)
      const res = await send({ method: 'GET', key: null, query: [['udf', '']] });
      expectError(res, 501, 'NotImplemented');
    });

    test('DELETE on the service → 405 MethodNotAllowed', async () => {
      // Spec §10.2 text and extras are [UNVERIFIED]; the code adds Method and ResourceType.
      const res = await send({ method: 'DELETE', bucket: null });
      const err = expectError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      assert.equal(err.Method, 'DELETE');
      assert.equal(err.ResourceType, 'Service');
    });
  });

  describe('append', () => {
    test('append to a Normal object → 409 ObjectNotAppendable', async () => {
      const res = await send({ method: 'POST', key: 'normal.txt', query: [['append', ''], ['position', '5']], body: 'more' });
      expectError(res, 409, 'ObjectNotAppendable', 'The object is not appendable.');
      assert.equal((await send({ method: 'GET', key: 'normal.txt' })).body.toString(), 'hello');
    });

    test('wrong position → 409 PositionNotEqualToLength with x-oss-next-append-position', async () => {
      const first = await send({ method: 'POST', key: 'app.txt', query: [['append', ''], ['position', '0']], body: 'abc' });
      assert.equal(first.status, 200, first.body.toString());
      assert.equal(first.headers['x-oss-next-append-position'], '3');
      const res = await send({ method: 'POST', key: 'app.txt', query: [['append', ''], ['position', '1']], body: 'd' });
      expectError(res, 409, 'PositionNotEqualToLength', 'Position is not equal to file length');
      assert.equal(res.headers['x-oss-next-append-position'], '3');
      assert.equal(res.err!.EC, '0026-00000016');
      assert.equal((await send({ method: 'GET', key: 'app.txt' })).body.toString(), 'abc');
    });
  });
});
