// A self-hosted server behind a self-signed or private-CA certificate: the CLI (ali-oss and POP commands) and the
// vending service's STS client say how to trust it (NODE_EXTRA_CA_CERTS), and with that variable set they work.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PopClient, PopError } from '../src/client/pop.js';
import { cliHome, fails, ok, type CliHome } from './helpers/cli.js';
import { TLS_CERT, TLS_KEY } from './helpers/ops.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const trustHint = ": the server's certificate is not signed by a CA this machine trusts; give Node the CA certificate " +
  '(for a self-signed server, its --cert file) with NODE_EXTRA_CA_CERTS=/path/to/ca.pem';

describe('a certificate this machine does not trust', () => {
  let srv: TestServer;
  let cli: CliHome;
  let endpoint: string;
  before(async () => {
    srv = await startTestServer({ tls: { cert: TLS_CERT, key: TLS_KEY } });
    endpoint = `https://localhost:${new URL(srv.url).port}`;
    cli = await cliHome();
  });
  after(async () => {
    await srv.stop();
    await rm(cli.home, { recursive: true, force: true });
  });

  it('the CLI names the fix, and works once NODE_EXTRA_CA_CERTS names the certificate', async () => {
    const creds = ['--endpoint', endpoint, '--access-key-id', AK, '--access-key-secret', SECRET];
    assert.equal(fails(await cli.run(['oss', 'ls', ...creds]), 1, 'NetworkError'),
      `error: NetworkError: cannot reach ${endpoint} (self-signed certificate)${trustHint}\n`);
    assert.equal(fails(await cli.run(['ram', 'user', 'list', ...creds]), 1, 'NetworkError'),
      `error: NetworkError: cannot reach ${endpoint}/ (fetch failed: self-signed certificate)${trustHint}\n`);
    ok(await cli.run(['oss', 'mb', 'oss://trusted', ...creds], { NODE_EXTRA_CA_CERTS: TLS_CERT }));
    ok(await cli.run(['ram', 'user', 'list', ...creds], { NODE_EXTRA_CA_CERTS: TLS_CERT }));
  });

  it("PopClient's NetworkError (what alunite vend reports as StsUnavailable) carries the same hint", async () => {
    const sts = new PopClient({ endpoint, apiVersion: '2015-04-01', accessKeyId: AK, accessKeySecret: SECRET });
    const err = await sts.request('GetCallerIdentity', {}).then(() => assert.fail('expected a TLS failure'), (e: unknown) => e);
    assert.ok(err instanceof PopError && err.code === 'NetworkError', String(err));
    assert.ok(err.message.endsWith(trustHint), err.message);
  });

});
