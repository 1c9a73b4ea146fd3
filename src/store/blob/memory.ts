import { Readable } from 'node:stream';
import { newBlobId } from '../../util/ids.js';
import { relocating, vanishedError } from './relocating.js';
import type { AgeFilter, BlobRange, BlobStore, BlobWriteResult, ReadRangesOptions } from './types.js';

/** Blobs in process memory, for `--in-memory` (CI, throwaway emulators). */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly written = new Map<string, number>();

  async put(source: AsyncIterable<Buffer>): Promise<BlobWriteResult> {
    const chunks: Buffer[] = [];
    // Copies: the source may reuse a chunk's memory once the next is pulled.
    for await (const chunk of source) chunks.push(Buffer.from(chunk));
    const buf = Buffer.concat(chunks);
    const blobId = newBlobId();
    this.blobs.set(blobId, buf);
    this.written.set(blobId, Date.now());
    return { blobId, size: buf.length };
  }

  read(blobId: string, start: number, end: number): Readable {
    return this.readRanges([{ blobId, start, end }]);
  }

  readRanges(ranges: readonly BlobRange[], opts: ReadRangesOptions = {}): Readable {
    const blobs = this.blobs;
    /** The range's bytes in blob `blobId`: its own, or the one `relocate` names when its own is gone (relocating). */
    const bytesIn = async function* (r: BlobRange, blobId: string): AsyncGenerator<Buffer> {
      const buf = blobs.get(blobId);
      // ENOENT, as the filesystem store's read of a removed blob fails (callers tell a blob gone by it).
      if (!buf) throw Object.assign(new Error(`blob ${blobId} is missing`), { code: 'ENOENT' });
      if (buf.length < r.end) throw new Error(`blob ${blobId} ends at byte ${buf.length}, before the range it was read for`);
      if (r.end > r.start) yield buf.subarray(r.start, r.end);
    };
    return Readable.from((async function* (): AsyncGenerator<Buffer> {
      for (const r of ranges) {
        try {
          yield* relocating(r.blobId, r.relocate, (blobId) => bytesIn(r, blobId));
        } catch (err) {
          throw err instanceof Error ? await vanishedError(err, opts.vanished) : err;
        }
      }
    })(), { objectMode: false });
  }

  async delete(blobIds: Iterable<string>): Promise<void> {
    for (const id of blobIds) {
      this.blobs.delete(id);
      this.written.delete(id);
    }
  }

  async *list(opts: AgeFilter = {}): AsyncIterable<string> {
    const cutoff = opts.modifiedBefore;
    yield* [...this.blobs.keys()].filter((id) => cutoff === undefined || this.written.get(id)! < cutoff);
  }

  async cleanTemp(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.blobs.clear();
    this.written.clear();
  }
}
