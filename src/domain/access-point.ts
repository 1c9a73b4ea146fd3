import { AppError } from '../errors.js';
import { bucketBlocksPublicAccess } from './access-rules.js';
import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
import { policyAllowsPublicAccess } from './public-access.js';
import { storedKind, type Json } from './stored-configs.js';

// Access points (docs/access-points.md): what a request through an alias needs to know about the access point
// it names, read from the bucket's stored configurations (`stored.access-point`, `stored.access-point-fc`), and
// the alias → access point index. Protocol-free: the OSS side (oss/stored/access-points.ts) writes the entries.

/** `<ap-name>-<random>-ossalias` (access points) and `<name>-<random>-opapalias` (Object FC access points). */
export const AP_ALIAS_SUFFIX = '-ossalias';
export const FC_ALIAS_SUFFIX = '-opapalias';

/** Store names of the two collections (one document per bucket each). */
export const AP_CONFIG = 'access-point';
export const FC_AP_CONFIG = 'access-point-fc';

/** Whether a bucket name is an access point alias (real bucket names may not end so: domain/names.ts). */
export function isAccessPointAlias(name: string): boolean {
  return name.endsWith(AP_ALIAS_SUFFIX) || name.endsWith(FC_ALIAS_SUFFIX);
}

export interface AccessPointView {
  kind: 'access-point' | 'object-fc';
  name: string;
  alias: string;
  /** The bucket requests through the alias act on, and its owner (whose account the access point is in). */
  bucket: string;
  ownerAccountId: string;
  region: string;
  /** `acs:oss:<region>:<uid>:accesspoint/<name>` (the condition key oss:DataAccessPointArn). */
  arn: string;
  networkOrigin: 'internet' | 'vpc';
  /** The access point policy (validated when put), or null. */
  policy: string | null;
  /** The access point's Block Public Access: public statements of its policy are ignored. */
  blockPublicAccess: boolean;
}

type Entry = { [k: string]: Json };

function entriesOf(value: Json | null, element: string): Entry[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const list = value[element];
  const all = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return all.filter((e): e is Entry => e !== null && typeof e === 'object' && !Array.isArray(e));
}

const text = (e: Entry, k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);

/** Block Public Access of an entry (set on when an access point is created; deleting the setting turns it off). */
export function entryBlocksPublicAccess(e: Entry): boolean {
  const c = e.PublicAccessBlockConfiguration;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return false;
  return c.BlockPublicAccess === 'true' || c.BlockPublicAccess === true;
}

/**
 * Block Public Access refuses a public policy for an access point of either kind (PutAccessPointPolicy,
 * PutAccessPointPolicyForObjectProcess) when it is on for the access point itself, its bucket or the bucket
 * owner's account, as PutBucketPolicy refuses a public bucket policy. `bucket` is the record as stored.
 */
export function assertNoPublicAccessPointPolicy(bucket: Bucket, entry: Entry, policy: string): void {
  if ((entryBlocksPublicAccess(entry) || bucketBlocksPublicAccess(bucket)) && policyAllowsPublicAccess(policy)) {
    throw new AppError('AccessDenied', 'Put public access point policy is not allowed.');
  }
}

// Per bucket record (replaced on every bucket write, so on every access point change, in every process that
// reads it again), so never stale: the views are built once per record and are the identity the authorizer
// caches an access point's compiled policy under (authz/access-point.ts).
const viewsOf = new WeakMap<Bucket, readonly AccessPointView[]>();

/** The access points (both kinds) of one bucket record; the same frozen views for the same record. */
export function accessPointsOf(bucket: Bucket): readonly AccessPointView[] {
  let views = viewsOf.get(bucket);
  if (views === undefined) {
    views = Object.freeze(buildViews(bucket).map((v) => Object.freeze(v)));
    viewsOf.set(bucket, views);
  }
  return views;
}

function buildViews(bucket: Bucket): AccessPointView[] {
  const out: AccessPointView[] = [];
  for (const e of entriesOf(readConfig(bucket, storedKind(AP_CONFIG)), 'AccessPoint')) {
    const name = text(e, 'AccessPointName');
    const alias = text(e, 'Alias');
    if (name === undefined || alias === undefined) continue;
    out.push({
      kind: 'access-point',
      name,
      alias,
      bucket: bucket.name,
      ownerAccountId: bucket.ownerAccountId,
      region: bucket.region,
      arn: text(e, 'AccessPointArn') ?? `acs:oss:${bucket.region}:${bucket.ownerAccountId}:accesspoint/${name}`,
      networkOrigin: text(e, 'NetworkOrigin') === 'vpc' ? 'vpc' : 'internet',
      policy: text(e, 'Policy') ?? null,
      blockPublicAccess: entryBlocksPublicAccess(e),
    });
  }
  for (const e of entriesOf(readConfig(bucket, storedKind(FC_AP_CONFIG)), 'AccessPointForObjectProcess')) {
    const name = text(e, 'AccessPointNameForObjectProcess');
    const alias = text(e, 'AccessPointForObjectProcessAlias');
    if (name === undefined || alias === undefined) continue;
    out.push({
      kind: 'object-fc',
      name,
      alias,
      bucket: bucket.name,
      ownerAccountId: bucket.ownerAccountId,
      region: bucket.region,
      arn: text(e, 'AccessPointForObjectProcessArn') ?? `acs:oss:${bucket.region}:${bucket.ownerAccountId}:accesspointforobjectprocess/${name}`,
      networkOrigin: 'internet',
      policy: text(e, 'Policy') ?? null,
      blockPublicAccess: entryBlocksPublicAccess(e),
    });
  }
  return out;
}

/**
 * The resource an access point policy is evaluated on: `…:accesspoint/<ap>` for bucket-level actions,
 * `…:accesspoint/<ap>/object/<key>` for object-level ones (OSS's documented ARN forms).
 */
export function accessPointResource(ap: AccessPointView, key: string | null): string {
  const base = `acs:oss:${ap.region}:${ap.ownerAccountId}:accesspoint/${ap.name}`;
  return key === null ? base : `${base}/object/${key}`;
}

/** The store-wide index (`MetadataStore.getIndexEntry`) holding alias → bucket name. */
export const ALIAS_INDEX = 'access-point-alias';
/** Index entry set once the access points made before the index existed have been entered (no alias ends so). */
const BUILT_MARKER = '.built';
/** Aliases remembered by one process (each hit is still confirmed on the bucket's record). */
const CACHE_LIMIT = 10_000;

/** The store calls the alias index needs (a MetadataStore has them). */
export interface AliasIndexStore {
  getBucket(name: string): Promise<Bucket | null>;
  getIndexEntry(index: string, key: string): Promise<string | null>;
  putIndexEntry(index: string, key: string, value: string | null): Promise<void>;
}

/** Removes a deleted bucket's aliases from the index (DeleteBucket; `bucket` is its record before deletion). */
export async function unindexAccessPoints(store: Pick<AliasIndexStore, 'putIndexEntry'>, bucket: Bucket): Promise<void> {
  for (const ap of accessPointsOf(bucket)) await store.putIndexEntry(ALIAS_INDEX, ap.alias, null);
}

/**
 * Alias → bucket, kept in the store (`/index/access-point-alias` in bucket_configs): CreateAccessPoint enters an
 * alias, DeleteAccessPoint and DeleteBucket remove it, so every process finds one made by another with one point
 * read. A request naming an unknown alias (unauthenticated, from the network) costs that one read, never a scan.
 * A hit is confirmed on the bucket's current record, so a deleted access point or a stale entry never resolves.
 * Access points made before the index existed are entered once, by the first process that misses while the
 * store has no `.built` marker (a full scan, once per store; entering an alias twice is harmless).
 */
export class AccessPointAliases {
  private readonly cache = new Map<string, string>();
  private built: Promise<void> | null = null;

  constructor(
    private readonly store: AliasIndexStore,
    private readonly allBuckets: () => Promise<Bucket[]>,
  ) {}

  /** The access point an alias names, or null when none does. */
  async resolve(alias: string): Promise<AccessPointView | null> {
    let bucketName = this.cache.get(alias);
    if (bucketName === undefined) {
      await this.ensureBuilt();
      const found = await this.store.getIndexEntry(ALIAS_INDEX, alias);
      if (found === null) return null;
      bucketName = found;
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(alias, bucketName);
    }
    const bucket = await this.store.getBucket(bucketName);
    const view = (bucket === null ? undefined : accessPointsOf(bucket).find((ap) => ap.alias === alias)) ?? null;
    if (view === null) this.cache.delete(alias);
    return view;
  }

  /** Enters an alias about to be made (before its entry is stored, so a stored access point is always indexed). */
  async add(alias: string, bucket: string): Promise<void> {
    await this.store.putIndexEntry(ALIAS_INDEX, alias, bucket);
    this.cache.set(alias, bucket);
  }

  /** Removes an alias whose access point was deleted (or never stored). */
  async remove(alias: string): Promise<void> {
    this.cache.delete(alias);
    await this.store.putIndexEntry(ALIAS_INDEX, alias, null);
  }

  private ensureBuilt(): Promise<void> {
    this.built ??= (async () => {
      if ((await this.store.getIndexEntry(ALIAS_INDEX, BUILT_MARKER)) !== null) return;
      const entries: Array<[string, string]> = [];
      for (const b of await this.allBuckets()) for (const ap of accessPointsOf(b)) entries.push([ap.alias, b.name]);
      // In chunks: SQLite commits each chunk's writes in one transaction.
      for (let i = 0; i < entries.length; i += 500) {
        await Promise.all(entries.slice(i, i + 500).map(([alias, bucket]) => this.store.putIndexEntry(ALIAS_INDEX, alias, bucket)));
      }
      await this.store.putIndexEntry(ALIAS_INDEX, BUILT_MARKER, 'true');
    })().catch((e: unknown) => {
      this.built = null;
      throw e;
    });
    return this.built;
  }
}
