// A bin/alunite server (SQLite) killed with SIGKILL at seeded points of a concurrent load, restarted on the same data
// three times; then nothing acknowledged is lost, nothing half-written is visible, listings, HEAD, GET and
// GetBucketStat agree, and the start-up collector left no orphan: once every object, version and upload is deleted
// through the API, blobs/ and tmp/ hold no file (a blob no record refers to would survive those deletes).
// The load and the checks: test/helpers/crash-load.ts (shared with test/pg-crash-restart.test.ts, the same on
// PostgreSQL). PostgreSQL with two processes is test/pg-crash-two-processes.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertLedger, assertListingsAgree, crashLoad, deleteEverything, filesUnder } from './helpers/crash-load.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.CRASH_SEED ?? 4242);
const KILLS = 3;
const PLAIN = 'orphans-plain';
const VERSIONED = 'orphans-versioned';

describe('SIGKILL at seeded points under concurrent writes (SQLite): nothing lost, nothing partial, no orphan blob', () => {
  it(`${KILLS} kills (seed ${SEED})`, { timeout: 240_000 }, async (t) => {
    const dataDir = await tempDir('alunite-crash-orphans-');
    const servers: SpawnedServer[] = [];
    try {
      const run = await crashLoad({
        start: async () => {
          const srv = await spawnServer(['--data', dataDir]);
          servers.push(srv);
          return srv;
        },
        seed: SEED, kills: KILLS, workers: 4, plain: PLAIN, versioned: VERSIONED,
      });
      const present = await assertLedger(run, PLAIN, VERSIONED);
      const held = await assertListingsAgree(run.srv, PLAIN, VERSIONED, present);
      t.diagnostic(`${run.acked} operations acknowledged over ${KILLS} kills; ${run.states.size} keys, ${run.versions.size} versions checked; ${held.objects} objects and versions, ${held.uploads} uploads listed`);

      // Delete everything through the API: then no blob file may be left (an orphan would survive these deletes).
      await deleteEverything(run.srv, [PLAIN, VERSIONED]);
      assert.deepEqual(await filesUnder(join(dataDir, 'blobs')), [], 'no blob file left once everything is deleted');
      assert.deepEqual(await filesUnder(join(dataDir, 'tmp')), [], 'no temporary file left');
      assert.doesNotMatch(run.srv.stderr(), /internal error/);
    } finally {
      for (const s of servers) await kill9(s.child);
    }
  });
});
