import { AppError, invalidArgument } from '../../errors.js';
import type { StoredConfigService } from '../../domain/stored-configs.js';
import { parseCallback, type CallbackSpec } from '../callback.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler } from '../context.js';
import { header } from '../headers.js';
import { childElements, childTextOnce, malformedXml } from '../xml-reader.js';
import { el, parseXmlBody, xmlText } from '../xml.js';
import { checkMd5, empty, readSmallBody, xmlResponse } from './common.js';

// The bucket callback policy (`/<bucket>/?policy&comp=callback`, unpublished; routed by oss/operations.ts): named
// upload callbacks kept with the bucket, put, read and deleted as a whole (docs/callbacks.md). The PHP SDK's
// OssClientBucketCallbackPolicyTest, the Java SDK's and oss2's test_bucket_callback_policy.py call it. An upload's
// `x-oss-callback` may name one of them (`{"callbackPolicy":"…"}`) instead of giving its own (namedCallback).

/** Store name (`stored.callback-policy`). */
const CONFIG = 'callback-policy';
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
  const raw = await readSmallBody(req.body, MAX_BODY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const doc = parseXmlBody(xmlText(raw), 'BucketCallbackPolicy');
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
  await req.services.stored.update(req.op.bucket!, CONFIG, () => (items.length === 0 ? null : ({ PolicyItem: items.map((i) => ({ ...i })) } as Json)), items.length === 0);
  return empty();
};

function itemsOf(value: Json | null): Array<Record<string, Json>> {
  const list = value !== null && typeof value === 'object' && !Array.isArray(value) && Array.isArray(value.PolicyItem) ? value.PolicyItem : [];
  return list.filter((i): i is Record<string, Json> => i !== null && typeof i === 'object' && !Array.isArray(i));
}

/**
 * The callback of the bucket's policy `name`, validated as an upload's own callback parameter is; its CallbackVar,
 * else the request's callback-var (`requestVars`), with a PostObject's `x:` form fields (`formFields`). A name the
 * bucket's policy does not hold is 400 InvalidArgument [UNVERIFIED: OSS's answer], nothing stored.
 */
export async function namedCallback(
  stored: StoredConfigService,
  bucket: string,
  name: string,
  requestVars: string | undefined,
  formFields: ReadonlyMap<string, string> | null,
): Promise<CallbackSpec | null> {
  const { value } = await stored.get(bucket, CONFIG);
  const item = itemsOf(value).find((i) => i.PolicyName === name);
  if (item === undefined) throw invalidArgument('The callback policy named by the callback parameter does not exist.', 'callbackPolicy', name.slice(0, 64));
  const own = typeof item.CallbackVar === 'string' && item.CallbackVar !== '' ? item.CallbackVar : requestVars;
  // A PostObject's `x:` form fields are variables of the named callback as of its own (callbackVars).
  return parseCallback(typeof item.Callback === 'string' ? item.Callback : undefined, () => own, formFields);
}

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
