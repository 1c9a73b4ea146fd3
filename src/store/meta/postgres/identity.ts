import type { IdentityDocKey, IdentityStore } from '../types.js';
import { movesIdentityGeneration } from '../types.js';
import type { ProviderStore } from '../providers.js';
import { PgProviderStore } from './identity-providers.js';
import * as docs from './identity-docs.js';

/**
 * RAM identities and RPC nonces on PostgreSQL: the same rules and the same layers as the SQLite store (users.ts,
 * groups.ts, roles.ts, policies.ts, identity-providers.ts; here the identity documents and RPC nonces), each write
 * in one transaction that first bumps the shared identity counter (which serializes identity writes across
 * processes, so check-then-insert rules hold).
 */
export abstract class PgIdentityStore extends PgProviderStore implements IdentityStore, ProviderStore {
  private lastNoncePrune = 0;

  /**
   * One statement decides: a new nonce is inserted, an expired one is claimed again, a live one is a
   * replay (no row returned). Concurrent claims of one nonce, from any process, meet on its primary key.
   * Other expired rows are pruned at most once a minute per process.
   */
  async claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    const res = await this.pool.query({
      name: 'claim-nonce',
      text: `INSERT INTO rpc_nonces (nonce, expires) VALUES ($1, $2)
             ON CONFLICT (nonce) DO UPDATE SET expires = EXCLUDED.expires WHERE rpc_nonces.expires <= $3
             RETURNING 1`,
      values: [Buffer.from(nonce, 'utf8'), expiresAt, now],
    });
    if (now - this.lastNoncePrune >= 60_000 || now < this.lastNoncePrune) {
      this.lastNoncePrune = now;
      await this.pool.query('DELETE FROM rpc_nonces WHERE expires <= $1', [now]);
    }
    return res.rowCount === 1;
  }

  async nonceLive(nonce: string, now: number): Promise<boolean> {
    const res = await this.pool.query({
      name: 'nonce-live',
      text: 'SELECT 1 FROM rpc_nonces WHERE nonce = $1 AND expires > $2',
      values: [Buffer.from(nonce, 'utf8'), now],
    });
    return res.rowCount === 1;
  }

  // RAM identity documents (docs/ram.md)
  async readIdentityDocs(kind: string, ids: readonly string[], account = ''): Promise<Map<string, string>> {
    return docs.readDocs(this.pool, account, kind, ids);
  }

  async listIdentityDocs(kind: string, account = ''): Promise<Map<string, string>> {
    return docs.listDocs(this.pool, account, kind);
  }

  async updateIdentityDocs(keys: readonly IdentityDocKey[], decide: (current: Array<string | null>) => Array<string | null>, account = ''): Promise<void> {
    if (movesIdentityGeneration(keys)) await this.writeIdentity((c) => docs.updateDocs(c, account, keys, decide));
    else await this.tx((c) => docs.updateDocs(c, account, keys, decide));
  }
}
