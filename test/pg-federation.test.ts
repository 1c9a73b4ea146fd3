// The OIDC and SAML federation suites again, with the identity providers in PostgreSQL (test/helpers/postgres.ts).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./federation-oidc.test.js');
await import('./federation-saml.test.js');

it('this suite really runs on PostgreSQL', assertServersOnPostgres);
