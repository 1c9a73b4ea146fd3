// OIDC and SAML providers in the state file (docs/init.md), for the default account and another one:
// applied at start, served per account, exported, re-applied by a reset (export → reset → export is a fixed
// point), updated in place when the file changes, and faults reported with their field.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { stringify } from 'yaml';
import { BucketService } from '../src/domain/buckets.js';
import { ObjectService } from '../src/domain/objects.js';
import { exportState } from '../src/init/export.js';
import { loadState } from '../src/init/load.js';
import { InitFileError } from '../src/init/state.js';
import type { RunningServer } from '../src/server.js';
import { systemClock } from '../src/util/time.js';
import { reset, stateDir } from './helpers/init.js';
import { encodedMetadata } from './helpers/saml.js';
import { ACCOUNT_ID as A, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side YAML/JSON

const B = '2000000000000004';
const B_AK = 'LTAI5tAccountBStateProv0';
const B_SECRET = 'AccountBStateProvSecret0000000';
const FP = 'ab'.repeat(20);

const STATE = {
  version: 1,
  oidcProviders: [{ name: 'ci', issuerUrl: 'https://issuer.example', clientIds: ['sts.aliyuncs.com'], fingerprints: [FP], issuanceLimitTime: 6, description: 'CI of A' }],
  accounts: [{
    id: B,
    rootAccessKey: { id: B_AK, secret: B_SECRET },
    oidcProviders: [{ name: 'ci', issuerUrl: 'https://issuer.example', clientIds: ['b-client'], fingerprints: [] }],
    samlProviders: [{ name: 'corp', metadata: encodedMetadata(), description: 'IdP of B' }],
  }],
};

async function exported(srv: RunningServer): Promise<Body> {
  const ctx = { meta: srv.meta, blobs: srv.blobs, clock: systemClock, region: 'cn-hangzhou', log: () => undefined };
  return exportState(
    { ram: srv.ram, buckets: new BucketService(ctx), objects: new ObjectService(ctx), meta: srv.meta, accountId: A, rootAccessKeyId: AK, accounts: srv.accounts, ims: srv.accounts.imsFor(A) },
    { withSecrets: true, rootAccessKeySecret: SECRET },
  );
}

describe('identity providers in the state file', () => {
  let srv: TestServer | undefined;
  after(async () => {
    await srv?.stop();
  });
  const ims = (ak: string, secret: string) => new RPCClient({ accessKeyId: ak, accessKeySecret: secret, endpoint: srv!.url, apiVersion: '2019-08-15' });

  it('applies each account\'s providers; export → reset → export is a fixed point; a changed file updates them', async () => {
    const dir = await stateDir({ 'alunite.yaml': stringify(STATE) });
    const file = join(dir, 'alunite.yaml');
    srv = await startTestServer({ init: file, allowReset: true });
    const a = await ims(AK, SECRET).request<Body>('GetOIDCProvider', { OIDCProviderName: 'ci' }, { method: 'POST' });
    assert.equal(a.OIDCProvider.ClientIds, 'sts.aliyuncs.com');
    assert.equal(a.OIDCProvider.IssuanceLimitTime, 6);
    const b = await ims(B_AK, B_SECRET).request<Body>('GetOIDCProvider', { OIDCProviderName: 'ci' }, { method: 'POST' });
    assert.equal(b.OIDCProvider.ClientIds, 'b-client');
    assert.equal(b.OIDCProvider.Arn, `acs:ram::${B}:oidc-provider/ci`);
    assert.equal((await ims(B_AK, B_SECRET).request<Body>('GetSAMLProvider', { SAMLProviderName: 'corp' }, { method: 'POST' })).SAMLProvider.Description, 'IdP of B');
    await assert.rejects(ims(AK, SECRET).request('GetSAMLProvider', { SAMLProviderName: 'corp' }, { method: 'POST' }), (e: { code?: string }) => e.code === 'EntityNotExist.SAMLProvider');

    const first = await exported(srv);
    assert.deepEqual(first.oidcProviders, [{ name: 'ci', issuerUrl: 'https://issuer.example', clientIds: ['sts.aliyuncs.com'], fingerprints: [FP], issuanceLimitTime: 6, description: 'CI of A' }]);
    assert.equal(first.samlProviders, undefined);
    assert.deepEqual(first.accounts[0].oidcProviders, [{ name: 'ci', issuerUrl: 'https://issuer.example', clientIds: ['b-client'], fingerprints: [], issuanceLimitTime: 12 }]);
    assert.deepEqual(first.accounts[0].samlProviders, [{ name: 'corp', metadata: encodedMetadata(), description: 'IdP of B' }]);

    // The export becomes the state file; a reset wipes everything and re-applies it.
    await writeFile(file, stringify(first));
    await ims(B_AK, B_SECRET).request('DeleteSAMLProvider', { SAMLProviderName: 'corp' }, { method: 'POST' });
    const r = await reset(srv.port);
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(await exported(srv), first);

    // A changed declaration is applied in place at the next reset (here: client ids and fingerprints of A's).
    const changed = structuredClone(first);
    changed.oidcProviders[0].clientIds = ['sts.aliyuncs.com', 'second'];
    changed.oidcProviders[0].fingerprints = ['cd'.repeat(20)];
    await writeFile(file, stringify(changed));
    assert.equal((await reset(srv.port)).status, 200);
    const after = await exported(srv);
    assert.deepEqual(after.oidcProviders[0].clientIds, ['sts.aliyuncs.com', 'second']);
    assert.deepEqual(after.oidcProviders[0].fingerprints, ['cd'.repeat(20)]);
    assert.deepEqual(after.accounts[0].oidcProviders, first.accounts[0].oidcProviders);
  });

  it('faults name the field: a bad issuer, a name declared twice, metadata that is not SAML', async () => {
    const dir = await stateDir({
      'bad.yaml': stringify({
        version: 1,
        oidcProviders: [
          { name: 'ci', issuerUrl: 'http://plain.example', clientIds: ['a'] },
          { name: 'ci', issuerUrl: 'https://ok.example', clientIds: ['a'] },
        ],
        accounts: [{ id: B, rootAccessKey: { id: B_AK, secret: B_SECRET }, samlProviders: [{ name: 'corp', metadata: Buffer.from('<not-saml/>').toString('base64') }] }],
      }),
    });
    let caught: unknown;
    try {
      loadState(join(dir, 'bad.yaml'));
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof InitFileError, String(caught));
    const fields = caught.faults.map((f) => f.field);
    assert.ok(fields.includes('oidcProviders[0].issuerUrl'), fields.join(' | '));
    assert.ok(fields.includes('oidcProviders[1].name'), fields.join(' | '));
    assert.ok(fields.some((f) => f.startsWith('accounts[0].samlProviders[0].metadata')), fields.join(' | '));
  });
});
