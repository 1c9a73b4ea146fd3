// `alunite init export`: loaded by its action only (cli/init.ts), so other commands do not load the stores.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { offlineAccounts } from '../accounts/offline.js';
import { BucketService } from '../domain/buckets.js';
import type { DomainContext } from '../domain/context.js';
import { SseKeys } from '../domain/encryption.js';
import { ObjectService } from '../domain/objects.js';
import { exportState, exportYaml } from '../init/export.js';
import { FsBlobStore } from '../store/blob/fs.js';
import { MemoryBlobStore } from '../store/blob/memory.js';
import { isPostgresUrl, openMetadataStore } from '../store/meta/open.js';
import { resolveMasterKeyRing } from '../util/master-key.js';
import { systemClock } from '../util/time.js';
import { UsageError } from './output.js';
import { rootAccount } from './root-account.js';

export interface ExportFlags {
  data?: string;
  meta?: string;
  withSecrets?: boolean;
  output?: string;
  objects?: string;
}

export async function runExport(o: ExportFlags): Promise<void> {
  const env = process.env;
  const postgres = isPostgresUrl(o.meta);
  if (!postgres && (o.data === undefined || o.data === '')) throw new UsageError("required option '--data <dir>' not specified (or --meta postgres://…)");
  const dataDir = o.data ?? '';
  // A mistyped --data must not create an empty store (and a master key) and export nothing.
  if (!postgres && !existsSync(join(dataDir, 'metadata.sqlite'))) throw new Error(`${dataDir} holds no alunite data (no metadata.sqlite)`);
  const { accountId, accessKeyId, accessKeySecret } = await rootAccount(undefined, env);
  // The same key ring the server resolves: secrets are opened exactly as it opens them.
  const ring = await resolveMasterKeyRing({ dataDir, inMemory: dataDir === '' });
  const meta = await openMetadataStore({ meta: o.meta, sqlitePath: join(dataDir, 'metadata.sqlite') });
  // Object bytes are read only for --objects: otherwise no blob directory is opened (or created).
  const blobsDir = env.ALUNITE_BLOBS ?? (dataDir !== '' ? dataDir : undefined);
  if (o.objects !== undefined && blobsDir === undefined) throw new UsageError('--objects needs the blob directory: --data <dir> or ALUNITE_BLOBS');
  const blobs = o.objects !== undefined && blobsDir !== undefined ? await FsBlobStore.open({ root: blobsDir }) : new MemoryBlobStore();
  try {
    // The key ring also opens encrypted objects' data keys (--objects exports their plaintext, as GET would).
    const ctx: DomainContext = { meta, blobs, clock: systemClock, region: env.ALUNITE_REGION ?? 'cn-hangzhou', log: () => undefined, sse: new SseKeys(ring) };
    // Each account's RAM through its own view of the identity tables (docs/accounts.md).
    const accounts = offlineAccounts(meta, { accountId, accessKeyId }, ring);
    const ram = accounts.ramFor(accountId);
    const doc = await exportState(
      { ram, buckets: new BucketService(ctx), objects: new ObjectService(ctx), meta, accountId, rootAccessKeyId: accessKeyId, accounts, ims: accounts.imsFor(accountId) },
      {
        withSecrets: o.withSecrets === true,
        ...(env.ALUNITE_ROOT_ACCESS_KEY_SECRET !== undefined ? { rootAccessKeySecret: accessKeySecret } : {}),
        ...(o.objects !== undefined ? { objectsDir: o.objects } : {}),
        ...(o.output !== undefined ? { stateFile: o.output } : {}),
      },
    );
    const text = await exportYaml(doc, o.withSecrets === true);
    if (o.output !== undefined) await writeFile(o.output, text, { mode: o.withSecrets ? 0o600 : 0o644 });
    else process.stdout.write(text);
  } finally {
    await meta.close();
    await blobs.close();
  }
}
