import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../../errors.js';
import { HeldBytes, PRE_AUTH_SHARE } from '../../http/held-bytes.js';
import { cutShortAsIncomplete, readBoundedBody } from '../../http/read-body.js';
import type { OssRequest, OssResponse } from '../context.js';
import { el, parseXmlBody, xmlDocument, xmlText, type XmlChild, type XmlNode } from '../xml.js';
import { uriEncode } from '../../util/uri-encode.js';
import { decodeUtf8Strict } from '../../util/utf8.js';
import type { Preconditions } from '../../domain/conditions.js';
import { header, preconditionsFrom } from '../headers.js';
import { DEFAULT_KMS_KEY, sseOf } from '../../domain/encryption.js';
import type { ObjectRecord } from '../../domain/model.js';
import type { GovernanceBypass } from '../../domain/object-worm.js';
import { assertReadUnprotected } from '../image-access.js';

export function xmlResponse(root: XmlNode, status = 200, headers: Record<string, string> = {}): OssResponse {
  return { status, headers: { 'Content-Type': 'application/xml', ...headers }, body: xmlDocument(root) };
}

export const empty = (status = 200, headers: Record<string, string> = {}): OssResponse => ({ status, headers });

export function owner(accountId: string): XmlNode {
  return el('Owner', [el('ID', accountId), el('DisplayName', accountId)]);
}

export function ownerAcl(accountId: string, grant: string): XmlNode {
  return el('AccessControlPolicy', [owner(accountId), el('AccessControlList', [el('Grant', grant)])]);
}

/**
 * Bodies read before anything authorized their request: DeleteMultipleObjects, whose keys are what is authorized, so
 * anyone (anonymous, any account's user) may send one on a bucket they cannot touch. Each is bounded on its own
 * (2 MiB); across them, the bytes of bodies being read count against one process-wide budget, and a read that would
 * go beyond is answered 503 ServiceUnavailable. Before, ~9,500 connections (the default cap) each holding a 2 MiB
 * body short of its end kept ~19 GB (300 kept 600 MB). A body must also arrive within `deadlineMs` (the idle timeout
 * restarts with every byte, so a trickle would hold its share for ever); past it the request is dropped unanswered.
 * One client (its address, an IPv6 one by its /64) may hold a quarter of it (PRE_AUTH_SHARE): before, 33 anonymous
 * connections of one address held it all and every other client's DeleteMultipleObjects was 503 (red-team wave 18).
 */
export const UNAUTHORIZED_BODY_BOUNDS = { budget: new HeldBytes(64 * 1024 * 1024, PRE_AUTH_SHARE), deadlineMs: 60_000 };

/** readSmallBody for a body read before its request is authorized (UNAUTHORIZED_BODY_BOUNDS). */
export function readBodyBeforeAuthorization(body: Readable, limit: number): Promise<Buffer> {
  return readBoundedBody(body, limit, () => new AppError('EntityTooLarge', `The request body exceeds the maximum allowed size of ${limit} bytes.`), true, {
    budget: UNAUTHORIZED_BODY_BOUNDS.budget,
    busy: () => new AppError('ServiceUnavailable', 'The server holds as many request bodies not yet authorized as it allows; retry later.'),
    deadlineMs: UNAUTHORIZED_BODY_BOUNDS.deadlineMs,
  }).catch(cutShortAsIncomplete);
}

/**
 * Bodies read whole once their request is authorized (configurations, CompleteMultipartUpload's part list of up to
 * 4 MiB, SelectObject and DoMetaQuery requests, RestoreObject, …): the same bounds across requests as the bodies
 * read before authorization. Authorization does not make a body trustworthy: an anonymous caller may complete
 * uploads in a public-read-write bucket (no upload needed to have the body read), and every tenant may send these to
 * its own buckets. Before, each was bounded on its own only: 300 anonymous connections each sending a 4 MiB
 * CompleteMultipartUpload body short of its end kept +1 GB, the default connection cap (~9,000 at a limit of 20,000
 * files) ~36 GB, and a trickle held its share for ever (docs/limits.md).
 */
// 32 MiB of it per client (its address): one client's stalled bodies cannot have every other client's refused.
export const READ_WHOLE_BODY_BOUNDS = { budget: new HeldBytes(128 * 1024 * 1024, 32 * 1024 * 1024), deadlineMs: 60_000 };

/** Reads a small request body (XML/JSON configuration) with a size cap, within READ_WHOLE_BODY_BOUNDS. */
export function readSmallBody(body: Readable, limit: number): Promise<Buffer> {
  // The request is kept at the limit: the writer drains the rest and keeps the connection.
  return readBoundedBody(body, limit, () => new AppError('EntityTooLarge', `The request body exceeds the maximum allowed size of ${limit} bytes.`), true, {
    budget: READ_WHOLE_BODY_BOUNDS.budget,
    busy: () => new AppError('ServiceUnavailable', 'The server holds as many request bodies being read as it allows; retry later.'),
    deadlineMs: READ_WHOLE_BODY_BOUNDS.deadlineMs,
  }).catch(cutShortAsIncomplete);
}


/**
 * A policy document's bytes (bucket and access point policies) as text: bytes that are not UTF-8 are
 * InvalidPolicyDocument, not a policy stored with U+FFFD in their place.
 */
export function policyText(raw: Buffer): string {
  const text = decodeUtf8Strict(raw);
  if (text === undefined) throw new AppError('InvalidPolicyDocument', 'Invalid Policy: the document is not valid UTF-8.');
  return text;
}

/** Checks a Content-MD5 header against a small body read whole. */
export function checkMd5(body: Buffer, md5: string | undefined, required: boolean): void {
  if (md5 === undefined) {
    if (required) throw new AppError('InvalidDigest', 'Missing required header for this request: Content-MD5.');
    return;
  }
  if (createHash('md5').update(body).digest('base64') !== md5.trim()) throw new AppError('InvalidDigest');
}

/** Parses max-keys style parameters: integer 1..max (default when absent). */
export function limitParam(query: ReadonlyMap<string, string>, name: string, dflt: number, max: number, ec?: string): number {
  const raw = query.get(name);
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw invalidArgument(`Argument ${name} must be an integer between 1 and ${max}.`, name, raw, ec);
  }
  return Number(raw);
}

/** encoding-type=url: which values to URL-encode in listings. */
export function encoder(query: ReadonlyMap<string, string>): (s: string) => string {
  const type = query.get('encoding-type');
  if (type === undefined || type === '') return (s) => s;
  if (type !== 'url') throw new AppError('InvalidEncodingType', undefined, { ArgumentName: 'encoding-type', ArgumentValue: type });
  return (s) => uriEncode(s);
}

/** `<EncodingType>url</EncodingType>` when the values are URL-encoded (not for an empty `encoding-type=`). */
export function encodingTypeElement(query: ReadonlyMap<string, string>): XmlChild {
  return query.get('encoding-type') === 'url' && el('EncodingType', 'url');
}


/**
 * A read through a symlink is authorized on the target too (OSS checks both the link and the target):
 * oss:GetObject on the target key, with the target's ACL.
 */
export function symlinkTargetCheck(req: Pick<OssRequest, 'authorize'>, bucket: string): (targetKey: string) => Promise<void> {
  return (targetKey) => req.authorize([{ action: 'oss:GetObject', bucket, key: targetKey, acl: 'read' }]);
}

/**
 * What a copy checks on the object whose bytes it copies (a link's target): the KMS key the caller must be able to use,
 * and source image protection, so an anonymous copy of a protected image is refused as its GET is (oss/image-access.ts).
 */
export function copySourceDataCheck(req: Pick<OssRequest, 'op' | 'authorize' | 'principal' | 'query' | 'services'>): (src: ObjectRecord) => Promise<void> {
  return async (src) => {
    await kmsDecryptCheck(req, src);
    await assertReadUnprotected(req, src.bucket, src.key);
  };
}

/**
 * `x-oss-bypass-governance-retention: true` (PutObjectRetention, DeleteObject, DeleteMultipleObjects): the check that
 * the caller may lift a GOVERNANCE retention of a key, oss:BypassGovernanceRetention on the object (policies and the
 * owner's root; never an ACL), which the domain runs only when such a retention is in the way. Absent otherwise.
 */
export function governanceBypassOf(req: Pick<OssRequest, 'headers' | 'authorize'>, bucket: string): GovernanceBypass | undefined {
  if ((header(req.headers, 'x-oss-bypass-governance-retention') ?? '').trim().toLowerCase() !== 'true') return undefined;
  return (key) => req.authorize([{ action: 'oss:BypassGovernanceRetention', bucket, key, acl: 'none' }]);
}

/**
 * Reading the bytes of a KMS-encrypted object needs kms:Decrypt on its key (OSS API reference, GetObject:
 * "kms:Decrypt: required if the object metadata contains X-Oss-Server-Side-Encryption: KMS"; docs/encryption.md).
 * `obj` is the record the read already has (through a symlink, the target's): nothing is read for it, and an object
 * not encrypted with KMS needs no check (undefined: nothing to wait for).
 */
export function kmsDecryptCheck(req: Pick<OssRequest, 'authorize'>, obj: ObjectRecord): Promise<void> | undefined {
  const sse = sseOf(obj);
  if (sse?.algorithm !== 'KMS') return undefined;
  return req.authorize([{ action: 'kms:Decrypt', bucket: obj.bucket, key: obj.key, acl: 'none', kms: { keyId: sse.kmsKeyId ?? DEFAULT_KMS_KEY } }]);
}

/**
 * A copy's conditions on its source: the plain If-* headers (ali-oss sends them beside the
 * `x-oss-copy-source-` forms) as well as the prefixed ones; a failed plain one is named in `<Condition>`.
 */
export function copySourceConditions(req: Pick<OssRequest, 'headers'>): Preconditions[] {
  return [preconditionsFrom(req.headers), preconditionsFrom(req.headers, 'x-oss-copy-source-')];
}

/** A small request body read whole (at most `limit` bytes), its Content-MD5 checked when one was sent. */
export async function readCheckedBody(req: OssRequest, limit: number): Promise<Buffer> {
  const raw = await readSmallBody(req.body, limit);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  return raw;
}

/**
 * A configuration's XML body: at most `limit` bytes, its Content-MD5 checked when sent, parsed with the safe reader
 * (root element `root`, else MalformedXML; `ec` given to that MalformedXML when the operation's page names one).
 */
export async function readConfigXml(req: OssRequest, root: string, limit: number, ec?: string): Promise<Record<string, unknown>> {
  const raw = await readCheckedBody(req, limit);
  try {
    return parseXmlBody(xmlText(raw), root);
  } catch (err) {
    if (ec !== undefined && err instanceof AppError && err.code === 'MalformedXML') throw new AppError('MalformedXML', err.message, err.detail, ec);
    throw err;
  }
}
