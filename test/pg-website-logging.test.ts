// The website and access logging suites again with the metadata (configurations, log objects) in PostgreSQL.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-website.test.js');
await import('./oss-logging.test.js');

it('the website and logging suites really run on PostgreSQL', assertServersOnPostgres);
