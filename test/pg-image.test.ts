// The image processing suite again with the metadata (styles are a bucket configuration) in PostgreSQL.
import { it } from 'node:test';
import { assertServersOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-image.test.js');

it('the image suite really runs on PostgreSQL', assertServersOnPostgres);
