// The versioning suite again, with the metadata in PostgreSQL (a real server started by test/helpers/postgres.ts).
process.env.ALUNITE_TEST_META = 'postgres';
await import('./oss-versioning.test.js');
