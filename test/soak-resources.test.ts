// A short soak of one `bin/alunite server` child on SQLite: a bounded mixed load, then its descriptors, temporary
// and blob files and memory back to where they were (test/helpers/soak.ts says what is loaded and checked;
// test/pg-soak-resources.test.ts is the same on PostgreSQL). bench/soak-mixed.ts is the long version for manual runs.
import { after, before, describe, it } from 'node:test';
import { soak } from './helpers/soak.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.SOAK_SEED ?? 7);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 40);
const BUDGET_MS = Number(process.env.SOAK_BUDGET_MS ?? 20_000);

describe('short soak: descriptors, temporary and blob files, memory back to baseline', () => {
  let srv: SpawnedServer;
  let dataDir: string;
  before(async () => {
    dataDir = await tempDir('alunite-soak-short-');
    srv = await spawnServer(['--data', dataDir]);
  });
  after(async () => {
    await kill9(srv.child);
  });

  it(`mixed load with cut uploads and connection churn (seed ${SEED})`, { timeout: 240_000 }, async (t) => {
    await soak(t, { srv, blobsRoot: dataDir, seed: SEED, rounds: ROUNDS, budgetMs: BUDGET_MS });
  });
});
