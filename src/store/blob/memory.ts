import { Readable } from 'node:stream';
import { newBlobId } from '../../util/ids.js';
import type { BlobStore, BlobWriteResult } from './types.js';

/** Blobs in process memory, for `--in-memory` (CI, throwaway emulators). */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  async put(source: Readable): Promise<BlobWriteResult> {
    const chunks: Buffer[] = [];
    for await (const chunk of source as AsyncIterable<Buffer>) chunks.push(chunk);
    const buf = Buffer.concat(chunks);
    const blobId = newBlobId();
    this.blobs.set(blobId, buf);
    return { blobId, size: buf.length };
  }

  read(blobId: string, start: number, end: number): Readable {
    const buf = this.blobs.get(blobId);
    if (!buf) {
      const r = new Readable({ read() {} });
      process.nextTick(() => r.destroy(new Error(`blob ${blobId} is missing`)));
      return r;
    }
    return Readable.from(end > start ? [buf.subarray(start, end)] : []);
  }

  async delete(blobIds: Iterable<string>): Promise<void> {
    for (const id of blobIds) this.blobs.delete(id);
  }

  async *list(): AsyncIterable<string> {
    yield* [...this.blobs.keys()];
  }

  async cleanTemp(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.blobs.clear();
  }
}
