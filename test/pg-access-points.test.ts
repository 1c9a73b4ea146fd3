// The access-point suite again with the metadata in PostgreSQL (bucket_configs there).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-access-points.test.js');

it('the access-point suite really runs on PostgreSQL', assertServersOnPostgres);
