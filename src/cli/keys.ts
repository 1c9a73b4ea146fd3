import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { SqliteMetadataStore } from '../store/meta/sqlite.js';
import { resolveMasterKeyRing, rotateMasterKeyFile } from '../util/master-key.js';
import { open, seal } from '../util/secret-box.js';

export interface RotateResult {
  /** RAM AccessKey secrets re-sealed under the new key. */
  resealed: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `alunite keys rotate --data DIR` (server stopped: the data directory's database is opened exclusively):
 * `master.key` becomes `master.key.previous`, a new `master.key` is generated, and every RAM AccessKey
 * secret is re-sealed under the new key. STS tokens issued under the old key stay valid until they
 * expire, because the server verifies with the current and the previous key.
 */
export async function rotateKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<RotateResult> {
  if (env.ALUNITE_MASTER_KEY !== undefined && env.ALUNITE_MASTER_KEY !== '') {
    throw new Error('ALUNITE_MASTER_KEY is set: rotate it where it is configured (set ALUNITE_MASTER_KEY_PREVIOUS to the old value).');
  }
  const keyFile = join(dataDir, 'master.key');
  if (!(await exists(keyFile))) throw new Error(`${keyFile} does not exist: nothing to rotate.`);
  // Every key that may have sealed a secret, read before the files change.
  const ring = await resolveMasterKeyRing({ dataDir, inMemory: false, env: {} });
  const oldKeys = [ring.current, ...ring.previous];
  const dbPath = join(dataDir, 'metadata.sqlite');
  // Opening first fails while a server owns the directory, before anything is changed.
  const store = (await exists(dbPath)) ? new SqliteMetadataStore({ path: dbPath }) : null;
  try {
    const { current } = await rotateMasterKeyFile(dataDir);
    if (!store) return { resealed: 0 };
    const resealed = await store.resealAccessKeySecrets((accessKeyId, sealed) => {
      for (const key of oldKeys) {
        let plain: string;
        try {
          plain = open(key, sealed, accessKeyId);
        } catch {
          continue;
        }
        return seal(current, plain, accessKeyId);
      }
      try {
        open(current, sealed, accessKeyId);
        return sealed;
      } catch {
        throw new Error(`the secret of AccessKey ${accessKeyId} opens with no known master key`);
      }
    });
    return { resealed };
  } finally {
    await store?.close();
  }
}

export function keysCommand(): Command {
  const cmd = new Command('keys').description('manage the master key (seals RAM secrets, signs STS tokens)');
  cmd
    .command('rotate')
    .description('make the current master key the previous one and generate a new one (stop the server first)')
    .requiredOption('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA)
    .action(async (o: { data: string }) => {
      const r = await rotateKeys(o.data);
      process.stdout.write(
        `master key rotated in ${o.data}: the previous key is kept in master.key.previous (STS tokens it issued stay valid until they expire); ` +
          `${r.resealed} RAM AccessKey secret(s) re-sealed with the new key\n`,
      );
    });
  return cmd;
}
