// Object operations driven through the real ali-oss client against a real server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { connect } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { v1Authorization } from './helpers/raw-http.js';
import { clientMatrix, crc64, expectOssError, headersOf, md5Base64, md5Hex, extras, rawObjectRequest, sendVerbatim, statusOf, userMeta, xmlText, type NamedClient } from './helpers/oss.js';

const BUCKET = 'objects-bucket';
const OTHER = 'objects-other';

interface GetResult {
  content: Buffer;
  res: { status: number; headers: Record<string, string> };
}

const get = async (client: OSS, key: string, options: Record<string, unknown> = {}): Promise<GetResult> =>
  (await client.get(key, options as OSS.GetObjectOptions)) as unknown as GetResult;

const head = async (client: OSS, key: string, options: Record<string, unknown> = {}): Promise<{ status: number; meta: Record<string, string> | null; res: { headers: Record<string, string> } }> =>
  (await client.head(key, options as OSS.HeadObjectOptions)) as unknown as { status: number; meta: Record<string, string> | null; res: { headers: Record<string, string> } };

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('ali-oss object operations', () => {
  let srv: TestServer;
  let matrix: NamedClient[];
  let client: OSS;

  before(async () => {
    srv = await startTestServer();
    const admin = srv.client();
    await admin.putBucket(BUCKET);
    await admin.putBucket(OTHER);
    matrix = clientMatrix(srv, BUCKET);
    client = matrix[0]!.client;
  });
  after(async () => {
    await srv.stop();
  });

  it('crc64 test helper matches the CRC-64/XZ check value', () => {
    assert.equal(crc64(Buffer.from('123456789')), '11051210869376104954');
    assert.equal(crc64(Buffer.alloc(0)), '0');
  });

  describe('put / get / head / getObjectMeta / delete (every client configuration)', () => {
    it('round-trips body, user metadata and standard headers', async () => {
      for (const { name, client: c } of matrix) {
        const key = `core/${name}/hello world+中文.txt`;
        const body = Buffer.from(`hello from ${name} ✓`);
        const expires = 'Wed, 21 Oct 2037 07:28:00 GMT';
        const put = await c.put(key, body, {
          meta: { author: 'alice', note: 'plain ascii' },
          headers: {
            'Content-Type': 'text/x-custom; charset=utf-8',
            'Content-Disposition': 'attachment; filename="a.txt"',
            'Cache-Control': 'max-age=60',
            'Content-Language': 'en-GB',
            Expires: expires,
          },
        } as unknown as OSS.PutObjectOptions);
        assert.equal(statusOf(put), 200, name);
        const ph = headersOf(put);
        assert.equal(ph.etag, `"${md5Hex(body)}"`, name);
        assert.equal(ph['content-md5'], md5Base64(body), name);
        assert.equal(ph['x-oss-hash-crc64ecma'], crc64(body), name);
        assert.match(ph['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/);

        const got = await get(c, key);
        assert.equal(got.res.status, 200);
        assert.deepEqual(got.content, body, name);
        const gh = got.res.headers;
        assert.equal(gh['content-type'], 'text/x-custom; charset=utf-8');
        assert.equal(gh['content-disposition'], 'attachment; filename="a.txt"');
        assert.equal(gh['cache-control'], 'max-age=60');
        assert.equal(gh['content-language'], 'en-GB');
        assert.equal(gh.expires, expires);
        assert.equal(gh['content-length'], String(body.length));
        assert.equal(gh.etag, `"${md5Hex(body)}"`);
        assert.equal(gh['x-oss-object-type'], 'Normal');
        assert.equal(gh['x-oss-storage-class'], 'Standard');
        assert.equal(gh['x-oss-hash-crc64ecma'], crc64(body));
        assert.equal(gh['accept-ranges'], 'bytes');
        assert.equal(gh['x-oss-meta-author'], 'alice');

        const h = await head(c, key);
        assert.equal(h.status, 200);
        assert.deepEqual(h.meta, { author: 'alice', note: 'plain ascii' }, name);
        assert.equal(h.res.headers['content-length'], String(body.length));
        assert.equal(h.res.headers.etag, `"${md5Hex(body)}"`);
        assert.equal(h.res.headers['x-oss-hash-crc64ecma'], crc64(body));
        assert.equal(h.res.headers['content-md5'], md5Base64(body));
        assert.ok(!Number.isNaN(Date.parse(h.res.headers['last-modified'] ?? '')));

        const meta = await extras(c).getObjectMeta(key);
        assert.equal(meta.status, 200);
        const mh = headersOf(meta);
        assert.equal(mh.etag, `"${md5Hex(body)}"`);
        assert.equal(mh['content-length'], String(body.length));
        assert.equal(mh['last-modified'], h.res.headers['last-modified']);

        const del = await c.delete(key);
        assert.equal(statusOf(del), 204);
        await expectOssError(get(c, key), 'NoSuchKey', 404);
        await expectOssError(head(c, key), 'NoSuchKey', 404);
        await expectOssError(extras(c).getObjectMeta(key), 'NoSuchKey', 404);
        const again = await c.delete(key);
        assert.equal(statusOf(again), 204, 'delete is idempotent');
      }
    });

    it('GET ranges: 206 with Content-Range, invalid/unsatisfiable → 200 whole object, standard behaviour → 416', async () => {
      const body = Buffer.from('0123456789');
      await client.put('range.bin', body);
      for (const { name, client: c } of matrix) {
        const r = await get(c, 'range.bin', { headers: { Range: 'bytes=2-5' } });
        assert.equal(r.res.status, 206, name);
        assert.equal(r.res.headers['content-range'], 'bytes 2-5/10');
        assert.equal(r.content.toString(), '2345');
        assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crc64(body), 'CRC of the whole object on a range');

        const open = await get(c, 'range.bin', { headers: { Range: 'bytes=7-' } });
        assert.equal(open.res.status, 206);
        assert.equal(open.content.toString(), '789');
        const suffix = await get(c, 'range.bin', { headers: { Range: 'bytes=-3' } });
        assert.equal(suffix.res.status, 206);
        assert.equal(suffix.res.headers['content-range'], 'bytes 7-9/10');
        assert.equal(suffix.content.toString(), '789');

        for (const bad of ['bytes=5-2', 'bytes=20-30', 'bytes=5-100', 'lines=1-2', 'bytes=10-']) {
          const whole = await get(c, 'range.bin', { headers: { Range: bad } });
          assert.equal(whole.res.status, 200, `${name} ${bad}`);
          assert.equal(whole.res.headers['content-range'], undefined, bad);
          assert.equal(whole.content.toString(), '0123456789', bad);
        }

        const trimmed = await get(c, 'range.bin', { headers: { Range: 'bytes=5-100', 'x-oss-range-behavior': 'standard' } });
        assert.equal(trimmed.res.status, 206);
        assert.equal(trimmed.res.headers['content-range'], 'bytes 5-9/10');
        assert.equal(trimmed.content.toString(), '56789');
        await expectOssError(get(c, 'range.bin', { headers: { Range: 'bytes=10-20', 'x-oss-range-behavior': 'standard' } }), 'InvalidRange', 416);
      }
    });

    it('conditional GET/HEAD: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', async () => {
      const body = Buffer.from('conditional');
      const put = await client.put('cond.txt', body);
      const etag = headersOf(put).etag!;
      const lm = (await head(client, 'cond.txt')).res.headers['last-modified']!;
      const lmMs = Date.parse(lm);
      const earlier = new Date(lmMs - 3600_000).toUTCString();
      const later = new Date(lmMs + 3600_000).toUTCString();
      for (const { name, client: c } of matrix) {
        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Match': etag } })).res.status, 200, name);
        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Match': etag.replace(/"/g, '') } })).content.toString(), 'conditional');
        const pf = await expectOssError(get(c, 'cond.txt', { headers: { 'If-Match': '"0123456789ABCDEF0123456789ABCDEF"' } }), 'PreconditionFailed', 412);
        assert.match(pf.message, /If-Match/i, 'Condition element is reported');
        await expectOssError(head(c, 'cond.txt', { headers: { 'If-Match': '"nope"' } }), 'PreconditionFailed', 412);

        const nm = await get(c, 'cond.txt', { headers: { 'If-None-Match': etag } });
        assert.equal(nm.res.status, 304, name);
        assert.equal(nm.content.length, 0);
        assert.equal((await head(c, 'cond.txt', { headers: { 'If-None-Match': etag } })).status, 304);
        assert.equal((await get(c, 'cond.txt', { headers: { 'If-None-Match': '"other"' } })).res.status, 200);

        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Modified-Since': lm } })).res.status, 304);
        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Modified-Since': later } })).res.status, 304);
        const modified = await get(c, 'cond.txt', { headers: { 'If-Modified-Since': earlier } });
        assert.equal(modified.res.status, 200);
        assert.equal(modified.content.toString(), 'conditional');

        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Unmodified-Since': lm } })).res.status, 200);
        assert.equal((await get(c, 'cond.txt', { headers: { 'If-Unmodified-Since': later } })).res.status, 200);
        await expectOssError(get(c, 'cond.txt', { headers: { 'If-Unmodified-Since': earlier } }), 'PreconditionFailed', 412);
      }
    });
  });

  it('GET ?objectMeta says the object size in Content-Length (Java SDK getSimplifiedObjectMeta, oss2 get_object_meta), sends no body and ends the connection: nothing after it is read as its bytes', async () => {
    const key = 'meta-pipelined.txt';
    const body = Buffer.from('eleven+byte');
    await client.put(key, body);
    /** A V1-signed request's bytes, as a pipelining client writes them. */
    const request = (method: string, objectMeta: boolean, last: boolean): string => {
      const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString() };
      const query: Array<[string, string]> = objectMeta ? [['objectMeta', '']] : [];
      const { authorization } = v1Authorization({ method, bucket: BUCKET, key, query, headers }, AK, SECRET);
      return `${method} /${BUCKET}/${key}${objectMeta ? '?objectMeta' : ''} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
        `x-oss-date: ${headers['x-oss-date']}\r\nAuthorization: ${authorization}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
    };
    const socket = connect(srv.port, '127.0.0.1');
    await once(socket, 'connect');
    // Three requests written at once on one connection: HEAD ?objectMeta, GET ?objectMeta, then GET of the object.
    socket.write(request('HEAD', true, false) + request('GET', true, false) + request('GET', false, true));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'end');
    let wire = Buffer.concat(chunks);
    /** The next answer on the wire, framed by its Content-Length (none after a HEAD). */
    const next = (afterHead: boolean): { status: number; headers: Map<string, string>; body: Buffer } => {
      const end = wire.indexOf('\r\n\r\n');
      assert.ok(end > 0, `an answer's head, got ${JSON.stringify(wire.toString('latin1').slice(0, 200))}`);
      const [statusLine, ...lines] = wire.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!);
      assert.ok(m, `a status line, got ${JSON.stringify(statusLine)}`);
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = afterHead ? 0 : Number(headers.get('content-length'));
      const bodyBytes = wire.subarray(end + 4, end + 4 + length);
      wire = wire.subarray(end + 4 + length);
      return { status: Number(m[1]), headers, body: bodyBytes };
    };
    const viaHead = next(true);
    assert.equal(viaHead.status, 200);
    assert.equal(viaHead.headers.get('content-length'), String(body.length), 'HEAD ?objectMeta: the object size');
    assert.equal(viaHead.headers.get('etag'), `"${md5Hex(body)}"`);
    const viaGet = next(true);
    assert.equal(viaGet.status, 200);
    assert.equal(viaGet.headers.get('content-length'), String(body.length), 'GET ?objectMeta: the object size, which the SDKs read');
    assert.equal(viaGet.headers.get('connection'), 'close');
    assert.equal(viaGet.headers.get('etag'), `"${md5Hex(body)}"`);
    assert.equal(viaGet.headers.get('x-oss-hash-crc64ecma'), crc64(body));
    // No body bytes, and the GET pipelined after it is not answered on this connection (the client sends it again).
    assert.equal(wire.length, 0, 'nothing else on the wire');
  });

  it('non-ASCII user metadata: latin1 bytes (ali-oss default) and UTF-8 bytes (headerEncoding latin1) both verify', async () => {
    // Default ali-oss writes characters up to U+00FF as single latin1 bytes and signs the text.
    const plain = srv.client({ bucket: BUCKET });
    await plain.put('meta/latin1.txt', Buffer.from('x'), { meta: userMeta({ note: 'ünïcødé ok' }) });
    // headerEncoding 'latin1' makes ali-oss send (and sign) the UTF-8 bytes, as other SDKs do.
    const utf8 = srv.client({ bucket: BUCKET, headerEncoding: 'latin1', authorizationV4: true } as Partial<OSS.Options>);
    await utf8.put('meta/utf8.txt', Buffer.from('x'), { meta: userMeta({ note: '中文 ünïcødé' }) });
    // Values come back byte for byte as sent: the latin1 sender reads its text back unchanged, the UTF-8
    // sender gets its UTF-8 bytes (which node hands over as latin1 text).
    const fromWire = (v: string | undefined): string => Buffer.from(v ?? '', 'latin1').toString('utf8');
    assert.equal((await head(plain, 'meta/latin1.txt')).meta?.note, 'ünïcødé ok');
    assert.equal(fromWire((await head(plain, 'meta/utf8.txt')).meta?.note), '中文 ünïcødé');
    // Values of 96 characters and more are checked for non-ASCII bytes another way (http/listener.ts beyondAscii):
    // long ones, with the non-ASCII bytes at the end only, verify and come back the same.
    const long = `${'a'.repeat(150)}中文 ünïcødé`;
    await utf8.put('meta/utf8-long.txt', Buffer.from('x'), { meta: userMeta({ note: long }) });
    await plain.put('meta/latin1-long.txt', Buffer.from('x'), { meta: userMeta({ note: `${'b'.repeat(150)}ünïcødé` }) });
    assert.equal(fromWire((await head(plain, 'meta/utf8-long.txt')).meta?.note), long);
    assert.equal((await head(plain, 'meta/latin1-long.txt')).meta?.note, `${'b'.repeat(150)}ünïcødé`);
  });

  it('response-content-* query parameters override the returned headers', async () => {
    // ali-oss 6.23 get() ignores a `response` option (only signatureUrl maps it); it passes subres through.
    await client.put('override.txt', Buffer.from('override'), { headers: { 'Content-Type': 'text/plain' } } as unknown as OSS.PutObjectOptions);
    for (const { name, client: c } of matrix) {
      const r = await get(c, 'override.txt', {
        subres: {
          'response-content-type': 'application/x-special',
          'response-content-disposition': 'attachment; filename="x y.txt"',
          'response-cache-control': 'no-store',
          'response-content-language': 'fr',
          'response-expires': 'Thu, 01 Jan 2037 00:00:00 GMT',
          'response-content-encoding': 'identity',
        },
      });
      assert.equal(r.res.status, 200, name);
      assert.equal(r.content.toString(), 'override');
      assert.equal(r.res.headers['content-type'], 'application/x-special', name);
      assert.equal(r.res.headers['content-disposition'], 'attachment; filename="x y.txt"');
      assert.equal(r.res.headers['cache-control'], 'no-store');
      assert.equal(r.res.headers['content-language'], 'fr');
      assert.equal(r.res.headers.expires, 'Thu, 01 Jan 2037 00:00:00 GMT');
      assert.equal(r.res.headers['content-encoding'], 'identity');
    }
    const plain = await get(client, 'override.txt');
    assert.equal(plain.res.headers['content-type'], 'text/plain', 'overrides are not stored');
  });

  it('Content-Encoding is stored and returned as given', async () => {
    const raw = Buffer.from('compressed payload '.repeat(50));
    const gz = gzipSync(raw);
    await client.put('enc.txt.gz', gz, { headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' } } as unknown as OSS.PutObjectOptions);
    const h = await head(client, 'enc.txt.gz');
    assert.equal(h.res.headers['content-encoding'], 'gzip');
    assert.equal(h.res.headers['content-length'], String(gz.length));
    assert.equal(h.res.headers.etag, `"${md5Hex(gz)}"`);
  });

  it('x-oss-object-acl and x-oss-storage-class on put', async () => {
    await client.put('acl-sc.txt', Buffer.from('a'), { headers: { 'x-oss-object-acl': 'public-read', 'x-oss-storage-class': 'IA' } } as unknown as OSS.PutObjectOptions);
    assert.equal((await client.getACL('acl-sc.txt')).acl, 'public-read');
    const h = await head(client, 'acl-sc.txt');
    assert.equal(h.res.headers['x-oss-storage-class'], 'IA');
    await expectOssError(client.put('bad-acl.txt', Buffer.from('a'), { headers: { 'x-oss-object-acl': 'nobody' } } as unknown as OSS.PutObjectOptions), 'InvalidArgument', 400);
    await expectOssError(client.put('bad-sc.txt', Buffer.from('a'), { headers: { 'x-oss-storage-class': 'Tape' } } as unknown as OSS.PutObjectOptions), 'InvalidArgument', 400);
    await expectOssError(head(client, 'bad-acl.txt'), 'NoSuchKey', 404);
  });

  it('Content-MD5 mismatch → InvalidDigest and nothing is stored', async () => {
    for (const { name, client: c } of matrix) {
      const key = `md5/${name}.txt`;
      await expectOssError(
        c.put(key, Buffer.from('actual body'), { headers: { 'Content-MD5': md5Base64('another body') } } as unknown as OSS.PutObjectOptions),
        'InvalidDigest',
        400,
      );
      await expectOssError(head(c, key), 'NoSuchKey', 404);
      const ok = await c.put(key, Buffer.from('actual body'), { headers: { 'Content-MD5': md5Base64('actual body') } } as unknown as OSS.PutObjectOptions);
      assert.equal(statusOf(ok), 200, name);
    }
  });

  it('putStream without a length (chunked) and getStream', async () => {
    for (const { name, client: c } of matrix) {
      const chunks = [Buffer.from('chunk one, '), Buffer.alloc(70_000, 0x61), Buffer.from(', chunk three')];
      const whole = Buffer.concat(chunks);
      const put = await c.putStream(`stream/${name}.bin`, Readable.from(chunks));
      assert.equal(headersOf(put).etag, `"${md5Hex(whole)}"`, name);
      const { stream } = (await c.getStream(`stream/${name}.bin`)) as unknown as { stream: Readable };
      const got: Buffer[] = [];
      for await (const chunk of stream) got.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(got), whole, name);
    }
  });

  it('x-oss-hash-crc64ecma sent by the client is verified', async () => {
    const body = Buffer.from('crc checked body');
    await expectOssError(client.put('crc.txt', body, { headers: { 'x-oss-hash-crc64ecma': '12345' } } as unknown as OSS.PutObjectOptions), 'InvalidCRC64', 400);
    await expectOssError(head(client, 'crc.txt'), 'NoSuchKey', 404);
    const ok = await client.put('crc.txt', body, { headers: { 'x-oss-hash-crc64ecma': crc64(body) } } as unknown as OSS.PutObjectOptions);
    assert.equal(headersOf(ok)['x-oss-hash-crc64ecma'], crc64(body));
  });

  it('x-oss-forbid-overwrite: true → FileAlreadyExists, object unchanged', async () => {
    await client.put('fo.txt', Buffer.from('first'), { headers: { 'x-oss-forbid-overwrite': 'true' } } as unknown as OSS.PutObjectOptions);
    await expectOssError(
      client.put('fo.txt', Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } } as unknown as OSS.PutObjectOptions),
      'FileAlreadyExists',
      409,
    );
    assert.equal((await get(client, 'fo.txt')).content.toString(), 'first');
    await client.put('fo.txt', Buffer.from('third'), { headers: { 'x-oss-forbid-overwrite': 'false' } } as unknown as OSS.PutObjectOptions);
    assert.equal((await get(client, 'fo.txt')).content.toString(), 'third');
  });

  it('empty object: size 0, CRC 0', async () => {
    const put = await client.put('empty.txt', Buffer.alloc(0));
    assert.equal(headersOf(put)['x-oss-hash-crc64ecma'], '0');
    const h = await head(client, 'empty.txt');
    assert.equal(h.res.headers['content-length'], '0');
    assert.equal(h.res.headers.etag, `"${md5Hex('')}"`);
    assert.equal((await get(client, 'empty.txt')).content.length, 0);
  });

  it('deleteMulti: verbose lists every key, quiet lists none; missing keys count as deleted', async () => {
    for (const { name, client: c } of matrix) {
      const keys = [`dm/${name}/a.txt`, `dm/${name}/b&<c>.txt`, `dm/${name}/d e+f.txt`];
      for (const k of keys) await c.put(k, Buffer.from(k));
      const verbose = await c.deleteMulti([...keys, `dm/${name}/missing.txt`]);
      const deleted = (verbose.deleted as unknown as Array<{ Key: string }>).map((d) => d.Key).sort();
      assert.deepEqual(deleted, [...keys, `dm/${name}/missing.txt`].sort(), name);
      for (const k of keys) await expectOssError(head(c, k), 'NoSuchKey', 404);

      for (const k of keys) await c.put(k, Buffer.from(k));
      const quiet = await c.deleteMulti(keys, { quiet: true });
      assert.deepEqual(quiet.deleted, [], name);
      for (const k of keys) await expectOssError(head(c, k), 'NoSuchKey', 404);
    }
  });

  describe('copy', () => {
    it('same bucket, COPY directive keeps source metadata and headers', async () => {
      const body = Buffer.from('copy me');
      await client.put('src/a.txt', body, { meta: { origin: 'src' }, headers: { 'Content-Type': 'text/x-src', 'Cache-Control': 'no-cache' } } as unknown as OSS.PutObjectOptions);
      for (const { name, client: c } of matrix) {
        const res = await c.copy(`dst/${name}.txt`, 'src/a.txt');
        assert.equal(statusOf(res), 200, name);
        assert.equal(res.data?.etag, `"${md5Hex(body)}"`);
        assert.ok(!Number.isNaN(Date.parse(res.data?.lastModified ?? '')), 'LastModified in XML');
        const got = await get(c, `dst/${name}.txt`);
        assert.deepEqual(got.content, body);
        assert.equal(got.res.headers['x-oss-meta-origin'], 'src');
        assert.equal(got.res.headers['content-type'], 'text/x-src');
        assert.equal(got.res.headers['cache-control'], 'no-cache');
        assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crc64(body));
      }
    });

    it('REPLACE directive (meta/headers given) takes the request metadata', async () => {
      await client.put('src/r.txt', Buffer.from('replace'), { meta: { origin: 'src', keep: 'no' }, headers: { 'Content-Type': 'text/x-src' } } as unknown as OSS.PutObjectOptions);
      await client.copy('dst/r.txt', 'src/r.txt', { meta: { fresh: 'yes' }, headers: { 'Content-Type': 'text/x-new' } } as unknown as OSS.CopyObjectOptions);
      const h = await head(client, 'dst/r.txt');
      assert.deepEqual(h.meta, { fresh: 'yes' });
      assert.equal(h.res.headers['content-type'], 'text/x-new');
      assert.equal((await get(client, 'dst/r.txt')).content.toString(), 'replace');
      const src = await head(client, 'src/r.txt');
      assert.deepEqual(src.meta, { origin: 'src', keep: 'no' }, 'source untouched');
    });

    it('to and from another bucket', async () => {
      const other = srv.pathClient({ bucket: OTHER, authorizationV4: true });
      await client.put('cross/src.txt', Buffer.from('cross bucket'), { meta: userMeta({ k: 'v' }) });
      const res = await other.copy('into-other.txt', 'cross/src.txt', BUCKET);
      assert.equal(statusOf(res), 200);
      const got = await get(other, 'into-other.txt');
      assert.equal(got.content.toString(), 'cross bucket');
      assert.equal(got.res.headers['x-oss-meta-k'], 'v');
      await client.copy('cross/back.txt', `/${OTHER}/into-other.txt`);
      assert.equal((await get(client, 'cross/back.txt')).content.toString(), 'cross bucket');
      await expectOssError(client.copy('cross/none.txt', 'cross/does-not-exist.txt'), 'NoSuchKey', 404);
      // A failed source condition names the copy-source header it came from.
      const pf = await expectOssError(
        client.copy('cross/cond.txt', 'cross/src.txt', { headers: { 'x-oss-copy-source-if-match': '"0123456789ABCDEF0123456789ABCDEF"' } } as unknown as OSS.CopyObjectOptions),
        'PreconditionFailed',
        412,
      );
      assert.match(pf.message, /x-oss-copy-source-if-match/i);
      await expectOssError(client.copy('cross/none.txt', 'x.txt', 'no-such-bucket-here'), 'NoSuchBucket', 404);
    });

    it('copy onto itself updates metadata without changing the bytes', async () => {
      const body = Buffer.from('same key');
      await client.put('self.txt', body, { meta: userMeta({ version: '1' }) });
      const before = await head(client, 'self.txt');
      await client.copy('self.txt', 'self.txt', { meta: userMeta({ version: '2', extra: 'x' }) });
      const after = await head(client, 'self.txt');
      assert.deepEqual(after.meta, { version: '2', extra: 'x' });
      assert.equal(after.res.headers.etag, before.res.headers.etag);
      assert.deepEqual((await get(client, 'self.txt')).content, body);
      const pm = await client.putMeta('self.txt', userMeta({ version: '3' }), {});
      assert.equal(statusOf(pm), 200);
      assert.deepEqual((await head(client, 'self.txt')).meta, { version: '3' });
    });

    it('copy-source conditions: 412 on If-Match / If-Unmodified-Since, 304 on If-None-Match / If-Modified-Since', async () => {
      const put = await client.put('cc/src.txt', Buffer.from('conditions'));
      const etag = headersOf(put).etag!;
      const lm = Date.parse((await head(client, 'cc/src.txt')).res.headers['last-modified']!);
      const ok = await client.copy('cc/ok.txt', 'cc/src.txt', { headers: { 'If-Match': etag } } as unknown as OSS.CopyObjectOptions);
      assert.equal(statusOf(ok), 200);
      assert.equal((await get(client, 'cc/ok.txt')).content.toString(), 'conditions');

      await expectOssError(client.copy('cc/no1.txt', 'cc/src.txt', { headers: { 'If-Match': '"00000000000000000000000000000000"' } } as unknown as OSS.CopyObjectOptions), 'PreconditionFailed', 412);
      await expectOssError(
        client.copy('cc/no2.txt', 'cc/src.txt', { headers: { 'If-Unmodified-Since': new Date(lm - 3600_000).toUTCString() } } as unknown as OSS.CopyObjectOptions),
        'PreconditionFailed',
        412,
      );
      const nm = await client.copy('cc/no3.txt', 'cc/src.txt', { headers: { 'If-None-Match': etag } } as unknown as OSS.CopyObjectOptions);
      assert.equal(statusOf(nm), 304);
      const ms = await client.copy('cc/no4.txt', 'cc/src.txt', { headers: { 'If-Modified-Since': new Date(lm + 3600_000).toUTCString() } } as unknown as OSS.CopyObjectOptions);
      assert.equal(statusOf(ms), 304);
      for (const k of ['cc/no1.txt', 'cc/no2.txt', 'cc/no3.txt', 'cc/no4.txt']) await expectOssError(head(client, k), 'NoSuchKey', 404);
    });

    it('copy with x-oss-forbid-overwrite onto an existing key → FileAlreadyExists', async () => {
      await client.put('fo-copy/src.txt', Buffer.from('src'));
      await client.put('fo-copy/dst.txt', Buffer.from('dst'));
      await expectOssError(client.copy('fo-copy/dst.txt', 'fo-copy/src.txt', { headers: { 'x-oss-forbid-overwrite': 'true' } } as unknown as OSS.CopyObjectOptions), 'FileAlreadyExists', 409);
      assert.equal((await get(client, 'fo-copy/dst.txt')).content.toString(), 'dst');
    });
  });

  describe('append', () => {
    it('appends at the right position and reports nextAppendPosition and the whole-object CRC', async () => {
      for (const { name, client: c } of matrix) {
        const key = `append/${name}.log`;
        const a = Buffer.from('abc');
        const b = Buffer.from('defgh');
        const r1 = await c.append(key, a, { meta: userMeta({ kind: 'log' }) } as OSS.AppendObjectOptions);
        assert.equal(String(r1.nextAppendPosition), '3', name);
        assert.equal(headersOf(r1)['x-oss-hash-crc64ecma'], crc64(a));
        const r2 = await c.append(key, b, { position: r1.nextAppendPosition } as OSS.AppendObjectOptions);
        assert.equal(String(r2.nextAppendPosition), '8');
        const whole = Buffer.concat([a, b]);
        assert.equal(headersOf(r2)['x-oss-hash-crc64ecma'], crc64(whole));

        const got = await get(c, key);
        assert.deepEqual(got.content, whole);
        assert.equal(got.res.headers['x-oss-object-type'], 'Appendable');
        assert.equal(got.res.headers['x-oss-next-append-position'], '8');
        assert.equal(got.res.headers['x-oss-meta-kind'], 'log');
        assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crc64(whole));

        await expectOssError(c.append(key, Buffer.from('x'), { position: '3' } as OSS.AppendObjectOptions), 'PositionNotEqualToLength', 409);
        await expectOssError(c.append(key, Buffer.from('x'), { position: '0' } as OSS.AppendObjectOptions), 'PositionNotEqualToLength', 409);
        await expectOssError(c.append(`append/${name}-new.log`, Buffer.from('x'), { position: '5' } as OSS.AppendObjectOptions), 'PositionNotEqualToLength', 409);
        assert.equal((await get(c, key)).content.toString(), 'abcdefgh');
      }
    });

    it('a later append takes x-oss-object-acl; x-oss-meta-* and the storage class stay the first append\'s', async () => {
      // The Go SDK's TestAppendObject: api-docs AppendObject limits only x-oss-storage-class and x-oss-meta-*
      // to the append that creates the object.
      for (const { name, client: c } of matrix) {
        const key = `append/acl-${name}.log`;
        const r1 = await c.append(key, Buffer.from('one,'), {
          meta: userMeta({ my: '1' }),
          headers: { 'x-oss-object-acl': 'public-read-write', 'x-oss-storage-class': 'IA' },
        } as unknown as OSS.AppendObjectOptions);
        assert.equal((await c.getACL(key)).acl, 'public-read-write', name);
        await c.append(key, Buffer.from('two,'), {
          position: r1.nextAppendPosition,
          meta: userMeta({ my: '2' }),
          headers: { 'x-oss-object-acl': 'public-read', 'x-oss-storage-class': 'Standard' },
        } as unknown as OSS.AppendObjectOptions);
        assert.equal((await c.getACL(key)).acl, 'public-read', name);
        const h = await head(c, key);
        assert.equal(h.res.headers['x-oss-meta-my'], '1', name);
        assert.equal(h.res.headers['x-oss-storage-class'], 'IA', name);
        // An append without the header leaves the ACL as it is.
        await c.append(key, Buffer.from('three'), { position: '8' } as OSS.AppendObjectOptions);
        assert.equal((await c.getACL(key)).acl, 'public-read', name);
        assert.equal((await get(c, key)).content.toString(), 'one,two,three');
      }
    });

    it('PositionNotEqualToLength carries x-oss-next-append-position', async () => {
      await client.append('append/pos.log', Buffer.from('12345'));
      const res = await rawAppend(client, 'append/pos.log', 2);
      assert.equal(res.status, 409);
      assert.equal(res.headers['x-oss-next-append-position'], '5');
    });

    it('appending to a Normal object → ObjectNotAppendable; put over an appendable object makes it Normal', async () => {
      await client.put('append/normal.txt', Buffer.from('normal'));
      await expectOssError(client.append('append/normal.txt', Buffer.from('x'), { position: '6' } as OSS.AppendObjectOptions), 'ObjectNotAppendable', 409);
      await client.append('append/turned.txt', Buffer.from('abc'));
      await client.put('append/turned.txt', Buffer.from('now normal'));
      const h = await head(client, 'append/turned.txt');
      assert.equal(h.res.headers['x-oss-object-type'], 'Normal');
      assert.equal(h.res.headers['x-oss-next-append-position'], undefined);
    });
  });

  it('object ACL: default, putACL, getACL, invalid value', async () => {
    await client.put('oacl.txt', Buffer.from('acl'));
    for (const { name, client: c } of matrix) {
      await c.putACL('oacl.txt', 'default' as OSS.ACLType);
      assert.equal((await c.getACL('oacl.txt')).acl, 'default', name);
      for (const acl of ['public-read', 'public-read-write', 'private'] as const) {
        const r = await c.putACL('oacl.txt', acl);
        assert.equal(statusOf(r), 200);
        assert.equal((await c.getACL('oacl.txt')).acl, acl, `${name} ${acl}`);
      }
      await expectOssError(c.putACL('oacl.txt', 'everyone' as OSS.ACLType), 'InvalidArgument', 400);
      await expectOssError(c.getACL('oacl-missing.txt'), 'NoSuchKey', 404);
      await expectOssError(c.putACL('oacl-missing.txt', 'private'), 'NoSuchKey', 404);
    }
    assert.equal((await get(client, 'oacl.txt')).content.toString(), 'acl', 'ACL change keeps the bytes');
  });

  it('symlinks: putSymlink, getSymlink, GET/HEAD through the link, dangling link, NotSymlink', async () => {
    const body = Buffer.from('symlink target body');
    await client.put('sym/target 1+.txt', body, { meta: userMeta({ t: '1' }) });
    for (const { name, client: c } of matrix) {
      const link = `sym/link-${name}`;
      const put = await c.putSymlink(link, 'sym/target 1+.txt', { meta: { l: 'yes' } } as unknown as OSS.PutSymlinkOptions);
      assert.equal(statusOf(put), 200, name);
      const gs = await c.getSymlink(link);
      assert.equal(gs.targetName, 'sym/target 1+.txt', name);
      assert.equal(headersOf(gs)['x-oss-meta-l'], 'yes');
      const got = await get(c, link);
      assert.deepEqual(got.content, body, name);
      const h = await head(c, link);
      assert.equal(h.res.headers['content-length'], String(body.length));
    }
    await client.putSymlink('sym/dangling', 'sym/nothing-here');
    await expectOssError(get(client, 'sym/dangling'), 'SymlinkTargetNotExist', 404);
    await expectOssError(client.getSymlink('sym/target 1+.txt'), 'NotSymlink', 400);
    await expectOssError(client.getSymlink('sym/missing'), 'NoSuchKey', 404);
  });

  it('tagging: x-oss-tagging on put, putObjectTagging, getObjectTagging, deleteObjectTagging', async () => {
    await client.put('tag.txt', Buffer.from('t'), { headers: { 'x-oss-tagging': 'project=alunite&team=a%20b' } } as unknown as OSS.PutObjectOptions);
    const t0 = await extras(client).getObjectTagging('tag.txt');
    assert.deepEqual(t0.tag, { project: 'alunite', team: 'a b' });
    assert.equal((await head(client, 'tag.txt')).res.headers['x-oss-tagging-count'], '2');
    for (const { name, client: c } of matrix) {
      const put = await extras(c).putObjectTagging('tag.txt', { env: 'test', owner: name });
      assert.equal(statusOf(put), 200);
      const got = await extras(c).getObjectTagging('tag.txt');
      assert.deepEqual(got.tag, { env: 'test', owner: name });
      const del = await extras(c).deleteObjectTagging('tag.txt');
      assert.equal(statusOf(del), 204);
      assert.deepEqual((await extras(c).getObjectTagging('tag.txt')).tag, {});
    }
    // ali-oss refuses more than 10 tags itself; send the document it would build. OSS documents the count
    // among the causes of its invalid-tag error (EC 0010-00000217).
    const tags = Array.from({ length: 11 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('');
    await expectOssError(
      rawObjectRequest(client, 'PUT', 'tag.txt', { subres: { tagging: '' }, content: Buffer.from(`<Tagging><TagSet>${tags}</TagSet></Tagging>`), mime: 'xml' }),
      'InvalidTag',
      400,
    );
    assert.deepEqual((await extras(client).getObjectTagging('tag.txt')).tag, {});
    await expectOssError(extras(client).getObjectTagging('tag-missing.txt'), 'NoSuchKey', 404);
  });

  it('unusual keys round-trip through put/get/head/list/copy/delete (every client configuration)', async () => {
    const keys = [
      'ключ/中文/日本語.txt',
      'emoji/😀 smile.txt',
      'plus+sign.txt',
      'space in name.txt',
      'percent%20literal%.txt',
      'question?mark.txt',
      'hash#tag.txt',
      'amp&ersand.txt',
      'equals=sign.txt',
      'semi;colon,comma.txt',
      "quote'\"s.txt",
      'tilde~star*(parens)!.txt',
      'a/b//double-slash.txt',
      'trailing-dot.',
    ];
    for (const { name, client: c } of matrix) {
      for (const k of keys) {
        const key = `weird/${name}/${k}`;
        const body = Buffer.from(`body of ${key}`);
        await c.put(key, body);
        const got = await get(c, key);
        assert.deepEqual(got.content, body, `${name}: ${key}`);
        assert.equal((await head(c, key)).res.headers.etag, `"${md5Hex(body)}"`, key);
        await c.copy(`${key}.copy`, key);
        assert.deepEqual((await get(c, `${key}.copy`)).content, body, `copy of ${key}`);
      }
      const listed = await c.list({ prefix: `weird/${name}/`, 'max-keys': 1000 }, {});
      const expected = keys.flatMap((k) => [`weird/${name}/${k}`, `weird/${name}/${k}.copy`]).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(listed.objects.map((o) => o.name), expected, name);
      for (const k of keys) {
        await c.delete(`weird/${name}/${k}`);
        await expectOssError(head(c, `weird/${name}/${k}`), 'NoSuchKey', 404);
      }
      const dm = await c.deleteMulti(keys.map((k) => `weird/${name}/${k}.copy`));
      assert.equal(dm.deleted?.length, keys.length);
    }
  });

  it('path-traversal-looking keys are just keys and never touch files outside the data dir', async () => {
    const escapeName = `alunite-escape-${process.pid}-${Date.now()}.txt`;
    const keys = ['../../etc/passwd', `../../../../../../tmp/${escapeName}`, '..', 'a/../../b.txt', './dot/./x.txt'];
    // ali-oss signs the key as given but its HTTP layer then resolves the dot segments of the URL, so
    // the server sees another path than the one signed and must refuse (it must not resolve them too).
    await expectOssError(client.put('../../etc/passwd', Buffer.from('x')), 'SignatureDoesNotMatch', 403);
    for (const { name, client: c } of matrix) {
      const missing = await sendVerbatim(c, srv.port, 'GET', '../../etc/passwd');
      assert.equal(missing.status, 404, `${name}: ${missing.body.toString()}`);
      assert.equal(xmlText(missing.body.toString(), 'Code'), 'NoSuchKey');
    }
    for (const { name, client: c } of matrix) {
      for (const key of keys) {
        const body = Buffer.from(`not a system file: ${key} via ${name}`);
        const put = await sendVerbatim(c, srv.port, 'PUT', key, { content: body });
        assert.equal(put.status, 200, `${name} PUT ${key}: ${put.body.toString()}`);
        const got = await sendVerbatim(c, srv.port, 'GET', key);
        assert.equal(got.status, 200, `${name} GET ${key}`);
        assert.deepEqual(got.body, body, `${name}: ${key}`);
        assert.equal(got.headers.etag, `"${md5Hex(body)}"`);
      }
      const listed = await c.list({ prefix: '', 'max-keys': 1000 }, {});
      const names = listed.objects.map((o) => o.name);
      for (const key of keys) assert.ok(names.includes(key), `${name}: ${key} is listed as a key`);
    }
    assert.ok(!existsSync(join('/tmp', escapeName)), 'nothing was written to /tmp');
    for (const f of await walk(srv.dataDir)) {
      const rel = relative(srv.dataDir, f);
      assert.ok(/^(master\.key|callback-key\.pem|reserve\.space|metadata\.sqlite(-wal|-shm|-journal)?|blobs\/[0-9a-f]{2}\/[0-9a-f]{32}|tmp\/[0-9a-f]{32}\.tmp)$/.test(rel), `unexpected file in data dir: ${rel}`);
    }
    const dm = await client.deleteMulti(keys);
    assert.equal(dm.deleted?.length, keys.length);
    for (const key of keys) {
      const gone = await sendVerbatim(client, srv.port, 'HEAD', key);
      assert.equal(gone.status, 404, `${key}: ${JSON.stringify(dm.deleted)}`);
    }
  });

  it('PutObject with If-Modified-Since / If-Unmodified-Since / If-Match / If-None-Match: 400 NotImplemented naming the header, nothing written', async () => {
    // OSS error page 0017-00000245 (and the Go SDK's TestPutObjectNegative: IfModifiedSince on a missing key fails).
    const past = new Date(Date.now() - 86_400_000).toUTCString();
    await client.put('cond-put/existing.txt', Buffer.from('kept'));
    for (const { name, client: c } of matrix) {
      for (const [h, v] of [['If-Modified-Since', past], ['If-Unmodified-Since', past], ['If-Match', '"0123"'], ['If-None-Match', '*']] as const) {
        for (const key of ['cond-put/missing.txt', 'cond-put/existing.txt']) {
          const err = await expectOssError(c.put(key, Buffer.from('new'), { headers: { [h]: v } }), 'NotImplemented', 400);
          assert.match(err.message, /A header you provided implies functionality that is not implemented\./, `${name} ${h}`);
        }
      }
    }
    await expectOssError(client.head('cond-put/missing.txt'), 'NoSuchKey', 404);
    assert.equal((await get(client, 'cond-put/existing.txt')).content.toString(), 'kept');
    const raw = await rawObjectRequest(client, 'PUT', 'cond-put/raw.txt', { content: Buffer.from('x'), headers: { 'If-Match': '"0123"' }, successStatuses: [400] });
    assert.equal(raw.res.headers['x-oss-ec'], '0017-00000245');
    assert.match(String(raw.data), /<Code>NotImplemented<\/Code>[\s\S]*<Header>If-Match<\/Header>/);
  });

  it('AppendObject without a position: 400 MissingArgument "Missing Some Required Arguments.", nothing written', async () => {
    const r = await rawObjectRequest(client, 'POST', 'append-no-position.log', { subres: { append: '' }, content: Buffer.from('zz'), successStatuses: [400] });
    assert.equal(xmlText(String(r.data), 'Code'), 'MissingArgument');
    assert.equal(xmlText(String(r.data), 'Message'), 'Missing Some Required Arguments.');
    assert.equal(xmlText(String(r.data), 'ArgumentName'), 'position');
    await expectOssError(client.head('append-no-position.log'), 'NoSuchKey', 404);
  });

  it('object keys that OSS rejects: too long', async () => {
    await expectOssError(client.put('k'.repeat(1024), Buffer.from('x')), 'InvalidObjectName', 400);
    const ok = await client.put('k'.repeat(1023), Buffer.from('x'));
    assert.equal(statusOf(ok), 200);
  });
});

async function rawAppend(client: OSS, key: string, position: number): Promise<{ status: number; headers: Record<string, string> }> {
  // ali-oss's append throws on 409 without the response headers: send the same request, accepting 409.
  const res = await rawObjectRequest(client, 'POST', key, {
    subres: { append: '', position: String(position) },
    content: Buffer.from('zz'),
    successStatuses: [200, 409],
  });
  return { status: res.status, headers: res.res.headers };
}
