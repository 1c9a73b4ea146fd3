// test/crash-protections.test.ts again with the metadata in PostgreSQL (ALUNITE_TEST_META=postgres: the server it
// spawns and kills gets `--meta` with a fresh schema). Until 7 Dec 2026 that run was made only by hand.
process.env.ALUNITE_TEST_META = 'postgres';
await import('./crash-protections.test.js');
