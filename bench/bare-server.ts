/**
 * The storage-less reference server of `npm run bench`: a bare node:http server that answers the same
 * requests Alunite gets, without parsing, authenticating or storing anything. It tells how much of a
 * request's cost is node's HTTP stack (and, with `--mode file`, how much is writing one file per object).
 *
 *   node dist/bench/bare-server.js --port 0 [--mode null|file|file-dirsync] [--data DIR]
 *
 * - GET returns a fixed 4 KiB buffer, except for an object that a PUT in this process sent more than
 *   1 MiB for: then it streams that many bytes (reference MB/s of big transfers).
 * - PUT consumes the body and answers 200; in `file` mode it writes the body to a new temp file,
 *   fsyncs it and renames it into place (one file per object, as a "baseline PUT"); `file-dirsync` also
 *   fsyncs the directory after the rename (what makes the rename itself durable).
 * - HEAD answers 200 with Content-Length 4096, DELETE 204, GET on a bucket a fixed small XML listing.
 */
import { mkdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

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
  for (let i = 0; i < 256; i++) mkdirSync(join(opts.data!, 'objects', i.toString(16).padStart(2, '0')), { recursive: true });
}

function isBucketPath(path: string): boolean {
  const p = path.startsWith('/') ? path.slice(1) : path;
  const slash = p.indexOf('/');
  return slash < 0 || slash === p.length - 1;
}

async function writeFileDurably(req: IncomingMessage): Promise<number> {
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
  const dir = join(opts.data!, 'objects', (n & 0xff).toString(16).padStart(2, '0'));
  await rename(tmp, join(dir, name));
  if (opts.mode === 'file-dirsync') {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
  return size;
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
      const size = opts.mode === 'null' ? await consume(req) : await writeFileDurably(req);
      if (size > 1024 * 1024) bigSizes.set(path, size);
      res.writeHead(200, { 'Content-Length': '0', ETag: '"0"' });
      res.end();
      return;
    }
    case 'GET': {
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
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(SMALL.length) });
      res.end(SMALL);
      return;
    }
    case 'HEAD':
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(SMALL.length) });
      res.end();
      return;
    case 'DELETE':
      req.resume();
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
