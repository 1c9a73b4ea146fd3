// One bin/alunite server on PostgreSQL (`--meta postgres://…`, `--blobs DIR`) killed with SIGKILL at seeded points of
// a concurrent load (PUTs inline and in files, multipart completes, appends, copies, deletes, versioned PUTs and
// delete markers) and started again on the same database and blob directory, three times (the load and the ledger:
// test/helpers/crash-load.ts, the same as test/crash-orphans.test.ts on SQLite). Then:
//  - every acknowledged write is there with its bytes (MD5, and the CRC-64 the server states), every key is in a
//    state its history allows, nothing half-written is visible;
//  - listings agree with HEAD and GET, and GetBucketStat with the listings (the statistics the triggers keep in the
//    transaction of each write, folded from the killed process's connections);
//  - no orphan blob is kept for ever: on PostgreSQL a start collects only files older than the grace period (other
//    processes may be writing), so the files are made three hours old and the server started again; its start-up
//    collection must leave only files some object, version or part references, and no temporary file; everything
//    reads back the same after it; and once everything is deleted through the API no file is left.
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { assertLedger, assertListingsAgree, crashLoad, deleteEverything, filesUnder } from './helpers/crash-load.js';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const SEED = Number(process.env.CRASH_SEED ?? 5151);
const KILLS = 3;
const PLAIN = 'pgcrash-plain';
const VERSIONED = 'pgcrash-versioned';
const HOUR = 3600_000;

describe('one bin/alunite server on PostgreSQL, SIGKILLed at seeded points under concurrent writes', () => {
  it(`${KILLS} kills (seed ${SEED}): nothing lost, nothing partial, listings and GetBucketStat agree, orphans collected`, { timeout: 300_000 }, async (t) => {
    const url = await (await testPostgres()).freshUrl();
    const dir = await tempDir('alunite-pg-crash-restart-');
    const blobsDir = join(dir, 'shared');
    const servers: SpawnedServer[] = [];
    const start = async (): Promise<SpawnedServer> => {
      const srv = await spawnServer(['--data', join(dir, 'data'), '--meta', url, '--blobs', blobsDir]);
      servers.push(srv);
      return srv;
    };
    try {
      const run = await crashLoad({ start, seed: SEED, kills: KILLS, workers: 4, plain: PLAIN, versioned: VERSIONED });
      assert.deepEqual(await filesUnder(join(dir, 'data')).then((f) => f.filter((x) => /metadata\.sqlite/.test(x))), [], 'the metadata is in PostgreSQL');
      const present = await assertLedger(run, PLAIN, VERSIONED);
      const held = await assertListingsAgree(run.srv, PLAIN, VERSIONED, present);

      // The collector: the server stopped, every file made old, started again (it collects at start).
      await kill9(run.srv.child);
      const before = await filesUnder(blobsDir);
      const old = new Date(Date.now() - 3 * HOUR);
      for (const f of before) await utimes(f, old, old);
      const srv = await start();
      const meta = await PostgresMetadataStore.open({ url, durable: false });
      let leaked: string[] = [];
      try {
        // A kill during a collection leaves its lease for --gc-lease (30 s): the limit is above it.
        await eventually(async () => {
          const referenced = await meta.referencedBlobIds();
          leaked = (await filesUnder(blobsDir)).filter((f) => !f.startsWith(join(blobsDir, 'blobs')) || !referenced.has(basename(f)));
          return leaked.length === 0;
        }, 'every file left in the blob directory is a blob some object, version or part references', 120_000, 200).catch((err: Error) => {
          throw new Error(`${err.message}: ${leaked.slice(0, 10).join(', ')}${leaked.length > 10 ? ` and ${leaked.length - 10} more` : ''}`);
        });
      } finally {
        await meta.close();
      }
      const after = await filesUnder(blobsDir);
      t.diagnostic(`${run.acked} operations acknowledged over ${KILLS} kills; ${run.states.size} keys, ${run.versions.size} versions checked; ${held.objects} objects and versions, ${held.uploads} uploads listed; ${before.length} files before the collection, ${after.length} after`);
      const again = { ...run, srv };
      assert.deepEqual(await assertLedger(again, PLAIN, VERSIONED), present, 'after the collection everything reads back the same');
      await assertListingsAgree(srv, PLAIN, VERSIONED, present);

      await deleteEverything(srv, [PLAIN, VERSIONED]);
      assert.deepEqual(await filesUnder(blobsDir), [], 'no file left in the blob directory once everything is deleted');
      for (const s of servers) assert.doesNotMatch(s.stderr(), /internal error/);
    } finally {
      for (const s of servers) await kill9(s.child);
    }
  });
});
