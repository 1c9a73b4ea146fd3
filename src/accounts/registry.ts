// The accounts one server holds (docs/accounts.md): the default account of the server's options, and the
// accounts its operator created (CLI, state file). An extra account is one marker row of the identity tables
// (a user named `<accountId>/`, scoped-identity.ts) holding its root AccessKey, sealed like every RAM secret,
// so a master-key rotation re-seals it, a reset removes it, and every process sharing a PostgreSQL database
// sees it through the identity generation.
import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { RamService } from '../ram/service.js';
import { ACCESS_KEY_ID_FORMAT, ACCESS_KEY_SECRET_FORMAT, newAccessKeyId, newAccessKeySecret, newNumericId, STORED_ACCESS_KEY_ID, STORED_ACCESS_KEY_ID_MAX } from '../ram/ids.js';
import { checkField } from '../ram/names.js';
import type { IdentityStore } from '../store/meta/types.js';
import { GenerationCache } from '../util/generation-cache.js';
import { open, seal } from '../util/secret-box.js';
import type { Clock } from '../util/time.js';
import { accountMarkerName, scopedIdentityStore, scopedProviderStore, splitStoredName } from './scoped-identity.js';
import type { RamExtras } from '../ram/extras.js';
import type { ImsService } from '../ims/service.js';
import type { ProviderStore } from '../store/meta/providers.js';
import { DOC } from '../ram/extras-context.js';
import { detached } from '../util/detached.js';

/** The account-wide documents (ram/account-settings.ts). */
const ACCOUNT_DOC_IDS = ['alias', 'password-policy', 'security-preference'];

export const ACCOUNT_ID_FORMAT = /^\d{16}$/;
/** At most this many accounts besides the default one (each is a row of the users table). */
export const MAX_ACCOUNTS = 1000;

export interface AccountInfo {
  accountId: string;
  /** Free text shown by `alunite account list` (DisplayName rules); '' when none. */
  name: string;
  /** The root AccessKeyId. */
  accessKeyId: string;
  /** The server's own account from its options (never stored, never deleted). */
  isDefault: boolean;
  createDate: number | null;
}

export interface NewAccount {
  accountId?: string;
  name?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
}

/** Refusals of account management (the CLI prints them; the state file names the declaration). */
export class AccountError extends Error {
  override readonly name = 'AccountError';
}

/** An AccessKey of an account other than the default one, resolved: its secret and whom it stands for. */
export interface ResolvedAccountKey {
  secret: string;
  status: 'Active' | 'Inactive';
  principal: Extract<Principal, { type: 'root' | 'user' }>;
}

export interface AccountRegistryOptions {
  /** The shared (unscoped) identity store. */
  raw: IdentityStore;
  countBuckets: (ownerAccountId: string) => Promise<number>;
  defaultAccount: { accountId: string; accessKeyId: string };
  masterKey: Buffer;
  previousMasterKeys?: readonly Buffer[];
  clock: Clock;
  /** Builds the RamService of an account over its view of the identity store. */
  ram: (accountId: string, store: IdentityStore) => RamService;
  // Login profiles, MFA, settings, tags (ram/extras.ts) and IMS identity providers, per account.
  /** Builds an account's RamExtras over its view of the identity store. */
  extras?: (accountId: string, store: IdentityStore) => RamExtras;
  /** The shared (unscoped) identity provider store. */
  rawProviders?: ProviderStore;
  /** Builds an account's ImsService over its view of the identity providers. */
  ims?: (accountId: string, providers: ProviderStore) => ImsService;
}

export class AccountRegistry {
  readonly defaultAccountId: string;
  private readonly stores = new Map<string, IdentityStore>();
  private readonly rams = new Map<string, RamService>();
  private readonly extrases = new Map<string, RamExtras>();
  private readonly imses = new Map<string, ImsService>();
  private readonly keys: GenerationCache<string, ResolvedAccountKey | null>;
  private readonly known: GenerationCache<string, boolean>;
  /** list()'s answer while no identity write happened (sign-in by alias asks it on unauthenticated requests). */
  private readonly listed: GenerationCache<'all', readonly AccountInfo[]>;

  constructor(private readonly opts: AccountRegistryOptions) {
    this.defaultAccountId = opts.defaultAccount.accountId;
    this.keys = new GenerationCache(() => opts.raw.identityGeneration());
    this.known = new GenerationCache(() => opts.raw.identityGeneration());
    this.listed = new GenerationCache(() => opts.raw.identityGeneration());
  }

  /** The identity store as `accountId` sees it (its own RAM entities, with their plain names). */
  storeFor(accountId: string): IdentityStore {
    let s = this.stores.get(accountId);
    if (!s) {
      s = scopedIdentityStore(this.opts.raw, accountId === this.defaultAccountId ? null : accountId);
      this.stores.set(accountId, s);
    }
    return s;
  }

  /** The RamService of an account (callers name an account that exists: an authenticated principal's). */
  ramFor(accountId: string): RamService {
    let r = this.rams.get(accountId);
    if (!r) {
      r = this.opts.ram(accountId, this.storeFor(accountId));
      this.rams.set(accountId, r);
    }
    return r;
  }

  /** The account's login profiles, MFA devices, settings and tags (registry option `extras` required). */
  extrasFor(accountId: string): RamExtras {
    let x = this.extrases.get(accountId);
    if (!x) {
      if (!this.opts.extras) throw new Error('AccountRegistry: no extras factory');
      x = this.opts.extras(accountId, this.storeFor(accountId));
      this.extrases.set(accountId, x);
    }
    return x;
  }

  /** The account's identity providers as seen by IMS (registry options `ims` and `rawProviders` required). */
  imsFor(accountId: string): ImsService {
    let x = this.imses.get(accountId);
    if (!x) {
      if (!this.opts.ims) throw new Error('AccountRegistry: no ims factory');
      x = this.opts.ims(accountId, this.providersFor(accountId));
      this.imses.set(accountId, x);
    }
    return x;
  }

  /** The identity providers as `accountId` sees them (its own only). */
  providersFor(accountId: string): ProviderStore {
    if (!this.opts.rawProviders) throw new Error('AccountRegistry: no provider store');
    return scopedProviderStore(this.opts.rawProviders, accountId === this.defaultAccountId ? null : accountId);
  }

  async exists(accountId: string): Promise<boolean> {
    if (accountId === this.defaultAccountId) return true;
    if (!ACCOUNT_ID_FORMAT.test(accountId)) return false;
    return this.known.getOrLoad(accountId, async () => (await this.opts.raw.getUser(accountMarkerName(accountId))) !== null);
  }

  async get(accountId: string): Promise<AccountInfo | null> {
    if (accountId === this.defaultAccountId) return this.defaultInfo();
    if (!ACCOUNT_ID_FORMAT.test(accountId)) return null;
    const marker = await this.opts.raw.getUser(accountMarkerName(accountId));
    if (!marker) return null;
    const [key] = await this.opts.raw.listAccessKeys(marker.userName);
    return { accountId, name: marker.displayName, accessKeyId: key?.accessKeyId ?? '', isDefault: false, createDate: marker.createDate };
  }

  /** Every account, the default one first, then by id. */
  async list(): Promise<AccountInfo[]> {
    // Accounts, their markers and root keys are identity rows: any change moves the generation.
    return (await this.listed.getOrLoad('all', () => this.listAll())).map((a) => ({ ...a }));
  }

  private async listAll(): Promise<AccountInfo[]> {
    const out: AccountInfo[] = [this.defaultInfo()];
    // Marker rows sort by id among the users; names of the default account's users never hold a `/`.
    let after = '';
    for (;;) {
      const page = await this.opts.raw.listUsers({ after, limit: 100 });
      for (const u of page) {
        const { accountId, name } = splitStoredName(u.userName);
        if (accountId !== null && name === '') {
          const info = await this.get(accountId);
          if (info) out.push(info);
        }
      }
      if (page.length < 100) return out;
      after = page[page.length - 1]!.userName;
    }
  }

  /** Creates an account with its root AccessKey (generated unless given); returns the secret once. */
  async create(input: NewAccount): Promise<AccountInfo & { accessKeySecret: string }> {
    const accountId = input.accountId ?? await this.freeId();
    if (!ACCOUNT_ID_FORMAT.test(accountId)) throw new AccountError('An account id is 16 digits.');
    if (accountId === this.defaultAccountId || await this.exists(accountId)) throw new AccountError(`Account ${accountId} already exists.`);
    const name = input.name ?? '';
    if (name !== '') {
      try {
        checkField('DisplayName', name);
      } catch {
        throw new AccountError('An account name is 1 to 128 letters, digits, spaces and @._- characters.');
      }
    }
    const accessKeyId = input.accessKeyId ?? newAccessKeyId();
    const secret = input.accessKeySecret ?? newAccessKeySecret();
    if (!ACCESS_KEY_ID_FORMAT.test(accessKeyId) && !/^[A-Za-z0-9]{8,64}$/.test(accessKeyId)) throw new AccountError('A root AccessKeyId is 8 to 64 letters or digits.');
    if (!ACCESS_KEY_SECRET_FORMAT.test(secret) && !/^[\x21-\x7e]{8,128}$/.test(secret)) throw new AccountError('A root AccessKeySecret is 8 to 128 printable characters without spaces.');
    if (accessKeyId === this.opts.defaultAccount.accessKeyId || (await this.opts.raw.getAccessKey(accessKeyId)) !== null) {
      throw new AccountError(`AccessKey ${accessKeyId} is already in use.`);
    }
    if ((await this.list()).length > MAX_ACCOUNTS) throw new AccountError(`A server holds at most ${MAX_ACCOUNTS} accounts besides the default one.`);
    const now = this.opts.clock();
    const marker = accountMarkerName(accountId);
    await this.opts.raw.createUser(
      { userId: newNumericId(16), userName: marker, displayName: name, mobilePhone: '', email: '', comments: 'alunite account', createDate: now, updateDate: now },
      Number.MAX_SAFE_INTEGER,
    );
    try {
      await this.opts.raw.createAccessKey(marker, { accessKeyId, sealedSecret: seal(this.opts.masterKey, secret, accessKeyId), status: 'Active', createDate: now }, 1);
    } catch (err) {
      await this.opts.raw.deleteUser(marker).catch(() => undefined);
      throw err;
    }
    return { accountId, name, accessKeyId, isDefault: false, createDate: now, accessKeySecret: secret };
  }

  /** Changes an account's name or root AccessKey (the state file declaring other ones). */
  async update(accountId: string, change: { name?: string; accessKeyId?: string; accessKeySecret?: string }): Promise<string[]> {
    const info = await this.get(accountId);
    if (!info || info.isDefault) throw new AccountError(`No account ${accountId}.`);
    const marker = accountMarkerName(accountId);
    const changes: string[] = [];
    if (change.name !== undefined && change.name !== info.name) {
      checkField('DisplayName', change.name);
      await this.opts.raw.updateUser(marker, { displayName: change.name }, this.opts.clock());
      changes.push('name');
    }
    if (change.accessKeyId !== undefined && change.accessKeySecret !== undefined) {
      const current = await this.resolveKey(info.accessKeyId);
      if (change.accessKeyId !== info.accessKeyId || current?.secret !== change.accessKeySecret) {
        if (change.accessKeyId !== info.accessKeyId && (change.accessKeyId === this.opts.defaultAccount.accessKeyId || (await this.opts.raw.getAccessKey(change.accessKeyId)) !== null)) {
          throw new AccountError(`AccessKey ${change.accessKeyId} is already in use.`);
        }
        if (info.accessKeyId !== '') await this.opts.raw.deleteAccessKey(marker, info.accessKeyId);
        await this.opts.raw.createAccessKey(marker, { accessKeyId: change.accessKeyId, sealedSecret: seal(this.opts.masterKey, change.accessKeySecret, change.accessKeyId), status: 'Active', createDate: this.opts.clock() }, 1);
        changes.push('root AccessKey');
      }
    }
    return changes;
  }

  /** Deletes an account that holds nothing any more (no bucket, no RAM user, group, role or custom policy). */
  async delete(accountId: string): Promise<void> {
    if (accountId === this.defaultAccountId) throw new AccountError('The default account cannot be deleted.');
    const info = await this.get(accountId);
    if (!info) throw new AccountError(`No account ${accountId}.`);
    const store = this.storeFor(accountId);
    const left: string[] = [];
    if ((await this.opts.countBuckets(accountId)) > 0) left.push('buckets');
    if ((await store.listUsers({ limit: 1 })).length > 0) left.push('RAM users');
    if ((await store.listGroups({ limit: 1 })).length > 0) left.push('groups');
    if ((await store.listRoles({ limit: 1 })).length > 0) left.push('roles');
    if ((await store.listPolicies({ limit: 1 })).length > 0) left.push('custom policies');
    if ((await store.listIdentityDocs(DOC.mfaDevice)).size > 0) left.push('virtual MFA devices');
    if (this.opts.rawProviders) {
      const providers = this.providersFor(accountId);
      if ((await providers.listProviders('oidc', { limit: 1 })).length + (await providers.listProviders('saml', { limit: 1 })).length > 0) left.push('identity providers');
    }
    if (left.length > 0) throw new AccountError(`Account ${accountId} still has ${left.join(', ')}: delete them first.`);
    const marker = accountMarkerName(accountId);
    for (const k of await this.opts.raw.listAccessKeys(marker)) await this.opts.raw.deleteAccessKey(marker, k.accessKeyId);
    // Its alias, password policy and security preference go with it (a later account of the same id starts afresh).
    await store.updateIdentityDocs(ACCOUNT_DOC_IDS.map((id) => ({ kind: DOC.account, id })), () => ACCOUNT_DOC_IDS.map(() => null));
    await this.opts.raw.deleteUser(marker);
    this.rams.delete(accountId);
    this.extrases.delete(accountId);
    this.imses.delete(accountId);
    this.stores.delete(accountId);
  }

  /**
   * An AccessKey of an account other than the default one: its root key, or a key of one of its RAM users.
   * null for the default account's keys and unknown ids (the next resolver answers those). Known answers come
   * back without a promise.
   */
  resolveKey(accessKeyId: string): ResolvedAccountKey | null | Promise<ResolvedAccountKey | null> {
    // The default account's root key always means that root, as before accounts existed.
    if (accessKeyId === this.opts.defaultAccount.accessKeyId) return null;
    // Only ids that passed the test below are cached: a hit needs no regex (the length bound keeps long text unhashed).
    if (accessKeyId.length > STORED_ACCESS_KEY_ID_MAX) return null;
    const hit = this.keys.get(accessKeyId);
    if (hit !== undefined) return hit;
    if (!STORED_ACCESS_KEY_ID.test(accessKeyId)) return null; // no such key can exist: not looked up, not cached
    accessKeyId = detached(accessKeyId); // remembered under a copy, not a slice of the header it came in (16 KiB)
    return this.keys.getOrLoad(accessKeyId, async () => {
      const key = await this.opts.raw.getAccessKey(accessKeyId);
      if (!key) return null;
      const user = await this.opts.raw.getUserById(key.userId);
      if (!user) return null;
      const { accountId, name } = splitStoredName(user.userName);
      if (accountId === null || !ACCOUNT_ID_FORMAT.test(accountId)) return null;
      const secret = this.unseal(key.sealedSecret, accessKeyId);
      const principal: ResolvedAccountKey['principal'] = name === ''
        ? { type: 'root', accountId, accessKeyId }
        : { type: 'user', accountId, userId: user.userId, userName: name, accessKeyId };
      return { secret, status: key.status, principal };
    });
  }

  private unseal(sealed: string, accessKeyId: string): string {
    for (const key of [this.opts.masterKey, ...(this.opts.previousMasterKeys ?? [])]) {
      try {
        return open(key, sealed, accessKeyId);
      } catch {
        // the next key of the ring
      }
    }
    throw new AppError('InternalError', `The secret of AccessKey ${accessKeyId} cannot be opened with the configured master key(s).`);
  }

  private defaultInfo(): AccountInfo {
    return { accountId: this.defaultAccountId, name: '', accessKeyId: this.opts.defaultAccount.accessKeyId, isDefault: true, createDate: null };
  }

  private async freeId(): Promise<string> {
    for (;;) {
      const id = newNumericId(16);
      if (id !== this.defaultAccountId && !(await this.exists(id))) return id;
    }
  }
}
