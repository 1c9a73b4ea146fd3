// Small bodies (up to 64 KiB, kept in the metadata row) are read whole from the request's own events
// (domain/ingest.ts readInline): every claim is still checked with the service's own error, nothing is kept
// when one fails, and a client that leaves mid-body leaves no object and a server that keeps answering.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../src/util/crc64.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'small-body';

describe('small bodies read whole: checked, and nothing kept on a broken claim', () => {
  let server: TestServer;
  const host = (): string => `127.0.0.1:${server.port}`;
  const signed = (method: string, key: string, headers: Record<string, string>): Record<string, string> => {
    const h: Record<string, string> = { host: host(), date: new Date().toUTCString(), ...headers };
    return { ...h, authorization: v1Authorization({ method, bucket: BUCKET, key, headers: h }, AK, SECRET).authorization };
  };
  const put = (key: string, body: Buffer, headers: Record<string, string> = {}) =>
    rawRequest(server.port, { method: 'PUT', path: `/${BUCKET}/${key}`, headers: signed('PUT', key, { 'content-type': 'application/octet-stream', ...headers }), body });
  const exists = async (key: string): Promise<boolean> => {
    const res = await rawRequest(server.port, { method: 'HEAD', path: `/${BUCKET}/${key}`, headers: signed('HEAD', key, {}) });
    assert.ok(res.status === 200 || res.status === 404, `HEAD ${key}: ${res.status}`);
    return res.status === 200;
  };

  before(async () => {
    server = await startTestServer();
    await server.client().putBucket(BUCKET);
  });
  after(() => server.stop());

  it('keeps the bytes with their ETag and CRC-64, for bodies of 0 bytes to the inline limit', async () => {
    for (const size of [0, 1, 4096, 64 * 1024]) {
      const body = randomBytes(size);
      const md5 = createHash('md5').update(body).digest();
      const res = await put(`ok-${size}`, body, { 'content-md5': md5.toString('base64'), 'x-oss-hash-crc64ecma': crc64(body).toString() });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(res.headers.etag, `"${md5.toString('hex').toUpperCase()}"`);
      assert.equal(res.headers['x-oss-hash-crc64ecma'], crc64(body).toString());
      const got = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/ok-${size}`, headers: signed('GET', `ok-${size}`, {}) });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(body), `the ${size} bytes read back`);
    }
  });

  it('a wrong Content-MD5 is InvalidDigest and a wrong CRC-64 InvalidCRC64; neither keeps an object, nor replaces one', async () => {
    const body = randomBytes(4096);
    const bad = await put('bad-md5', body, { 'content-md5': Buffer.alloc(16).toString('base64') });
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad)?.Code, 'InvalidDigest');
    assert.equal(await exists('bad-md5'), false);
    const badCrc = await put('bad-crc', body, { 'x-oss-hash-crc64ecma': (crc64(body) ^ 1n).toString() });
    assert.equal(errorOf(badCrc)?.Code, 'InvalidCRC64');
    assert.equal(await exists('bad-crc'), false);
    // Over an existing object: the old bytes stay.
    const old = randomBytes(100);
    assert.equal((await put('keep', old)).status, 200);
    assert.equal(errorOf(await put('keep', body, { 'content-md5': Buffer.alloc(16).toString('base64') }))?.Code, 'InvalidDigest');
    const got = await rawRequest(server.port, { method: 'GET', path: `/${BUCKET}/keep`, headers: signed('GET', 'keep', {}) });
    assert.ok(got.body.equals(old));
  });

  it('a client that leaves mid-body leaves no object, and the next requests on new connections are answered', async () => {
    for (const sent of [0, 1000, 4095]) {
      const key = `cut-${sent}`;
      const headers = signed('PUT', key, { 'content-type': 'application/octet-stream', 'content-length': '4096' });
      await new Promise<void>((resolve, reject) => {
        const sock = connect(server.port, '127.0.0.1', () => {
          sock.write([`PUT /${BUCKET}/${key} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n'));
          sock.write(randomBytes(sent), () => setImmediate(() => {
            sock.destroy();
            resolve();
          }));
        });
        sock.on('error', reject);
      });
      assert.equal(await exists(key), false, `${sent} of 4096 bytes sent: nothing kept`);
    }
    const body = randomBytes(4096);
    const res = await put('after-cut', body);
    assert.equal(res.status, 200);
    assert.equal(await exists('after-cut'), true);
  });
});
