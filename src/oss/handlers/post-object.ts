import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError, isAppError } from '../../errors.js';
import { uriEncode } from '../../util/uri-encode.js';
import type { Handler } from '../context.js';
import { overwriteForbidden } from '../overwrite.js';
import { objectPropsFrom, quoted, sseResponseHeaders } from '../headers.js';
import { sseOf } from '../../domain/encryption.js';
import type { Operation } from '../operations.js';
import { writtenOf } from '../callback.js';
import type { LengthRange } from '../post-policy.js';
import { el } from '../xml.js';
import { empty, xmlResponse } from './common.js';
import { objectUrl } from '../address.js';
import { versionIdHeader } from '../../domain/versioning.js';

/**
 * PostObject (spec oss-protocol §9), after the form is authenticated and authorized: the file part
 * streams into the same ingest path as PutObject; the answer follows success_action_redirect or
 * success_action_status.
 */

/** Counts the file's bytes against the policy's content-length-range; a violation fails the stream, so nothing is stored. */
class LengthLimit extends Transform {
  private size = 0;

  constructor(private readonly range: LengthRange | null) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.range !== null && this.size > this.range.max) {
      return cb(new AppError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of the policy's content-length-range (${this.range.max} bytes).`, { MaxSizeAllowed: String(this.range.max) }, '0006-00000003'));
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.range !== null && this.size < this.range.min) {
      return cb(new AppError('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed size of the policy's content-length-range (${this.range.min} bytes).`, { MinSizeAllowed: String(this.range.min), ProposedSize: String(this.size) }, '0006-00000004'));
    }
    cb();
  }
}

function limited(file: Readable, range: LengthRange | null): Readable {
  const limit = new LengthLimit(range);
  // The store may refuse the upload before it reads a byte (user metadata over its limit, …): the limit's
  // error (its range exceeded, or the request cut short) then has no reader, and an 'error' without a
  // listener would end the process. A reader still sees it.
  limit.on('error', () => undefined);
  // finished() rather than an 'error' listener: the file may have failed before this runs (a form that ends right
  // after its file part's head: busboy fails the part as it announces it, while the form is being authenticated),
  // and a listener added now would wait for an event already past; the upload then never ended.
  finished(file, (err) => {
    if (err) limit.destroy(isAppError(err) ? err : new AppError('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data: ${err.message}.`));
  });
  return file.pipe(limit);
}

/** An absolute http(s) URL, or null (an unusable success_action_redirect is ignored, as if absent). */
function redirectUrl(value: string | undefined): URL | null {
  if (value === undefined || value === '') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

export const postObject: Handler<Extract<Operation, { name: 'PostObject' }>> = async (req) => {
  const upload = req.op.params.upload;
  if (upload === null) throw new AppError('InternalError');
  const bucket = req.op.bucket!;
  const { key, fields, headers } = upload;
  const obj = await req.services.objects.put({
    bucket,
    key,
    ...objectPropsFrom(headers),
    body: limited(upload.file.stream, upload.lengthRange),
    expect: {},
    forbidOverwrite: await overwriteForbidden(req, bucket, key, headers),
  });
  // The object is stored; the rest of the body (closing boundary, fields after the file) is read before answering.
  await upload.finished;
  const etag = quoted(obj.etag);
  const common: Record<string, string> = { ETag: etag, 'Content-MD5': obj.contentMd5 ?? '', 'x-oss-hash-crc64ecma': obj.crc64, ...sseResponseHeaders(sseOf(obj)) };
  const versionId = versionIdHeader(await req.services.buckets.get(bucket), obj);
  if (versionId !== undefined) common['x-oss-version-id'] = versionId;
  // With a callback, its answer replaces the one chosen below (oss/callback.ts).
  const written = writtenOf(obj);

  const redirect = redirectUrl(fields.get('success_action_redirect'));
  if (redirect !== null) {
    // [UNVERIFIED] query names: bucket, key, etag (quoted), as S3 appends them.
    redirect.searchParams.append('bucket', bucket);
    redirect.searchParams.append('key', key);
    redirect.searchParams.append('etag', etag);
    return { ...empty(303, { ...common, Location: redirect.toString() }), written };
  }
  switch (fields.get('success_action_status')) {
    case '200':
      return { ...empty(200, common), written };
    case '201':
      return { ...xmlResponse(
        el('PostResponse', [
          el('Bucket', bucket),
          el('Location', objectUrl(req.endpoint, bucket, uriEncode(key, true))),
          el('Key', key),
          el('ETag', etag),
        ]),
        201,
        common,
      ), written };
    default:
      return { ...empty(204, common), written };
  }
};
