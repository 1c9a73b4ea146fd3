import * as nodeCrypto from 'node:crypto';

/**
 * node's one-shot digest, `crypto.hash` (Node 20.12+; undefined before, and callers then use createHash/createHmac):
 * no Hash object per call. HMACs over a key's padded blocks made once use it (util/hmac-sha1.ts, util/fixed-key-hmac.ts).
 */
export const oneShotHash = (nodeCrypto as {
  hash?: (algorithm: string, data: string | Uint8Array, encoding: 'buffer' | 'base64' | 'base64url' | 'hex') => Buffer | string;
}).hash;
