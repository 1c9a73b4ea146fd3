import { readConfig } from './bucket-config.js';
import type { Bucket } from './model.js';
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

/** The access points (both kinds) of one bucket record. */
export function accessPointsOf(bucket: Bucket): AccessPointView[] {
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

/** How often at most an unknown alias makes the index scan the buckets again (a miss costs one scan). */
const RESCAN_INTERVAL_MS = 1000;

/**
 * Alias → bucket. Aliases are random, so the index is built by scanning the bucket records (their configs come
 * with them) and scanned again on a miss, at most once a second (an alias made by another process is found on
 * the next scan; unknown aliases from the network cannot make it scan more often). A hit is confirmed on the
 * bucket's current record, so a deleted access point or a stale entry never resolves.
 */
export class AccessPointAliases {
  private index = new Map<string, string>();
  private scanned = -Infinity;
  private scanning: Promise<void> | null = null;

  constructor(
    private readonly allBuckets: () => Promise<Bucket[]>,
    private readonly getBucket: (name: string) => Promise<Bucket | null>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The access point an alias names, or null when none does. */
  async resolve(alias: string): Promise<AccessPointView | null> {
    const found = await this.confirm(alias);
    if (found !== null) return found;
    if (this.clock() - this.scanned < RESCAN_INTERVAL_MS) return null;
    await this.rescan();
    return this.confirm(alias);
  }

  /** Notes an alias just made in this process (found without a scan). */
  remember(alias: string, bucket: string): void {
    this.index.set(alias, bucket);
  }

  private async confirm(alias: string): Promise<AccessPointView | null> {
    const bucketName = this.index.get(alias);
    if (bucketName === undefined) return null;
    const bucket = await this.getBucket(bucketName);
    return (bucket === null ? undefined : accessPointsOf(bucket).find((ap) => ap.alias === alias)) ?? null;
  }

  private rescan(): Promise<void> {
    this.scanning ??= (async () => {
      try {
        const next = new Map<string, string>();
        for (const b of await this.allBuckets()) for (const ap of accessPointsOf(b)) next.set(ap.alias, b.name);
        this.index = next;
        this.scanned = this.clock();
      } finally {
        this.scanning = null;
      }
    })();
    return this.scanning;
  }
}
