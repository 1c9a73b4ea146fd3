// Large bodies take the off-event-loop path (512 KiB shared-memory blocks, MD5 on a worker thread — several
// uploads' blocks together with the addon's MD5 lanes —, CRC-64 in the worker, by the addon or the JavaScript tables): every claim is still checked and nothing is kept when one fails.
// Each case runs against a real server process with the addon and with ALUNITE_NO_NATIVE=1.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../src/util/crc64.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const BUCKET = 'large-body';
const MiB = 1024 * 1024;

let host = '';

function signed(method: string, key: string | null, headers: Record<string, string>, query: Array<[string, string]> = []): Record<string, string> {
  const h: Record<string, string> = { host, date: new Date().toUTCString(), ...headers };
  return { ...h, authorization: v1Authorization({ method, bucket: BUCKET, key, query, headers: h }, AK, SECRET).authorization };
}

function pathOf(key: string | null, query: Array<[string, string]> = []): string {
  const q = query.length ? `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
  return `/${BUCKET}/${key ?? ''}${q}`;
}

/** Every file under the data directory's blobs/ and tmp/. */
async function blobFiles(data: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await readdir(join(data, 'blobs'))) for (const f of await readdir(join(data, 'blobs', sub))) out.push(f);
  for (const f of await readdir(join(data, 'tmp'))) out.push(`tmp/${f}`);
  return out;
}

/** Sends a body in pieces with `Transfer-Encoding: chunked` (no Content-Length). */
function putChunked(port: number, key: string, body: Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: pathOf(key), headers: signed('PUT', key, { 'content-type': 'application/octet-stream', ...headers }), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 100_003) req.write(body.subarray(i, i + 100_003));
    req.end();
  });
}

for (const noNative of [false, true]) {
  describe(`large bodies (${noNative ? 'JavaScript CRC-64: ALUNITE_NO_NATIVE=1' : 'CRC-64 addon when built'})`, () => {
    let server: SpawnedServer;
    let data: string;
    const body = randomBytes(3 * MiB + 12_345);
    const md5 = createHash('md5').update(body).digest();
    const crc = crc64(body).toString(10);

    before(async () => {
      data = await mkdtemp(join(tmpdir(), 'alunite-large-'));
      server = await spawnServer(['--data', data], noNative ? { ALUNITE_NO_NATIVE: '1' } : {});
      host = `127.0.0.1:${server.port}`;
      const res = await rawRequest(server.port, { method: 'PUT', path: pathOf(null), headers: signed('PUT', null, {}) });
      assert.equal(res.status, 200, res.body.toString());
    });
    after(async () => {
      await kill9(server.child);
      await rm(data, { recursive: true, force: true });
    });

    const put = (key: string, headers: Record<string, string>, payload: Buffer = body): Promise<RawResponse> =>
      rawRequest(server.port, { method: 'PUT', path: pathOf(key), headers: signed('PUT', key, { 'content-type': 'application/octet-stream', ...headers }), body: payload });

    it('stores a body with matching Content-MD5 and CRC-64: ETag, CRC header and bytes read back', async () => {
      const res = await put('ok', { 'content-md5': md5.toString('base64'), 'x-oss-hash-crc64ecma': crc });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(res.headers.etag, `"${md5.toString('hex').toUpperCase()}"`);
      assert.equal(res.headers['x-oss-hash-crc64ecma'], crc);
      const got = await rawRequest(server.port, { method: 'GET', path: pathOf('ok'), headers: signed('GET', 'ok', {}) });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(body));
      assert.equal(got.headers['x-oss-hash-crc64ecma'], crc);
    });

    it('concurrent uploads of different lengths (hashed side by side on a worker) each get their own MD5, CRC and bytes', async () => {
      // Lengths that end mid-block and mid-MD5-block, and one upload whose good Content-MD5 sits next to a bad one.
      const bodies = [5 * MiB + 3, 2 * MiB, 1 * MiB + 64, 3 * MiB + 31, 700_001, 4 * MiB + 4095].map((n) => randomBytes(n));
      const results = await Promise.all(bodies.map((b, i) => put(`together-${i}`, { 'content-md5': createHash('md5').update(b).digest('base64'), 'x-oss-hash-crc64ecma': crc64(b).toString(10) }, b)));
      const wrong = put('together-wrong', { 'content-md5': createHash('md5').update(bodies[1]!).digest('base64') }, bodies[0]!);
      results.forEach((r, i) => {
        assert.equal(r.status, 200, r.body.toString());
        assert.equal(r.headers.etag, `"${createHash('md5').update(bodies[i]!).digest('hex').toUpperCase()}"`, `upload ${i}`);
      });
      assert.equal(errorOf(await wrong)?.Code, 'InvalidDigest');
      await Promise.all(bodies.map(async (b, i) => {
        const got = await rawRequest(server.port, { method: 'GET', path: pathOf(`together-${i}`), headers: signed('GET', `together-${i}`, {}) });
        assert.equal(got.status, 200);
        assert.ok(got.body.equals(b), `bytes of upload ${i}`);
        assert.equal(got.headers['x-oss-hash-crc64ecma'], crc64(b).toString(10));
      }));
    });

    it('InvalidDigest for a wrong Content-MD5, InvalidCRC64 for a wrong CRC; nothing kept', async () => {
      const before = await blobFiles(data);
      const wrongMd5 = createHash('md5').update('other').digest('base64');
      const a = await put('bad-md5', { 'content-md5': wrongMd5 });
      assert.equal(a.status, 400);
      assert.equal(errorOf(a)?.Code, 'InvalidDigest');
      const b = await put('bad-crc', { 'x-oss-hash-crc64ecma': (BigInt(crc) ^ 1n).toString(10) });
      assert.equal(b.status, 400);
      assert.equal(errorOf(b)?.Code, 'InvalidCRC64');
      for (const key of ['bad-md5', 'bad-crc']) {
        const head = await rawRequest(server.port, { method: 'HEAD', path: pathOf(key), headers: signed('HEAD', key, {}) });
        assert.equal(head.status, 404, key);
      }
      assert.deepEqual(await blobFiles(data), before);
    });

    it('chunked bodies (no Content-Length) are hashed the same way, and checked', async () => {
      const ok = await putChunked(server.port, 'chunked', body, { 'x-oss-hash-crc64ecma': crc });
      assert.equal(ok.status, 200, ok.body.toString());
      assert.equal(ok.headers.etag, `"${md5.toString('hex').toUpperCase()}"`);
      const bad = await putChunked(server.port, 'chunked-bad', body, { 'content-md5': Buffer.alloc(16).toString('base64') });
      assert.equal(errorOf(bad)?.Code, 'InvalidDigest');
    });

    it('an UploadPart with a wrong Content-MD5 is InvalidDigest; a right one gets the part ETag and CRC', async () => {
      const init = await rawRequest(server.port, { method: 'POST', path: pathOf('mp', [['uploads', '']]), headers: signed('POST', 'mp', {}, [['uploads', '']]) });
      const uploadId = /<UploadId>([^<]+)</.exec(init.body.toString())![1]!;
      const q: Array<[string, string]> = [['partNumber', '1'], ['uploadId', uploadId]];
      const bad = await rawRequest(server.port, { method: 'PUT', path: pathOf('mp', q), headers: signed('PUT', 'mp', { 'content-md5': Buffer.alloc(16).toString('base64') }, q), body });
      assert.equal(errorOf(bad)?.Code, 'InvalidDigest');
      const ok = await rawRequest(server.port, { method: 'PUT', path: pathOf('mp', q), headers: signed('PUT', 'mp', { 'content-md5': md5.toString('base64') }, q), body });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-oss-hash-crc64ecma'], crc);
    });

    it('an upload cut off mid-body keeps nothing, and the next upload works', async () => {
      const before = await blobFiles(data);
      const headers = signed('PUT', 'cut', { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      await new Promise<void>((resolve, reject) => {
        const sock = connect(server.port, '127.0.0.1', () => {
          const head = [`PUT ${pathOf('cut')} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
          sock.write(head);
          sock.write(body.subarray(0, 2 * MiB + 7), () => setTimeout(() => {
            sock.destroy();
            resolve();
          }, 200));
        });
        sock.on('error', reject);
      });
      // The server notices the cut asynchronously: wait (up to a minute, for a loaded machine) until its temp file is gone.
      for (let i = 0; i < 1200 && (await blobFiles(data)).length !== before.length; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await blobFiles(data), before);
      const res = await put('after-cut', { 'x-oss-hash-crc64ecma': crc });
      assert.equal(res.status, 200);
    });
  });
}
