import type { MetadataStore } from '../types.js';
import { KEY_CHECK_DOC } from '../types.js';
import { addSegmentBlobIds } from '../data-rows.js';
import { RESET_TABLES } from './schema.js';
import { SqliteUploadStore } from './uploads.js';

export { prefixSuccessor } from './listings.js';
export { mergeVersions } from '../versions.js';

/**
 * The SQLite (better-sqlite3, WAL) metadata store, split by concern into layers, each a class extending the one
 * below: the database and group commit (base.ts), RAM identities (users.ts, groups.ts,
 * roles.ts, policies.ts, identity-providers.ts, identity.ts), buckets and their configurations
 * (buckets.ts, which prepares the statements of statements.ts), objects and versions (objects.ts), removals
 * (removals.ts), listings (listings.ts), multipart uploads (uploads.ts); here what spans them all (the blob ids in
 * use, reset), and the MetadataStore interface the whole implements. The schema is in schema.ts.
 */
export class SqliteMetadataStore extends SqliteUploadStore implements MetadataStore {
  /** Every blob id an object, a version or a part references (read inside the caller's transaction, if any). */
  private blobIdsInUse(): Set<string> {
    const ids = new Set<string>();
    for (const stmt of [this.stmts.objectSegments, this.stmts.versionSegments]) {
      for (const row of stmt.iterate()) addSegmentBlobIds(ids, row.segments);
    }
    for (const row of this.stmts.partBlobs.iterate()) ids.add(row.blob_id);
    return ids;
  }

  async referencedBlobIds(): Promise<Set<string>> {
    return this.blobIdsInUse();
  }

  async reset(): Promise<string[]> {
    // One transaction reads the references and empties the tables: no write can fall in between.
    return this.writeIdentity(() => {
      const ids = this.blobIdsInUse();
      for (const table of RESET_TABLES) {
        // The master-key check stays: it describes the key, not the state (util/key-check.ts).
        if (table === 'ram_documents') this.sql('DELETE FROM ram_documents WHERE NOT (account = ? AND kind = ?)').run('', KEY_CHECK_DOC.kind);
        else this.sql(`DELETE FROM ${table}`).run();
      }
      return [...ids];
    }).finally(() => this.bucketCache.clear());
  }
}
