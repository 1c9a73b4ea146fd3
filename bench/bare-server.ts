/**
 * The storage-less reference server of `npm run bench`: a bare node:http server that answers the same
 * requests Alunite gets, without parsing, authenticating or storing anything. It tells how much of a
 * request's cost is node's HTTP stack (and, with `--mode file`, how much is writing one file per object).
 *
 *   node dist/bench/bare-server.js --port 0 [--mode null|file|file-dirsync] [--data DIR]
 *
 * - GET returns a fixed 4 KiB buffer, except for an object that a PUT in this process sent more than
 *   1 MiB for: then it streams that many bytes from memory (reference MB/s of big transfers).
 * - PUT consumes the body and answers 200; in `file` mode it writes the body to a new temp file,
 *   fsyncs it and renames it into place as `objects/<bucket>/<encoded key>` (one file per object, as a
 *   "baseline PUT"); `file-dirsync` also fsyncs the directory after the rename (what makes the rename
 *   itself durable), and after a DELETE's unlink (a durable delete: the reference for Alunite's, which
 *   answers only once its delete is on disk).
 * - HEAD answers 200 with Content-Length 4096, DELETE 204, GET on a bucket a fixed small XML listing.
 * - In the file modes ("bare-fs") the small reads and deletes use those files too: GET reads the file
 *   (404 if none), HEAD stats it, DELETE unlinks it (no fsync in `file` mode, like most file stores), and GET on a bucket
 *   lists its directory: readdir, sort, the page after `marker` (`max-keys`, `prefix`), a stat per key,
 *   and an XML listing of keys, sizes and times (the floor for LIST keys/s).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { syncDir } from '../src/store/blob/fs.js';

interface Options {
  port: number;
  mode: 'null' | 'file' | 'file-dirsync';
  data: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { port: 0, mode: 'null', data: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--mode') {
      const m = argv[++i];
      o.mode = m === 'file' || m === 'file-dirsync' ? m : 'null';
    }
    else if (a === '--data') o.data = argv[++i] ?? null;
  }
  if (o.mode !== 'null' && o.data === null) throw new Error(`--mode ${o.mode} needs --data DIR`);
  return o;
}

const SMALL = Buffer.alloc(4096, 0x61);
const CHUNK = Buffer.alloc(1024 * 1024, 0x62);
const LIST_XML = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>bench</Name><Prefix></Prefix><Marker></Marker>' +
    '<MaxKeys>1000</MaxKeys><Delimiter></Delimiter><IsTruncated>false</IsTruncated>' +
    '<Contents><Key>obj/000000</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>' +
    '<ETag>"0"</ETag><Type>Normal</Type><Size>4096</Size><StorageClass>Standard</StorageClass></Contents>' +
    '</ListBucketResult>',
  'utf8',
);

const opts = parseArgs(process.argv.slice(2));
const bigSizes = new Map<string, number>();
let seq = 0;

if (opts.mode !== 'null') {
  for (const sub of ['tmp', 'objects']) mkdirSync(join(opts.data!, sub), { recursive: true });
}

function isBucketPath(path: string): boolean {
  const p = path.startsWith('/') ? path.slice(1) : path;
  const slash = p.indexOf('/');
  return slash < 0 || slash === p.length - 1;
}

/** `/bucket/key…` → [bucket, key] (key '' for a bucket path). */
function splitPath(path: string): [string, string] {
  const p = path.startsWith('/') ? path.slice(1) : path;
  const slash = p.indexOf('/');
  return slash < 0 ? [decodeURIComponent(p), ''] : [decodeURIComponent(p.slice(0, slash)), decodeURIComponent(p.slice(slash + 1))];
}

const bucketDirs = new Set<string>();
/** The bucket's directory (created on first use). */
function bucketDir(bucket: string): string {
  const dir = join(opts.data!, 'objects', encodeURIComponent(bucket));
  if (!bucketDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    bucketDirs.add(dir);
  }
  return dir;
}

/** The file of an object: one flat directory per bucket, the key percent-encoded as the file name. */
function objectFile(path: string): string {
  const [bucket, key] = splitPath(path);
  return join(bucketDir(bucket), encodeURIComponent(key));
}

async function writeFileDurably(req: IncomingMessage, path: string): Promise<number> {
  const n = seq++;
  const name = `${process.pid}-${n}`;
  const tmp = join(opts.data!, 'tmp', name);
  const fh = await open(tmp, 'w', 0o600);
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
      size += chunk.length;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const file = objectFile(path);
  const dir = join(file, '..');
  await rename(tmp, file);
  if (opts.mode === 'file-dirsync') await syncDir(dir);
  return size;
}


/** ENOENT → null; anything else is rethrown. */
function notFound(err: unknown): null {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw err;
}

function answer404(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A ListObjects page from the bucket's directory: what a store of one file per object must do for LIST.
 * Synchronous calls: the least CPU per key (a thread-pool round trip per stat would cost more than the stat).
 */
function listDirectory(path: string, q: URLSearchParams): string {
  const [bucket] = splitPath(path);
  const dir = bucketDir(bucket);
  const marker = q.get('marker') ?? '';
  const prefix = q.get('prefix') ?? '';
  const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? '1000') || 1000);
  const keys = readdirSync(dir).map((name) => decodeURIComponent(name)).filter((k) => k > marker && k.startsWith(prefix)).sort();
  const page = keys.slice(0, maxKeys);
  const stats = page.map((k) => statSync(join(dir, encodeURIComponent(k)), { throwIfNoEntry: false }));
  const truncated = keys.length > maxKeys;
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
    `<Marker>${xmlEscape(marker)}</Marker><MaxKeys>${maxKeys}</MaxKeys><Delimiter></Delimiter><IsTruncated>${truncated}</IsTruncated>`;
  if (truncated && page.length > 0) xml += `<NextMarker>${xmlEscape(page[page.length - 1]!)}</NextMarker>`;
  for (let i = 0; i < page.length; i++) {
    const st = stats[i];
    if (!st) continue;
    xml += `<Contents><Key>${xmlEscape(page[i]!)}</Key><LastModified>${st.mtime.toISOString()}</LastModified><ETag>"${st.mtimeMs.toString(16)}-${st.size.toString(16)}"</ETag>` +
      `<Type>Normal</Type><Size>${st.size}</Size><StorageClass>Standard</StorageClass></Contents>`;
  }
  return `${xml}</ListBucketResult>`;
}

async function consume(req: IncomingMessage): Promise<number> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) size += (chunk as Buffer).length;
  return size;
}

function streamBytes(res: ServerResponse, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      const ok = res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
      if (!ok) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  res.setHeader('Server', 'bare');
  switch (req.method) {
    case 'PUT': {
      const size = opts.mode === 'null' || isBucketPath(path) ? await consume(req) : await writeFileDurably(req, path);
      if (size > 1024 * 1024) bigSizes.set(path, size);
      res.writeHead(200, { 'Content-Length': '0', ETag: '"0"' });
      res.end();
      return;
    }
    case 'GET': {
      if (isBucketPath(path) && opts.mode !== 'null') {
        const body = Buffer.from(listDirectory(path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1))), 'utf8');
        res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(body.length) });
        res.end(body);
        return;
      }
      if (isBucketPath(path)) {
        res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(LIST_XML.length) });
        res.end(LIST_XML);
        return;
      }
      const big = bigSizes.get(path);
      if (big !== undefined) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(big) });
        streamBytes(res, big);
        return;
      }
      if (opts.mode !== 'null') {
        const data = await readFile(objectFile(path)).catch(notFound);
        if (data === null) return answer404(res);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) });
        res.end(data);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(SMALL.length) });
      res.end(SMALL);
      return;
    }
    case 'HEAD': {
      let size = SMALL.length;
      if (opts.mode !== 'null') {
        const st = await stat(objectFile(path)).catch(notFound);
        if (st === null) return answer404(res);
        size = st.size;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
      res.end();
      return;
    }
    case 'DELETE':
      req.resume();
      if (opts.mode !== 'null' && !isBucketPath(path)) {
        const file = objectFile(path);
        const gone = await unlink(file).then(() => true, notFound);
        if (gone && opts.mode === 'file-dirsync') await syncDir(join(file, '..'));
      }
      res.writeHead(204);
      res.end();
      return;
    default:
      req.resume();
      res.writeHead(405, { 'Content-Length': '0' });
      res.end();
  }
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  handle(req, res).catch((err: unknown) => {
    process.stderr.write(`bare: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' });
    res.end();
  });
});
server.listen(opts.port, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(`bare (${opts.mode}) listening on http://127.0.0.1:${port}\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
