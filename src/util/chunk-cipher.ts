import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

// Encryption at rest in independently decryptable chunks: a range read decrypts only the chunks it
// touches, and every chunk is authenticated, so a changed, swapped or cut byte is an error, never
// different plaintext. Layout of an encrypted blob (or inline row):
//
//   header (16 bytes): "ALSE" | version 1 | cipher id | 0 0 | nonce prefix (8 random bytes)
//   chunk i: ciphertext of plaintext bytes [i·64 KiB, (i+1)·64 KiB) ‖ 16-byte tag
//
// The nonce of chunk i is prefix ‖ uint32be(i): unique per chunk of a blob, and across the blobs of one
// data key (several parts or appends of an object) because each blob draws its own random prefix.
// The header is authenticated with every chunk. The plaintext length is not in the blob: the caller
// knows it (the segment's size), so a blob cut at a chunk boundary is caught as a missing chunk.

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const HEADER_SIZE = 16;
const MAGIC = Buffer.from('ALSE', 'latin1');
const VERSION = 1;

/** The ciphers: AES-256-GCM, or SM4 (128-bit key) in CTR mode with an HMAC-SHA256 tag (Node has no SM4-GCM). */
export const CHUNK_CIPHERS = { 'aes-256-gcm': 1, 'sm4-ctr-hmac-sha256': 2 } as const;
export type ChunkCipherName = keyof typeof CHUNK_CIPHERS;

/** A cipher as plain data, to rebuild it on a worker thread. */
export interface CipherSpec {
  name: ChunkCipherName;
  dataKey: Buffer;
}

/** Offset of chunk `index` in a sealed blob. */
export const sealedOffset = (index: number): number => HEADER_SIZE + index * (CHUNK_SIZE + TAG_SIZE);

/** Thrown when stored bytes fail authentication (tampered, truncated or under another key). */
export class CorruptCiphertextError extends Error {
  constructor(what: string) {
    super(`encrypted data failed authentication: ${what}`);
    this.name = 'CorruptCiphertextError';
  }
}

/** Size of the stored form of `plainSize` bytes. */
export function sealedSize(plainSize: number): number {
  return HEADER_SIZE + plainSize + Math.ceil(plainSize / CHUNK_SIZE) * TAG_SIZE;
}

function nonceOf(prefix: Buffer, index: number): Buffer {
  const n = Buffer.allocUnsafe(12);
  prefix.copy(n, 0, 0, 8);
  n.writeUInt32BE(index, 8);
  return n;
}

/** Per-data-key cipher state: seals and opens chunks of blobs written under that key. */
export class ChunkCipher {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer | null;

  /** `dataKey` is kept only so that a worker thread can build the same cipher (see `spec`). */
  constructor(readonly name: ChunkCipherName, private readonly dataKey: Buffer) {
    if (dataKey.length !== 32) throw new Error('a data key is 32 bytes');
    if (name === 'aes-256-gcm') {
      this.encKey = dataKey;
      this.macKey = null;
    } else {
      // Two keys from one: SM4 takes 128 bits; the tag has its own key.
      this.encKey = createHmac('sha256', dataKey).update('alunite sm4 enc').digest().subarray(0, 16);
      this.macKey = createHmac('sha256', dataKey).update('alunite sm4 mac').digest();
    }
  }

  /** What a worker thread needs to build this cipher (`new ChunkCipher(spec.name, spec.dataKey)`). */
  spec(): CipherSpec {
    return { name: this.name, dataKey: this.dataKey };
  }

  /** A new blob's header (fresh random nonce prefix). */
  newHeader(): Buffer {
    const h = Buffer.alloc(HEADER_SIZE);
    MAGIC.copy(h, 0);
    h[4] = VERSION;
    h[5] = CHUNK_CIPHERS[this.name];
    randomBytes(8).copy(h, 8);
    return h;
  }

  checkHeader(header: Buffer): void {
    if (header.length !== HEADER_SIZE || !header.subarray(0, 4).equals(MAGIC) || header[4] !== VERSION || header[5] !== CHUNK_CIPHERS[this.name]) {
      throw new CorruptCiphertextError('bad header');
    }
  }

  /** ciphertext ‖ tag of chunk `index`. */
  seal(header: Buffer, index: number, plain: Buffer): Buffer[] {
    const nonce = nonceOf(header.subarray(8, 16), index);
    if (this.macKey === null) {
      const c = createCipheriv('aes-256-gcm', this.encKey, nonce);
      c.setAAD(header);
      const ct = c.update(plain);
      c.final();
      return [ct, c.getAuthTag()];
    }
    const c = createCipheriv('sm4-ctr', this.encKey, Buffer.concat([nonce, Buffer.alloc(4)]));
    const ct = Buffer.concat([c.update(plain), c.final()]);
    return [ct, this.mac(header, nonce, ct)];
  }

  /** The sealed form of `plain` cut into chunks numbered from `first` (all but the last CHUNK_SIZE long). */
  sealRun(header: Buffer, first: number, plain: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    const view = Buffer.from(plain.buffer, plain.byteOffset, plain.length);
    for (let i = first, off = 0; off < view.length; i++, off += CHUNK_SIZE) out.push(...this.seal(header, i, view.subarray(off, off + CHUNK_SIZE)));
    return out;
  }

  /** The plaintext of chunk `index` from ciphertext ‖ tag; throws CorruptCiphertextError if it does not authenticate. */
  open(header: Buffer, index: number, sealed: Buffer): Buffer {
    if (sealed.length < TAG_SIZE) throw new CorruptCiphertextError(`chunk ${index} is cut`);
    const nonce = nonceOf(header.subarray(8, 16), index);
    const ct = sealed.subarray(0, sealed.length - TAG_SIZE);
    const tag = sealed.subarray(sealed.length - TAG_SIZE);
    if (this.macKey === null) {
      const d = createDecipheriv('aes-256-gcm', this.encKey, nonce);
      d.setAAD(header);
      d.setAuthTag(tag);
      const pt = d.update(ct);
      try {
        d.final();
      } catch {
        throw new CorruptCiphertextError(`chunk ${index}`);
      }
      return pt;
    }
    if (!this.mac(header, nonce, ct).equals(tag)) throw new CorruptCiphertextError(`chunk ${index}`);
    const d = createDecipheriv('sm4-ctr', this.encKey, Buffer.concat([nonce, Buffer.alloc(4)]));
    return Buffer.concat([d.update(ct), d.final()]);
  }

  private mac(header: Buffer, nonce: Buffer, ct: Buffer): Buffer {
    return createHmac('sha256', this.macKey!).update(header).update(nonce).update(ct).digest().subarray(0, TAG_SIZE);
  }

  /** The stored form of a whole small buffer (inline objects). */
  sealBuffer(plain: Buffer): Buffer {
    const header = this.newHeader();
    const parts: Buffer[] = [header];
    for (let i = 0, off = 0; off < plain.length; i++, off += CHUNK_SIZE) parts.push(...this.seal(header, i, plain.subarray(off, off + CHUNK_SIZE)));
    return Buffer.concat(parts);
  }

  /** Opens what sealBuffer made; `plainSize` is the expected plaintext length. */
  openBuffer(sealed: Buffer, plainSize: number): Buffer {
    if (sealed.length !== sealedSize(plainSize)) throw new CorruptCiphertextError('wrong length');
    const header = sealed.subarray(0, HEADER_SIZE);
    this.checkHeader(header);
    const parts: Buffer[] = [];
    let off = HEADER_SIZE;
    for (let i = 0; off < sealed.length; i++) {
      const n = Math.min(CHUNK_SIZE + TAG_SIZE, sealed.length - off);
      parts.push(this.open(header, i, sealed.subarray(off, off + n)));
      off += n;
    }
    return Buffer.concat(parts);
  }

  /**
   * Encrypts a stream as it flows (header first, then one sealed chunk per 64 KiB). Each source chunk is
   * used before the next is pulled (sources may reuse their memory); each yielded buffer is fresh.
   */
  async *sealStream(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const header = this.newHeader();
    yield header;
    const carry = Buffer.allocUnsafe(CHUNK_SIZE);
    let fill = 0;
    let index = 0;
    for await (const chunk of source) {
      const out: Buffer[] = [];
      let off = 0;
      while (off < chunk.length) {
        if (fill === 0 && chunk.length - off >= CHUNK_SIZE) {
          out.push(...this.seal(header, index++, chunk.subarray(off, off + CHUNK_SIZE)));
          off += CHUNK_SIZE;
          continue;
        }
        const n = Math.min(CHUNK_SIZE - fill, chunk.length - off);
        chunk.copy(carry, fill, off, off + n);
        fill += n;
        off += n;
        if (fill === CHUNK_SIZE) {
          out.push(...this.seal(header, index++, carry));
          fill = 0;
        }
      }
      if (out.length > 0) yield Buffer.concat(out);
    }
    if (fill > 0) for (const b of this.seal(header, index, carry.subarray(0, fill))) yield b;
  }

  /**
   * Plaintext bytes [start, end) of a blob holding `plainSize` bytes, reading only the chunks they touch.
   * `read(a, b)` streams stored bytes [a, b).
   */
  async *openRange(read: (start: number, end: number) => AsyncIterable<Buffer>, plainSize: number, start: number, end: number): AsyncGenerator<Buffer> {
    if (end <= start) return;
    const first = Math.floor(start / CHUNK_SIZE);
    const last = Math.floor((end - 1) / CHUNK_SIZE);
    const chunks = Math.ceil(plainSize / CHUNK_SIZE);
    if (last >= chunks) throw new RangeError('range beyond the blob');
    const storedAt = sealedOffset;
    const storedEnd = Math.min(storedAt(last + 1), sealedSize(plainSize));
    // From the start, the header comes with the first chunk; else one small read for it.
    const from = first === 0 ? 0 : storedAt(first);
    let header: Buffer | null = null;
    if (first !== 0) {
      header = await readExactly(read(0, HEADER_SIZE), HEADER_SIZE, 'header');
      this.checkHeader(header);
    }
    const chunkLen = (i: number): number => Math.min(CHUNK_SIZE, plainSize - i * CHUNK_SIZE) + TAG_SIZE;
    let index = first;
    let buf = Buffer.allocUnsafe(first === 0 ? HEADER_SIZE : chunkLen(first));
    let need = buf.length;
    let fill = 0;
    let received = from;
    for await (const piece of read(from, storedEnd)) {
      received += piece.length;
      let off = 0;
      while (off < piece.length) {
        let sealed: Buffer;
        if (fill === 0 && piece.length - off >= need) {
          // The whole unit is in this piece: no copy.
          sealed = piece.subarray(off, off + need);
          off += need;
        } else {
          const n = Math.min(need - fill, piece.length - off);
          piece.copy(buf, fill, off, off + n);
          fill += n;
          off += n;
          if (fill < need) continue;
          sealed = buf.subarray(0, need);
        }
        if (header === null) {
          header = Buffer.from(sealed);
          this.checkHeader(header);
        } else {
          const plain = this.open(header, index, sealed);
          const base = index * CHUNK_SIZE;
          const a = Math.max(start, base) - base;
          const b = Math.min(end, base + plain.length) - base;
          yield a === 0 && b === plain.length ? plain : plain.subarray(a, b);
          index++;
        }
        if (index > last) break;
        need = chunkLen(index);
        if (buf.length < need) buf = Buffer.allocUnsafe(need);
        fill = 0;
      }
    }
    if (index <= last || received < storedEnd) throw new CorruptCiphertextError(`blob is cut (chunk ${index})`);
  }
}

async function readExactly(src: AsyncIterable<Buffer>, n: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  for await (const p of src) {
    parts.push(p);
    got += p.length;
  }
  if (got < n) throw new CorruptCiphertextError(`${what} is cut`);
  return Buffer.concat(parts).subarray(0, n);
}
