import { createHmac } from 'node:crypto';
import { oneShotHash as oneShot } from './one-shot-hash.js';

/** Longest message (UTF-16 units) FixedKeyHmac hashes in its own buffer; longer ones go through createHmac. */
const FIXED_MAC_MAX_UNITS = 128;

/**
 * base64url(HMAC-SHA256(key, utf8(message))) under one key, as H(key ⊕ opad ‖ H(key ⊕ ipad ‖ message)) through two
 * one-shot hashes over the key's padded blocks, made once (RFC 2104): createHmac built a Hmac object (an OpenSSL
 * context fetched by name, its JavaScript wrapper) for every AssumeRole and every first use of a token
 * (docs/performance.md, AssumeRole stage table). Tested against createHmac (test/sts-tokens.test.ts).
 */
export class FixedKeyHmac {
  /** key ⊕ ipad, then room for the message's UTF-8. */
  private readonly inner = Buffer.alloc(64 + FIXED_MAC_MAX_UNITS * 3);
  /** key ⊕ opad, then the inner digest. */
  private readonly outer = Buffer.alloc(64 + 32);

  constructor(private readonly key: Buffer) {
    for (let i = 0; i < 64; i++) {
      const k = i < key.length ? key[i]! : 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
  }

  base64url(message: string): string {
    // Keys over one block are hashed first by HMAC; none here is (32 bytes), but createHmac knows that rule.
    if (oneShot === undefined || this.key.length > 64 || message.length > FIXED_MAC_MAX_UNITS) {
      return createHmac('sha256', this.key).update(message, 'utf8').digest('base64url');
    }
    const n = this.inner.write(message, 64, 'utf8');
    this.outer.set(oneShot('sha256', this.inner.subarray(0, 64 + n), 'buffer') as Buffer, 64);
    return oneShot('sha256', this.outer, 'base64url') as string;
  }
}
