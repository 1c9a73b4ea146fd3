import { admitSmall } from './admission.js';
import { CONTROL_OR_NOT_XML } from '../util/xml-chars.js';
import { AppError } from '../errors.js';
import { deleteConfig, jsonConfig, putConfig, readConfig } from './bucket-config.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket, BucketAcl } from './model.js';
import { policyAllowsPublicAccess, withoutPublicStatements } from './public-access.js';

// The bucket configurations the cloud enforces on the request path (docs/access-rules.md): hotlink
// protection (Referer), Block Public Access and pay-by-requester. This module stores and validates them;
// authz/bucket-rules.ts enforces them. A bucket without them has no entry in `configs`, so reading them
// on the request path is one property lookup.

export interface RefererConfig {
  allowEmptyReferer: boolean;
  allowTruncateQueryString: boolean;
  truncatePath: boolean;
  /** Whitelist patterns (`*` any run of characters, `?` one character). */
  refererList: string[];
  refererBlacklist: string[];
}

export type Payer = 'BucketOwner' | 'Requester';

export const refererConfig = jsonConfig<RefererConfig>('referer');
export const publicAccessBlockConfig = jsonConfig<{ blockPublicAccess: boolean }>('public-access-block');
export const requestPaymentConfig = jsonConfig<{ payer: Payer }>('request-payment');
/** Account level (Get/Put/DeletePublicAccessBlock): stored once per account, carried on each of its buckets. */
export const accountPublicAccessBlockConfig = jsonConfig<{ blockPublicAccess: boolean }>('account-public-access-block');

/** Alunite's bounds on a Referer configuration (OSS documents none exactly; docs/access-rules.md). */
export const REFERER_LIMITS = { maxEntries: 1000, maxLength: 1024 } as const;

/**
 * OSS's answer for a bucket with no Referer configuration: empty Referers allowed, query strings truncated (the
 * Go SDK's TestBucketRefererV2 reads `AllowTruncateQueryString` true of a new bucket), no lists.
 */
export const DEFAULT_REFERER: RefererConfig = {
  allowEmptyReferer: true,
  allowTruncateQueryString: true,
  truncatePath: false,
  refererList: [],
  refererBlacklist: [],
};

export function bucketReferer(b: Bucket): RefererConfig | null {
  return readConfig(b, refererConfig);
}

/** Whether the bucket itself has Block Public Access on (its own setting only, as GetBucketPublicAccessBlock shows it). */
export function bucketOwnBlock(b: Bucket): boolean {
  return readConfig(b, publicAccessBlockConfig)?.blockPublicAccess === true;
}

/** Whether public access to the bucket is blocked: by its own setting or its owner account's (either one suffices). */
export function bucketBlocksPublicAccess(b: Bucket): boolean {
  return bucketOwnBlock(b) || readConfig(b, accountPublicAccessBlockConfig)?.blockPublicAccess === true;
}

export function bucketPayer(b: Bucket): Payer {
  return readConfig(b, requestPaymentConfig)?.payer ?? 'BucketOwner';
}

/**
 * A list's patterns without empty entries, checked. An empty `<Referer></Referer>` is how the Go SDK resets the
 * list (SetBucketReferer(b, []string{""}, true)), and OSS accepts it: it stands for no pattern.
 */
function checkPatterns(given: readonly string[], name: string): string[] {
  const list = given.filter((p) => p.length > 0);
  if (list.length > REFERER_LIMITS.maxEntries) {
    throw new AppError('InvalidArgument', `${name} holds more than ${REFERER_LIMITS.maxEntries} Referer entries.`, { ArgumentName: name });
  }
  for (const p of list) {
    // Control characters could never match a header value and would only confuse the XML answer.
    if (p.length > REFERER_LIMITS.maxLength || CONTROL_OR_NOT_XML.test(p)) {
      throw new AppError('InvalidArgument', `Each Referer in ${name} must be at most ${REFERER_LIMITS.maxLength} printable characters.`, { ArgumentName: 'Referer' });
    }
  }
  return list;
}

export class AccessRulesService {
  constructor(private readonly ctx: DomainContext) {}

  // `sameBucket` (the three bucket puts): the bucket the request was authorized on, captured before its body.
  async putReferer(bucket: string, cfg: RefererConfig, sameBucket?: BucketIncarnation): Promise<void> {
    const refererList = checkPatterns(cfg.refererList, 'RefererList');
    const refererBlacklist = checkPatterns(cfg.refererBlacklist, 'RefererBlacklist');
    await putConfig(this.ctx, bucket, refererConfig, { ...cfg, refererList, refererBlacklist }, { sameBucket });
  }

  async getReferer(bucket: string): Promise<RefererConfig> {
    return bucketReferer(await requireBucket(this.ctx, bucket)) ?? DEFAULT_REFERER;
  }

  async putPublicAccessBlock(bucket: string, block: boolean, sameBucket?: BucketIncarnation): Promise<void> {
    await putConfig(this.ctx, bucket, publicAccessBlockConfig, { blockPublicAccess: block }, { sameBucket });
  }

  async getPublicAccessBlock(bucket: string): Promise<boolean> {
    return bucketOwnBlock(await requireBucket(this.ctx, bucket));
  }

  async deletePublicAccessBlock(bucket: string): Promise<void> {
    await deleteConfig(this.ctx, bucket, publicAccessBlockConfig);
  }

  async putAccountPublicAccessBlock(accountId: string, block: boolean): Promise<void> {
    await admitSmall(this.ctx);
    await this.ctx.meta.putAccountConfig(accountId, accountPublicAccessBlockConfig.name, accountPublicAccessBlockConfig.encode({ blockPublicAccess: block }));
  }

  async getAccountPublicAccessBlock(accountId: string): Promise<boolean> {
    return accountBlocksPublicAccess(this.ctx, accountId);
  }

  async deleteAccountPublicAccessBlock(accountId: string): Promise<void> {
    await this.ctx.meta.putAccountConfig(accountId, accountPublicAccessBlockConfig.name, null);
  }

  async putRequestPayment(bucket: string, payer: Payer, sameBucket?: BucketIncarnation): Promise<void> {
    await putConfig(this.ctx, bucket, requestPaymentConfig, { payer }, { sameBucket });
  }

  async getRequestPayment(bucket: string): Promise<Payer> {
    return bucketPayer(await requireBucket(this.ctx, bucket));
  }
}

/**
 * Block Public Access refuses writes that would grant public access (docs/access-rules.md): the messages are
 * the ones OSS answers ("Put public bucket acl is not allowed", …).
 */
export function assertNoPublicAcl(b: Bucket, kind: 'bucket' | 'object', acl: string | undefined): void {
  if (acl === undefined || !bucketBlocksPublicAccess(b)) return;
  const value = acl.trim().toLowerCase();
  // authenticated-read counts as public: it opens the data to every account, as S3's AuthenticatedUsers grant does.
  if (value !== 'public-read' && value !== 'public-read-write' && value !== 'authenticated-read') return;
  throw kind === 'bucket'
    ? new AppError('AccessDenied', 'Put public bucket acl is not allowed.')
    : new AppError('AccessDenied', 'Put public object acl is not allowed.', {}, '0016-00000901');
}

async function accountBlocksPublicAccess(ctx: DomainContext, accountId: string): Promise<boolean> {
  const text = await ctx.meta.getAccountConfig(accountId, accountPublicAccessBlockConfig.name);
  return text !== null && accountPublicAccessBlockConfig.decode(text).blockPublicAccess === true;
}

/** PutBucket (or PutBucketAcl creating the bucket) with a public ACL, while the account blocks public access. */
export async function assertAccountAllowsPublicAcl(ctx: DomainContext, accountId: string, acl: BucketAcl): Promise<void> {
  if (acl !== 'private' && (await accountBlocksPublicAccess(ctx, accountId))) throw new AppError('AccessDenied', 'Put public bucket acl is not allowed.');
}

export function assertNoPublicPolicy(b: Bucket, policyText: string): void {
  if (bucketBlocksPublicAccess(b) && policyAllowsPublicAccess(policyText)) {
    throw new AppError('AccessDenied', 'Put public bucket policy is not allowed.');
  }
}

/** An ACL as evaluated: public ACLs count as private while the bucket blocks public access. */
export function effectiveAcl(bucket: Bucket, acl: BucketAcl): BucketAcl {
  return acl !== 'private' && bucketBlocksPublicAccess(bucket) ? 'private' : acl;
}

// Per bucket record (replaced on every bucket write), so never stale.
const evaluatedPolicy = new WeakMap<Bucket, string | null>();

/** The bucket policy as evaluated: without its public statements while the bucket blocks public access. */
export function policyForEvaluation(bucket: Bucket): string | null {
  if (bucket.policy === null || !bucketBlocksPublicAccess(bucket)) return bucket.policy;
  let text = evaluatedPolicy.get(bucket);
  if (text === undefined) {
    text = withoutPublicStatements(bucket.policy);
    evaluatedPolicy.set(bucket, text);
  }
  return text;
}
