import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomFillSync } from 'node:crypto';
import { AppError } from '../errors.js';
import { randomString } from '../util/ids.js';
import { safeEqual } from '../util/safe-equal.js';
import { FixedKeyHmac } from '../util/fixed-key-hmac.js';
import type { SessionParent } from '../auth/principal.js';

// Self-contained STS SecurityTokens (spec ram-sts §5.5). A token is
//   `CAIS` + base64url( keyId[4] ‖ iv[12] ‖ tag[16] ‖ AES-256-GCM(claims JSON) )
// under a token key derived from the master key (HKDF-SHA256, purpose label), with the key id and the
// format version bound as additional data. The temporary secret is not in the token: it is
// HMAC-SHA256(secret key, AccessKeyId), the secret key derived from the same master key with another
// label. So no session row exists anywhere: any process holding the master key verifies any token.
// Role *policies* are not in the token; the caller reads them at request time.

const PREFIX = 'CAIS';
const AAD = 'alunite-sts-token-v1';
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a token says about its session. Times are epoch milliseconds. */
export interface TokenClaims {
  accountId: string;
  roleId: string;
  roleName: string;
  sessionName: string;
  /** Verbatim session policy text, null when AssumeRole had no Policy. */
  sessionPolicy: string | null;
  issuedAt: number;
  expiration: number;
  accessKeyId: string;
  /**
   * Console sign-in of a RAM user (console/signin.ts, docs/console.md): the user's id. Such a token acts as
   * that user, with the user's own policies; its role fields are empty and its session policy null.
   */
  userId?: string;
  /**
   * With `userId`: the stamp of the login profile whose password the sign-in proved (ram/login-profiles.ts
   * `loginStamp`). The session is valid only while the user's current profile has it.
   */
  loginStamp?: string;
  /** With `userId`: the sign-in proved an MFA code (the session's `acs:MFAPresent` is true). */
  mfa?: true;
  /**
   * A role session's parent credential (auth/principal.ts SessionParent): the session is valid only while it
   * stands (an AccessKey still Active, a console sign-in still valid). Absent: federated sessions, and tokens
   * issued before parents were recorded.
   */
  parent?: SessionParent;
}

export interface IssuedCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

interface DerivedKey {
  id: Buffer;
  /** The additional data bound into every token under this key: format version ‖ key id. */
  aad: Buffer;
  tokenKey: Buffer;
  /** HMAC-SHA256 under the secret key derived for the session secrets. */
  secretMac: FixedKeyHmac;
}

function derive(masterKey: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `alunite sts ${label} v1`, 32));
}

function deriveKey(masterKey: Buffer): DerivedKey {
  // The key id is public (it picks the key to try); derived from a third label, it reveals nothing of the others.
  const id = createHash('sha256').update(derive(masterKey, 'key-id')).digest().subarray(0, KEY_ID_BYTES);
  return { id, aad: Buffer.concat([Buffer.from(AAD, 'utf8'), id]), tokenKey: derive(masterKey, 'token'), secretMac: new FixedKeyHmac(derive(masterKey, 'secret')) };
}

// IVs are cut from a pool filled from the CSPRNG, each byte used once: one OpenSSL call per 341 tokens instead of
// one per token (randomBytes(12) costs ~3 µs of CPU, a slice of the pool ~0.1 µs; docs/performance.md "STS").
const ivPool = Buffer.alloc(IV_BYTES * 341);
let ivOffset = ivPool.length;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

/** `STS.` + 24 base62 characters (spec §4.1: `STS.` + 20–25). */
export function newStsAccessKeyId(): string {
  return `STS.${randomString(24)}`;
}

function isClaims(v: unknown): v is TokenClaims {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.accountId === 'string' && typeof o.roleId === 'string' && typeof o.roleName === 'string' &&
    typeof o.sessionName === 'string' && (o.sessionPolicy === null || typeof o.sessionPolicy === 'string') &&
    typeof o.issuedAt === 'number' && typeof o.expiration === 'number' && typeof o.accessKeyId === 'string' &&
    (o.userId === undefined || (typeof o.userId === 'string' && o.userId !== '' && o.sessionPolicy === null)) &&
    (o.loginStamp === undefined || (typeof o.loginStamp === 'string' && o.userId !== undefined)) &&
    (o.mfa === undefined || (o.mfa === true && o.userId !== undefined)) &&
    (o.parent === undefined || (o.userId === undefined && isParent(o.parent)))
  );
}

function isParent(v: unknown): v is SessionParent {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.accountId !== 'string') return false;
  if (typeof o.accessKeyId === 'string') return o.userId === undefined && o.loginStamp === undefined;
  return typeof o.userId === 'string' && typeof o.loginStamp === 'string' && o.accessKeyId === undefined;
}

/**
 * Issues and verifies tokens with a key ring: the current master key issues, the current and previous
 * keys verify (so tokens issued before `alunite keys rotate` stay valid until they expire).
 */
export class TokenService {
  private readonly current: DerivedKey;
  private readonly ring: DerivedKey[];

  constructor(masterKey: Buffer, previousMasterKeys: readonly Buffer[] = []) {
    this.current = deriveKey(masterKey);
    this.ring = [this.current, ...previousMasterKeys.map(deriveKey)];
  }

  private static secretOf(key: DerivedKey, accessKeyId: string): string {
    // 32 bytes → 43 base64url characters, within the observed 40–44 (spec §5.2).
    return key.secretMac.base64url(accessKeyId);
  }

  issue(claims: Omit<TokenClaims, 'accessKeyId'>): IssuedCredentials {
    const accessKeyId = newStsAccessKeyId();
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.current.tokenKey, iv);
    cipher.setAAD(this.current.aad);
    // The claims' JSON with accessKeyId last, as `{ ...claims, accessKeyId }` wrote it, without copying the claims into
    // an object extended property by property (a map migration per call). No claim is named accessKeyId.
    const json = JSON.stringify(claims);
    const text = `${json.length > 2 ? `${json.slice(0, -1)},` : '{'}"accessKeyId":${JSON.stringify(accessKeyId)}}`;
    // keyId ‖ iv ‖ tag ‖ ciphertext assembled in one buffer (GCM's final() adds no bytes, but is kept if it does).
    const ct = cipher.update(text, 'utf8');
    const tail = cipher.final();
    const raw = Buffer.allocUnsafe(KEY_ID_BYTES + IV_BYTES + TAG_BYTES + ct.length + tail.length);
    this.current.id.copy(raw, 0);
    iv.copy(raw, KEY_ID_BYTES);
    cipher.getAuthTag().copy(raw, KEY_ID_BYTES + IV_BYTES);
    ct.copy(raw, KEY_ID_BYTES + IV_BYTES + TAG_BYTES);
    tail.copy(raw, KEY_ID_BYTES + IV_BYTES + TAG_BYTES + ct.length);
    const token = PREFIX + raw.toString('base64url');
    return { accessKeyId, accessKeySecret: TokenService.secretOf(this.current, accessKeyId), securityToken: token };
  }

  /**
   * Authenticates a token presented with `accessKeyId` at time `now` and returns its claims and the
   * session secret. InvalidSecurityToken (not ours, tampered, unknown key), then
   * AccessKeyIdAndSecurityTokenNotMatch, then SecurityTokenExpired.
   */
  verify(token: string, accessKeyId: string, now: number): { claims: TokenClaims; secret: string } {
    const opened = this.open(token);
    if (!opened) throw new AppError('InvalidSecurityToken');
    const { claims, key } = opened;
    if (!safeEqual(claims.accessKeyId, accessKeyId)) throw new AppError('AccessKeyIdAndSecurityTokenNotMatch');
    if (now >= claims.expiration) throw new AppError('SecurityTokenExpired');
    return { claims, secret: TokenService.secretOf(key, claims.accessKeyId) };
  }

  private open(token: string): { claims: TokenClaims; key: DerivedKey } | null {
    if (!token.startsWith(PREFIX) || !/^[A-Za-z0-9_-]+$/.test(token.slice(PREFIX.length))) return null;
    const body = token.slice(PREFIX.length);
    const raw = Buffer.from(body, 'base64url');
    // Only the encoding issue() writes is a token: the decoder drops a dangling last character (and unused low bits),
    // so `<token>x` would open as the token itself whenever the length came out right.
    if (raw.toString('base64url') !== body) return null;
    if (raw.length <= KEY_ID_BYTES + IV_BYTES + TAG_BYTES) return null;
    const id = raw.subarray(0, KEY_ID_BYTES);
    const key = this.ring.find((k) => k.id.equals(id));
    if (!key) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.tokenKey, raw.subarray(KEY_ID_BYTES, KEY_ID_BYTES + IV_BYTES));
      decipher.setAAD(key.aad);
      decipher.setAuthTag(raw.subarray(KEY_ID_BYTES + IV_BYTES, KEY_ID_BYTES + IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(KEY_ID_BYTES + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const claims: unknown = JSON.parse(text);
      return isClaims(claims) ? { claims, key } : null;
    } catch {
      return null;
    }
  }
}
