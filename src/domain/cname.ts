import { Resolver } from 'node:dns/promises';
import { AppError } from '../errors.js';
import { GenerationCache } from '../util/generation-cache.js';
import { isIncarnation, type BucketIncarnation } from '../store/meta/types.js';
import { readConfig } from './bucket-config.js';
import type { CnameSettings, CnameVerificationMode } from './cname-settings.js';
import type { Bucket } from './model.js';
import { storedKind } from './stored-configs.js';

// CNAMEs that take effect (docs/stored-configurations.md#cnames-implemented): a domain is bound to one bucket of any account, kept
// in the store-wide index `cname` (domain → the bucket's incarnation), and requests whose Host is that domain act on
// that bucket (oss/address.ts cnameAddress). The bucket's own `stored.cname` list stays the record of what it bound;
// an index entry counts only while its bucket (that incarnation) still lists the domain, so an entry left by a write
// cut short, a DeleteCname or a deleted bucket never routes and never blocks a new binding.

export const CNAME_INDEX = 'cname';
const DEFAULT_DNS_TIMEOUT_MS = 5000;
/** Domains remembered by one process (each hit is still confirmed on the bucket's record). */
const CACHE_LIMIT = 10_000;

export interface CnameStore {
  getBucket(name: string): Promise<Bucket | null>;
  getIndexEntry(index: string, key: string): Promise<string | null>;
  swapIndexEntry(index: string, key: string, expected: string | null, value: string | null): Promise<boolean>;
  indexGeneration(): number;
}

interface Holder extends BucketIncarnation {
  bucket: string;
}

function entryOf(bucket: Bucket): string {
  const holder: Holder = { bucket: bucket.name, ownerAccountId: bucket.ownerAccountId, createdAt: bucket.createdAt };
  return JSON.stringify(holder);
}

function holderOf(entry: string): Holder | null {
  try {
    const v = JSON.parse(entry) as Partial<Holder>;
    return typeof v.bucket === 'string' && typeof v.ownerAccountId === 'string' && typeof v.createdAt === 'number'
      ? { bucket: v.bucket, ownerAccountId: v.ownerAccountId, createdAt: v.createdAt }
      : null;
  } catch {
    return null;
  }
}

/** The domains a bucket's `stored.cname` configuration lists (what PutCname wrote). */
export function boundDomains(bucket: Bucket): string[] {
  const doc = readConfig(bucket, storedKind('cname'));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const list = (doc as { Cname?: unknown }).Cname;
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return items.flatMap((c) => (c !== null && typeof c === 'object' && typeof (c as { Domain?: unknown }).Domain === 'string' ? [(c as { Domain: string }).Domain] : []));
}

/** Removes a deleted bucket's domains from the index (DeleteBucket; `bucket` is its record before deletion). */
export async function unbindCnames(store: Pick<CnameStore, 'swapIndexEntry'>, bucket: Bucket): Promise<void> {
  const mine = entryOf(bucket);
  for (const domain of boundDomains(bucket)) await store.swapIndexEntry(CNAME_INDEX, domain, mine, null);
}

export class CnameBindings {
  private readonly cache = new Map<string, string>();
  /**
   * Names the index holds no entry for, until a swap commits anywhere (an entry appears only by one). A dead entry is
   * not remembered so: its bucket may list the domain again and hold it without a swap.
   */
  private readonly unbound: GenerationCache<string, true>;

  constructor(private readonly store: CnameStore) {
    this.unbound = new GenerationCache(() => store.indexGeneration(), CACHE_LIMIT);
  }

  /**
   * The bucket a domain is bound to now, or null. A remembered entry is confirmed on its bucket's record (which every
   * process keeps current); a dead one costs one point read of the index, a name without an entry one per index
   * generation.
   */
  async resolve(domain: string): Promise<string | null> {
    const cached = this.cache.get(domain);
    if (cached !== undefined) {
      const live = await this.liveHolder(domain, cached);
      if (live !== null) return live;
      this.cache.delete(domain);
    }
    if (this.unbound.get(domain) === true) return null;
    const generation = this.store.indexGeneration();
    const found = await this.store.getIndexEntry(CNAME_INDEX, domain);
    if (found === null) {
      this.unbound.setAt(generation, domain, true);
      return null;
    }
    const live = await this.liveHolder(domain, found);
    if (live !== null) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(domain, found);
    }
    return live;
  }

  /**
   * Enters `domain` for `bucket`, whose `stored.cname` already lists it (PutCname writes the list first, so an entry
   * always has its bucket's record behind it). CnameAlreadyExists when another bucket, of any account, holds it.
   */
  async claim(domain: string, bucket: Bucket): Promise<void> {
    const mine = entryOf(bucket);
    // A few rounds: each lost compare-and-set means another claim or release landed in between.
    for (let round = 0; round < 4; round++) {
      const held = await this.store.getIndexEntry(CNAME_INDEX, domain);
      if (held === mine) return;
      // Not the holder's bucket name: it may be another account's.
      if (held !== null && (await this.liveHolder(domain, held)) !== null) throw new AppError('CnameAlreadyExists', undefined, { Cname: domain });
      if (await this.store.swapIndexEntry(CNAME_INDEX, domain, held, mine)) {
        this.cache.set(domain, mine);
        return;
      }
    }
    throw new AppError('CnameAlreadyExists', undefined, { Cname: domain });
  }

  /** Removes `domain` from the index if `bucket` holds it (DeleteCname, after the bucket's list dropped it). */
  async release(domain: string, bucket: Bucket): Promise<void> {
    this.cache.delete(domain);
    await this.store.swapIndexEntry(CNAME_INDEX, domain, entryOf(bucket), null);
  }

  /** The holder's bucket name while that bucket (the incarnation entered) exists and lists the domain; else null. */
  private async liveHolder(domain: string, entry: string): Promise<string | null> {
    const holder = holderOf(entry);
    if (holder === null) return null;
    const bucket = await this.store.getBucket(holder.bucket);
    return bucket !== null && isIncarnation(bucket, holder) && boundDomains(bucket).includes(domain) ? bucket.name : null;
  }
}

/**
 * Proof that the caller owns a domain, asked by PutCname of a domain its bucket does not yet hold. `dns`: a TXT
 * record `_dnsauth.<domain>` whose value is the bucket's live token for the domain (CreateCnameToken), as the cloud
 * asks; `token`: the live token alone (no DNS; any caller allowed PutCname and CreateCnameToken on a bucket can bind
 * any domain that is not an endpoint of this server).
 */
export class CnameOwnership {
  readonly mode: CnameVerificationMode;
  private readonly timeoutMs: number;
  private readonly dnsServer: string | undefined;

  constructor(settings: CnameSettings = {}) {
    this.mode = settings.verification ?? 'dns';
    this.timeoutMs = settings.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
    this.dnsServer = settings.dnsServer;
  }

  /** NeedVerifyDomainOwnership unless the domain is proven; `token`: the bucket's live token for it, if any. */
  async verify(domain: string, token: string | null): Promise<void> {
    if (token !== null && (this.mode === 'token' || (await this.txtRecords(`_dnsauth.${domain}`)).includes(token))) return;
    throw new AppError('NeedVerifyDomainOwnership', undefined, { Cname: domain });
  }

  /** The name's TXT records (each one's strings joined), none when the lookup fails or takes too long. */
  private async txtRecords(name: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (this.dnsServer !== undefined) resolver.setServers([this.dnsServer]);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string[][]>((resolve) => {
      timer = setTimeout(() => resolve([]), this.timeoutMs + 100);
    });
    try {
      const records = await Promise.race([resolver.resolveTxt(name), late]);
      return records.map((chunks) => chunks.join(''));
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
      resolver.cancel();
    }
  }
}
