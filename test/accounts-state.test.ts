// Accounts in the state file (`accounts:`: apply, export round trip, faults, reset) and `alunite account`
// create|list|delete on a data directory (docs/accounts.md).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { BucketService } from '../src/domain/buckets.js';
import { ObjectService } from '../src/domain/objects.js';
import { exportState } from '../src/init/export.js';
import { loadState } from '../src/init/load.js';
import { InitFileError } from '../src/init/state.js';
import type { RunningServer } from '../src/server.js';
import { systemClock } from '../src/util/time.js';
import { cliHome, fails, json } from './helpers/cli.js';
import { reset, stateDir } from './helpers/init.js';
import { expectOssError } from './helpers/oss.js';
import { ACCOUNT_ID as A, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, stsClient } from './helpers/sts.js';
import { tempDir } from './helpers/tmp.js';

const onPostgres = process.env.ALUNITE_TEST_META === 'postgres';
const B = '2000000000000002';
const B_AK = 'LTAI5tAccountBRootKey000';
const B_SECRET = 'AccountBRootSecret000000000000';
const APP_KEY = 'LTAI5tAppServerKey00000A';
const APP_SECRET = 'AppServerSecret000000000000000';

const STATE = {
  version: 1,
  roles: [{ name: 'AppWriter', trustPolicy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${B}:root`] } }] }, policies: ['AliyunOSSFullAccess'] }],
  buckets: [{ name: 'state-a-app', acl: 'private' }],
  accounts: [{
    id: B,
    name: 'partner',
    rootAccessKey: { id: B_AK, secret: B_SECRET },
    policies: [{ name: 'assume-app-writer', document: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `acs:ram::${A}:role/appwriter` }] } }],
    users: [{ name: 'app-server', accessKeys: [{ id: APP_KEY, secret: APP_SECRET }], policies: ['assume-app-writer'] }],
    roles: [{ name: 'AppWriter', trustPolicy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${B}:root`] } }] } }],
    buckets: [{ name: 'state-b-data', acl: 'public-read' }],
  }],
};

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side YAML

async function fullState(srv: RunningServer): Promise<Body> {
  const ctx = { meta: srv.meta, blobs: srv.blobs, clock: systemClock, region: 'cn-hangzhou', log: () => undefined };
  return exportState(
    { ram: srv.ram, buckets: new BucketService(ctx), objects: new ObjectService(ctx), meta: srv.meta, accountId: A, rootAccessKeyId: AK, accounts: srv.accounts },
    { withSecrets: true, rootAccessKeySecret: SECRET },
  );
}

describe('accounts in the state file', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('applies accounts with their own entities; the cross-account flow works; export → apply → export is a fixed point', async () => {
    const dir = await stateDir({ 'alunite.yaml': stringify(STATE) });
    const srv: TestServer = await startTestServer({ init: join(dir, 'alunite.yaml'), allowReset: true });
    cleanup.push(() => srv.stop());
    // B's root key and bucket; the same role name in both accounts.
    const rootB = srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET });
    assert.deepEqual(((await rootB.listBuckets({})) as unknown as { buckets: Array<{ name: string }> }).buckets.map((b) => b.name), ['state-b-data']);
    const cred = await assumeRole(stsClient(srv as TestServer, APP_KEY, APP_SECRET), { RoleArn: `acs:ram::${A}:role/AppWriter`, RoleSessionName: 'app' });
    assert.equal(cred.AssumedRoleUser.Arn, `acs:ram::${A}:role/appwriter/app`);
    const first = await fullState(srv);
    assert.equal(first.accounts.length, 1);
    assert.equal(first.accounts[0].id, B);
    assert.deepEqual(first.accounts[0].rootAccessKey, { id: B_AK, secret: B_SECRET });
    assert.deepEqual(first.accounts[0].users.map((u: Body) => u.name), ['app-server']);
    assert.deepEqual(first.accounts[0].roles.map((r: Body) => r.name), ['AppWriter']);
    assert.deepEqual(first.accounts[0].buckets.map((b: Body) => b.name), ['state-b-data']);
    assert.deepEqual(first.roles.map((r: Body) => r.name), ['AppWriter']);
    assert.ok(!first.users, 'no user of B (nor an account row) shows up in the default account');

    const out = await mkdtemp(join(tmpdir(), 'alunite-acct-'));
    cleanup.push(() => rm(out, { recursive: true, force: true }));
    await writeFile(join(out, 'exported.yaml'), stringify(first));
    const fresh = await startTestServer({ init: join(out, 'exported.yaml') });
    cleanup.push(() => fresh.stop());
    assert.deepEqual(await fullState(fresh), first);

    // Applying again changes nothing; reset brings B back to the declared state.
    await srv.ram.createUser({ principal: { type: 'root', accountId: A, accessKeyId: AK } }, { userName: 'extra-a' });
    await srv.accounts.ramFor(B).createUser({ principal: { type: 'root', accountId: B, accessKeyId: B_AK } }, { userName: 'extra-b' });
    const r = await reset(srv.port);
    assert.equal(r.status, 200, r.body.toString());
    const again = await fullState(srv);
    assert.deepEqual(again, first);
  });

  it('faults name the account entry: id, root key, keys and buckets shared across accounts', async () => {
    const bad = {
      account: { id: A },
      buckets: [{ name: 'same-bucket' }],
      accounts: [
        { id: A, rootAccessKey: { id: B_AK, secret: B_SECRET } },
        { id: '12', rootAccessKey: { id: B_AK, secret: B_SECRET }, buckets: [{ name: 'same-bucket' }] },
        { id: '3000000000000003', users: [{ name: 'bad name!' }], buckets: [{ name: 'same-bucket' }] },
      ],
    };
    const dir = await stateDir({ 'bad.yaml': stringify(bad) });
    let caught: InitFileError | undefined;
    try {
      loadState(join(dir, 'bad.yaml'));
    } catch (err) {
      caught = err as InitFileError;
    }
    assert.ok(caught instanceof InitFileError);
    const fields = caught.faults.map((f) => `${f.field}: ${f.message}`);
    assert.ok(fields.some((f) => f.startsWith('accounts[0].id: is the server\'s own account')), fields.join('\n'));
    assert.ok(fields.some((f) => f.startsWith('accounts[1].id: must be 16 digits')), fields.join('\n'));
    assert.ok(fields.some((f) => f.startsWith('accounts[1].rootAccessKey.id: AccessKey')), fields.join('\n'));
    assert.ok(fields.some((f) => f.startsWith('accounts[2].rootAccessKey: is required')), fields.join('\n'));
    assert.ok(fields.some((f) => f.startsWith('accounts[2].users[0].name:')), fields.join('\n'));
    assert.ok(fields.some((f) => f.startsWith('accounts[2].buckets[0].name: bucket same-bucket is declared by another account')), fields.join('\n'));
  });
});

describe('alunite account create|list|delete', { skip: onPostgres }, () => {
  it('creates an account on a data directory the server then serves; delete is refused while it holds a bucket', async () => {
    const home = await cliHome();
    const data = await tempDir('alunite-acct-data-');
    const env = { ALUNITE_ACCOUNT_ID: A, ALUNITE_ROOT_ACCESS_KEY_ID: AK };
    const created = json(await home.run(['account', 'create', '--data', data, '--id', B, '--name', 'partner', '--json'], env));
    assert.equal(created.accountId, B);
    assert.match(created.accessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
    assert.match(created.accessKeySecret, /^[A-Za-z0-9]{30}$/);
    fails(await home.run(['account', 'create', '--data', data, '--id', B], env), 1);
    const listed = json(await home.run(['account', 'list', '--data', data, '--json'], env));
    assert.deepEqual(listed.accounts.map((a: Body) => [a.accountId, a.default, a.name]), [[A, true, ''], [B, false, 'partner']]);

    let srv = await startTestServer({ dataDir: data });
    const rootB = srv.client({ accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret });
    await rootB.putBucket('cli-b-bucket');
    await srv.close();
    fails(await home.run(['account', 'delete', B, '--data', data], env), 1);
    srv = await startTestServer({ dataDir: data });
    await srv.client({ accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret }).deleteBucket('cli-b-bucket');
    await srv.close();
    json(await home.run(['account', 'delete', B, '--data', data, '--json'], env));
    srv = await startTestServer({ dataDir: data });
    try {
      await expectOssError(srv.client({ accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret }).listBuckets({}), 'InvalidAccessKeyId', 403);
    } finally {
      await srv.stop();
    }
  });
});
