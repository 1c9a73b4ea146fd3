import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../errors.js';
import { crc64Combine } from '../util/crc64.js';
import { checkPreconditions, type Preconditions } from './conditions.js';
import { dropBlobs, garbageSegments, LIMITS, requireBucket, type DomainContext } from './context.js';
import { freshBlobs, ingest, ingestToBlob, segmentsOf, type BodyExpectations, type IngestedBody } from './ingest.js';
import { OBJECT_ACLS, STORAGE_CLASSES, type ContentHeaders, type ObjectAcl, type ObjectRecord, type ObjectSummary, type StorageClass } from './model.js';
import { assertObjectKey } from './names.js';
import type { ByteRange } from './range.js';
import { rollUp } from './listing.js';
import { admit, admitBody, admitSmall } from './admission.js';
import { retentionGuard } from './retention.js';
import { assertReadable, isArchived, restoreHeaderValue, withoutRestore } from './restore.js';
import { bucketDefaultEncryption, byteStream, readSealed, sameSetting, sealingStore, sseOf, type SseSetting, type SseState } from './encryption.js';
import type { BlobStore } from '../store/blob/types.js';
import { CorruptCiphertextError, type ChunkCipher } from '../util/chunk-cipher.js';
import type { Bucket } from './model.js';

/** Properties a writer may set on a new object (PutObject, Initiate, first Append, Copy REPLACE). */
export interface ObjectProps {
  headers: ContentHeaders;
  userMeta: Record<string, string>;
  acl?: string;
  storageClass?: string;
  tags?: Array<[string, string]>;
  /** Server-side encryption asked for by the write (else the bucket's default applies). */
  sse?: SseSetting;
}

export interface PutObjectInput extends ObjectProps {
  bucket: string;
  key: string;
  body: Readable;
  expect: Omit<BodyExpectations, 'maxSize'>;
  forbidOverwrite: boolean;
}

export interface AppendObjectInput extends PutObjectInput {
  position: number;
}

export interface CopyObjectInput {
  sourceBucket: string;
  sourceKey: string;
  bucket: string;
  key: string;
  /** REPLACE: take `props` for the destination; COPY: keep the source's. */
  replaceMetadata: boolean;
  props: ObjectProps;
  replaceTags: boolean;
  /** Conditions on the source; several sets are checked together (see checkPreconditions). */
  sourceConditions: Preconditions | readonly Preconditions[];
  forbidOverwrite: boolean;
  /** Authorizes reading the source's target when the source is a symlink. */
  checkSourceTarget?: SymlinkTargetCheck;
}

/** Called with a symlink's target key before the target is read (throws to refuse). */
export type SymlinkTargetCheck = (targetKey: string) => Promise<void>;

export interface ListInput {
  prefix: string;
  delimiter: string;
  /** Exclusive start (marker, start-after or decoded continuation token). */
  after: string;
  maxKeys: number;
}

export interface ListOutput {
  objects: ObjectSummary[];
  commonPrefixes: string[];
  truncated: boolean;
  /** Last key or common prefix returned (NextMarker / continuation). */
  last: string | null;
  /** Listed archived objects with a restore running or done: key → `x-oss-restore` value (RestoreInfo). */
  restoreInfo: ReadonlyMap<string, string>;
}

export function parseObjectAcl(value: string): ObjectAcl {
  if (!(OBJECT_ACLS as readonly string[]).includes(value)) {
    throw invalidArgument('no such object access control exists', 'x-oss-object-acl', value);
  }
  return value as ObjectAcl;
}

/** A storage class, case-insensitively; buckets and objects name the argument differently. */
export function parseStorageClass(value: string, argumentName = 'x-oss-storage-class', message = 'No such storage class exists.'): StorageClass {
  const found = STORAGE_CLASSES.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!found) throw invalidArgument(message, argumentName, value);
  return found;
}

export function validateUserMeta(meta: Record<string, string>): void {
  let total = 0;
  for (const [k, v] of Object.entries(meta)) {
    if (!/^[a-z0-9-]+$/.test(k)) throw invalidArgument(`The user metadata name "${k}" is invalid.`, `x-oss-meta-${k}`, v);
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > LIMITS.maxUserMetaBytes) throw invalidArgument('Your metadata headers exceed the maximum allowed metadata size.', 'x-oss-meta-*');
}

/** What tag keys and values may hold (OSS EC 0010-00000212/217): ASCII letters, digits, space and `+-=._:/`. */
const TAG_CHARS = /^[A-Za-z0-9 +\-=._:/]*$/;

export function validateTags(tags: Array<[string, string]>): void {
  if (tags.length > LIMITS.maxTags) throw new AppError('InvalidTag', 'Object tags cannot be greater than 10', {}, '0010-00000217');
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k.length === 0 || k.length > 128 || !TAG_CHARS.test(k)) throw new AppError('InvalidTag', 'The TagKey you have provided is invalid', { TagKey: k });
    if (v.length > 256 || !TAG_CHARS.test(v)) throw new AppError('InvalidTag', 'The TagValue you have provided is invalid', { TagValue: v }, '0010-00000217');
    if (seen.has(k)) throw new AppError('InvalidTag', 'Cannot provide multiple Tags with the same key', { TagKey: k });
    seen.add(k);
  }
}

const hexUpper = (b: Buffer): string => b.toString('hex').toUpperCase();

export class ObjectService {
  constructor(private readonly ctx: DomainContext) {}


  /** Reads an object record (no symlink resolution); NoSuchKey if absent. */
  async head(bucket: string, key: string): Promise<ObjectRecord> {
    const obj = await this.ctx.meta.getObject(bucket, key);
    if (obj) return obj;
    await requireBucket(this.ctx, bucket);
    throw new AppError('NoSuchKey', undefined, { Key: key });
  }

  /**
   * The object whose bytes a GET returns: symlinks resolve to their target. `checkTarget` is called with
   * the target's key before it is read: OSS authorizes a read through a link on the target as well.
   * A link to a missing object is SymlinkTargetNotExist; a link to a link is InvalidTargetType.
   */
  async resolveForRead(bucket: string, key: string, checkTarget?: SymlinkTargetCheck): Promise<ObjectRecord> {
    return (await this.readView(bucket, key, checkTarget)).data;
  }

  /**
   * What GET/HEAD describe and return. For a symlink OSS answers with the link's own headers (type
   * Symlink, its Content-Type, metadata, storage class, Last-Modified) and takes from the target only what
   * describes the bytes: Content-Length, ETag, Content-MD5 and the CRC-64 (which clients check against
   * the body). `data` is the object whose bytes are read.
   */
  async readView(bucket: string, key: string, checkTarget?: SymlinkTargetCheck): Promise<{ meta: ObjectRecord; data: ObjectRecord }> {
    const obj = await this.head(bucket, key);
    if (obj.type !== 'Symlink') return { meta: obj, data: obj };
    if (checkTarget) await checkTarget(obj.symlinkTarget ?? '');
    const target = await this.ctx.meta.getObject(bucket, obj.symlinkTarget ?? '');
    if (!target) throw new AppError('SymlinkTargetNotExist', undefined, { Key: key });
    if (target.type === 'Symlink') throw new AppError('InvalidTargetType', undefined, { Key: key });
    const meta: ObjectRecord = { ...obj, size: target.size, etag: target.etag, contentMd5: target.contentMd5, crc64: target.crc64 };
    return { meta, data: target };
  }

  /** Refuses to hand out an archived object's bytes unless it is restored (InvalidObjectState). */
  assertReadable(obj: ObjectRecord): void {
    assertReadable(obj, this.ctx.clock());
  }

  /** `x-oss-restore` of an archived object being or having been restored; undefined otherwise. */
  restoreHeader(obj: ObjectRecord): string | undefined {
    return restoreHeaderValue(obj, this.ctx.clock());
  }

  /** The bucket's retention check for objects about to be replaced or removed (undefined: no policy). */
  private async guardOf(bucket: string): Promise<((obj: ObjectRecord) => void) | undefined> {
    const b = await this.ctx.meta.getBucket(bucket);
    return b ? retentionGuard(this.ctx, b) : undefined;
  }

  /** Streams bytes of an object (whole, or one range). */
  openRead(obj: ObjectRecord, range: ByteRange | null): Readable {
    const bytes = this.inlineBytes(obj, range);
    if (bytes) return Readable.from([bytes]);
    const start = range?.start ?? 0;
    const end = range?.end ?? obj.size;
    const segs = obj.segments;
    const blobs = this.ctx.blobs;
    const sse = sseOf(obj);
    if (sse) {
      // Encrypted: each segment is a sealed blob; only the chunks the range touches are read.
      const cipher = this.cipherOf(sse);
      const log = this.ctx.log;
      return byteStream((async function* (): AsyncGenerator<Buffer> {
        let offset = 0;
        try {
          for (const seg of segs) {
            const segStart = offset;
            offset += seg.size;
            if (offset <= start || segStart >= end) continue;
            yield* readSealed(blobs, cipher, seg.blobId, seg.size, Math.max(start, segStart) - segStart, Math.min(end, offset) - segStart);
          }
        } catch (err) {
          if (err instanceof CorruptCiphertextError) log('encrypted-object-corrupt', { bucket: obj.bucket, key: obj.key, err: err.message });
          throw err;
        }
      })());
    }
    if (segs.length === 1) return this.ctx.blobs.read(segs[0]!.blobId, start, end);
    async function* concat(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const seg of segs) {
        const segStart = offset;
        const segEnd = offset + seg.size;
        offset = segEnd;
        if (segEnd <= start || segStart >= end) continue;
        const from = Math.max(start, segStart) - segStart;
        const to = Math.min(end, segEnd) - segStart;
        for await (const chunk of blobs.read(seg.blobId, from, to)) yield chunk as Buffer;
      }
    }
    return Readable.from(concat(), { objectMode: false });
  }

  /** The bytes of an inline object (or range of it) without a stream; null for blob-backed objects. */
  inlineBytes(obj: ObjectRecord, range: ByteRange | null): Buffer | null {
    if (obj.inline === null) return obj.segments.length === 0 ? Buffer.alloc(0) : null;
    let plain = obj.inline;
    const sse = sseOf(obj);
    if (sse) {
      try {
        plain = this.cipherOf(sse).openBuffer(obj.inline, obj.size);
      } catch (err) {
        if (!(err instanceof CorruptCiphertextError)) throw err;
        this.ctx.log('encrypted-object-corrupt', { bucket: obj.bucket, key: obj.key, err: err.message });
        throw new AppError('InternalError', 'The stored object failed its integrity check (encrypted data did not authenticate).');
      }
    }
    return range ? plain.subarray(range.start, range.end) : plain;
  }

  private cipherOf(state: SseState): ChunkCipher {
    if (!this.ctx.sse) throw new AppError('InternalError', 'This server has no keys for encrypted objects.');
    try {
      return this.ctx.sse.cipherOf(state);
    } catch (err) {
      if (!(err instanceof CorruptCiphertextError)) throw err;
      // A master key forgotten too early (two rotations), or edited attrs: refused, never garbage.
      this.ctx.log('encrypted-object-key-unavailable', { algorithm: state.algorithm, kmsKeyId: state.kmsKeyId, err: err.message });
      throw new AppError('InternalError', 'The data key of this encrypted object does not open under the server\'s master keys.');
    }
  }

  /**
   * The encryption state for a new object or upload: what the write asks for, else the bucket's default
   * encryption, else none. A fresh data key each time.
   */
  newEncryption(bucket: Bucket, requested: SseSetting | undefined): SseState | undefined {
    const setting = requested ?? bucketDefaultEncryption(bucket);
    if (!setting) return undefined;
    if (!this.ctx.sse) throw new AppError('NotImplemented', 'Server-side encryption needs the server\'s keys, which this process does not have.');
    return this.ctx.sse.newState(setting);
  }

  /** Where the bytes of a write with this state go: sealed when encrypted. */
  storeFor(state: SseState | undefined): BlobStore {
    return state ? sealingStore(this.ctx.blobs, this.cipherOf(state)) : this.ctx.blobs;
  }

  /** An ingested inline body as stored: sealed when encrypted. */
  sealInline(state: SseState | undefined, body: IngestedBody): IngestedBody {
    if (!state || body.inline === null) return body;
    return { ...body, inline: this.cipherOf(state).sealBuffer(body.inline) };
  }

  /**
   * Checks a writer's properties, then the bucket (NoSuchBucket), and builds the new record's base. An
   * object written without `x-oss-storage-class` takes its bucket's storage class.
   */
  private async prepare(bucket: string, key: string, props: ObjectProps, encrypt = true): Promise<BaseRecord> {
    validateUserMeta(props.userMeta);
    if (props.tags) validateTags(props.tags);
    const storageClass = props.storageClass !== undefined ? parseStorageClass(props.storageClass) : undefined;
    const acl = props.acl !== undefined ? parseObjectAcl(props.acl) : 'default';
    const b = await requireBucket(this.ctx, bucket);
    const sse = encrypt ? this.newEncryption(b, props.sse) : undefined;
    return {
      ...(sse ? { attrs: { encryption: sse } } : {}),
      bucket,
      key,
      storageClass: storageClass ?? b.storageClass,
      acl,
      lastModified: this.ctx.clock(),
      headers: props.headers,
      userMeta: props.userMeta,
      tags: props.tags ?? [],
      symlinkTarget: null,
    };
  }

  async put(input: PutObjectInput): Promise<ObjectRecord> {
    assertObjectKey(input.key);
    const base = await this.prepare(input.bucket, input.key, input);
    if (input.forbidOverwrite && (await this.ctx.meta.getObject(input.bucket, input.key))) {
      input.body.resume();
      throw new AppError('FileAlreadyExists');
    }
    const ticket = await admitBody(this.ctx, input.body, input.expect.length);
    try {
      const sse = sseOf(base);
      const plain = await ingest(this.storeFor(sse), input.body, { ...input.expect, maxSize: LIMITS.maxObjectSize }, LIMITS.inlineMaxSize);
      const body = this.sealInline(sse, plain);
      return await this.commit({ ...normalObject(base, body), lastModified: this.ctx.clock() }, input.forbidOverwrite, freshBlobs(body));
    } finally {
      ticket.done();
    }
  }

  /** Commits a new record; on failure (e.g. a racing writer won) the fresh blobs are dropped. */
  private async commit(record: ObjectRecord, forbidOverwrite: boolean, fresh: string[]): Promise<ObjectRecord> {
    try {
      // Read after the body arrived: a retention policy initiated during the upload still applies.
      const guard = await this.guardOf(record.bucket);
      const res = await this.ctx.meta.putObject(record.bucket, record.key, (current) => {
        if (forbidOverwrite && current) throw new AppError('FileAlreadyExists');
        if (current && guard) guard(current);
        return record;
      });
      await dropBlobs(this.ctx, garbageSegments(res.replaced, res.record));
      return res.record;
    } catch (err) {
      await dropBlobs(this.ctx, fresh);
      throw err;
    }
  }

  async append(input: AppendObjectInput): Promise<ObjectRecord> {
    assertObjectKey(input.key);
    if (!Number.isSafeInteger(input.position) || input.position < 0) {
      throw invalidArgument('Position is invalid.', 'position', String(input.position));
    }
    // Tags count only on the append that creates the object; later appends ignore x-oss-tagging (as OSS does).
    const firstTags = input.tags ?? [];
    const base = await this.prepare(input.bucket, input.key, { ...input, tags: undefined });
    const current = await this.ctx.meta.getObject(input.bucket, input.key);
    if (!current) validateTags(firstTags);
    if (current) {
      if (current.type !== 'Appendable') throw new AppError('ObjectNotAppendable');
      if (current.size !== input.position) throw positionMismatch(current.size);
    } else if (input.position !== 0) {
      throw positionMismatch(0);
    }
    // Appendable objects always live in blobs: each append adds a segment. Encryption is the object's,
    // set by the append that created it; later appends are sealed under the same data key.
    const sse = current ? sseOf(current) : sseOf(base);
    const ticket = await admitBody(this.ctx, input.body, input.expect.length);
    const blob = await ingestToBlob(this.storeFor(sse), input.body, {
      ...input.expect,
      maxSize: LIMITS.maxObjectSize - input.position,
    }).finally(() => ticket.done());
    try {
      const guard = await this.guardOf(input.bucket);
      const res = await this.ctx.meta.putObject(input.bucket, input.key, (cur) => {
        if (cur && cur.type !== 'Appendable') throw new AppError('ObjectNotAppendable');
        if (cur && guard) guard(cur);
        const curSize = cur?.size ?? 0;
        if (curSize !== input.position) throw positionMismatch(curSize);
        // Replaced meanwhile by an object with another data key: this blob would not open under it.
        if (cur && sseOf(cur)?.dataKey !== sse?.dataKey) throw positionMismatch(curSize);
        const crc = cur ? crc64Combine(BigInt(cur.crc64), blob.crc64, blob.size) : blob.crc64;
        const size = curSize + blob.size;
        const segments = [...(cur?.segments ?? []), ...segmentsOf(blob)];
        if (!cur) validateTags(firstTags);
        const props = cur ?? { ...base, tags: firstTags };
        return {
          ...props,
          bucket: input.bucket,
          key: input.key,
          lastModified: this.ctx.clock(),
          size,
          crc64: crc.toString(10),
          // Append ETags are not MD5s in OSS either; ours changes with every append. [UNVERIFIED format]
          etag: crc.toString(16).padStart(16, '0').toUpperCase() + size.toString(16).padStart(16, '0').toUpperCase(),
          contentMd5: null,
          type: 'Appendable',
          segments,
          inline: null,
          symlinkTarget: null,
        };
      });
      return res.record;
    } catch (err) {
      await dropBlobs(this.ctx, freshBlobs(blob));
      throw err;
    }
  }

  async copy(input: CopyObjectInput): Promise<ObjectRecord> {
    assertObjectKey(input.key);
    assertObjectKey(input.sourceKey);
    const source = await this.resolveForRead(input.sourceBucket, input.sourceKey, input.checkSourceTarget);
    checkPreconditions(source, input.sourceConditions);
    // An archived source is copied (its class changed included) only while restored.
    this.assertReadable(source);
    const sameObject = input.sourceBucket === input.bucket && input.sourceKey === input.key;
    // Copy onto itself always replaces metadata and keeps the bytes (no copy needed).
    const replace = input.replaceMetadata || sameObject;
    const props: ObjectProps = replace
      ? { ...input.props }
      : { headers: source.headers, userMeta: source.userMeta, acl: input.props.acl, storageClass: input.props.storageClass };
    // The source's encryption is never copied: the request's (or the bucket default) applies (OSS).
    if (input.props.sse) props.sse = input.props.sse;
    else delete props.sse;
    // Without x-oss-storage-class a new copy takes its bucket's class; a copy onto itself keeps its own.
    if (sameObject && props.storageClass === undefined) props.storageClass = source.storageClass;
    const tags = input.replaceTags ? (input.props.tags ?? []) : source.tags;
    const base = await this.prepare(input.bucket, input.key, { ...props, tags });
    if (input.forbidOverwrite && !sameObject && (await this.ctx.meta.getObject(input.bucket, input.key))) {
      throw new AppError('FileAlreadyExists');
    }
    const destBucket = await requireBucket(this.ctx, input.bucket);
    // Onto itself with the same encryption: metadata only, the bytes (and data key) stay. Another
    // encryption (or none) re-encrypts the bytes like a copy to a new key.
    // The data key is re-sealed under the current master key: the way to move objects off a rotated key.
    if (sameObject && sameSetting(sseOf(source), props.sse ?? bucketDefaultEncryption(destBucket))) {
      await admitSmall(this.ctx);
      const guard = await this.guardOf(input.bucket);
      const res = await this.ctx.meta.putObject(input.bucket, input.key, (cur) => {
        if (!cur || cur.etag !== source.etag) throw new AppError('NoSuchKey', undefined, { Key: input.key });
        if (guard) guard(cur);
        // The rewritten object starts frozen again if archived (a restored copy belongs to the old one);
        // its data key is re-sealed under the current master key (the way to move objects off a rotated key).
        const kept = withoutRestore(cur.attrs);
        const sse = sseOf(cur);
        const attrs = sse && this.ctx.sse ? { ...kept, encryption: this.ctx.sse.rewrap(sse) } : kept;
        const { attrs: _old, ...rest } = cur;
        return { ...rest, ...base, ...(attrs === undefined ? {} : { attrs }) };
      });
      return res.record;
    }
    if (source.size > LIMITS.maxCopySize) throw new AppError('EntityTooLarge');
    const ticket = await admit(this.ctx, source.size);
    try {
      const sse = sseOf(base);
      const plain = await ingest(this.storeFor(sse), this.openRead(source, null), { length: source.size, maxSize: LIMITS.maxCopySize }, LIMITS.inlineMaxSize);
      const body = this.sealInline(sse, plain);
      // A copy of a Normal object keeps its ETag (the MD5 is the same); others get the MD5 of the bytes.
      const record = normalObject(base, body);
      if (source.type === 'Normal') record.etag = source.etag;
      return await this.commit(record, input.forbidOverwrite, freshBlobs(body));
    } finally {
      ticket.done();
    }
  }

  /** DeleteObject is idempotent: a missing key is not an error, a missing bucket is. */
  async delete(bucket: string, key: string): Promise<void> {
    const b = await requireBucket(this.ctx, bucket);
    const removed = await this.ctx.meta.deleteObject(bucket, key, retentionGuard(this.ctx, b));
    await dropBlobs(this.ctx, garbageSegments(removed, null));
    this.ctx.admission?.freed();
  }

  async deleteMany(bucket: string, keys: string[]): Promise<string[]> {
    const b = await requireBucket(this.ctx, bucket);
    if (keys.length > LIMITS.maxDeleteKeys) throw new AppError('MalformedXML', 'The number of objects to delete must not exceed 1000.');
    const guard = retentionGuard(this.ctx, b);
    if (guard) {
      // A protected key refuses the whole request before anything is deleted (OSS's DeleteResult has no
      // per-key errors); each delete still checks again inside its transaction.
      for (const key of keys) {
        const obj = await this.ctx.meta.getObject(bucket, key);
        if (obj) guard(obj);
      }
    }
    for (const key of keys) {
      const removed = await this.ctx.meta.deleteObject(bucket, key, guard);
      await dropBlobs(this.ctx, garbageSegments(removed, null));
    }
    this.ctx.admission?.freed();
    return keys;
  }

  async setAcl(bucket: string, key: string, acl: string): Promise<void> {
    const parsed = parseObjectAcl(acl);
    await this.head(bucket, key);
    await admitSmall(this.ctx);
    await this.ctx.meta.putObject(bucket, key, (cur) => {
      if (!cur) throw new AppError('NoSuchKey', undefined, { Key: key });
      return { ...cur, acl: parsed };
    });
  }

  async putSymlink(bucket: string, key: string, target: string, props: ObjectProps, forbidOverwrite: boolean): Promise<ObjectRecord> {
    assertObjectKey(key);
    assertObjectKey(target);
    const base = await this.prepare(bucket, key, props, false);
    await admitSmall(this.ctx);
    const etag = hexUpper(createHash('md5').update(target).digest());
    const record: ObjectRecord = {
      ...base,
      size: 0,
      etag,
      crc64: '0',
      contentMd5: null,
      type: 'Symlink',
      segments: [],
      inline: null,
      symlinkTarget: target,
    };
    return this.commit(record, forbidOverwrite, []);
  }

  async getSymlink(bucket: string, key: string): Promise<ObjectRecord> {
    const obj = await this.head(bucket, key);
    if (obj.type !== 'Symlink') throw new AppError('NotSymlink');
    return obj;
  }

  async setTags(bucket: string, key: string, tags: Array<[string, string]>): Promise<void> {
    validateTags(tags);
    await this.head(bucket, key);
    // Removing tags (DeleteObjectTagging) frees space and is never refused.
    if (tags.length > 0) await admitSmall(this.ctx);
    await this.ctx.meta.putObject(bucket, key, (cur) => {
      if (!cur) throw new AppError('NoSuchKey', undefined, { Key: key });
      return { ...cur, tags };
    });
  }

  async list(bucket: string, q: ListInput): Promise<ListOutput> {
    await requireBucket(this.ctx, bucket);
    const page = await rollUp<ObjectSummary, { after: string }>({
      prefix: q.prefix,
      delimiter: q.delimiter,
      marker: q.after,
      limit: q.maxKeys,
      start: { after: q.after },
      fetch: (cursor, limit) => this.ctx.meta.listObjects(bucket, { prefix: q.prefix, ...cursor, limit }),
      keyOf: (o) => o.key,
      after: (o) => ({ after: o.key }),
    });
    const last = page.last === undefined ? null : page.last.kind === 'item' ? page.last.item.key : page.last.prefix;
    return { objects: page.items, commonPrefixes: page.prefixes, truncated: page.truncated, last, restoreInfo: await this.restoreInfoOf(bucket, page.items) };
  }

  /**
   * RestoreInfo of the listed archived objects. Listings read no attrs, so only the archived entries of the
   * page are read whole (none in a bucket without archived objects).
   */
  private async restoreInfoOf(bucket: string, items: readonly ObjectSummary[]): Promise<ReadonlyMap<string, string>> {
    const out = new Map<string, string>();
    const archived = items.filter(isArchived);
    if (archived.length === 0) return out;
    const records = await Promise.all(archived.map((o) => this.ctx.meta.getObject(bucket, o.key)));
    for (const rec of records) {
      const value = rec === null ? undefined : restoreHeaderValue(rec, this.ctx.clock());
      if (rec !== null && value !== undefined) out.set(rec.key, value);
    }
    return out;
  }
}

/** A new object's record before its bytes are known. */
type BaseRecord = Omit<ObjectRecord, 'size' | 'etag' | 'crc64' | 'contentMd5' | 'segments' | 'inline' | 'type'>;

/** A Normal object made of one verified body (PutObject, CopyObject). */
function normalObject(base: BaseRecord, body: IngestedBody): ObjectRecord {
  return {
    ...base,
    size: body.size,
    etag: hexUpper(body.md5),
    crc64: body.crc64.toString(10),
    contentMd5: body.md5.toString('base64'),
    type: 'Normal',
    segments: segmentsOf(body),
    inline: body.inline,
  };
}

function positionMismatch(length: number): AppError {
  return new AppError('PositionNotEqualToLength', undefined, { NextAppendPosition: String(length) });
}

