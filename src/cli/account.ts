// `alunite account create|list|delete` (docs/accounts.md): the accounts a server holds besides its own, managed
// by its operator on the metadata store (SQLite: stop the server first; PostgreSQL: any time, the servers see
// the change on their next request).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { AccountInfo, AccountRegistry } from '../accounts/registry.js';
import { isPostgresUrl, openMetadataStore } from '../store/meta/open.js';
import { MASTER_KEY_FILE, resolveMasterKeyRing } from '../util/master-key.js';
import { checkMasterKey } from '../util/key-check.js';
import { describeUrl } from '../store/meta/postgres/url.js';
import { formatTable, printJson, UsageError } from './output.js';

interface StoreFlags {
  data?: string;
  meta?: string;
  json?: boolean;
}

/** Opens the store the server uses, with the same master key ring, and runs `fn` on its accounts. */
async function withAccounts<T>(o: StoreFlags, create: boolean, fn: (accounts: AccountRegistry) => Promise<T>): Promise<T> {
  const postgres = isPostgresUrl(o.meta);
  if (o.meta !== undefined && o.meta !== '' && o.meta !== 'sqlite' && !postgres) throw new UsageError('--meta must be "sqlite" or a postgres:// URL');
  if (!postgres && (o.data === undefined || o.data === '')) throw new UsageError("required option '--data <dir>' (or --meta postgres://…) not specified");
  const dataDir = o.data ?? '';
  // Only `create` may start a data directory; a mistyped --data must not create an empty store elsewhere.
  if (!postgres && !create && !existsSync(join(dataDir, 'metadata.sqlite'))) throw new Error(`${dataDir} holds no alunite data (no metadata.sqlite)`);
  if (postgres && dataDir === '' && (process.env.ALUNITE_MASTER_KEY ?? '') === '') {
    throw new UsageError('with --meta postgres://…, set ALUNITE_MASTER_KEY as the servers have it, or give --data DIR holding master.key');
  }
  const ring = await resolveMasterKeyRing({ dataDir, inMemory: dataDir === '' });
  const meta = await openMetadataStore({ meta: o.meta, sqlitePath: join(dataDir, 'metadata.sqlite') });
  try {
    // Root keys are sealed here: with the servers' key only (util/key-check.ts), as a server checks at start.
    const envKey = process.env.ALUNITE_MASTER_KEY ?? '';
    const checked = await checkMasterKey(meta, ring, {
      keySource: envKey !== '' ? 'ALUNITE_MASTER_KEY' : join(dataDir, MASTER_KEY_FILE),
      store: postgres ? describeUrl(o.meta!) : join(dataDir, 'metadata.sqlite'),
    });
    if (!checked.ok) throw Object.assign(new Error(checked.message), { code: checked.code });
    // Loaded here, not with the CLI: every command loads this file.
    const [{ rootAccount }, { offlineAccounts }] = await Promise.all([import('./root-account.js'), import('../accounts/offline.js')]);
    const own = await rootAccount(undefined, process.env);
    return await fn(offlineAccounts(meta, { accountId: own.accountId, accessKeyId: own.accessKeyId }, ring));
  } finally {
    await meta.close();
  }
}

const json = (a: AccountInfo): Record<string, unknown> => ({
  accountId: a.accountId, name: a.name, accessKeyId: a.accessKeyId, default: a.isDefault,
  createDate: a.createDate === null ? null : new Date(a.createDate).toISOString(),
});

function storeOptions(c: Command): Command {
  return c
    .option('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA)
    .option('--meta <url>', 'a postgres:// metadata store (env ALUNITE_META)', process.env.ALUNITE_META);
}

export function accountCommand(): Command {
  const cmd = new Command('account').description('accounts held by the server besides its own: each with its root key, RAM entities and buckets (docs/accounts.md)');
  storeOptions(cmd.command('create').description('create an account and its root AccessKey (the secret is shown only here)'))
    .option('--id <accountId>', '16 digits (default: generated)')
    .option('--name <name>', 'a name shown by `account list`')
    .option('--access-key-id <id>', 'the root AccessKeyId (default: generated)')
    .option('--access-key-secret <secret>', 'the root AccessKeySecret (default: generated)')
    .action(async (o: StoreFlags & { id?: string; name?: string; accessKeyId?: string; accessKeySecret?: string }) => {
      if ((o.accessKeyId === undefined) !== (o.accessKeySecret === undefined)) throw new UsageError('--access-key-id and --access-key-secret go together');
      const a = await withAccounts(o, true, (accounts) => accounts.create({
        ...(o.id !== undefined ? { accountId: o.id } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.accessKeyId !== undefined ? { accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret! } : {}),
      }));
      if (o.json) return printJson({ ...json(a), accessKeySecret: a.accessKeySecret });
      process.stdout.write(`accountId        ${a.accountId}\naccessKeyId      ${a.accessKeyId}\naccessKeySecret  ${a.accessKeySecret}\n`);
    });
  storeOptions(cmd.command('list').description('every account: the server\'s own (default) first'))
    .action(async (o: StoreFlags) => {
      const all = await withAccounts(o, false, (accounts) => accounts.list());
      if (o.json) return printJson({ accounts: all.map(json) });
      process.stdout.write(formatTable(
        all.map((a) => [a.accountId, a.isDefault ? 'yes' : '', a.accessKeyId, a.name]),
        ['ACCOUNT', 'DEFAULT', 'ROOT ACCESSKEYID', 'NAME'],
      ));
    });
  storeOptions(cmd.command('delete <accountId>').description('delete an account that holds no bucket and no RAM entity any more'))
    .action(async (accountId: string, o: StoreFlags) => {
      await withAccounts(o, false, (accounts) => accounts.delete(accountId));
      if (o.json) return printJson({ deleted: accountId });
      process.stdout.write(`deleted account ${accountId}\n`);
    });
  return cmd;
}
