import type { IdentityDocKey, IdentityStore } from '../types.js';
import { movesIdentityGeneration } from '../types.js';
import type { ProviderStore } from '../providers.js';
import { SqliteProviderStore } from './identity-providers.js';
import * as docs from './identity-docs.js';

/** Expired replay nonces are pruned at most this often, at most NONCE_PRUNE_ROWS at a time (claimNonce). */
export const NONCE_PRUNE_MS = 250;
export const NONCE_PRUNE_ROWS = 1024;

/**
 * RAM identities, split by concern into layers, each a class extending the one below: users, AccessKeys and key
 * rotations (users.ts), groups (groups.ts), roles (roles.ts), policies, versions and attachments (policies.ts),
 * identity providers (identity-providers.ts); here the identity documents and RPC nonces, and the IdentityStore
 * and ProviderStore interfaces the whole implements.
 */
export abstract class SqliteIdentityStore extends SqliteProviderStore implements IdentityStore, ProviderStore {
  /** When expired nonces were last pruned (claims need no pruning to be right: the upsert reclaims them). */
  private lastNoncePrune = Number.NEGATIVE_INFINITY;
  /** The write batch (writeGeneration) that last pruned: one step per batch, however many claims it holds. */
  private noncePruneBatch = -1;

  /**
   * One statement decides, as in the PostgreSQL store: a new nonce is inserted, an expired one is claimed
   * again, a live one is a replay (no change). Expired rows are pruned in bounded steps, one per write batch
   * at most, at most every NONCE_PRUNE_MS (a full step makes the next batch prune again), not by every
   * claim: a DELETE per call cost 5–7 µs even with nothing to delete, and an unbounded one after a quiet hour
   * held the event loop for as long as it took (a batch of claims is one synchronous transaction).
   */
  async claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    return this.write((): boolean => {
      const res = this.sql('INSERT INTO rpc_nonces (nonce, expires) VALUES (?, ?) ON CONFLICT (nonce) DO UPDATE SET expires = excluded.expires WHERE rpc_nonces.expires <= ?')
        .run(nonce, expiresAt, now);
      // A clock that went back by more than a step's interval prunes again (claims' clocks jitter a little:
      // each request reads its time before its own awaits).
      const due = now - this.lastNoncePrune >= NONCE_PRUNE_MS || now < this.lastNoncePrune - NONCE_PRUNE_MS;
      if (due && this.noncePruneBatch !== this.writeGeneration) {
        this.noncePruneBatch = this.writeGeneration;
        const pruned = this.sql('DELETE FROM rpc_nonces WHERE nonce IN (SELECT nonce FROM rpc_nonces WHERE expires <= ? ORDER BY expires LIMIT ?)')
          .run(now, NONCE_PRUNE_ROWS).changes;
        // A full step leaves more behind: the next batch prunes again.
        this.lastNoncePrune = pruned < NONCE_PRUNE_ROWS ? now : Number.NEGATIVE_INFINITY;
      }
      return res.changes === 1;
      // Rerunnable (a batch of claims commits without a savepoint each): a replay is an answer, not a throw, and
      // run again after a rollback the claim decides the same; only the prune's bookkeeping may then skip a step
      // that was undone, which leaves expired rows to the next one (they are reclaimed by the upsert meanwhile).
    }, false, true);
  }

  async nonceLive(nonce: string, now: number): Promise<boolean> {
    return this.sql('SELECT 1 FROM rpc_nonces WHERE nonce = ? AND expires > ?').get(nonce, now) !== undefined;
  }

  // RAM identity documents (docs/ram.md)
  async readIdentityDocs(kind: string, ids: readonly string[], account = ''): Promise<Map<string, string>> {
    return docs.readDocs(this.db, account, kind, ids);
  }

  async listIdentityDocs(kind: string, account = ''): Promise<Map<string, string>> {
    return docs.listDocs(this.db, account, kind);
  }

  async updateIdentityDocs(keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>, account = ''): Promise<void> {
    if (movesIdentityGeneration(keys)) await this.writeIdentity(() => docs.updateDocs(this.db, account, keys, decide));
    else await this.write(() => docs.updateDocs(this.db, account, keys, decide));
  }
}
