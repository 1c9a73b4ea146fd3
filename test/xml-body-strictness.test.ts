// Request XML bodies that a schema-driven fuzzer found accepted and then stored as something other than what
// was sent: an element holding elements where text belongs (read as absent or empty), a repeated element where
// one belongs, and bytes that are not UTF-8 (read as U+FFFD). Each is 400 MalformedXML now, and the
// configuration stored before is read back unchanged. Real server, signed raw HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'xml-strict';

describe('XML request bodies: wrong shapes and bad bytes are MalformedXML, nothing stored', () => {
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

  test('bytes that are not UTF-8 in an XML body are refused on every reader; nothing changes', async () => {
    const bad = (xml: string, at: string): Buffer => {
      const i = xml.indexOf(at) + at.length;
      return Buffer.concat([Buffer.from(xml.slice(0, i)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(xml.slice(i))]);
    };
    const cases: Array<{ query: Array<[string, string]>; good: string; at: string; key?: string }> = [
      { query: [['cors', '']], good: cors('<AllowedHeader>x-a</AllowedHeader>'), at: '<AllowedHeader>' },
      { query: [['tagging', '']], good: '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>', at: '<Value>' },
      { query: [['tagging', '']], good: '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>', at: '<Value>', key: 'obj' },
      { query: [['referer', '']], good: '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>http://a.example</Referer></RefererList></RefererConfiguration>', at: '<Referer>' },
      { query: [['lifecycle', '']], good: '<LifecycleConfiguration><Rule><ID>r1</ID><Prefix>p/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>', at: '<ID>' },
      { query: [['website', '']], good: '<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>', at: '<Suffix>' },
      { query: [['transferAcceleration', '']], good: '<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>', at: '<TransferAccelerationConfiguration>' },
    ];
    for (const c of cases) {
      const key = c.key ?? null;
      assert.equal((await send('PUT', c.query, c.good, key)).status, 200, c.good);
      const before = (await send('GET', c.query, '', key)).body.toString();
      malformed(await send('PUT', c.query, bad(c.good, c.at), key), `${c.query[0]![0]} ${key ?? ''}`);
      assert.equal((await send('GET', c.query, '', key)).body.toString(), before, c.query[0]![0]);
    }
    // DeleteMultipleObjects with a bad key byte deletes nothing (the key would otherwise be read as U+FFFD).
    malformed(await send('POST', [['delete', '']], bad('<Delete><Object><Key>obj</Key></Object></Delete>', '<Key>')), 'Delete');
    assert.equal((await send('HEAD', [], '', 'obj')).status, 200);
  });

  test('a bucket or access point policy whose bytes are not UTF-8 is InvalidPolicyDocument; the stored policy stays', async () => {
    const policy = (resource: Buffer): Buffer =>
      Buffer.concat([Buffer.from(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Principal":["1234567890123456"],"Resource":["acs:oss:*:1234567890123456:${BUCKET}/`), resource, Buffer.from('"]}]}')]);
    const apResource = (r: Buffer): Buffer =>
      Buffer.concat([Buffer.from('{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Principal":["1234567890123456"],"Resource":["acs:oss:cn-hangzhou:1234567890123456:accesspoint/ap-strict/object/'), r, Buffer.from('"]}]}')]);
    const ap = { 'x-oss-access-point-name': 'ap-strict' };
    assert.equal((await send('PUT', [['accessPoint', '']], '<CreateAccessPointConfiguration><AccessPointName>ap-strict</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>')).status, 200);
    for (const [query, body, headers] of [
      [[['policy', '']], policy, {}],
      [[['accessPointPolicy', '']], apResource, ap],
    ] as Array<[Array<[string, string]>, (r: Buffer) => Buffer, Record<string, string>]>) {
      const put = await send('PUT', query, body(Buffer.from('a*')), null, headers);
      assert.equal(put.status, 200, put.body.toString());
      const before = (await send('GET', query, '', null, headers)).body.toString();
      const res = await send('PUT', query, body(Buffer.from([0x62, 0xff, 0xfe, 0x2a])), null, headers);
      assert.equal(res.status, 400, res.body.toString());
      assert.equal(errorOf(res)?.Code, 'InvalidPolicyDocument');
      assert.equal((await send('GET', query, '', null, headers)).body.toString(), before);
    }
  });
});
