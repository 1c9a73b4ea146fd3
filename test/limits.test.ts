// Limits of spec §13 and body-integrity failures, each answered with the OSS code, and nothing stored.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { LIMITS } from '../src/domain/context.js';
import { RPC_BODY_BOUNDS } from '../src/rpc/request.js';
import { expectOssError, userMeta } from './helpers/oss.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/eventually.js';
import { createHash, randomBytes } from 'node:crypto';
import { errorOf, rawRequest, v1Authorization, v4Authorization } from './helpers/raw-http.js';

describe('limits', () => {
  let srv: TestServer;
  let oss: OSS;
  before(async () => {
    srv = await startTestServer();
    oss = srv.client({ bucket: 'limits' });
    await oss.putBucket('limits');
  });
  after(() => srv.stop());

  it('refuses more than 100 buckets per account with TooManyBuckets', async () => {
    for (let i = 1; i < LIMITS.maxBucketsPerAccount; i++) await oss.putBucket(`many-${String(i).padStart(3, '0')}`);
    const err = await expectOssError(oss.putBucket('one-too-many'), 'TooManyBuckets', 400);
    assert.equal(err.message, 'You have attempted to create more buckets than allowed.');
    // Re-creating an existing bucket by its owner is still fine (idempotent).
    assert.equal((await oss.putBucket('many-001')).res.status, 200);
    for (let i = 1; i < LIMITS.maxBucketsPerAccount; i++) await oss.deleteBucket(`many-${String(i).padStart(3, '0')}`);
  });

  it('refuses user metadata over 8 KiB and invalid metadata names', async () => {
    await expectOssError(oss.put('meta-big', Buffer.from('x'), { meta: userMeta({ big: 'v'.repeat(8 * 1024) }) }), 'InvalidArgument', 400);
    await assert.rejects(oss.head('meta-big'), (e: { status?: number }) => e.status === 404);
    assert.equal((await oss.put('meta-ok', Buffer.from('x'), { meta: userMeta({ ok: 'v'.repeat(8000) }) })).res.status, 200);
  });

  // Found by the listing check after the fuzz run (test/fuzz-server.test.ts seed 113, FUZZ_VERSIONED=1): a PutObject
  // whose Expires was ~15,900 bytes (the request under the server's 16 KiB of head) was stored, and every HEAD and
  // GET of it answered 16.5 KB of head, which node's client, so ali-oss, refuses ("Parse Error: Header overflow").
  it('refuses headers and metadata that would not fit in the head of the object\'s answers; stores up to that', async () => {
    await expectOssError(oss.put('head-big', Buffer.from('x'), { headers: { Expires: 'x'.repeat(15_000) } } as OSS.PutObjectOptions), 'InvalidArgument', 400);
    await expectOssError(oss.put('head-big', Buffer.from('x'), { headers: { 'Content-Disposition': 'd'.repeat(7000) }, meta: userMeta({ m: 'v'.repeat(8000) }) } as OSS.PutObjectOptions), 'InvalidArgument', 400);
    await assert.rejects(oss.head('head-big'), (e: { status?: number }) => e.status === 404);
    const init = oss.initMultipartUpload('head-big', { headers: { Expires: 'x'.repeat(15_000) } });
    await expectOssError(init, 'InvalidArgument', 400);
    // The most user metadata with a long Content-Disposition beside it is stored, and ali-oss reads it back.
    assert.equal((await oss.put('head-ok', Buffer.from('x'), { headers: { 'Content-Disposition': 'd'.repeat(4000) }, meta: userMeta({ m: 'v'.repeat(8000) }) } as OSS.PutObjectOptions)).res.status, 200);
    const head = await oss.head('head-ok');
    assert.equal((head.res.headers as Record<string, string>)['content-disposition']!.length, 4000);
  });

  it('answers EntityTooLarge for a declared body over 5 GiB without reading it', async () => {
    const headers: Record<string, string> = {
      host: 'limits.oss-cn-hangzhou.aliyuncs.com',
      'x-oss-date': new Date().toUTCString(),
      'content-length': String(5 * 1024 ** 3 + 1),
    };
    headers.authorization = v1Authorization({ method: 'PUT', bucket: 'limits', key: 'huge', headers }, AK, SECRET).authorization;
    // Send only the headers: the server must answer at once.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: srv.port, method: 'PUT', path: '/huge', headers, agent: false, setHost: false }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>EntityTooLarge<\/Code>/);
  });

  it('stores nothing when the connection drops before the declared length arrives', async () => {
    const headers: Record<string, string> = {
      host: 'limits.oss-cn-hangzhou.aliyuncs.com',
      'x-oss-date': new Date().toUTCString(),
      'content-length': '500000',
    };
    headers.authorization = v1Authorization({ method: 'PUT', bucket: 'limits', key: 'cut', headers }, AK, SECRET).authorization;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: srv.port, method: 'PUT', path: '/cut', headers, agent: false, setHost: false });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(200_000, 1), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 100));
    });
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(oss.head('cut'), (e: { status?: number }) => e.status === 404);
    // The server is still healthy and answers the next request normally.
    const res = await rawRequest(srv.port, { method: 'GET', path: '/-/health', headers: { host: '127.0.0.1' } });
    assert.equal(res.status, 200);
    assert.equal(errorOf(res), null);
  });

  it('checks a signed V4 payload hash (x-oss-content-sha256) against the body', async () => {
    const body = Buffer.from('signed payload');
    const iso = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const send = async (key: string, hash: string) => {
      const headers: Record<string, string> = { 'x-oss-date': iso, 'x-oss-content-sha256': hash, 'content-length': String(body.length) };
      const authorization = v4Authorization({ method: 'PUT', bucket: 'limits', key, headers }, AK, SECRET, 'cn-hangzhou');
      return rawRequest(srv.port, { method: 'PUT', path: `/${key}`, headers: { ...headers, host: 'limits.oss-cn-hangzhou.aliyuncs.com', authorization }, body });
    };
    const good = await send('sha-good', createHash('sha256').update(body).digest('hex'));
    assert.equal(good.status, 200);
    const bad = await send('sha-bad', createHash('sha256').update('something else').digest('hex'));
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad)?.Code, 'XOssContentSHA256Mismatch');
    await assert.rejects(oss.head('sha-bad'), (e: { status?: number }) => e.status === 404);
  });

  it('answers requests the HTTP parser refuses (oversized headers, bad Content-Length) with an OSS error document', async () => {
    const big = await rawRequest(srv.port, { method: 'GET', path: '/limits/k', headers: { host: '127.0.0.1', 'x-oss-meta-a': 'a'.repeat(80_000) } });
    assert.equal(big.status, 400);
    assert.equal(errorOf(big)?.Code, 'InvalidRequest');
    assert.match(errorOf(big)?.Message ?? '', /headers are larger than the server accepts/);
    assert.equal(errorOf(big)?.RequestId, big.headers['x-oss-request-id']);
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(srv.port, '127.0.0.1', () => sock.write('PUT /limits/k HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'));
      let out = '';
      sock.on('data', (d: Buffer) => (out += d.toString()));
      sock.on('end', () => resolve(out));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /<Code>InvalidRequest<\/Code><Message>The request is not valid HTTP\/1\.1\.<\/Message>/);
  });

  it('answers a bad request pipelined behind good ones after their answers, whole, then closes', async () => {
    const big = randomBytes(8 * 1024 * 1024 + 5);
    await oss.put('pipelined', big);
    const u = new URL(srv.pathClient({ bucket: 'limits' }).signatureUrl('pipelined', { expires: 600 }));
    const get = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`;
    const raw = await new Promise<Buffer>((resolve, reject) => {
      // Two good requests and a bad one in one write: the parser fails while the first answer is under way.
      const sock = connect(srv.port, '127.0.0.1', () => sock.write(`${get}${get}GARBAGE \u0001\r\n\r\n`));
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('end', () => resolve(Buffer.concat(chunks)));
      sock.on('error', reject);
    });
    let at = 0;
    for (let i = 0; i < 2; i++) {
      const headEnd = raw.indexOf('\r\n\r\n', at);
      const head = raw.subarray(at, headEnd).toString('latin1');
      assert.match(head, /^HTTP\/1\.1 200 /, `answer ${i + 1}`);
      assert.equal(Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]), big.length);
      assert.ok(raw.subarray(headEnd + 4, headEnd + 4 + big.length).equals(big), `answer ${i + 1}'s body, whole`);
      at = headEnd + 4 + big.length;
    }
    const last = raw.subarray(at).toString('latin1');
    assert.match(last, /^HTTP\/1\.1 400 /);
    assert.match(last, /\r\nConnection: close\r\n/i);
    assert.match(last, /<Code>InvalidRequest<\/Code><Message>The request is not valid HTTP\/1\.1\.<\/Message>/);
  });

  it('ends at once a request whose body the client cut short by half-closing, and stores nothing', async () => {
    const date = new Date().toUTCString();
    const headers: Record<string, string> = { host: 'limits.oss-cn-hangzhou.aliyuncs.com', 'x-oss-date': date, 'content-length': '100' };
    headers.authorization = v1Authorization({ method: 'PUT', bucket: 'limits', key: 'cut-short', headers }, AK, SECRET).authorization;
    const head = `PUT /cut-short HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    // The guard only turns a hang (the connection held until the idle timeout, 5 minutes) into a failure.
    const raw = await Promise.race([
      new Promise<string>((resolve, reject) => {
        const sock = connect({ port: srv.port, host: '127.0.0.1', allowHalfOpen: true }, () => {
          sock.write(head + 'x'.repeat(50));
          sock.end(); // 50 of the 100 bytes promised, then no more
        });
        let out = '';
        sock.on('data', (d: Buffer) => (out += d.toString()));
        sock.on('close', () => resolve(out));
        sock.on('error', reject);
      }),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('not closed within 30 s: the connection hangs')), 30_000).unref()),
    ]);
    // The request is abandoned (node's parser ends it): no answer is owed to a body that never came.
    assert.doesNotMatch(raw, /^HTTP\/1\.1 200 /);
    await assert.rejects(oss.head('cut-short'), (e: { status?: number }) => e.status === 404);
  });

  it('accepts at most maxConnections clients at once: the ones beyond are closed, the ones in are served', async () => {
    const capped = await startTestServer({ maxConnections: 4 });
    const held: Socket[] = [];
    try {
      const health = (): Promise<number> =>
        new Promise((ok, fail) => {
          const req = request({ port: capped.port, host: '127.0.0.1', path: '/-/health', agent: false }, (res) => {
            res.resume();
            res.on('end', () => ok(res.statusCode ?? 0));
          });
          req.on('error', fail);
          req.end();
        });
      // Four idle clients, each partway through a request head, as a flood's connections are.
      for (let i = 0; i < 4; i++) {
        const s = connect(capped.port, '127.0.0.1');
        s.on('error', () => undefined);
        await new Promise((ok) => s.once('connect', ok));
        s.write('GET /-/health HTTP/1.1\r\nHost: x\r\n');
        held.push(s);
      }
      // A fifth is closed at once, with no answer (accepted after the four, in order: no wait needed).
      await assert.rejects(health(), /ECONNRESET|socket hang up/);
      // One of the four finishes its request: it is answered.
      const answer = new Promise<string>((ok) => {
        let text = '';
        held[0]!.on('data', (c: Buffer) => {
          text += c.toString('latin1');
          if (text.includes('\r\n\r\n')) ok(text);
        });
      });
      held[0]!.write('\r\n');
      assert.match(await answer, /^HTTP\/1\.1 200 /);
      // Once they leave, new clients are served again.
      for (const s of held) s.destroy();
      await eventually(async () => (await health().catch(() => 0)) === 200, 'new clients served again');
    } finally {
      for (const s of held) s.destroy();
      await capped.stop();
    }
  });

  it('RAM/STS bodies read before authentication are bounded across requests (503 beyond) and in time (a stalled one is cut)', async () => {
    const saved = { limit: RPC_BODY_BOUNDS.budget.limit, deadlineMs: RPC_BODY_BOUNDS.deadlineMs };
    RPC_BODY_BOUNDS.budget.limit = 1536 * 1024;
    // The stalled body must stay held however slow the machine is: its deadline is out of the way.
    RPC_BODY_BOUNDS.deadlineMs = 600_000;
    const stalled = (declared: number, sent: number): Socket => {
      const s = connect(srv.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${declared}\r\n\r\n`);
      s.write('Action=GetCallerIdentity&Version=2015-04-01&pad=' + 'p'.repeat(sent - 48));
      return s;
    };
    const rpc = (body: string) =>
      rawRequest(srv.port, { method: 'POST', path: '/', headers: { Host: '127.0.0.1', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }, body });
    let held: Socket | null = null;
    try {
      held = stalled(1024 * 1024, 1024 * 1024 - 1);
      await eventually(() => RPC_BODY_BOUNDS.budget.inUse >= 1000 * 1024, 'the server holds the stalled body');
      let r = await rpc('Action=GetCallerIdentity&Version=2015-04-01&pad=' + 'q'.repeat(700 * 1024));
      assert.equal(r.status, 503, r.body.toString());
      assert.equal(JSON.parse(r.body.toString()).Code, 'ServiceUnavailable');
      // A small call still fits (and is read: refused for its missing signature, not for the budget).
      r = await rpc('Action=GetCallerIdentity&Version=2015-04-01');
      assert.notEqual(r.status, 503, r.body.toString());
      held.destroy();
      await eventually(() => RPC_BODY_BOUNDS.budget.inUse === 0, 'given back when the client left');
      // A body that stalls past the deadline: the server cuts the connection and holds nothing.
      RPC_BODY_BOUNDS.deadlineMs = 300;
      held = stalled(4096, 200);
      await new Promise<void>((ok) => held!.once('close', () => ok()));
      assert.equal(RPC_BODY_BOUNDS.budget.inUse, 0);
    } finally {
      held?.destroy();
      RPC_BODY_BOUNDS.budget.limit = saved.limit;
      RPC_BODY_BOUNDS.deadlineMs = saved.deadlineMs;
    }
  });

  it('checks partNumber and uploadId before the body (no 411 for a bad part number)', async () => {
    const date = new Date().toUTCString();
    const send = async (query: Array<[string, string]>) => {
      const headers: Record<string, string> = { host: 'limits.oss-cn-hangzhou.aliyuncs.com', 'x-oss-date': date };
      headers.authorization = v1Authorization({ method: 'PUT', bucket: 'limits', key: 'p', query, headers }, AK, SECRET).authorization;
      return rawRequest(srv.port, { method: 'PUT', path: `/p?${query.map(([k, v]) => `${k}=${v}`).join('&')}`, headers });
    };
    const zero = await send([['partNumber', '0'], ['uploadId', 'U']]);
    assert.equal(zero.status, 400);
    assert.equal(errorOf(zero)?.Message, 'Part number must be an integer between 1 and 10000, inclusive.');
    const noUpload = await send([['partNumber', '1']]);
    assert.equal(noUpload.status, 400);
    assert.equal(errorOf(noUpload)?.Code, 'InvalidArgument');
    assert.equal(errorOf(noUpload)?.Message, 'UploadPart requires the uploadId parameter.');
  });

  it('refuses keys over 1023 bytes and DeleteMultipleObjects over 1000 keys', async () => {
    await expectOssError(oss.put('k'.repeat(1024), Buffer.from('x')), 'InvalidObjectName', 400);
    assert.equal((await oss.put('k'.repeat(1023), Buffer.from('x'))).res.status, 200);
    const keys = Array.from({ length: 1001 }, (_, i) => `d${i}`);
    await expectOssError(oss.deleteMulti(keys), 'MalformedXML', 400);
  });
});
