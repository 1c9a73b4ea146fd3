import { collectionsMigration } from '../collection-migration.js';
import type Database from 'better-sqlite3';

// Versioned migrations: index i brings the schema from version i to i+1 (recorded as version i+1 in
// schema_migrations). Never edit a shipped one; add a new entry.
export const MIGRATIONS: string[] = [
  `CREATE TABLE buckets (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     region TEXT NOT NULL,
     acl TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     redundancy TEXT NOT NULL,
     policy TEXT,
     cors TEXT
   );
   -- Keys are TEXT in a UTF-8 database with BINARY collation (memcmp), so ORDER BY and range scans
   -- follow UTF-8 byte order, as OSS listings do.
   CREATE TABLE objects (
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     crc64 TEXT NOT NULL,
     content_md5 TEXT,
     type TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     acl TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     headers TEXT NOT NULL,
     meta TEXT NOT NULL,
     tags TEXT NOT NULL,
     segments TEXT NOT NULL,
     symlink_target TEXT,
     inline_id INTEGER,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;
   -- Bytes of small objects, apart from their rows: WITHOUT ROWID rows should stay small (a 4 KiB row
   -- spills to overflow pages and makes every lookup about twice as slow).
   CREATE TABLE inline_data (
     id INTEGER PRIMARY KEY,
     data BLOB NOT NULL
   );
   CREATE TABLE uploads (
     upload_id TEXT PRIMARY KEY,
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     initiated INTEGER NOT NULL,
     headers TEXT NOT NULL,
     meta TEXT NOT NULL,
     tags TEXT NOT NULL,
     acl TEXT NOT NULL,
     storage_class TEXT NOT NULL
   );
   CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
   CREATE TABLE parts (
     upload_id TEXT NOT NULL,
     part_number INTEGER NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     crc64 TEXT NOT NULL,
     blob_id TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   ) WITHOUT ROWID;`,
  // 2: RAM identities and RPC replay nonces.
  `CREATE TABLE ram_users (
     user_id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     display_name TEXT NOT NULL,
     mobile_phone TEXT NOT NULL,
     email TEXT NOT NULL,
     comments TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_access_keys (
     access_key_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     sealed_secret TEXT NOT NULL,
     status TEXT NOT NULL,
     created INTEGER NOT NULL
   );
   CREATE INDEX ram_access_keys_by_user ON ram_access_keys (user_id, created);
   CREATE TABLE ram_groups (
     group_id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     comments TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_group_members (
     group_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     joined INTEGER NOT NULL,
     PRIMARY KEY (group_id, user_id)
   ) WITHOUT ROWID;
   CREATE INDEX ram_group_members_by_user ON ram_group_members (user_id);
   CREATE TABLE ram_roles (
     role_id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     name_key TEXT NOT NULL UNIQUE,
     description TEXT NOT NULL,
     trust_policy TEXT NOT NULL,
     max_session_duration INTEGER NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_policies (
     name TEXT PRIMARY KEY,
     description TEXT NOT NULL,
     default_version TEXT NOT NULL,
     next_version INTEGER NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL
   );
   CREATE TABLE ram_policy_versions (
     policy_name TEXT NOT NULL,
     version_num INTEGER NOT NULL,
     document TEXT NOT NULL,
     created INTEGER NOT NULL,
     PRIMARY KEY (policy_name, version_num)
   ) WITHOUT ROWID;
   CREATE TABLE ram_attachments (
     principal_kind TEXT NOT NULL,
     principal_id TEXT NOT NULL,
     policy_type TEXT NOT NULL,
     policy_name TEXT NOT NULL,
     attached INTEGER NOT NULL,
     PRIMARY KEY (principal_kind, principal_id, policy_type, policy_name)
   ) WITHOUT ROWID;
   CREATE INDEX ram_attachments_by_policy ON ram_attachments (policy_type, policy_name);
   CREATE TABLE rpc_nonces (
     nonce TEXT PRIMARY KEY,
     expires INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX rpc_nonces_by_expiry ON rpc_nonces (expires);`,
  // 3: the history of master-key rotations, appended in the transaction that re-seals the RAM secrets
  // (fingerprints only, never keys; previous_fingerprints is a JSON array). AUTOINCREMENT: ids are never reused.
  `CREATE TABLE key_rotations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     rotated_at INTEGER NOT NULL,
     key_fingerprint TEXT NOT NULL,
     previous_fingerprints TEXT NOT NULL,
     resealed INTEGER NOT NULL,
     mode TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL
   );`,
  // 4: bucket configurations other than ACL, policy and CORS (versioning, WORM, encryption, lifecycle, …):
  // one generic (bucket, name) → JSON document store instead of a column or table per feature.
  `CREATE TABLE bucket_configs (
     bucket TEXT NOT NULL,
     name TEXT NOT NULL,
     document TEXT NOT NULL,
     PRIMARY KEY (bucket, name)
   ) WITHOUT ROWID;`,
  // 5: per-object and per-upload feature state (ObjectAttrs: encryption, restore, …) as one JSON column.
  `ALTER TABLE objects ADD COLUMN attrs TEXT;
   ALTER TABLE uploads ADD COLUMN attrs TEXT;`,
  // 6: versioning (docs/versioning.md). `objects` keeps the current version of each key (version_id NULL for
  // the null version); noncurrent versions and delete markers live here, ordered newest first per key.
  // noncurrent_since: when the version stopped being current (NULL only for a current delete marker).
  `ALTER TABLE objects ADD COLUMN version_id TEXT;
   CREATE TABLE object_versions (
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     seq INTEGER NOT NULL,
     version_id TEXT NOT NULL,
     delete_marker INTEGER NOT NULL,
     noncurrent_since INTEGER,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     crc64 TEXT NOT NULL,
     content_md5 TEXT,
     type TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     acl TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     headers TEXT NOT NULL,
     meta TEXT NOT NULL,
     tags TEXT NOT NULL,
     segments TEXT NOT NULL,
     symlink_target TEXT,
     inline_id INTEGER,
     attrs TEXT,
     PRIMARY KEY (bucket, key, seq DESC)
   ) WITHOUT ROWID;
   CREATE INDEX object_versions_null ON object_versions (bucket, key) WHERE version_id = 'null';
   CREATE INDEX object_versions_by_age ON object_versions (bucket, noncurrent_since, key, seq);`,
  // 7: bucket statistics (GetBucketStat), kept by triggers in the transaction of every write that changes
  // them, so reading them is one small indexed query and no write path can forget them. Requires
  // recursive_triggers (base.ts): INSERT OR REPLACE then fires the delete trigger for the replaced row.
  bucketStatsMigration(),
  // 8: RAM identity documents (login profiles, MFA devices, account settings, AccessKey last use: docs/ram.md).
  `CREATE TABLE ram_documents (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (kind, id)
   ) WITHOUT ROWID;`,
  // 9 (SQLite) / 10 (PostgreSQL): OIDC and SAML identity providers (store/meta/providers.ts), a JSON document per (kind, name).
  `CREATE TABLE ram_identity_providers (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     unique_key TEXT,
     document TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     PRIMARY KEY (kind, name)
   );
   CREATE UNIQUE INDEX ram_identity_providers_unique ON ram_identity_providers (kind, unique_key) WHERE unique_key IS NOT NULL;`,
  // 10 (SQLite) / 11 (PostgreSQL): RAM documents and identity providers keyed by account (docs/accounts.md);
  // '' is the server's default account, which every existing row belongs to.
  `CREATE TABLE ram_documents_v2 (
     account TEXT NOT NULL,
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (account, kind, id)
   ) WITHOUT ROWID;
   INSERT INTO ram_documents_v2 (account, kind, id, doc) SELECT '', kind, id, doc FROM ram_documents;
   DROP TABLE ram_documents;
   ALTER TABLE ram_documents_v2 RENAME TO ram_documents;
   CREATE TABLE ram_identity_providers_v2 (
     account TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     unique_key TEXT,
     document TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     PRIMARY KEY (account, kind, name)
   );
   INSERT INTO ram_identity_providers_v2 (account, kind, name, unique_key, document, created, updated)
     SELECT '', kind, name, unique_key, document, created, updated FROM ram_identity_providers;
   DROP TABLE ram_identity_providers;
   ALTER TABLE ram_identity_providers_v2 RENAME TO ram_identity_providers;
   CREATE UNIQUE INDEX ram_identity_providers_unique ON ram_identity_providers (account, kind, unique_key) WHERE unique_key IS NOT NULL;`,
  // 11: ListBuckets and the bucket quota read one owner's buckets in name order (listOwnBuckets, countBuckets):
  // without this index both scanned every bucket of every account. (PostgreSQL: buckets_by_owner.)
  `CREATE INDEX buckets_by_owner ON buckets (owner, name);`,
  // 12: a bucket's live channels and inventories, one entry each of its 'live-channel' and 'inventory' collections
  // (getConfigEntry), instead of one document of up to 1,000 that every write rewrote (and every bucket read carried).
  collectionsMigration('sqlite'),
  // 13: the object tables' bucket_stats triggers (7) compute the billed size with CASE … WHEN instead of `IN (…)`. SQLite
  // codes a constant IN list of four values as a lookup table that a trigger builds afresh each time it fires (an
  // in-memory B-tree opened, a page zeroed, four inserts, closed): on every object PUT and DELETE. Same figures.
  objectStatTriggersMigration(),
];

/** Billed size: IA and the archive classes bill at least 64 KiB per object (OSS's minimum billable size). */
function billed(row: string): string {
  return `CASE WHEN ${row}.storage_class IN ('IA', 'Archive', 'ColdArchive', 'DeepColdArchive') THEN max(${row}.size, 65536) ELSE ${row}.size END`;
}

/** `billed` without the IN list: one comparison after another (migration 13), the same value for every row. */
function billedByCase(row: string): string {
  const min = `max(${row}.size, 65536)`;
  return `CASE ${row}.storage_class WHEN 'IA' THEN ${min} WHEN 'Archive' THEN ${min} WHEN 'ColdArchive' THEN ${min} WHEN 'DeepColdArchive' THEN ${min} ELSE ${row}.size END`;
}

/** Adds (sign 1) or removes (sign -1) one row's figures. */
function statUpsert(bucket: string, kind: string, storageClass: string, count: string, bytes: string, billedBytes: string): string {
  return `INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
       VALUES (${bucket}, ${kind}, ${storageClass}, 0, ${count}, ${bytes}, ${billedBytes}, unixepoch())
       ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = count + excluded.count,
         bytes = bytes + excluded.bytes, billed = billed + excluded.billed, updated = excluded.updated;`;
}

/** The six triggers of the objects and object_versions tables that keep bucket_stats, billing by `billedOf`. */
function objectStatTriggers(billedOf: (row: string) => string): string {
  const obj = (r: string, sign: string): string => statUpsert(`${r}.bucket`, `'object'`, `${r}.storage_class`, sign, `${sign} * ${r}.size`, `${sign} * ${billedOf(r)}`);
  const ver = (r: string, sign: string): string =>
    statUpsert(`${r}.bucket`, `CASE WHEN ${r}.delete_marker = 1 THEN 'marker' ELSE 'object' END`, `CASE WHEN ${r}.delete_marker = 1 THEN '' ELSE ${r}.storage_class END`,
      sign, `CASE WHEN ${r}.delete_marker = 1 THEN 0 ELSE ${sign} * ${r}.size END`, `CASE WHEN ${r}.delete_marker = 1 THEN 0 ELSE ${sign} * ${billedOf(r)} END`);
  return `CREATE TRIGGER objects_stat_insert AFTER INSERT ON objects BEGIN ${obj('NEW', '1')} END;
   CREATE TRIGGER objects_stat_delete AFTER DELETE ON objects BEGIN ${obj('OLD', '-1')} END;
   CREATE TRIGGER objects_stat_update AFTER UPDATE OF size, storage_class ON objects
     WHEN OLD.size <> NEW.size OR OLD.storage_class <> NEW.storage_class BEGIN ${obj('OLD', '-1')} ${obj('NEW', '1')} END;
   CREATE TRIGGER versions_stat_insert AFTER INSERT ON object_versions BEGIN ${ver('NEW', '1')} END;
   CREATE TRIGGER versions_stat_delete AFTER DELETE ON object_versions BEGIN ${ver('OLD', '-1')} END;
   CREATE TRIGGER versions_stat_update AFTER UPDATE OF size, storage_class, delete_marker ON object_versions
     WHEN OLD.size <> NEW.size OR OLD.storage_class <> NEW.storage_class OR OLD.delete_marker <> NEW.delete_marker BEGIN ${ver('OLD', '-1')} ${ver('NEW', '1')} END;`;
}

/** Migration 13: the object triggers of migration 7 again, billing without an IN list (`billedByCase`). */
function objectStatTriggersMigration(): string {
  const names = ['objects_stat_insert', 'objects_stat_delete', 'objects_stat_update', 'versions_stat_insert', 'versions_stat_delete', 'versions_stat_update'];
  return `${names.map((n) => `DROP TRIGGER ${n};`).join('\n   ')}
   ${objectStatTriggers(billedByCase)}`;
}

function bucketStatsMigration(): string {
  // Parts are counted under their upload's bucket and class while the upload exists; deleting an upload
  // removes what its remaining parts added (whichever of the two rows goes first).
  const part = (r: string, sign: string): string =>
    `INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
       SELECT u.bucket, 'part', u.storage_class, 0, ${sign}, ${sign} * ${r}.size, ${sign} * ${r}.size, unixepoch() FROM uploads u WHERE u.upload_id = ${r}.upload_id
       ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = count + excluded.count,
         bytes = bytes + excluded.bytes, billed = billed + excluded.billed, updated = excluded.updated;`;
  return `CREATE TABLE bucket_stats (
     bucket TEXT NOT NULL,
     kind TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     shard INTEGER NOT NULL,
     count INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     billed INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     PRIMARY KEY (bucket, kind, storage_class, shard)
   ) WITHOUT ROWID;
   ${objectStatTriggers(billed)}
   CREATE TRIGGER uploads_stat_insert AFTER INSERT ON uploads BEGIN ${statUpsert('NEW.bucket', `'upload'`, `''`, '1', '0', '0')} END;
   CREATE TRIGGER uploads_stat_delete BEFORE DELETE ON uploads BEGIN
     ${statUpsert('OLD.bucket', `'upload'`, `''`, '-1', '0', '0')}
     INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
       SELECT OLD.bucket, 'part', OLD.storage_class, 0, -count(*), -coalesce(sum(size), 0), -coalesce(sum(size), 0), unixepoch() FROM parts WHERE upload_id = OLD.upload_id
       ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = count + excluded.count,
         bytes = bytes + excluded.bytes, billed = billed + excluded.billed, updated = excluded.updated;
   END;
   CREATE TRIGGER parts_stat_insert AFTER INSERT ON parts BEGIN ${part('NEW', '1')} END;
   CREATE TRIGGER parts_stat_delete AFTER DELETE ON parts BEGIN ${part('OLD', '-1')} END;
   CREATE TRIGGER parts_stat_update AFTER UPDATE OF size ON parts WHEN OLD.size <> NEW.size BEGIN ${part('OLD', '-1')} ${part('NEW', '1')} END;
   CREATE TRIGGER buckets_stat_delete AFTER DELETE ON buckets BEGIN DELETE FROM bucket_stats WHERE bucket = OLD.name; END;
   INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT bucket, 'object', storage_class, 0, count(*), sum(size), sum(${billed('objects')}), unixepoch() FROM objects WHERE true GROUP BY bucket, storage_class;
   INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT bucket, 'object', storage_class, 0, count(*), sum(size), sum(${billed('object_versions')}), unixepoch() FROM object_versions WHERE delete_marker = 0 GROUP BY bucket, storage_class
     ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = count + excluded.count, bytes = bytes + excluded.bytes, billed = billed + excluded.billed;
   INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT bucket, 'marker', '', 0, count(*), 0, 0, unixepoch() FROM object_versions WHERE delete_marker = 1 GROUP BY bucket;
   INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT bucket, 'upload', '', 0, count(*), 0, 0, unixepoch() FROM uploads WHERE true GROUP BY bucket;
   INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT u.bucket, 'part', u.storage_class, 0, count(*), sum(p.size), sum(p.size), unixepoch() FROM parts p JOIN uploads u ON u.upload_id = p.upload_id WHERE true GROUP BY u.bucket, u.storage_class;`;
}

/** What `reset()` empties: the data plane and the RAM identities (nonces and key_rotations stay). */
export const RESET_TABLES = [
  'objects', 'object_versions', 'inline_data', 'parts', 'uploads', 'bucket_configs', 'buckets', 'bucket_stats',
  'ram_access_keys', 'ram_group_members', 'ram_attachments', 'ram_policy_versions', 'ram_policies', 'ram_users', 'ram_groups', 'ram_roles',
  // RAM identity documents
  'ram_documents',
  // federation
  'ram_identity_providers',
] as const;

/**
 * Applies the migrations this file has not seen, each in its own transaction, recording them in
 * `schema_migrations` (version, applied_at). A database from release 0.1.0 has no such table but its
 * version in PRAGMA user_version: those versions are stamped as applied, never re-run. user_version
 * is kept equal to the newest version so 0.1.0 still refuses a database newer than it understands.
 */
export function migrate(db: Database.Database): void {
  const hasTable = (name: string): boolean =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  const record = { run: (v: number, at: number) => db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, at) };
  db.transaction(() => {
    if (hasTable('schema_migrations')) return;
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    let legacy = db.pragma('user_version', { simple: true }) as number;
    if (legacy === 0 && hasTable('buckets')) legacy = 1;
    for (let v = 1; v <= Math.min(legacy, MIGRATIONS.length); v++) record.run(v, Date.now());
    if (legacy > MIGRATIONS.length) record.run(legacy, Date.now());
  }).immediate();
  const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  if (version > MIGRATIONS.length) {
    throw new Error(`metadata schema version ${version} is newer than this release understands (${MIGRATIONS.length})`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      record.run(v + 1, Date.now());
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
