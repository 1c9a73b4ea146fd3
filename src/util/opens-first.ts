import { Readable } from 'node:stream';

/**
 * A response body that can prove, before the head goes out, that its first bytes can be read: a blob file missing,
 * cut short or undecryptable is then answered as an error (500 InternalError) instead of a 200 head followed by a
 * cut connection (http/response-write.ts). `done` is not called back when the stream is destroyed meanwhile.
 */
export interface OpensFirst {
  openFirst(done: (err: Error | null) => void): void;
}

export function opensFirst(body: Readable): body is Readable & OpensFirst {
  return typeof (body as Partial<OpensFirst>).openFirst === 'function';
}

/**
 * A byte stream of `source` whose openFirst reads the first chunk ahead (and keeps it to be sent first): for a
 * source that finds its faults only by reading (an encrypted blob: the file opened, its header and first chunk
 * decrypted and authenticated). A destroy ends the source (its `finally` blocks close what it opened).
 */
export function firstReadAheadStream(source: AsyncIterable<Buffer>): Readable & OpensFirst {
  const it = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<Buffer>> | null = null;
  const stream = Readable.from(
    (async function* (): AsyncGenerator<Buffer> {
      for (let r = await (first ?? it.next()); r.done !== true; r = await it.next()) yield r.value;
    })(),
    { objectMode: false },
  ) as Readable & OpensFirst;
  stream.openFirst = (done) => {
    if (first !== null || stream.destroyed) return done(null);
    first = it.next();
    first.then(
      () => stream.destroyed || done(null),
      (err: unknown) => stream.destroyed || done(err instanceof Error ? err : new Error(String(err))),
    );
  };
  stream.once('close', () => void it.return?.()?.catch(() => undefined));
  return stream;
}
