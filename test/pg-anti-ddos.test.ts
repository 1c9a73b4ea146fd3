// The anti-DDoS suite again with the metadata in PostgreSQL (account and bucket configurations in bucket_configs there).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-anti-ddos.test.js');

it('the anti-DDoS suite really runs on PostgreSQL', assertServersOnPostgres);
