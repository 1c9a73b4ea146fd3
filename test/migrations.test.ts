// Versioned schema migrations (schema_migrations) for both engines, and how a bad --meta fails at start.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startServer } from '../src/server.js';
import { PG_MIGRATIONS } from '../src/store/meta/postgres/schema.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../src/store/meta/sqlite/schema.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { newVersionId } from '../src/store/meta/versions.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { testPostgres } from './helpers/postgres.js';
import { ACCOUNT_ID, AK, SECRET } from './helpers/server.js';

const ALL_SQLITE = SQLITE_MIGRATIONS.map((_, i) => i + 1);
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-migrations-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// Live channels as releases before migration 12 kept them: all of a bucket's in one document.
const CHANNEL = (name: string): Record<string, unknown> => ({ Name: name, Description: 'd', Status: 'enabled', LastModified: '2026-12-01T00:00:00.000Z', Target: { Type: 'HLS', FragDuration: '5', FragCount: '3', PlaylistName: 'playlist.m3u8' } });
const OLD_LIVE_CHANNELS = {
  lc: JSON.stringify({ LiveChannel: [CHANNEL('频道-1'), CHANNEL('a')] }),
  lc2: JSON.stringify({ LiveChannel: CHANNEL('only') }),
};
// And inventories, all of a bucket's in one document.
const INVENTORY = (id: string): Record<string, unknown> => ({ Id: id, IsEnabled: 'true', Destination: { OSSBucketDestination: { Format: 'CSV', AccountId: '1', RoleArn: 'r', Bucket: 'acs:oss:::lc' } }, Schedule: { Frequency: 'Daily' }, IncludedObjectVersions: 'All' });
const OLD_INVENTORIES = { lc: JSON.stringify({ InventoryConfiguration: [INVENTORY('z'), INVENTORY('b-1')] }) };

async function assertChannelsMoved(s: Pick<SqliteMetadataStore, 'listConfigEntries' | 'getConfigEntry'>): Promise<void> {
  const all = { prefix: '', after: '', limit: 100 };
  assert.deepEqual(await s.listConfigEntries('lc', 'live-channel', all), [
    { id: 'a', document: JSON.stringify(CHANNEL('a')) },
    { id: '频道-1', document: JSON.stringify(CHANNEL('频道-1')) },
  ]);
  assert.deepEqual(await s.listConfigEntries('lc2', 'live-channel', all), [{ id: 'only', document: JSON.stringify(CHANNEL('only')) }]);
  assert.deepEqual(await s.listConfigEntries('lc', 'inventory', all), [
    { id: 'b-1', document: JSON.stringify(INVENTORY('b-1')) },
    { id: 'z', document: JSON.stringify(INVENTORY('z')) },
  ]);
}

describe('SQLite migrations', () => {
  it('a new database records every migration in schema_migrations', async () => {
    const s = new SqliteMetadataStore({ path: join(await tempDir(), 'm.sqlite') });
    assert.deepEqual(s.appliedMigrations(), ALL_SQLITE);
    await s.close();
  });

  it('a database written by release 0.1.0 (no schema_migrations, PRAGMA user_version 2) is adopted, not re-created', async () => {
    // The fixture was written by the 0.1.0 SqliteMetadataStore: a bucket, an inline object, a RAM user.
    const path = join(await tempDir(), 'metadata.sqlite');
    await copyFile(join(FIXTURES, 'metadata-release-0.1.0.sqlite'), path);
    const before = new Database(path, { readonly: true });
    assert.equal((before.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'schema_migrations'").get() as { n: number }).n, 0);
    before.close();
    const s = new SqliteMetadataStore({ path });
    assert.deepEqual(s.appliedMigrations(), ALL_SQLITE);
    assert.equal((await s.getBucket('legacy'))?.name, 'legacy');
    assert.deepEqual((await s.getObject('legacy', 'hello.txt'))?.inline, Buffer.from('hello'));
    assert.equal((await s.getUser('legacy-user'))?.userId, '2000000000000001');
    assert.deepEqual(await s.listKeyRotations(), [], 'a 0.1.0 database has no rotation history');
    await s.close();
    // Reopening changes nothing.
    const again = new SqliteMetadataStore({ path });
    assert.deepEqual(again.appliedMigrations(), ALL_SQLITE);
    assert.equal((await again.listObjects('legacy', { prefix: '', limit: 10 })).length, 1);
    await again.close();
  });

  it('one owner\'s buckets are read through an index, in name order (ListBuckets, the bucket quota)', async () => {
    const path = join(await tempDir(), 'm.sqlite');
    const s = new SqliteMetadataStore({ path });
    await s.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a', 'b') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
      const list = plan('SELECT name FROM buckets WHERE owner = ? AND name > ? ORDER BY name LIMIT 10');
      assert.match(list, /USING (COVERING )?INDEX buckets_by_owner/, list);
      assert.doesNotMatch(list, /TEMP B-TREE/, `no sort: ${list}`);
      const count = plan('SELECT count(*) FROM buckets WHERE owner = ? AND ? IS NOT NULL');
      assert.match(count, /INDEX buckets_by_owner/, count);
    } finally {
      db.close();
    }
  });

  it('12: a bucket\'s live channels and inventories documents become one collection entry each, the same JSON', async () => {
    const path = join(await tempDir(), 'm.sqlite');
    await new SqliteMetadataStore({ path }).close();
    // The database as migration 11 left it, holding channels the old way: a list, and (another bucket) one channel.
    const db = new Database(path);
    db.prepare('DELETE FROM schema_migrations WHERE version >= 12').run(); // and those after it, run again on top
    for (const [bucketName, doc] of Object.entries(OLD_LIVE_CHANNELS)) db.prepare("INSERT INTO bucket_configs (bucket, name, document) VALUES (?, 'stored.live-channel', ?)").run(bucketName, doc);
    for (const [bucketName, doc] of Object.entries(OLD_INVENTORIES)) db.prepare("INSERT INTO bucket_configs (bucket, name, document) VALUES (?, 'stored.inventory', ?)").run(bucketName, doc);
    db.close();
    const s = new SqliteMetadataStore({ path });
    try {
      assert.deepEqual(s.appliedMigrations(), ALL_SQLITE);
      await assertChannelsMoved(s);
    } finally {
      await s.close();
    }
    const check = new Database(path, { readonly: true });
    assert.equal((check.prepare("SELECT count(*) AS n FROM bucket_configs WHERE name IN ('stored.live-channel', 'stored.inventory')").get() as { n: number }).n, 0, 'the old document is gone');
    check.close();
  });

  it('13: object writes and deletes build no temporary table in their bucket_stats triggers, and count the same', async () => {
    // The database as migration 12 left it (the triggers of migration 7), with objects of a minimum-billed class and not.
    const path = join(await tempDir(), 'm.sqlite');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (let v = 0; v < 12; v++) {
      old.exec(SQLITE_MIGRATIONS[v]!);
      old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(v + 1);
    }
    old.prepare("INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy) VALUES ('b', 'o', 1, 'r', 'private', 'Standard', 'LRS')").run();
    const row = (key: string, size: number, cls: string): unknown[] => ['b', key, size, 'e', '0', null, 'Normal', cls, 'default', 1, '{}', '{}', '{}', '[]', null, null, null, null];
    const insert = 'INSERT OR REPLACE INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments, symlink_target, inline_id, attrs, version_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    // Ephemeral tables (OpenEphemeral) opened by a statement or the trigger programs it runs (EXPLAIN lists both).
    const ephemeral = (db: Database.Database, sql: string, n: number): number =>
      (db.prepare(`EXPLAIN ${sql}`).all(...Array.from({ length: n }, () => null)) as Array<{ opcode: string }>).filter((r) => r.opcode === 'OpenEphemeral').length;
    const statements: Array<[string, number]> = [
      [insert, 18],
      ['DELETE FROM objects WHERE bucket = ? AND key = ?', 2],
      ["UPDATE objects SET size = ?, storage_class = ? WHERE bucket = ? AND key = ?", 4],
      ["INSERT INTO object_versions (bucket, key, seq, version_id, size, etag, crc64, type, storage_class, acl, last_modified, headers, meta, tags, segments, delete_marker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 16],
      ['DELETE FROM object_versions WHERE bucket = ? AND key = ? AND seq = ?', 3],
    ];
    assert.ok(statements.some(([sql, n]) => ephemeral(old, sql, n) > 0), 'migration 7\'s triggers build one (the IN list)');
    for (const [key, size, cls] of [['s', 100, 'Standard'], ['ia', 100, 'IA'], ['big', 70000, 'Archive'], ['gone', 10, 'ColdArchive']] as const) old.prepare(insert).run(...row(key, size, cls));
    old.close();
    const s = new SqliteMetadataStore({ path });
    try {
      assert.deepEqual(s.appliedMigrations(), ALL_SQLITE);
    } finally {
      await s.close();
    }
    const db = new Database(path);
    db.pragma('recursive_triggers = ON'); // as the store runs (base.ts): a replace fires the delete trigger
    try {
      for (const [sql, n] of statements) assert.equal(ephemeral(db, sql, n), 0, sql);
      // Writes through the new triggers: a replace, a class change, a delete, a new minimum-billed object.
      db.prepare(insert).run(...row('s', 200, 'Standard'));
      db.prepare("UPDATE objects SET storage_class = 'DeepColdArchive' WHERE bucket = 'b' AND key = 'ia'").run();
      db.prepare("DELETE FROM objects WHERE bucket = 'b' AND key = 'gone'").run();
      db.prepare(insert).run(...row('ia2', 5, 'IA'));
      const stats = db.prepare("SELECT storage_class AS cls, count, bytes, billed FROM bucket_stats WHERE bucket = 'b' AND kind = 'object' AND count <> 0 ORDER BY cls").all();
      assert.deepEqual(stats, [
        { cls: 'Archive', count: 1, bytes: 70000, billed: 70000 },
        { cls: 'DeepColdArchive', count: 1, bytes: 100, billed: 65536 },
        { cls: 'IA', count: 1, bytes: 5, billed: 65536 },
        { cls: 'Standard', count: 1, bytes: 200, billed: 200 },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses a database newer than this release', async () => {
    const path = join(await tempDir(), 'm.sqlite');
    await new SqliteMetadataStore({ path }).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)').run();
    db.close();
    assert.throws(() => new SqliteMetadataStore({ path }), new RegExp(`metadata schema version 99 is newer than this release understands \\(${SQLITE_MIGRATIONS.length}\\)`));
  });
});

/** The schema as it was before PostgreSQL migration 13 (symlink targets as text). */
async function undoMigration13(c: pg.Client): Promise<void> {
  for (const table of ['objects', 'object_versions']) {
    await c.query(`ALTER TABLE ${table} ALTER COLUMN symlink_target TYPE text USING convert_from(symlink_target, 'UTF8')`);
  }
  // 14 (the statistics triggers) runs again after 13: it replaces functions, whatever it finds.
  await c.query('DELETE FROM schema_migrations WHERE version >= 13');
}

/** Writes to every table with statistics triggers in bucket `b`: inserts, an update moving class and size, deletes. */
async function statWrites(c: pg.Client, b: string): Promise<void> {
  await c.query("INSERT INTO buckets (name, owner, created_at, region, acl, storage_class, redundancy) VALUES ($1, 'o', 1, 'r', 'private', 'Standard', 'LRS')", [b]);
  const obj = "INSERT INTO objects (bucket, key, size, etag, crc64, type, storage_class, acl, last_modified, headers, meta, tags, segments) VALUES ";
  const row = (n: number): string => `($1, $${n}, $${n + 1}, 'e', '0', 'Normal', $${n + 2}, 'default', 1, '{}', '{}', '{}', '[]')`;
  await c.query(`${obj}${row(2)}, ${row(5)}, ${row(8)}`, [b, Buffer.from('k1'), 100, 'Standard', Buffer.from('k2'), 100, 'IA', Buffer.from('k3'), 70000, 'Archive']);
  await c.query("UPDATE objects SET size = 200, storage_class = 'IA' WHERE bucket = $1 AND key = $2", [b, Buffer.from('k1')]);
  await c.query('DELETE FROM objects WHERE bucket = $1 AND key = $2', [b, Buffer.from('k3')]);
  const ver = `INSERT INTO object_versions (bucket, key, seq, version_id, delete_marker, noncurrent_since, size, etag, crc64, type, storage_class, acl, last_modified, headers, meta, tags, segments)
    VALUES ($1, $2, $3, $4, $5, 1, $6, 'e', '0', 'Normal', 'Standard', 'default', 1, '{}', '{}', '{}', '[]')`;
  await c.query(ver, [b, Buffer.from('k1'), 1, 'v1', false, 50]);
  await c.query(ver, [b, Buffer.from('k1'), 2, 'v2', true, 0]);
  await c.query(ver, [b, Buffer.from('k2'), 1, 'v3', true, 0]);
  await c.query('DELETE FROM object_versions WHERE bucket = $1 AND seq = 2', [b]);
  await c.query("INSERT INTO uploads (upload_id, bucket, key, initiated, headers, meta, tags, acl, storage_class) VALUES ($1, $2, $3, 1, '{}', '{}', '{}', 'default', 'IA')", [`u-${b}`, b, Buffer.from('m')]);
  for (const n of [1, 2, 3]) await c.query("INSERT INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified) VALUES ($1, $2, 10, 'e', '0', 'x', 1)", [`u-${b}`, n]);
  await c.query('DELETE FROM parts WHERE upload_id = $1 AND part_number = 1', [`u-${b}`]);
  await c.query("INSERT INTO uploads (upload_id, bucket, key, initiated, headers, meta, tags, acl, storage_class) VALUES ($1, $2, $3, 1, '{}', '{}', '{}', 'default', 'Standard')", [`w-${b}`, b, Buffer.from('m')]);
  await c.query("INSERT INTO parts (upload_id, part_number, size, etag, crc64, blob_id, last_modified) VALUES ($1, 1, 7, 'e', '0', 'x', 1)", [`w-${b}`]);
  await c.query('DELETE FROM uploads WHERE upload_id = $1', [`u-${b}`]);
}

/** A bucket's statistics summed over the shards: "kind class count bytes billed" lines. */
async function statLines(c: pg.Client, b: string): Promise<string[]> {
  const { rows } = await c.query<{ l: string }>(
    `SELECT concat_ws(' ', kind, storage_class, sum(count), sum(bytes), sum(billed)) AS l FROM bucket_stats WHERE bucket = $1 GROUP BY kind, storage_class ORDER BY 1`,
    [b],
  );
  return rows.map((r) => r.l);
}

describe('PostgreSQL migrations', () => {
  it('several processes starting at once on an empty database migrate it once (advisory lock)', async () => {
    const url = await (await testPostgres()).freshUrl();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresMetadataStore.open({ url })));
    try {
      for (const s of stores) assert.deepEqual(await s.appliedMigrations(), PG_MIGRATIONS.map((_, i) => i + 1));
      // All of them work on the one schema.
      await stores[0]!.createUser({ userId: '1', userName: 'u', displayName: '', mobilePhone: '', email: '', comments: '', createDate: 1, updateDate: 1 }, 10);
      assert.equal((await stores[4]!.getUser('u'))?.userId, '1');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('12: a bucket\'s live channels and inventories documents become one collection entry each, the same JSON', async () => {
    const url = await (await testPostgres()).freshUrl();
    await (await PostgresMetadataStore.open({ url })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await undoMigration13(c);
    await c.query('DELETE FROM schema_migrations WHERE version = 12');
    for (const [bucketName, doc] of Object.entries(OLD_LIVE_CHANNELS)) await c.query("INSERT INTO bucket_configs (bucket, name, document) VALUES ($1, 'stored.live-channel', $2)", [bucketName, doc]);
    for (const [bucketName, doc] of Object.entries(OLD_INVENTORIES)) await c.query("INSERT INTO bucket_configs (bucket, name, document) VALUES ($1, 'stored.inventory', $2)", [bucketName, doc]);
    await c.end();
    const s = await PostgresMetadataStore.open({ url });
    try {
      assert.deepEqual(await s.appliedMigrations(), PG_MIGRATIONS.map((_, i) => i + 1));
      await assertChannelsMoved(s);
    } finally {
      await s.close();
    }
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const { rows } = await check.query<{ n: number }>("SELECT count(*)::int AS n FROM bucket_configs WHERE name IN ('stored.live-channel', 'stored.inventory')");
    await check.end();
    assert.equal(rows[0]!.n, 0, 'the old document is gone');
  });

  it('13: symlink targets stored as text before become bytea, the same text (current objects and older versions)', async () => {
    const url = await (await testPostgres()).freshUrl();
    await (await PostgresMetadataStore.open({ url })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    // The schema as migration 12 left it, holding a symlink of each kind.
    await undoMigration13(c);
    const older = newVersionId(1);
    const content = "0, 'E', '0', NULL, 'Symlink', 'Standard', 'default', 1, '{}', '{}', '[]', '[]'";
    await c.query(`INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments, symlink_target, version_id)
      VALUES ('b', $1, ${content}, 'tärget/now', 'v2')`, [Buffer.from('link')]);
    await c.query(`INSERT INTO object_versions (bucket, key, seq, version_id, delete_marker, noncurrent_since, size, etag, crc64, content_md5, type, storage_class, acl, last_modified, headers, meta, tags, segments, symlink_target)
      VALUES ('b', $1, 1, $2, false, 2, ${content}, 'tärget/before')`, [Buffer.from('link'), older]);
    await c.end();
    const s = await PostgresMetadataStore.open({ url });
    try {
      assert.deepEqual(await s.appliedMigrations(), PG_MIGRATIONS.map((_, i) => i + 1));
      assert.equal((await s.getObject('b', 'link'))?.symlinkTarget, 'tärget/now');
      assert.equal((await s.getObjectVersion('b', 'link', older))?.symlinkTarget, 'tärget/before');
    } finally {
      await s.close();
    }
  });

  it('14: the statistics triggers upsert without a SQL function per write, and count what those of migration 8 counted', async () => {
    const url = await (await testPostgres()).freshUrl();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // The schema as migration 13 left it: writes to bucket b8 go through migration 8's triggers.
      await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      for (let v = 0; v < 13; v++) {
        await c.query(PG_MIGRATIONS[v]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      }
      await statWrites(c, 'b8');
      const s = await PostgresMetadataStore.open({ url });
      try {
        assert.deepEqual(await s.appliedMigrations(), PG_MIGRATIONS.map((_, i) => i + 1));
      } finally {
        await s.close();
      }
      const fns = await c.query("SELECT proname FROM pg_proc WHERE proname = 'alunite_stat_apply'");
      assert.equal(fns.rows.length, 0, 'the SQL function is gone');
      // The same writes to b14 go through the new ones, on a connection that has run them before (cached plans).
      await statWrites(c, 'b14');
      const expected = ['marker  1 0 0', 'object Archive 0 0 0', 'object IA 2 300 131072', 'object Standard 1 50 50', 'part IA 0 0 0', 'part Standard 1 7 7', 'upload  1 0 0'];
      assert.deepEqual(await statLines(c, 'b8'), expected);
      assert.deepEqual(await statLines(c, 'b14'), expected);
      await statWrites(c, 'b14x');
      assert.deepEqual(await statLines(c, 'b14x'), expected);
    } finally {
      await c.end();
    }
  });

  it('refuses a database newer than this release, naming the versions', async () => {
    const url = await (await testPostgres()).freshUrl();
    await (await PostgresMetadataStore.open({ url })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('INSERT INTO schema_migrations (version) VALUES (99)');
    await c.end();
    await assert.rejects(PostgresMetadataStore.open({ url }), new RegExp(`metadata schema version 99 is newer than this release understands \\(${PG_MIGRATIONS.length}\\)`));
  });
});

describe('--meta at start', () => {
  const base = {
    host: '127.0.0.1', port: 0, inMemory: false, region: 'cn-hangzhou', accountId: ACCOUNT_ID,
    rootAccessKeyId: AK, rootAccessKeySecret: SECRET, logLevel: 'silent' as const, durable: false,
  };

  it('an unreachable PostgreSQL server fails the start with the URL (password hidden) and the cause', async () => {
    await assert.rejects(
      startServer({ ...base, dataDir: await tempDir(), meta: 'postgres://alunite:s3cret@127.0.0.1:1/nodb' }),
      (err: Error) => {
        assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/alunite:\*\*\*@127\.0\.0\.1:1\/nodb: .*ECONNREFUSED/);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      },
    );
  });

  it('a database that does not exist fails the start with the server\'s message', async () => {
    const { port } = await testPostgres();
    await assert.rejects(
      startServer({ ...base, dataDir: await tempDir(), meta: `postgres://alunite@127.0.0.1:${port}/no_such_database` }),
      /cannot connect to PostgreSQL at postgres:\/\/alunite@127\.0\.0\.1:\d+\/no_such_database: database "no_such_database" does not exist/,
    );
  });

  it('anything but sqlite or a postgres:// URL is refused by name', async () => {
    await assert.rejects(startServer({ ...base, dataDir: await tempDir(), meta: 'mysql://root@localhost/db' }), /unknown metadata store "mysql:\/\/root@localhost\/db": use "sqlite" or a postgres:\/\//);
  });
});
