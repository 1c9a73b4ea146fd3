import { admitSmall } from './admission.js';
import { AppError } from '../errors.js';
import { jsonConfig, readConfig, updateConfig, type ConfigKind } from './bucket-config.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';
import { incarnationOf, type BucketIncarnation } from '../store/meta/types.js';

// "Stored and returned" bucket configurations (docs/stored-configurations.md): validated documents the cloud
// keeps per bucket and gives back, with no behaviour of their own in Alunite. Each is one ConfigKind of the
// generic bucket-config mechanism, named `stored.<name>`; the value is plain JSON data (the validated
// document, or a small record of several, e.g. inventories by id). Protocol-free: the OSS side validates and
// renders (src/oss/stored/).

/** Plain JSON data (what a stored configuration may hold). */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** The collection of a bucket's live channels, one entry per channel by name (oss/stored/live-channel.ts; GetBucketStat counts it). */
export const LIVE_CHANNEL_COLLECTION = 'live-channel';

/** The most bytes one stored configuration, or one entry of a collection, may take in the store (its JSON form). */
export const MAX_STORED_BYTES = 64 * 1024;

/**
 * A stored configuration's or a collection's name, checked (programming errors, not requests). A configuration a
 * bucket holds many of (inventories, live channels) is a collection (`entry`), so one bound serves both.
 */
function checkedName(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(name)) throw new Error(`bad stored configuration name ${name}`);
  return name;
}

/** `text` when it fits MAX_STORED_BYTES, else InvalidArgument naming what would not fit. */
function bounded(text: string, what: string): string {
  if (Buffer.byteLength(text) > MAX_STORED_BYTES) throw new AppError('InvalidArgument', `${what} would exceed ${MAX_STORED_BYTES} bytes.`);
  return text;
}

const kinds = new Map<string, ConfigKind<Json>>();

/** The one ConfigKind of a stored configuration. */
export function storedKind(name: string): ConfigKind<Json> {
  let kind = kinds.get(checkedName(name));
  if (kind === undefined) {
    const base = jsonConfig<Json>(`stored.${name}`);
    kind = {
      name: base.name,
      decode: base.decode,
      encode: (v) => bounded(base.encode(v), `The ${name} configuration`),
    };
    kinds.set(name, kind);
  }
  return kind;
}

export class StoredConfigService {
  constructor(private readonly ctx: DomainContext) {}

  /** The bucket (NoSuchBucket when absent) and its stored configuration `name` (null when none). */
  async get(bucketName: string, name: string): Promise<{ bucket: Bucket; value: Json | null }> {
    const bucket = await requireBucket(this.ctx, bucketName);
    return { bucket, value: readConfig(bucket, storedKind(name)) };
  }

  /**
   * Read-modify-write inside the store's transaction: `decide` gets the current value (null when none) and
   * returns the new one (null removes it); an AppError it throws leaves everything unchanged. It also gets the
   * bucket as stored inside the transaction (its Block Public Access, for the access point policies).
   */
  async update(bucketName: string, name: string, decide: (current: Json | null, bucket: Bucket) => Json | null, removing = false, sameBucket?: BucketIncarnation): Promise<Json | null> {
    let result: Json | null = null;
    await updateConfig(this.ctx, bucketName, storedKind(name), (current, bucket) => {
      result = decide(current, bucket);
      return result;
    }, { removing, sameBucket });
    return result;
  }

  // Collections: configurations of which a bucket holds many, each kept and written apart (the store's
  // getConfigEntry), so a write costs one entry, not a rewrite of them all.

  /** The entry `id` of the bucket's collection (null when none); NoSuchBucket when the bucket does not exist. */
  async entry(bucketName: string, collection: string, id: string): Promise<Json | null> {
    await requireBucket(this.ctx, bucketName);
    const text = await this.ctx.meta.getConfigEntry(bucketName, checkedName(collection), id);
    return text === null ? null : (JSON.parse(text) as Json);
  }

  /** The collection's entries in id order after `after`, starting with `prefix`, at most `limit`. */
  async entries(bucketName: string, collection: string, q: { prefix: string; after: string; limit: number }): Promise<Array<{ id: string; value: Json }>> {
    await requireBucket(this.ctx, bucketName);
    const rows = await this.ctx.meta.listConfigEntries(bucketName, checkedName(collection), q);
    return rows.map((r) => ({ id: r.id, value: JSON.parse(r.document) as Json }));
  }

  /**
   * Read-modify-write of one entry inside the store's transaction: `decide` gets the current value (null when none)
   * and how many entries the collection holds, and returns the new value (null removes it); an AppError it throws
   * leaves everything unchanged. `sameBucket`: the bucket the request was authorized on, captured before its body
   * (ConfigWriteOptions); without it, the one read here.
   */
  async updateEntry(
    bucketName: string, collection: string, id: string, decide: (current: Json | null, count: number) => Json | null, removing = false, sameBucket?: BucketIncarnation,
  ): Promise<Json | null> {
    const written = sameBucket ?? incarnationOf(await requireBucket(this.ctx, bucketName));
    if (!removing) await admitSmall(this.ctx);
    let result: Json | null = null;
    const found = await this.ctx.meta.updateConfigEntry(bucketName, checkedName(collection), id, (text, count) => {
      result = decide(text === null ? null : (JSON.parse(text) as Json), count);
      if (result === null) return null;
      const encoded = bounded(JSON.stringify(result), `An entry of ${collection}`);
      return encoded === text ? text : encoded;
    }, written);
    if (!found) throw new AppError('NoSuchBucket', undefined, { BucketName: bucketName });
    return result;
  }

  /** The stored configuration `name` of each of these buckets (for ListBuckets' tag filter: no query). */
  valueOf(bucket: Bucket, name: string): Json | null {
    return readConfig(bucket, storedKind(name));
  }

  /** Every bucket the account owns (at most LIMITS.maxBucketsPerAccount), for the account-wide lists. */
  async accountBuckets(accountId: string): Promise<Bucket[]> {
    const out: Bucket[] = [];
    let after = '';
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix: '', after, limit: 1000, owner: accountId });
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.name;
    }
  }

  /** Every bucket record (access point aliases: domain/access-point.ts builds its index from them). */
  async allBuckets(): Promise<Bucket[]> {
    const out: Bucket[] = [];
    let after = '';
    for (;;) {
      const page = await this.ctx.meta.listBuckets({ prefix: '', after, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.name;
    }
  }

  // Account-level stored configurations (anti-DDoS instances, docs/anti-ddos.md): kept in bucket_configs under
  // `/account/<uid>` like the account's Block Public Access. The stores have no read-modify-write for them, so
  // updates of one account are serialized in this process (several PostgreSQL processes: last writer wins).
  private readonly accountQueues = new Map<string, Promise<unknown>>();

  /** The account's stored configuration `name` (null when none). */
  async getAccount(accountId: string, name: string): Promise<Json | null> {
    const text = await this.ctx.meta.getAccountConfig(accountId, storedKind(name).name);
    return text === null ? null : storedKind(name).decode(text);
  }

  /** Read-modify-write of an account configuration; an AppError thrown by `decide` changes nothing. */
  async updateAccount(accountId: string, name: string, decide: (current: Json | null) => Json | null): Promise<Json | null> {
    const kind = storedKind(name);
    const run = async (): Promise<Json | null> => {
      const next = decide(await this.getAccount(accountId, name));
      await this.ctx.meta.putAccountConfig(accountId, kind.name, next === null ? null : kind.encode(next));
      return next;
    };
    const previous = this.accountQueues.get(accountId) ?? Promise.resolve();
    const mine = previous.then(run, run);
    const settled = mine.catch(() => undefined);
    this.accountQueues.set(accountId, settled);
    void settled.then(() => {
      if (this.accountQueues.get(accountId) === settled) this.accountQueues.delete(accountId);
    });
    return mine;
  }

  now(): number {
    return this.ctx.clock();
  }

  get region(): string {
    return this.ctx.region;
  }
}
