import { AppError } from '../../errors.js';
import { LOGGING_LIMITS, type LoggingConfig } from '../../domain/logging.js';
import type { Handler } from '../context.js';
import { childText, el } from '../xml.js';
import { empty, readConfigXml, xmlResponse } from './common.js';
import { boolText } from '../xml-reader.js';

// Put/Get/DeleteBucketLogging (docs/logging.md). The log records are written by audit/access-log.ts.

const malformed = (detail: string): AppError => new AppError('MalformedXML', undefined, { ErrorDetail: detail });

/** LoggingEnabled's elements: the classic three and the SDK v2s' newer switches (the Java SDK v2's ClientBucketLoggingTest). */
const LOGGING_ELEMENTS: ReadonlySet<string> = new Set(['TargetBucket', 'TargetPrefix', 'LoggingRole', 'PushSuccessMarker', 'TargetSuffix']);

/** A boolean element: absent or empty is unset; otherwise `true` or `false`. */
function booleanOf(value: string | undefined, name: string): boolean | undefined {
  const v = value?.trim();
  if (v === undefined || v === '') return undefined;
  const b = boolText(v);
  if (b === undefined) throw malformed(`${name} must be true or false.`);
  return b;
}

export const putBucketLogging: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await readConfigXml(req, 'BucketLoggingStatus', LOGGING_LIMITS.maxBodyBytes);
  for (const name of Object.keys(doc)) if (name !== 'LoggingEnabled') throw malformed(`BucketLoggingStatus does not take ${name}.`);
  const enabled = doc.LoggingEnabled;
  // A BucketLoggingStatus without LoggingEnabled turns logging off, as OSS documents for this element.
  if (enabled === undefined || enabled === '') {
    if (enabled === '') throw malformed('LoggingEnabled needs a TargetBucket.');
    await req.services.logging.delete(req.op.bucket!);
    return empty();
  }
  if (typeof enabled !== 'object' || enabled === null || Array.isArray(enabled)) throw malformed('BucketLoggingStatus takes one LoggingEnabled.');
  const node = enabled as Record<string, unknown>;
  for (const name of Object.keys(node)) {
    if (!LOGGING_ELEMENTS.has(name)) throw malformed(`LoggingEnabled does not take ${name}.`);
  }
  const pushSuccessMarker = booleanOf(childText(node, 'PushSuccessMarker'), 'PushSuccessMarker');
  const suffix = node.TargetSuffix;
  let useRandomPart: boolean | undefined;
  if (suffix !== undefined && suffix !== '') {
    if (typeof suffix !== 'object' || suffix === null || Array.isArray(suffix)) throw malformed('LoggingEnabled takes one TargetSuffix.');
    for (const name of Object.keys(suffix)) if (name !== 'UseRandomPart') throw malformed(`TargetSuffix does not take ${name}.`);
    useRandomPart = booleanOf(childText(suffix as Record<string, unknown>, 'UseRandomPart'), 'UseRandomPart');
  }
  const targetBucket = childText(node, 'TargetBucket')?.trim();
  if (targetBucket === undefined || targetBucket === '') throw malformed('LoggingEnabled needs a TargetBucket.');
  const targetPrefix = childText(node, 'TargetPrefix') ?? '';
  // Empty (`<LoggingRole/>`, as some SDKs write an unset one): no role, but answered empty as put.
  const loggingRole = childText(node, 'LoggingRole')?.trim();
  // The server writes the log objects (`<TargetPrefix><SourceBucket>YYYY-…`) into the target on the caller's
  // behalf: whoever points logging there must be allowed to write them, as for inventory files, or a RAM user
  // allowed PutBucketLogging on its own bucket could fill any bucket of the account (a WORM one for good).
  const source = req.op.bucket!;
  const config: LoggingConfig = { targetBucket, targetPrefix };
  if (loggingRole !== undefined) config.loggingRole = loggingRole;
  if (pushSuccessMarker !== undefined) config.pushSuccessMarker = pushSuccessMarker;
  if (useRandomPart !== undefined) config.useRandomPart = useRandomPart;
  await req.services.logging.put(source, config, () =>
    req.authorize([{ action: 'oss:PutObject', bucket: targetBucket, key: `${targetPrefix}${source}`, acl: 'write' }]), written);
  return empty();
};

export const getBucketLogging: Handler = async (req) => {
  const config = await req.services.logging.get(req.op.bucket!);
  return xmlResponse(el('BucketLoggingStatus', [
    config !== null && el('LoggingEnabled', [
      el('TargetBucket', config.targetBucket),
      el('TargetPrefix', config.targetPrefix),
      // As put: the Java SDK v2's ClientBucketLoggingTest puts an empty one and reads back "" (an absent element
      // reads as null there); the Kotlin SDK v2's BucketLoggingTest puts none and reads back none.
      config.loggingRole !== undefined && el('LoggingRole', config.loggingRole),
      config.pushSuccessMarker !== undefined && el('PushSuccessMarker', String(config.pushSuccessMarker)),
      config.useRandomPart !== undefined && el('TargetSuffix', [el('UseRandomPart', String(config.useRandomPart))]),
    ]),
  ]));
};

export const deleteBucketLogging: Handler = async (req) => {
  await req.services.logging.delete(req.op.bucket!);
  return empty(204);
};
