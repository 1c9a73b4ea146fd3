import { createHash } from 'node:crypto';
import { AppError, invalidArgument } from '../errors.js';
import { crc64Combine } from '../util/crc64.js';
import { newUploadId } from '../util/ids.js';
import type { Readable } from 'node:stream';
import { checkPreconditions, type Preconditions } from './conditions.js';
import { versioningStatus } from './versioning.js';
import { dropBlobs, garbageSegments, LIMITS, requireBucket, type DomainContext } from './context.js';
import { blocksOf, ingestToBlob, type BodyExpectations } from './ingest.js';
import { HashJob } from '../util/body-hasher.js';
import { admit, admitBody, admitSmall } from './admission.js';
import { capacityAfterBody, capacityBeforeBody, capacityCheck, capacityGuard } from './storage-capacity.js';
import type { ObjectRecord, PartRecord, UploadRecord } from './model.js';
import { assertObjectKey } from './names.js';
import { parseObjectAcl, parseStorageClass, validateStoredHeaders, validateTags, type ObjectProps, type ObjectService, type SourceDataCheck, type SymlinkTargetCheck } from './objects.js';
import type { ByteRange } from './range.js';
import { rollUp } from './listing.js';
import { retentionGuard } from './retention.js';
import { sseOf } from './encryption.js';
import { commitMayHaveLanded } from '../store/meta/types.js';

export interface CompletePart {
  partNumber: number;
  etag: string;
}

export interface StoredPart {
  /** `sourceVersionId`: the version an UploadPartCopy read (answered as x-oss-copy-source-version-id). */
  part: PartRecord & { sourceVersionId?: string };
  upload: UploadRecord;
}

export interface ListUploadsInput {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

export interface ListUploadsOutput {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  truncated: boolean;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
}

const stripQuotes = (etag: string): string => etag.trim().replace(/^"|"$/g, '').toUpperCase();

export function assertPartNumber(n: number, raw = String(n)): void {
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxPartNumber) {
    throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive.', 'partNumber', raw);
  }
}

export class MultipartService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly objects: ObjectService,
  ) {}


  /**
   * The upload, checked to belong to this bucket and key; NoSuchUpload otherwise, with the EC of the operation
   * that asked when OSS gives it one of its own (UploadPart 0042-00000104, UploadPartCopy 0042-00000311: the Go
   * SDK v2's tests; the catalogue's 0042-00000002 for the others).
   */
  async getUpload(bucket: string, key: string, uploadId: string, ec?: string): Promise<UploadRecord> {
    const upload = await this.ctx.meta.getUpload(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      await requireBucket(this.ctx, bucket);
      throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId }, ec);
    }
    return upload;
  }

  /** `sequential`: InitiateMultipartUpload's `?sequential`; the completed object gets a whole-body Content-MD5. */
  async initiate(bucket: string, key: string, props: ObjectProps, forbidOverwrite: boolean, sequential = false): Promise<UploadRecord> {
    assertObjectKey(key);
    validateStoredHeaders(props);
    if (props.tags) validateTags(props.tags);
    const acl = props.acl !== undefined ? parseObjectAcl(props.acl) : 'default';
    const storageClass = props.storageClass !== undefined ? parseStorageClass(props.storageClass) : undefined;
    // Without x-oss-storage-class the object takes its bucket's storage class.
    const b = await requireBucket(this.ctx, bucket);
    // Parts are sealed under the upload's data key; the completed object keeps it (the same attrs).
    const sse = this.objects.newEncryption(b, props.sse);
    const upload: UploadRecord = {
      uploadId: newUploadId(this.ctx.clock()),
      bucket,
      key,
      initiated: this.ctx.clock(),
      headers: props.headers,
      userMeta: props.userMeta,
      tags: props.tags ?? [],
      acl,
      storageClass: storageClass ?? b.storageClass,
      ...(sse || sequential ? { attrs: { ...(sse ? { encryption: sse } : {}), ...(sequential ? { sequential: true } : {}) } } : {}),
    };
    // x-oss-forbid-overwrite is ignored on buckets with versioning (as OSS does).
    if (forbidOverwrite && versioningStatus(b) === null && (await this.ctx.meta.getObject(bucket, key))) throw new AppError('FileAlreadyExists');
    await admitSmall(this.ctx);
    await this.ctx.meta.createUpload(upload);
    return upload;
  }

  /** `sizeUnknown`: the part's size was not known before it was read (chunked), so the storage capacity is checked now. */
  private async storePart(upload: UploadRecord, partNumber: number, body: Readable, expect: Omit<BodyExpectations, 'maxSize'>, sizeUnknown = false): Promise<PartRecord> {
    const blob = await ingestToBlob(this.objects.storeFor(sseOf(upload)), body, { ...expect, maxSize: LIMITS.maxPartSize });
    if (sizeUnknown) {
      const after = capacityAfterBody(this.ctx, upload.bucket, blob.size, [blob.blobId]);
      if (after !== undefined) await after;
    }
    const part: PartRecord = {
      uploadId: upload.uploadId,
      partNumber,
      size: blob.size,
      etag: blob.md5.toString('hex').toUpperCase(),
      crc64: blob.crc64.toString(10),
      blobId: blob.blobId,
      lastModified: this.ctx.clock(),
    };
    try {
      const capacity = await capacityGuard(this.ctx, upload.bucket);
      const replaced = await this.ctx.meta.putPart(part, capacity ? { capacity } : {});
      if (replaced) await dropBlobs(this.ctx, [replaced.blobId]);
    } catch (err) {
      if (!commitMayHaveLanded(err)) await dropBlobs(this.ctx, [blob.blobId]);
      throw err;
    }
    return part;
  }

  /** Stores a part; returns it with its upload (whose encryption the response echoes). */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Readable, expect: Omit<BodyExpectations, 'maxSize'>): Promise<StoredPart> {
    assertPartNumber(partNumber);
    const upload = await this.getUpload(bucket, key, uploadId, '0042-00000104').catch((err: unknown) => {
      body.resume();
      throw err;
    });
    // The bucket's storage capacity counts uploaded parts, as GetBucketStat's Storage does (docs/storage-capacity.md).
    const capacity = capacityCheck(this.ctx, bucket, expect.length ?? 0);
    if (capacity !== undefined) await capacityBeforeBody(capacity, body);
    const ticket = await admitBody(this.ctx, body, expect.length);
    try {
      return { part: await this.storePart(upload, partNumber, body, expect, expect.length === undefined), upload };
    } finally {
      ticket.done();
    }
  }

  async uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: {
      bucket: string;
      key: string;
      versionId?: string;
      /**
       * The bytes of the source to copy, decided from its size (the protocol layer reads x-oss-copy-source-range);
       * null or absent: the whole source.
       */
      range?: (size: number) => ByteRange | null;
      conditions: Preconditions | readonly Preconditions[];
      checkTarget?: SymlinkTargetCheck;
      /** Authorizes reading the source's bytes (its KMS key), given the record they are read from. */
      checkData?: SourceDataCheck;
    },
  ): Promise<StoredPart & { copied: { range: ByteRange | null; sourceSize: number } }> {
    assertPartNumber(partNumber);
    const upload = await this.getUpload(bucket, key, uploadId, '0042-00000311');
    // A source version that is a delete marker: 400 (OSS); a current delete marker: 404 NoSuchKey.
    const src = await this.objects.resolveForRead(source.bucket, source.key, source.checkTarget, source.versionId, 'InvalidArgument');
    await source.checkData?.(src);
    checkPreconditions(src, source.conditions);
    await this.objects.assertReadable(src, source.bucket);
    // api-docs UploadPartCopy: objects uploaded with AppendObject cannot be copied this way (CopyObject can,
    // outside versioned buckets). The code is ours [UNVERIFIED]: docs/compatibility.md.
    if (src.type === 'Appendable') {
      throw new AppError('InvalidArgument', 'UploadPartCopy cannot copy an Appendable object.', { ArgumentName: 'x-oss-copy-source' });
    }
    const range = source.range?.(src.size) ?? null;
    const capacity = capacityCheck(this.ctx, bucket, range ? range.end - range.start : src.size);
    if (capacity !== undefined) await capacity;
    const ticket = await admit(this.ctx, range ? range.end - range.start : src.size);
    try {
      const part = await this.storePart(upload, partNumber, this.objects.openRead(src, range), {});
      // The version read; a source named `?versionId=null` (written before versioning) is answered as `null`
      // (the Go SDK v2's TestUploadPartCopy compares the header with the version it named).
      const sourceVersionId = src.versionId ?? source.versionId;
      return {
        part: sourceVersionId === undefined ? part : { ...part, sourceVersionId },
        upload,
        copied: { range, sourceSize: src.size },
      };
    } finally {
      ticket.done();
    }
  }

  /**
   * `acl`: an object ACL given with the completion (x-oss-object-acl), which replaces the one the upload was
   * initiated with. `clientGone`: whether the client has left, asked while a sequential upload's parts are read.
   */
  async complete(
    bucket: string, key: string, uploadId: string, listed: CompletePart[] | 'all', forbidOverwrite: boolean, acl?: string, clientGone?: () => boolean,
  ): Promise<ObjectRecord> {
    const objectAcl = acl !== undefined ? parseObjectAcl(acl) : undefined;
    const pending = await this.getUpload(bucket, key, uploadId);
    // The parts are counted already (UploadPart was checked): refused only when the bucket is over its capacity.
    const capacity = capacityCheck(this.ctx, bucket, 0);
    if (capacity !== undefined) await capacity;
    // A sequential upload's object has the MD5 of its whole body, read from the parts before the commit.
    const whole = pending.attrs?.sequential === true ? await this.wholeBodyMd5(pending, listed, clientGone) : undefined;
    await admitSmall(this.ctx);
    const b = await this.ctx.meta.getBucket(bucket);
    const guard = b ? retentionGuard(this.ctx, b) : undefined;
    const res = await this.ctx.meta.completeUpload(uploadId, (upload, parts, current, versioning) => {
      if (forbidOverwrite && current && versioning === null) throw new AppError('FileAlreadyExists');
      // Protected bytes: the store hands the guard what the write removes for good (guardRemoved below), not what
      // a versioned bucket keeps as a version.
      const chosen = chooseParts(parts, listed);
      if (whole && (whole.blobIds.length !== chosen.length || chosen.some((p, i) => p.blobId !== whole.blobIds[i]))) {
        throw new AppError('InvalidPart', 'A part was uploaded again while the upload was being completed.');
      }
      return { ...assemble(upload, chosen, this.ctx.clock()), contentMd5: whole?.md5 ?? null, ...(objectAcl !== undefined ? { acl: objectAcl } : {}) };
    }, guard ? { guardRemoved: guard } : {});
    await dropBlobs(this.ctx, [...garbageSegments(res.replaced, res.record), ...res.unusedParts.map((p) => p.blobId)]);
    return res.record;
  }

  /**
   * The base64 MD5 of the body the chosen parts make (decrypted if encrypted), and which part blobs it read.
   * Hashed on a worker thread as uploads are (a body of up to 48.8 TiB was hashed on the event loop), and given
   * up as soon as the client has left: nothing is committed then, and the upload stays as it was.
   */
  private async wholeBodyMd5(upload: UploadRecord, listed: CompletePart[] | 'all', clientGone?: () => boolean): Promise<{ md5: string; blobIds: string[] }> {
    const parts: PartRecord[] = [];
    for (let after = 0; ;) {
      const page = await this.ctx.meta.listParts(upload.uploadId, { after, limit: 1000 });
      parts.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.partNumber;
    }
    const chosen = chooseParts(parts, listed);
    const job = new HashJob();
    const body = this.objects.openRead(assemble(upload, chosen, 0), null, 'parts');
    let md5: Buffer | null = null;
    try {
      for await (const _block of blocksOf(body as AsyncIterable<Buffer>, job)) {
        if (clientGone?.() === true) throw new AppError('RequestTimeout', 'The client closed the connection before the upload was completed; it was not completed.');
      }
      md5 = (await job.finish()).md5;
    } catch (err) {
      // A part's blob gone while it was read: the part was uploaded again (its old blob dropped) or the upload
      // aborted meanwhile. Either is the client's doing, answered as the commit would answer it (it was a 500).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.getUpload(upload.bucket, upload.key, upload.uploadId);
      throw new AppError('InvalidPart', 'A part was uploaded again while the upload was being completed.');
    } finally {
      if (md5 === null) {
        body.destroy();
        await job.abandon();
      }
    }
    return { md5: md5.toString('base64'), blobIds: chosen.map((p) => p.blobId) };
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.getUpload(bucket, key, uploadId);
    const parts = await this.ctx.meta.abortUpload(uploadId);
    if (!parts) throw new AppError('NoSuchUpload', undefined, { UploadId: uploadId });
    await dropBlobs(this.ctx, parts.map((p) => p.blobId));
    this.ctx.admission?.freed();
  }

  async listParts(bucket: string, key: string, uploadId: string, q: { after: number; maxParts: number }): Promise<{ upload: UploadRecord; parts: PartRecord[]; truncated: boolean }> {
    const upload = await this.getUpload(bucket, key, uploadId);
    const rows = await this.ctx.meta.listParts(uploadId, { after: q.after, limit: q.maxParts + 1 });
    return { upload, parts: rows.slice(0, q.maxParts), truncated: rows.length > q.maxParts };
  }

  async listUploads(bucket: string, q: ListUploadsInput): Promise<ListUploadsOutput> {
    await requireBucket(this.ctx, bucket);
    const page = await rollUp<UploadRecord, { keyMarker: string; uploadIdMarker: string }>({
      prefix: q.prefix,
      delimiter: q.delimiter,
      marker: q.keyMarker,
      limit: q.maxUploads,
      start: { keyMarker: q.keyMarker, uploadIdMarker: q.uploadIdMarker },
      fetch: (cursor, limit) => this.ctx.meta.listUploads(bucket, { prefix: q.prefix, ...cursor, limit }),
      keyOf: (u) => u.key,
      after: (u) => ({ keyMarker: u.key, uploadIdMarker: u.uploadId }),
    });
    const tail = page.last;
    return {
      uploads: page.items,
      commonPrefixes: page.prefixes,
      truncated: page.truncated,
      nextKeyMarker: tail === undefined ? '' : tail.kind === 'item' ? tail.item.key : tail.prefix,
      nextUploadIdMarker: tail?.kind === 'item' ? tail.item.uploadId : '',
    };
  }

}

/** The parts CompleteMultipartUpload names (all, in order, for a complete without a body), checked as OSS checks them. */
function chooseParts(parts: PartRecord[], listed: CompletePart[] | 'all'): PartRecord[] {
  const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
  let chosen: PartRecord[];
  if (listed === 'all') {
    chosen = parts;
  } else {
    chosen = [];
    let prev = 0;
    for (const lp of listed) {
      assertPartNumber(lp.partNumber);
      if (lp.partNumber <= prev) throw new AppError('InvalidPartOrder');
      prev = lp.partNumber;
      const part = byNumber.get(lp.partNumber);
      if (!part || part.etag !== stripQuotes(lp.etag)) {
        throw new AppError('InvalidPart', undefined, { PartNumber: String(lp.partNumber), ETag: lp.etag });
      }
      chosen.push(part);
    }
  }
  // An upload to which no part was uploaded completes, with an empty list, as an empty object: the Ruby SDK's
  // resumable_upload of an empty file sends `<CompleteMultipartUpload/>` (it divides 0 bytes into no parts), and
  // its tests/test_content_type.rb expects the object [UNVERIFIED: what OSS answers an empty list when parts exist].
  if (chosen.length === 0 && parts.length > 0) throw new AppError('InvalidPart', 'You must specify at least one part.');
  for (let i = 0; i < chosen.length - 1; i++) {
    if (chosen[i]!.size < LIMITS.minPartSize) {
      throw new AppError('EntityTooSmall', undefined, { PartNumber: String(chosen[i]!.partNumber), ProposedSize: String(chosen[i]!.size), MinSizeAllowed: String(LIMITS.minPartSize) });
    }
  }
  return chosen;
}

/** The object an upload's chosen parts make (its ETag, CRC-64 and segments); Content-MD5 none. */
function assemble(upload: UploadRecord, chosen: PartRecord[], lastModified: number): ObjectRecord {
  // OSS: the MD5 of the parts' ETags as upper-case hex text, concatenated (not of their binary MD5s, as S3).
  const md5s = createHash('md5');
  let crc = 0n;
  let size = 0;
  for (const p of chosen) {
    md5s.update(p.etag.toUpperCase(), 'latin1');
    crc = size === 0 ? BigInt(p.crc64) : crc64Combine(crc, BigInt(p.crc64), p.size);
    size += p.size;
  }
  // `sequential` belongs to the upload, not to the object it makes.
  const { sequential: _sequential, ...attrs } = upload.attrs ?? {};
  return {
    bucket: upload.bucket,
    key: upload.key,
    size,
    etag: `${md5s.digest('hex').toUpperCase()}-${chosen.length}`,
    crc64: crc.toString(10),
    contentMd5: null,
    type: 'Multipart',
    storageClass: upload.storageClass,
    acl: upload.acl,
    lastModified,
    headers: upload.headers,
    userMeta: upload.userMeta,
    tags: upload.tags,
    segments: chosen.filter((p) => p.size > 0).map((p) => ({ blobId: p.blobId, size: p.size })),
    inline: null,
    symlinkTarget: null,
    ...(Object.keys(attrs).length > 0 ? { attrs } : {}),
  };
}
