// The encryption suite again with the metadata (and inline rows of small objects) in PostgreSQL.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-encryption.test.js');

it('the encryption suite really runs on PostgreSQL', assertServersOnPostgres);
