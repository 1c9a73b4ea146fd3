import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Command } from 'commander';
import { Crc64 } from '../util/crc64.js';
import { explainBodiless, isOssUrl, ossClient, parseOssUrl, type ListedObject, type OssClient } from './oss-client.js';
import { folder, listAll, pool, walk } from './oss-list.js';
import { batchError, printBatchJson, runTransfers, type BatchOutcome } from './transfer-batch.js';
import { downloadTargets, skippedKeysError } from './local-names.js';
import { downloadObject, transferOptions, uploadFile, type TransferFlags } from './oss-transfer.js';
import { CliError, describeError, humanBytes, printable, printableLines, remote, setEndpointForErrors, UsageError } from './output.js';
import { alunitePaths, resolveConnection, type ConnectionFlags } from './profile.js';
import { childSink, progressBar } from './progress.js';

// `alunite oss sync SRC DST`: make DST (a local directory or oss://bucket/prefix) hold what SRC holds,
// transferring only files that are new or differ. See docs/cli.md "sync" for how files are compared.

interface SyncOptions extends ConnectionFlags, TransferFlags {
  json?: boolean;
  delete?: boolean;
  dryRun?: boolean;
}

type Reason = 'new' | 'size' | 'content' | 'extra';

export interface SyncAction {
  action: 'upload' | 'download' | 'delete';
  /** Relative to both roots: the file's path under the directory, the key after the prefix. */
  path: string;
  source?: string;
  destination: string;
  size: number;
  reason: Reason;
}

interface LocalFile {
  rel: string;
  abs: string;
  size: number;
}

interface RemoteObject {
  rel: string;
  key: string;
  size: number;
  /** Unquoted, upper case. */
  etag: string;
  type: string;
}

const MD5_ETAG = /^[0-9A-F]{32}$/;
const MULTIPART_ETAG = /^[0-9A-F]{32}-(\d+)$/;

/** MD5 of the whole file and, for each part size asked for, the multipart ETag it would have. */
export async function digests(file: string, partSizes: readonly number[]): Promise<{ md5: string; crc64: string; multipart: Map<number, string> }> {
  const whole = createHash('md5');
  const crc = new Crc64();
  const parts = partSizes.map((size) => ({ size, filled: 0, current: createHash('md5'), etags: [] as string[] }));
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    whole.update(buf);
    crc.update(buf);
    for (const p of parts) {
      let off = 0;
      while (off < buf.length) {
        const take = Math.min(p.size - p.filled, buf.length - off);
        p.current.update(buf.subarray(off, off + take));
        p.filled += take;
        off += take;
        if (p.filled === p.size) {
          p.etags.push(p.current.digest('hex').toUpperCase());
          p.current = createHash('md5');
          p.filled = 0;
        }
      }
    }
  }
  const multipart = new Map<number, string>();
  for (const p of parts) {
    if (p.filled > 0) p.etags.push(p.current.digest('hex').toUpperCase());
    // OSS: the MD5 of the parts' upper-case hex ETags concatenated as text (S3 hashes the binary MD5s).
    multipart.set(p.size, `${createHash('md5').update(p.etags.join(''), 'latin1').digest('hex').toUpperCase()}-${p.etags.length}`);
  }
  return { md5: whole.digest('hex').toUpperCase(), crc64: crc.digestDecimal(), multipart };
}

/**
 * Whether a local file (same size) holds the object's bytes. A plain ETag is the MD5 of the object; any
 * other (multipart `<md5>-N`, appendable) is compared through the CRC-64 a HEAD reports
 * (x-oss-hash-crc64ecma, exact whatever the part size); an endpoint that reports none gets the multipart
 * ETag recomputed with --part-size. Neither possible: the file counts as different (it is transferred).
 */
async function sameContent(client: OssClient, bucket: string, local: LocalFile, obj: RemoteObject, partSize: number): Promise<boolean> {
  if (MD5_ETAG.test(obj.etag) && obj.type !== 'Appendable' && obj.type !== 'Symlink') return (await digests(local.abs, [])).md5 === obj.etag;
  client.useBucket(bucket);
  const head = await client.head(obj.key).catch((e: unknown) => explainBodiless(client, bucket, obj.key, e));
  const serverCrc = head.res.headers['x-oss-hash-crc64ecma'];
  const m = MULTIPART_ETAG.exec(obj.etag);
  const partCount = m ? Number(m[1]) : 0;
  const tryPart = partCount > 0 && Math.ceil(local.size / partSize) === partCount ? [partSize] : [];
  const d = await digests(local.abs, serverCrc ? [] : tryPart);
  if (serverCrc) return d.crc64 === serverCrc;
  return tryPart.length > 0 && d.multipart.get(partSize) === obj.etag;
}

/** What has to change at the destination, in key order. */
async function plan(
  locals: Map<string, LocalFile>, remotes: Map<string, RemoteObject>, upload: boolean, deleteExtra: boolean,
  compare: (local: LocalFile, obj: RemoteObject) => Promise<boolean>, jobs: number, names: { local: (rel: string) => string; remote: (rel: string) => string },
): Promise<{ actions: SyncAction[]; unchanged: number }> {
  const from = upload ? locals : remotes;
  const to = upload ? remotes : locals;
  const rels = [...from.keys()].sort();
  const decided = await pool(rels, jobs, async (rel): Promise<SyncAction | null> => {
    const src = from.get(rel)!;
    const dst = to.get(rel);
    const base = upload
      ? { action: 'upload' as const, path: rel, source: names.local(rel), destination: names.remote(rel), size: src.size }
      : { action: 'download' as const, path: rel, source: names.remote(rel), destination: names.local(rel), size: src.size };
    if (dst === undefined) return { ...base, reason: 'new' };
    if (dst.size !== src.size) return { ...base, reason: 'size' };
    const local = (upload ? src : dst) as LocalFile;
    const obj = (upload ? dst : src) as RemoteObject;
    return (await compare(local, obj)) ? null : { ...base, reason: 'content' };
  });
  const actions = decided.filter((a): a is SyncAction => a !== null);
  const unchanged = decided.length - actions.length;
  if (deleteExtra) {
    for (const rel of [...to.keys()].sort()) {
      if (!from.has(rel)) actions.push({ action: 'delete', path: rel, destination: upload ? names.remote(rel) : names.local(rel), size: to.get(rel)!.size, reason: 'extra' });
    }
  }
  return { actions, unchanged };
}

export function syncCommand(oss: Command): void {
  const sync = remote(
    transferOptions(
      oss
        .command('sync')
        .description('mirror a folder: local dir → oss://bucket/prefix or oss://bucket/prefix → local dir; only new or changed files move')
        .argument('<source>', 'a local directory or oss://bucket[/prefix]')
        .argument('<destination>', 'oss://bucket[/prefix] or a local directory (the other kind than <source>)')
        .option('--delete', 'also delete files or objects at the destination that the source does not have')
        .option('--dry-run', 'print what would be done, change nothing'),
      'files compared and transferred at once',
    ),
  );
  sync.action(async (source: string, destination: string) => {
    const o = sync.opts<SyncOptions>();
    if (o.partSize < 100 * 1024) throw new UsageError('--part-size must be at least 100K (the smallest part ali-oss sends)');
    if (o.partSize > 5 * 1024 ** 3) throw new UsageError('--part-size must be at most 5G');
    const upload = !isOssUrl(source);
    if (upload === !isOssUrl(destination)) throw new UsageError('sync needs one local directory and one oss:// URL (oss→oss and local→local are not supported)');
    const url = parseOssUrl(upload ? destination : source);
    const localDir = upload ? source : destination;
    const prefix = folder(url.key);
    const root = resolve(localDir);

    const st = await stat(localDir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && !upload) return null; // a download creates it
      throw e;
    });
    if (st && !st.isDirectory()) throw new UsageError(`${localDir} is not a directory`);

    const conn = await resolveConnection(o);
    setEndpointForErrors(conn.endpoint);
    const client = await ossClient(conn);

    const locals = new Map<string, LocalFile>();
    if (st) for (const f of await walk(localDir)) locals.set(f.rel, f);
    const remotes = new Map<string, RemoteObject>();
    const listed: ListedObject[] = [];
    for await (const page of listAll(client, url.bucket, prefix)) listed.push(...page.objects);
    // A key that would land outside the directory is never written there (nor counted as present); downloading,
    // keys are compared as the files they become (`a//b` is the file a/b, and only one key is written to it).
    const targets = downloadTargets(listed, prefix, root);
    const remoteOf = (rel: string, obj: ListedObject): RemoteObject =>
      ({ rel, key: obj.name, size: obj.size, etag: (obj.etag ?? '').replace(/"/g, '').toUpperCase(), type: obj.type });
    const skipped = upload ? { outside: [], clashing: [] } : { outside: targets.outside, clashing: targets.clashing };
    if (upload) {
      // Uploading, the keys are what the files are compared with as they are spelled: `a//b` is no file's key.
      const outside = new Set(targets.outside);
      for (const obj of listed) {
        const rel = obj.name.slice(prefix.length);
        if (rel !== '' && !rel.endsWith('/') && !outside.has(obj.name)) remotes.set(rel, remoteOf(rel, obj));
      }
    } else {
      for (const j of targets.jobs) remotes.set(j.rel, remoteOf(j.rel, j.obj));
    }

    const localName = (rel: string): string => (localDir.endsWith('/') || localDir.endsWith(sep) ? localDir : `${localDir}/`) + rel;
    const remoteName = (rel: string): string => `oss://${url.bucket}/${remotes.get(rel)?.key ?? prefix + rel}`;
    // Each worker gets its own client: useBucket() is per client and comparisons and transfers run concurrently.
    const clients: OssClient[] = [];
    const borrow = async <T>(fn: (c: OssClient) => Promise<T>): Promise<T> => {
      const c = clients.pop() ?? (await ossClient(conn));
      try {
        return await fn(c);
      } finally {
        clients.push(c);
      }
    };
    const { actions, unchanged } = await plan(
      locals, remotes, upload, o.delete === true,
      (local, obj) => borrow((c) => sameContent(c, url.bucket, local, obj, o.partSize)),
      o.jobs, { local: localName, remote: remoteName },
    );

    const say = (a: SyncAction): void => {
      if (o.json) return;
      const what = a.action === 'delete' ? `delete: ${a.destination}` : `${a.action}: ${a.source} → ${a.destination} (${a.reason === 'new' ? 'new' : a.reason === 'size' ? 'size differs' : 'content differs'}, ${humanBytes(a.size)})`;
      process.stdout.write(`${o.dryRun ? '(dry run) ' : ''}${printable(what)}\n`);
    };
    const transfers = actions.filter((a) => a.action !== 'delete');
    let batch: BatchOutcome | undefined;
    const deletions = actions.filter((a) => a.action === 'delete');
    if (o.dryRun) actions.forEach(say);
    else {
      const bar = progressBar(`${transfers.length} files`, transfers.reduce((n, a) => n + a.size, 0), o.progress && process.stderr.isTTY === true);
      const notice = (line: string): void => void process.stderr.write(`${printableLines(line)}\n`);
      try {
        batch = await runTransfers(transfers, o.jobs, (a) => ({ source: a.source ?? a.path, destination: a.destination }), (a) =>
          borrow(async (c) => {
            if (a.action === 'upload') {
              await uploadFile(c, locals.get(a.path)!.abs, url.bucket, prefix + a.path, {
                threshold: o.threshold, partSize: o.partSize, parallel: o.parallel, endpoint: conn.endpoint,
                checkpointDir: alunitePaths().checkpoints, progress: childSink(bar), notice,
                ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
              });
            } else {
              await downloadObject(c, url.bucket, remotes.get(a.path)!.key, resolve(root, a.path), childSink(bar), root, o.readTimeout);
            }
            say(a);
          }),
        );
      } finally {
        bar.finish();
      }
      // A run-wide failure (nothing listening, a bad key, a full disk) is the command's error, as before, and
      // nothing is deleted after it. One file or object that failed alone does not hold back the deletions.
      if (batch?.stoppedBy !== undefined) throw batch.stoppedBy;
      if (upload) {
        const keys = deletions.map((a) => prefix + a.path);
        client.useBucket(url.bucket);
        for (let i = 0; i < keys.length; i += 1000) {
          await client.deleteMulti(keys.slice(i, i + 1000), { quiet: true });
          deletions.slice(i, i + 1000).forEach(say);
        }
      } else {
        for (const a of deletions) {
          await rm(resolve(root, a.path), { force: true });
          say(a);
        }
      }
    }

    const failed = batch === undefined ? undefined : batchError(batch, 'transfer');
    const failedPaths = new Set(batch?.failures.map((f) => f.source));
    const done = transfers.filter((a) => !failedPaths.has(a.source ?? a.path));
    const bytes = done.reduce((n, a) => n + a.size, 0);
    const unsafeError = skippedKeysError(skipped, root);
    // Both are reported: the failed transfers were each listed as they failed; the unsafe keys are the error line.
    const error = unsafeError ?? (failed instanceof CliError ? failed : undefined);
    if (o.json) {
      // One document: the summary, with the failures and the error in it (exit 1 all the same).
      printBatchJson({
        source, destination, dryRun: o.dryRun === true, actions, unchanged, transferred: done.length, deleted: deletions.length, bytes,
        ...(batch && batch.failures.length > 0 ? { failures: batch.failures } : {}),
        ...(unsafeError ? { skippedUnsafeKeys: [...skipped.outside, ...skipped.clashing] } : {}),
      }, error);
      return;
    }
    const verb = upload ? 'uploaded' : 'downloaded';
    const failedNote = batch && batch.failures.length > 0 ? `, ${batch.failures.length} failed` : '';
    process.stdout.write(`${o.dryRun ? '(dry run) would have ' : ''}${verb} ${done.length} (${humanBytes(bytes)})${failedNote}, deleted ${deletions.length}, ${unchanged} unchanged\n`);
    if (unsafeError && failed) process.stderr.write(`${printable(describeError(failed).line)}\n`);
    if (error) throw error;
  });
}
