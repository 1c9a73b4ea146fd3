// Account aliases across servers sharing one PostgreSQL database (docs/accounts.md, "Account aliases"): the
// alias → account index is in the store, so an alias set through one server signs in through the other at once,
// an alias another account holds is refused whichever server is asked, and a cleared alias stops signing in
// everywhere.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { ACCOUNT_ALIAS_INDEX } from '../src/accounts/alias-index.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { testPostgres } from './helpers/postgres.js';
import { Ram, type PopError } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

type Body = Record<string, unknown>;
const PASSWORD = 'Alias-Index-Pass-1';

describe('account aliases across servers sharing one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  const noWorkers = { lifecycle: { enabled: false }, inventory: { enabled: false } };

  const signIn = async (srv: TestServer, logonName: string, password = PASSWORD): Promise<number> => {
    const res = await fetch(`${srv.url}/-/console/api/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: srv.url },
      body: JSON.stringify({ logonName, password }),
    });
    await res.text();
    return res.status;
  };

  before(async () => {
    const url = await (await testPostgres()).freshUrl();
    const masterKey = randomBytes(32);
    a = await startTestServer({ meta: url, masterKey, ...noWorkers });
    b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir, ...noWorkers });
    assert.ok(a.meta instanceof PostgresMetadataStore && b.meta instanceof PostgresMetadataStore);
    const ram = new Ram(a);
    await ram.call('CreateUser', { UserName: 'alice' });
    await ram.call('CreateLoginProfile', { UserName: 'alice', Password: PASSWORD });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('set on one server, found by the other; taken aliases refused on either; cleared everywhere', async () => {
    const ramA = new Ram(a);
    await ramA.call('SetAccountAlias', { AccountAlias: 'pg-corp' });
    assert.equal(await b.meta.getIndexEntry(ACCOUNT_ALIAS_INDEX, 'pg-corp'), ACCOUNT_ID);
    assert.equal(await signIn(b, 'alice@pg-corp.onaliyun.com'), 200);
    const tenant = await b.accounts.create({ name: 'pg-alias-tenant' });
    const tenantRam = (srv: TestServer, action: string, params: Record<string, unknown> = {}) =>
      new RPCClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: tenant.accessKeyId, accessKeySecret: tenant.accessKeySecret } as ConstructorParameters<typeof RPCClient>[0])
        .request<Body>(action, params, { method: 'POST' });
    for (const srv of [a, b]) {
      await assert.rejects(tenantRam(srv, 'SetAccountAlias', { AccountAlias: 'pg-corp' }), (e: PopError) => {
        assert.equal(e.data?.Code ?? e.code, 'EntityAlreadyExists.AccountAlias');
        return true;
      });
    }
    assert.equal((await tenantRam(a, 'GetAccountAlias')).AccountAlias, tenant.accountId);
    // Cleared through B: no server signs in by it, and the tenant may take it through A.
    await new Ram(b).call('ClearAccountAlias');
    assert.equal(await a.meta.getIndexEntry(ACCOUNT_ALIAS_INDEX, 'pg-corp'), null);
    assert.equal(await signIn(a, 'alice@pg-corp'), 401);
    assert.equal(await signIn(b, 'alice@pg-corp'), 401);
    await tenantRam(a, 'SetAccountAlias', { AccountAlias: 'pg-corp' });
    assert.equal(await b.meta.getIndexEntry(ACCOUNT_ALIAS_INDEX, 'pg-corp'), tenant.accountId);
    // The tenant has no alice: its alias never reaches the default account's.
    assert.equal(await signIn(b, 'alice@pg-corp'), 401);
    assert.equal(await signIn(b, `alice@${ACCOUNT_ID}`), 200);
  });
});
