// The OIDC and SAML federation suites again, with the identity providers in PostgreSQL (test/helpers/postgres.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ims } from './helpers/federation.js';
import { assertServersOnPostgres, startServerPairOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./federation-oidc.test.js');
await import('./federation-saml.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);

// Two server processes' worth of stores on one database: providers are shared, and the name and IssuerUrl
// stay unique when both create at once (advisory lock per kind + unique index).

describe('identity providers shared through PostgreSQL', () => {
  it('a provider created through one server is read through the other; racing creates of one IssuerUrl: one wins', async () => {
    const { a, b, stop } = await startServerPairOnPostgres();
    try {
      await ims(a, 'CreateOIDCProvider', { OIDCProviderName: 'shared', IssuerUrl: 'https://shared.example', ClientIds: 'c' });
      assert.equal((await ims(b, 'GetOIDCProvider', { OIDCProviderName: 'shared' })).OIDCProvider.IssuerUrl, 'https://shared.example');
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) =>
        ims(i % 2 === 0 ? a : b, 'CreateOIDCProvider', { OIDCProviderName: `race-${i}`, IssuerUrl: 'https://race.example' })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'EntityAlreadyExists.OIDCProvider');
      const list = await ims(b, 'ListOIDCProviders', {});
      assert.equal(list.OIDCProviders.OIDCProvider.filter((p: { IssuerUrl: string }) => p.IssuerUrl === 'https://race.example').length, 1);
      await ims(b, 'DeleteOIDCProvider', { OIDCProviderName: 'shared' });
      await assert.rejects(ims(a, 'GetOIDCProvider', { OIDCProviderName: 'shared' }), (e: { code?: string }) => e.code === 'EntityNotExist.OIDCProvider');
    } finally {
      await stop();
    }
  });
});
