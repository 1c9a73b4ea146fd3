import { invalidArgument } from '../errors.js';
import type { Json, StoredConfigService } from '../domain/stored-configs.js';
import { parseCallback, type CallbackSpec } from './callback.js';

// A bucket callback policy read on the upload path: an upload's `x-oss-callback` may name one of the bucket's
// policies (`{"callbackPolicy":"…"}`) instead of giving its own. Kept out of oss/handlers/ so http/listener.ts,
// which resolves callbacks before the body is read, does not reach into a handler (handlers/callback-policy.ts
// puts, reads and deletes the policy itself; docs/callbacks.md).

/** Store name (`stored.callback-policy`). */
export const CALLBACK_POLICY_CONFIG = 'callback-policy';

/** The stored policy's items (none when nothing, or something unexpected, is stored). */
export function itemsOf(value: Json | null): Array<Record<string, Json>> {
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
  const { value } = await stored.get(bucket, CALLBACK_POLICY_CONFIG);
  const item = itemsOf(value).find((i) => i.PolicyName === name);
  if (item === undefined) throw invalidArgument('The callback policy named by the callback parameter does not exist.', 'callbackPolicy', name.slice(0, 64));
  const own = typeof item.CallbackVar === 'string' && item.CallbackVar !== '' ? item.CallbackVar : requestVars;
  // A PostObject's `x:` form fields are variables of the named callback as of its own (callbackVars).
  return parseCallback(typeof item.Callback === 'string' ? item.Callback : undefined, () => own, formFields);
}
