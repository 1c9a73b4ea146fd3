// The encryption suite again with the metadata (and inline rows of small objects) in PostgreSQL.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { startTestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-encryption.test.js');

it('the encryption suite really runs on PostgreSQL', async () => {
  const srv = await startTestServer();
  try {
    assert.ok(srv.meta instanceof PostgresMetadataStore);
  } finally {
    await srv.stop();
  }
});
