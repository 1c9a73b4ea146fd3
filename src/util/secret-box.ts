import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Secrets at rest (RAM AccessKey secrets): AES-256-GCM with the server's master key. The sealed form is
// `v1.` + base64(iv[12] ‖ tag[16] ‖ ciphertext); the AccessKeyId is bound as additional data, so a
// sealed secret copied onto another key's row does not open.

const PREFIX = 'v1.';

export function seal(masterKey: Buffer, plaintext: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

/** Opens a sealed secret; throws when the key is wrong or the data was tampered with. */
export function open(masterKey: Buffer, sealed: string, boundTo: string): string {
  if (!sealed.startsWith(PREFIX)) throw new Error('unknown sealed-secret format');
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(boundTo, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
