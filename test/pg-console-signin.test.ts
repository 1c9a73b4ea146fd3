// The console sign-in suite again, with the metadata in PostgreSQL (login profiles and MFA devices in
// ram_documents, the one-time MFA step written in the store's transaction; see test/helpers/postgres.ts).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./console-signin.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);
