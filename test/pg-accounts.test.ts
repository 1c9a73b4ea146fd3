// The several-accounts suites again, with the metadata in PostgreSQL (see test/helpers/postgres.ts).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./accounts.test.js');
await import('./accounts-state.test.js');
await import('./accounts-ram-extras.test.js');
await import('./accounts-state-providers.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);
