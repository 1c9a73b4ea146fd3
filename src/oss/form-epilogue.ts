import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A multipart body ends at its close delimiter (`CRLF--boundary--`); whatever follows is an epilogue, to be
 * ignored (RFC 2046 §5.1.1). busboy 1.6 keeps parsing the rest of the chunk in which it met the close delimiter:
 * a part found there is announced (a `file` event) but never ended, and busboy then never closes. A PostObject
 * whose body repeated its form after the close delimiter (a fuzzed request) so stored its object and never
 * answered, and a form whose `file` part came only after the close delimiter uploaded a stream that never ends.
 * This stream passes the body up to and including the close delimiter and ends there; the epilogue is read
 * and dropped, so the request is still consumed to its end.
 */
export class EpilogueCutter extends Transform {
  private readonly delimiter: Buffer;
  /** The last bytes seen (up to the delimiter's length - 1): a delimiter split between two chunks. */
  private tail: Buffer;
  private cut = false;

  constructor(boundary: string) {
    super();
    this.delimiter = Buffer.from(`\r\n--${boundary}--`, 'latin1');
    // busboy reads the body as if a CRLF came first, so that a body may begin with its first delimiter.
    this.tail = Buffer.from('\r\n');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.cut) return done();
    const d = this.delimiter;
    // Only a delimiter starting in the tail needs the two joined: a short copy, not the whole chunk.
    const head = Buffer.concat([this.tail, chunk.subarray(0, d.length - 1)]);
    let end = head.indexOf(d);
    if (end >= 0) end = end + d.length - this.tail.length;
    else {
      const at = chunk.indexOf(d);
      if (at >= 0) end = at + d.length;
    }
    if (end >= 0) {
      this.cut = true;
      this.push(chunk.subarray(0, end));
      this.push(null);
      return done();
    }
    this.tail = chunk.length >= d.length - 1 ? Buffer.from(chunk.subarray(chunk.length - (d.length - 1))) : Buffer.concat([this.tail, chunk]).subarray(-(d.length - 1));
    done(null, chunk);
  }
}

type ParseContentType = (value: string) => { params?: Record<string, string> } | undefined;
const busboyUtils = createRequire(import.meta.url)('busboy/lib/utils.js') as { parseContentType: ParseContentType };

/** The boundary of a multipart Content-Type, read by busboy's own parser (so both agree on it), or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const boundary = busboyUtils.parseContentType(contentType)?.params?.boundary;
  return typeof boundary === 'string' && boundary !== '' ? boundary : null;
}
