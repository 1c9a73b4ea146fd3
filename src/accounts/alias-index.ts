import { AppError } from '../errors.js';

// Account alias → account (docs/accounts.md, "Account aliases"): console sign-in as `user@<alias>` finds the
// account with one point read of this index and confirms it with one read of that account's alias document,
// whatever the number of accounts, so an unauthenticated attempt costs O(1) store reads. The index is an entry
// of the store-wide index mechanism (`/index/account-alias` in bucket_configs, as the access point aliases'),
// kept by SetAccountAlias and ClearAccountAlias; aliases set before it existed are entered once per store, by
// the first process that needs it (a `.built` marker; one scan of the accounts).
//
// Aliases are unique across accounts, as the cloud makes them: SetAccountAlias with an alias another account
// holds is refused (409 EntityAlreadyExists.AccountAlias). Old data can still hold one alias in two accounts:
// the build enters such an alias as SHARED, and a shared alias signs in to neither account.
//
// A claim comes after the claimant's own document names the alias (ram/account-settings.ts, which takes it back
// on a refusal), and enters it by compare-and-set (MetadataStore.swapIndexEntry): an entry is only ever replaced
// as it was read, and another account is confirmed to hold the alias on its document. Before (red-team wave 16)
// the entry was claimed first and written blind, and the document stored after: accounts setting one alias at
// once each found the entry free or "stale" (the other's document did not name it yet) and all kept it, in one
// process as across processes; `user@alias` then signed in to whichever wrote the entry last.

/** The index's name in the store (`MetadataStore.getIndexEntry`). */
export const ACCOUNT_ALIAS_INDEX = 'account-alias';
/** Set once the aliases of before the index have been entered (no alias is spelled so). */
const BUILT_MARKER = '.built';
/** The value of an alias that several accounts hold (from data written before aliases were unique). */
const SHARED = '*';

/** The store calls the index needs (a MetadataStore has them). */
export interface AccountAliasIndexStore {
  getIndexEntry(index: string, key: string): Promise<string | null>;
  putIndexEntry(index: string, key: string, value: string | null): Promise<void>;
  /** Compare-and-set: writes `value` only while the entry is `expected`; whether it wrote. */
  swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean>;
}

export interface AccountAliasIndexDeps {
  store: AccountAliasIndexStore;
  /** Every account id (the default one included): read once per store, to build the index. */
  accountIds(): Promise<string[]>;
  /** The alias an account's own document holds, or null (the authority; the index only points at it). */
  aliasOf(accountId: string): Promise<string | null>;
}

/** What SetAccountAlias and ClearAccountAlias ask of the index (ram/account-settings.ts). */
export interface AccountAliasClaims {
  /**
   * Enters `alias` for the account, refusing one another account holds; call once the account's own document
   * names it (and put the document back on a refusal).
   */
  claim(accountId: string, alias: string): Promise<void>;
  /** Takes an alias the account no longer holds out of the index (only while the entry is the account's). */
  release(accountId: string, alias: string): Promise<void>;
}

export class AccountAliasIndex implements AccountAliasClaims {
  private built: Promise<void> | null = null;
  /** Claims and releases of this process run one at a time (each reads, then writes the entry). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AccountAliasIndexDeps) {}

  /** The one account holding `alias` (confirmed on its own document), or null: none, several, or a stale entry. */
  async resolve(alias: string): Promise<string | null> {
    await this.ensureBuilt();
    const held = await this.deps.store.getIndexEntry(ACCOUNT_ALIAS_INDEX, alias);
    if (held === null || held === SHARED) return null;
    return (await this.deps.aliasOf(held)) === alias ? held : null;
  }

  claim(accountId: string, alias: string): Promise<void> {
    return this.serial(async () => {
      await this.ensureBuilt();
      // Each lost compare-and-set means another claim or release of the alias landed in between: read it again.
      for (let round = 0; round < 8; round++) {
        const held = await this.deps.store.getIndexEntry(ACCOUNT_ALIAS_INDEX, alias);
        if (held === accountId) return;
        if (held !== null && (await this.heldByAnother(accountId, alias, held))) throw new AppError('EntityAlreadyExists.AccountAlias');
        if (await this.deps.store.swapIndexEntry(ACCOUNT_ALIAS_INDEX, alias, held, accountId)) return;
      }
      throw new AppError('EntityAlreadyExists.AccountAlias');
    });
  }

  /**
   * In the same queue as claims: a release that read the entry before another account's claim of the alias
   * and wrote after it would take that account's entry out (and let a third account claim its alias).
   */
  release(accountId: string, alias: string): Promise<void> {
    return this.serial(() => this.releaseNow(accountId, alias));
  }

  private serial(run: () => Promise<void>): Promise<void> {
    const mine = this.queue.then(run, run);
    this.queue = mine.catch(() => undefined);
    return mine;
  }

  private async releaseNow(accountId: string, alias: string): Promise<void> {
    // Compare-and-set: a claim by another account (in any process) landing after the read keeps its entry.
    const held = await this.deps.store.getIndexEntry(ACCOUNT_ALIAS_INDEX, alias);
    if (held === accountId) {
      await this.deps.store.swapIndexEntry(ACCOUNT_ALIAS_INDEX, alias, accountId, null);
    } else if (held === SHARED) {
      // One of several holders let it go: the entry names whoever still holds it (SHARED while several do).
      const holders: string[] = [];
      for (const id of await this.deps.accountIds()) if (id !== accountId && (await this.deps.aliasOf(id)) === alias) holders.push(id);
      await this.deps.store.swapIndexEntry(ACCOUNT_ALIAS_INDEX, alias, SHARED, holders.length === 0 ? null : holders.length === 1 ? holders[0]! : SHARED);
    }
  }

  /** Builds the index now if no process has (server start), so the first sign-in does not pay for it. */
  ready(): Promise<void> {
    return this.ensureBuilt();
  }

  /**
   * Whether another account really holds the alias: an entry can be stale (an account deleted, an identity
   * reset, a store restored), so it is confirmed on the accounts' own documents. Authenticated and rare: a
   * SHARED entry costs one read per account.
   */
  private async heldByAnother(accountId: string, alias: string, held: string): Promise<boolean> {
    if (held !== SHARED) return (await this.deps.aliasOf(held)) === alias;
    for (const id of await this.deps.accountIds()) {
      if (id !== accountId && (await this.deps.aliasOf(id)) === alias) return true;
    }
    return false;
  }

  private ensureBuilt(): Promise<void> {
    this.built ??= (async () => {
      const store = this.deps.store;
      if ((await store.getIndexEntry(ACCOUNT_ALIAS_INDEX, BUILT_MARKER)) !== null) return;
      const holders = new Map<string, string>();
      for (const id of await this.deps.accountIds()) {
        const alias = await this.deps.aliasOf(id);
        if (alias !== null) holders.set(alias, holders.has(alias) ? SHARED : id);
      }
      for (const [alias, holder] of holders) await store.putIndexEntry(ACCOUNT_ALIAS_INDEX, alias, holder);
      await store.putIndexEntry(ACCOUNT_ALIAS_INDEX, BUILT_MARKER, 'true');
    })().catch((e: unknown) => {
      this.built = null;
      throw e;
    });
    return this.built;
  }
}
