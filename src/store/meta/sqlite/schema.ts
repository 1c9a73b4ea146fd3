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
  // federation: OIDC and SAML identity providers (store/meta/providers.ts), a JSON document per (kind, name).
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
];

/** What `reset()` empties: the data plane and the RAM identities (nonces and key_rotations stay). */
export const RESET_TABLES = [
  'objects', 'object_versions', 'inline_data', 'parts', 'uploads', 'bucket_configs', 'buckets',
  'ram_access_keys', 'ram_group_members', 'ram_attachments', 'ram_policy_versions', 'ram_policies', 'ram_users', 'ram_groups', 'ram_roles',
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
