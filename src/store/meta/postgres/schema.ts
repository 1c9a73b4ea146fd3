import type pg from 'pg';
import { collectionsMigration } from '../collection-migration.js';

/** Text compared bytewise (UTF-8 byte order), whatever the database's default collation. */
const T = 'text COLLATE "C"';

/**
 * Versioned migrations: index i brings the schema from version i to i+1 (recorded as version i+1 in
 * schema_migrations). Never edit a shipped one; add a new entry.
 *
 * Object and upload keys, and symlink targets (keys too), are bytea: OSS keys may contain U+0000, which
 * PostgreSQL text cannot hold, and bytea compares bytewise, which is UTF-8 byte order, as OSS listings are.
 */
/** Lines of a statistics delta: (bucket, kind, storage_class, n, bytes, billed) summed from a transition table, negated with '-'. */
type StatLines = (table: string, sign: '' | '-') => string;

/** The tables whose writes move bucket_stats, each with its trigger function and what a row of it counts as. */
const STAT_TABLES: ReadonlyArray<{ table: string; fn: string; lines: StatLines; note?: string }> = [
  {
    table: 'objects',
    fn: 'alunite_objects_stat',
    lines: (t, sign) => `SELECT bucket, 'object' AS kind, storage_class, ${sign}count(*) AS n, ${sign}sum(size) AS bytes, ${sign}sum(alunite_billed(storage_class, size)) AS billed
       FROM ${t} GROUP BY bucket, storage_class`,
  },
  {
    table: 'object_versions',
    fn: 'alunite_versions_stat',
    lines: (t, sign) => `SELECT bucket, CASE WHEN delete_marker THEN 'marker' ELSE 'object' END AS kind, CASE WHEN delete_marker THEN '' ELSE storage_class END AS storage_class,
       ${sign}count(*) AS n, ${sign}sum(CASE WHEN delete_marker THEN 0 ELSE size END) AS bytes,
       ${sign}sum(CASE WHEN delete_marker THEN 0 ELSE alunite_billed(storage_class, size) END) AS billed
       FROM ${t} GROUP BY 1, 2, 3`,
  },
  {
    table: 'uploads',
    // Kept word for word in migration 8's text.
    note: `-- Parts count under their upload's bucket and class while the upload exists; deleting an upload removes
   -- what its remaining parts added (whichever of the two rows goes first).`,
    fn: 'alunite_uploads_stat',
    lines: (t, sign) => `SELECT bucket, 'upload' AS kind, '' AS storage_class, ${sign}count(*) AS n, 0 AS bytes, 0 AS billed FROM ${t} GROUP BY bucket` +
      (sign === '-' ? ` UNION ALL SELECT u.bucket, 'part', u.storage_class, -count(*), -sum(p.size), -sum(p.size) FROM ${t} u JOIN parts p USING (upload_id) GROUP BY u.bucket, u.storage_class` : ''),
  },
  {
    table: 'parts',
    fn: 'alunite_parts_stat',
    lines: (t, sign) => `SELECT u.bucket, 'part' AS kind, u.storage_class, ${sign}count(*) AS n, ${sign}sum(p.size) AS bytes, ${sign}sum(p.size) AS billed
       FROM ${t} p JOIN uploads u USING (upload_id) GROUP BY u.bucket, u.storage_class`,
  },
];

export const PG_MIGRATIONS: string[] = [
  // 1: the data plane, the RAM identities, RPC replay nonces and the shared change counters.
  `CREATE TABLE buckets (
     name ${T} PRIMARY KEY,
     owner ${T} NOT NULL,
     created_at bigint NOT NULL,
     region ${T} NOT NULL,
     acl ${T} NOT NULL,
     storage_class ${T} NOT NULL,
     redundancy ${T} NOT NULL,
     policy text,
     cors text
   );
   CREATE INDEX buckets_by_owner ON buckets (owner);
   -- Small objects' bytes live in inline_data (TOASTed out of line when large), so listings, which
   -- read only summary columns, never fetch them.
   CREATE TABLE objects (
     bucket ${T} NOT NULL,
     key bytea NOT NULL,
     size bigint NOT NULL,
     etag ${T} NOT NULL,
     crc64 ${T} NOT NULL,
     content_md5 text,
     type ${T} NOT NULL,
     storage_class ${T} NOT NULL,
     acl ${T} NOT NULL,
     last_modified bigint NOT NULL,
     headers text NOT NULL,
     meta text NOT NULL,
     tags text NOT NULL,
     segments text NOT NULL,
     symlink_target text,
     inline_data bytea,
     PRIMARY KEY (bucket, key)
   );
   CREATE TABLE uploads (
     upload_id ${T} PRIMARY KEY,
     bucket ${T} NOT NULL,
     key bytea NOT NULL,
     initiated bigint NOT NULL,
     headers text NOT NULL,
     meta text NOT NULL,
     tags text NOT NULL,
     acl ${T} NOT NULL,
     storage_class ${T} NOT NULL
   );
   CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
   CREATE TABLE parts (
     upload_id ${T} NOT NULL,
     part_number integer NOT NULL,
     size bigint NOT NULL,
     etag ${T} NOT NULL,
     crc64 ${T} NOT NULL,
     blob_id ${T} NOT NULL,
     last_modified bigint NOT NULL,
     PRIMARY KEY (upload_id, part_number)
   );
   CREATE TABLE ram_users (
     user_id ${T} PRIMARY KEY,
     name ${T} NOT NULL UNIQUE,
     display_name text NOT NULL,
     mobile_phone text NOT NULL,
     email text NOT NULL,
     comments text NOT NULL,
     created bigint NOT NULL,
     updated bigint NOT NULL
   );
   CREATE TABLE ram_access_keys (
     access_key_id ${T} PRIMARY KEY,
     user_id ${T} NOT NULL,
     sealed_secret text NOT NULL,
     status ${T} NOT NULL,
     created bigint NOT NULL
   );
   CREATE INDEX ram_access_keys_by_user ON ram_access_keys (user_id, created);
   CREATE TABLE ram_groups (
     group_id ${T} PRIMARY KEY,
     name ${T} NOT NULL UNIQUE,
     comments text NOT NULL,
     created bigint NOT NULL,
     updated bigint NOT NULL
   );
   CREATE TABLE ram_group_members (
     group_id ${T} NOT NULL,
     user_id ${T} NOT NULL,
     joined bigint NOT NULL,
     PRIMARY KEY (group_id, user_id)
   );
   CREATE INDEX ram_group_members_by_user ON ram_group_members (user_id);
   CREATE TABLE ram_roles (
     role_id ${T} PRIMARY KEY,
     name ${T} NOT NULL,
     name_key ${T} NOT NULL UNIQUE,
     description text NOT NULL,
     trust_policy text NOT NULL,
     max_session_duration integer NOT NULL,
     created bigint NOT NULL,
     updated bigint NOT NULL
   );
   CREATE INDEX ram_roles_by_name ON ram_roles (name);
   CREATE TABLE ram_policies (
     name ${T} PRIMARY KEY,
     description text NOT NULL,
     default_version ${T} NOT NULL,
     next_version integer NOT NULL,
     created bigint NOT NULL,
     updated bigint NOT NULL
   );
   CREATE TABLE ram_policy_versions (
     policy_name ${T} NOT NULL,
     version_num integer NOT NULL,
     document text NOT NULL,
     created bigint NOT NULL,
     PRIMARY KEY (policy_name, version_num)
   );
   CREATE TABLE ram_attachments (
     principal_kind ${T} NOT NULL,
     principal_id ${T} NOT NULL,
     policy_type ${T} NOT NULL,
     policy_name ${T} NOT NULL,
     attached bigint NOT NULL,
     PRIMARY KEY (principal_kind, principal_id, policy_type, policy_name)
   );
   CREATE INDEX ram_attachments_by_policy ON ram_attachments (policy_type, policy_name);
   -- Nonces are bytea: they are client input and may hold any character.
   CREATE TABLE rpc_nonces (
     nonce bytea PRIMARY KEY,
     expires bigint NOT NULL
   );
   CREATE INDEX rpc_nonces_by_expiry ON rpc_nonces (expires);
   -- Counters bumped in the same transaction as every identity ('identity') or bucket ('buckets')
   -- write: other processes compare them to drop their caches (see store.ts, refreshSharedState).
   -- Bumping the identity row also serializes identity writes across processes, so rules spanning
   -- several rows (limits, delete conflicts) hold as they do in SQLite.
   CREATE TABLE alunite_counters (
     name ${T} PRIMARY KEY,
     value bigint NOT NULL
   );
   INSERT INTO alunite_counters (name, value) VALUES ('identity', 0), ('buckets', 0);`,
  // 2: leases for background jobs that one process at a time should run (blob garbage collection). A
  // lease is taken by one UPDATE … WHERE expired (see PgBase.tryLease); times are the database's clock.
  `CREATE TABLE alunite_leases (
     name ${T} PRIMARY KEY,
     holder text NOT NULL,
     expires_at timestamptz NOT NULL
   );
   INSERT INTO alunite_leases (name, holder, expires_at) VALUES ('blob-gc', '', '-infinity');`,
  // 3: the history of master-key rotations, appended in the transaction that re-seals the RAM secrets
  // (fingerprints only, never keys). rotated_at is the database's clock, common to every process.
  `CREATE TABLE key_rotations (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     rotated_at timestamptz NOT NULL DEFAULT now(),
     key_fingerprint ${T} NOT NULL,
     previous_fingerprints text[] NOT NULL,
     resealed integer NOT NULL,
     mode ${T} NOT NULL,
     host text NOT NULL,
     pid integer NOT NULL
   );`,
  // 4: bucket configurations other than ACL, policy and CORS (versioning, WORM, encryption, lifecycle, …):
  // one generic (bucket, name) → JSON document store instead of a column or table per feature.
  `CREATE TABLE bucket_configs (
     bucket ${T} NOT NULL,
     name ${T} NOT NULL,
     document text NOT NULL,
     PRIMARY KEY (bucket, name)
   );`,
  // 5: per-object and per-upload feature state (ObjectAttrs: encryption, restore, …) as one JSON column.
  `ALTER TABLE objects ADD COLUMN attrs text;
   ALTER TABLE uploads ADD COLUMN attrs text;`,
  // 6: versioning (docs/versioning.md). `objects` keeps the current version of each key (version_id NULL for
  // the null version); noncurrent versions and delete markers live here, ordered newest first per key.
  // noncurrent_since: when the version stopped being current (NULL only for a current delete marker).
  `ALTER TABLE objects ADD COLUMN version_id ${T};
   CREATE TABLE object_versions (
     bucket ${T} NOT NULL,
     key bytea NOT NULL,
     seq bigint NOT NULL,
     version_id ${T} NOT NULL,
     delete_marker boolean NOT NULL,
     noncurrent_since bigint,
     size bigint NOT NULL,
     etag ${T} NOT NULL,
     crc64 ${T} NOT NULL,
     content_md5 text,
     type ${T} NOT NULL,
     storage_class ${T} NOT NULL,
     acl ${T} NOT NULL,
     last_modified bigint NOT NULL,
     headers text NOT NULL,
     meta text NOT NULL,
     tags text NOT NULL,
     segments text NOT NULL,
     symlink_target text,
     inline_data bytea,
     attrs text
   );
   CREATE UNIQUE INDEX object_versions_order ON object_versions (bucket, key, seq DESC);
   CREATE INDEX object_versions_null ON object_versions (bucket, key) WHERE version_id = 'null';
   CREATE INDEX object_versions_by_age ON object_versions (bucket, noncurrent_since, key, seq);`,
  // 7: the lease of the lifecycle worker (one process at a time applies the buckets' lifecycle rules).
  `INSERT INTO alunite_leases (name, holder, expires_at) VALUES ('lifecycle', '', '-infinity') ON CONFLICT (name) DO NOTHING;`,
  // 8: bucket statistics (GetBucketStat), kept by triggers in the transaction of every write that changes
  // them. Each server connection adds to its own rows (shard = its backend pid), so concurrent writers never
  // wait on, or deadlock over, a shared counter row; a read sums the shards (PgStore.foldBucketStats, run
  // periodically, folds those of connections that are gone).
  `CREATE TABLE bucket_stats (
     bucket ${T} NOT NULL,
     kind ${T} NOT NULL,
     storage_class ${T} NOT NULL,
     shard integer NOT NULL,
     count bigint NOT NULL,
     bytes bigint NOT NULL,
     billed bigint NOT NULL,
     updated bigint NOT NULL,
     PRIMARY KEY (bucket, kind, storage_class, shard)
   );
   CREATE FUNCTION alunite_billed(cls text, size bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS
     $$ SELECT CASE WHEN cls IN ('IA', 'Archive', 'ColdArchive', 'DeepColdArchive') THEN greatest(size, 65536) ELSE size END $$;
   -- One upsert per statement and (bucket, kind, class), from the statement's transition tables: a statement
   -- touching many rows (a batch delete, a bulk load) changes each counter row once, not once per row, which
   -- on PostgreSQL would pile up row versions of one counter inside the transaction.
   CREATE FUNCTION alunite_stat_apply(deltas jsonb) RETURNS void LANGUAGE sql AS $$
     INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
     SELECT d.bucket, d.kind, d.storage_class, pg_backend_pid(), sum(d.n), sum(d.bytes), sum(d.billed), extract(epoch FROM now())::bigint
       FROM jsonb_to_recordset(deltas) AS d(bucket text, kind text, storage_class text, n bigint, bytes bigint, billed bigint)
       GROUP BY d.bucket, d.kind, d.storage_class
     ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = bucket_stats.count + excluded.count,
       bytes = bucket_stats.bytes + excluded.bytes, billed = bucket_stats.billed + excluded.billed, updated = excluded.updated $$;
   ${STAT_TABLES.map(({ fn, lines, note }) => (note === undefined ? '' : `${note}\n   `) + statFunction(fn, lines)).join('\n   ')}
   CREATE FUNCTION alunite_buckets_stat() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
     DELETE FROM bucket_stats WHERE bucket IN (SELECT name FROM old_rows); RETURN NULL; END $$;
   -- Transition tables take one event per trigger: three per table, one function.
   ${STAT_TABLES.map(({ table: t, fn }) => {
     return `CREATE TRIGGER ${t}_stat_insert AFTER INSERT ON ${t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
   CREATE TRIGGER ${t}_stat_delete AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
   CREATE TRIGGER ${t}_stat_update AFTER UPDATE ON ${t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();`;
   }).join('\n   ')}
   CREATE TRIGGER buckets_stat AFTER DELETE ON buckets REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alunite_buckets_stat();
   INSERT INTO bucket_stats SELECT bucket, 'object', storage_class, 0, count(*), sum(size), sum(alunite_billed(storage_class, size)), extract(epoch FROM now())::bigint FROM objects GROUP BY bucket, storage_class;
   INSERT INTO bucket_stats SELECT bucket, 'object', storage_class, 1, count(*), sum(size), sum(alunite_billed(storage_class, size)), extract(epoch FROM now())::bigint FROM object_versions WHERE NOT delete_marker GROUP BY bucket, storage_class;
   INSERT INTO bucket_stats SELECT bucket, 'marker', '', 0, count(*), 0, 0, extract(epoch FROM now())::bigint FROM object_versions WHERE delete_marker GROUP BY bucket;
   INSERT INTO bucket_stats SELECT bucket, 'upload', '', 0, count(*), 0, 0, extract(epoch FROM now())::bigint FROM uploads GROUP BY bucket;
   INSERT INTO bucket_stats SELECT u.bucket, 'part', u.storage_class, 0, count(*), sum(p.size), sum(p.size), extract(epoch FROM now())::bigint FROM parts p JOIN uploads u USING (upload_id) GROUP BY u.bucket, u.storage_class;`,
  // 9: RAM identity documents (login profiles, MFA devices, account settings, AccessKey last use: docs/ram.md).
  `CREATE TABLE ram_documents (
     kind ${T} NOT NULL,
     id ${T} NOT NULL,
     doc text NOT NULL,
     PRIMARY KEY (kind, id)
   );`,
  // 9 (SQLite) / 10 (PostgreSQL): OIDC and SAML identity providers (store/meta/providers.ts), a JSON document per (kind, name).
  `CREATE TABLE ram_identity_providers (
     kind ${T} NOT NULL,
     name ${T} NOT NULL,
     unique_key ${T},
     document text NOT NULL,
     created bigint NOT NULL,
     updated bigint NOT NULL,
     PRIMARY KEY (kind, name)
   );
   CREATE UNIQUE INDEX ram_identity_providers_unique ON ram_identity_providers (kind, unique_key) WHERE unique_key IS NOT NULL;`,
  // 10 (SQLite) / 11 (PostgreSQL): RAM documents and identity providers keyed by account (docs/accounts.md);
  // '' is the server's default account, which every existing row belongs to.
  `ALTER TABLE ram_documents ADD COLUMN account ${T} NOT NULL DEFAULT '';
   ALTER TABLE ram_documents DROP CONSTRAINT ram_documents_pkey;
   ALTER TABLE ram_documents ADD PRIMARY KEY (account, kind, id);
   ALTER TABLE ram_identity_providers ADD COLUMN account ${T} NOT NULL DEFAULT '';
   ALTER TABLE ram_identity_providers DROP CONSTRAINT ram_identity_providers_pkey;
   ALTER TABLE ram_identity_providers ADD PRIMARY KEY (account, kind, name);
   DROP INDEX ram_identity_providers_unique;
   CREATE UNIQUE INDEX ram_identity_providers_unique ON ram_identity_providers (account, kind, unique_key) WHERE unique_key IS NOT NULL;`,
  // 12: a bucket's live channels and inventories, one entry each of its collections (SQLite 12).
  collectionsMigration('postgres'),
  // 13: a symlink's target is an object key, which may hold U+0000 (text cannot): bytea, UTF-8, like the keys.
  // Rewrites both tables once (docs/postgres.md, Migrations).
  `ALTER TABLE objects ALTER COLUMN symlink_target TYPE bytea USING convert_to(symlink_target, 'UTF8');
   ALTER TABLE object_versions ALTER COLUMN symlink_target TYPE bytea USING convert_to(symlink_target, 'UTF8');`,
  // 14: the statistics triggers upsert bucket_stats straight from their transition tables. Before, each built a jsonb
  // array and called the SQL function alunite_stat_apply, which PostgreSQL parses and plans afresh at every call
  // (SQL functions keep no plan across statements; PL/pgSQL keeps one per connection): about half the server's
  // time in a small PUT or DELETE (docs/performance.md, issue 15). Same rows, same sums.
  `${STAT_TABLES.map(({ fn, lines }) => upsertStatFunction(fn, lines)).join('\n   ')}
   DROP FUNCTION IF EXISTS alunite_stat_apply(jsonb);`,
];

/**
 * A statement-level trigger function of the bucket statistics: `select(table, sign)` sums the rows of a transition
 * table as (bucket, kind, storage_class, n, bytes, billed) lines, negated with sign '-'; an event has only the
 * tables it has (INSERT new_rows, DELETE old_rows, UPDATE both), so each is read only when it exists.
 */
function statFunction(name: string, select: (table: string, sign: '' | '-') => string): string {
  return `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE a jsonb; b jsonb; BEGIN
     IF TG_OP <> 'DELETE' THEN SELECT jsonb_agg(x) INTO a FROM (${select('new_rows', '')}) x; END IF;
     IF TG_OP <> 'INSERT' THEN SELECT jsonb_agg(x) INTO b FROM (${select('old_rows', '-')}) x; END IF;
     IF a IS NOT NULL OR b IS NOT NULL THEN PERFORM alunite_stat_apply(coalesce(a, '[]'::jsonb) || coalesce(b, '[]'::jsonb)); END IF;
     RETURN NULL; END $$;`;
}

/**
 * The statistics trigger function of migration 14: one upsert per statement and (bucket, kind, class) from the
 * transition tables the event has (INSERT new_rows, DELETE old_rows, UPDATE both, netted), planned once per
 * connection. Shards and sums as in alunite_stat_apply of migration 8.
 */
function upsertStatFunction(name: string, lines: StatLines): string {
  const upsert = (from: string): string => `INSERT INTO bucket_stats (bucket, kind, storage_class, shard, count, bytes, billed, updated)
       SELECT bucket, kind, storage_class, pg_backend_pid(), sum(n), sum(bytes), sum(billed), extract(epoch FROM now())::bigint
         FROM (${from}) d GROUP BY bucket, kind, storage_class
       ON CONFLICT (bucket, kind, storage_class, shard) DO UPDATE SET count = bucket_stats.count + excluded.count,
         bytes = bucket_stats.bytes + excluded.bytes, billed = bucket_stats.billed + excluded.billed, updated = excluded.updated;`;
  return `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
     IF TG_OP = 'INSERT' THEN ${upsert(lines('new_rows', ''))}
     ELSIF TG_OP = 'DELETE' THEN ${upsert(lines('old_rows', '-'))}
     ELSE ${upsert(`(${lines('new_rows', '')}) UNION ALL (${lines('old_rows', '-')})`)}
     END IF;
     RETURN NULL; END $$;`;
}

/** Any constant: the advisory lock every starting process takes while it migrates. */
const MIGRATION_LOCK = 0x616c756e; // 'alun'

/**
 * Brings the database to the newest schema. Runs in one transaction under a transaction-scoped advisory
 * lock, so several processes starting at once migrate once: the others wait, then find nothing to do.
 */
export async function migrate(client: pg.PoolClient): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const version = rows[0]?.v ?? 0;
    if (version > PG_MIGRATIONS.length) {
      throw new Error(`metadata schema version ${version} is newer than this release understands (${PG_MIGRATIONS.length})`);
    }
    const applied: number[] = [];
    for (let v = version; v < PG_MIGRATIONS.length; v++) {
      await client.query(PG_MIGRATIONS[v]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      applied.push(v + 1);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
