// The server fuzz run (test/fuzz-server.test.ts) again, with the metadata in PostgreSQL (a real server
// started by test/helpers/postgres.ts, a fresh schema) and the requests spread over two processes sharing it
// and one blob directory. FUZZ_SEED, FUZZ_COUNT and FUZZ_PROCESSES apply as there.
process.env.ALUNITE_TEST_META = 'postgres';
process.env.FUZZ_PROCESSES ??= '2';
await import('./fuzz-server.test.js');
