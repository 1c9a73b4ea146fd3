// The DoMetaQuery suite again with the metadata in PostgreSQL (scanObjects there).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-meta-query.test.js');

it('the DoMetaQuery suite really runs on PostgreSQL', assertServersOnPostgres);
