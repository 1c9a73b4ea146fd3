// The migration that keys RAM documents and identity providers by account (docs/accounts.md): rows written by
// the previous schema belong to the default account afterwards, on SQLite and PostgreSQL, and another account
// sees none of them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_MIGRATIONS } from '../src/store/meta/postgres/schema.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { MIGRATIONS } from '../src/store/meta/sqlite/schema.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import type { IdentityStore } from '../src/store/meta/types.js';
import type { ProviderStore } from '../src/store/meta/providers.js';
import { testPostgres } from './helpers/postgres.js';

const OLD_ROWS = [
  "INSERT INTO ram_documents (kind, id, doc) VALUES ('account', 'alias', '{\"alias\":\"old-alias\"}')",
  "INSERT INTO ram_identity_providers (kind, name, unique_key, document, created, updated) VALUES ('oidc', 'ci', 'https://issuer.example', '{\"name\":\"ci\"}', 1, 1)",
];

async function expectDefaultOwnsOldRows(s: IdentityStore & ProviderStore): Promise<void> {
  assert.equal((await s.readIdentityDocs('account', ['alias'])).get('alias'), '{"alias":"old-alias"}');
  assert.equal((await s.readIdentityDocs('account', ['alias'], '2000000000000002')).size, 0);
  assert.equal((await s.getProvider('oidc', 'ci'))?.uniqueKey, 'https://issuer.example');
  assert.equal(await s.getProvider('oidc', 'ci', '2000000000000002'), null);
  // The same name and issuer in another account is no collision now.
  await s.createProvider({ kind: 'oidc', name: 'ci', uniqueKey: 'https://issuer.example', document: '{}', created: 2, updated: 2 }, 100, '2000000000000002');
  assert.equal((await s.listProviders('oidc', { limit: 10 }, '2000000000000002')).length, 1);
}

describe('RAM documents and providers keyed by account: migration of existing rows', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('SQLite: rows of the previous schema belong to the default account', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-acct-mig-'));
    dirs.push(dir);
    const path = join(dir, 'metadata.sqlite');
    const db = new Database(path);
    db.pragma('recursive_triggers = ON');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    // Every migration before the one that keys RAM documents by account (later ones run after it, as on upgrade).
    const keyed = MIGRATIONS.findIndex((m) => m.includes('ram_documents_v2'));
    assert.ok(keyed > 0);
    for (let v = 0; v < keyed; v++) {
      db.exec(MIGRATIONS[v]!);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v + 1, Date.now());
    }
    db.pragma(`user_version = ${keyed}`);
    for (const sql of OLD_ROWS) db.exec(sql);
    db.close();
    const s = new SqliteMetadataStore({ path });
    try {
      await expectDefaultOwnsOldRows(s);
    } finally {
      await s.close();
    }
  });

  it('PostgreSQL: rows of the previous schema belong to the default account', async () => {
    const url = await (await testPostgres()).freshUrl();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const keyed = PG_MIGRATIONS.findIndex((m) => m.includes('ALTER TABLE ram_documents ADD COLUMN account'));
      assert.ok(keyed > 0);
      for (let v = 0; v < keyed; v++) {
        await c.query(PG_MIGRATIONS[v]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      }
      for (const sql of OLD_ROWS) await c.query(sql);
    } finally {
      await c.end();
    }
    const s = await PostgresMetadataStore.open({ url });
    try {
      await expectDefaultOwnsOldRows(s);
    } finally {
      await s.close();
    }
  });
});
