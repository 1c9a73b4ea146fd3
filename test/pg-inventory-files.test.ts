// The inventory-files suite again with the metadata in PostgreSQL (run claims in bucket_configs there).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-inventory-files.test.js');

it('the inventory-files suite really runs on PostgreSQL', assertServersOnPostgres);
