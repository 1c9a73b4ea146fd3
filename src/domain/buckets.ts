import { xmlCarries } from '../util/xml-chars.js';
import { TRANSITION_KEEPS_BUCKET, transitionKeepsBucket } from './redundancy-transition.js';
import { admitSmall } from './admission.js';
import { isAccessPointAlias, unindexAccessPoints } from './access-point.js';
import { unbindCnames } from './cname.js';
import { assertAccountAllowsPublicAcl, assertNoPublicPolicy } from './access-rules.js';
import { AppError, invalidArgument } from '../errors.js';
import { parsePolicy } from '../policy/index.js';
import { LIMITS, requireBucket, type DomainContext } from './context.js';
import { validateCors } from './cors.js';
import {
  BUCKET_ACLS,
  REDUNDANCY_TYPES,
  type Bucket,
  type BucketAcl,
  type CorsConfig,
  type RedundancyType,
} from './model.js';
import { assertBucketName } from './names.js';
import { parseStorageClass } from './objects.js';
import { parseVersioningStatus, putVersioning } from './versioning.js';
import { incarnationOf, type BucketIncarnation, type BucketPatch } from '../store/meta/types.js';

export interface CreateBucketInput {
  name: string;
  ownerAccountId: string;
  acl?: string;
  storageClass?: string;
  redundancyType?: string;
  /** PutBucket's `LocationConstraint`: must name the server's region (`oss-<region>`, or `<region>`). */
  locationConstraint?: string;
}

export function parseBucketAcl(value: string): BucketAcl {
  if (!(BUCKET_ACLS as readonly string[]).includes(value)) {
    throw invalidArgument('no such bucket access control exists', 'x-oss-acl', value);
  }
  return value as BucketAcl;
}


function parseRedundancy(value: string): RedundancyType {
  const found = REDUNDANCY_TYPES.find((c) => c === value.toUpperCase());
  if (!found) throw invalidArgument('No such data redundancy type exists.', 'DataRedundancyType', value);
  return found;
}

export class BucketService {
  constructor(private readonly ctx: DomainContext) {}

  /**
   * PutBucket. `created` is false when the caller's account already owns the bucket (OSS answers 200 and
   * keeps it as it is; the handler applies an x-oss-acl of that request as PutBucketAcl).
   */
  async create(input: CreateBucketInput): Promise<{ bucket: Bucket; created: boolean }> {
    assertBucketName(input.name);
    // Access point aliases end so and are resolved before any bucket name (docs/access-points.md).
    if (isAccessPointAlias(input.name)) throw new AppError('InvalidBucketName', 'A bucket name may not end with -ossalias or -opapalias.', { BucketName: input.name });
    // A bucket lives in the region of the endpoint it is created at: another region is refused, for a new bucket
    // and for the owner's re-creation of its own alike (nothing moves a bucket).
    const location = input.locationConstraint;
    if (location !== undefined && location !== '' && location !== `oss-${this.ctx.region}` && location !== this.ctx.region) {
      // The echo is the client's text: bounded, and only what an XML answer can carry.
      throw new AppError('InvalidLocationConstraint', undefined, { LocationConstraint: xmlCarries(location) ? location.slice(0, 64) : '' });
    }
    const bucket: Bucket = {
      name: input.name,
      ownerAccountId: input.ownerAccountId,
      createdAt: this.ctx.clock(),
      region: this.ctx.region,
      acl: input.acl !== undefined ? parseBucketAcl(input.acl) : 'private',
      storageClass: input.storageClass !== undefined ? parseStorageClass(input.storageClass, 'StorageClass', 'No such bucket storage class exists.') : 'Standard',
      redundancyType: input.redundancyType !== undefined ? parseRedundancy(input.redundancyType) : 'LRS',
      policy: null,
      cors: null,
      configs: {},
    };
    const existing = await this.ctx.meta.getBucket(input.name);
    if (existing) {
      // OSS answers 200 when the owner re-creates its own bucket; anyone else gets 409.
      if (existing.ownerAccountId === input.ownerAccountId) return { bucket: existing, created: false };
      throw new AppError('BucketAlreadyExists', undefined, { BucketName: input.name });
    }
    await assertAccountAllowsPublicAcl(this.ctx, input.ownerAccountId, bucket.acl); // Block Public Access (docs/access-rules.md)
    if ((await this.ctx.meta.countBuckets(input.ownerAccountId)) >= LIMITS.maxBucketsPerAccount) {
      throw new AppError('TooManyBuckets');
    }
    await admitSmall(this.ctx);
    if ((await this.ctx.meta.createBucket(bucket)) === 'exists') {
      throw new AppError('BucketAlreadyExists', undefined, { BucketName: input.name });
    }
    return { bucket, created: true };
  }

  /** The bucket, or NoSuchBucket (thrown at once when the store knows it is missing: callers await this). */
  get(name: string): Bucket | Promise<Bucket> {
    return requireBucket(this.ctx, name);
  }

  /** `configs`: only these configurations in the records (BucketListQuery.configs); absent, all. */
  async list(ownerAccountId: string, q: { prefix: string; marker: string; maxKeys: number; configs?: readonly string[] }): Promise<{ buckets: Bucket[]; truncated: boolean }> {
    // The account's own buckets, filtered by the store: a page of maxKeys + 1 of them says whether more follow.
    const own = await this.ctx.meta.listBuckets({
      prefix: q.prefix, after: q.marker, limit: q.maxKeys + 1, owner: ownerAccountId, ...(q.configs !== undefined ? { configs: q.configs } : {}),
    });
    return { buckets: own.slice(0, q.maxKeys), truncated: own.length > q.maxKeys };
  }

  async delete(name: string): Promise<void> {
    const before = await this.ctx.meta.getBucket(name);
    // A data redundancy transition not yet finished keeps the bucket (docs/stored-configurations.md).
    const res = await this.ctx.meta.deleteBucket(name, TRANSITION_KEEPS_BUCKET);
    if (res === 'missing') throw new AppError('NoSuchBucket', undefined, { BucketName: name });
    if (res === 'not-empty') throw new AppError('BucketNotEmpty', undefined, { BucketName: name });
    if (res === 'kept') throw transitionKeepsBucket(name);
    // Its access point aliases leave the store-wide index (docs/access-points.md).
    if (before !== null) await unindexAccessPoints(this.ctx.meta, before);
    // Its CNAMEs stop routing and may be bound elsewhere (docs/stored-configurations.md#cnames-implemented).
    if (before !== null) await unbindCnames(this.ctx.meta, before);
  }

  /** PutBucketVersioning: Enabled or Suspended (docs/versioning.md). */
  async putVersioning(name: string, status: string | undefined, written?: BucketIncarnation): Promise<void> {
    await putVersioning(this.ctx, name, parseVersioningStatus(status), written);
  }

  /**
   * `written` (here and for the policy and CORS): the bucket the request was authorized on, captured before its body
   * was read; another bucket of the name by the time it commits is NoSuchBucket and nothing is written.
   */
  async setAcl(name: string, acl: string, written?: BucketIncarnation): Promise<void> {
    const parsed = parseBucketAcl(acl);
    const bucket = await this.get(name);
    await admitSmall(this.ctx);
    await this.patch(name, { acl: parsed }, written ?? incarnationOf(bucket));
  }

  /**
   * The bucket as it is now, for a write that reads its body after this to pass as `written`: captured before the
   * body, it is the bucket the request was authorized on.
   */
  async incarnation(name: string): Promise<BucketIncarnation> {
    return incarnationOf(await this.get(name));
  }

  /**
   * The store's updateBucket into `written` (callers without one captured before a body pass the bucket they read
   * first); a bucket gone, or another one of the name, by then is NoSuchBucket.
   */
  private async patch(name: string, patch: BucketPatch, written: BucketIncarnation): Promise<void> {
    if ((await this.ctx.meta.updateBucket(name, patch, written)) === null) throw new AppError('NoSuchBucket', undefined, { BucketName: name });
  }

  /** Stores a bucket policy after checking it against the bucket-policy grammar (Principal + Resource). */
  async putPolicy(name: string, text: string, written?: BucketIncarnation): Promise<void> {
    const bucket = await this.get(name);
    const parsed = parsePolicy(text, 'bucket');
    if (!parsed.ok) {
      // A document that cannot even start a JSON value gets OSS's parser message, "unknown char <c>" (the C++
      // SDK's SetBucketPolicyInvalidInputTest puts "policy") [UNVERIFIED for other characters].
      const first = /\S/u.exec(text)?.[0];
      if (parsed.error.reason === 'json' && first !== undefined && !/[{["\-0-9tfn]/.test(first)) {
        throw new AppError('InvalidPolicyDocument', `unknown char ${first}`);
      }
      throw new AppError('InvalidPolicyDocument', `Invalid Policy: ${parsed.error.message}`);
    }
    assertNoPublicPolicy(bucket, text); // Block Public Access (docs/access-rules.md)
    await admitSmall(this.ctx);
    await this.patch(name, { policy: text }, written ?? incarnationOf(bucket));
  }

  async getPolicy(name: string): Promise<string> {
    const bucket = await this.get(name);
    if (bucket.policy === null) throw new AppError('NoSuchBucketPolicy', undefined, { BucketName: name });
    return bucket.policy;
  }

  async deletePolicy(name: string): Promise<void> {
    await this.patch(name, { policy: null }, incarnationOf(await this.get(name)));
  }

  async putCors(name: string, cors: CorsConfig, written?: BucketIncarnation): Promise<void> {
    const bucket = await this.get(name);
    validateCors(cors);
    await admitSmall(this.ctx);
    await this.patch(name, { cors }, written ?? incarnationOf(bucket));
  }

  async getCors(name: string): Promise<CorsConfig> {
    const bucket = await this.get(name);
    if (!bucket.cors) throw new AppError('NoSuchCORSConfiguration', undefined, { BucketName: name });
    return bucket.cors;
  }

  async deleteCors(name: string): Promise<void> {
    await this.patch(name, { cors: null }, incarnationOf(await this.get(name)));
  }
}
