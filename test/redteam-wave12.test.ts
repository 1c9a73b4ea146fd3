// Red-team wave 12 ("the request that is signed is not the request that runs"): ways the bytes a signature covers
// could differ from what the router and handlers act on, each tried against a real server the test starts.
//
// Found and fixed (each test below fails on the code before its fix):
// - V1 (header and URL) joins the *decoded* sub-resource names and values with `=` and `&` as they are. An
//   `x-oss-*` name holding `=` (`?x-oss-process%3Dimage%2Fresize%2Cw_50`, no value) signs the same string as
//   `?x-oss-process=image/resize,w_50`, and a value holding `&` and a signed name
//   (`response-content-disposition=attachment%26x-oss-process%3D…`) the same as the two parameters: an ali-oss
//   presigned URL for a resized (or watermarked, or throttled) image gave the original, and one for an old version
//   with a response override gave the current version; a captured header-signed request likewise. Now 400
//   InvalidArgument before the signature (auth/signature/v1.ts ambiguousV1Parameter).
// - V2 and V4 sort the query by name and then by value, so the order of a key given twice is not signed while the
//   handlers act on the last one: `versionId=<a>&versionId=<b>` signed, sent swapped, read the other version. Now a
//   key repeated with another value is 400 InvalidArgument under V2/V4 (no SDK sends one; V1 signs them in order).
//
// Tried and held on the old code (guarded below where a test can fail):
// - Every `x-oss-*` header a request carries is signed by V1, V2 and V4, presigned URLs included: adding
//   x-oss-forbid-overwrite, x-oss-object-acl, x-oss-copy-source, x-oss-tagging, x-oss-storage-class to a presigned
//   PUT is SignatureDoesNotMatch; so is adding a Content-Type or Content-MD5 to a V4 URL (signed when present).
// - Query names are case-sensitive everywhere (no lookup folds case): `VersionId`, `versionid`, `X-Oss-Process` are
//   unsigned and ignored. `k` and `k=` are one parameter (both empty); `+` and `%20` decode alike in both
//   the signer and the router, as do `%2F` and `/` in keys; dot segments are never folded (wave 10).
// - The bucket a signature covers is the one the router acts on (oss/address.ts resolves Host and path once for
//   both): a path-style URL for bucket A sent with `Host: b.<ip>:<port>` is bucket B, key `A/k`, and fails; the same
//   request as virtual-hosted A is the same request. Access point aliases are signed by their alias name.
// - V4's fallbacks (ali-oss `k=` for empty values, the .NET SDK's query as sent) each read one decoded request, so
//   none lets a changed request through; V2 and V4 percent-encode names, values and the path, so `=`, `&`, `?` in
//   them stay apart. Authentication reads the first of a repeated auth parameter (`Expires`, `x-oss-expires`, …): a
//   second one changes nothing, and under V2/V4 it is signed.
// - A V4 signed payload hash binds a chunked body as it binds a sized one (XOssContentSHA256Mismatch, nothing
//   stored). PostObject's policy, STS tokens bound to their AccessKeyId, and V1 URLs' full sub-resource list were
//   checked in waves 8 and 9.
// Limits left as they are (docs/compatibility.md "Signature versions"):
// - V1's resource is `/bucket/key` with the key decoded, then `?`: a key holding `?` (`?policy`, `k?acl`) signs
//   the same string as the bucket or object request with that sub-resource. The normal request is the one sent
//   by an attacker who holds a URL for the odd key, so the server cannot refuse it: an application that presigns
//   V1 URLs for keys its callers choose must refuse keys with `?` (ali-oss refuses a leading `?`) or use V4.
// - Bodies are not signed by V1 or UNSIGNED-PAYLOAD (a presigned PUT or POST ?x-oss-process takes any bytes);
//   Content-Disposition, Cache-Control, Expires, Range and If-* are never signed unless a V2/V4 signature lists
//   them. A captured V1 header signature may still gain, within its 15 minutes, a key the Java SDK's shorter list
//   leaves unsigned (`publicAccessBlock`, `resourceGroup`, newer `x-oss-*` keys) or another `inventoryId` (the
//   Python SDK v2's form): the header forms those SDKs need (docs/compatibility.md, since wave 9).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import sharp from 'sharp';
import { stringToSignV2 } from '../src/auth/signature/v2.js';
import { isoBasic } from '../src/util/time.js';
import { errorOf, rawRequest, v1Authorization, v4Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { presign as presignV4, signHeader as signV4Header } from './helpers/sdk-v2-signer.js';

const BUCKET = 'rt12-signed';
const OTHER = 'rt12-other';

// @types/ali-oss declares signatureUrlV4's request argument loosely; this is the shape ali-oss uses.
type SignV4 = (method: string, expires: number, request?: { headers?: Record<string, string>; queries?: Record<string, string> }, objectName?: string) => Promise<string>;
const signUrlV4 = (client: OSS): SignV4 => (client as unknown as { signatureUrlV4: SignV4 }).signatureUrlV4.bind(client);

/** The path and query of a URL exactly as the SDK wrote them. */
const target = (url: string): string => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** The `name=value` pieces of a URL's query, raw. */
const piecesOf = (url: string): string[] => new URL(url).search.slice(1).split('&');
const nameOf = (piece: string): string => decodeURIComponent(piece.split('=')[0]!);

async function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return rawRequest(port, { method, path, headers: { host: `localhost:${port}`, ...headers }, body });
}

function refused(res: RawResponse, code: string, status: number): Record<string, string> {
  assert.equal(res.status, status, res.body.toString('utf8').slice(0, 500));
  const err = errorOf(res);
  assert.equal(err?.Code, code, res.body.toString('utf8').slice(0, 500));
  return err!;
}

describe('redteam wave 12: what a signature covers is what runs', () => {
  let srv: TestServer;
  let client: OSS;
  let signer: OSS;
  let port = 0;
  let oldVersion = '';
  let png: Buffer;

  before(async () => {
    srv = await startTestServer();
    port = srv.port;
    client = srv.client({ bucket: BUCKET });
    signer = srv.pathClient({ bucket: BUCKET });
    await client.putBucket(BUCKET);
    await client.putBucket(OTHER);
    await (client as unknown as { putBucketVersioning(b: string, s: string): Promise<unknown> }).putBucketVersioning(BUCKET, 'Enabled');
    const put = await client.put('doc.txt', Buffer.from('old secret'));
    oldVersion = String((put.res.headers as Record<string, string>)['x-oss-version-id']);
    await client.put('doc.txt', Buffer.from('new public'));
    png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#c03' } }).png().toBuffer();
    await client.put('img.png', png);
    await srv.client({ bucket: OTHER }).put(`${BUCKET}/doc.txt`, Buffer.from('other bucket'));
  });
  after(async () => {
    await srv?.stop();
  });

  describe('V1: one StringToSign, one request', () => {
    it('a presigned URL for a resized image cannot drop x-oss-process by sending it as a name holding "="', async () => {
      const url = signer.signatureUrl('img.png', { expires: 600, process: 'image/resize,w_50' });
      const signed = await send(port, 'GET', target(url));
      assert.equal(signed.status, 200);
      assert.equal((await sharp(signed.body).metadata()).width, 50);

      const pieces = piecesOf(url);
      const process = pieces.find((p) => nameOf(p) === 'x-oss-process')!;
      const folded = encodeURIComponent(decodeURIComponent(process)); // `x-oss-process%3Dimage%2Fresize%2Cw_50`, no value
      const path = `${new URL(url).pathname}?${[folded, ...pieces.filter((p) => p !== process)].join('&')}`;
      const attack = await send(port, 'GET', path);
      const err = refused(attack, 'InvalidArgument', 400);
      assert.equal(err.ArgumentName, 'x-oss-process=image/resize,w_50');
      assert.notDeepEqual(attack.body, png);
    });

    it('nor by folding it into a response-* value after an "&"', async () => {
      const url = signer.signatureUrl('img.png', { expires: 600, process: 'image/resize,w_50', response: { 'content-disposition': 'attachment' } });
      const signed = await send(port, 'GET', target(url));
      assert.equal(signed.status, 200);
      assert.equal((await sharp(signed.body).metadata()).width, 50);

      const pieces = piecesOf(url);
      const keep = pieces.filter((p) => !['x-oss-process', 'response-content-disposition'].includes(nameOf(p)));
      const absorbed = `response-content-disposition=${encodeURIComponent('attachment&x-oss-process=image/resize,w_50')}`;
      const attack = await send(port, 'GET', `${new URL(url).pathname}?${[absorbed, ...keep].join('&')}`);
      refused(attack, 'InvalidArgument', 400);
    });

    it('a presigned URL for an old version (with a response override) cannot be turned to the current version', async () => {
      const url = signer.signatureUrl('doc.txt', { expires: 600, response: { 'content-type': 'text/plain' }, subResource: { versionId: oldVersion } } as unknown as OSS.SignatureUrlOptions);
      const signed = await send(port, 'GET', target(url));
      assert.equal(signed.status, 200);
      assert.equal(signed.body.toString(), 'old secret');

      const pieces = piecesOf(url);
      const keep = pieces.filter((p) => !['versionId', 'response-content-type'].includes(nameOf(p)));
      const absorbed = `response-content-type=${encodeURIComponent(`text/plain&versionId=${oldVersion}`)}`;
      const attack = await send(port, 'GET', `${new URL(url).pathname}?${[absorbed, ...keep].join('&')}`);
      refused(attack, 'InvalidArgument', 400);
      assert.notEqual(attack.body.toString(), 'new public');
    });

    it('a captured header-signed request cannot be replayed without its versionId either', async () => {
      const query: Array<[string, string]> = [['response-content-type', 'text/plain'], ['versionId', oldVersion]];
      const headers: Record<string, string> = { host: `localhost:${port}`, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method: 'GET', bucket: BUCKET, key: 'doc.txt', query, headers }, AK, SECRET).authorization;
      const signed = await rawRequest(port, { method: 'GET', path: `/${BUCKET}/doc.txt?response-content-type=text%2Fplain&versionId=${encodeURIComponent(oldVersion)}`, headers });
      assert.equal(signed.status, 200);
      assert.equal(signed.body.toString(), 'old secret');
      const replay = await rawRequest(port, { method: 'GET', path: `/${BUCKET}/doc.txt?response-content-type=${encodeURIComponent(`text/plain&versionId=${oldVersion}`)}`, headers });
      refused(replay, 'InvalidArgument', 400);
    });

    it("the SDKs' own values with '&' still pass: a filename with '&', in a presigned URL and a header-signed GET", async () => {
      const disposition = 'attachment; filename="Tom&Jerry.txt"';
      const url = signer.signatureUrl('doc.txt', { expires: 600, response: { 'content-disposition': disposition } });
      const viaUrl = await send(port, 'GET', target(url));
      assert.equal(viaUrl.status, 200, viaUrl.body.toString());
      assert.equal(viaUrl.headers['content-disposition'], disposition);
      const viaHeader = await client.get('doc.txt', { subres: { 'response-content-disposition': 'attachment; filename="a&b=c.txt"' } } as unknown as OSS.GetObjectOptions);
      assert.equal((viaHeader.res.headers as Record<string, string>)['content-disposition'], 'attachment; filename="a&b=c.txt"');
    });

    it('a query name in another case is another, unsigned parameter: VersionId does not pick a version', async () => {
      const url = signer.signatureUrl('doc.txt', { expires: 600 });
      for (const name of ['VersionId', 'versionid', 'VERSIONID']) {
        const res = await send(port, 'GET', `${target(url)}&${name}=${encodeURIComponent(oldVersion)}`);
        assert.equal(res.status, 200, name);
        assert.equal(res.body.toString(), 'new public', name);
      }
    });
  });

  describe('V2 and V4: a key given twice', () => {
    const swap = (path: string, a: string, b: string): string => {
      const [p, q] = path.split('?') as [string, string];
      const pieces = q.split('&');
      const i = pieces.indexOf(a);
      const j = pieces.indexOf(b);
      assert.ok(i >= 0 && j >= 0, `${a} and ${b} in ${q}`);
      [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
      return `${p}?${pieces.join('&')}`;
    };
    let current = '';
    before(async () => {
      const head = await client.head('doc.txt');
      current = String((head.res.headers as Record<string, string>)['x-oss-version-id']);
    });

    it('V4 Authorization: versionId=<old>&versionId=<current> signed, sent swapped, does not read the other version', async () => {
      const one = signV4Header({ method: 'GET', bucket: BUCKET, key: 'doc.txt', params: [['versionId', oldVersion]] }, { ak: AK, secret: SECRET });
      const single = await send(port, 'GET', one.path, one.headers);
      assert.equal(single.status, 200);
      assert.equal(single.body.toString(), 'old secret');

      const two = signV4Header({ method: 'GET', bucket: BUCKET, key: 'doc.txt', params: [['versionId', current], ['versionId', oldVersion]] }, { ak: AK, secret: SECRET });
      const swapped = swap(two.path, `versionId=${current}`, `versionId=${oldVersion}`);
      for (const path of [two.path, swapped]) refused(await send(port, 'GET', path, two.headers), 'InvalidArgument', 400);
    });

    it('a V4 presigned URL likewise', async () => {
      const url = presignV4({ method: 'GET', bucket: BUCKET, key: 'doc.txt', params: [['versionId', current], ['versionId', oldVersion]] }, { ak: AK, secret: SECRET }, 600);
      const swapped = swap(url, `versionId=${current}`, `versionId=${oldVersion}`);
      for (const path of [url, swapped]) refused(await send(port, 'GET', path), 'InvalidArgument', 400);
    });

    it('a V2 presigned URL likewise; a key repeated with the same value is still one parameter', async () => {
      const expires = String(Math.floor(Date.now() / 1000) + 600);
      const sign = (versions: string[]): string => {
        const query: Array<[string, string]> = [
          ...versions.map((v): [string, string] => ['versionId', v]),
          ['x-oss-signature-version', 'OSS2'], ['x-oss-expires', expires], ['x-oss-access-key-id', AK],
        ];
        const sts = stringToSignV2({ method: 'GET', bucket: BUCKET, key: 'doc.txt', query, headers: {} }, expires, [], true);
        const sig = createHmac('sha256', SECRET).update(sts, 'utf8').digest('base64');
        return `/${BUCKET}/doc.txt?${[...query, ['x-oss-signature', sig]].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
      };
      const same = await send(port, 'GET', sign([oldVersion, oldVersion]));
      assert.equal(same.status, 200, same.body.toString());
      assert.equal(same.body.toString(), 'old secret');
      const two = sign([current, oldVersion]);
      const swapped = swap(two, `versionId=${encodeURIComponent(current)}`, `versionId=${encodeURIComponent(oldVersion)}`);
      for (const path of [two, swapped]) refused(await send(port, 'GET', path), 'InvalidArgument', 400);
    });
  });

  describe('held: headers, hosts and bodies a signature covers', () => {
    it('x-oss-* headers, Content-Type and Content-MD5 added to a presigned PUT (V1 and V4) break its signature', async () => {
      const v1 = target(signer.signatureUrl('up.txt', { expires: 600, method: 'PUT' }));
      const v4 = target(await signUrlV4(signer)('PUT', 600, undefined, 'up.txt'));
      const extras: Array<Record<string, string>> = [
        { 'x-oss-forbid-overwrite': 'true' },
        { 'x-oss-object-acl': 'public-read' },
        { 'x-oss-copy-source': `/${BUCKET}/doc.txt` },
        { 'x-oss-tagging': 'a=b' },
        { 'x-oss-storage-class': 'Archive' },
      ];
      for (const [name, path] of [['V1', v1], ['V4', v4]] as const) {
        for (const extra of extras) refused(await send(port, 'PUT', path, extra, 'x'), 'SignatureDoesNotMatch', 403);
        assert.equal((await send(port, 'PUT', path, {}, 'as signed')).status, 200, name);
      }
      const bodyHeaders: Array<Record<string, string>> = [{ 'content-type': 'text/html' }, { 'content-md5': createHash('md5').update('x').digest('base64') }];
      for (const extra of bodyHeaders) {
        refused(await send(port, 'PUT', v4, extra, 'x'), 'SignatureDoesNotMatch', 403);
      }
      assert.equal((await client.get('up.txt')).content.toString(), 'as signed');
      const acl = await client.getACL('up.txt');
      assert.equal(acl.acl, 'default');
    });

    it('the bucket signed is the bucket served: a path-style URL sent to another bucket\'s virtual host fails', async () => {
      const url = target(signer.signatureUrl('doc.txt', { expires: 600 }));
      const elsewhere = await rawRequest(port, { method: 'GET', path: url, headers: { host: `${OTHER}.127.0.0.1:${port}` } });
      refused(elsewhere, 'SignatureDoesNotMatch', 403);
      // The same request written virtual-hosted is the same request.
      const query = url.slice(url.indexOf('?'));
      const same = await rawRequest(port, { method: 'GET', path: `/doc.txt${query}`, headers: { host: `${BUCKET}.127.0.0.1:${port}` } });
      assert.equal(same.status, 200);
      assert.equal(same.body.toString(), 'new public');
    });

    it('a V4 signed payload hash binds a chunked body too: other bytes are refused and nothing is stored', async () => {
      const iso = isoBasic(Date.now());
      const headers: Record<string, string> = {
        'x-oss-date': iso,
        'x-oss-content-sha256': createHash('sha256').update('signed bytes').digest('hex'),
      };
      headers.authorization = v4Authorization({ method: 'PUT', bucket: BUCKET, key: 'chunked.txt', headers }, AK, SECRET, 'cn-hangzhou');
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port, method: 'PUT', path: `/${BUCKET}/chunked.txt`, agent: false, headers: { host: `localhost:${port}`, 'transfer-encoding': 'chunked', ...headers } }, (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks) }));
        });
        r.on('error', reject);
        r.write('other ');
        r.write('bytes!');
        r.end();
      });
      refused(res, 'XOssContentSHA256Mismatch', 400);
      await assert.rejects(client.head('chunked.txt'), (err: { status?: number }) => err.status === 404);
    });
  });
});
