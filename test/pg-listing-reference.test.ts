// The listing reference comparison (test/listing-reference.test.ts) with the metadata in PostgreSQL.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./listing-reference.test.js');

it('the listing reference comparison really runs on PostgreSQL', assertServersOnPostgres);
