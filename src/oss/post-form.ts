import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { AppError, invalidArgument } from '../errors.js';
import { clientOf, HeldBytes, PRE_AUTH_SHARE } from '../http/held-bytes.js';
import { EpilogueCutter, multipartBoundary } from './form-epilogue.js';

/**
 * Reads a PostObject form (spec oss-protocol §9) as it streams: the fields before the `file` part are
 * collected, then reading stops at the file, whose bytes are left in the request for whoever consumes
 * `file.stream` (after authentication and authorization). Fields after the file are ignored.
 */

/**
 * Fields before the file: names ≤ 8 KiB, names and values ≤ 2 MiB in all (spec §9). At most 1,000 fields
 * (an Alunite limit): 2 MiB of tiny distinct fields would otherwise be ~500,000 map entries, ~100 MB of
 * heap for one request.
 */
export const FORM_LIMITS = { nameBytes: 8 * 1024, totalBytes: 2 * 1024 * 1024, fields: 1000 };

/**
 * Bounds across requests. A form is read up to its file before anything authenticates it, so anonymous
 * clients each sending 2 MiB of fields and then going silent once filled the heap (~2,500 of them ended the
 * process). `held`: the bytes of forms that the whole process holds (a form keeps its share until its
 * request is over); a form that would go beyond is answered 503 ServiceUnavailable. `fieldsMs`: the time a
 * form has to reach its file part (a browser sends its few fields at once), else 400 RequestTimeout. One client
 * (its address) holds at most PRE_AUTH_SHARE of `held`, so its stalled forms cannot have everyone else's refused.
 */
export const FORM_BOUNDS = { held: new HeldBytes(64 * 1024 * 1024, PRE_AUTH_SHARE), fieldsMs: 60_000 };

/** Requests whose form was read from (wholly or in part): see formWasRead. */
const formRequests = new WeakSet<IncomingMessage>();

/**
 * Whether a form was read from this request. Its answer then closes the connection rather than draining an
 * unread rest: a refused form whose client trickles the rest would otherwise keep its request, and its share
 * of FORM_BOUNDS.held, alive for as long as it likes (the idle timeout restarts with every byte).
 */
export function formWasRead(req: IncomingMessage): boolean {
  return formRequests.has(req);
}

export interface PostFile {
  stream: Readable;
  /** The part's filename (no directories), "" when the part had none. */
  filename: string;
  /** The part's Content-Type (RFC 7578: text/plain when the part has none); undefined for a text `file` field. */
  contentType: string | undefined;
}

export interface PostForm {
  /** Fields before the file by lower-cased name (form field names are case-insensitive). */
  fields: Map<string, string>;
  file: PostFile;
  /** Settles once the whole body has been parsed (or failed): answer only then, so the connection stays usable. */
  finished: Promise<void>;
}

const malformed = (detail?: string): AppError =>
  new AppError('MalformedPOSTRequest', detail === undefined ? undefined : `The body of your POST request is not well-formed multipart/form-data: ${detail}.`);

export function readPostForm(req: IncomingMessage): Promise<PostForm> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { fieldSize: FORM_LIMITS.totalBytes + 1 },
    });
  } catch (err) {
    return Promise.reject(malformed(err instanceof Error ? err.message.replace(/\.$/, '') : undefined));
  }
  // busboy accepted the Content-Type, so it has a boundary; the body reaches busboy only up to its close delimiter.
  const boundary = multipartBoundary(req.headers['content-type']);
  const body = boundary === null ? null : new EpilogueCutter(boundary);
  // The form is over when busboy is, and the request is read to its end (its epilogue is still to be drained
  // once busboy has all it needs).
  const requestOver = new Promise<void>((done) => {
    if (req.complete || req.destroyed) return done();
    req.once('end', done).once('close', done);
  });
  const finished = Promise.all([new Promise<void>((done) => bb.once('close', done)), requestOver]).then(() => undefined);
  return new Promise<PostForm>((resolve, reject) => {
    const fields = new Map<string, string>();
    let total = 0;
    let settled = false;
    // This request's share of FORM_BOUNDS.held: what it sent before its file, given back when it is over.
    let held = 0;
    const client = clientOf(req.socket?.remoteAddress);
    const count = (chunk: Buffer): void => {
      if (settled) return;
      if (!FORM_BOUNDS.held.take(chunk.length, client)) {
        stop(new AppError('ServiceUnavailable', 'The server holds as many POST forms not yet authenticated as it allows; retry later.'));
        return;
      }
      held += chunk.length;
    };
    // Given back when the form is refused, or its request is over: 'close' of the request, or of its socket
    // when the answer was given before the body was read (the request then never ends by itself).
    const release = (): void => {
      FORM_BOUNDS.held.give(held, client);
      held = 0;
      req.socket?.off('close', release);
    };
    req.socket?.once('close', release);
    const timer = setTimeout(() => {
      stop(new AppError('RequestTimeout', `The form did not reach its file part within ${FORM_BOUNDS.fieldsMs / 1000} s.`));
    }, FORM_BOUNDS.fieldsMs);
    timer.unref();
    // The form has its file, or failed: no more deadline, no more counting.
    const settle = (): void => {
      settled = true;
      clearTimeout(timer);
      req.off('data', count);
    };
    const fail = (err: AppError): void => {
      release();
      if (settled) return;
      settle();
      reject(err);
    };
    // Refused before the file: nothing more of the body is parsed (the listener answers, then closes the connection).
    const stop = (err: AppError): void => {
      fail(err);
      if (body === null) req.unpipe(bb);
      else {
        req.unpipe(body);
        body.unpipe(bb);
      }
      bb.destroy();
    };
    const take = (name: string, size: number): string | null => {
      total += Buffer.byteLength(name) + size;
      if (Buffer.byteLength(name) > FORM_LIMITS.nameBytes) {
        fail(invalidArgument(`A form field name is longer than ${FORM_LIMITS.nameBytes} bytes.`, 'FormField', name.slice(0, 64)));
        return null;
      }
      if (total > FORM_LIMITS.totalBytes) {
        fail(invalidArgument(`The form fields before the file exceed ${FORM_LIMITS.totalBytes} bytes in all.`, 'FormField', name.slice(0, 64)));
        return null;
      }
      if (fields.size >= FORM_LIMITS.fields) {
        fail(invalidArgument(`The form has more than ${FORM_LIMITS.fields} fields before the file.`, 'FormField', name.slice(0, 64)));
        return null;
      }
      const lower = name.toLowerCase();
      if (fields.has(lower)) {
        fail(invalidArgument(`The form field "${name}" is given more than once.`, name));
        return null;
      }
      return lower;
    };

    // busboy calls these from inside req's 'data' events: anything thrown here would escape every
    // request's error boundary and end the process, so each handler turns exceptions into `fail`.
    const guarded = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        fail(err instanceof AppError ? err : malformed(err instanceof Error ? err.message : undefined));
      }
    };
    const nameless = (): AppError => malformed('a part has no name (Content-Disposition: form-data; name="…" is required)');

    bb.on('field', guarded((name: string | undefined, value: string, info: busboy.FieldInfo) => {
      if (settled) return;
      if (typeof name !== 'string' || name === '') {
        fail(nameless());
        return;
      }
      if (info.valueTruncated) {
        fail(invalidArgument(`The form fields before the file exceed ${FORM_LIMITS.totalBytes} bytes in all.`, 'FormField', name.slice(0, 64)));
        return;
      }
      // A `file` part without a filename is the upload's content all the same (curl -F file=text).
      if (name.toLowerCase() === 'file') {
        settle();
        resolve({ fields, file: { stream: Readable.from([Buffer.from(value, 'utf8')]), filename: '', contentType: undefined }, finished });
        return;
      }
      const lower = take(name, Buffer.byteLength(value));
      if (lower !== null) fields.set(lower, value);
    }));

    bb.on('file', guarded((name: string | undefined, stream: Readable, info: busboy.FileInfo) => {
      // The file may never be read (the request is refused before its handler runs) and then fail when
      // the connection closes; an 'error' without a listener would end the process. Readers still see it.
      stream.on('error', () => undefined);
      if (settled) {
        stream.resume();
        return;
      }
      if (typeof name !== 'string' || name === '') {
        stream.resume();
        fail(nameless());
        return;
      }
      if (name.toLowerCase() !== 'file') {
        stream.resume();
        fail(new AppError('IncorrectNumberOfFilesInPOSTRequest', `POST requires exactly one file upload per request, in the form field "file"; "${name}" is a file too.`));
        return;
      }
      settle();
      resolve({ fields, file: { stream, filename: info.filename ?? '', contentType: info.mimeType }, finished });
    }));

    bb.on('error', (err: unknown) => {
      fail(err instanceof AppError ? err : malformed(err instanceof Error ? err.message : undefined));
      // busboy reports a malformed part header with an 'error' event alone, not destroyed, and the pipe into it
      // stops there: it would never close, the request never end, and a form whose file was already stored would
      // never be answered. Ended here; the rest of the request is read and dropped (parts after the file are
      // ignored, as ever).
      const source = body ?? req;
      source.unpipe(bb);
      if (!bb.destroyed) bb.destroy();
      if (!req.destroyed) source.resume();
    });
    bb.on('close', () => fail(new AppError('IncorrectNumberOfFilesInPOSTRequest', 'POST requires exactly one file upload per request; the form has no field named "file".')));
    // A client that goes away mid-form: whoever reads the file sees the error, nothing is stored.
    req.on('close', () => {
      release();
      if (!req.complete) bb.destroy(new AppError('IncompleteBody'));
    });
    // Counted before busboy parses the chunk: a chunk beyond the bound is never parsed.
    formRequests.add(req);
    req.on('data', count);
    if (body === null) req.pipe(bb);
    else req.pipe(body).pipe(bb);
  });
}
