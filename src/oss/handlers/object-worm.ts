import { AppError } from '../../errors.js';
import { parseDefaultRetention, parseMode, type LegalHoldStatus, type ObjectWormConfig } from '../../domain/object-worm.js';
import type { Handler, OssRequest } from '../context.js';
import { childElement, childTextOnce, malformedXml } from '../xml-reader.js';
import { el } from '../xml.js';
import { empty, governanceBypassOf, readConfigXml, xmlResponse } from './common.js';

// Object-level retention ("ObjectWorm"; not in the API metadata, routed by oss/operations.ts): the bucket's
// Put/GetBucketObjectWormConfiguration (`?objectWorm`) and each version's Put/GetObjectRetention (`?retention`) and
// Put/GetObjectLegalHold (`?legalHold`). The rules live in domain/object-worm.ts; this is only their wire form,
// as the Go, Python and Java SDK v2 write and read it.

const MAX_BODY = 16 * 1024;

const versionOf = (req: OssRequest): string | undefined => req.query.get('versionId');

export const putBucketObjectWormConfiguration: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await readConfigXml(req, 'ObjectWormConfiguration', MAX_BODY);
  const enabled = childTextOnce(doc, 'ObjectWormEnabled', 64);
  if (enabled !== 'Enabled') throw new AppError('InvalidArgument', 'ObjectWormEnabled must be Enabled.', { ArgumentName: 'ObjectWormEnabled', ArgumentValue: enabled ?? '' });
  const rule = childElement(doc, 'Rule');
  const dflt = rule === undefined ? undefined : childElement(rule, 'DefaultRetention');
  if (rule !== undefined && dflt === undefined) throw malformedXml('Rule.DefaultRetention is missing.');
  const config: ObjectWormConfig = dflt === undefined ? {} : {
    defaultRetention: parseDefaultRetention(childTextOnce(dflt, 'Mode', 64), childTextOnce(dflt, 'Days', 16), childTextOnce(dflt, 'Years', 16)),
  };
  await req.services.objectWorm.putConfig(req.op.bucket!, config, written);
  return empty();
};

export const getBucketObjectWormConfiguration: Handler = async (req) => {
  const config = await req.services.objectWorm.getConfig(req.op.bucket!);
  const d = config.defaultRetention;
  return xmlResponse(el('ObjectWormConfiguration', [
    el('ObjectWormEnabled', 'Enabled'),
    d !== undefined && el('Rule', [el('DefaultRetention', [
      el('Mode', d.mode),
      d.days !== undefined && el('Days', d.days),
      d.years !== undefined && el('Years', d.years),
    ])]),
  ]));
};

export const putObjectRetention: Handler = async (req) => {
  const doc = await readConfigXml(req, 'Retention', MAX_BODY);
  const mode = parseMode(childTextOnce(doc, 'Mode', 64), 'Mode');
  const date = childTextOnce(doc, 'RetainUntilDate', 64);
  if (date === undefined) throw malformedXml('Retention.RetainUntilDate is missing.');
  await req.services.objectWorm.putRetention(req.op.bucket!, req.op.key!, versionOf(req), mode, date, governanceBypassOf(req, req.op.bucket!));
  return empty();
};

export const getObjectRetention: Handler = async (req) => {
  const r = await req.services.objectWorm.getRetention(req.op.bucket!, req.op.key!, versionOf(req));
  return xmlResponse(el('Retention', [el('Mode', r.mode), el('RetainUntilDate', r.retainUntilDate)]));
};

export const putObjectLegalHold: Handler = async (req) => {
  const doc = await readConfigXml(req, 'LegalHold', MAX_BODY);
  const raw = childTextOnce(doc, 'Status', 16);
  if (raw !== 'ON' && raw !== 'OFF') throw new AppError('InvalidArgument', 'Status must be ON or OFF.', { ArgumentName: 'Status', ArgumentValue: raw ?? '' });
  const status: LegalHoldStatus = raw;
  await req.services.objectWorm.putLegalHold(req.op.bucket!, req.op.key!, versionOf(req), status);
  return empty();
};

export const getObjectLegalHold: Handler = async (req) => {
  const status = await req.services.objectWorm.getLegalHold(req.op.bucket!, req.op.key!, versionOf(req));
  return xmlResponse(el('LegalHold', [el('Status', status)]));
};
