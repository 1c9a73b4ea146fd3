// The pop-core RAM API suite again, with the metadata in PostgreSQL (see test/helpers/postgres.ts).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./ram-api.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);
