import { randomBytes } from 'node:crypto';
import { FC_AP_CONFIG, FC_ALIAS_SUFFIX, AP_CONFIG, assertNoPublicAccessPointPolicy } from '../../domain/access-point.js';
import type { Bucket } from '../../domain/model.js';
import type { Json } from '../../domain/stored-configs.js';
import { AppError, invalidArgument } from '../../errors.js';
import { parsePolicy } from '../../policy/index.js';
import type { Handler, OssRequest } from '../context.js';
import { header } from '../headers.js';
import { checkMd5, empty, limitParam, policyText, readSmallBody } from '../handlers/common.js';
import { ACCESS_POINT_NAME, accessPointsOf } from './access-points.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';
import type { BucketIncarnation } from '../../store/meta/types.js';
import { child, listOf, textOf, type Bounds, type Doc } from './schema.js';

// Object FC access points (docs/access-points.md): an access point whose GetObject runs a Function Compute
// function. Their configuration, policy and Block Public Access are stored and returned (entries of the bucket's
// `stored.access-point-fc`, in the bucket owner's account); requests through their alias need Function
// Compute, which Alunite does not have, and are answered 501 (oss/access-point-route.ts).

const MAX_FC_ACCESS_POINTS = 100;
const MAX_POLICY = 16 * 1024;
const NAME_HEADER = 'x-oss-access-point-for-object-process-name';

const CONFIG_BOUNDS: Bounds = {
  maxItems: {
    'ObjectProcessConfiguration.AllowedFeatures.AllowedFeature': 10,
    'ObjectProcessConfiguration.TransformationConfigurations.TransformationConfiguration': 10,
    'ObjectProcessConfiguration.TransformationConfigurations.TransformationConfiguration.Actions.Action': 10,
    'ObjectProcessConfiguration.TransformationConfigurations.TransformationConfiguration.ContentTransformation.AdditionalFeatures.CustomForwardHeaders.CustomForwardHeader': 3,
  },
  required: ['ObjectProcessConfiguration'],
};

function entriesOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'AccessPointForObjectProcess') as Doc[]);
}

const nameOfEntry = (e: Doc): string | undefined => textOf(e, 'AccessPointNameForObjectProcess');

function headerNameOf(req: OssRequest): string {
  const name = header(req.headers, NAME_HEADER) ?? '';
  if (!ACCESS_POINT_NAME.test(name)) throw invalidArgument(`${NAME_HEADER} must be 3 to 19 lower-case letters, digits or hyphens.`, NAME_HEADER, name.slice(0, 64));
  return name;
}

/** What OSS checks of an ObjectProcessConfiguration beyond the schema: GetObject only, FC and RAM ARNs. */
function checkProcessConfiguration(config: Doc): void {
  const transforms = listOf(child(config, 'TransformationConfigurations') ?? {}, 'TransformationConfiguration') as Doc[];
  if (transforms.length === 0) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'ObjectProcessConfiguration needs a TransformationConfiguration.' });
  for (const t of transforms) {
    for (const a of listOf(child(t, 'Actions') ?? {}, 'Action')) {
      if (String(a).toLowerCase() !== 'getobject') throw invalidArgument('Action must be GetObject.', 'Action', String(a).slice(0, 64));
    }
    const fc = child(child(t, 'ContentTransformation') ?? {}, 'FunctionCompute');
    const fn = textOf(fc ?? {}, 'FunctionArn') ?? '';
    const role = textOf(fc ?? {}, 'FunctionAssumeRoleArn') ?? '';
    if (!/^acs:fc:[a-z0-9-]+:\d+:/.test(fn) || fn.length > 512) throw invalidArgument('FunctionArn must be a Function Compute ARN (acs:fc:<region>:<uid>:…).', 'FunctionArn', fn.slice(0, 128));
    if (!/^acs:ram::\d+:role\/[A-Za-z0-9.@-]{1,64}$/.test(role)) throw invalidArgument('FunctionAssumeRoleArn must be a RAM role ARN (acs:ram::<uid>:role/<name>).', 'FunctionAssumeRoleArn', role.slice(0, 128));
  }
  for (const f of listOf(child(config, 'AllowedFeatures') ?? {}, 'AllowedFeature')) {
    if (String(f) !== 'GetObject-Range') throw invalidArgument('AllowedFeature must be GetObject-Range.', 'AllowedFeature', String(f).slice(0, 64));
  }
}

function anonymousFlag(doc: Doc): string | undefined {
  const v = textOf(doc, 'AllowAnonymousAccessForObjectProcess');
  if (v !== undefined && v !== 'true' && v !== 'false') throw invalidArgument('AllowAnonymousAccessForObjectProcess must be true or false.', 'AllowAnonymousAccessForObjectProcess', v.slice(0, 16));
  return v;
}

async function findEntry(req: OssRequest, name: string): Promise<Doc> {
  const { value } = await req.services.stored.get(bucketOf(req), FC_AP_CONFIG);
  const e = entriesOf(value).find((x) => nameOfEntry(x) === name);
  if (e === undefined) throw new AppError('NoSuchAccessPointForObjectProcess', undefined, { AccessPointForObjectProcessName: name });
  return e;
}

/** `sameBucket`: the bucket captured before the request's body (bucketBeforeBody). */
async function changeEntry(req: OssRequest, name: string, change: (e: Doc, bucket: Bucket) => Doc | null, removing = false, sameBucket?: BucketIncarnation): Promise<void> {
  await req.services.stored.update(bucketOf(req), FC_AP_CONFIG, (current, bucket) => {
    const all = entriesOf(current);
    const e = all.find((x) => nameOfEntry(x) === name);
    if (e === undefined) throw new AppError('NoSuchAccessPointForObjectProcess', undefined, { AccessPointForObjectProcessName: name });
    const next = change(e, bucket);
    const kept = next === null ? all.filter((x) => x !== e) : all.map((x) => (x === e ? next : x));
    return kept.length === 0 ? null : asJson({ AccessPointForObjectProcess: kept });
  }, removing, sameBucket);
}

export const createAccessPointForObjectProcess: Handler = async (req) => {
  const name = headerNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'CreateAccessPointForObjectProcess', { ...CONFIG_BOUNDS, required: ['AccessPointName', 'ObjectProcessConfiguration'] });
  const apName = textOf(doc, 'AccessPointName')!;
  const config = child(doc, 'ObjectProcessConfiguration')!;
  checkProcessConfiguration(config);
  const anonymous = anonymousFlag(doc);
  // The access point it runs behind must be one of this bucket's.
  const { value: aps } = await req.services.stored.get(bucketOf(req), AP_CONFIG);
  if (!accessPointsOf(aps).some((a) => textOf(a, 'AccessPointName') === apName)) throw new AppError('NoSuchAccessPoint', undefined, { AccessPointName: apName.slice(0, 64) });
  const owner = written.ownerAccountId; // the bucket authorized on: the entry is committed only into it
  for (const b of await req.services.stored.accountBuckets(owner)) {
    if (b.name !== bucketOf(req) && entriesOf(req.services.stored.valueOf(b, FC_AP_CONFIG)).some((e) => nameOfEntry(e) === name)) {
      throw new AppError('AccessPointForObjectProcessAlreadyExists', undefined, { AccessPointForObjectProcessName: name });
    }
  }
  const region = req.services.stored.region;
  const alias = `${name}-${randomBytes(16).toString('hex').slice(0, 30)}${FC_ALIAS_SUFFIX}`;
  const arn = `acs:oss:${region}:${owner}:accesspointforobjectprocess/${name}`;
  const entry: Doc = {
    AccessPointNameForObjectProcess: name,
    AccessPointForObjectProcessAlias: alias,
    AccessPointName: apName,
    AccountId: owner,
    AccessPointForObjectProcessArn: arn,
    CreationDate: String(Math.floor(req.services.stored.now() / 1000)),
    Status: 'enable',
    Endpoints: {
      PublicEndpoint: `${name}-${owner}.oss-${region}.oss-object-process.aliyuncs.com`,
      InternalEndpoint: `${name}-${owner}.oss-${region}-internal.oss-object-process.aliyuncs.com`,
    },
    AllowAnonymousAccessForObjectProcess: anonymous ?? 'false',
    // Off until PutAccessPointConfigForObjectProcess turns it on: the Python SDK v2's integration test reads
    // false from GetAccessPointForObjectProcess of a new one (docs/access-points.md). Access points start on.
    PublicAccessBlockConfiguration: { BlockPublicAccess: 'false' },
    ObjectProcessConfiguration: config,
  };
  // Indexed first (docs/access-points.md), undone when the entry is refused.
  await req.services.accessPoints.add(alias, bucketOf(req));
  try {
    await req.services.stored.update(bucketOf(req), FC_AP_CONFIG, (current) => {
      const all = entriesOf(current);
      if (all.some((e) => nameOfEntry(e) === name)) throw new AppError('AccessPointForObjectProcessAlreadyExists', undefined, { AccessPointForObjectProcessName: name });
      if (all.length >= MAX_FC_ACCESS_POINTS) throw new AppError('TooManyAccessPoints', `A bucket may have at most ${MAX_FC_ACCESS_POINTS} Object FC access points.`);
      return asJson({ AccessPointForObjectProcess: [...all, entry] });
    }, false, written);
  } catch (e) {
    await req.services.accessPoints.remove(alias);
    throw e;
  }
  return respond('CreateAccessPointForObjectProcess', { AccessPointForObjectProcessArn: arn, AccessPointForObjectProcessAlias: alias });
};

export const getAccessPointForObjectProcess: Handler = async (req) => respond('GetAccessPointForObjectProcess', await findEntry(req, headerNameOf(req)));

export const deleteAccessPointForObjectProcess: Handler = async (req) => {
  let alias: string | undefined;
  await changeEntry(req, headerNameOf(req), (e) => {
    alias = typeof e.AccessPointForObjectProcessAlias === 'string' ? e.AccessPointForObjectProcessAlias : undefined;
    return null;
  }, true);
  if (alias !== undefined) await req.services.accessPoints.remove(alias);
  return empty(204);
};

export const listAccessPointsForObjectProcess: Handler = async (req) => {
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const after = req.query.get('continuation-token') ?? '';
  const all: Doc[] = [];
  // A service-level call: the caller's own account's Object FC access points.
  for (const b of await req.services.stored.accountBuckets(req.accountId)) all.push(...entriesOf(req.services.stored.valueOf(b, FC_AP_CONFIG)));
  const sorted = all.filter((e) => (nameOfEntry(e) ?? '') > after).sort((a, b) => ((nameOfEntry(a) ?? '') < (nameOfEntry(b) ?? '') ? -1 : 1));
  const page = sorted.slice(0, maxKeys);
  const truncated = sorted.length > page.length;
  return respond('ListAccessPointsForObjectProcess', {
    IsTruncated: String(truncated),
    ...(truncated ? { NextContinuationToken: nameOfEntry(page[page.length - 1]!)! } : {}),
    AccountId: req.accountId,
    AccessPointsForObjectProcess: { AccessPointForObjectProcess: page },
  });
};

export const putAccessPointConfigForObjectProcess: Handler = async (req) => {
  const name = headerNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutAccessPointConfigForObjectProcess', CONFIG_BOUNDS);
  const config = child(doc, 'ObjectProcessConfiguration')!;
  checkProcessConfiguration(config);
  const anonymous = anonymousFlag(doc);
  const block = textOf(child(doc, 'PublicAccessBlockConfiguration') ?? {}, 'BlockPublicAccess');
  await changeEntry(req, name, (e) => ({
    ...e,
    ObjectProcessConfiguration: config,
    ...(anonymous !== undefined ? { AllowAnonymousAccessForObjectProcess: anonymous } : {}),
    ...(block !== undefined ? { PublicAccessBlockConfiguration: { BlockPublicAccess: block } } : {}),
  }), false, written);
  return empty();
};

export const getAccessPointConfigForObjectProcess: Handler = async (req) => {
  const e = await findEntry(req, headerNameOf(req));
  return respond('GetAccessPointConfigForObjectProcess', {
    ObjectProcessConfiguration: child(e, 'ObjectProcessConfiguration') ?? {},
    AllowAnonymousAccessForObjectProcess: textOf(e, 'AllowAnonymousAccessForObjectProcess') ?? 'false',
    PublicAccessBlockConfiguration: child(e, 'PublicAccessBlockConfiguration') ?? { BlockPublicAccess: 'false' },
  });
};

export const putAccessPointPolicyForObjectProcess: Handler = async (req) => {
  const name = headerNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const raw = await readSmallBody(req.body, MAX_POLICY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const text = policyText(raw);
  const parsed = parsePolicy(text, 'bucket');
  if (!parsed.ok) throw new AppError('InvalidPolicyDocument', `Invalid Policy: ${parsed.error.message}`);
  await changeEntry(req, name, (e, bucket) => {
    // The same refusal as PutAccessPointPolicy's while public access is blocked (docs/access-points.md).
    assertNoPublicAccessPointPolicy(bucket, e, text);
    return { ...e, Policy: text };
  }, false, written);
  return empty();
};

export const getAccessPointPolicyForObjectProcess: Handler = async (req) => {
  const name = headerNameOf(req);
  const policy = textOf(await findEntry(req, name), 'Policy');
  if (policy === undefined) throw new AppError('NoSuchAccessPointPolicyForObjectProcess', undefined, { AccessPointForObjectProcessName: name });
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: policy };
};

export const deleteAccessPointPolicyForObjectProcess: Handler = async (req) => {
  await changeEntry(req, headerNameOf(req), (e) => {
    const { Policy: _old, ...rest } = e;
    void _old;
    return rest;
  }, true);
  return empty(204);
};
