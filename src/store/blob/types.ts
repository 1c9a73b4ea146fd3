import type { Readable } from 'node:stream';
import type { CipherSpec } from '../../util/chunk-cipher.js';

/** Selects files by their last write (epoch ms): the garbage collector's grace period. */
export interface AgeFilter {
  modifiedBefore?: number;
  /** cleanTemp: asked before each file is removed; false stops there (a collector whose lease may run out). */
  mayGoOn?: () => boolean;
}

/** Bytes [start, end) of a blob. */
export interface BlobRange {
  blobId: string;
  start: number;
  end: number;
  /**
   * Asked when the blob is found missing before any of the range's bytes were read: another blob that holds the
   * same bytes at the same offsets now (an Appendable object's last segment, replaced by an append's merge:
   * domain/append-merge.ts), or null (the read fails as it would have). Asked again if that one is gone too
   * (relocating.ts, which every reader of a range uses).
   */
  relocate?: () => Promise<string | null>;
}

export interface ReadRangesOptions {
  /**
   * Asked when a blob is found missing (after any relocation): the error the read fails with instead of ENOENT, or
   * null. The object read may have been deleted since its record was read, by a process whose unlink no hold of this
   * one defers (a shared blob directory): the read then fails as a read after the delete would (NoSuchKey).
   */
  vanished?: () => Promise<Error | null>;
}

export interface BlobWriteResult {
  blobId: string;
  size: number;
}

/**
 * Byte storage. Blobs are immutable once written and named by random ids, never by object keys.
 * `put` streams: it must not hold a whole blob in memory (the memory store excepted).
 */
export interface BlobStore {
  /**
   * Consumes `source` fully and durably; rejects (leaving nothing behind) if the source errors.
   * A chunk may be reused by the source once the next one is pulled: finish with it before, copy to keep it.
   */
  put(source: AsyncIterable<Buffer>): Promise<BlobWriteResult>;
  /**
   * Optional, for stores of files: a new temp file that the caller fills through its descriptor (from a worker
   * thread, so large bodies are written off the event loop), then commits (durably) or aborts.
   */
  create?(): Promise<BlobFile>;
  /** Streams bytes [start, end) of a blob. */
  read(blobId: string, start: number, end: number): Readable;
  /**
   * Streams ranges of blobs one after the other (an object's segments), failing if one is missing or shorter
   * than its range. A store of files returns a util/recycling-source.ts RecyclingSource.
   */
  readRanges(ranges: readonly BlobRange[], opts?: ReadRangesOptions): Readable;
  /**
   * Optional, for stores of files: a descriptor open for reading the blob (a worker thread reads it; see
   * util/sealed-reader.ts). The caller closes it. Rejects with ENOENT for a missing blob.
   */
  openRead?(blobId: string): Promise<{ fd: number; close(): Promise<void> }>;
  /**
   * Optional, for stores of files: marks blobs as being read until the function returned is called. A delete
   * meanwhile takes effect when the last read lets go (readRanges and openRead hold their blobs themselves).
   */
  hold?(blobIds: Iterable<string>): () => void;
  delete(blobIds: Iterable<string>): Promise<void>;
  /** All blob ids present (for garbage collection); with `modifiedBefore` (ms), only those last written earlier. */
  list(opts?: AgeFilter): AsyncIterable<string>;
  /** Removes temp files left by a crash (with `modifiedBefore`, only those untouched since then); returns how many. */
  cleanTemp(opts?: AgeFilter): Promise<number>;
  close(): Promise<void>;
}

/** A blob being written through a file descriptor (see BlobStore.create). */
export interface BlobFile {
  /** Written to sequentially by one writer; the store keeps it open until commit or abort. */
  readonly fd: number;
  /**
   * Set by an encrypting view of a store: the writer seals what it writes with this cipher, header first
   * (util/chunk-cipher.ts), reports the plaintext bytes to `wrote` and commits the plaintext size.
   */
  readonly seal?: { cipher: CipherSpec; header: Buffer };
  /** `bytes` more were written: the store may start flushing them to disk while the rest arrives. */
  wrote(bytes: number): void;
  /** Makes the `size` bytes written a blob: durable (with a durable store) before it resolves. */
  commit(size: number): Promise<BlobWriteResult>;
  /** Drops the file (nothing kept); returns the error to report for `cause` (a full disk becomes InsufficientStorage). */
  abort(cause: unknown): Promise<unknown>;
}
