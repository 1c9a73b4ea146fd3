import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';

function decode(text: string, origin: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`${origin} must be ${MASTER_KEY_BYTES} bytes, base64-encoded.`);
  return key;
}

/**
 * The master key that seals secrets at rest: `ALUNITE_MASTER_KEY` (base64, 32 bytes) when set; else, on
 * disk, `<data>/master.key` (created with mode 0600 on first start); in memory, a random key per process.
 * The key itself is never logged.
 */
export async function resolveMasterKey(opts: { dataDir: string; inMemory: boolean; env?: NodeJS.ProcessEnv }): Promise<Buffer> {
  const fromEnv = (opts.env ?? process.env).ALUNITE_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return decode(fromEnv, 'ALUNITE_MASTER_KEY');
  if (opts.inMemory) return randomBytes(MASTER_KEY_BYTES);
  await mkdir(opts.dataDir, { recursive: true });
  const path = join(opts.dataDir, MASTER_KEY_FILE);
  try {
    return decode(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  // 'wx': never overwrite a key another process created meanwhile (its secrets would become unreadable).
  try {
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return decode(await readFile(path, 'utf8'), path);
    throw err;
  }
  await chmod(path, 0o600);
  return key;
}
