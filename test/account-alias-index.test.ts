// The account alias index (src/accounts/alias-index.ts) on a real SQLite store: a release of an alias and another
// account's claim of it, started together, end with the claimant in the index. A release that read the entry
// before the claim and wrote after it used to take the claimant's entry out (and let a third account claim the
// alias, and with it the claimant's console sign-ins): a red-team finding. The store is real; the only thing added
// is a delay on the release's write, so the old interleaving happens every time instead of now and then.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AccountAliasIndex, type AccountAliasIndexStore } from '../src/accounts/alias-index.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { tempDirSync } from './helpers/tmp.js';

const meta = new SqliteMetadataStore({ path: join(tempDirSync('alias-index-'), 'm.sqlite') });
after(() => meta.close());

test('a release and another account\'s claim of the same alias, together: the claimant keeps the alias', async () => {
  // Account A renamed foo → bar (its own document says bar); V claims foo while A's release of foo is under way.
  const aliases = new Map<string, string>([['A', 'bar'], ['V', 'foo'], ['C', 'baz']]);
  const slowRelease: AccountAliasIndexStore = {
    getIndexEntry: (index, key) => meta.getIndexEntry(index, key),
    putIndexEntry: async (index, key, value) => {
      if (value === null) await new Promise((r) => setTimeout(r, 50));
      await meta.putIndexEntry(index, key, value);
    },
    swapIndexEntry: async (index, key, expected, value) => {
      if (value === null) await new Promise((r) => setTimeout(r, 50));
      return meta.swapIndexEntry(index, key, expected, value);
    },
  };
  const index = new AccountAliasIndex({ store: slowRelease, accountIds: async () => [...aliases.keys()], aliasOf: async (id) => aliases.get(id) ?? null });
  await index.ready();
  await meta.putIndexEntry('account-alias', 'foo', 'A'); // the entry as A's earlier alias left it
  await Promise.all([index.release('A', 'foo'), index.claim('V', 'foo')]);
  assert.equal(await index.resolve('foo'), 'V');
  // And so a third account cannot take it.
  aliases.set('C', 'foo');
  await assert.rejects(index.claim('C', 'foo'), (e: { code?: string }) => e.code === 'EntityAlreadyExists.AccountAlias');
});
