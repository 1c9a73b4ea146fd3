// The ali-oss object, multipart and listing suites again, with the metadata in PostgreSQL (a real server
// started by test/helpers/postgres.ts; each test server gets a fresh schema).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-objects.test.js');
await import('./oss-multipart.test.js');
await import('./oss-list.test.js');

it('these suites really run on PostgreSQL', assertServersOnPostgres);
