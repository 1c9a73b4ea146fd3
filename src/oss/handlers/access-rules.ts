import { AppError, type ErrorCode } from '../../errors.js';
import type { Payer, RefererConfig } from '../../domain/access-rules.js';
import type { Handler, OssRequest } from '../context.js';
import { childText, el, many, text } from '../xml.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// Put/GetBucketReferer, Put/Get/DeleteBucketPublicAccessBlock, Put/Get/DeletePublicAccessBlock (the account's),
// Put/GetBucketRequestPayment: the XML of the configurations authz/bucket-rules.ts enforces (docs/access-rules.md).

const bucketOf = (req: OssRequest): string => req.op.bucket!;

/** `true` / `false` (OSS's enumerated booleans); absent: `absent`; anything else is refused with `code`/`ec`. */
function bool(node: Record<string, unknown>, name: string, absent: boolean | 'required', fault: { code: ErrorCode; ec?: string }, missingEc?: string): boolean {
  const value = childText(node, name)?.trim();
  if (value === undefined) {
    if (absent !== 'required') return absent;
    throw new AppError('MalformedXML', `The ${name} element is required.`, { ErrorDetail: `${name} is missing.` }, missingEc);
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new AppError(fault.code, `${name} must be true or false.`, { ArgumentName: name, ArgumentValue: value.slice(0, 64) }, fault.ec);
}

/** The Referer children of a list container (`<RefererList/>` is empty). */
function referers(container: unknown, name: string): string[] {
  if (container === undefined || (typeof container === 'string' && container.trim() === '')) return [];
  if (typeof container !== 'object' || container === null || Array.isArray(container)) {
    throw new AppError('MalformedXML', `${name} must hold Referer elements.`, { ErrorDetail: `${name} is not a container.` });
  }
  return many((container as Record<string, unknown>).Referer).map((r) => {
    const t = text(r, 'Referer');
    if (t === undefined) throw new AppError('MalformedXML', 'A Referer must hold text.', { ErrorDetail: 'Referer must hold text.' });
    return t.trim();
  });
}

export const putBucketReferer: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body (docs/postgres.md)
  const doc = await readConfigXml(req, 'RefererConfiguration', 256 * 1024, '0033-00000001');
  const allowEmptyReferer = bool(doc, 'AllowEmptyReferer', 'required', { code: 'InvalidArgument', ec: '0033-00000003' }, '0033-00000002');
  // Absent: true, OSS's default (PutBucketReferer "Default value: true"; a new bucket's GetBucketReferer says true,
  // which the Go SDK's TestBucketRefererV2 checks). docs/access-rules.md.
  const allowTruncateQueryString = bool(doc, 'AllowTruncateQueryString', true, { code: 'InvalidArgument', ec: '0033-00000004' });
  const truncatePath = bool(doc, 'TruncatePath', false, { code: 'InvalidArgument' });
  if (!('RefererList' in doc)) {
    throw new AppError('MalformedXML', 'The RefererList element is required.', { ErrorDetail: 'RefererList is missing.' }, '0033-00000005');
  }
  const cfg: RefererConfig = {
    allowEmptyReferer,
    allowTruncateQueryString,
    truncatePath,
    refererList: referers(doc.RefererList, 'RefererList'),
    refererBlacklist: referers(doc.RefererBlacklist, 'RefererBlacklist'),
  };
  await req.services.accessRules.putReferer(bucketOf(req), cfg, written);
  return empty();
};

export const getBucketReferer: Handler = async (req) => {
  const cfg = await req.services.accessRules.getReferer(bucketOf(req));
  return xmlResponse(
    el('RefererConfiguration', [
      el('AllowEmptyReferer', cfg.allowEmptyReferer),
      el('AllowTruncateQueryString', cfg.allowTruncateQueryString),
      el('TruncatePath', cfg.truncatePath),
      el('RefererList', cfg.refererList.map((r) => el('Referer', r))),
      // Only when there is a blacklist: OSS leaves the element out otherwise (the Go SDK's TestBucketRefererV2
      // expects a nil RefererBlacklist of a new bucket; Go's decoder would allocate one for an empty element).
      cfg.refererBlacklist.length > 0 && el('RefererBlacklist', cfg.refererBlacklist.map((r) => el('Referer', r))),
    ]),
  );
};

export const putBucketPublicAccessBlock: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body (docs/postgres.md)
  const doc = await readConfigXml(req, 'PublicAccessBlockConfiguration', 16 * 1024);
  const block = bool(doc, 'BlockPublicAccess', false, { code: 'MalformedXML' });
  await req.services.accessRules.putPublicAccessBlock(bucketOf(req), block, written);
  return empty();
};

export const getBucketPublicAccessBlock: Handler = async (req) => {
  const block = await req.services.accessRules.getPublicAccessBlock(bucketOf(req));
  return xmlResponse(el('PublicAccessBlockConfiguration', [el('BlockPublicAccess', block)]));
};

export const deleteBucketPublicAccessBlock: Handler = async (req) => {
  await req.services.accessRules.deletePublicAccessBlock(bucketOf(req));
  return empty(204);
};

// The account level: every bucket the account owns (req.accountId: the account the caller acts in).
export const putPublicAccessBlock: Handler = async (req) => {
  const doc = await readConfigXml(req, 'PublicAccessBlockConfiguration', 16 * 1024);
  const block = bool(doc, 'BlockPublicAccess', false, { code: 'MalformedXML' });
  await req.services.accessRules.putAccountPublicAccessBlock(req.accountId, block);
  return empty();
};

export const getPublicAccessBlock: Handler = async (req) => {
  const block = await req.services.accessRules.getAccountPublicAccessBlock(req.accountId);
  return xmlResponse(el('PublicAccessBlockConfiguration', [el('BlockPublicAccess', block)]));
};

export const deletePublicAccessBlock: Handler = async (req) => {
  await req.services.accessRules.deleteAccountPublicAccessBlock(req.accountId);
  return empty(204);
};

export const putBucketRequestPayment: Handler = async (req) => {
  const written = await req.services.buckets.incarnation(bucketOf(req)); // before the body (docs/postgres.md)
  const doc = await readConfigXml(req, 'RequestPaymentConfiguration', 16 * 1024);
  const payer = childText(doc, 'Payer')?.trim();
  if (payer === undefined) throw new AppError('MalformedXML', 'The Payer element is required.', { ErrorDetail: 'Payer is missing.' });
  if (payer !== 'BucketOwner' && payer !== 'Requester') {
    throw new AppError('InvalidArgument', 'Payer must be BucketOwner or Requester.', { ArgumentName: 'Payer', ArgumentValue: payer.slice(0, 64) });
  }
  await req.services.accessRules.putRequestPayment(bucketOf(req), payer satisfies Payer, written);
  return empty();
};

export const getBucketRequestPayment: Handler = async (req) => {
  const payer = await req.services.accessRules.getRequestPayment(bucketOf(req));
  return xmlResponse(el('RequestPaymentConfiguration', [el('Payer', payer)]));
};
