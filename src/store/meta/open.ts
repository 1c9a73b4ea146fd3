import { describeUrl } from './postgres/url.js';
import type { IdentityStore, MetadataStore } from './types.js';
import type { ProviderStore } from './providers.js';

export interface OpenMetadataOptions {
  /** `sqlite` (default) or a `postgres://` / `postgresql://` URL. */
  meta?: string;
  /** The SQLite file (or ':memory:'), used when `meta` selects SQLite. */
  sqlitePath: string;
  durable?: boolean;
  /** SQLite only: frees reserved space when a write found the disk full (see SqliteMetadataStoreOptions). */
  onDiskFull?: () => boolean;
  /** SQLite only: a WAL sync failed and the store stopped accepting writes (see SqliteMetadataStoreOptions). */
  onSyncFailure?: (err: Error) => void;
}

export function isPostgresUrl(meta: string | undefined): meta is string {
  return meta !== undefined && /^postgres(ql)?:\/\//i.test(meta);
}

/** A printable name of the selected engine (a URL's password hidden). */
export function describeMeta(meta: string | undefined): string {
  return isPostgresUrl(meta) ? `PostgreSQL ${describeUrl(meta)}` : 'SQLite';
}

/** Opens the metadata store `--meta` / ALUNITE_META selects; refuses anything else by name. */
export async function openMetadataStore(o: OpenMetadataOptions): Promise<MetadataStore & IdentityStore & ProviderStore> {
  // Loaded when opened: the CLI's commands that only name a store (isPostgresUrl, describeMeta) load neither driver.
  if (o.meta === undefined || o.meta === '' || o.meta === 'sqlite') {
    const { SqliteMetadataStore } = await import('./sqlite/store.js');
    return new SqliteMetadataStore({ path: o.sqlitePath, durable: o.durable, onDiskFull: o.onDiskFull, onSyncFailure: o.onSyncFailure });
  }
  if (isPostgresUrl(o.meta)) {
    const { PostgresMetadataStore } = await import('./postgres/store.js');
    return PostgresMetadataStore.open({ url: o.meta, durable: o.durable });
  }
  throw new Error(`unknown metadata store ${JSON.stringify(describeUrl(o.meta) === '(unparsable URL)' ? o.meta : describeUrl(o.meta))}: use "sqlite" or a postgres://user:password@host:port/database URL`);
}
