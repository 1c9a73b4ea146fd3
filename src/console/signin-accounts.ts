import type { AccountAliasIndex } from '../accounts/alias-index.js';
import type { AccountRegistry } from '../accounts/registry.js';
import type { RamExtras } from '../ram/extras.js';
import type { SignInAccount } from './signin.js';

const ACCOUNT_ID = /^\d{16}$/;

/**
 * The accounts console sign-in looks logon names up in (docs/console.md): the bare name → the default
 * account; `<16 digits>` → that account; otherwise an account alias. `extrasFor` gives an account's RAM extras
 * (login profiles, MFA, settings), or null where this server keeps none for it: such an account answers
 * 'unsupported' by id, and is not matched by alias.
 */
export function signInAccounts(deps: {
  accounts: Pick<AccountRegistry, 'defaultAccountId' | 'exists' | 'storeFor'>;
  extrasFor(accountId: string): RamExtras | null;
  /** Alias → the one account holding it (accounts/alias-index.ts): O(1) store reads per attempt. */
  aliases: Pick<AccountAliasIndex, 'resolve'>;
}): (domain: string | null) => Promise<SignInAccount | 'unsupported' | null> {
  const { accounts } = deps;
  const of = (accountId: string): SignInAccount | 'unsupported' => {
    const extras = deps.extrasFor(accountId);
    return extras ? { accountId, extras, users: accounts.storeFor(accountId) } : 'unsupported';
  };
  return async (domain) => {
    if (domain === null || domain === accounts.defaultAccountId) return of(accounts.defaultAccountId);
    if (ACCOUNT_ID.test(domain)) return (await accounts.exists(domain)) ? of(domain) : null;
    // One index read and one read of the account's alias document, however many accounts there are. An alias
    // two accounts share (from data before aliases were unique, docs/accounts.md) signs in to neither, so one
    // account can never capture the other's sign-ins by copying its alias.
    const found = await deps.aliases.resolve(domain);
    if (found === null) return null;
    return deps.extrasFor(found) === null ? null : of(found);
  };
}
