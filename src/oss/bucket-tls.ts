import type { Bucket } from '../domain/model.js';
import { readConfig } from '../domain/bucket-config.js';
import { storedKind, type Json } from '../domain/stored-configs.js';
import { AppError } from '../errors.js';

// A bucket's TLS versions and cipher suites (PutBucketHttpsConfig, docs/stored-configurations.md) on the request
// path. OSS: "after you configure the TLS version and the cipher suite, clients can use only the configured TLS
// version and cipher suite to send requests to OSS". The listener hands over what the connection negotiated
// (`ConnectionTls`, read from node's TLS socket by http/connection-tls.ts; null over plain HTTP) and calls this
// after authorization, before the handler: a refusal is answered only to a caller allowed the operation, and
// says nothing of the configuration beyond what the caller sees of its own connection. Requests over plain HTTP
// are not subject to it [UNVERIFIED: OSS's pages speak of TLS only; `acs:SecureTransport` in a bucket policy is
// what refuses HTTP]. The stored document is read from the cached bucket record and compiled once per record.

/** What a TLS connection negotiated. */
export interface ConnectionTls {
  /** As the configuration names it: `TLSv1.0`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`. */
  version: string;
  /** The cipher suite's OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`; TLS 1.3: `TLS_AES_256_GCM_SHA384`). */
  cipher: string;
  /** Its IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), when node knows it. */
  standardCipher?: string;
}

const KIND = storedKind('https-config');

interface TlsRules {
  /** The versions accepted; null: any (TLS.Enable false). */
  versions: ReadonlySet<string> | null;
  /** The cipher suites accepted; null: any (CipherSuite absent or its Enable false). */
  ciphers: { strong: true } | { strong: false; tls12: ReadonlySet<string>; tls13: ReadonlySet<string> } | null;
}

const compiled = new WeakMap<object, TlsRules>();

const record = (v: Json | undefined): { [k: string]: Json } | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null);
const texts = (v: Json | undefined): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
const upperSet = (v: Json | undefined): ReadonlySet<string> => new Set(texts(v).map((s) => s.trim().toUpperCase()));

function rulesOf(doc: { [k: string]: Json }): TlsRules {
  let rules = compiled.get(doc);
  if (rules === undefined) {
    const tls = record(doc.TLS);
    const cs = record(doc.CipherSuite);
    rules = {
      versions: tls?.Enable === 'true' ? new Set(texts(tls.TLSVersion)) : null,
      ciphers: cs?.Enable !== 'true' ? null
        : cs.StrongCipherSuite === 'true' ? { strong: true }
        : { strong: false, tls12: upperSet(cs.CustomCipherSuite), tls13: upperSet(cs.TLS13CustomCipherSuite) },
    };
    compiled.set(doc, rules);
  }
  return rules;
}

/**
 * The "strong" cipher suites (`StrongCipherSuite` true). OSS does not publish its list [UNVERIFIED]; Alunite takes
 * forward-secret AEAD suites: TLS 1.3's (but CCM_8, with its short tag), and before 1.3 ECDHE or DHE with AES-GCM
 * or ChaCha20-Poly1305.
 */
function strong(tls: ConnectionTls): boolean {
  const name = tls.cipher.toUpperCase();
  if (tls.version === 'TLSv1.3') return !name.includes('CCM_8');
  return /^(ECDHE|DHE)-/.test(name) && /-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(name);
}

function cipherAccepted(rules: NonNullable<TlsRules['ciphers']>, tls: ConnectionTls): boolean {
  if (rules.strong) return strong(tls);
  // Custom suites: TLS13CustomCipherSuite for TLS 1.3 connections, CustomCipherSuite for the others, each named
  // by its OpenSSL or its IANA name. A version whose list is empty has no suite left [UNVERIFIED].
  const list = tls.version === 'TLSv1.3' ? rules.tls13 : rules.tls12;
  return list.has(tls.cipher.toUpperCase()) || (tls.standardCipher !== undefined && list.has(tls.standardCipher.toUpperCase()));
}

/**
 * Null when the bucket's HTTPS configuration accepts the connection, else the refusal: 403 AccessDenied
 * [UNVERIFIED: OSS documents no error for it], its message naming only what the connection used.
 */
export function tlsRefusal(bucket: Bucket, tls: ConnectionTls): AppError | null {
  const doc = record(readConfig(bucket, KIND) ?? undefined);
  if (doc === null) return null;
  const rules = rulesOf(doc);
  if (rules.versions !== null && !rules.versions.has(tls.version)) {
    return new AppError('AccessDenied', `The bucket does not accept requests over ${tls.version}.`);
  }
  if (rules.ciphers !== null && !cipherAccepted(rules.ciphers, tls)) {
    return new AppError('AccessDenied', `The bucket does not accept requests with the cipher suite ${tls.cipher}.`);
  }
  return null;
}

/**
 * Refuses a request over TLS to `bucket` that its HTTPS configuration does not accept. No promise unless the
 * bucket's record has to be read (await it when it is one); nothing at all over plain HTTP or for a request
 * without a bucket (or to one that does not exist: the handler answers that).
 */
export function assertTlsAccepted(
  bucket: string | null, tls: ConnectionTls | null, getBucket: (name: string) => Bucket | null | Promise<Bucket | null>,
): void | Promise<void> {
  if (tls === null || bucket === null) return;
  const held = getBucket(bucket);
  const check = (b: Bucket | null): void => {
    const refusal = b === null ? null : tlsRefusal(b, tls);
    if (refusal !== null) throw refusal;
  };
  if (held instanceof Promise) return held.then(check);
  check(held);
}
