import { AppError, invalidArgument } from '../../errors.js';
import { CALLBACK_POLICY_CONFIG as CONFIG, itemsOf } from '../callback-policy.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler } from '../context.js';
import { childElements, childTextOnce, malformedXml } from '../xml-reader.js';
import { el } from '../xml.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// The bucket callback policy (`/<bucket>/?policy&comp=callback`, unpublished; routed by oss/operations.ts): named
// upload callbacks kept with the bucket, put, read and deleted as a whole (docs/callbacks.md). The PHP SDK's
// OssClientBucketCallbackPolicyTest, the Java SDK's and oss2's test_bucket_callback_policy.py call it. An upload's
// `x-oss-callback` may name one of them (`{"callbackPolicy":"…"}`) instead of giving its own (oss/callback-policy.ts).

const MAX_BODY = 64 * 1024;
/** Policies per bucket [UNVERIFIED: OSS publishes no limit]. */
const MAX_POLICIES = 100;
/** A C0 control other than tab, LF, CR, or U+FFFE/U+FFFF: XML 1.0 readers refuse them written back. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

interface PolicyItem {
  PolicyName: string;
  Callback: string;
  CallbackVar: string;
}

function text(item: Record<string, unknown>, name: keyof PolicyItem, max: number): string {
  const v = childTextOnce(item, name, max) ?? '';
  if (CONTROL.test(v)) throw invalidArgument(`${name} must not hold control characters.`, name, v.slice(0, 64));
  return v;
}

/**
 * The Callback and CallbackVar texts are kept as sent, not read as callbacks: the PHP SDK's test puts one whose JSON
 * is not valid (`{\"callbackUrl\":…}`) and expects 200. A policy without a name, or a name given twice, is refused.
 */
export const putBucketCallbackPolicy: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await readConfigXml(req, 'BucketCallbackPolicy', MAX_BODY);
  for (const name of Object.keys(doc)) if (name !== 'PolicyItem') throw malformedXml(`BucketCallbackPolicy.${name} is not a policy item.`);
  const items: PolicyItem[] = childElements(doc, 'PolicyItem', MAX_POLICIES).map((item) => {
    for (const name of Object.keys(item)) {
      if (name !== 'PolicyName' && name !== 'Callback' && name !== 'CallbackVar') throw malformedXml(`PolicyItem.${name} is not a policy field.`);
    }
    return { PolicyName: text(item, 'PolicyName', 128), Callback: text(item, 'Callback', 16 * 1024), CallbackVar: text(item, 'CallbackVar', 16 * 1024) };
  });
  const seen = new Set<string>();
  for (const { PolicyName: name } of items) {
    if (name.trim() === '') throw invalidArgument('A policy item needs a PolicyName.', 'PolicyName', name);
    if (seen.has(name)) throw invalidArgument('PolicyName must be unique.', 'PolicyName', name);
    seen.add(name);
  }
  // An empty policy (oss2 writes `<BucketCallbackPolicy />` for none) leaves the bucket without one.
  await req.services.stored.update(req.op.bucket!, CONFIG, () => (items.length === 0 ? null : ({ PolicyItem: items.map((i) => ({ ...i })) } as Json)), items.length === 0, written);
  return empty();
};

export const getBucketCallbackPolicy: Handler = async (req) => {
  const { value } = await req.services.stored.get(req.op.bucket!, CONFIG);
  const items = itemsOf(value);
  if (items.length === 0) throw new AppError('BucketCallbackPolicyNotExist', undefined, { BucketName: req.op.bucket! });
  const field = (i: Record<string, Json>, name: keyof PolicyItem): string => (typeof i[name] === 'string' ? i[name] : '');
  return xmlResponse(el('BucketCallbackPolicy', items.map((i) =>
    el('PolicyItem', [el('PolicyName', field(i, 'PolicyName')), el('Callback', field(i, 'Callback')), el('CallbackVar', field(i, 'CallbackVar'))]))));
};

export const deleteBucketCallbackPolicy: Handler = async (req) => {
  await req.services.stored.update(req.op.bucket!, CONFIG, () => null, true);
  return empty(204);
};
