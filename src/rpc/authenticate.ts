import { safeEqual } from '../util/safe-equal.js';
import { MAX_SKEW_MS } from '../auth/authenticate.js';
import type { CredentialResolver, Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { RpcRequest } from './request.js';
import {
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  parseAcs3Authorization,
  rpcSignature,
  rpcStringToSign,
  encodingsCanDiffer,
  sha256Hex,
} from './signature.js';

/** Where nonces are remembered (the metadata store, so several processes can share it). */
export interface NonceRegistry {
  claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface RpcAuthOptions {
  credentials: CredentialResolver;
  nonces: NonceRegistry;
  now: number;
}

export interface RpcAuthenticated {
  principal: Principal;
  accessKeyId: string;
}

/** Headers an ACS3 request must sign: they decide what the request does, when and how often. */
const ACS3_REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce'];

/** `2026-11-22T04:17:15Z` or with milliseconds `…:15.459Z`; NaN otherwise. */
export function parseRpcTimestamp(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/.exec(value);
  if (!m) return NaN;
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  return Number.isNaN(t) || new Date(t).getUTCDate() !== +m[3]! ? NaN : t;
}

function mismatch(stringToSign: string): AppError {
  return new AppError('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
}

function required(value: string | undefined, code: 'MissingAccessKeyId' | 'MissingSignature' | 'MissingTimestamp' | 'MissingSignatureNonce' | 'MissingSignatureMethod' | 'MissingSignatureVersion'): string {
  if (value === undefined || value === '') throw new AppError(code);
  return value;
}

/**
 * Verifies a POP request (spec sts-rpc §3.3, §4): the signature (legacy RPC strict, then the sts-sdk
 * encoding variant; or ACS3-HMAC-SHA256), then the Timestamp window (15 min) and nonce replay.
 */
export async function authenticateRpc(req: RpcRequest, opts: RpcAuthOptions): Promise<RpcAuthenticated> {
  const verified = req.style === 'acs3' ? await verifyAcs3(req, opts) : await verifyRpc(req, opts);
  const time = parseRpcTimestamp(verified.timestamp);
  if (Number.isNaN(time)) throw new AppError('InvalidTimeStamp.Format');
  if (Math.abs(opts.now - time) > MAX_SKEW_MS) throw new AppError('RequestTimeTooSkewed');
  // A nonce only needs remembering while its Timestamp is still acceptable. What is remembered is its digest:
  // the nonce is the caller's text (up to the 1 MiB body), and any credential, even an STS session allowed
  // nothing (GetCallerIdentity needs no permission), could otherwise store ~1.7 MB of database per request
  // for up to half an hour, and the database file never gives the space back.
  const expiresAt = time + MAX_SKEW_MS + 1000;
  if (!(await opts.nonces.claimNonce(nonceKey(verified.accessKeyId, verified.nonce), expiresAt, opts.now))) {
    throw new AppError('SignatureNonceUsed');
  }
  return { principal: verified.principal, accessKeyId: verified.accessKeyId };
}

/** The key a POP request's nonce is remembered by: fixed-size, whatever the nonce's length. */
export function nonceKey(accessKeyId: string, nonce: string): string {
  return `rpc\n${sha256Hex(`${accessKeyId}\n${nonce}`)}`;
}

interface Verified extends RpcAuthenticated {
  timestamp: string;
  nonce: string;
}

async function verifyRpc(req: RpcRequest, opts: RpcAuthOptions): Promise<Verified> {
  const p = req.params;
  const accessKeyId = required(p.get('AccessKeyId'), 'MissingAccessKeyId');
  const provided = required(p.get('Signature'), 'MissingSignature');
  // SignatureMethod and SignatureVersion are required common parameters (every SDK sends `HMAC-SHA1` and `1.0`):
  // without one the gateway answers Missing<Param>, as for the others; it was accepted.
  if (required(p.get('SignatureMethod'), 'MissingSignatureMethod') !== 'HMAC-SHA1') throw new AppError('InvalidSignatureMethod');
  required(p.get('SignatureVersion'), 'MissingSignatureVersion');
  const timestamp = required(p.get('Timestamp'), 'MissingTimestamp');
  const nonce = required(p.get('SignatureNonce'), 'MissingSignatureNonce');
  const credential = await opts.credentials.resolve(accessKeyId, p.get('SecurityToken'));
  const strict = rpcStringToSign(req.method, p, 'strict');
  if (!safeEqual(rpcSignature(credential.secret, strict), provided)) {
    if (!encodingsCanDiffer(p)) throw mismatch(strict);
    const lenient = rpcStringToSign(req.method, p, 'sts-sdk');
    if (lenient === strict || !safeEqual(rpcSignature(credential.secret, lenient), provided)) throw mismatch(strict);
  }
  return { principal: credential.principal, accessKeyId, timestamp, nonce };
}

async function verifyAcs3(req: RpcRequest, opts: RpcAuthOptions): Promise<Verified> {
  const auth = parseAcs3Authorization(req.headers.get('authorization') ?? '');
  if (!auth) throw new AppError('IncompleteSignature');
  const unsigned = ACS3_REQUIRED_SIGNED.filter((h) => !auth.signedHeaders.includes(h));
  if (unsigned.length > 0) throw new AppError('IncompleteSignature', `The request signature must sign the headers: ${unsigned.join(', ')}.`);
  const timestamp = required(req.headers.get('x-acs-date'), 'MissingTimestamp');
  const nonce = required(req.headers.get('x-acs-signature-nonce'), 'MissingSignatureNonce');
  const bodyHash = sha256Hex(req.body);
  const declared = req.headers.get('x-acs-content-sha256');
  if (declared !== undefined && declared.toLowerCase() !== bodyHash) {
    throw new AppError('SignatureDoesNotMatch', 'The x-acs-content-sha256 header does not match the SHA-256 of the request body.');
  }
  const token = req.headers.get('x-acs-security-token');
  const credential = await opts.credentials.resolve(auth.accessKeyId, token === '' ? undefined : token);
  const canonical = acs3CanonicalRequest({
    method: req.method,
    path: '/',
    query: req.query,
    headers: req.headers,
    signedHeaders: auth.signedHeaders,
    payloadSha256: declared ?? bodyHash,
  });
  const stringToSign = acs3StringToSign(canonical);
  if (!safeEqual(acs3Signature(credential.secret, stringToSign), auth.signature.toLowerCase())) throw mismatch(stringToSign);
  return { principal: credential.principal, accessKeyId: auth.accessKeyId, timestamp, nonce };
}
