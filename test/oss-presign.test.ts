// Presigned URLs made by ali-oss (signatureUrl V1, signatureUrlV4) fetched with plain fetch, and
// anonymous (unsigned) requests honouring bucket and object ACLs.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { startTestServer, type TestServer } from './helpers/server.js';
import { md5Hex, xmlText } from './helpers/oss.js';

const BUCKET = 'presign-bucket';

interface FetchResult {
  status: number;
  headers: Headers;
  body: string;
}

async function send(url: string, init: RequestInit = {}): Promise<FetchResult> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function assertError(res: FetchResult, status: number, code: string, message?: string): void {
  assert.equal(res.status, status, res.body);
  assert.equal(xmlText(res.body, 'Code'), code, res.body);
  if (message !== undefined) assert.equal(xmlText(res.body, 'Message'), message);
  assert.equal(xmlText(res.body, 'RequestId'), res.headers.get('x-oss-request-id'));
}

// @types/ali-oss declares signatureUrlV4's request argument loosely; this is the shape ali-oss uses.
type SignV4 = (method: string, expires: number, request?: { headers?: Record<string, string>; queries?: Record<string, string> }, objectName?: string, additionalHeaders?: string[]) => Promise<string>;
const signV4 = (client: OSS): SignV4 => (client as unknown as { signatureUrlV4: SignV4 }).signatureUrlV4.bind(client);

describe('presigned URLs (ali-oss signatureUrl / signatureUrlV4) fetched with plain fetch', () => {
  let srv: TestServer;
  let client: OSS;
  let signer: OSS;

  before(async () => {
    srv = await startTestServer();
    client = srv.client({ bucket: BUCKET });
    await client.putBucket(BUCKET);
    signer = srv.pathClient({ bucket: BUCKET });
    await client.put('docs/readme.txt', Buffer.from('presigned hello'), { headers: { 'Content-Type': 'text/plain' } } as unknown as OSS.PutObjectOptions);
    await client.put('docs/hello world+中文.txt', Buffer.from('unicode key'));
  });
  after(async () => {
    await srv.stop();
  });

  it('signatureUrl(key) GET works without any other credentials', async () => {
    const url = signer.signatureUrl('docs/readme.txt');
    assert.match(url, /^http:\/\/localhost:\d+\/presign-bucket\/docs\/readme\.txt\?OSSAccessKeyId=/);
    const res = await send(url);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'presigned hello');
    assert.equal(res.headers.get('etag'), `"${md5Hex('presigned hello')}"`);

    const uni = await send(signer.signatureUrl('docs/hello world+中文.txt'));
    assert.equal(uni.status, 200, uni.body);
    assert.equal(uni.body, 'unicode key');
  });

  it('signatureUrl with response-* overrides', async () => {
    const url = signer.signatureUrl('docs/readme.txt', {
      response: { 'content-type': 'application/x-download', 'content-disposition': 'attachment; filename="r.txt"' },
    } as OSS.SignatureUrlOptions);
    const res = await send(url);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers.get('content-type'), 'application/x-download');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="r.txt"');
  });

  it('signatureUrl PUT with Content-Type; a different Content-Type does not match the signature', async () => {
    const url = signer.signatureUrl('uploads/put.txt', { method: 'PUT', 'Content-Type': 'text/x-presigned' } as OSS.SignatureUrlOptions);
    const put = await send(url, { method: 'PUT', headers: { 'Content-Type': 'text/x-presigned' }, body: 'uploaded via presigned PUT' });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.headers.get('etag'), `"${md5Hex('uploaded via presigned PUT')}"`);
    const got = (await client.get('uploads/put.txt')) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
    assert.equal(got.content.toString(), 'uploaded via presigned PUT');
    assert.equal(got.res.headers['content-type'], 'text/x-presigned');

    const wrong = await send(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'nope' });
    assertError(wrong, 403, 'SignatureDoesNotMatch');
    const asGet = await send(url);
    assertError(asGet, 403, 'SignatureDoesNotMatch');
  });

  it('presigned PUT with a chunked (streamed) body', async () => {
    const url = signer.signatureUrl('uploads/chunked.bin', { method: 'PUT', 'Content-Type': 'application/octet-stream' } as OSS.SignatureUrlOptions);
    const parts = [Buffer.from('first part '), Buffer.alloc(50_000, 0x62), Buffer.from(' last part')];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(new Uint8Array(p));
        controller.close();
      },
    });
    const put = await send(url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body, duplex: 'half' } as RequestInit);
    assert.equal(put.status, 200, put.body);
    const got = (await client.get('uploads/chunked.bin')) as unknown as { content: Buffer };
    assert.deepEqual(got.content, Buffer.concat(parts));
  });

  it('a tampered signature or key is rejected', async () => {
    const url = new URL(signer.signatureUrl('docs/readme.txt'));
    const sig = url.searchParams.get('Signature')!;
    url.searchParams.set('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    assertError(await send(url.toString()), 403, 'SignatureDoesNotMatch');
    const other = signer.signatureUrl('docs/readme.txt').replace('readme.txt', 'hello%20world%2B%E4%B8%AD%E6%96%87.txt');
    assertError(await send(other), 403, 'SignatureDoesNotMatch');
  });

  it('signatureUrlV4 GET and PUT', async () => {
    const v4 = srv.pathClient({ bucket: BUCKET, authorizationV4: true });
    const getUrl = await signV4(v4)('GET', 60, {}, 'docs/readme.txt');
    assert.match(getUrl, /x-oss-signature-version=OSS4-HMAC-SHA256/);
    const got = await send(getUrl);
    assert.equal(got.status, 200, got.body);
    assert.equal(got.body, 'presigned hello');

    const withQuery = await signV4(v4)('GET', 60, { queries: { 'response-content-type': 'text/x-v4' } }, 'docs/hello world+中文.txt');
    const q = await send(withQuery);
    assert.equal(q.status, 200, q.body);
    assert.equal(q.body, 'unicode key');
    assert.equal(q.headers.get('content-type'), 'text/x-v4');

    const putUrl = await signV4(v4)('PUT', 60, { headers: { 'Content-Type': 'text/x-v4-put' } }, 'uploads/v4.txt');
    const put = await send(putUrl, { method: 'PUT', headers: { 'Content-Type': 'text/x-v4-put' }, body: 'v4 presigned body' });
    assert.equal(put.status, 200, put.body);
    const back = (await client.get('uploads/v4.txt')) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
    assert.equal(back.content.toString(), 'v4 presigned body');
    assert.equal(back.res.headers['content-type'], 'text/x-v4-put');

    const wrongMethod = await send(getUrl, { method: 'DELETE' });
    assertError(wrongMethod, 403, 'SignatureDoesNotMatch');
    assert.equal((await send(getUrl)).status, 200, 'object still there');
  });

  it('expired URLs → 403 AccessDenied "Request has expired." (V1 and V4)', async () => {
    const v1 = signer.signatureUrl('docs/readme.txt', { expires: 1 } as OSS.SignatureUrlOptions);
    const v4 = await signV4(srv.pathClient({ bucket: BUCKET, authorizationV4: true }))('GET', 1, {}, 'docs/readme.txt');
    // ali-oss computes Expires = now + expires in whole seconds; a 2.2 s wait is past both deadlines.
    await new Promise((r) => setTimeout(r, 2200));
    assertError(await send(v1), 403, 'AccessDenied', 'Request has expired.');
    assertError(await send(v4), 403, 'AccessDenied', 'Request has expired.');

    // An Expires in the past is refused even with a valid signature, before the signature is checked.
    const past = new URL(signer.signatureUrl('docs/readme.txt', { expires: -60 } as OSS.SignatureUrlOptions));
    assertError(await send(past.toString()), 403, 'AccessDenied', 'Request has expired.');
    past.searchParams.set('Signature', 'garbage');
    assertError(await send(past.toString()), 403, 'AccessDenied', 'Request has expired.');
  });

  it('incomplete V1 query authentication → 403 AccessDenied', async () => {
    const url = new URL(signer.signatureUrl('docs/readme.txt'));
    url.searchParams.delete('Signature');
    assertError(await send(url.toString()), 403, 'AccessDenied');
  });
});

describe('anonymous requests honour bucket and object ACLs', () => {
  let srv: TestServer;
  let base: string;
  const objectUrl = (bucket: string, key: string): string => `${base}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;

  before(async () => {
    srv = await startTestServer();
    base = `http://127.0.0.1:${srv.port}`;
    for (const [bucket, acl] of [
      ['anon-private', 'private'],
      ['anon-read', 'public-read'],
      ['anon-readwrite', 'public-read-write'],
    ] as const) {
      const c = srv.client({ bucket });
      await c.putBucket(bucket, { acl } as OSS.PutBucketOptions);
      await c.put('file.txt', Buffer.from(`content of ${bucket}`));
    }
  });
  after(async () => {
    await srv.stop();
  });

  it('private bucket: GET, HEAD, PUT, DELETE, list are 403 AccessDenied', async () => {
    assertError(await send(objectUrl('anon-private', 'file.txt')), 403, 'AccessDenied');
    const head = await fetch(objectUrl('anon-private', 'file.txt'), { method: 'HEAD' });
    assert.equal(head.status, 403);
    assert.equal(xmlText(Buffer.from(head.headers.get('x-oss-err') ?? '', 'base64').toString(), 'Code'), 'AccessDenied');
    assertError(await send(objectUrl('anon-private', 'new.txt'), { method: 'PUT', body: 'x' }), 403, 'AccessDenied');
    assertError(await send(objectUrl('anon-private', 'file.txt'), { method: 'DELETE' }), 403, 'AccessDenied');
    assertError(await send(`${base}/anon-private/`), 403, 'AccessDenied');
    assertError(await send(`${base}/anon-private/?acl`), 403, 'AccessDenied');
    assertError(await send(`${base}/`), 403, 'AccessDenied');
    const still = (await srv.client({ bucket: 'anon-private' }).get('file.txt')) as unknown as { content: Buffer };
    assert.equal(still.content.toString(), 'content of anon-private');
    await assert.rejects(srv.client({ bucket: 'anon-private' }).head('new.txt'), { status: 404 });
  });

  it('public-read bucket: GET, HEAD and list work; PUT and DELETE are 403', async () => {
    const get = await send(objectUrl('anon-read', 'file.txt'));
    assert.equal(get.status, 200, get.body);
    assert.equal(get.body, 'content of anon-read');
    const head = await fetch(objectUrl('anon-read', 'file.txt'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String('content of anon-read'.length));
    const list = await send(`${base}/anon-read/?prefix=file`);
    assert.equal(list.status, 200, list.body);
    assert.equal(xmlText(list.body, 'Key'), 'file.txt');
    assertError(await send(objectUrl('anon-read', 'new.txt'), { method: 'PUT', body: 'x' }), 403, 'AccessDenied');
    assertError(await send(objectUrl('anon-read', 'file.txt'), { method: 'DELETE' }), 403, 'AccessDenied');
    assertError(await send(`${base}/anon-read/?acl`), 403, 'AccessDenied');
    assertError(await send(objectUrl('anon-read', 'missing.txt')), 404, 'NoSuchKey');
    assertError(await send(`${objectUrl('anon-read', 'file.txt')}?response-content-type=text/html`), 400, 'InvalidRequest');
  });

  it('public-read-write bucket: anonymous PUT, GET and DELETE work', async () => {
    const put = await send(objectUrl('anon-readwrite', 'dropbox/anon.txt'), { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'anonymous upload' });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.headers.get('etag'), `"${md5Hex('anonymous upload')}"`);
    const get = await send(objectUrl('anon-readwrite', 'dropbox/anon.txt'));
    assert.equal(get.status, 200);
    assert.equal(get.body, 'anonymous upload');
    const owner = (await srv.client({ bucket: 'anon-readwrite' }).get('dropbox/anon.txt')) as unknown as { content: Buffer };
    assert.equal(owner.content.toString(), 'anonymous upload');
    const del = await fetch(objectUrl('anon-readwrite', 'dropbox/anon.txt'), { method: 'DELETE' });
    assert.equal(del.status, 204);
    assertError(await send(objectUrl('anon-readwrite', 'dropbox/anon.txt')), 404, 'NoSuchKey');
    // ACL changes stay with the owner.
    assertError(await send(`${objectUrl('anon-readwrite', 'file.txt')}?acl`, { method: 'PUT', headers: { 'x-oss-object-acl': 'private' } }), 403, 'AccessDenied');
  });

  it('object ACLs override the bucket ACL in both directions', async () => {
    const priv = srv.client({ bucket: 'anon-private' });
    await priv.put('shared.txt', Buffer.from('shared object'));
    assertError(await send(objectUrl('anon-private', 'shared.txt')), 403, 'AccessDenied');
    await priv.putACL('shared.txt', 'public-read');
    const get = await send(objectUrl('anon-private', 'shared.txt'));
    assert.equal(get.status, 200, get.body);
    assert.equal(get.body, 'shared object');
    assertError(await send(objectUrl('anon-private', 'shared.txt'), { method: 'PUT', body: 'overwrite' }), 403, 'AccessDenied');
    assertError(await send(objectUrl('anon-private', 'file.txt')), 403, 'AccessDenied');

    await priv.putACL('shared.txt', 'public-read-write');
    const put = await send(objectUrl('anon-private', 'shared.txt'), { method: 'PUT', body: 'overwritten anonymously' });
    assert.equal(put.status, 200, put.body);
    const overwritten = (await priv.get('shared.txt')) as unknown as { content: Buffer };
    assert.equal(overwritten.content.toString(), 'overwritten anonymously');
    // A PUT replaces the object, ACL included: the new object has the default ACL (private bucket).
    assert.equal((await priv.getACL('shared.txt')).acl, 'default');
    assertError(await send(objectUrl('anon-private', 'shared.txt')), 403, 'AccessDenied');

    const pub = srv.client({ bucket: 'anon-read' });
    await pub.put('secret.txt', Buffer.from('secret'), { headers: { 'x-oss-object-acl': 'private' } } as unknown as OSS.PutObjectOptions);
    assertError(await send(objectUrl('anon-read', 'secret.txt')), 403, 'AccessDenied');
    await pub.putACL('secret.txt', 'default' as OSS.ACLType);
    assert.equal((await send(objectUrl('anon-read', 'secret.txt'))).body, 'secret', 'default falls back to the bucket ACL');
  });

  it('changing the bucket ACL takes effect immediately', async () => {
    const c = srv.client();
    await c.putBucketACL('anon-private', 'public-read');
    assert.equal((await send(objectUrl('anon-private', 'file.txt'))).status, 200);
    await c.putBucketACL('anon-private', 'private');
    assertError(await send(objectUrl('anon-private', 'file.txt')), 403, 'AccessDenied');
  });

  it('virtual-hosted anonymous requests (Host: <bucket>.oss-cn-hangzhou.aliyuncs.com) follow the same rules', async () => {
    const get = (bucket: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port: srv.port, path: '/file.txt', headers: { host: `${bucket}.oss-cn-hangzhou.aliyuncs.com` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        r.on('error', reject);
        r.end();
      });
    assert.equal(await get('anon-read'), 200);
    assert.equal(await get('anon-private'), 403);
  });
});
