// The access-rules suites (Referer, Block Public Access, pay-by-requester) again with the metadata in
// PostgreSQL: the configurations go through bucket_configs there, and the rules read them off the bucket record.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-referer.test.js');
await import('./oss-public-access-block.test.js');
await import('./oss-request-payment.test.js');

it('the access-rules suites really run on PostgreSQL', assertServersOnPostgres);
