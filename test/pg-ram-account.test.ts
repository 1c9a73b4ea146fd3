// The RAM account-features suite (login profiles, MFA, settings, last use, diagnostics) again, with the
// metadata in PostgreSQL (identity documents in ram_documents; see test/helpers/postgres.ts).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./ram-account.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);
