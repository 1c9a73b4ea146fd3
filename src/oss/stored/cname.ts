import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { isoDate } from '../../util/time.js';
import { isIncarnation } from '../../store/meta/types.js';
import { DOMAIN_NAME, isCnameCandidate } from '../address.js';
import type { Handler, OssRequest } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import type { StoredOperationName } from './schemas.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';

// CNAMEs bound to a bucket and their ownership tokens. Ownership is proven as the server's CNAME setting says
// (domain/cname.ts CnameOwnership); a bound domain is unique across all accounts and routes to its bucket
// (domain/cname.ts CnameBindings, oss/address.ts cnameAddress).

const MAX_CNAMES = 100;
const TOKEN_LIFETIME_MS = 72 * 3600 * 1000;

async function domainOf(req: OssRequest, op: StoredOperationName): Promise<{ domain: string; doc: Doc }> {
  const doc = await readDocument(req, op, { required: ['Cname', 'Cname.Domain'] });
  const domain = (textOf(child(doc, 'Cname')!, 'Domain') ?? '').trim().toLowerCase();
  if (!DOMAIN_NAME.test(domain)) throw invalidArgument('Domain must be a valid domain name.', 'Domain', domain.slice(0, 255));
  return { domain, doc };
}

function cnamesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Cname') as Doc[]);
}

export const putCname: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const { domain, doc } = await domainOf(req, 'PutCname');
  const cnames = req.services.cnames;
  // Requests to a bound domain act on the bucket (oss/address.ts cnameAddress): never a name this server answers as itself.
  if (!isCnameCandidate(domain, { hostnames: cnames.hostnames })) {
    throw invalidArgument('Domain is an endpoint of this service (or a bucket name under one), which cannot be bound to a bucket.', 'Domain', domain);
  }
  const cert = child(child(doc, 'Cname')!, 'CertificateConfiguration');
  const now = req.services.stored.now();
  // The bucket the request was authorized on, still there, before asking anyone about the domain.
  const { bucket, value: tokens } = await req.services.stored.get(bucketOf(req), 'cname-token');
  if (!isIncarnation(bucket, written)) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket.name });
  // Ownership is proven once: putting a domain this bucket holds again (a certificate change) asks nothing. A domain
  // another bucket holds is refused without a lookup (not naming that bucket: it may be another account's).
  const holder = await cnames.bindings.resolve(domain);
  if (holder !== null && holder !== bucket.name) throw new AppError('CnameAlreadyExists', undefined, { Cname: domain });
  if (holder === null) {
    const token = tokensOf(tokens).find((t) => textOf(t, 'Cname') === domain && Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
    await cnames.ownership.verify(domain, token === undefined ? null : textOf(token, 'Token') ?? null);
  }
  let added = false;
  // The bucket's list first, then the store-wide index (domain/cname.ts): an index entry always has its list behind it.
  await req.services.stored.update(bucketOf(req), 'cname', (current) => {
    const all = cnamesOf(current);
    const others = all.filter((c) => textOf(c, 'Domain') !== domain);
    added = others.length === all.length;
    if (others.length >= MAX_CNAMES) throw new AppError('TooManyCname', `A bucket may have at most ${MAX_CNAMES} CNAMEs.`);
    const entry: Doc = { Domain: domain, LastModified: isoDate(now), Status: 'Enabled' };
    // A new CertId binds that certificate; DeleteCertificate true unbinds it; otherwise a domain put again
    // keeps the certificate it has (a PutCname without CertificateConfiguration does not remove it).
    const previous = child(all.find((c) => textOf(c, 'Domain') === domain) ?? {}, 'Certificate');
    const certId = cert === undefined ? undefined : textOf(cert, 'CertId');
    if (certId !== undefined) entry.Certificate = { Type: 'CAS', CertId: certId, Status: 'Enabled' };
    else if (previous !== undefined && (cert === undefined || textOf(cert, 'DeleteCertificate') !== 'true')) entry.Certificate = previous;
    return asJson({ Cname: [...others, entry] });
  }, false, written);
  try {
    await cnames.bindings.claim(domain, bucket);
  } catch (err) {
    // Held elsewhere: the domain leaves this bucket's list again.
    if (added) await req.services.stored.update(bucketOf(req), 'cname', (current) => dropDomain(current, domain), true, written).catch(() => undefined);
    throw err;
  }
  return empty();
};

/** The list without `domain` (null when nothing is left). */
function dropDomain(current: Json | null, domain: string): Json | null {
  const kept = cnamesOf(current).filter((c) => textOf(c, 'Domain') !== domain);
  return kept.length === 0 ? null : asJson({ Cname: kept });
}

export const listCname: Handler = async (req) => {
  const { bucket, value } = await req.services.stored.get(bucketOf(req), 'cname');
  return respond('ListCname', { Bucket: bucket.name, Owner: bucket.ownerAccountId, Cname: cnamesOf(value) });
};

export const deleteCname: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const { domain } = await domainOf(req, 'DeleteCname');
  // A domain the bucket does not hold is a success that changes nothing: oss2's test_bucket_cname.py and the PHP SDK's
  // CNAME test delete a domain whose PutCname the cloud refused (NeedVerifyDomainOwnership) and expect no error.
  await req.services.stored.update(bucketOf(req), 'cname', (current) => dropDomain(current, domain), true, written);
  // The list no longer names it, so the index entry is dead already; this removes it.
  const { bucket } = await req.services.stored.get(bucketOf(req), 'cname');
  await req.services.cnames.bindings.release(domain, bucket);
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
  let token: Doc = {
    Bucket: bucketOf(req),
    Cname: domain,
    Token: randomBytes(16).toString('hex'),
    ExpireTime: new Date(now + TOKEN_LIFETIME_MS).toUTCString(),
  };
  await req.services.stored.update(bucketOf(req), 'cname-token', (current) => {
    // Expired tokens are dropped; one token per domain, and a live one is answered again (the cloud's help on
    // NeedVerifyDomainOwnership says so), so a TXT record already set keeps matching.
    const live = tokensOf(current).filter((t) => Date.parse(textOf(t, 'ExpireTime') ?? '') > now);
    const held = live.find((t) => textOf(t, 'Cname') === domain);
    if (held !== undefined) {
      token = held;
      return asJson({ CnameToken: live });
    }
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
