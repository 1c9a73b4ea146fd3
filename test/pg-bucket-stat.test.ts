// The GetBucketStat suite again with the metadata in PostgreSQL (statistics kept by its triggers).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-bucket-stat.test.js');

it('the GetBucketStat suite really runs on PostgreSQL', assertServersOnPostgres);
