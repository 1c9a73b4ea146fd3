import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import type { StoredOperationName } from './schemas.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';

// CNAMEs bound to a bucket and their ownership tokens (no DNS check, no routing by domain).

const MAX_CNAMES = 100;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const TOKEN_LIFETIME_MS = 72 * 3600 * 1000;

async function domainOf(req: OssRequest, op: StoredOperationName): Promise<{ domain: string; doc: Doc }> {
  const doc = await readDocument(req, op, { required: ['Cname', 'Cname.Domain'] });
  const domain = (textOf(child(doc, 'Cname')!, 'Domain') ?? '').trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw invalidArgument('Domain must be a valid domain name.', 'Domain', domain.slice(0, 255));
  return { domain, doc };
}

function cnamesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Cname') as Doc[]);
}

export const putCname: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const { domain, doc } = await domainOf(req, 'PutCname');
  const cert = child(child(doc, 'Cname')!, 'CertificateConfiguration');
  const now = isoDate(req.services.stored.now());
  // A domain is bound to one bucket (checked across the bucket owner's buckets, not the caller's account;
  // see docs/stored-configurations.md). The owner of the bucket authorized on: the write below commits only into it.
  for (const b of await req.services.stored.accountBuckets(written.ownerAccountId)) {
    if (b.name !== bucketOf(req) && cnamesOf(req.services.stored.valueOf(b, 'cname')).some((c) => textOf(c, 'Domain') === domain)) {
      throw new AppError('CnameAlreadyExists', undefined, { Cname: domain, Bucket: b.name });
    }
  }
  await req.services.stored.update(bucketOf(req), 'cname', (current) => {
    const all = cnamesOf(current);
    const others = all.filter((c) => textOf(c, 'Domain') !== domain);
    if (others.length >= MAX_CNAMES) throw new AppError('TooManyCname', `A bucket may have at most ${MAX_CNAMES} CNAMEs.`);
    const entry: Doc = { Domain: domain, LastModified: now, Status: 'Enabled' };
    // A new CertId binds that certificate; DeleteCertificate true unbinds it; otherwise a domain put again
    // keeps the certificate it has (a PutCname without CertificateConfiguration does not remove it).
    const previous = child(all.find((c) => textOf(c, 'Domain') === domain) ?? {}, 'Certificate');
    const certId = cert === undefined ? undefined : textOf(cert, 'CertId');
    if (certId !== undefined) entry.Certificate = { Type: 'CAS', CertId: certId, Status: 'Enabled' };
    else if (previous !== undefined && (cert === undefined || textOf(cert, 'DeleteCertificate') !== 'true')) entry.Certificate = previous;
    return asJson({ Cname: [...others, entry] });
  }, false, written);
  return empty();
};

export const listCname: Handler = async (req) => {
  const { bucket, value } = await req.services.stored.get(bucketOf(req), 'cname');
  return respond('ListCname', { Bucket: bucket.name, Owner: bucket.ownerAccountId, Cname: cnamesOf(value) });
};

export const deleteCname: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const { domain } = await domainOf(req, 'DeleteCname');
  await req.services.stored.update(bucketOf(req), 'cname', (current) => {
    const all = cnamesOf(current);
    if (!all.some((c) => textOf(c, 'Domain') === domain)) throw new AppError('NoSuchCname', undefined, { Cname: domain });
    const kept = all.filter((c) => textOf(c, 'Domain') !== domain);
    return kept.length === 0 ? null : asJson({ Cname: kept });
  }, true, written);
  return empty();
};

function tokensOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'CnameToken') as Doc[]);
}

export const createCnameToken: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const { domain } = await domainOf(req, 'CreateCnameToken');
  const now = req.services.stored.now();
  const token: Doc = {
    Bucket: bucketOf(req),
    Cname: domain,
    Token: randomBytes(16).toString('hex'),
    ExpireTime: new Date(now + TOKEN_LIFETIME_MS).toUTCString(),
  };
  await req.services.stored.update(bucketOf(req), 'cname-token', (current) => {
    // Expired tokens are dropped; one token per domain (a new one replaces the old).
    const live = tokensOf(current).filter((t) => textOf(t, 'Cname') !== domain && Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
    if (live.length >= MAX_CNAMES) throw new AppError('TooManyCname', `A bucket may have at most ${MAX_CNAMES} CNAME tokens.`);
    return asJson({ CnameToken: [...live, token] });
  }, false, written);
  return respond('CreateCnameToken', token);
};

export const getCnameToken: Handler = async (req) => {
  const domain = (req.query.get('cname') ?? '').toLowerCase();
  const { value } = await req.services.stored.get(bucketOf(req), 'cname-token');
  const now = req.services.stored.now();
  const token = tokensOf(value).find((t) => textOf(t, 'Cname') === domain && Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
  if (token === undefined) throw new AppError('CnameTokenNotFound', undefined, { Cname: domain.slice(0, 255) });
  return respond('GetCnameToken', token);
};
