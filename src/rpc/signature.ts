import { createHash, createHmac } from 'node:crypto';
import { hmacSha1Base64 } from '../util/hmac-sha1.js';
import { oneShotHash } from '../util/one-shot-hash.js';
import { lenientEncode, percentEncode, type RpcParams } from './encoding.js';

// The two POP request signatures (spec sts-rpc §3, §4). Pure functions: the tests sign with them too.

export type RpcEncoding = 'strict' | 'sts-sdk';

/** UTF-16 code-unit order, as the SDKs' default JS sort (what `sort()` without a comparator does with strings). */
function sortedKeys(params: RpcParams): string[] {
  return [...params.keys()].sort();
}

/**
 * Legacy RPC (HMAC-SHA1, SignatureVersion 1.0) string to sign over every parameter but `Signature`:
 * `METHOD&%2F&` + percentEncode(the canonical query). `sts-sdk` is the @alicloud/sts-sdk quirk (encodeURIComponent
 * instead of the POP encoding).
 */
export function rpcStringToSign(method: string, params: RpcParams, encoding: RpcEncoding = 'strict'): string {
  const enc = encoding === 'strict' ? percentEncode : lenientEncode;
  // Each encoded name and value holds only characters both encodings leave alone, and `%`; `=` and `&` join them.
  // Encoding the canonical query again so changes only those three: written here as `%25`, `%3D` and `%26` instead
  // of percent-encoding the ~500 characters a second time (docs/performance.md).
  let out = `${method.toUpperCase()}&%2F&`;
  let first = true;
  for (const k of sortedKeys(params)) {
    if (k === 'Signature') continue;
    out += `${first ? '' : '%26'}${escapePercent(enc(k))}%3D${escapePercent(enc(params.get(k)!))}`;
    first = false;
  }
  return out;
}

/** The only characters the two encodings write differently (encodeURIComponent leaves them raw). */
const ENCODINGS_DIFFER_ON = /[!'()*]/;

/**
 * Whether the `sts-sdk` string to sign can differ from the strict one: only when a signed name or value holds one
 * of ! ' ( ) *. Otherwise building it (a second encoding of every parameter, up to the 1 MiB body) is wasted.
 */
export function encodingsCanDiffer(params: RpcParams): boolean {
  for (const [k, v] of params) {
    if (k !== 'Signature' && (ENCODINGS_DIFFER_ON.test(k) || ENCODINGS_DIFFER_ON.test(v))) return true;
  }
  return false;
}

function escapePercent(encoded: string): string {
  return encoded.includes('%') ? encoded.replaceAll('%', '%25') : encoded;
}

/** base64(HMAC-SHA1(secret + "&", stringToSign)). */
export function rpcSignature(secret: string, stringToSign: string): string {
  return hmacSha1Base64(`${secret}&`, stringToSign);
}

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';
/** hex(SHA-256(data)), a string as UTF-8; one-shot where node has it (a nonce key per signed call: no Hash object). */
export function sha256Hex(data: Buffer | string): string {
  if (oneShotHash !== undefined) return oneShotHash('sha256', data, 'hex') as string;
  return createHash('sha256').update(data).digest('hex');
}

export interface Acs3Input {
  method: string;
  /** Canonical URI, `/` for RPC-style APIs. */
  path: string;
  /** Decoded query parameters. */
  query: RpcParams;
  /** Lower-case header name → value. */
  headers: ReadonlyMap<string, string>;
  /** Lower-case, as listed in SignedHeaders. */
  signedHeaders: readonly string[];
  payloadSha256: string;
}

export function acs3CanonicalRequest(i: Acs3Input): string {
  const query = sortedKeys(i.query).map((k) => `${percentEncode(k)}=${percentEncode(i.query.get(k)!)}`).join('&');
  const signed = [...i.signedHeaders].sort();
  const headers = signed.map((h) => `${h}:${(i.headers.get(h) ?? '').trim()}\n`).join('');
  return `${i.method.toUpperCase()}\n${i.path}\n${query}\n${headers}\n${signed.join(';')}\n${i.payloadSha256}`;
}

export function acs3StringToSign(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

/** hex(HMAC-SHA256(secret, stringToSign)); the key has no "&". */
export function acs3Signature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

export interface Acs3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`; null when malformed. */
export function parseAcs3Authorization(value: string): Acs3Authorization | null {
  if (!value.startsWith(`${ACS3_ALGORITHM} `)) return null;
  const fields = new Map<string, string>();
  for (const part of value.slice(ACS3_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return null;
  return { accessKeyId, signedHeaders: signedHeaders.split(';').map((h) => h.toLowerCase()), signature };
}
