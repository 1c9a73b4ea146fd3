// `alunite init …`: the declared starting state (docs/init.md). `server --init FILE` applies a file at
// start; `init check` validates one; `init export` writes the current state of a data directory.
import { SseKeys } from '../domain/encryption.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { signV1, stringToSignV1 } from '../auth/signature/v1.js';
import { CliError, printJson, remote, run, setEndpointForErrors, usageExitCodes, UsageError } from './output.js';
import { resolveConnection, type Connection, type ConnectionFlags } from './profile.js';
import { BucketService } from '../domain/buckets.js';
import type { DomainContext } from '../domain/context.js';
import { ObjectService } from '../domain/objects.js';
import { exportState, exportYaml } from '../init/export.js';
import { loadState } from '../init/load.js';
import { offlineAccounts } from '../accounts/offline.js';
import { DEV_DEFAULTS } from '../server.js';
import { FsBlobStore } from '../store/blob/fs.js';
import { MemoryBlobStore } from '../store/blob/memory.js';
import { isPostgresUrl, openMetadataStore } from '../store/meta/open.js';
import { resolveMasterKeyRing } from '../util/master-key.js';
import { systemClock } from '../util/time.js';

/** The root account the server runs as: ALUNITE_* variables first, then the state file's `account`, then the development defaults. */
export function rootAccount(initFile: string | undefined, env: NodeJS.ProcessEnv = process.env): { accountId: string; accessKeyId: string; accessKeySecret: string; usingDevKeys: boolean } {
  const declared = initFile !== undefined ? loadState(initFile, env).account : undefined;
  const accountId = env.ALUNITE_ACCOUNT_ID ?? declared?.id ?? DEV_DEFAULTS.accountId;
  const accessKeyId = env.ALUNITE_ROOT_ACCESS_KEY_ID ?? declared?.rootAccessKey?.id ?? DEV_DEFAULTS.accessKeyId;
  const accessKeySecret = env.ALUNITE_ROOT_ACCESS_KEY_SECRET ?? declared?.rootAccessKey?.secret ?? DEV_DEFAULTS.accessKeySecret;
  return { accountId, accessKeyId, accessKeySecret, usingDevKeys: accessKeyId === DEV_DEFAULTS.accessKeyId };
}

interface ExportFlags {
  data?: string;
  meta?: string;
  withSecrets?: boolean;
  output?: string;
  objects?: string;
}

async function runExport(o: ExportFlags): Promise<void> {
  const env = process.env;
  const postgres = isPostgresUrl(o.meta);
  if (!postgres && (o.data === undefined || o.data === '')) throw new UsageError("required option '--data <dir>' not specified (or --meta postgres://…)");
  const dataDir = o.data ?? '';
  // A mistyped --data must not create an empty store (and a master key) and export nothing.
  if (!postgres && !existsSync(join(dataDir, 'metadata.sqlite'))) throw new Error(`${dataDir} holds no alunite data (no metadata.sqlite)`);
  const { accountId, accessKeyId, accessKeySecret } = rootAccount(undefined, env);
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
    const text = exportYaml(doc, o.withSecrets === true);
    if (o.output !== undefined) await writeFile(o.output, text, { mode: o.withSecrets ? 0o600 : 0o644 });
    else process.stdout.write(text);
  } finally {
    await meta.close();
    await blobs.close();
  }
}

/** `POST /-/reset` signed (V1) with the connection's key; the server's answer, or a CliError with its code. */
async function postReset(conn: Connection): Promise<{ stateFile: string | null; changes: string[] }> {
  setEndpointForErrors(conn.endpoint);
  const date = new Date().toUTCString();
  const headers: Record<string, string> = { date };
  if (conn.securityToken !== undefined) headers['x-oss-security-token'] = conn.securityToken;
  const toSign = stringToSignV1({ method: 'POST', bucket: '-', key: 'reset', query: [], headers }, date, false);
  headers.authorization = `OSS ${conn.accessKeyId}:${signV1(conn.accessKeySecret, toSign)}`;
  const res = await fetch(`${conn.endpoint.replace(/\/+$/, '')}/-/reset`, { method: 'POST', headers });
  const text = await res.text();
  if (!res.ok) {
    const field = (name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
    throw new CliError(field('Code') ?? `HTTP${res.status}`, field('Message') ?? text.slice(0, 200), field('RequestId'));
  }
  return JSON.parse(text) as { stateFile: string | null; changes: string[] };
}

export function initCommand(): Command {
  const cmd = new Command('init').description('the declared starting state: users, keys, roles, policies, buckets, objects (docs/init.md)');
  cmd
    .command('check <file>')
    .description('validate a state file and list every error with its line and field (exit 1 when there is one)')
    .action((file: string) => {
      const state = loadState(file);
      process.stdout.write(
        `${state.file}: valid: ${state.users.length} user(s), ${state.groups.length} group(s), ${state.policies.length} policy(ies), ` +
          `${state.roles.length} role(s), ${state.buckets.length} bucket(s)${state.accounts?.length ? `, ${state.accounts.length} other account(s)` : ''}\n`,
      );
    });
  cmd
    .command('export')
    .description('write the current state of a data directory (stop the server first) in the state-file format')
    .option('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA)
    .option('--meta <url>', 'a postgres:// metadata store (env ALUNITE_META)', process.env.ALUNITE_META)
    .option('--with-secrets', 'include the AccessKey secrets (and the root key from ALUNITE_ROOT_ACCESS_KEY_*)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--objects <dir>', 'also write every object\'s bytes under this directory and declare them')
    .action(runExport);
  const resetCmd = remote(
    cmd.command('reset').description('POST /-/reset: remove everything and apply the server\'s --init file again (server started with --allow-reset; root credentials)'),
  );
  resetCmd.action(
    run(async () => {
      const o = resetCmd.opts<ConnectionFlags & { json?: boolean }>();
      const out = await postReset(await resolveConnection(o));
      if (o.json) printJson(out);
      else process.stdout.write(`reset to ${out.stateFile ?? 'an empty server (no --init file)'}: ${out.changes.length} change(s) applied\n`);
    }),
  );
  return usageExitCodes(cmd);
}
