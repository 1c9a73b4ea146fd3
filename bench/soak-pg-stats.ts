/** What the soak (bench/soak-mixed.ts --meta postgres) samples of PostgreSQL and of the shared blob directory. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';

export interface PgSample {
  /** The servers' connections (application `alunite`) by state: active, idle, idle in transaction. */
  connections: Record<string, number>;
  locksWaiting: number;
  tablesMiB: number;
  liveRows: number;
  deadRows: number;
  /** The three tables with the most dead rows, `name:dead/live`. */
  deadest: string[];
}

/** One sample through a connection of its own (application `alunite-soak`, not counted). */
export async function pgSample(url: string): Promise<PgSample> {
  const c = new pg.Client({ connectionString: url, application_name: 'alunite-soak' });
  await c.connect();
  try {
    const conns = await c.query<{ state: string | null; n: number }>(
      "SELECT state, count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'alunite' GROUP BY state",
    );
    const locks = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
    const tables = await c.query<{ relname: string; size: string; live: string; dead: string }>(
      'SELECT relname, pg_total_relation_size(relid) AS size, n_live_tup AS live, n_dead_tup AS dead FROM pg_stat_user_tables WHERE schemaname = current_schema()',
    );
    const rows = tables.rows.map((r) => ({ name: r.relname, size: Number(r.size), live: Number(r.live), dead: Number(r.dead) }));
    return {
      connections: Object.fromEntries(conns.rows.map((r) => [r.state ?? 'null', r.n])),
      locksWaiting: locks.rows[0]!.n,
      tablesMiB: +(rows.reduce((s, r) => s + r.size, 0) / 2 ** 20).toFixed(2),
      liveRows: rows.reduce((s, r) => s + r.live, 0),
      deadRows: rows.reduce((s, r) => s + r.dead, 0),
      deadest: rows.sort((a, b) => b.dead - a.dead).slice(0, 3).map((r) => `${r.name}:${r.dead}/${r.live}`),
    };
  } finally {
    await c.end();
  }
}

export interface BlobCensus {
  files: number;
  /** Blob ids some object, version or part references (the collector's own query). */
  referenced: number;
  /** Files no row references after the listing (orphans, or uploads whose row is not committed yet). */
  unreferenced: number;
  /** Referenced before and after the listing but not listed: bytes lost (ids are never reused). */
  missing: number;
}

function blobFiles(dir: string): Set<string> {
  const ids = new Set<string>();
  for (const sub of readdirSync(dir)) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const n of names) if (/^[0-9a-f]{32}$/.test(n)) ids.add(n);
  }
  return ids;
}

/** Blob files against the ids the rows reference (a pool of one connection, closed before returning). */
export async function blobCensus(url: string, blobsDir: string): Promise<BlobCensus> {
  const store = await PostgresMetadataStore.open({ url, poolSize: 1 });
  try {
    const before = await store.referencedBlobIds();
    const files = blobFiles(blobsDir);
    const after = await store.referencedBlobIds();
    let unreferenced = 0;
    let missing = 0;
    for (const f of files) if (!after.has(f)) unreferenced++;
    for (const id of before) if (after.has(id) && !files.has(id)) missing++;
    return { files: files.size, referenced: after.size, unreferenced, missing };
  } finally {
    await store.close();
  }
}
