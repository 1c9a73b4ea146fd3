// Findings of the second, independent fuzz pass (docs/operations.md, "Crash, soak and fuzz campaign, wave 2"),
// each reduced to the request that showed it, against a real server.
//
// - A HEAD whose head node's parser refuses (over 16 KiB of headers, here a long x-oss-process, or bytes that are not
//   HTTP/1.1) was answered 400 with an error document after the head. A HEAD's answer has no body, so its client read
//   those bytes as garbage ("Parse Error: Data after `Connection: close`" in node's client) instead of the 400. Found
//   by the x-oss-process and presigned-query generators (seed 6): HEAD /b/obj?x-oss-process=image/éééé… (~27 KB).
// - SelectObject with SQL that ends where a name must follow (`… FROM ossobject.`, `… ossobject AS`, `… WHERE s.`,
//   `CAST(_1 AS`) was 500 InternalError: the parser took the end token as the name and then read past the tokens
//   (TypeError). Found by the select generator (seed 6, mutated `select * from ossobject s where s.name like 'a%'`).
// - A PUT/AppendObject body whose client went away (node destroys the request with Error('aborted'), ECONNRESET) before
//   or while it was read was logged as an internal error when the request was destroyed without node's 'aborted'
//   event: 581 such lines in 15,000 requests with PostgreSQL (chunked framings node refuses, half-closed bodies),
//   where the handler awaits its lookups before it reads the body. Now IncompleteBody, as any body cut short.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ingest } from '../src/domain/ingest.js';
import { AppError } from '../src/errors.js';
import { FsBlobStore } from '../src/store/blob/fs.js';
import { tempDir } from './helpers/tmp.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

/** The bytes the server sends back for `bytes` on a fresh connection, until it closes. */
function exchange(port: number, bytes: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks)));
    sock.end(bytes, 'latin1');
  });
}

/** Status, headers and whatever follows the head of one raw answer. */
function parseAnswer(raw: Buffer): { status: number; headers: Map<string, string>; after: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no complete head in ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]), headers, after: raw.subarray(end + 4) };
}

describe('fuzz wave 2: client errors answered as valid HTTP', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.stop();
  });

  const longProcess = `image/${encodeURIComponent('é'.repeat(3000))}`;

  it('a HEAD over the header limit: 400 with the error in x-oss-err and nothing after the head', async () => {
    const raw = await exchange(srv.port, `HEAD /b/obj?x-oss-process=${longProcess} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const { status, headers, after: rest } = parseAnswer(raw);
    assert.equal(status, 400);
    assert.equal(rest.length, 0, `a HEAD answer carried ${rest.length} bytes after its head`);
    const doc = Buffer.from(headers.get('x-oss-err') ?? '', 'base64').toString('utf8');
    assert.match(doc, /<Code>InvalidRequest<\/Code>/);
    assert.match(doc, /larger than the server accepts/);
  });

  it('a HEAD that is not valid HTTP/1.1: the same, no body', async () => {
    const raw = await exchange(srv.port, 'HEAD /b/obj HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\x01b\r\n\r\n');
    const { status, headers, after: rest } = parseAnswer(raw);
    assert.equal(status, 400);
    assert.equal(rest.length, 0);
    assert.match(Buffer.from(headers.get('x-oss-err') ?? '', 'base64').toString('utf8'), /not valid HTTP\/1\.1/);
  });

  it("node's HTTP client reads the HEAD's 400 (before: Parse Error: Data after `Connection: close`)", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: srv.port, method: 'HEAD', path: `/b/obj?x-oss-process=${longProcess}`, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
  });

  it('a GET over the header limit keeps its error document in the body', async () => {
    const raw = await exchange(srv.port, `GET /b/obj?x-oss-process=${longProcess} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const { status, headers, after: rest } = parseAnswer(raw);
    assert.equal(status, 400);
    assert.equal(Number(headers.get('content-length')), rest.length);
    assert.match(rest.toString('utf8'), /<Code>InvalidRequest<\/Code>/);
  });

  it('SelectObject: SQL cut where a name must follow is 400 InvalidSqlExpression, not 500', async () => {
    const signed = async (method: string, key: string | null, query: Array<[string, string]>, body: string) => {
      const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), 'content-length': String(Buffer.byteLength(body)) };
      headers.authorization = v1Authorization({ method, bucket: 'fz-select', key, query, headers }, AK, SECRET).authorization;
      const qs = query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&');
      return rawRequest(srv.port, { method, path: `/fz-select/${key ?? ''}${qs ? `?${qs}` : ''}`, headers, body });
    };
    assert.equal((await signed('PUT', null, [], '')).status, 200);
    assert.equal((await signed('PUT', 'd.csv', [], 'a,b\n1,2\n')).status, 200);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    for (const sql of ['select * from ossobject.', 'select * from ossobject as', 'select * from ossobject s where s.', 'select cast(_1 as']) {
      const xml = `<SelectRequest><Expression>${b64(sql)}</Expression><InputSerialization><CSV><FileHeaderInfo>None</FileHeaderInfo></CSV></InputSerialization><OutputSerialization><CSV/></OutputSerialization></SelectRequest>`;
      const res = await signed('POST', 'd.csv', [['x-oss-process', 'csv/select']], xml);
      assert.equal(res.status, 400, `${sql}: ${res.status} ${res.body.toString().slice(0, 200)}`);
      assert.equal(errorOf(res)?.Code, 'InvalidSqlExpression', sql);
    }
  });

  it("a body its client left (node's 'aborted', ECONNRESET) is IncompleteBody on every ingest path, before or while it is read", async () => {
    const blobs = await FsBlobStore.open({ root: await tempDir('alunite-ingest-cut-') });
    // What node's HTTP server destroys a request with when its connection goes (abortIncoming) or after a chunk
    // framing it refused: no 'aborted' event when the request was destroyed before anyone listened.
    const left = (): Error => Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const isCutShort = (err: unknown): boolean => err instanceof AppError && err.code === 'IncompleteBody';
    // inline (≤ 64 KiB), a blob hashed on the loop, one hashed off the loop, chunked (no length)
    for (const length of [10, 100_000, 1_000_000, undefined]) {
      const before = new PassThrough();
      before.on('error', () => undefined);
      before.destroy(left());
      await assert.rejects(ingest(blobs, before, { length, maxSize: 5 * 2 ** 30 }, 65536), isCutShort, `destroyed before, length ${length}`);
      const during = new PassThrough();
      const stored = ingest(blobs, during, { length, maxSize: 5 * 2 ** 30 }, 65536);
      during.write(Buffer.alloc(5));
      during.destroy(left());
      await assert.rejects(stored, isCutShort, `destroyed while read, length ${length}`);
    }
  });
});
