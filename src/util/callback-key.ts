import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readOrCreateOnce } from './create-once.js';

export const CALLBACK_KEY_FILE = 'callback-key.pem';

/** The RSA key pair upload callbacks are signed with (docs/callbacks.md). */
export interface CallbackKey {
  privateKey: KeyObject;
  /** SPKI PEM, served at `/-/callback/public-key.pem` for callback servers to verify with. */
  publicKeyPem: string;
}

function keyOf(privateKey: KeyObject): CallbackKey {
  return { privateKey, publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}

async function generate(): Promise<KeyObject> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey;
}

/**
 * The callback signing key: `<data>/callback-key.pem` (PKCS#8, mode 0600, created on first start) so
 * that callback servers that cache the public key keep verifying across restarts; in memory, a new
 * key per process.
 */
export async function resolveCallbackKey(opts: { dataDir: string; inMemory: boolean }): Promise<CallbackKey> {
  if (opts.inMemory) return keyOf(await generate());
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const path = join(opts.dataDir, CALLBACK_KEY_FILE);
  // Created whole or not at all; another process sharing the directory may have created it: then theirs.
  const pem = await readOrCreateOnce(path, async () => (await generate()).export({ type: 'pkcs8', format: 'pem' }).toString());
  await chmod(path, 0o600);
  return keyOf(createPrivateKey(pem));
}
