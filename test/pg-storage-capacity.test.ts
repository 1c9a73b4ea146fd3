// The storage capacity suite again with the metadata in PostgreSQL (bucket_configs there, and the capacity measured
// from its per-connection bucket_stats rows).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-storage-capacity.test.js');

it('the storage capacity suite really runs on PostgreSQL', assertServersOnPostgres);
