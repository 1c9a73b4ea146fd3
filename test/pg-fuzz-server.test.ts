// The server fuzz run (test/fuzz-server.test.ts) again, with the metadata in PostgreSQL (a real server
// started by test/helpers/postgres.ts, a fresh schema). FUZZ_SEED and FUZZ_COUNT apply as there.
process.env.ALUNITE_TEST_META = 'postgres';
await import('./fuzz-server.test.js');
