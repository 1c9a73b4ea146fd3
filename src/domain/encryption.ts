import { createHmac, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../errors.js';
import { ChunkCipher, CorruptCiphertextError, sealedSize, type ChunkCipherName } from '../util/chunk-cipher.js';
import { readSealedOffLoop } from '../util/sealed-reader.js';
import { open as openSealed, seal } from '../util/secret-box.js';
import { deleteConfig, jsonConfig, putConfig, readConfig } from './bucket-config.js';
import type { BucketIncarnation } from '../store/meta/types.js';
import { requireBucket, type DomainContext } from './context.js';
import type { BlobFile, BlobStore, BlobWriteResult } from '../store/blob/types.js';
import type { Bucket, ObjectRecord } from './model.js';

// Server-side encryption (OSS SSE-OSS, SSE-KMS, SM4) with a local key registry; docs/encryption.md.
// Every encrypted object (and multipart upload) has its own random 256-bit data key, kept in its attrs
// sealed (AES-256-GCM) under a key-encryption key: for AES256 and SM4 one derived from the master key,
// for KMS one derived from the master key and the named KMS key. Bytes are sealed in 64 KiB chunks
// (util/chunk-cipher.ts) in the blob files and in inline rows alike.

export const SSE_ALGORITHMS = ['AES256', 'KMS', 'SM4'] as const;
export type SseAlgorithm = (typeof SSE_ALGORITHMS)[number];

/** What a write asks for (headers, form fields) or a bucket applies by default. */
export interface SseSetting {
  algorithm: SseAlgorithm;
  /** KMS only: the registry key that wraps the data key (the default key when absent). */
  kmsKeyId?: string;
  /** KMS only: 'SM4' encrypts the data with SM4 instead of AES-256. */
  dataEncryption?: 'SM4';
}

/** Per-object (and per-upload) encryption state in `ObjectAttrs.encryption`. */
export interface SseState {
  algorithm: SseAlgorithm;
  /** KMS: the key id echoed in x-oss-server-side-encryption-key-id. */
  kmsKeyId?: string;
  dataEncryption?: 'SM4';
  cipher: ChunkCipherName;
  /** The data key, sealed (secret-box form) under the key-encryption key. */
  dataKey: string;
}

/** The bucket default encryption as stored (ConfigKind 'encryption'). */
export const encryptionConfig = jsonConfig<SseSetting>('encryption');

export function bucketDefaultEncryption(bucket: Bucket): SseSetting | null {
  return readConfig(bucket, encryptionConfig);
}

/** The one error for an algorithm OSS does not know (headers, form fields and PutBucketEncryption alike). */
export function badAlgorithm(value: string): AppError {
  return new AppError('InvalidEncryptionAlgorithmError', undefined, { ArgumentName: 'x-oss-server-side-encryption', ArgumentValue: value });
}

/**
 * Validates a requested setting. Case matters as in OSS (`aes256` is refused). The key id and the data
 * encryption only apply to KMS; with another algorithm OSS ignores them on object writes, so they are
 * dropped here (PutBucketEncryption refuses them instead: parseBucketEncryption).
 */
export function parseSseSetting(algorithm: string, kmsKeyId: string | undefined, dataEncryption: string | undefined): SseSetting {
  if (!(SSE_ALGORITHMS as readonly string[]).includes(algorithm)) throw badAlgorithm(algorithm);
  const alg = algorithm as SseAlgorithm;
  if (alg !== 'KMS') return { algorithm: alg };
  return kmsSetting(kmsKeyId ?? '', dataEncryption ?? '', 'x-oss-server-side-encryption-key-id', 'x-oss-server-side-data-encryption');
}

/**
 * A KMS setting's key id and data encryption, checked the same way for object headers and bucket rules
 * (only the argument names differ). Any key id OSS could take is accepted (the Java SDK v2's and Python SDK v2's
 * tests put OSS's own masked example `9468da86-…-6eab1eac****`): 1–128 printable ASCII characters, so it can be
 * stored and echoed in a header; whether the registry has it is checked when data is written (EC 0005-00000208).
 */
function kmsSetting(keyId: string, dataEnc: string, keyArg: string, dataArg: string): SseSetting {
  const s: SseSetting = { algorithm: 'KMS' };
  if (keyId !== '') {
    if (!KEY_ID.test(keyId)) throw invalidArgument(`The ${keyArg} is invalid: 1-128 printable ASCII characters, no spaces.`, keyArg, keyId.slice(0, 256));
    s.kmsKeyId = keyId;
  }
  if (dataEnc !== '') {
    if (dataEnc !== 'SM4') throw invalidArgument(`The ${dataArg} is invalid; the only valid value is SM4.`, dataArg, dataEnc.slice(0, 256));
    s.dataEncryption = 'SM4';
  }
  return s;
}

/** What a KMS key id in a request may be: printable ASCII without spaces, as a header value can carry it. */
const KEY_ID = /^[\x21-\x7e]{1,128}$/;

/** Key names of the local KMS registry (a subset of KEY_ID). */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9/_.:-]{0,127}$/;

/** The key the registry always has: KMS without a key id uses it (OSS's default OSS-managed CMK). */
export const DEFAULT_KMS_KEY = 'alunite/oss-default';

export function assertKmsKeyName(name: string): void {
  if (!KEY_NAME.test(name)) throw new Error(`invalid KMS key name ${JSON.stringify(name)} (1-128 of A-Z a-z 0-9 / _ . : -, starting with a letter or digit)`);
}

/**
 * The local key registry and the master key ring. KMS keys are names; their key material is derived from
 * the master key (HMAC-SHA256 with the name), so the registry itself holds no secret. Data keys sealed under a
 * previous master key (after `alunite keys rotate`) still open.
 */
export class SseKeys {
  private readonly kms: Set<string>;

  constructor(
    private readonly masterKeys: { current: Buffer; previous: Buffer[] },
    kmsKeyNames: Iterable<string> = [],
  ) {
    this.kms = new Set([DEFAULT_KMS_KEY]);
    for (const n of kmsKeyNames) {
      assertKmsKeyName(n);
      this.kms.add(n);
    }
  }

  kmsKeys(): string[] {
    return [...this.kms].sort();
  }

  private kek(master: Buffer, s: Pick<SseState, 'algorithm' | 'kmsKeyId'>): Buffer {
    const label = s.algorithm === 'KMS' ? `alunite kms key v1\0${s.kmsKeyId ?? DEFAULT_KMS_KEY}` : 'alunite sse-oss key v1';
    return createHmac('sha256', master).update(label).digest();
  }

  /** A fresh per-object state for a validated setting (UnknownKey when the KMS key is not registered). */
  newState(setting: SseSetting): SseState {
    const state: Omit<SseState, 'dataKey'> = {
      algorithm: setting.algorithm,
      cipher: setting.algorithm === 'SM4' || setting.dataEncryption === 'SM4' ? 'sm4-ctr-hmac-sha256' : 'aes-256-gcm',
    };
    if (setting.algorithm === 'KMS') {
      const id = setting.kmsKeyId ?? DEFAULT_KMS_KEY;
      if (!this.kms.has(id)) {
        throw new AppError('InvalidArgument', 'The specified KMS key does not exist in this server\'s key registry.', { ArgumentName: 'x-oss-server-side-encryption-key-id', ArgumentValue: id }, '0005-00000208');
      }
      state.kmsKeyId = id;
      if (setting.dataEncryption) state.dataEncryption = setting.dataEncryption;
    }
    const dataKey = randomBytes(32);
    return { ...state, dataKey: seal(this.kek(this.masterKeys.current, state), dataKey.toString('base64'), boundTo(state)) };
  }

  /** The chunk cipher of an object's (or upload's) state. */
  cipherOf(state: SseState): ChunkCipher {
    return new ChunkCipher(state.cipher, this.dataKeyOf(state));
  }

  private dataKeyOf(state: SseState): Buffer {
    for (const master of [this.masterKeys.current, ...this.masterKeys.previous]) {
      let key: string;
      try {
        key = openSealed(this.kek(master, state), state.dataKey, boundTo(state));
      } catch {
        continue;
      }
      return Buffer.from(key, 'base64');
    }
    throw new CorruptCiphertextError('the data key does not open under any master key');
  }

  /**
   * The same data key sealed under the current master key (after a rotation, so the object stays readable
   * once the old key is forgotten). The bytes do not change.
   */
  rewrap(state: SseState): SseState {
    const dataKey = this.dataKeyOf(state);
    return { ...state, dataKey: seal(this.kek(this.masterKeys.current, state), dataKey.toString('base64'), boundTo(state)) };
  }
}

/** The sealed data key is bound to its setting: attrs edited to claim another key do not open. */
function boundTo(s: Pick<SseState, 'algorithm' | 'kmsKeyId' | 'dataEncryption' | 'cipher'>): string {
  return `sse:${s.algorithm}:${s.kmsKeyId ?? ''}:${s.dataEncryption ?? ''}:${s.cipher}`;
}

/** Whether two states encrypt the same way as a client sees it (algorithm, key id, data encryption). */
export function sameSetting(a: SseState | undefined, b: SseSetting | null): boolean {
  if (!a || !b) return !a && !b;
  return a.algorithm === b.algorithm && (a.kmsKeyId ?? '') === (b.algorithm === 'KMS' ? (b.kmsKeyId ?? DEFAULT_KMS_KEY) : '') && (a.dataEncryption ?? '') === (b.dataEncryption ?? '');
}

const sealedOnly = (): never => {
  throw new Error('read sealed blobs with readSealed');
};

/** A BlobStore view whose writes are sealed with `cipher` (reads go through readSealed). */
export function sealingStore(blobs: BlobStore, cipher: ChunkCipher): BlobStore {
  const create = blobs.create?.bind(blobs);
  return {
    // A file store: the writer (ingest's worker thread) seals each block as it writes it.
    ...(create === undefined ? {} : { create: async (): Promise<BlobFile> => sealingFile(await create(), cipher) }),
    async put(source: AsyncIterable<Buffer>): Promise<BlobWriteResult> {
      let plain = 0;
      const counted = (async function* () {
        for await (const chunk of source) {
          plain += chunk.length;
          yield chunk;
        }
      })();
      const { blobId } = await blobs.put(cipher.sealStream(counted));
      return { blobId, size: plain };
    },
    read: sealedOnly,
    readRanges: sealedOnly,
    delete: (ids) => blobs.delete(ids),
    list: (opts) => blobs.list(opts),
    cleanTemp: (opts) => blobs.cleanTemp(opts),
    close: () => blobs.close(),
  };
}

/** A file of a store, written sealed: sizes given to it are plaintext sizes, the file holds the sealed form. */
function sealingFile(file: BlobFile, cipher: ChunkCipher): BlobFile {
  let plain = 0;
  let sealed = 0;
  return {
    fd: file.fd,
    seal: { cipher: cipher.spec(), header: cipher.newHeader() },
    wrote(bytes: number): void {
      plain += bytes;
      const now = sealedSize(plain);
      file.wrote(now - sealed);
      sealed = now;
    },
    async commit(size: number): Promise<BlobWriteResult> {
      const { blobId } = await file.commit(sealedSize(size));
      return { blobId, size };
    },
    abort: (cause) => file.abort(cause),
  };
}

/**
 * Plaintext [start, end) of a sealed blob holding `plainSize` bytes: decrypted on a worker thread when the
 * store gives a descriptor (large reads), else here.
 */
export function readSealed(blobs: BlobStore, cipher: ChunkCipher, blobId: string, plainSize: number, start: number, end: number): AsyncIterable<Buffer> {
  if (blobs.openRead === undefined || end - start < OFF_LOOP_READ_MIN) {
    return cipher.openRange((a, b) => blobs.read(blobId, a, b) as AsyncIterable<Buffer>, plainSize, start, end);
  }
  const openRead = blobs.openRead.bind(blobs);
  return (async function* (): AsyncGenerator<Buffer> {
    const file = await openRead(blobId);
    try {
      yield* readSealedOffLoop(file.fd, cipher.spec(), plainSize, start, end);
    } finally {
      await file.close();
    }
  })();
}

/** Reads shorter than this decrypt on the event loop: a worker round trip would cost more. */
const OFF_LOOP_READ_MIN = 256 * 1024;

/** Readable over an async iterable of buffers (byte mode). */
export function byteStream(it: AsyncIterable<Buffer>): Readable {
  return Readable.from(it, { objectMode: false });
}

/** The encryption state of an object, if it is encrypted. */
export function sseOf(obj: Pick<ObjectRecord, 'attrs'>): SseState | undefined {
  return obj.attrs?.encryption;
}

/** What PutBucketEncryption's ApplyServerSideEncryptionByDefault holds, as text from the request. */
export interface BucketEncryptionInput {
  algorithm: string;
  kmsKeyId?: string;
  dataEncryption?: string;
}

/**
 * Validates a bucket default encryption with the documented errors; nothing is stored on failure. As OSS:
 * `KMSMasterKeyID` with another algorithm than KMS is refused, `KMSDataEncryption` with one is ignored
 * (GetBucketEncryption then shows none), and a KMS key id is not looked up here: a write under a key the
 * registry does not have fails then.
 */
export function parseBucketEncryption(input: BucketEncryptionInput): SseSetting {
  if (!(SSE_ALGORITHMS as readonly string[]).includes(input.algorithm)) {
    throw new AppError('InvalidEncryptionAlgorithmError', undefined, { ArgumentName: 'SSEAlgorithm', ArgumentValue: input.algorithm });
  }
  const algorithm = input.algorithm as SseAlgorithm;
  const keyId = input.kmsKeyId ?? '';
  if (algorithm !== 'KMS') {
    if (keyId !== '') throw new AppError('InvalidArgument', 'KMSMasterKeyID is not applicable if the default sse algorithm is not KMS', { ArgumentName: 'KMSMasterKeyID', ArgumentValue: keyId.slice(0, 256) }, '0005-00000204');
    return { algorithm };
  }
  return kmsSetting(keyId, input.dataEncryption ?? '', 'KMSMasterKeyID', 'KMSDataEncryption');
}

/** Put/Get/DeleteBucketEncryption: the bucket's default encryption, kept as ConfigKind 'encryption'. */
export class BucketEncryptionService {
  constructor(private readonly ctx: DomainContext) {}

  /** `sameBucket`: the bucket the request was authorized on, captured before its body (ConfigWriteOptions). */
  async put(bucket: string, input: BucketEncryptionInput, sameBucket?: BucketIncarnation): Promise<void> {
    await this.set(bucket, parseBucketEncryption(input), sameBucket);
  }

  /** Sets an already validated rule (PutBucket's headers). */
  async set(bucket: string, setting: SseSetting, sameBucket?: BucketIncarnation): Promise<void> {
    if (!this.ctx.sse) throw new AppError('NotImplemented', 'Server-side encryption needs the server\'s keys, which this process does not have.');
    await putConfig(this.ctx, bucket, encryptionConfig, setting, { sameBucket });
  }

  async get(bucket: string): Promise<SseSetting> {
    const b = await requireBucket(this.ctx, bucket);
    const setting = bucketDefaultEncryption(b);
    if (!setting) throw new AppError('NoSuchServerSideEncryptionRule', undefined, { BucketName: bucket });
    return setting;
  }

  async delete(bucket: string): Promise<void> {
    await deleteConfig(this.ctx, bucket, encryptionConfig);
  }
}
