import { AppError } from '../errors.js';
// POP percent-encoding (spec sts-rpc §3.1): UTF-8, %XX upper-case for every byte except A-Z a-z 0-9 - _ . ~.

export { uriEncode as percentEncode } from '../util/uri-encode.js';

/** `@alicloud/sts-sdk` 1.0.2 encodes with plain encodeURIComponent (leaves ! ' ( ) * raw). */
export function lenientEncode(s: string): string {
  return encodeURIComponent(s);
}

/** Parameters as the signer saw them: name → value, in arrival order (query first, then form body). */
export type RpcParams = ReadonlyMap<string, string>;

/** A parameter's value; empty values count as absent, as the SDKs never send them. */
export function optParam(params: RpcParams, name: string): string | undefined {
  const v = params.get(name);
  return v === undefined || v === '' ? undefined : v;
}

/** A true/false parameter (any case), or undefined when absent; anything else is InvalidParameter. */
export function boolParam(params: RpcParams, name: string): boolean | undefined {
  const v = optParam(params, name);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw new AppError('InvalidParameter', `The parameter - "${name}" must be true or false.`);
  return lower === 'true';
}

/** Longest `Tag` list read (the services check their own bounds, 20 for RAM). */
const MAX_TAG_LIST = 100;

/**
 * `Tag` as the SDKs send it: a JSON array of `{Key, Value}` (Tea SDKs, `style: json`) or `Tag.N.Key` /
 * `Tag.N.Value` (`@alicloud/pop-core`). Value stays undefined when not sent (a filter on the key alone).
 */
export function tagListParam(params: RpcParams, name = 'Tag'): Array<{ key: string; value?: string }> {
  const bad = new AppError('InvalidParameter.Tag', `The parameter - "${name}" must be a list of {Key, Value}.`);
  const json = optParam(params, name);
  if (json !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch {
      throw bad;
    }
    if (!Array.isArray(v) || v.length > MAX_TAG_LIST) throw bad;
    return v.map((t: unknown) => {
      if (typeof t !== 'object' || t === null) throw bad;
      const { Key, Value } = t as { Key?: unknown; Value?: unknown };
      if (typeof Key !== 'string' || (Value !== undefined && typeof Value !== 'string')) throw bad;
      return Value === undefined ? { key: Key } : { key: Key, value: Value };
    });
  }
  const out: Array<{ key: string; value?: string }> = [];
  for (let i = 1; i <= MAX_TAG_LIST; i++) {
    const key = optParam(params, `${name}.${i}.Key`);
    if (key === undefined) break;
    const value = params.get(`${name}.${i}.Value`);
    out.push(value === undefined ? { key } : { key, value });
  }
  return out;
}

/** `Tag` as tags to set (TagResources, CreateRole, CreatePolicy): a tag sent without a value has the empty value. */
export function tagsToSetParam(params: RpcParams, name = 'Tag'): Array<{ key: string; value: string }> {
  return tagListParam(params, name).map((t) => ({ key: t.key, value: t.value ?? '' }));
}
