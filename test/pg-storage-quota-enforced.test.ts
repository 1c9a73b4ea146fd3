// The storage quota enforcement suite again with the metadata in PostgreSQL (the quota in bucket_configs there, the
// usage summed from its per-connection bucket_stats rows, racing writes held off by the bucket's advisory lock).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./storage-quota-enforced.test.js');

it('the storage quota suite really runs on PostgreSQL', assertServersOnPostgres);
