// The SealAppendObject suite again with the metadata in PostgreSQL (the seal lives in the objects' attrs).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-seal-append.test.js');

it('the SealAppendObject suite really runs on PostgreSQL', assertServersOnPostgres);
