// A V4 request whose x-oss-content-sha256 is a hex hash signs its body: every operation that reads a body
// (whole, like configurations, or streamed, like uploads) must refuse other bytes with
// XOssContentSHA256Mismatch and change nothing, so a captured request cannot be replayed with a new body.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { isoBasic } from '../src/util/time.js';
import { expectOssError } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization, v4Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'signed-body';
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');

interface Signed {
  method: string;
  bucket: string;
  key?: string;
  /** Sub-resources and parameters, as sent (values may be ''). */
  query?: Array<[string, string]>;
  /** Headers to sign besides x-oss-date and x-oss-content-sha256. */
  headers?: Record<string, string>;
  /** The body whose hash is signed. */
  body: Buffer | string;
}

describe('signed V4 payload hash (x-oss-content-sha256) on every body', () => {
  let srv: TestServer;
  let oss: OSS;
  before(async () => {
    srv = await startTestServer();
    oss = srv.client({ bucket: BUCKET });
    await oss.putBucket(BUCKET);
  });
  after(() => srv.stop());

  /** Sends `s` signed with V4 over its body's hash; `sent` (default: the signed body) is what goes on the wire. */
  async function send(s: Signed, sent: Buffer | string = s.body): Promise<RawResponse> {
    const headers: Record<string, string> = { ...(s.headers ?? {}), 'x-oss-date': isoBasic(Date.now()), 'x-oss-content-sha256': sha256(s.body) };
    const authorization = v4Authorization({ method: s.method, bucket: s.bucket, key: s.key ?? null, query: s.query ?? [], headers }, AK, SECRET, 'cn-hangzhou');
    const q = (s.query ?? []).map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
    const path = `/${s.key !== undefined ? encodeURIComponent(s.key) : ''}${q === '' ? '' : `?${q}`}`;
    const wire = { ...headers, host: `${s.bucket}.oss-cn-hangzhou.aliyuncs.com`, authorization, 'content-length': String(Buffer.byteLength(sent)) };
    return rawRequest(srv.port, { method: s.method, path, headers: wire, body: sent });
  }

  function refused(res: RawResponse): void {
    assert.equal(res.status, 400, res.body.toString());
    assert.equal(errorOf(res)?.Code, 'XOssContentSHA256Mismatch');
  }

  it('PutBucketPolicy: a swapped policy is refused and the signed one stays', async () => {
    const harmless = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:DeleteBucket'], Principal: ['*'], Resource: [`acs:oss:*:*:${BUCKET}`] }] });
    const open = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Principal: ['*'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }] });
    const req: Signed = { method: 'PUT', bucket: BUCKET, query: [['policy', '']], body: harmless };
    assert.equal((await send(req)).status, 200);
    refused(await send(req, open));
    const got = await rawRequest(srv.port, { method: 'GET', path: `/?policy`, headers: { host: `${BUCKET}.oss-cn-hangzhou.aliyuncs.com` } });
    assert.equal(got.status, 403); // anonymous is still not let in by the swapped policy
    const policy = await oss.getBucketPolicy(BUCKET);
    assert.deepEqual(policy.policy, JSON.parse(harmless));
  });

  it('PutBucketCors: a swapped rule set is refused', async () => {
    const cors = (origin: string): string =>
      `<?xml version="1.0" encoding="UTF-8"?><CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`;
    const req: Signed = { method: 'PUT', bucket: BUCKET, query: [['cors', '']], body: cors('https://app.example') };
    assert.equal((await send(req)).status, 200);
    refused(await send(req, cors('*')));
    const rules = (await oss.getBucketCORS(BUCKET)).rules as Array<{ allowedOrigin: string }>;
    assert.deepEqual(rules.map((r) => r.allowedOrigin), ['https://app.example']);
  });

  it('PutObjectTagging: swapped tags are refused', async () => {
    await oss.put('tagged', Buffer.from('x'));
    const tagging = (v: string): string => `<Tagging><TagSet><Tag><Key>level</Key><Value>${v}</Value></Tag></TagSet></Tagging>`;
    const req: Signed = { method: 'PUT', bucket: BUCKET, key: 'tagged', query: [['tagging', '']], body: tagging('low') };
    assert.equal((await send(req)).status, 200);
    refused(await send(req, tagging('top')));
    const tags = await (oss as unknown as { getObjectTagging(n: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging('tagged');
    assert.deepEqual(tags.tag, { level: 'low' });
  });

  it('DeleteMultipleObjects: a swapped key list deletes nothing', async () => {
    await oss.put('del/a', Buffer.from('a'));
    await oss.put('del/b', Buffer.from('b'));
    const list = (k: string): string => `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>${k}</Key></Object></Delete>`;
    const signedList = list('del/a');
    const swapped = list('del/b');
    // Content-MD5 is signed too (V4 signs it), so the replay keeps the captured one.
    const req: Signed = { method: 'POST', bucket: BUCKET, query: [['delete', '']], body: signedList, headers: { 'content-md5': md5(signedList) } };
    refused(await send(req, swapped));
    assert.equal((await oss.head('del/a')).status, 200);
    assert.equal((await oss.head('del/b')).status, 200);
    assert.equal((await send(req)).status, 200);
    await expectOssError(oss.head('del/a'), 'NoSuchKey', 404);
    assert.equal((await oss.head('del/b')).status, 200);
  });

  it('CompleteMultipartUpload: a swapped part list is refused and the upload stays open', async () => {
    const init = await oss.initMultipartUpload('mp');
    const p1 = await oss.uploadPart('mp', init.uploadId, 1, Buffer.alloc(100 * 1024, 1), 0, 100 * 1024);
    const p2 = await oss.uploadPart('mp', init.uploadId, 2, Buffer.from('tail'), 0, 4);
    const xml = (parts: Array<[number, string]>): string =>
      `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const both = xml([[1, p1.etag], [2, p2.etag]]);
    const req: Signed = { method: 'POST', bucket: BUCKET, key: 'mp', query: [['uploadId', init.uploadId]], body: both };
    refused(await send(req, xml([[1, p1.etag]])));
    await expectOssError(oss.head('mp'), 'NoSuchKey', 404);
    assert.equal((await send(req)).status, 200);
    assert.equal(Number((await oss.head('mp')).res.headers['content-length' as never]), 100 * 1024 + 4);
  });

  it('PutBucket: a swapped CreateBucketConfiguration creates nothing', async () => {
    const cfg = (sc: string): string => `<CreateBucketConfiguration><StorageClass>${sc}</StorageClass></CreateBucketConfiguration>`;
    const req: Signed = { method: 'PUT', bucket: 'signed-new', body: cfg('IA') };
    refused(await send(req, cfg('Standard')));
    await expectOssError(srv.client().getBucketInfo('signed-new'), 'NoSuchBucket', 404);
    assert.equal((await send(req)).status, 200);
    assert.equal((await srv.client().getBucketInfo('signed-new')).bucket.StorageClass, 'IA');
  });

  it('PutObject and AppendObject (streamed bodies) still refuse swapped bytes and store nothing', async () => {
    const put: Signed = { method: 'PUT', bucket: BUCKET, key: 'obj', body: 'signed bytes' };
    refused(await send(put, 'evil! bytes!'));
    await expectOssError(oss.head('obj'), 'NoSuchKey', 404);
    assert.equal((await send(put)).status, 200);
    const big = Buffer.alloc(200 * 1024, 7); // past the inline limit: through the blob store
    const evil = Buffer.alloc(200 * 1024, 8);
    const bigPut: Signed = { method: 'PUT', bucket: BUCKET, key: 'big', body: big };
    refused(await send(bigPut, evil));
    await expectOssError(oss.head('big'), 'NoSuchKey', 404);
    const append: Signed = { method: 'POST', bucket: BUCKET, key: 'app', query: [['append', ''], ['position', '0']], body: 'first' };
    refused(await send(append, 'fir$t'));
    await expectOssError(oss.head('app'), 'NoSuchKey', 404);
    assert.equal((await send(append)).status, 200);
    assert.equal((await oss.get('app')).content.toString(), 'first');
  });

  it('large signed bodies (SHA-256 on the hash worker): swapped bytes refused, nothing kept, the signed ones stored', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 4321); // past the off-event-loop threshold (256 KiB)
    const evil = Buffer.from(big);
    evil[evil.length - 1] ^= 1; // the very last byte: only the end-of-body check can see it
    const files = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const sub of await readdir(join(srv.dataDir, 'blobs'))) out.push(...(await readdir(join(srv.dataDir, 'blobs', sub))));
      out.push(...(await readdir(join(srv.dataDir, 'tmp'))).map((f) => `tmp/${f}`));
      return out.sort();
    };
    const before = await files();
    const put: Signed = { method: 'PUT', bucket: BUCKET, key: 'large', body: big };
    refused(await send(put, evil));
    await expectOssError(oss.head('large'), 'NoSuchKey', 404);
    assert.deepEqual(await files(), before);
    // UploadPart: the same worker pass, the same answer.
    const init = await oss.initMultipartUpload('large-mp');
    const part: Signed = { method: 'PUT', bucket: BUCKET, key: 'large-mp', query: [['partNumber', '1'], ['uploadId', init.uploadId]], body: big };
    refused(await send(part, evil));
    assert.deepEqual(await files(), before);
    assert.equal((await send(put)).status, 200);
    assert.ok((await oss.get('large')).content.equals(big));
    const ok = await send(part);
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal(ok.headers.etag, `"${createHash('md5').update(big).digest('hex').toUpperCase()}"`);
  });

  it('V1: a signed Content-MD5 is checked on every whole body (PutBucket too)', async () => {
    const cfg = (sc: string): string => `<CreateBucketConfiguration><StorageClass>${sc}</StorageClass></CreateBucketConfiguration>`;
    const signedCfg = cfg('Archive');
    const sendV1 = (sent: string): Promise<RawResponse> => {
      const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString(), 'content-md5': md5(signedCfg), 'content-type': 'application/xml' };
      const { authorization } = v1Authorization({ method: 'PUT', bucket: 'signed-v1', key: null, headers }, AK, SECRET);
      return rawRequest(srv.port, { method: 'PUT', path: '/', headers: { ...headers, host: 'signed-v1.oss-cn-hangzhou.aliyuncs.com', authorization }, body: sent });
    };
    const bad = await sendV1(cfg('Standard'));
    assert.equal(bad.status, 400, bad.body.toString());
    assert.equal(errorOf(bad)?.Code, 'InvalidDigest');
    await expectOssError(srv.client().getBucketInfo('signed-v1'), 'NoSuchBucket', 404);
    assert.equal((await sendV1(signedCfg)).status, 200);
    assert.equal((await srv.client().getBucketInfo('signed-v1')).bucket.StorageClass, 'Archive');
  });

  it('a signed empty body on a request without one, and ali-oss V4 (UNSIGNED-PAYLOAD), still work', async () => {
    assert.equal((await send({ method: 'GET', bucket: BUCKET, key: 'obj', body: '' })).status, 200);
    const v4 = srv.client({ bucket: BUCKET, authorizationV4: true });
    await v4.putBucketCORS(BUCKET, [{ allowedOrigin: 'https://v4.example', allowedMethod: 'GET' }]);
    assert.equal((await v4.put('v4obj', Buffer.from('v4'))).res.status, 200);
  });
});
