// Red-team wave 17 again with the metadata in PostgreSQL: a batch job's worker in one process and the requests that
// change what it may do in another (the case only two processes on one database can show).
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./redteam-wave17.test.js');

it('the wave 17 suites really run on PostgreSQL', assertServersOnPostgres);
