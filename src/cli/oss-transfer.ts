import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../util/crc64.js';
import { checkpointPath, loadCheckpoint, removeCheckpoint, saveCheckpointSync, type UploadCheckpoint } from './checkpoint.js';
import { explainBodiless, type AliCheckpoint, type ListedPart, type OssClient } from './oss-client.js';
import type { Command } from 'commander';
import { advancing, CliError, parsePositiveInt, parseSize } from './output.js';
import type { ProgressSink } from './progress.js';

// The byte-moving half of `alunite oss cp`: one file up (single PUT or resumable multipart), one object
// down (temp file, CRC-64 check, rename), one object across (server-side copy).

export interface UploadOptions {
  threshold: number;
  partSize: number;
  parallel: number;
  contentType?: string;
  checkpointDir: string;
  endpoint: string;
  progress: ProgressSink;
  /** Called with a one-line notice (resume, restart) for stderr. */
  notice: (line: string) => void;
}

export interface TransferResult {
  source: string;
  destination: string;
  size: number;
  etag?: string;
  crc64?: string;
  multipart?: { uploadId: string; parts: number; partSize: number; skippedParts: number };
}

/** A pass-through that counts bytes into the progress sink and computes CRC-64 on the way. */
function meter(progress: ProgressSink, crc: Crc64): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc.update(chunk);
      progress.add(chunk.length);
      cb(null, chunk);
    },
  });
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/"/g, '').toUpperCase();

/** How long a download may receive nothing before it fails (`--read-timeout`, seconds). */
export const DEFAULT_READ_TIMEOUT_S = 120;

/**
 * A download's bytes on their way: counted, CRC-64'd and reported to `progress`; `verify` then holds them to the
 * length and CRC the server announced (IncompleteBody, CrcMismatch) and returns the CRC. For files and stdout alike.
 * A body that stops coming for `readTimeoutS` fails with ReadTimeout: ali-oss's own timeout covers the wait for
 * the answer's headers, not a body that stalls after them (a server sending nothing more would hold the
 * command forever).
 */
export class CheckedDownload extends Transform {
  size = 0;
  private readonly crc = new Crc64();
  private timer: NodeJS.Timeout | undefined;
  private body: Readable | undefined;

  constructor(private readonly progress?: ProgressSink, private readonly readTimeoutS = DEFAULT_READ_TIMEOUT_S, private readonly source = 'the download') {
    super();
    this.arm();
  }

  /** The response body piped in: while it is paused because what follows is slow (a pager, a disk), no time counts. */
  watching(body: NodeJS.ReadableStream): this {
    // ali-oss hands out a node Readable (urllib's response) typed as the NodeJS interface.
    this.body = body as Readable;
    return this;
  }

  private arm(): void {
    clearTimeout(this.timer);
    // setTimeout takes at most 2^31-1 ms (~24.8 days): a longer --read-timeout would otherwise fire at once.
    this.timer = setTimeout(() => {
      if (this.body?.readableFlowing === false) return this.arm();
      this.destroy(new CliError('ReadTimeout', `${this.source}: nothing received for ${this.readTimeoutS} s after ${this.size} bytes (--read-timeout)`));
    }, Math.min(this.readTimeoutS * 1000, 2 ** 31 - 1));
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.arm();
    this.size += chunk.length;
    this.crc.update(chunk);
    this.progress?.add(chunk.length);
    cb(null, chunk);
  }

  override _flush(cb: (err?: Error | null) => void): void {
    clearTimeout(this.timer);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.timer);
    cb(err);
  }

  verify(source: string, headers: Record<string, string | undefined>): string {
    const expected = headers['content-length'];
    if (expected !== undefined && Number(expected) !== this.size) {
      throw new CliError('IncompleteBody', `${source}: received ${this.size} of ${expected} bytes`, headers['x-oss-request-id']);
    }
    const local = this.crc.digestDecimal();
    checkCrc(source, headers['x-oss-hash-crc64ecma'], local, headers['x-oss-request-id']);
    return local;
  }
}

function checkCrc(what: string, expected: string | undefined, actual: string, requestId?: string): void {
  if (expected !== undefined && expected !== '' && expected !== actual) {
    throw new CliError('CrcMismatch', `${what}: CRC-64 of the local bytes is ${actual}, the server reports ${expected}`, requestId);
  }
}

async function fileCrc(file: string): Promise<string> {
  const crc = new Crc64();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) crc.update(chunk as Buffer);
  return crc.digestDecimal();
}

export async function uploadFile(client: OssClient, file: string, bucket: string, key: string, o: UploadOptions): Promise<TransferResult> {
  const st = await stat(file);
  if (!st.isFile()) throw new CliError('InvalidArgument', `${file} is not a regular file`);
  const base: TransferResult = { source: file, destination: `oss://${bucket}/${key}`, size: st.size };
  client.useBucket(bucket);
  if (st.size < o.threshold) {
    const crc = new Crc64();
    const body = createReadStream(file).pipe(meter(o.progress, crc));
    const res = await client.putStream(key, body, { contentLength: st.size, ...(o.contentType !== undefined ? { mime: o.contentType } : {}) });
    const local = crc.digestDecimal();
    checkCrc(base.destination, res.res.headers['x-oss-hash-crc64ecma'], local, res.res.headers['x-oss-request-id']);
    return { ...base, etag: unquote(res.res.headers.etag), crc64: local };
  }
  return multipartUpload(client, file, st.size, st.mtimeMs, bucket, key, base, o);
}

function partSizeOf(n: number, partSize: number, fileSize: number): number {
  return Math.min(partSize, fileSize - (n - 1) * partSize);
}

/** Every part the server holds for an upload, or null when the upload no longer exists. */
async function listAllParts(client: OssClient, key: string, uploadId: string): Promise<Map<number, ListedPart> | null> {
  const out = new Map<number, ListedPart>();
  let marker: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    let page;
    try {
      page = await client.listParts(key, uploadId, { 'max-parts': 1000, ...(marker !== undefined ? { 'part-number-marker': marker } : {}) });
    } catch (err) {
      if ((err as { code?: string }).code === 'NoSuchUpload') return null;
      throw err;
    }
    const parts = page.parts === null ? [] : Array.isArray(page.parts) ? page.parts : [page.parts];
    for (const p of parts) out.set(Number(p.PartNumber), p);
    if (!(page.isTruncated === true || page.isTruncated === 'true') || !page.nextPartNumberMarker) return out;
    marker = advancing(seen, String(page.nextPartNumberMarker), 'part listing (part-number marker)');
  }
}

/**
 * A checkpoint is reused only if the file is unchanged (size, mtime) and the server still has the
 * upload; of its parts, only those the server lists with the same ETag and size are skipped.
 */
async function resumable(client: OssClient, cp: UploadCheckpoint, size: number, mtimeMs: number, o: UploadOptions): Promise<UploadCheckpoint | null> {
  if (cp.fileSize !== size || cp.mtimeMs !== mtimeMs) {
    o.notice(`${cp.file} changed since the interrupted upload; starting over`);
    await client.abortMultipartUpload(cp.key, cp.uploadId).catch(() => undefined);
    return null;
  }
  const listed = await listAllParts(client, cp.key, cp.uploadId);
  if (listed === null) {
    o.notice(`the interrupted upload ${cp.uploadId} no longer exists on the server; starting over`);
    return null;
  }
  const doneParts = cp.doneParts.filter((p) => {
    const s = listed.get(p.number);
    return s !== undefined && unquote(s.ETag) === unquote(p.etag) && Number(s.Size) === partSizeOf(p.number, cp.partSize, size);
  });
  return { ...cp, doneParts };
}

async function multipartUpload(
  client: OssClient, file: string, size: number, mtimeMs: number, bucket: string, key: string, base: TransferResult, o: UploadOptions,
): Promise<TransferResult> {
  const abs = resolve(file);
  const cpPath = checkpointPath(o.checkpointDir, o.endpoint, bucket, key, abs);
  const saved = await loadCheckpoint(cpPath);
  const resumed = saved ? await resumable(client, saved, size, mtimeMs, o) : null;
  if (saved && !resumed) await removeCheckpoint(cpPath);

  let uploadId = resumed?.uploadId ?? '';
  const partSize = resumed?.partSize ?? o.partSize;
  const totalParts = Math.ceil(size / partSize);
  const skippedParts = resumed?.doneParts.length ?? 0;
  if (resumed) {
    const note = partSize !== o.partSize ? ` (part size ${partSize} from the checkpoint)` : '';
    o.notice(`resuming upload ${resumed.uploadId} of ${base.destination}: skipping ${skippedParts} of ${totalParts} parts already uploaded${note}`);
    o.progress.setDone(resumed.doneParts.reduce((n, p) => n + partSizeOf(p.number, partSize, size), 0), false);
  }

  const onProgress = (_f: number, cp?: AliCheckpoint): void => {
    if (!cp) return;
    uploadId = cp.uploadId;
    const state: UploadCheckpoint = {
      version: 1, endpoint: o.endpoint, bucket, key, file: abs, fileSize: size, mtimeMs,
      partSize: cp.partSize, uploadId: cp.uploadId, doneParts: cp.doneParts.map((p) => ({ number: p.number, etag: p.etag })),
    };
    saveCheckpointSync(cpPath, state);
    o.progress.setDone(cp.doneParts.reduce((n, p) => n + partSizeOf(p.number, cp.partSize, size), 0));
  };

  // Ctrl-C: the checkpoint already holds every finished part; say how to continue.
  const onSigint = (): void => {
    o.notice(`\ninterrupted: run the same command again to resume ${base.destination} (checkpoint ${cpPath})`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await client.multipartUpload(key, abs, {
      parallel: o.parallel,
      partSize,
      ...(o.contentType !== undefined ? { mime: o.contentType } : {}),
      ...(resumed ? { checkpoint: { file: abs, name: key, fileSize: size, partSize, uploadId: resumed.uploadId, doneParts: [...resumed.doneParts] } } : {}),
      progress: onProgress,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  await removeCheckpoint(cpPath);
  const headers = result.res.headers;
  const local = await fileCrc(abs);
  checkCrc(base.destination, headers['x-oss-hash-crc64ecma'], local, headers['x-oss-request-id']);
  return {
    ...base,
    etag: unquote(result.etag ?? headers.etag),
    crc64: local,
    multipart: { uploadId, parts: totalParts, partSize, skippedParts },
  };
}

/**
 * Refuses a directory that resolves outside `root` through a symbolic link already there (`root/sub/link` →
 * `/elsewhere`): a key is checked as text against the root, but mkdir and the file's creation follow links.
 * Checked on the nearest existing ancestor before anything is created, and on the directory after.
 */
async function assertInside(root: string, dir: string, key: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  let probe = dir;
  for (;;) {
    try {
      const real = await realpath(probe);
      if (real !== realRoot && !real.startsWith(realRoot + sep)) {
        throw new CliError('UnsafeKey', `${key}: ${dir} leads outside ${root} through a symbolic link; not written`);
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || probe === dirname(probe)) throw err;
      probe = dirname(probe);
    }
  }
}

/**
 * Temporary files of downloads in progress: removed if the command is interrupted (Ctrl-C, SIGTERM), as they are
 * when a download fails. A partial file is never left under a name that looks like a download.
 */
const partial = new Set<string>();
let cleanupArmed = false;

function armCleanup(): void {
  if (cleanupArmed) return;
  cleanupArmed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      for (const f of partial) rmSync(f, { force: true });
      process.exit(code);
    });
  }
}

/**
 * A download to `dest`; with `within` (a recursive copy or sync), `dest`'s directory must resolve inside it. The
 * bytes go to a short hidden temporary name in the same directory (`.alunite-<random>.tmp`: a name of 255 bytes
 * still fits), renamed into place once verified.
 */
export async function downloadObject(
  client: OssClient, bucket: string, key: string, dest: string, progress: ProgressSink, within?: string, readTimeoutS = DEFAULT_READ_TIMEOUT_S,
): Promise<TransferResult> {
  if (within !== undefined) await assertInside(within, dirname(resolve(dest)), key);
  client.useBucket(bucket);
  const got = await client.getStream(key).catch((e: unknown) => explainBodiless(client, bucket, key, e));
  const headers = got.res.headers;
  await mkdir(dirname(resolve(dest)), { recursive: true });
  if (within !== undefined) await assertInside(within, dirname(resolve(dest)), key);
  const tmp = join(dirname(resolve(dest)), `.alunite-${randomBytes(8).toString('hex')}.tmp`);
  const source = `oss://${bucket}/${key}`;
  const checked = new CheckedDownload(progress, readTimeoutS, source);
  armCleanup();
  partial.add(tmp);
  try {
    await pipeline(got.stream, checked.watching(got.stream), createWriteStream(tmp, { mode: 0o644, flags: 'wx' }));
    const local = checked.verify(source, headers as Record<string, string | undefined>);
    await rename(tmp, dest);
    return { source, destination: dest, size: checked.size, etag: unquote(headers.etag), crc64: local };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    partial.delete(tmp);
  }
}

export async function copyObject(client: OssClient, src: { bucket: string; key: string }, dst: { bucket: string; key: string }, size: number): Promise<TransferResult> {
  client.useBucket(dst.bucket);
  const r = await client.copy(dst.key, src.key, src.bucket);
  return {
    source: `oss://${src.bucket}/${src.key}`,
    destination: `oss://${dst.bucket}/${dst.key}`,
    size,
    ...(r.data?.etag ? { etag: unquote(r.data.etag) } : {}),
  };
}

/** What transferOptions() declares, as commander parses it. */
export interface TransferFlags {
  partSize: number;
  parallel: number;
  threshold: number;
  jobs: number;
  contentType?: string;
  progress: boolean;
  readTimeout: number;
}

/** The upload options `cp` and `sync` share (same names, defaults and meaning); `jobs` says what runs at once. */
export function transferOptions(cmd: Command, jobs: string): Command {
  return cmd
    .option('--part-size <size>', 'multipart part size (min 100K)', parseSize, 8 * 1024 * 1024)
    .option('--parallel <n>', 'parts uploaded at once', parsePositiveInt, 4)
    .option('--threshold <size>', 'files this large or larger use a resumable multipart upload', parseSize, 8 * 1024 * 1024)
    .option('--jobs <n>', jobs, parsePositiveInt, 4)
    .option('--content-type <type>', 'Content-Type of uploaded objects (default: from the file extension)')
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)')
    .option('--read-timeout <seconds>', 'a download receiving nothing for this long fails (ReadTimeout)', parsePositiveInt, DEFAULT_READ_TIMEOUT_S);
}
