/**
 * PostgreSQL for `npm run bench -- --meta …`: a URL the user gives (the bench creates one schema per
 * Alunite server or process group in that database and drops them at the end), or `--meta postgres`:
 * a throwaway local server started like the tests' (test/helpers/postgres.ts: initdb, fsync off).
 */
import pg from 'pg';
import { testPostgres } from '../test/helpers/postgres.js';

export interface BenchPostgres {
  /** Printable description (password hidden). */
  label: string;
  /** A URL whose connections see a fresh, empty schema. */
  freshUrl(): Promise<string>;
  close(): Promise<void>;
}

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  const options = [u.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean).join(' ');
  u.searchParams.set('options', options);
  return u.toString();
}

export async function benchPostgres(meta: string): Promise<BenchPostgres> {
  if (meta === 'postgres') {
    const server = await testPostgres();
    return {
      label: `a throwaway local PostgreSQL ${server.version} (initdb; fsync=off, synchronous_commit=off) on port ${server.port}`,
      freshUrl: () => server.freshUrl(),
      async close() {}, // stopped when this process exits
    };
  }
  const admin = new pg.Client({ connectionString: meta });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`cannot connect to PostgreSQL for the benchmark: ${(err as Error).message}`);
  }
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const schemas: string[] = [];
  const u = new URL(meta);
  if (u.password) u.password = '***';
  return {
    label: `PostgreSQL ${version} at ${u.toString()}`,
    async freshUrl() {
      const schema = `alunite_bench_${process.pid}_${schemas.length + 1}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      return withSearchPath(meta, schema);
    },
    async close() {
      for (const s of schemas) await admin.query(`DROP SCHEMA ${s} CASCADE`).catch(() => undefined);
      await admin.end();
    },
  };
}
