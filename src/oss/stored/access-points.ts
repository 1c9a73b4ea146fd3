import { randomBytes } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import { header } from '../headers.js';
import { checkMd5, empty, limitParam, policyText, readSmallBody } from '../handlers/common.js';
import { parsePolicy } from '../../policy/index.js';
import { AP_CONFIG, assertNoPublicAccessPointPolicy, entryBlocksPublicAccess } from '../../domain/access-point.js';
import type { Bucket } from '../../domain/model.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';
import type { BucketIncarnation } from '../../store/meta/types.js';

// Access points, their policies and their Block Public Access (docs/access-points.md): entries of the bucket's
// `stored.access-point` configuration, in the bucket owner's account (whoever the bucket policy lets create
// one). Requests through an alias are resolved by domain/access-point.ts and authorized by authz/access-point.ts.

/** OSS: 3–19 characters, lower-case letters, digits and hyphens, not starting or ending with a hyphen. */
export const ACCESS_POINT_NAME = /^[a-z0-9][a-z0-9-]{1,17}[a-z0-9]$/;
const MAX_ACCESS_POINTS = 100;
const MAX_AP_POLICY = 16 * 1024;

export function accessPointsOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'AccessPoint') as Doc[]);
}

function accessPointNameOf(req: OssRequest): string {
  const name = header(req.headers, 'x-oss-access-point-name') ?? '';
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument('x-oss-access-point-name must be 3 to 19 lower-case letters, digits or hyphens.', 'x-oss-access-point-name', name.slice(0, 64));
  return name;
}

export async function findAccessPoint(req: OssRequest, name: string): Promise<Doc> {
  const { value } = await req.services.stored.get(bucketOf(req), AP_CONFIG);
  const ap = accessPointsOf(value).find((a) => textOf(a, 'AccessPointName') === name);
  if (ap === undefined) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
  return ap;
}

export const createAccessPoint: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'CreateAccessPoint', { required: ['AccessPointName', 'NetworkOrigin'] });
  const name = textOf(doc, 'AccessPointName')!;
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument('AccessPointName must be 3 to 19 lower-case letters, digits or hyphens.', 'AccessPointName', name.slice(0, 64));
  const origin = textOf(doc, 'NetworkOrigin')!;
  if (origin !== 'vpc' && origin !== 'internet') throw invalidArgument('NetworkOrigin must be vpc or internet.', 'NetworkOrigin', origin);
  const vpc = textOf(child(doc, 'VpcConfiguration') ?? {}, 'VpcId');
  if (origin === 'vpc' && (vpc === undefined || vpc === '')) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'A vpc access point needs VpcConfiguration.VpcId.' });
  // An access point belongs to the bucket owner's account, never the caller's (docs/accounts.md): the owner of the
  // bucket authorized on, as the entry is committed only into that bucket. Names are unique in that account (checked
  // across its buckets; see docs/stored-configurations.md).
  const owner = written.ownerAccountId;
  for (const b of await req.services.stored.accountBuckets(owner)) {
    if (b.name === bucketOf(req)) continue;
    if (accessPointsOf(req.services.stored.valueOf(b, AP_CONFIG)).some((a) => textOf(a, 'AccessPointName') === name)) {
      throw new AppError('AccessPointAlreadyExists', undefined, { AccessPointName: name });
    }
  }
  const region = req.services.stored.region;
  const alias = `${name}-${randomBytes(12).toString('hex').slice(0, 22)}-ossalias`;
  const entry: Doc = {
    AccessPointName: name,
    Bucket: bucketOf(req),
    AccountId: owner,
    NetworkOrigin: origin,
    ...(origin === 'vpc' ? { VpcConfiguration: { VpcId: vpc! } } : {}),
    AccessPointArn: `acs:oss:${region}:${owner}:accesspoint/${name}`,
    Alias: alias,
    Status: 'enable',
    Endpoints: {
      PublicEndpoint: `${name}-${owner}.oss-${region}.oss-accesspoint.aliyuncs.com`,
      InternalEndpoint: `${name}-${owner}.oss-${region}-internal.oss-accesspoint.aliyuncs.com`,
    },
    // A new access point blocks public access until that is turned off (docs/access-points.md).
    PublicAccessBlockConfiguration: { BlockPublicAccess: 'true' },
    CreationDate: String(Math.floor(req.services.stored.now() / 1000)),
  };
  // The alias is indexed first, so a stored access point is always found; undone when the entry is refused.
  await req.services.accessPoints.add(alias, bucketOf(req));
  try {
    await req.services.stored.update(bucketOf(req), AP_CONFIG, (current) => {
      const all = accessPointsOf(current);
      if (all.some((a) => textOf(a, 'AccessPointName') === name)) throw new AppError('AccessPointAlreadyExists', undefined, { AccessPointName: name });
      if (all.length >= MAX_ACCESS_POINTS) throw new AppError('TooManyAccessPoints', `A bucket may have at most ${MAX_ACCESS_POINTS} access points.`);
      return asJson({ AccessPoint: [...all, entry] });
    }, false, written);
  } catch (e) {
    await req.services.accessPoints.remove(alias);
    throw e;
  }
  return respond('CreateAccessPoint', entry);
};

export const getAccessPoint: Handler = async (req) => respond('GetAccessPoint', await findAccessPoint(req, accessPointNameOf(req)));

export const deleteAccessPoint: Handler = async (req) => {
  const name = accessPointNameOf(req);
  let alias: string | undefined;
  await req.services.stored.update(bucketOf(req), AP_CONFIG, (current) => {
    const all = accessPointsOf(current);
    const gone = all.find((a) => textOf(a, 'AccessPointName') === name);
    if (gone === undefined) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
    alias = textOf(gone, 'Alias');
    const kept = all.filter((a) => a !== gone);
    return kept.length === 0 ? null : asJson({ AccessPoint: kept });
  }, true);
  if (alias !== undefined) await req.services.accessPoints.remove(alias);
  return empty(204);
};

export const listAccessPoints: Handler = async (req) => {
  // On a bucket's host, that bucket's access points (at most 100 a page); on the service, the caller's account's.
  const bucketLevel = req.op.bucket !== null;
  const maxKeys = limitParam(req.query, 'max-keys', 100, bucketLevel ? 100 : 1000);
  const after = req.query.get('continuation-token') ?? '';
  const all: Doc[] = [];
  if (bucketLevel) all.push(...accessPointsOf((await req.services.stored.get(bucketOf(req), AP_CONFIG)).value));
  else for (const b of await req.services.stored.accountBuckets(req.accountId)) all.push(...accessPointsOf(req.services.stored.valueOf(b, AP_CONFIG)));
  const sorted = all.filter((a) => (textOf(a, 'AccessPointName') ?? '') > after).sort((a, b) => ((textOf(a, 'AccessPointName') ?? '') < (textOf(b, 'AccessPointName') ?? '') ? -1 : 1));
  const page = sorted.slice(0, maxKeys);
  const truncated = sorted.length > page.length;
  return respond('ListAccessPoints', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: textOf(page[page.length - 1]!, 'AccessPointName')! } : {}),
    AccountId: req.accountId,
    AccessPoints: { AccessPoint: page },
    MaxKeys: String(maxKeys),
  });
};

/**
 * Changes one access point of this bucket inside the store's transaction (NoSuchAccessPoint when absent); `sameBucket`:
 * the bucket captured before the request's body (bucketBeforeBody).
 */
async function changeAccessPoint(req: OssRequest, name: string, change: (ap: Doc, bucket: Bucket) => Doc, removing = false, sameBucket?: BucketIncarnation): Promise<void> {
  await req.services.stored.update(bucketOf(req), AP_CONFIG, (current, bucket) => {
    const all = accessPointsOf(current);
    const ap = all.find((a) => textOf(a, 'AccessPointName') === name);
    if (ap === undefined) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: name });
    const next = change(ap, bucket);
    return asJson({ AccessPoint: all.map((a) => (a === ap ? next : a)) });
  }, removing, sameBucket);
}

/** Sets (a checked policy document) or removes the policy of an access point of this bucket. */
async function setAccessPointPolicy(req: OssRequest, name: string, policy: string | null, sameBucket?: BucketIncarnation): Promise<void> {
  await changeAccessPoint(req, name, (ap, bucket) => {
    const { Policy: _old, ...rest } = ap;
    void _old;
    // As for bucket policies: a public policy is refused while public access is blocked.
    if (policy !== null) assertNoPublicAccessPointPolicy(bucket, ap, policy);
    return policy === null ? rest : { ...rest, Policy: policy };
  }, policy === null, sameBucket);
}

export const putAccessPointPolicy: Handler = async (req) => {
  const name = accessPointNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const raw = await readSmallBody(req.body, MAX_AP_POLICY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const text = policyText(raw);
  const parsed = parsePolicy(text, 'bucket');
  if (!parsed.ok) throw new AppError('InvalidPolicyDocument', `Invalid Policy: ${parsed.error.message}`);
  await setAccessPointPolicy(req, name, text, written);
  return empty();
};

export const getAccessPointPolicy: Handler = async (req) => {
  const name = accessPointNameOf(req);
  const policy = textOf(await findAccessPoint(req, name), 'Policy');
  if (policy === undefined) throw new AppError('NoSuchAccessPointPolicy', undefined, { AccessPointName: name });
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
};

export const deleteAccessPointPolicy: Handler = async (req) => {
  await setAccessPointPolicy(req, accessPointNameOf(req), null);
  return empty(204);
};

// ---- Block Public Access of one access point (`?publicAccessBlock&x-oss-access-point-name=<ap>`) ----------

function queryNameOf(req: OssRequest): string {
  const name = req.query.get('x-oss-access-point-name') ?? '';
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument('x-oss-access-point-name must be 3 to 19 lower-case letters, digits or hyphens.', 'x-oss-access-point-name', name.slice(0, 64));
  return name;
}

export const putAccessPointPublicAccessBlock: Handler = async (req) => {
  const name = queryNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutAccessPointPublicAccessBlock', { required: ['BlockPublicAccess'] });
  const on = textOf(doc, 'BlockPublicAccess')!;
  await changeAccessPoint(req, name, (ap) => ({ ...ap, PublicAccessBlockConfiguration: { BlockPublicAccess: on } }), false, written);
  return empty();
};

export const getAccessPointPublicAccessBlock: Handler = async (req) => {
  const ap = await findAccessPoint(req, queryNameOf(req));
  return respond('GetAccessPointPublicAccessBlock', { BlockPublicAccess: entryBlocksPublicAccess(ap) ? 'true' : 'false' });
};

export const deleteAccessPointPublicAccessBlock: Handler = async (req) => {
  await changeAccessPoint(req, queryNameOf(req), (ap) => {
    const { PublicAccessBlockConfiguration: _old, ...rest } = ap;
    void _old;
    return rest;
  }, true);
  return empty(204);
};
