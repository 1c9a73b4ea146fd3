import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PopClient, PopError } from '../src/client/pop.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => srv.close());

test('PopClient: RAM and STS calls are signed and answered', async () => {
  const ram = new PopClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
  const created = await ram.request<{ User: { UserName: string } }>('CreateUser', { UserName: 'pop-client-user' });
  assert.equal(created.User.UserName, 'pop-client-user');
  const sts = new PopClient({ endpoint: srv.url, apiVersion: '2015-04-01', accessKeyId: AK, accessKeySecret: SECRET });
  const who = await sts.request<{ Arn: string }>('GetCallerIdentity');
  assert.match(who.Arn, /^acs:ram::\d+:root$/);
});

test('PopClient: service errors and bad secrets surface as PopError with the code', async () => {
  const ram = new PopClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
  await assert.rejects(ram.request('GetUser', { UserName: 'nobody-here' }), (e: unknown) => e instanceof PopError && e.code === 'EntityNotExist.User' && e.status === 404);
  const bad = new PopClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: 'wrong' });
  await assert.rejects(bad.request('ListUsers'), (e: unknown) => e instanceof PopError && e.code === 'SignatureDoesNotMatch');
  const down = new PopClient({ endpoint: 'http://127.0.0.1:1', apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
  await assert.rejects(down.request('ListUsers'), (e: unknown) => e instanceof PopError && e.code === 'NetworkError' && e.status === 0);
});
