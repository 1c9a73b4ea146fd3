// The catalog fuzzer (test/fuzz-catalog.test.ts) again with the metadata in PostgreSQL: every published operation
// as described, then seeded mutations, against a `bin/alunite server --meta postgres://…`. A short budget (the
// suite's time; by hand FUZZ_BUDGET_MS, FUZZ_POP_BUDGET_MS and FUZZ_SEED apply as there). By hand with seeds 11 and
// 99 and 60–150 s budgets, every answer's status and error code matched the SQLite run's for the same sequence.
process.env.ALUNITE_TEST_META = 'postgres';
process.env.FUZZ_BUDGET_MS ??= '5000';
process.env.FUZZ_POP_BUDGET_MS ??= '3000';
await import('./fuzz-catalog.test.js');
