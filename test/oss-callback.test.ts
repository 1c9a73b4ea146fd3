// Upload callbacks (docs/callbacks.md): after PutObject, CompleteMultipartUpload and PostObject the server POSTs
// the callback body to a loopback callback server this test starts, which verifies the RSA-MD5 signature with
// the public key it fetches from the x-oss-pub-key-url the request names; the upload answers with that
// server's JSON, or 203 CallbackFailed with the object kept. Invalid callback parameters are refused before
// anything is stored; loopback targets are refused unless the operator allows them.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { CALLBACK_KEY_FILE } from '../src/util/callback-key.js';
import { isInternalAddress } from '../src/oss/callback.js';
import { expectOssError, rawObjectRequest } from './helpers/oss.js';
import { parseErrorXml } from './helpers/raw-http.js';
import { signedRequest, succeeds } from './helpers/signed.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { TLS_CERT, TLS_KEY } from './helpers/ops.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'callback-bucket';
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature checked against the public key fetched from x-oss-pub-key-url. */
  verified: boolean;
}

/** A callback server: /ok answers JSON, /status500, /notjson, /slow (never answers), /big (2 MiB) fail as named. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://x');
        const pubKeyUrl = Buffer.from(String(req.headers['x-oss-pub-key-url'] ?? ''), 'base64').toString('utf8');
        let verified = false;
        try {
          const pem = await (await fetch(pubKeyUrl)).text();
          const signed = Buffer.concat([Buffer.from(`${decodeURIComponent(url.pathname)}${url.search}\n`), body]);
          verified = verify('md5', signed, createPublicKey(pem), Buffer.from(String(req.headers.authorization ?? ''), 'base64'));
        } catch {
          verified = false;
        }
        received.push({ path: req.url ?? '', headers: req.headers, body: body.toString('utf8'), verified });
        if (url.pathname === '/status500') return res.writeHead(500).end('{"no":1}');
        if (url.pathname === '/notjson') return res.writeHead(200, { 'Content-Type': 'text/plain' }).end('not json');
        if (url.pathname === '/slow') return; // never answers: the server's callback timeout ends it
        if (url.pathname === '/big') return res.writeHead(200).end(`"${'x'.repeat(2 * 1024 * 1024)}"`);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Status: 'OK', verified, got: body.toString('utf8') }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('upload callbacks', () => {
  let srv: TestServer;
  let strict: TestServer;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let client: OSS;

  before(async () => {
    rx = await startReceiver();
    // The suite's callback server is on loopback: the operator allows it. The default timeout (5 s) stays, so a
    // slow loopback answer on a busy machine is not a false CallbackFailed; /slow never answers at all.
    srv = await startTestServer({ callbacks: { allowHosts: ['127.0.0.1', 'localhost'] } });
    strict = await startTestServer();
    client = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
    await strict.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv?.stop();
    await strict?.stop();
    await rx?.close();
  });

  const exists = async (key: string, c: OSS = client): Promise<boolean> => {
    try {
      await c.head(key);
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  };

  test('PutObject (ali-oss put): signed form body with system and custom variables; the JSON answer is relayed', async () => {
    const before = rx.received.length;
    const data = Buffer.from('hello callback');
    const result = await client.put('dir/a b.txt', data, {
      mime: 'text/plain',
      callback: {
        url: `${rx.url}/ok?from=put`,
        host: 'app.example.com',
        body: 'bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}&my=${x:my}&none=${x:none}',
        customValue: { my: 'v 1&2' },
      },
    } as OSS.PutObjectOptions);
    const data2 = (result as unknown as { data: { Status: string; verified: boolean; got: string } }).data;
    assert.equal(data2.Status, 'OK');
    assert.equal(data2.verified, true, 'the signature verifies with the served public key');
    assert.equal(rx.received.length, before + 1);
    const got = rx.received.at(-1)!;
    assert.equal(got.path, '/ok?from=put');
    assert.equal(got.headers.host, 'app.example.com');
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(got.body);
    assert.equal(form.get('bucket'), BUCKET);
    assert.equal(form.get('object'), 'dir/a b.txt');
    assert.equal(form.get('size'), String(data.length));
    assert.equal(form.get('mimeType'), 'text/plain');
    assert.equal(form.get('my'), 'v 1&2');
    assert.equal(form.get('none'), '');
    const head = await client.head('dir/a b.txt');
    const etag = (head.res.headers as Record<string, string>).etag;
    assert.equal(`"${form.get('etag')}"`, etag);
    assert.equal((result.res.headers as Record<string, string>).etag, etag, 'the upload headers stay on the callback answer');
  });

  test('application/json body: variables substituted as JSON values', async () => {
    const result = await client.put('j.json', Buffer.from('{}'), {
      callback: { url: `${rx.url}/ok`, body: '{"bucket":${bucket},"object":${object},"size":${size},"v":${x:v}}', contentType: 'application/json', customValue: { v: 'q"uote' } },
    } as OSS.PutObjectOptions);
    const got = JSON.parse((result as unknown as { data: { got: string } }).data.got) as Record<string, unknown>;
    assert.deepEqual(got, { bucket: BUCKET, object: 'j.json', size: 2, v: 'q"uote' });
    assert.equal(rx.received.at(-1)!.headers['content-type'], 'application/json');
  });

  test('CompleteMultipartUpload (ali-oss multipartUpload with callback)', async () => {
    const data = Buffer.alloc(250 * 1024, 7);
    const result = await client.multipartUpload('mp.bin', data, {
      partSize: 100 * 1024,
      callback: { url: `${rx.url}/ok?mp=1`, body: 'object=${object}&size=${size}' },
    } as OSS.MultipartUploadOptions);
    const body = (result as unknown as { data: { Status: string; verified: boolean; got: string } }).data;
    assert.equal(body.Status, 'OK');
    assert.equal(body.verified, true);
    assert.equal(body.got, `object=mp.bin&size=${data.length}`);
  });

  test('presigned PUT URL with callback / callback-var query parameters', async () => {
    const path = srv.pathClient({ bucket: BUCKET });
    const url = path.signatureUrl('signed.txt', {
      method: 'PUT',
      expires: 600,
      callback: { url: `${rx.url}/ok?signed=1`, body: 'object=${object}&who=${x:who}', customValue: { who: 'me' } },
    } as unknown as OSS.SignatureUrlOptions);
    const res = await fetch(url, { method: 'PUT', body: Buffer.from('presigned') });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal((JSON.parse(text) as { got: string }).got, 'object=signed.txt&who=me');
  });

  test('PostObject: callback form field and x: variables', async () => {
    await srv.client().putBucketACL(BUCKET, 'public-read-write');
    try {
      const boundary = 'cbboundary';
      const part = (name: string, value: string, filename?: string): string =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
      const body = part('key', 'posted.txt') +
        part('callback', b64({ callbackUrl: `${rx.url}/ok?post=1`, callbackBody: 'object=${object}&k=${x:k}' })) +
        part('x:k', 'form value') + part('file', 'posted bytes', 'f.txt') + `--${boundary}--\r\n`;
      const res = await fetch(`${srv.url}/${BUCKET}`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.equal((JSON.parse(text) as { got: string }).got, 'object=posted.txt&k=form%20value');
    } finally {
      await srv.client().putBucketACL(BUCKET, 'private');
    }
  });

  test("PostObject naming a bucket callback policy: the policy's callback, with the form's x: fields as variables", async () => {
    const named = b64({ callbackUrl: `${rx.url}/ok?named=1`, callbackBody: 'object=${object}&k=${x:k}' });
    const policy = `<BucketCallbackPolicy><PolicyItem><PolicyName>form</PolicyName><Callback>${named}</Callback><CallbackVar></CallbackVar></PolicyItem></BucketCallbackPolicy>`;
    succeeds(await signedRequest(srv.port, 'PUT', BUCKET, null, [['policy', ''], ['comp', 'callback']], { body: policy }));
    await srv.client().putBucketACL(BUCKET, 'public-read-write');
    try {
      const boundary = 'cbboundary';
      const part = (name: string, value: string, filename?: string): string =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
      const body = part('key', 'posted-named.txt') + part('callback', b64({ callbackPolicy: 'form' })) +
        part('x:k', 'form value') + part('file', 'posted bytes', 'f.txt') + `--${boundary}--\r\n`;
      const res = await fetch(`${srv.url}/${BUCKET}`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      // Before, the form's fields were not passed to a named callback: `k=` came back empty.
      assert.equal((JSON.parse(text) as { got: string }).got, 'object=posted-named.txt&k=form%20value');
    } finally {
      await srv.client().putBucketACL(BUCKET, 'private');
    }
  });

  test('a failing callback answers 203 CallbackFailed and the object stays written', async () => {
    const closed = await closedPort();
    for (const [target, message] of [
      [`${rx.url}/status500`, /Error status : 500/],
      [`${rx.url}/notjson`, /not valid json/],
      [`${rx.url}/slow`, /Cost too long time/],
      [`${rx.url}/big`, /too long content-length/],
      [`http://127.0.0.1:${closed}/x`, /Error status : -1/],
    ] as const) {
      const key = `fail-${target.split('/').pop()}`;
      const err = await expectOssError(client.put(key, Buffer.from('kept'), { callback: { url: target, body: 'o=${object}' } } as OSS.PutObjectOptions), 'CallbackFailed', 203);
      assert.match(err.message, message);
      assert.equal(await exists(key), true, `${key} is kept`);
    }
  });

  test('several URLs: the first that succeeds answers', async () => {
    const closed = await closedPort();
    const result = await client.put('multi.txt', Buffer.from('m'), {
      callback: { url: `http://127.0.0.1:${closed}/a;${rx.url}/ok?second=1`, body: 'o=${object}' },
    } as OSS.PutObjectOptions);
    assert.equal((result as unknown as { data: { got: string } }).data.got, 'o=multi.txt');
  });

  test('invalid callback parameters are refused (400) before anything is stored', async () => {
    const put = (key: string, headers: Record<string, string>): Promise<unknown> =>
      rawObjectRequest(client, 'PUT', key, { headers, content: Buffer.from('x') });
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['bad-b64', { 'x-oss-callback': '!!!not base64' }, /not base64 encoded/],
      ['not-json', { 'x-oss-callback': Buffer.from('{oops').toString('base64') }, /not json format/],
      ['no-body', { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok` }) }, /callbackBody/],
      ['six-urls', { 'x-oss-callback': b64({ callbackUrl: Array(6).fill(`${rx.url}/ok`).join(';'), callbackBody: 'a' }) }, /more than 5/],
      ['bad-url', { 'x-oss-callback': b64({ callbackUrl: 'ftp://x/y', callbackBody: 'a' }) }, /callbackUrl/],
      ['bad-type', { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok`, callbackBody: 'a', callbackBodyType: 123 }) }, /callbackBodyType/],
      ['bad-json-body', { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok`, callbackBody: '{"a":"${bucket}"}', callbackBodyType: 'application/json' }) }, /not json format/],
      ['bad-var', { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok`, callbackBody: 'a' }), 'x-oss-callback-var': 'e30' + '{{' }, /callback-var/],
      ['huge', { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok`, callbackBody: 'a'.repeat(9000) }) }, /not json format/],
      // One variable named 700 times: 2 MiB once substituted, refused before it is built (or the upload read).
      ['amplified', {
        'x-oss-callback': b64({ callbackUrl: `${rx.url}/ok`, callbackBody: '${x:a}'.repeat(700) }),
        'x-oss-callback-var': b64({ 'x:a': 'A'.repeat(3000) }),
      }, /once its variables are substituted/],
    ];
    const before = rx.received.length;
    for (const [key, headers, message] of cases) {
      const err = await expectOssError(put(`invalid-${key}`, headers), 'InvalidArgument', 400);
      assert.match(err.message, message, key);
      assert.equal(await exists(`invalid-${key}`), false, `${key} not stored`);
    }
    assert.equal(rx.received.length, before, 'no callback was sent');
  });

  test('an empty callbackUrl means no callback: a plain 200', async () => {
    const res = await rawObjectRequest(client, 'PUT', 'empty-url', { headers: { 'x-oss-callback': b64({ callbackUrl: '', callbackBody: 'a' }) }, content: Buffer.from('x') });
    assert.equal(res.status, 200);
    assert.equal(await exists('empty-url'), true);
  });

  test('SSRF: by default loopback targets are not called (a literal address 400 up front, a name 203 with the object kept)', async () => {
    const c = strict.client({ bucket: BUCKET });
    const before = rx.received.length;
    const port = new URL(rx.url).port;
    // Literal internal addresses (also in IPv6 and numeric forms): OSS's "Private address is forbidden to callback."
    for (const target of [`${rx.url}/ok`, `http://[::1]:${port}/ok`, `http://[::ffff:127.0.0.1]:${port}/ok`, `http://2130706433:${port}/ok`]) {
      const err = await expectOssError(rawObjectRequest(c, 'PUT', 'ssrf-literal.txt', {
        headers: { 'x-oss-callback': b64({ callbackUrl: target, callbackBody: 'o=${object}' }) },
        content: Buffer.from('s'),
      }), 'InvalidArgument', 400);
      assert.match(err.message, /Private address is forbidden to callback\./, target);
    }
    assert.equal(await exists('ssrf-literal.txt', c), false);
    // A name is checked on the addresses the connection uses: the upload is stored, the callback fails.
    const res = await rawObjectRequest(c, 'PUT', 'ssrf.txt', {
      headers: { 'x-oss-callback': b64({ callbackUrl: `http://localhost:${port}/ok`, callbackBody: 'o=${object}' }) },
      content: Buffer.from('s'),
      successStatuses: [203],
    });
    assert.equal(res.status, 203);
    assert.match(parseErrorXml(Buffer.from(res.data as Buffer).toString('utf8')).Message!, /not allowed/);
    assert.equal(rx.received.length, before);
    assert.equal(await exists('ssrf.txt', c), true);
  });

  test('the public key is served under /-/ and kept in the data directory (0600)', async () => {
    const res = await fetch(`${srv.url}/-/callback/public-key.pem`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^-----BEGIN PUBLIC KEY-----/);
    const st = await stat(join(srv.dataDir, CALLBACK_KEY_FILE));
    assert.equal(st.mode & 0o777, 0o600);
  });

  test('an explicit Deny on oss:PutObject: 403 and no callback is sent', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('cb-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/denied/*`] },
    ));
    const before = rx.received.length;
    await expectOssError(user.oss(BUCKET).put('denied/x', Buffer.from('d'), { callback: { url: `${rx.url}/ok`, body: 'o=${object}' } } as OSS.PutObjectOptions), 'AccessDenied', 403);
    assert.equal(rx.received.length, before);
    assert.equal(await exists('denied/x'), false);
  });

  test('https callback URLs: the certificate is verified (a private CA by option); callbackSNI sends the host as SNI', async () => {
    const cert = await readFile(TLS_CERT, 'utf8');
    const seen: Array<{ sni: string | false | null; host: string | undefined }> = [];
    const tls = createTlsServer({ cert, key: await readFile(TLS_KEY, 'utf8') }, (req, res) => {
      seen.push({ sni: (req.socket as TLSSocket).servername, host: req.headers.host });
      req.resume();
      req.on('end', () => res.writeHead(200).end('{"tls":true}'));
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as AddressInfo).port;
    const trusting = await startTestServer({ callbacks: { allowHosts: ['localhost', '127.0.0.1'], ca: cert } });
    try {
      await trusting.client().putBucket(BUCKET);
      const c = trusting.client({ bucket: BUCKET });
      const withSni = await c.put('tls-sni', Buffer.from('t'), { callback: { url: `https://localhost:${port}/ok`, body: 'o=${object}', host: 'localhost', callbackSNI: true } } as OSS.PutObjectOptions);
      assert.deepEqual((withSni as unknown as { data: unknown }).data, { tls: true });
      assert.deepEqual(seen.at(-1), { sni: 'localhost', host: 'localhost' });
      await c.put('tls-nosni', Buffer.from('t'), { callback: { url: `https://localhost:${port}/ok`, body: 'o=${object}' } } as OSS.PutObjectOptions);
      assert.equal(seen.at(-1)!.sni, false, 'no SNI without callbackSNI');
      // A server without that CA does not trust the certificate: the callback fails, the object stays.
      const err = await expectOssError(client.put('tls-untrusted', Buffer.from('t'), { callback: { url: `https://localhost:${port}/ok`, body: 'o=${object}' } } as OSS.PutObjectOptions), 'CallbackFailed', 203);
      assert.match(err.message, /Error status : -1\. [A-Z_]+/);
      assert.equal(await exists('tls-untrusted'), true);
    } finally {
      await trusting.stop();
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  });

  test('the 203 error document is an OSS error', async () => {
    const res = await rawObjectRequest(client, 'PUT', 'doc-203', {
      headers: { 'x-oss-callback': b64({ callbackUrl: `${rx.url}/status500`, callbackBody: 'a' }) },
      content: Buffer.from('x'),
      successStatuses: [203],
    });
    assert.equal(res.status, 203);
    assert.equal(parseErrorXml(Buffer.from(res.data as Buffer).toString('utf8')).Code, 'CallbackFailed');
    assert.ok(res.res.headers.etag, 'the upload ETag is on the 203 answer');
  });
});

describe('callback targets: which addresses are internal', () => {
  test('private, loopback and the IPv6 forms carrying an IPv4 address are internal; public addresses are not', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', 'fe80::1', 'fec0::1', 'feff::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::1',
      // SIIT's IPv4-translated form (::ffff:0:a.b.c.d, RFC 2765) and Teredo (2001::/32, an IPv4 inside): more IPv6
      // forms that carry an IPv4 address.
      '::ffff:0:7f00:1', '::ffff:0:10.0.0.1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'not-an-ip']) {
      assert.equal(isInternalAddress(ip), true, ip);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '::ffff:8.8.8.8', '2606:4700::1111', '2001:4860::8888', '2001:db9::1']) assert.equal(isInternalAddress(ip), false, ip);
  });
});
