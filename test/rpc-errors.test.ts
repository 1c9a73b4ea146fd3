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
    const r = await get('/?Action=GetUser');
    assert.equal(r.status, 400);
    assert.equal(r.body.Code, 'MissingVersion');
    assert.equal(r.body.Message, 'Version is mandatory for this action.');
  });

  it('an unknown Format is refused (in JSON) instead of silently answering JSON', async () => {
    const r = await get('/?Action=GetUser&Version=2015-05-01&Format=YAML');
    assert.equal(r.status, 400);
    assert.equal(r.body.Code, 'InvalidParameter.Format');
    assert.match(r.body.Message, /"YAML" \(use JSON or XML\)/);
  });

  it('x-acs-action/x-acs-version name the call even without an ACS3 signature', async () => {
    const r = await get('/', { 'x-acs-action': 'GetUser', 'x-acs-version': '2015-05-01' });
    assert.equal(r.status, 400);
    assert.equal(r.body.Code, 'MissingAccessKeyId');
  });
});
