// Request XML bodies that a schema-driven fuzzer found accepted and then stored as something other than what
// was sent: an element holding elements where text belongs (read as absent or empty) and a repeated element
// where one belongs. Each is 400 MalformedXML now, and the configuration stored before is read back
// unchanged. Real server, signed raw HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'xml-strict';

describe('XML request bodies: wrong shapes are MalformedXML, nothing stored', () => {
  let srv: TestServer;

  async function send(method: string, query: Array<[string, string]>, body: Buffer | string = '', key: string | null = null, extra: Record<string, string> = {}): Promise<RawResponse> {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), 'content-length': String(buf.length), ...extra };
    if (buf.length > 0) headers['content-md5'] = createHash('md5').update(buf).digest('base64');
    headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query, headers }, AK, SECRET).authorization;
    return rawRequest(srv.port, { method, path: `/${BUCKET}/${key ?? ''}${qs}`, headers, body: buf });
  }

  function malformed(res: RawResponse, what: string): void {
    assert.equal(res.status, 400, `${what}: ${res.body.toString()}`);
    assert.equal(errorOf(res)?.Code, 'MalformedXML', what);
  }

  before(async () => {
    srv = await startTestServer();
    assert.equal((await send('PUT', [])).status, 200);
    assert.equal((await send('PUT', [], 'hello', 'obj')).status, 200);
  });
  after(() => srv.stop());

  const cors = (inner: string, tail = ''): string =>
    `<CORSConfiguration><CORSRule><AllowedOrigin>http://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>${inner}</CORSRule>${tail}</CORSConfiguration>`;

  test('PutBucketCors: an element where text belongs is refused; the stored rules stay', async () => {
    const stored = cors('<AllowedHeader>x-a</AllowedHeader><ExposeHeader>x-b</ExposeHeader><MaxAgeSeconds>100</MaxAgeSeconds>', '<ResponseVary>true</ResponseVary>');
    assert.equal((await send('PUT', [['cors', '']], stored)).status, 200);
    const before = (await send('GET', [['cors', '']])).body.toString();
    for (const bad of [
      cors('<MaxAgeSeconds><MaxAgeSeconds>5</MaxAgeSeconds></MaxAgeSeconds>'),
      cors('<AllowedHeader><AllowedHeader>x-c</AllowedHeader></AllowedHeader>'),
      cors('<ExposeHeader><X>x-d</X></ExposeHeader>'),
      cors('<AllowedOrigin><AllowedOrigin>*</AllowedOrigin></AllowedOrigin>'),
      cors('', '<ResponseVary><ResponseVary>true</ResponseVary></ResponseVary>'),
      cors('', '<ResponseVary>true</ResponseVary><ResponseVary>true</ResponseVary>'),
    ]) {
      malformed(await send('PUT', [['cors', '']], bad), bad);
      const now = await send('GET', [['cors', '']]);
      assert.equal(now.status, 200);
      assert.equal(now.body.toString(), before, bad);
    }
  });

  test('PutObjectTagging: a Value holding elements, or repeated, is refused, not stored empty', async () => {
    assert.equal((await send('PUT', [['tagging', '']], '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>', 'obj')).status, 200);
    malformed(await send('PUT', [['tagging', '']], '<Tagging><TagSet><Tag><Key>k</Key><Value><V>w</V></Value></Tag></TagSet></Tagging>', 'obj'), 'Value with a child');
    malformed(await send('PUT', [['tagging', '']], '<Tagging><TagSet><Tag><Key>k</Key><Value>w</Value><Value>w</Value></Tag></TagSet></Tagging>', 'obj'), 'Value repeated');
    const tags = (await send('GET', [['tagging', '']], '', 'obj')).body.toString();
    assert.match(tags, /<Key>k<\/Key><Value>v<\/Value>/);
  });

  test('DeleteMultipleObjects: a repeated or nested Quiet is refused, nothing deleted', async () => {
    for (const quiet of ['<Quiet>true</Quiet><Quiet>true</Quiet>', '<Quiet><Quiet>true</Quiet></Quiet>']) {
      malformed(await send('POST', [['delete', '']], `<Delete>${quiet}<Object><Key>obj</Key></Object></Delete>`), quiet);
      assert.equal((await send('HEAD', [], '', 'obj')).status, 200);
    }
  });
});
