// A bucket's common headers (PutBucketCommonHeader; docs/stored-configurations.md#common-headers-implemented): added to
// the answers of its object reads through ali-oss (GetObject, HeadObject), never over a header the answer carries
// already (the object's Content-Type, its metadata), never one that frames the message; other answers and other
// buckets carry none; DeleteBucketCommonHeader ends them. ALUNITE_TEST_META=postgres: the same on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest, succeeds } from './helpers/signed.js';

const headersXml = (pairs: Array<[string, string]>): string =>
  `<CommonHeaders>${pairs.map(([k, v]) => `<Header><Key>${k}</Key><Value>${v}</Value></Header>`).join('')}</CommonHeaders>`;

describe('bucket common headers', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('ch-on');
    await srv.client().putBucket('ch-off');
    await srv.client({ bucket: 'ch-on' }).put('page.html', Buffer.from('<p>hi</p>'), { mime: 'text/html', meta: { who: 'object' } } as never);
    await srv.client({ bucket: 'ch-off' }).put('page.html', Buffer.from('<p>hi</p>'));
  });
  after(async () => {
    await srv?.stop();
  });

  test('object reads carry the configured headers; the object\'s own headers and the framing stay', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', 'ch-on', null, [['x-oss-common-header', '']], {
      body: headersXml([['X-Frame-Options', 'DENY'], ['Content-Type', 'application/x-not-this'], ['x-oss-meta-who', 'bucket'], ['Transfer-Encoding', 'gzip'], ['Content-Length', '1']]),
    }));
    const got = await srv.client({ bucket: 'ch-on' }).get('page.html');
    const h = got.res.headers as Record<string, string>;
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['content-type'], 'text/html', 'the object\'s own Content-Type');
    assert.equal(h['x-oss-meta-who'], 'object', 'the object\'s own metadata');
    assert.equal(h['transfer-encoding'], undefined);
    assert.equal(h['content-length'], '9');
    assert.equal(got.content.toString(), '<p>hi</p>');
    const head = await srv.client({ bucket: 'ch-on' }).head('page.html');
    assert.equal((head.res.headers as Record<string, string>)['x-frame-options'], 'DENY');
    // Not on other answers of the bucket, nor on another bucket's objects.
    const listed = await srv.client({ bucket: 'ch-on' }).list({ 'max-keys': 10 }, {});
    assert.equal((listed.res.headers as Record<string, string>)['x-frame-options'], undefined);
    const other = await srv.client({ bucket: 'ch-off' }).get('page.html');
    assert.equal((other.res.headers as Record<string, string>)['x-frame-options'], undefined);
    // A read that fails carries none.
    const missing = await signedRequest(srv.port, 'GET', 'ch-on', 'nothing-here', []);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-frame-options'], undefined);
  });

  test('the service\'s x-oss-* headers and CORS\'s are never added', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', 'ch-on', null, [['x-oss-common-header', '']], {
      body: headersXml([
        ['X-Kept', 'yes'], ['x-oss-server-side-encryption', 'AES256'], ['x-oss-version-id', 'forged'],
        ['x-oss-server-time', 'forged'], ['Access-Control-Allow-Origin', '*'], ['x-oss-meta-extra', 'bucket'],
        ['Set-Cookie', 'sid=tenant; Path=/'], ['Clear-Site-Data', '"executionContexts"'], ['Refresh', '0; url=https://elsewhere.example/'],
        ['Strict-Transport-Security', 'max-age=31536000'], ['Alt-Svc', 'h2="elsewhere.example:443"'], ['Location', 'https://elsewhere.example/'],
        ['Content-Range', 'bytes 0-0/1'],
      ]),
    }));
    const got = await srv.client({ bucket: 'ch-on' }).get('page.html');
    const h = got.res.headers as Record<string, string>;
    assert.equal(h['x-kept'], 'yes');
    assert.equal(h['x-oss-meta-extra'], 'bucket', 'user metadata names stay the owner\'s to fill in');
    assert.equal(h['x-oss-server-side-encryption'], undefined, 'the object is not encrypted: the service says so, not the configuration');
    assert.equal(h['x-oss-version-id'], undefined);
    assert.notEqual(h['x-oss-server-time'], 'forged');
    // What acts on the origin every tenant and the console share is never added.
    for (const name of ['set-cookie', 'clear-site-data', 'refresh', 'strict-transport-security', 'alt-svc', 'location', 'content-range']) assert.equal(h[name], undefined, name);
    // CORS answers are the bucket's CORS rules' (none here): a configured Access-Control-* header does not stand in for them.
    const cross = await signedRequest(srv.port, 'GET', 'ch-on', 'page.html', [], { headers: { Origin: 'https://elsewhere.example' } });
    assert.equal(cross.status, 200);
    assert.equal(cross.headers['x-kept'], 'yes');
    assert.equal(cross.headers['access-control-allow-origin'], undefined);
    const head = await srv.client({ bucket: 'ch-on' }).head('page.html');
    assert.equal(head.status, 200);
  });

  test('DeleteBucketCommonHeader ends them', async () => {
    succeeds(await signedRequest(srv.port, 'PUT', 'ch-on', null, [['x-oss-common-header', '']], { body: headersXml([['X-Frame-Options', 'DENY']]) }));
    assert.equal(((await srv.client({ bucket: 'ch-on' }).get('page.html')).res.headers as Record<string, string>)['x-frame-options'], 'DENY');
    succeeds(await signedRequest(srv.port, 'DELETE', 'ch-on', null, [['x-oss-common-header', '']]), 204);
    assert.equal(((await srv.client({ bucket: 'ch-on' }).get('page.html')).res.headers as Record<string, string>)['x-frame-options'], undefined);
  });
});
