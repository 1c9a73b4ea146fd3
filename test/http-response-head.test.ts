// The head of every answer goes out in one piece (http/response-write.ts write): each header once, whatever the case
// of its name, Content-Length equal to the bytes sent, the OSS headers on OSS answers, `Connection: close`
// when an unread body cannot be drained. Checked on the raw bytes a client receives.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseErrorXml, queryString, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'head-bucket';

interface Answer {
  status: number;
  /** Header lines in wire order, names as sent. */
  lines: Array<[string, string]>;
  body: Buffer;
  closedByServer: boolean;
}

function one(lines: Array<[string, string]>, name: string): string | undefined {
  const found = lines.filter(([k]) => k.toLowerCase() === name);
  assert.ok(found.length <= 1, `${name} sent ${found.length} times`);
  return found[0]?.[1];
}

describe('answer heads on the wire', () => {
  let srv: TestServer;

  function signedHead(method: string, key: string, extra: string[] = [], query: Array<[string, string]> = []): string {
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
    const { authorization } = v1Authorization({ method, bucket: BUCKET, key, headers, query }, AK, SECRET);
    return [`${method} /${BUCKET}/${key}${queryString(query)} HTTP/1.1`, `Host: ${headers.host}`, `x-oss-date: ${headers['x-oss-date']}`, `Authorization: ${authorization}`, ...extra].join('\r\n') + '\r\n\r\n';
  }

  /** Sends the bytes on a new connection and parses the one answer (body by Content-Length, or to the close; `untilClose`: wait for the close). */
  function exchange(bytes: string | Buffer, method = 'GET', untilClose = false): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const socket = connect(srv.port, '127.0.0.1');
      let raw = Buffer.alloc(0);
      let done = false;
      const finish = (closedByServer: boolean): void => {
        if (done) return;
        const end = raw.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
        const lines = headerLines.map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
        const lengthLine = lines.find(([k]) => k.toLowerCase() === 'content-length');
        const body = raw.subarray(end + 4);
        const want = method === 'HEAD' ? 0 : lengthLine ? Number(lengthLine[1]) : Number.POSITIVE_INFINITY;
        if ((body.length < want || untilClose) && !closedByServer) return;
        done = true;
        clearTimeout(timer);
        resolve({ status: Number(statusLine!.split(' ')[1]), lines, body: body.subarray(0, Math.min(body.length, want)), closedByServer });
        if (!closedByServer) socket.destroy();
      };
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no complete answer in 60 s: ${raw.toString('latin1').slice(0, 300)}`));
      }, 60_000);
      socket.on('data', (d: Buffer) => {
        raw = Buffer.concat([raw, d]);
        finish(false);
      });
      socket.on('error', reject);
      socket.on('end', () => finish(true));
      socket.write(bytes);
    });
  }

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    const c = srv.client({ bucket: BUCKET });
    await c.put('small', Buffer.alloc(4096, 7), { headers: { 'Content-Type': 'text/plain' } });
    await c.put('large', Buffer.alloc(3 * 1024 * 1024, 9));
  });
  after(async () => {
    await srv.stop();
  });

  test('GET of a small object: the OSS headers once each, Content-Length the bytes sent', async () => {
    const a = await exchange(signedHead('GET', 'small'));
    assert.equal(a.status, 200);
    const names = a.lines.map(([k]) => k.toLowerCase());
    assert.equal(new Set(names).size, names.length, `a header sent twice: ${names.join(', ')}`);
    assert.equal(one(a.lines, 'server'), 'AliyunOSS');
    assert.match(one(a.lines, 'x-oss-request-id') ?? '', /^[0-9A-F]{24}$/);
    assert.match(one(a.lines, 'x-oss-server-time') ?? '', /^\d+$/);
    assert.ok(one(a.lines, 'date'));
    assert.equal(one(a.lines, 'content-length'), '4096');
    assert.equal(one(a.lines, 'content-type'), 'text/plain');
    assert.equal(one(a.lines, 'transfer-encoding'), undefined);
    assert.deepEqual(a.body, Buffer.alloc(4096, 7));
  });

  test('a response-content-type override replaces the stored type (one Content-Type)', async () => {
    const a = await exchange(signedHead('GET', 'small', [], [['response-content-type', 'image/png']]));
    assert.equal(a.status, 200);
    assert.equal(one(a.lines, 'content-type'), 'image/png');
  });

  test('HEAD: Content-Length is the object size, no body', async () => {
    const a = await exchange(signedHead('HEAD', 'large'), 'HEAD');
    assert.equal(a.status, 200);
    assert.equal(one(a.lines, 'content-length'), String(3 * 1024 * 1024));
    assert.equal(a.body.length, 0);
  });

  test('HEAD of an endpoint with a body in one piece says the length GET sends (the callback public key)', async () => {
    const get = await exchange(`GET /-/callback/public-key.pem HTTP/1.1\r\nHost: localhost:${srv.port}\r\n\r\n`);
    const head = await exchange(`HEAD /-/callback/public-key.pem HTTP/1.1\r\nHost: localhost:${srv.port}\r\n\r\n`, 'HEAD');
    assert.equal(get.status, 200);
    assert.equal(head.status, 200);
    assert.ok(get.body.length > 0);
    assert.equal(one(get.lines, 'content-length'), String(get.body.length));
    assert.equal(one(head.lines, 'content-length'), String(get.body.length));
    assert.equal(head.body.length, 0);
  });

  test('GET of a file-backed object: Content-Length, not chunked, every byte', async () => {
    const a = await exchange(signedHead('GET', 'large'));
    assert.equal(a.status, 200);
    assert.equal(one(a.lines, 'content-length'), String(3 * 1024 * 1024));
    assert.equal(one(a.lines, 'transfer-encoding'), undefined);
    assert.deepEqual(a.body, Buffer.alloc(3 * 1024 * 1024, 9));
  });

  test('an error: Content-Length is the document\'s bytes and x-oss-request-id its RequestId', async () => {
    const a = await exchange(signedHead('GET', 'missing'));
    assert.equal(a.status, 404);
    assert.equal(Number(one(a.lines, 'content-length')), a.body.length);
    const err = parseErrorXml(a.body.toString('utf8'));
    assert.equal(err.Code, 'NoSuchKey');
    assert.equal(err.RequestId, one(a.lines, 'x-oss-request-id'));
  });

  test('DELETE: 204 with Content-Length 0', async () => {
    await srv.client({ bucket: BUCKET }).put('gone', Buffer.from('x'));
    const a = await exchange(signedHead('DELETE', 'gone'));
    assert.equal(a.status, 204);
    assert.equal(one(a.lines, 'content-length'), '0');
    assert.equal(a.body.length, 0);
  });

  test('CORS headers on an actual request come once each', async () => {
    await srv.client({ bucket: BUCKET }).putBucketCORS(BUCKET, [{ allowedOrigin: '*', allowedMethod: ['GET'], allowedHeader: '*', exposeHeader: ['ETag'], maxAgeSeconds: '60' }]);
    const a = await exchange(signedHead('GET', 'small', ['Origin: https://app.example']));
    assert.equal(a.status, 200);
    const names = a.lines.map(([k]) => k.toLowerCase());
    assert.equal(new Set(names).size, names.length, `a header sent twice: ${names.join(', ')}`);
    assert.ok(one(a.lines, 'access-control-allow-origin'));
  });

  test('a UTF-8 Content-Disposition goes back byte for byte on a small object, stored or asked for (node once re-encoded it as latin1)', async () => {
    const text = 'attachment; filename="文件.txt"';
    const wire = Buffer.from(text, 'utf8').toString('latin1');
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-disposition': text };
    const { authorization } = v1Authorization({ method: 'PUT', bucket: BUCKET, key: 'named', headers }, AK, SECRET);
    const put = [`PUT /${BUCKET}/named HTTP/1.1`, `Host: ${headers.host}`, `x-oss-date: ${headers['x-oss-date']}`, `Authorization: ${authorization}`, `Content-Disposition: ${wire}`, 'Content-Length: 5'].join('\r\n') + '\r\n\r\nhello';
    assert.equal((await exchange(Buffer.from(put, 'latin1'))).status, 200);
    const stored = await exchange(signedHead('GET', 'named'));
    assert.equal(stored.status, 200);
    assert.equal(Buffer.from(one(stored.lines, 'content-disposition') ?? '', 'latin1').toString('utf8'), text);
    assert.equal(stored.body.toString(), 'hello');
    const asked = await exchange(signedHead('GET', 'small', [], [['response-content-disposition', text]]));
    assert.equal(Buffer.from(one(asked.lines, 'content-disposition') ?? '', 'latin1').toString('utf8'), text);
  });

  test('a refused upload whose declared body is too big to drain: Connection: close, and the server closes', async () => {
    // 8 MiB declared, 16 bytes sent: a missing bucket refuses it before reading the body.
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
    const { authorization } = v1Authorization({ method: 'PUT', bucket: 'no-such-bucket-here', key: 'k', headers }, AK, SECRET);
    const head = [`PUT /no-such-bucket-here/k HTTP/1.1`, `Host: ${headers.host}`, `x-oss-date: ${headers['x-oss-date']}`, `Authorization: ${authorization}`, `Content-Length: ${8 * 1024 * 1024}`].join('\r\n') + '\r\n\r\n';
    const a = await exchange(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.alloc(16)]), 'PUT', true);
    assert.equal(a.status, 404);
    assert.equal(one(a.lines, 'connection'), 'close');
    assert.equal(a.closedByServer, true);
    assert.equal(parseErrorXml(a.body.toString('utf8')).Code, 'NoSuchBucket');
  });
});
