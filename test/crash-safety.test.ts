// Robustness (issue 11): inputs that used to end the server process, and connections left hanging after
// an error. The server runs as a child process (bin/alunite), so a crash shows as its exit.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { expectOssError } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const BUCKET = 'crash-bucket';
const CORS_BUCKET = 'crash-cors';

/** A multipart/form-data body from parts given as raw header blocks (so malformed parts can be sent). */
function multipart(parts: Array<{ disposition: string; type?: string; data: string | Buffer }>, boundary = 'XbOuNdArYx'): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: ${p.disposition}\r\n`;
    if (p.type !== undefined) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'latin1'), typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const field = (name: string, value: string): { disposition: string; data: string } => ({ disposition: `form-data; name="${name}"`, data: value });
const fileOf = (data: string | Buffer): { disposition: string; type: string; data: string | Buffer } => ({ disposition: 'form-data; name="file"; filename="a.txt"', type: 'text/plain', data });
const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [{ bucket: BUCKET }] })).toString('base64');
const signedFields = (key: string): Array<{ disposition: string; data: string }> => [
  field('key', key),
  field('OSSAccessKeyId', AK),
  field('policy', policy),
  field('Signature', signPostPolicyV1(SECRET, policy)),
];

/**
 * Sends `first` on one connection, waits for a complete first answer, then sends `rest` (the remainder
 * of a body the server stopped reading, then the next request) and collects what follows until
 * `until` holds or the server closes. The pause makes the unread rest arrive after the answer, as it
 * does from a real client whose body is still in flight.
 */
function rawExchange(port: number, first: Buffer, rest: Buffer, until: (text: string) => boolean, timeoutMs = 30_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    let sentRest = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const m = /Content-Length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(text);
      if (!sentRest && m && text.length >= m.index + m[0].length + Number(m[1])) {
        sentRest = true;
        sock.write(rest, () => undefined);
      }
      if (until(text)) finish(false);
    });
    sock.on('close', () => finish(true));
    sock.on('error', (err) => (done || sentRest ? finish(true) : reject(err)));
    sock.write(first);
  });
}

/** Count of complete HTTP responses (status lines) in a raw exchange. */
const statusLines = (text: string): string[] => text.match(/HTTP\/1\.1 \d{3}[^\r]*/g) ?? [];

describe('crash safety', () => {
  let dataDir: string;
  let srv: SpawnedServer;
  let client: OSS;

  async function alive(): Promise<void> {
    assert.equal(srv.child.exitCode, null, `server exited: ${srv.stderr()}`);
    const res = await rawRequest(srv.port, { method: 'GET', path: '/-/health', headers: { host: `127.0.0.1:${srv.port}` } });
    assert.equal(res.status, 200);
  }

  function signed(method: string, bucket: string | null, key: string | null, query: Array<[string, string]> = [], headers: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { date: new Date().toUTCString(), ...headers };
    const { authorization } = v1Authorization({ method, bucket, key, query, headers: h }, AK, SECRET);
    return { ...h, authorization, host: `127.0.0.1:${srv.port}` };
  }

  async function post(body: { body: Buffer; type: string }, bucket = BUCKET): Promise<RawResponse> {
    return rawRequest(srv.port, { method: 'POST', path: `/${bucket}/`, headers: { host: `127.0.0.1:${srv.port}`, 'content-type': body.type, 'content-length': String(body.body.length) }, body: body.body });
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'alunite-crash-'));
    srv = await spawnServer(['--data', dataDir, '--no-fsync']);
    client = new OSS({ region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, endpoint: `http://localhost:${srv.port}`, sldEnable: true, timeout: 60_000 } as OSS.Options);
    await client.putBucket(BUCKET);
    await client.putBucket(CORS_BUCKET);
    await client.useBucket(BUCKET);
  });
  after(async () => {
    if (srv.child.exitCode !== null) console.error(`server exited ${srv.child.exitCode}: ${srv.stderr()}`);
    await kill9(srv.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('PostObject form parts without a name', () => {
    for (const disposition of ['form-data', 'form-data; name=""', 'form-data; filename="x.txt"']) {
      it(`"${disposition}" is MalformedPOSTRequest, and the server lives`, async () => {
        const form = multipart([field('key', 'k'), { disposition, data: 'zzz' }, fileOf('data')]);
        const res = await post(form);
        assert.equal(res.status, 400, res.body.toString());
        assert.equal(errorOf(res)?.Code, 'MalformedPOSTRequest');
        await alive();
      });
    }
  });

  it('a refused PostObject whose large file part was never read does not end the server', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    for (const [bucket, fields] of [
      ['no-such-bucket-here', signedFields('x')],
      [BUCKET, [field('key', 'x'), field('OSSAccessKeyId', AK), field('policy', policy), field('Signature', 'bogus')]],
      [BUCKET, [field('key', 'x')]],
    ] as const) {
      const form = multipart([...fields, fileOf(big)]);
      const head = `POST /${bucket}/ HTTP/1.1\r\nhost: 127.0.0.1:${srv.port}\r\ncontent-type: ${form.type}\r\ncontent-length: ${form.body.length}\r\n\r\n`;
      // The answer comes while most of the file is still unsent; the rest follows it, as from a browser.
      const cut = 1024 * 1024;
      const { text, closed } = await rawExchange(srv.port, Buffer.concat([Buffer.from(head), form.body.subarray(0, cut)]), form.body.subarray(cut), () => false);
      assert.match(statusLines(text)[0] ?? '', /^HTTP\/1\.1 4\d\d/, text.slice(0, 300));
      assert.match(text, /\r\nConnection: close\r\n/i);
      assert.ok(closed);
      await alive();
    }
  });

  describe('header values with control characters', () => {
    it('a response-* override with CR/LF on a signed GET is InvalidArgument', async () => {
      await client.put('plain.txt', Buffer.from('hello'));
      for (const [q, v] of [['response-content-disposition', 'attachment\r\nX-Evil: 1'], ['response-content-type', 'text/plain\n'], ['response-cache-control', 'a\u0000b'], ['response-expires', '\u007f']]) {
        const query: Array<[string, string]> = [[q, v]];
        const res = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/plain.txt?${q}=${encodeURIComponent(v)}`, headers: signed('GET', BUCKET, 'plain.txt', query) });
        assert.equal(res.status, 400, res.body.toString());
        const err = errorOf(res);
        assert.equal(err?.Code, 'InvalidArgument');
        assert.equal(err?.ArgumentName, q);
        assert.equal(res.headers['x-evil'], undefined);
      }
      // Non-ASCII text is fine: it goes out as UTF-8 bytes.
      const url = client.signatureUrl('plain.txt', { response: { 'content-disposition': 'attachment; filename="résumé.txt"' } } as OSS.SignatureUrlOptions);
      const ok = await fetch(url);
      assert.equal(ok.status, 200);
      await alive();
    });

    for (const name of ['x-oss-meta-note', 'Content-Disposition', 'Cache-Control', 'Content-Type', 'Expires', 'x-oss-content-type', 'Content-Encoding']) {
      it(`a PostObject field ${name} with a newline is InvalidArgument and nothing is stored`, async () => {
        const key = `post-${name.toLowerCase()}`;
        const res = await post(multipart([...signedFields(key), field(name, 'line1\r\nline2'), fileOf('body')]));
        assert.equal(res.status, 400, res.body.toString());
        const err = errorOf(res);
        assert.equal(err?.Code, 'InvalidArgument');
        assert.equal(err?.ArgumentName?.toLowerCase(), name.toLowerCase());
        await expectOssError(client.head(key), 'NoSuchKey', 404);
        await alive();
      });
    }

    it('a PostObject x-oss-meta-* field whose name is not a header token is InvalidArgument', async () => {
      const res = await post(multipart([...signedFields('post-badmeta'), field('x-oss-meta-a b', 'v'), fileOf('body')]));
      assert.equal(res.status, 400, res.body.toString());
      assert.equal(errorOf(res)?.Code, 'InvalidArgument');
      await alive();
    });

    it('a PostObject field with non-ASCII text is stored and read back', async () => {
      const res = await post(multipart([...signedFields('post-utf8'), field('x-oss-meta-note', 'Grüße'), field('Content-Disposition', 'attachment; filename="é.txt"'), fileOf('body')]));
      assert.equal(res.status, 204, res.body.toString());
      const head = await client.head('post-utf8');
      assert.equal((head.res.headers as Record<string, string>)['x-oss-meta-note'], Buffer.from('Grüße', 'utf8').toString('latin1'));
    });

    it('a CORS ExposeHeader with a newline or a non-ASCII character is refused', async () => {
      // (Spaces and other printable ASCII are kept, as OSS keeps them: test/v2-sdk-fidelity.test.ts.)
      for (const expose of ['x-a\nx-b', 'x-a\tx-b', 'x-é']) {
        const xml = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>${expose}</ExposeHeader></CORSRule></CORSConfiguration>`;
        const headers = signed('PUT', CORS_BUCKET, null, [['cors', '']], { 'content-type': 'application/xml' });
        const res = await rawRequest(srv.port, { method: 'PUT', path: `/${CORS_BUCKET}/?cors`, headers: { ...headers, 'content-length': String(Buffer.byteLength(xml)) }, body: xml });
        assert.equal(res.status, 400, res.body.toString());
        assert.equal(errorOf(res)?.Code, 'InvalidArgument');
        assert.equal(errorOf(res)?.ArgumentName, 'ExposeHeader');
      }
      const res = await rawRequest(srv.port, { method: 'GET', path: `/${CORS_BUCKET}/nothing`, headers: { origin: 'http://a.example', host: `127.0.0.1:${srv.port}` } });
      assert.ok(res.status < 500);
      await alive();
    });
  });

  describe('error answers', () => {
    it('a HEAD answered with an error has no body and a bounded x-oss-err', async () => {
      const sig = 'A'.repeat(15_000);
      const res = await rawRequest(srv.port, {
        method: 'HEAD',
        path: `/${BUCKET}/plain.txt`,
        headers: { date: new Date().toUTCString(), authorization: `OSS ${AK}:${sig}`, host: `127.0.0.1:${srv.port}` },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.length, 0);
      const xerr = res.headers['x-oss-err'];
      assert.equal(typeof xerr, 'string');
      assert.ok((xerr as string).length <= 8192, `x-oss-err is ${(xerr as string).length} bytes`);
      assert.equal(errorOf(res)?.Code, 'SignatureDoesNotMatch');
      // ali-oss reads the same answer
      const bad = new OSS({ region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: 'wrong', endpoint: `http://localhost:${srv.port}`, sldEnable: true, bucket: BUCKET } as OSS.Options);
      await expectOssError(bad.head('plain.txt'), 'SignatureDoesNotMatch', 403);
    });

    it('a GET error echoing a huge signature stays bounded', async () => {
      const sig = 'B'.repeat(15_000);
      const res = await rawRequest(srv.port, {
        method: 'GET',
        path: `/${BUCKET}/plain.txt`,
        headers: { date: new Date().toUTCString(), authorization: `OSS ${AK}:${sig}`, host: `127.0.0.1:${srv.port}` },
      });
      assert.equal(res.status, 403);
      assert.ok(res.body.length < 12_000, `error body is ${res.body.length} bytes`);
      assert.equal(errorOf(res)?.Code, 'SignatureDoesNotMatch');
    });
  });

  describe('keep-alive after a too-large small body', () => {
    const cases: Array<[string, string, Array<[string, string]>, number]> = [
      ['PutBucketCors', `/${BUCKET}/?cors`, [['cors', '']], 900 * 1024],
      ['PutBucketPolicy', `/${BUCKET}/?policy`, [['policy', '']], 900 * 1024],
      ['PutObjectTagging', `/${BUCKET}/plain.txt?tagging`, [['tagging', '']], 900 * 1024],
      ['PutBucket', '/crash-new-bucket/', [], 900 * 1024],
    ];
    for (const [name, path, query, size] of cases) {
      it(`${name}: EntityTooLarge, then the next request on the connection is answered`, async () => {
        const key = name === 'PutObjectTagging' ? 'plain.txt' : null;
        const bucket = name === 'PutBucket' ? 'crash-new-bucket' : BUCKET;
        const body = Buffer.alloc(size, 0x20);
        const h = signed('PUT', bucket, key, query, { 'content-type': 'application/xml' });
        const head1 = [`PUT ${path} HTTP/1.1`, ...Object.entries({ ...h, 'content-length': String(body.length) }).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
        const head2 = [`GET /-/health HTTP/1.1`, `host: 127.0.0.1:${srv.port}`].join('\r\n');
        const cut = size - 2048;
        const first = Buffer.concat([Buffer.from(`${head1}\r\n\r\n`), body.subarray(0, cut)]);
        const rest = Buffer.concat([body.subarray(cut), Buffer.from(`${head2}\r\n\r\n`)]);
        const { text, closed } = await rawExchange(srv.port, first, rest, (t) => statusLines(t).length >= 2);
        const lines = statusLines(text);
        if (process.env.DEBUG_CRASH) console.log(name, closed, JSON.stringify(text.slice(0, 400)));
        assert.match(lines[0] ?? '', /^HTTP\/1\.1 400/, text.slice(0, 500));
        assert.match(text, /<Code>EntityTooLarge<\/Code>/);
        // Either the second request is answered, or the first answer said Connection: close and the server closed.
        if (lines.length < 2) {
          assert.ok(closed, `the connection hung after EntityTooLarge: ${text.slice(0, 600)}`);
          assert.match(text, /\r\nConnection: close\r\n/i);
        } else {
          assert.match(lines[1]!, /^HTTP\/1\.1 200/);
        }
      });
    }

    it('ali-oss: putBucketCors too large, then the next call on the same agent succeeds', async () => {
      // ~900 KB of XML: over the 16 KiB limit, under the 1 MiB drain bound, mostly still in flight when refused.
      const rules = Array.from({ length: 10 }, () => ({ allowedOrigin: Array.from({ length: 50 }, (_, i) => `http://o${i}.${'x'.repeat(1800)}.example.com`), allowedMethod: 'GET', allowedHeader: '*' }));
      await expectOssError(client.putBucketCORS(BUCKET, rules), 'EntityTooLarge', 400);
      const r = await client.getBucketInfo(BUCKET);
      assert.equal(r.res.status, 200);
      await client.put('after-cors.txt', Buffer.from('x'));
      await alive();
    });
  });
});
