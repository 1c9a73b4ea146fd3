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
