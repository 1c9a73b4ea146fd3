// Single-connection bandwidth throttling (docs/traffic-limit-seal.md): `x-oss-traffic-limit` (bit/s, header or
// presigned-URL query parameter) on GetObject, PutObject, UploadPart and AppendObject really limits the
// transfer rate; out-of-range or malformed values are refused (400) before anything is stored. Timing is
// asserted as a lower bound only (a throttled transfer cannot be faster than its rate); never an upper bound.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { Throttle } from '../src/util/throttle.js';
import { expectOssError, headersOf, rawObjectRequest } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'traffic-bucket';
const MiB = 1024 * 1024;
/** 8 Mbit/s = 1 MiB/s: a 1 MiB transfer takes at least a second. */
const RATE = 8 * MiB;
const minSeconds = (bytes: number, bitsPerSecond: number): number => (bytes * 8) / bitsPerSecond;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

describe('x-oss-traffic-limit', () => {
  let srv: TestServer;
  let client: OSS;
  const data = randomBytes(MiB);

  before(async () => {
    srv = await startTestServer();
    client = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
    await client.put('big.bin', data);
  });
  after(async () => {
    await srv?.stop();
  });

  test('the throttle releases bytes no faster than its rate', async () => {
    const t = new Throttle(2 * MiB); // 256 KiB/s
    const chunks: Buffer[] = [];
    t.on('data', (c: Buffer) => chunks.push(c));
    const { seconds } = await timed(async () => {
      t.end(Buffer.alloc(256 * 1024, 1));
      await new Promise((resolve) => t.on('end', resolve));
    });
    assert.equal(Buffer.concat(chunks).length, 256 * 1024);
    assert.ok(seconds >= 0.9 * minSeconds(256 * 1024, 2 * MiB), `${seconds} s`);
  });

  test('GetObject with the header: the whole object, no faster than the rate', async () => {
    const { value, seconds } = await timed(() => client.get('big.bin', { headers: { 'x-oss-traffic-limit': String(RATE) } }));
    assert.ok(value.content.equals(data));
    assert.ok(seconds >= 0.9 * minSeconds(MiB, RATE), `${seconds} s`);
  });

  test('a range GET and a small (inline) object are throttled too', async () => {
    const range = await timed(() => client.get('big.bin', { headers: { 'x-oss-traffic-limit': String(RATE), Range: 'bytes=0-524287' } }));
    assert.ok(range.value.content.equals(data.subarray(0, 512 * 1024)));
    assert.ok(range.seconds >= 0.9 * minSeconds(512 * 1024, RATE), `${range.seconds} s`);
    const small = randomBytes(60 * 1024);
    await client.put('small.bin', small);
    const got = await timed(() => client.get('small.bin', { headers: { 'x-oss-traffic-limit': '819200' } }));
    assert.ok(got.value.content.equals(small));
    assert.ok(got.seconds >= 0.9 * minSeconds(small.length, 819200), `${got.seconds} s`);
  });

  test('presigned GET URL with the x-oss-traffic-limit query parameter', async () => {
    const url = srv.pathClient({ bucket: BUCKET }).signatureUrl('big.bin', { expires: 600, trafficLimit: RATE } as OSS.SignatureUrlOptions);
    assert.match(url, /x-oss-traffic-limit=/);
    const { value, seconds } = await timed(async () => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    });
    assert.ok(value.equals(data));
    assert.ok(seconds >= 0.9 * minSeconds(MiB, RATE), `${seconds} s`);
  });

  test('PutObject with the header: stored intact, no faster than the rate', async () => {
    const body = randomBytes(MiB);
    const { seconds } = await timed(() => client.put('up.bin', body, { headers: { 'x-oss-traffic-limit': String(RATE) } }));
    assert.ok(seconds >= 0.9 * minSeconds(MiB, RATE), `${seconds} s`);
    assert.ok((await client.get('up.bin')).content.equals(body));
  });

  test('UploadPart and AppendObject are throttled', async () => {
    const part = randomBytes(512 * 1024);
    const init = await client.initMultipartUpload('mp.bin');
    const up = await timed(() => rawObjectRequest(client, 'PUT', 'mp.bin', {
      subres: { partNumber: '1', uploadId: init.uploadId },
      headers: { 'x-oss-traffic-limit': String(RATE) },
      content: part,
    }));
    assert.equal(up.value.status, 200);
    assert.ok(up.seconds >= 0.9 * minSeconds(part.length, RATE), `${up.seconds} s`);
    await client.abortMultipartUpload('mp.bin', init.uploadId);
    const app = await timed(() => client.append('app.bin', part, { headers: { 'x-oss-traffic-limit': String(RATE) } }));
    assert.ok(app.seconds >= 0.9 * minSeconds(part.length, RATE), `${app.seconds} s`);
    assert.ok((await client.get('app.bin')).content.equals(part));
  });

  test('out-of-range or malformed values: 400 InvalidArgument, nothing stored', async () => {
    for (const value of ['abc', '819199', '838860801', '-1', '1e6', '']) {
      const err = await expectOssError(client.put(`bad-${value}`, Buffer.from('x'), { headers: { 'x-oss-traffic-limit': value } }), 'InvalidArgument', 400);
      assert.equal((err as unknown as { ecCode?: string }).ecCode, '0004-00000502');
      await expectOssError(client.head(`bad-${value}`), 'NoSuchKey', 404);
      await expectOssError(client.get('big.bin', { headers: { 'x-oss-traffic-limit': value } }), 'InvalidArgument', 400);
    }
    // The range's ends are accepted.
    for (const value of ['819200', '838860800']) {
      const res = await client.put(`ok-${value}`, Buffer.from('x'), { headers: { 'x-oss-traffic-limit': value } });
      assert.equal(res.res.status, 200);
    }
  });

  test('given both as header and as query parameter: 400', async () => {
    const err = await expectOssError(rawObjectRequest(client, 'GET', 'big.bin', {
      subres: { 'x-oss-traffic-limit': String(RATE) },
      headers: { 'x-oss-traffic-limit': String(RATE) },
    }), 'InvalidArgument', 400);
    assert.match(err.message, /both/);
    assert.equal((err as unknown as { ecCode?: string }).ecCode, '0004-00000501');
  });

  test('PostObject: validated (400 when out of range, nothing stored), a valid value stores the form upload', async () => {
    await srv.client().putBucketACL(BUCKET, 'public-read-write');
    try {
      const boundary = 'tlboundary';
      const form = (key: string): string =>
        `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n${key}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\nform bytes\r\n--${boundary}--\r\n`;
      const post = (key: string, limit: string): Promise<Response> => fetch(`${srv.url}/${BUCKET}`, {
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'x-oss-traffic-limit': limit },
        body: form(key),
      });
      const bad = await post('post-bad', '100');
      assert.equal(bad.status, 400, await bad.text());
      await expectOssError(client.head('post-bad'), 'NoSuchKey', 404);
      const ok = await post('post-ok', String(RATE));
      assert.equal(ok.status, 204, await ok.text());
      assert.equal((await client.get('post-ok')).content.toString(), 'form bytes');
    } finally {
      await srv.client().putBucketACL(BUCKET, 'private');
    }
  });

  test('operations that do not take it ignore it (HeadObject answers as usual)', async () => {
    const head = await client.head('big.bin', { headers: { 'x-oss-traffic-limit': 'abc' } } as OSS.HeadObjectOptions);
    assert.equal(headersOf(head)['content-length'], String(MiB));
  });
});
