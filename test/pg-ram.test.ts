// The pop-core RAM API suite again, with the metadata in PostgreSQL (see test/helpers/postgres.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { startTestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./ram-api.test.js');

it('this suite really runs on PostgreSQL', async () => {
  const srv = await startTestServer();
  try {
    assert.ok(srv.meta instanceof PostgresMetadataStore);
  } finally {
    await srv.stop();
  }
});
