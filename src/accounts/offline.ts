import { RamService } from '../ram/service.js';
import { ImsService } from '../ims/service.js';
import type { ProviderStore } from '../store/meta/providers.js';
import type { IdentityStore, MetadataStore } from '../store/meta/types.js';
import { systemClock } from '../util/time.js';
import { AccountRegistry } from './registry.js';

/** The accounts of a store opened by a command (no server running): RAM through each account's own view. */
export function offlineAccounts(
  meta: MetadataStore & IdentityStore & ProviderStore,
  defaultAccount: { accountId: string; accessKeyId: string },
  ring: { current: Buffer; previous: Buffer[] },
): AccountRegistry {
  return new AccountRegistry({
    raw: meta,
    countBuckets: (owner) => meta.countBuckets(owner),
    defaultAccount,
    masterKey: ring.current,
    previousMasterKeys: ring.previous,
    clock: systemClock,
    ram: (accountId, store) => new RamService({ store, accountId, clock: systemClock, masterKey: ring.current, previousMasterKeys: ring.previous }),
    // The operator's command acts as each account's root: nothing to authorize.
    rawProviders: meta,
    ims: (accountId, providers) => new ImsService({ store: providers, accountId, clock: systemClock, authorize: async () => undefined }),
  });
}
