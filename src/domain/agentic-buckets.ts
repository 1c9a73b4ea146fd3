import { AppError, invalidArgument } from '../errors.js';
import { publicAccessBlockConfig } from './access-rules.js';
import { jsonConfig, readConfig, updateConfig } from './bucket-config.js';
import type { BucketService } from './buckets.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';

// Agentic buckets (docs/agentic-buckets.md): an agentic bucket is a bucket named `<prefix>-<uid>-<region>-ab-apsr`,
// created by CreateAgenticBucket, that holds no data of its own: its ACL, versioning, encryption, Block Public Access,
// storage class, redundancy and default storage quota are the template of the bucket spaces created under it (buckets
// named `<prefix>-<uid>-<region>-bs-apsr`, created by PutBucket with `x-oss-agentic-bucket`). Its status and a space's
// parent are bucket configurations (ConfigKind), like every other bucket feature; its attributes are the bucket's
// own, kept and read by the services a general bucket uses.

export const AGENTIC_SUFFIX = 'ab-apsr';
export const SPACE_SUFFIX = 'bs-apsr';

/**
 * How long an agentic bucket stays Disabled before DeleteAgenticBucket takes it: "roughly 24 hours" (the Python SDK
 * v2's agentic tests); until then 409 AgenticBucketNotReady [UNVERIFIED: the exact period].
 */
export const AGENTIC_DELETE_DELAY_MS = 24 * 60 * 60 * 1000;
/** "At most 10 Agentic Buckets per account in a region" (OSS's CreateAgenticBucket page). */
export const MAX_AGENTIC_BUCKETS = 10;

export type AgenticStatus = 'Enabled' | 'Disabled';
interface AgenticState {
  status: AgenticStatus;
  /** When the status was last set (ms). */
  since: number;
}
/** A quota as PutAgenticBucketStorageQuota sets it: the default of the spaces created afterwards. */
export interface DefaultQuota {
  StorageQuota: number;
  Mode: string;
}

const AGENTIC = jsonConfig<AgenticState>('agentic-bucket');
const SPACE = jsonConfig<{ agenticBucket: string }>('bucket-space');
const DEFAULT_QUOTA = jsonConfig<DefaultQuota>('agentic-quota');

/** The tail the service appends to a prefix: `-<uid>-<region>-<suffix>`. */
export function agenticTail(accountId: string, region: string, suffix: string): string {
  return `-${accountId}-${region}-${suffix}`;
}

/** Whether a name ends as an agentic bucket's or a bucket space's does (whoever's account and region). */
export function reservedSuffixOf(name: string): typeof AGENTIC_SUFFIX | typeof SPACE_SUFFIX | null {
  if (name.endsWith(`-${AGENTIC_SUFFIX}`)) return AGENTIC_SUFFIX;
  if (name.endsWith(`-${SPACE_SUFFIX}`)) return SPACE_SUFFIX;
  return null;
}

/** A prefix: at least 3 characters, lower-case letters, digits and hyphens, not starting or ending with one (OSS's page). */
const PREFIX = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

/** The full name must be the caller's account and this region's, with a valid prefix: InvalidBucketName otherwise. */
function assertFullName(name: string, accountId: string, region: string, suffix: string): void {
  const tail = agenticTail(accountId, region, suffix);
  const prefix = name.endsWith(tail) ? name.slice(0, -tail.length) : '';
  if (prefix.length < 3 || !PREFIX.test(prefix) || name.length > 63) {
    throw new AppError('InvalidBucketName', `The name must be a prefix of at least 3 characters followed by ${tail}, 63 characters at most.`, { BucketName: name });
  }
}

export function agenticStatusOf(b: Bucket): AgenticStatus | null {
  return readConfig(b, AGENTIC)?.status ?? null;
}

/** The agentic bucket a bucket space belongs to (null: not a space). */
export function spaceParentOf(b: Bucket): string | null {
  return readConfig(b, SPACE)?.agenticBucket ?? null;
}

export function defaultQuotaOf(b: Bucket): DefaultQuota | null {
  return readConfig(b, DEFAULT_QUOTA);
}

const noSuch = (name: string): AppError => new AppError('NoSuchAgenticBucket', undefined, { BucketName: name });

export interface ListPage<T> {
  items: T[];
  truncated: boolean;
}

export class AgenticBucketService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly buckets: BucketService,
  ) {}

  /** The agentic bucket `name`, or NoSuchAgenticBucket (a general bucket of that name is none). */
  async require(name: string): Promise<Bucket> {
    const b = await Promise.resolve().then(() => requireBucket(this.ctx, name)).catch((err: unknown) => {
      throw err instanceof AppError && err.code === 'NoSuchBucket' ? noSuch(name) : err;
    });
    if (agenticStatusOf(b) === null) throw noSuch(name);
    return b;
  }

  /**
   * CreateAgenticBucket: a bucket of the caller's account, Enabled, with Block Public Access on (OSS's defaults). The
   * owner's second Create of its own is 200 and changes nothing, as PutBucket's [UNVERIFIED].
   */
  async create(name: string, ownerAccountId: string, cfg: { storageClass?: string; redundancyType?: string }): Promise<{ created: boolean }> {
    assertFullName(name, ownerAccountId, this.ctx.region, AGENTIC_SUFFIX);
    const existing = await this.ctx.meta.getBucket(name);
    if (existing === null && (await this.agenticBuckets(ownerAccountId)).length >= MAX_AGENTIC_BUCKETS) {
      throw new AppError('TooManyBuckets', `An account may have at most ${MAX_AGENTIC_BUCKETS} agentic buckets in a region.`);
    }
    const { bucket, created } = await this.buckets.create({ name, ownerAccountId, ...cfg });
    // Also completes a Create that stopped between its two writes (the name is reserved: no PutBucket made it).
    if (!created && agenticStatusOf(bucket) !== null) return { created };
    await updateConfig(this.ctx, name, AGENTIC, (current): AgenticState => current ?? { status: 'Enabled', since: this.ctx.clock() });
    await updateConfig(this.ctx, name, publicAccessBlockConfig, (current) => current ?? { blockPublicAccess: true });
    return { created };
  }

  async setStatus(name: string, given: string | undefined): Promise<void> {
    const status: AgenticStatus | null = given === 'Enabled' || given === 'Disabled' ? given : null;
    if (status === null) throw invalidArgument('Status must be Enabled or Disabled.', 'Status', (given ?? '').slice(0, 32));
    await this.require(name);
    await updateConfig(this.ctx, name, AGENTIC, (current): AgenticState => {
      if (current === null) throw noSuch(name);
      return current.status === status ? current : { status, since: this.ctx.clock() };
    });
  }

  /**
   * DeleteAgenticBucket: only once it has been Disabled for AGENTIC_DELETE_DELAY_MS (409 AgenticBucketNotDisabled while
   * Enabled, AgenticBucketNotReady within the wait), and has no bucket space left (409 BucketNotEmpty [UNVERIFIED: the code]).
   */
  async delete(name: string): Promise<void> {
    const b = await this.require(name);
    const state = readConfig(b, AGENTIC)!;
    if (state.status !== 'Disabled') throw new AppError('AgenticBucketNotDisabled', undefined, { BucketName: name });
    if (this.ctx.clock() - state.since < AGENTIC_DELETE_DELAY_MS) throw new AppError('AgenticBucketNotReady', undefined, { BucketName: name });
    // The bucket's owner's spaces, whoever asks (another account a bucket policy lets delete it has none of them).
    const spaces = await this.spaces(name, b.ownerAccountId, { prefix: '', after: '', maxKeys: 1 });
    if (spaces.items.length > 0) throw new AppError('BucketNotEmpty', 'The agentic bucket still has bucket spaces. Please delete them first.', { BucketName: name });
    await this.buckets.delete(name);
  }

  /** The account's agentic buckets in name order (at most MAX_AGENTIC_BUCKETS, among its at most 100 buckets). */
  async agenticBuckets(ownerAccountId: string): Promise<Bucket[]> {
    return (await this.scan(ownerAccountId, `-${AGENTIC_SUFFIX}`, '', '', Number.MAX_SAFE_INTEGER, (b) => agenticStatusOf(b) !== null)).items;
  }

  /** ListAgenticBuckets: the page after `after` (a name), at most `maxKeys`. */
  async list(ownerAccountId: string, after: string, maxKeys: number): Promise<ListPage<Bucket>> {
    return this.scan(ownerAccountId, `-${AGENTIC_SUFFIX}`, '', after, maxKeys, (b) => agenticStatusOf(b) !== null);
  }

  /** ListBucketSpaces: the spaces of `agentic` whose full names start with `prefix`, after `after`. */
  async spaces(agentic: string, ownerAccountId: string, q: { prefix: string; after: string; maxKeys: number }): Promise<ListPage<Bucket>> {
    return this.scan(ownerAccountId, `-${SPACE_SUFFIX}`, q.prefix, q.after, q.maxKeys, (b) => spaceParentOf(b) === agentic);
  }

  /**
   * The template a bucket space created under `agentic` takes: the agentic bucket, Enabled and of the same account
   * (NoSuchAgenticBucket otherwise, also for a Disabled one [UNVERIFIED]). `space` must be the caller's bucket space
   * name of this region (InvalidBucketName).
   */
  async templateFor(space: string, agentic: string, ownerAccountId: string): Promise<Bucket> {
    assertFullName(space, ownerAccountId, this.ctx.region, SPACE_SUFFIX);
    const parent = await this.require(agentic);
    if (parent.ownerAccountId !== ownerAccountId || agenticStatusOf(parent) !== 'Enabled') throw noSuch(agentic);
    return parent;
  }

  /** Marks a new bucket as a space of `agentic` (ListBucketSpaces, GetBucketInfo's AgenticBucketName). */
  async markSpace(space: string, agentic: string): Promise<void> {
    await updateConfig(this.ctx, space, SPACE, () => ({ agenticBucket: agentic }));
  }

  async putDefaultQuota(name: string, quota: DefaultQuota): Promise<void> {
    await this.require(name);
    await updateConfig(this.ctx, name, DEFAULT_QUOTA, () => quota);
  }

  async getDefaultQuota(name: string): Promise<DefaultQuota> {
    const quota = defaultQuotaOf(await this.require(name));
    if (quota === null) throw new AppError('NoSuchBucketStorageQuotaConfiguration', undefined, { BucketName: name });
    return quota;
  }

  /** Deleting none is 204 too (the Python SDK v2's test_agentic_bucket_storage_quota_delete_idempotent). */
  async deleteDefaultQuota(name: string): Promise<void> {
    await this.require(name);
    await updateConfig(this.ctx, name, DEFAULT_QUOTA, () => null, { removing: true });
  }

  /** The account's buckets ending with `suffix` and starting with `prefix`, after `after`, that `keep` keeps. */
  private async scan(owner: string, suffix: string, prefix: string, after: string, maxKeys: number, keep: (b: Bucket) => boolean): Promise<ListPage<Bucket>> {
    const items: Bucket[] = [];
    let from = after;
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix, after: from, limit: 1000, owner });
      for (const b of page) {
        if (!b.name.endsWith(suffix) || !keep(b)) continue;
        if (items.length === maxKeys) return { items, truncated: true };
        items.push(b);
      }
      if (page.length < 1000) return { items, truncated: false };
      from = page[page.length - 1]!.name;
    }
  }
}
