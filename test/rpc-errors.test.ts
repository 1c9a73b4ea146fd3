// POP requests with bad input get POP errors (JSON by default), never an OSS answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('POP RPC bad input', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await rawRequest(srv.port, { method: 'GET', path, headers: { host: '127.0.0.1', ...headers } });
    return { status: res.status, body: JSON.parse(res.body.toString('utf8')) as { Code: string; Message: string; HostId: string } };
  };

  it('an Action without Version is a POP call missing its Version', async () => {
    const r = await get('/?Action=GetUser&Format=JSON');
    assert.equal(r.status, 400);
    assert.equal(r.body.Code, 'MissingVersion');
    assert.equal(r.body.Message, 'Version is mandatory for this action.');
  });

  it('a Format other than JSON, or none, is answered in XML (aliyunsdkcore sends Format=None; XML is the documented default)', async () => {
    for (const path of ['/?Action=GetUser&Version=2015-05-01&Format=None', '/?Action=GetUser&Version=2015-05-01']) {
      const res = await rawRequest(srv.port, { method: 'GET', path, headers: { host: '127.0.0.1' } });
      assert.equal(res.status, 400);
      assert.equal(res.headers['content-type'], 'text/xml;charset=utf-8');
      assert.match(res.body.toString('utf8'), /<Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>ram\.aliyuncs\.com<\/HostId><Code>MissingAccessKeyId<\/Code>/);
    }
  });

  it('x-acs-action/x-acs-version name the call even without an ACS3 signature', async () => {
    const r = await get('/', { 'x-acs-action': 'GetUser', 'x-acs-version': '2015-05-01' });
    assert.equal(r.status, 400);
    assert.equal(r.body.Code, 'MissingAccessKeyId');
  });
});
