import { stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addressing, explainBodiless, formatOssUrl, isOssUrl, ossClient, parseOssUrl, type ListedObject, type OssClient, type OssUrl } from './oss-client.js';
import { bucketCommand } from './oss-bucket.js';
import { folder, listAll, walk } from './oss-list.js';
import { syncCommand } from './oss-sync.js';
import { batchError, printBatchJson, runTransfers, type BatchOutcome } from './transfer-batch.js';
import { downloadTargets, skippedKeysError } from './local-names.js';
import { CheckedDownload, copyObject, DEFAULT_READ_TIMEOUT_S, downloadObject, transferOptions, uploadFile, type TransferFlags, type TransferResult } from './oss-transfer.js';
import {
  advancing, CliError, describeError, humanBytes, parsePositiveInt, printable, printableLines, printJson, printRecord, printTable, remote, run, setEndpointForErrors, UsageError,
} from './output.js';
import { alunitePaths, resolveConnection, type Connection, type ConnectionFlags } from './profile.js';
import { childSink, progressBar, type ProgressSink } from './progress.js';
import { isoSeconds } from '../util/time.js';
import { v1KeyReadsAsSubResource } from '../auth/signature/v1.js';

// `alunite oss mb|rb|ls|cp|rm|stat|sign|cat` on ali-oss, with oss://bucket/key URLs.

interface Common extends ConnectionFlags {
  json?: boolean;
}

async function connect(o: Common, bucket?: string): Promise<{ conn: Connection; client: OssClient }> {
  const conn = await resolveConnection(o);
  setEndpointForErrors(conn.endpoint);
  return { conn, client: await ossClient(conn, bucket) };
}

const isoSecond = (d: string): string => {
  const t = Date.parse(d);
  return Number.isNaN(t) ? d : isoSeconds(t);
};

interface CpOptions extends Common, TransferFlags {
  recursive?: boolean;
}

function ossCp(cmd: Command): void {
  const cp = remote(
    transferOptions(
      cmd
        .command('cp')
        .description('copy files and objects: local→oss (upload), oss→local (download), oss→oss (server-side copy)')
        .argument('<source>', 'a local path or oss://bucket/key')
        .argument('<destination>', 'a local path or oss://bucket/key (a trailing / means "into this folder")')
        .option('-r, --recursive', 'copy a folder: a local directory, or every object under oss://bucket/prefix/'),
      'files transferred at once with -r',
    ),
  );
  cp.addHelpText('after', '\nAn interrupted multipart upload (Ctrl-C, crash, kill -9) resumes when the same cp is run again:\nits checkpoint is kept in ~/.alunite/checkpoints/.');
  cp.action(
    run(async (source: string, destination: string) => {
      const o = cp.opts<CpOptions>();
      if (o.partSize < 100 * 1024) throw new UsageError('--part-size must be at least 100K (the smallest part ali-oss sends)');
      if (o.partSize > 5 * 1024 ** 3) throw new UsageError('--part-size must be at most 5G');
      const srcOss = isOssUrl(source);
      const dstOss = isOssUrl(destination);
      if (!srcOss && !dstOss) throw new UsageError('one of <source> and <destination> must be an oss:// URL');
      const { conn, client } = await connect(o);
      const results: TransferResult[] = [];
      // -r: the failed transfers (the others go on; transfer-batch.ts), and keys refused as unsafe.
      let batch: BatchOutcome | undefined;
      let unsafeError: CliError | undefined;
      let unsafeKeys: string[] = [];
      const report = (r: TransferResult, verb: string): void => {
        results.push(r);
        if (o.json) return;
        const extra = r.multipart ? `, ${r.multipart.parts} parts${r.multipart.skippedParts ? `, ${r.multipart.skippedParts} skipped (resumed)` : ''}` : '';
        process.stdout.write(`${verb}: ${printable(r.source)} → ${printable(r.destination)} (${r.size >= 0 ? humanBytes(r.size) : '?'}${extra})\n`);
      };
      const notice = (line: string): void => void process.stderr.write(`${printableLines(line)}\n`);

      if (!srcOss) {
        const dst = parseOssUrl(destination);
        const st = await stat(source);
        const upload = (file: string, key: string, size: number, sink: ProgressSink): Promise<TransferResult> =>
          uploadFile(client, file, dst.bucket, key, {
            threshold: o.threshold, partSize: o.partSize, parallel: o.parallel, endpoint: conn.endpoint,
            checkpointDir: alunitePaths().checkpoints, progress: sink, notice,
            ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
          }).then((r) => ({ ...r, size }));
        if (st.isDirectory()) {
          if (!o.recursive) throw new UsageError(`${source} is a directory (use -r)`);
          const files = await walk(source);
          const bar = progressBar(`${files.length} files`, files.reduce((n, f) => n + f.size, 0), o.progress && process.stderr.isTTY === true);
          const prefix = folder(dst.key);
          try {
            batch = await runTransfers(files, o.jobs, (f) => ({ source: f.abs, destination: `oss://${dst.bucket}/${prefix}${f.rel}` }),
              async (f) => report(await upload(f.abs, prefix + f.rel, f.size, childSink(bar)), 'upload'));
          } finally {
            bar.finish();
          }
        } else {
          const key = dst.key === '' || dst.key.endsWith('/') ? dst.key + basename(source) : dst.key;
          const bar = progressBar(basename(source), st.size, o.progress && process.stderr.isTTY === true);
          try {
            report(await upload(source, key, st.size, bar), 'upload');
          } finally {
            bar.finish();
          }
        }
      } else {
        const src = parseOssUrl(source);
        if (o.recursive) {
          const prefix = folder(src.key);
          const objects: ListedObject[] = [];
          for await (const page of listAll(client, src.bucket, prefix)) objects.push(...page.objects);
          if (dstOss) {
            const dst = parseOssUrl(destination);
            const into = folder(dst.key);
            // Each copy gets its own client: useBucket() is per client and copies run concurrently.
            const target = (obj: ListedObject): string => into + obj.name.slice(prefix.length);
            batch = await runTransfers(objects, o.jobs, (obj) => ({ source: `oss://${src.bucket}/${obj.name}`, destination: `oss://${dst.bucket}/${target(obj)}` }), async (obj) =>
              report(await copyObject(await ossClient(conn), { bucket: src.bucket, key: obj.name }, { bucket: dst.bucket, key: target(obj) }, obj.size), 'copy'),
            );
          } else {
            const root = resolve(destination);
            const { jobs, ...skipped } = downloadTargets(objects, prefix, root);
            const bar = progressBar(`${jobs.length} objects`, jobs.reduce((n, j) => n + j.obj.size, 0), o.progress && process.stderr.isTTY === true);
            try {
              batch = await runTransfers(jobs, o.jobs, (j) => ({ source: `oss://${src.bucket}/${j.obj.name}`, destination: j.target }), async (j) =>
                report(await downloadObject(await ossClient(conn), src.bucket, j.obj.name, j.target, childSink(bar), root, o.readTimeout), 'download'),
              );
            } finally {
              bar.finish();
            }
            unsafeError = skippedKeysError(skipped, root);
            if (unsafeError) unsafeKeys = [...skipped.outside, ...skipped.clashing];
          }
        } else {
          if (src.key === '' || src.key.endsWith('/')) throw new UsageError(`${source} names a folder, not an object (use -r)`);
          if (dstOss) {
            const dst = parseOssUrl(destination);
            const key = dst.key === '' || dst.key.endsWith('/') ? dst.key + basename(src.key) : dst.key;
            client.useBucket(src.bucket);
            const head = await client.head(src.key).catch((e: unknown) => explainBodiless(client, src.bucket, src.key, e));
            report(await copyObject(client, src, { bucket: dst.bucket, key }, Number(head.res.headers['content-length'] ?? -1)), 'copy');
          } else {
            let target = destination;
            const st = await stat(destination).catch(() => null);
            if (destination.endsWith('/') || destination.endsWith(sep) || st?.isDirectory()) target = join(destination, basename(src.key));
            report(await downloadWithBar(client, src, target, o.progress, o.readTimeout), 'download');
          }
        }
      }
      // A run-wide failure is the command's error, whatever else happened (the rest was not attempted).
      if (batch?.stoppedBy !== undefined) throw batch.stoppedBy;
      const failed = batch === undefined ? undefined : batchError(batch, 'transfer');
      const error = unsafeError ?? failed;
      if (o.json) {
        // One document with what was done, what failed and what was skipped (exit 1 all the same).
        printBatchJson({
          transfers: results, ...(error !== undefined ? { failures: batch?.failures ?? [] } : {}), ...(unsafeError ? { skippedUnsafeKeys: unsafeKeys } : {}),
        }, error);
        return;
      }
      // Both are said: the failed transfers' count, then the unsafe keys as the error line.
      if (unsafeError && failed !== undefined) process.stderr.write(`${printable(describeError(failed).line)}\n`);
      if (error !== undefined) throw error;
    }),
  );
}

/** A single download: the bar's total comes from a HEAD, so it can show percent and ETA. */
async function downloadWithBar(client: OssClient, src: OssUrl, target: string, progress: boolean, readTimeoutS: number): Promise<TransferResult> {
  let bar: ProgressSink = progressBar('', 0, false);
  if (progress && process.stderr.isTTY === true) {
    client.useBucket(src.bucket);
    const head = await client.head(src.key).catch((e: unknown) => explainBodiless(client, src.bucket, src.key, e));
    bar = progressBar(basename(src.key), Number(head.res.headers['content-length'] ?? 0));
  }
  try {
    return await downloadObject(client, src.bucket, src.key, target, bar, undefined, readTimeoutS);
  } finally {
    bar.finish();
  }
}

function expiresSeconds(value: string): number {
  const n = parsePositiveInt(value);
  if (n > 64_800 * 1000) throw new InvalidArgumentError('is too large.');
  return n;
}

export function ossCommand(): Command {
  const cmd = new Command('oss').description('buckets and objects: mb, rb, ls, cp, sync, rm, stat, sign, cat, bucket cors|policy|acl (URLs: oss://bucket/key)');

  const mb = remote(
    cmd
      .command('mb')
      .description('make a bucket')
      .argument('<url>', 'oss://bucket')
      .addOption(new Option('--acl <acl>', 'bucket ACL').choices(['private', 'public-read', 'public-read-write', 'authenticated-read']))
      .addOption(new Option('--storage-class <class>', 'default storage class').choices(['Standard', 'IA', 'Archive', 'ColdArchive'])),
  );
  mb.action(
    run(async (url: string) => {
      const o = mb.opts<Common & { acl?: string; storageClass?: string }>();
      const u = parseOssUrl(url);
      if (u.key !== '') throw new UsageError(`${url}: a bucket URL has no key (oss://${u.bucket})`);
      const { client } = await connect(o);
      const r = await client.putBucket(u.bucket, { ...(o.acl ? { acl: o.acl } : {}), ...(o.storageClass ? { storageClass: o.storageClass } : {}) });
      if (o.json) printJson({ bucket: u.bucket, requestId: r.res.headers['x-oss-request-id'] });
      else process.stdout.write(`make_bucket: oss://${u.bucket}\n`);
    }),
  );

  const rb = remote(
    cmd
      .command('rb')
      .description('remove a bucket (it must be empty unless --force)')
      .argument('<url>', 'oss://bucket')
      .option('--force', 'first delete every object and abort every multipart upload in it'),
  );
  rb.action(
    run(async (url: string) => {
      const o = rb.opts<Common & { force?: boolean }>();
      const u = parseOssUrl(url);
      if (u.key !== '') throw new UsageError(`${url}: a bucket URL has no key (oss://${u.bucket})`);
      const { client } = await connect(o, u.bucket);
      let deleted = 0;
      if (o.force) {
        deleted = await deletePrefix(client, u.bucket, '', undefined, () => undefined);
        await abortUploads(client);
      }
      await client.deleteBucket(u.bucket);
      if (o.json) printJson({ bucket: u.bucket, deletedObjects: deleted });
      else process.stdout.write(`remove_bucket: oss://${u.bucket}${o.force ? ` (${deleted} objects deleted)` : ''}\n`);
    }),
  );

  const ls = remote(
    cmd
      .command('ls')
      .description('list buckets, or the objects and folders under oss://bucket[/prefix]')
      .argument('[url]', 'oss://bucket[/prefix]; none (or oss://) lists the buckets')
      .option('-r, --recursive', 'every object under the prefix, not one folder level')
      .option('--limit <n>', 'stop after this many entries', parsePositiveInt),
  );
  ls.action(
    run(async (url: string | undefined) => {
      const o = ls.opts<Common & { recursive?: boolean; limit?: number }>();
      const { client } = await connect(o);
      const limit = o.limit ?? Number.POSITIVE_INFINITY;
      if (url === undefined || url === 'oss://') {
        const buckets: { name: string; region: string; creationDate: string; storageClass: string }[] = [];
        let marker: string | undefined;
        const seen = new Set<string>();
        while (buckets.length < limit) {
          const page = await client.listBuckets({ 'max-keys': 1000, ...(marker ? { marker } : {}) });
          for (const b of page.buckets ?? []) buckets.push({ name: b.name, region: b.region, creationDate: b.creationDate, storageClass: b.storageClass });
          if (!page.isTruncated || !page.nextMarker) break;
          marker = advancing(seen, page.nextMarker, 'bucket listing (marker)');
        }
        const shown = buckets.slice(0, limit);
        if (o.json) printJson(shown);
        else printTable(shown.map((b) => [isoSecond(b.creationDate), b.region ?? '', `oss://${b.name}`]));
        return;
      }
      const u = parseOssUrl(url);
      const objects: ListedObject[] = [];
      const prefixes: string[] = [];
      for await (const page of listAll(client, u.bucket, u.key, o.recursive ? undefined : '/')) {
        prefixes.push(...page.prefixes);
        objects.push(...page.objects);
        if (objects.length + prefixes.length >= limit) break;
      }
      // Listing order is key order; folders and objects interleave as the service returns them.
      const entries = [...prefixes.map((p) => ({ dir: true as const, key: p })), ...objects.map((x) => ({ dir: false as const, key: x.name, obj: x }))]
        .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
        .slice(0, limit);
      if (o.json) {
        printJson({
          bucket: u.bucket,
          prefix: u.key,
          prefixes: entries.filter((e) => e.dir).map((e) => e.key),
          objects: entries.flatMap((e) => (e.dir ? [] : [{
            key: e.obj.name, size: e.obj.size, lastModified: e.obj.lastModified, etag: e.obj.etag?.replace(/"/g, ''), storageClass: e.obj.storageClass, type: e.obj.type,
          }])),
        });
        return;
      }
      let total = 0;
      let count = 0;
      printTable(
        entries.map((e) => {
          if (e.dir) return ['', 'DIR', `oss://${u.bucket}/${e.key}`];
          total += e.obj.size;
          count++;
          return [isoSecond(e.obj.lastModified), humanBytes(e.obj.size), `oss://${u.bucket}/${e.key}`];
        }),
      );
      process.stdout.write(`${count} object(s), ${humanBytes(total)}${prefixes.length ? `, ${prefixes.length} folder(s)` : ''}\n`);
    }),
  );

  ossCp(cmd);
  syncCommand(cmd);

  const rm = remote(
    cmd
      .command('rm')
      .description('delete an object, or with -r the object and everything under oss://bucket/prefix/')
      .argument('<url>', 'oss://bucket/key')
      .option('-r, --recursive', 'delete the folder key/ (and the object key itself); oss://bucket/ deletes every object'),
  );
  rm.action(
    run(async (url: string) => {
      const o = rm.opts<Common & { recursive?: boolean }>();
      const u = parseOssUrl(url);
      const { client } = await connect(o, u.bucket);
      const deleted: string[] = [];
      const onDelete = (key: string): void => {
        deleted.push(key);
        if (!o.json) process.stdout.write(`delete: oss://${u.bucket}/${printable(key)}\n`);
      };
      if (!o.recursive) {
        if (u.key === '') throw new UsageError(`${url} names a bucket: use "alunite oss rb" (or rm -r to empty it)`);
        if (u.key.endsWith('/')) throw new UsageError(`${url} names a folder (use -r)`);
        await client.delete(u.key);
        onDelete(u.key);
      } else {
        const exact = u.key !== '' && !u.key.endsWith('/') ? u.key : undefined;
        await deletePrefix(client, u.bucket, folder(u.key), exact, onDelete);
      }
      if (o.json) printJson({ bucket: u.bucket, deleted });
    }),
  );

  const st = remote(cmd.command('stat').description('object metadata (HeadObject), or bucket information for oss://bucket').argument('<url>', 'oss://bucket[/key]'));
  st.action(
    run(async (url: string) => {
      const o = st.opts<Common>();
      const u = parseOssUrl(url);
      const { client } = await connect(o, u.bucket);
      if (u.key === '') {
        const info = await client.getBucketInfo(u.bucket);
        const b = info.bucket as Record<string, unknown>;
        const acl = (b.AccessControlList as { Grant?: string } | undefined)?.Grant;
        const view = {
          name: b.Name, region: b.Region, location: b.Location, creationDate: b.CreationDate, storageClass: b.StorageClass,
          acl, owner: (b.Owner as { ID?: string } | undefined)?.ID, extranetEndpoint: b.ExtranetEndpoint,
        };
        if (o.json) printJson(view);
        else printRecord({ Bucket: view.name, Region: view.region, Location: view.location, Created: view.creationDate, StorageClass: view.storageClass, ACL: acl, Owner: view.owner });
        return;
      }
      const h = await client.head(u.key).catch((e: unknown) => explainBodiless(client, u.bucket, u.key, e));
      const headers = h.res.headers;
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-oss-meta-')) meta[k.slice('x-oss-meta-'.length)] = v;
      const view = {
        bucket: u.bucket, key: u.key, size: Number(headers['content-length'] ?? 0), contentType: headers['content-type'],
        etag: headers.etag?.replace(/"/g, ''), lastModified: headers['last-modified'], crc64: headers['x-oss-hash-crc64ecma'],
        storageClass: headers['x-oss-storage-class'], objectType: headers['x-oss-object-type'],
        ...(headers['content-md5'] !== undefined ? { contentMd5: headers['content-md5'] } : {}),
        ...(headers['cache-control'] !== undefined ? { cacheControl: headers['cache-control'] } : {}),
        ...(headers['content-disposition'] !== undefined ? { contentDisposition: headers['content-disposition'] } : {}),
        ...(headers['content-encoding'] !== undefined ? { contentEncoding: headers['content-encoding'] } : {}),
        ...(headers['expires'] !== undefined ? { expires: headers.expires } : {}),
        meta,
        requestId: headers['x-oss-request-id'],
      };
      if (o.json) printJson(view);
      else {
        printRecord({
          URL: formatOssUrl(u), Size: `${view.size} (${humanBytes(view.size)})`, 'Content-Type': view.contentType, ETag: view.etag,
          'Last-Modified': view.lastModified, CRC64: view.crc64, 'Content-MD5': view.contentMd5, StorageClass: view.storageClass, ObjectType: view.objectType,
          'Cache-Control': view.cacheControl, 'Content-Disposition': view.contentDisposition, 'Content-Encoding': view.contentEncoding,
          ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-oss-meta-${k}`, v])),
        });
      }
    }),
  );

  const sign = remote(
    cmd
      .command('sign')
      .description('print a presigned URL for an object (includes the STS token when the credentials have one)')
      .argument('<url>', 'oss://bucket/key')
      .option('--expires <seconds>', 'validity in seconds (default 3600, or until temporary credentials expire if sooner)', expiresSeconds)
      .addOption(new Option('--method <method>', 'HTTP method the URL allows').choices(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']).default('GET'))
      .option('--content-type <type>', 'Content-Type the request must send (PUT)')
      .option('--v4', 'signature V4 (x-oss-signature-version OSS4-HMAC-SHA256, at most 7 days)'),
  );
  sign.action(
    run(async (url: string) => {
      const o = sign.opts<Common & { expires?: number; method: string; contentType?: string; v4?: boolean }>();
      const u = parseOssUrl(url);
      if (u.key === '') throw new UsageError(`${url}: sign needs an object key (oss://bucket/key)`);
      // A V1 URL for `k?tagging` would also be a valid PutObjectTagging of `k` (v1.ts v1KeyReadsAsSubResource).
      const reads = o.v4 ? null : v1KeyReadsAsSubResource(u.key);
      if (reads !== null) {
        throw new UsageError(`${printable(url)}: a V1 signature of this key would also sign the ${printable(reads)} sub-resource of the key before its "?" (another operation); sign it with --v4`);
      }
      const conn = await resolveConnection(o);
      setEndpointForErrors(conn.endpoint);
      // A URL signed with a security token may outlive it: OSS accepts it until the earlier of the two expiries
      // (then SecurityTokenExpired). So the default stops at the token's expiry when it is known, and a longer
      // --expires is signed as asked with a note saying when it really stops working.
      const tokenLeft = conn.expiration !== undefined ? Math.floor((Date.parse(conn.expiration) - Date.now()) / 1000) : Number.NaN;
      if (tokenLeft <= 0) throw new UsageError(`the temporary credentials (${conn.source}) expired at ${conn.expiration}`);
      const expires = o.expires ?? (tokenLeft < 3600 ? tokenLeft : 3600);
      const usable = tokenLeft < expires ? tokenLeft : expires;
      if (usable < expires) process.stderr.write(`${printable(`note: the URL works until the security token expires in ${tokenLeft} s (${conn.expiration}), not for ${expires} s`)}\n`);
      if (o.v4 && expires > 604_800) throw new UsageError('--expires must be at most 604800 (7 days) with --v4');
      // ali-oss refuses to presign for an IP endpoint; the signature covers /bucket/key, not the host,
      // so sign path-style for a placeholder host name and put the real host back.
      const real = new URL(conn.endpoint);
      const ip = addressing(conn.endpoint) === 'ip';
      const signer = await ossClient(conn, u.bucket, ip ? { endpoint: `${real.protocol}//localhost${real.port ? `:${real.port}` : ''}`, sldEnable: true } : {});
      let signed: string;
      if (o.v4) {
        signed = await signer.signatureUrlV4(o.method, expires, o.contentType ? { headers: { 'Content-Type': o.contentType } } : undefined, u.key);
      } else {
        signed = signer.signatureUrl(u.key, { expires, method: o.method, ...(o.contentType ? { 'Content-Type': o.contentType } : {}) });
      }
      const out = new URL(signed);
      if (ip) out.host = real.host;
      const expiresAt = isoSeconds(usable < expires ? Date.parse(conn.expiration!) : Date.now() + expires * 1000);
      if (o.json) printJson({ url: out.toString(), method: o.method, expires: expiresAt, signatureVersion: o.v4 ? 'v4' : 'v1' });
      else process.stdout.write(`${out.toString()}\n`);
    }),
  );

  const cat = remote(cmd.command('cat').description('write an object to stdout').argument('<url>', 'oss://bucket/key'))
    .option('--read-timeout <seconds>', 'fail when nothing is received for this long (ReadTimeout)', parsePositiveInt, DEFAULT_READ_TIMEOUT_S);
  cat.action(
    run(async (url: string) => {
      const o = cat.opts<Common & { readTimeout: number }>();
      const u = parseOssUrl(url);
      if (u.key === '') throw new UsageError(`${url}: cat needs an object key (oss://bucket/key)`);
      const { client } = await connect(o, u.bucket);
      const got = await client.getStream(u.key).catch((e: unknown) => explainBodiless(client, u.bucket, u.key, e));
      // The bytes go out as they come; length and CRC-64 are checked at the end, as cp checks them, so a
      // corrupted or cut answer exits 1 (CrcMismatch, IncompleteBody) even though its bytes were written.
      const checked = new CheckedDownload(undefined, o.readTimeout, url);
      try {
        await pipeline(got.stream, checked.watching(got.stream), process.stdout, { end: false });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') return; // `| head` closed the pipe: not an error
        throw err;
      }
      checked.verify(url, got.res.headers as Record<string, string | undefined>);
    }),
  );

  cmd.addCommand(bucketCommand());
  return cmd;
}

/** Deletes the exact key (if given) and every object under prefix, 1000 per request. */
async function deletePrefix(client: OssClient, bucket: string, prefix: string, exact: string | undefined, onDelete: (key: string) => void): Promise<number> {
  client.useBucket(bucket);
  let n = 0;
  if (exact !== undefined) {
    const there = await client.head(exact).then(() => true, (e: { code?: string }) => {
      if (e.code === 'NoSuchKey') return false;
      throw e;
    });
    if (there) {
      await client.delete(exact);
      onDelete(exact);
      n++;
    }
  }
  // Collect first: deleting while paging with a continuation token would skip nothing, but listing
  // a bucket that changes under us is simpler to reason about this way.
  const keys: string[] = [];
  for await (const page of listAll(client, bucket, prefix)) keys.push(...page.objects.map((o) => o.name));
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    await client.deleteMulti(batch, { quiet: true });
    for (const k of batch) onDelete(k);
    n += batch.length;
  }
  return n;
}

async function abortUploads(client: OssClient): Promise<void> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await client.listUploads({ 'max-uploads': 1000, ...(keyMarker ? { 'key-marker': keyMarker } : {}), ...(uploadIdMarker ? { 'upload-id-marker': uploadIdMarker } : {}) });
    for (const up of page.uploads) await client.abortMultipartUpload(up.name, up.uploadId);
    if (!page.isTruncated) return;
    advancing(seen, `${page.nextKeyMarker}\n${page.nextUploadIdMarker}`, 'upload listing (key and upload-id markers)');
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}
