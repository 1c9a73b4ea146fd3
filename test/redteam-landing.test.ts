// Red team of the paths that landed on 2026-12-04 (gzip answers, sequential multipart, ...): each test reproduces
// a defect found by attacking a real server process (bin/alunite) with real requests, and fails without its fix.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import sharp from 'sharp';
import { get, type IncomingHttpHeaders } from 'node:http';
import { rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { GZIP_MAX_IN_FLIGHT } from '../src/oss/compression.js';

const BUCKET = 'redteam-landing';

/** Sends `text` on a fresh connection and collects everything until the server closes it (or `timeoutMs`). */
function exchange(port: number, text: string, timeoutMs = 60_000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.write(text);
  });
}

/** InitiateMultipartUpload with `?sequential` (ali-oss has no option for it); returns the upload id. */
async function initiateSequential(port: number, key: string): Promise<string> {
  const query: Array<[string, string]> = [['uploads', ''], ['sequential', '']];
  const headers = { date: new Date().toUTCString() };
  const { authorization } = v1Authorization({ method: 'POST', bucket: BUCKET, key, query, headers }, AK, SECRET);
  const res = await rawRequest(port, { method: 'POST', path: `/${BUCKET}/${key}?uploads&sequential`, headers: { ...headers, authorization, host: '127.0.0.1' } });
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(res.body.toString('utf8'));
  assert.ok(res.status === 200 && id, res.body.toString('utf8'));
  return id[1]!;
}

/** A GET with `Accept-Encoding: gzip`: its headers and (still encoded) body. */
function getGzip(port: number, path: string): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('red team of the 2026-12-04 landings', () => {
  let dataDir: string;
  let srv: SpawnedServer;
  let client: OSS;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'alunite-redteam-landing-'));
    srv = await spawnServer(['--data', dataDir, '--no-fsync']);
    client = new OSS({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, bucket: BUCKET, region: 'oss-cn-hangzhou', secure: false, timeout: 120_000 });
    await client.putBucket(BUCKET);
    await client.putBucketACL(BUCKET, 'public-read');
  });

  after(async () => {
    await kill9(srv.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a gzip-compressed answer to an HTTP/1.0 GET is not chunk-framed (the client knows no chunked coding)', async () => {
    const text = Buffer.from('<p>hello, HTTP/1.0 client</p>\n'.repeat(200));
    await client.put('page.html', text, { headers: { 'Content-Type': 'text/html' } });
    const { data, closed } = await exchange(srv.port, `GET /${BUCKET}/page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n`);
    const split = data.indexOf('\r\n\r\n');
    const head = data.subarray(0, split).toString('latin1');
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.match(head, /\r\nContent-Encoding: gzip\r\n/i);
    // Before: `Transfer-Encoding: chunked` and a chunk-framed body, which an HTTP/1.0 client takes as the gzip bytes.
    assert.doesNotMatch(head, /Transfer-Encoding/i);
    assert.doesNotMatch(head, /Content-Length/i);
    assert.ok(closed, 'the body ends with the connection');
    assert.deepEqual(gunzipSync(data.subarray(split + 4)), text);
    // HEAD says the same, without a body.
    const headOnly = await exchange(srv.port, `HEAD /${BUCKET}/page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n`);
    assert.doesNotMatch(headOnly.data.toString('latin1'), /Transfer-Encoding|Content-Length/i);
    // An HTTP/1.1 client still gets it chunked.
    const http11 = await exchange(srv.port, `GET /${BUCKET}/page.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`);
    assert.match(http11.data.toString('latin1'), /\r\nTransfer-Encoding: chunked\r\n/i);
  });

  it('a sequential upload re-uploaded or aborted while its complete reads the parts: 4xx, never 500', async () => {
    // oss2's sequential multipart: the complete reads every part to hash the whole body (domain/multipart.ts
    // wholeBodyMd5). Parts large enough for that read to take a while, so the second request lands during it.
    const PART = 8 * 1024 * 1024;
    const N = 16;
    const bytes = Buffer.alloc(PART, 7);
    const statuses: string[] = [];
    for (const mode of ['reupload', 'abort', 'reupload', 'abort']) {
      const key = `seq/${mode}-${statuses.length}`;
      const uploadId = await initiateSequential(srv.port, key);
      const parts: Array<{ number: number; etag: string }> = [];
      for (let i = 1; i <= N; i++) parts.push({ number: i, etag: (await client.uploadPart(key, uploadId, i, bytes, 0, PART)).etag });
      const completing = client.completeMultipartUpload(key, uploadId, parts).then(
        (r) => ({ status: r.res.status, code: 'OK' }),
        (e: { status: number; code: string }) => ({ status: e.status, code: e.code }),
      );
      await new Promise((r) => setTimeout(r, 60));
      if (mode === 'reupload') await client.uploadPart(key, uploadId, N, Buffer.alloc(PART, 9), 0, PART).catch(() => undefined);
      else await client.abortMultipartUpload(key, uploadId).catch(() => undefined);
      const answer = await completing;
      statuses.push(`${mode}: ${answer.status} ${answer.code}`);
      // Before: 500 InternalError (ENOENT of the replaced or dropped part blob).
      const allowed = mode === 'reupload' ? ['200 OK', '400 InvalidPart'] : ['200 OK', '404 NoSuchUpload'];
      assert.ok(allowed.includes(`${answer.status} ${answer.code}`), statuses.join('; '));
    }
    assert.equal(srv.child.exitCode, null);
  });
  it('a sequential complete whose client left stops reading the parts and completes nothing; the upload stays', async () => {
    // The complete reads every part to hash the whole body (domain/multipart.ts wholeBodyMd5): before, it read
    // and hashed all of them, and committed the object, for a client that had closed its connection.
    const PART = 8 * 1024 * 1024;
    const N = 32;
    const key = 'seq/gone';
    const bytes = Buffer.alloc(PART, 5);
    const uploadId = await initiateSequential(srv.port, key);
    const parts: Array<{ number: number; etag: string }> = [];
    for (let i = 1; i <= N; i++) parts.push({ number: i, etag: (await client.uploadPart(key, uploadId, i, bytes, 0, PART)).etag });
    const xml = `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const query: Array<[string, string]> = [['uploadId', uploadId]];
    const headers = { date: new Date().toUTCString(), 'content-type': 'application/xml' };
    const { authorization } = v1Authorization({ method: 'POST', bucket: BUCKET, key, query, headers }, AK, SECRET);
    // The server counts a request when it is over, whatever its outcome (GET /-/metrics): then nothing more happens to it.
    const completes = async (): Promise<number> => {
      const text = await (await fetch(`${srv.url}/-/metrics`)).text();
      return [...text.matchAll(/^alunite_requests_total\{[^}]*operation="CompleteMultipartUpload"[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    };
    const before = await completes();
    await new Promise<void>((resolve) => {
      const sock = connect(srv.port, '127.0.0.1', () => {
        sock.write(`POST /${BUCKET}/${key}?uploadId=${uploadId} HTTP/1.1\r\nHost: 127.0.0.1\r\nDate: ${headers.date}\r\nContent-Type: application/xml\r\n` +
          `Authorization: ${authorization}\r\nContent-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}`, () => {
          sock.destroy();
          resolve();
        });
      });
      sock.on('error', () => resolve());
    });
    for (const t0 = Date.now(); (await completes()) === before; ) {
      assert.ok(Date.now() - t0 < 120_000, 'the abandoned complete was never counted as over');
      await new Promise((r) => setTimeout(r, 50));
    }
    await assert.rejects(client.head(key), (e: { status: number }) => e.status === 404, 'no object was committed');
    const listed = await client.listParts(key, uploadId);
    assert.equal(listed.parts.length, N, 'the upload and its parts are as they were');
    // The client may complete it again.
    assert.equal((await client.completeMultipartUpload(key, uploadId, parts)).res.status, 200);
    assert.equal(((await client.head(key)).res.headers as Record<string, string>)['content-length'], String(N * PART));
  });
  it('image requests abandoned while queued are not processed for nobody (the next request is not held up)', async () => {
    // A 144-megapixel PNG (about 2 MB), each job ~0.2-0.3 s: 30 requests for it, each closed after 100 ms while
    // most wait for one of the 2 slots. Before, all 30 were still read and decoded in turn (~7 s of work).
    const big = await sharp({ create: { width: 12_000, height: 12_000, channels: 3, background: '#336699' } }).png().toBuffer();
    const small = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#ff0000' } }).png().toBuffer();
    await client.put('img/big.png', big);
    await client.put('img/small.png', small);
    const fetchImage = (key: string, abortMs?: number): Promise<number> =>
      new Promise((resolve) => {
        const req = get({ host: '127.0.0.1', port: srv.port, path: `/${BUCKET}/${key}?x-oss-process=image/resize,w_100/rotate,90`, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(-1));
        });
        req.on('error', () => resolve(-1));
        if (abortMs !== undefined) setTimeout(() => req.destroy(), abortMs);
      });
    // One big job alone, on this machine as loaded as it is now: the bound below scales with it.
    const t0 = Date.now();
    assert.equal(await fetchImage('img/big.png'), 200);
    const one = Date.now() - t0;
    await Promise.all(Array.from({ length: 30 }, () => fetchImage('img/big.png', 100)));
    const started = Date.now();
    assert.equal(await fetchImage('img/small.png'), 200);
    const ms = Date.now() - started;
    // Now: the two jobs already running finish, the abandoned ones are dropped. Before, the ~28 abandoned jobs
    // ran two at a time (~14 big jobs' time); six is far from that, on a slow machine as on a fast one.
    assert.ok(ms < Math.max(3000, 6 * one), `the next image request waited ${ms} ms behind abandoned ones (one big job alone: ${one} ms)`);
    assert.equal(await fetchImage('img/big.png'), 200);
  });
  it('stalled readers of gzip answers hold at most GZIP_MAX_IN_FLIGHT compressors; GETs beyond are sent as they are', async () => {
    // Each compressed answer a client stops reading holds zlib's state and a source block (~0.8 MB, measured);
    // a plain one ~0.1 MB. Before, ~9,500 connections (the default cap) of stalled gzip readers held ~9 GB.
    const text = Buffer.from(randomBytes(8 * 1024 * 1024).toString('hex'));
    await client.put('gz/stalled.txt', text, { headers: { 'Content-Type': 'text/plain' } });
    const request = `GET /${BUCKET}/gz/stalled.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n`;
    const stalled: Socket[] = [];
    try {
      await Promise.all(
        Array.from({ length: GZIP_MAX_IN_FLIGHT + 4 }, () =>
          new Promise<void>((resolve) => {
            const sock = connect(srv.port, '127.0.0.1');
            stalled.push(sock);
            sock.on('error', () => resolve());
            // The head read, nothing more: the answer stalls.
            sock.once('data', () => {
              sock.pause();
              resolve();
            });
            sock.write(request);
          }),
        ),
      );
      const beyond = await getGzip(srv.port, `/${BUCKET}/gz/stalled.txt`);
      // Before: compressed as well (no limit).
      assert.equal(beyond.headers['content-encoding'], undefined);
      assert.equal(beyond.headers['content-length'], String(text.length));
      assert.deepEqual(beyond.body, text);
    } finally {
      for (const sock of stalled) sock.destroy();
    }
    // The stalled answers' compressors are given back when their connections end.
    let again: Awaited<ReturnType<typeof getGzip>> | undefined;
    for (let i = 0; i < 50 && again?.headers['content-encoding'] !== 'gzip'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await getGzip(srv.port, `/${BUCKET}/gz/stalled.txt`);
    }
    assert.equal(again?.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(again.body), text);
  });
});
