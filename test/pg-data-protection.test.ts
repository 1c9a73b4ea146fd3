// The WORM retention and archive/restore suites again, with the metadata in PostgreSQL (a real server started
// by test/helpers/postgres.ts; each test server gets a fresh schema): the policy state machine and the guarded
// deletes run inside PostgreSQL transactions (row locks) instead of SQLite's.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-retention.test.js');
await import('./oss-archive.test.js');

it('these suites really run on PostgreSQL', assertServersOnPostgres);
