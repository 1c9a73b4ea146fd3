import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readOrCreateOnce, syncDir } from './create-once.js';

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
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const path = join(opts.dataDir, MASTER_KEY_FILE);
  // Created whole and durable or not at all, never replacing a key another process created meanwhile
  // (its secrets would become unreadable): util/create-once.ts.
  const text = await readOrCreateOnce(path, async () => `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`);
  await chmod(path, 0o600);
  return decode(text, path);
}

export const PREVIOUS_MASTER_KEY_FILE = 'master.key.previous';

/** The current master key and the ones it replaced (newest first), still accepted for reading. */
export interface MasterKeyRing {
  current: Buffer;
  previous: Buffer[];
}

/** One base64 key per line (or separated by commas/whitespace), newest first. */
function decodeList(text: string, origin: string): Buffer[] {
  return text.split(/[\s,]+/).filter((t) => t !== '').map((t) => decode(t, origin));
}

/**
 * The key ring: the current key as `resolveMasterKey` finds it, and every key `alunite keys rotate` replaced,
 * newest first (`ALUNITE_MASTER_KEY_PREVIOUS`, comma-separated, else `<data>/master.key.previous`, one per
 * line). All previous keys are kept: encrypted objects' data keys sealed under any of them stay readable
 * however many rotations ago (docs/encryption.md), so a rotation can never make data unreadable.
 */
export async function resolveMasterKeyRing(opts: { dataDir: string; inMemory: boolean; env?: NodeJS.ProcessEnv }): Promise<MasterKeyRing> {
  const current = await resolveMasterKey(opts);
  const fromEnv = (opts.env ?? process.env).ALUNITE_MASTER_KEY_PREVIOUS;
  if (fromEnv !== undefined && fromEnv !== '') return { current, previous: decodeList(fromEnv, 'ALUNITE_MASTER_KEY_PREVIOUS') };
  if (opts.inMemory) return { current, previous: [] };
  return { current, previous: await readPrevious(opts.dataDir) };
}

async function readPrevious(dataDir: string): Promise<Buffer[]> {
  const path = join(dataDir, PREVIOUS_MASTER_KEY_FILE);
  try {
    return decodeList(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Writes a key file whole or not at all (temp file, 0600, fsync, rename, directory fsync): neither a crash nor a
 * power loss leaves half a key list, or an empty master.key after the database was re-sealed under the new key.
 */
async function replaceKeyFile(path: string, keys: Buffer[]): Promise<void> {
  const tmp = `${path}.new`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(keys.map((k) => `${k.toString('base64')}\n`).join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/**
 * Rotation on disk: the old `master.key` joins the front of `master.key.previous` (older previous keys stay
 * behind it) and a new random `master.key` is written, both 0600 and each replaced atomically. Returns the
 * old and the new key. The previous list is written first: a crash in between leaves the old key current
 * and also listed as previous, which is harmless.
 */
export async function rotateMasterKeyFile(dataDir: string): Promise<{ previous: Buffer; current: Buffer }> {
  const path = join(dataDir, MASTER_KEY_FILE);
  const previous = decode(await readFile(path, 'utf8'), path);
  const current = randomBytes(MASTER_KEY_BYTES);
  const older = (await readPrevious(dataDir)).filter((k) => !k.equals(previous));
  await replaceKeyFile(join(dataDir, PREVIOUS_MASTER_KEY_FILE), [previous, ...older]);
  await replaceKeyFile(path, [current]);
  return { previous, current };
}

/** Domain separation: this hash of a master key is never the same as any other hash of it. */
const FINGERPRINT_LABEL = 'alunite master-key fingerprint v1\0';

/**
 * A master key's public name: the first 16 hex characters (64 bits) of SHA-256 over a fixed label and the
 * key. Logged at start and recorded by `alunite keys rotate`, so operators can tell which key a process
 * uses without the key leaving it: a hash of a 256-bit random key does not reveal the key, and 64 bits are
 * plenty to tell a few keys apart.
 */
export function masterKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update(FINGERPRINT_LABEL).update(key).digest('hex').slice(0, 16);
}
