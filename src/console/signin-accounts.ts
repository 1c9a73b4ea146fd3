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
  accounts: Pick<AccountRegistry, 'defaultAccountId' | 'exists' | 'list' | 'storeFor'>;
  extrasFor(accountId: string): RamExtras | null;
}): (domain: string | null) => Promise<SignInAccount | 'unsupported' | null> {
  const { accounts } = deps;
  const of = (accountId: string): SignInAccount | 'unsupported' => {
    const extras = deps.extrasFor(accountId);
    return extras ? { accountId, extras, users: accounts.storeFor(accountId) } : 'unsupported';
  };
  return async (domain) => {
    if (domain === null || domain === accounts.defaultAccountId) return of(accounts.defaultAccountId);
    if (ACCOUNT_ID.test(domain)) return (await accounts.exists(domain)) ? of(domain) : null;
    // Aliases are not unique across accounts (docs/accounts.md): an alias two accounts share signs in to
    // neither, so one account can never capture the other's sign-ins by copying its alias.
    let found: string | null = null;
    for (const a of await accounts.list()) {
      const extras = deps.extrasFor(a.accountId);
      if (extras && (await extras.settings.aliasSet()) === domain) {
        if (found !== null) return null;
        found = a.accountId;
      }
    }
    return found === null ? null : of(found);
  };
}
