import type { RefererConfig } from '../domain/access-rules.js';
import { compileGlobs, MatchWorkExceeded, newMatchMeter, runMetered, type MatchMeter, type Matcher } from '../policy/glob.js';

// Hotlink protection (docs/access-rules.md): whether a bucket's Referer configuration lets a request with
// this Referer header through. Pure: the caller decides which requests are subject to it.

/** Why a Referer was refused; each has its own OSS EC. */
export type RefererRefusal = 'empty' | 'blacklisted' | 'not-whitelisted';

export const REFERER_REFUSAL_EC: Readonly<Record<RefererRefusal, string>> = {
  empty: '0003-00000501',
  blacklisted: '0003-00000502',
  'not-whitelisted': '0003-00000503',
};

// Patterns compile once per configuration object (configurations are decoded once per bucket record), with
// the policy engine's glob (linear, no backtracking RegExp); matching ignores case [UNVERIFIED].
const compiled = new WeakMap<readonly string[], Matcher>();

function matcherOf(list: readonly string[]): Matcher {
  let out = compiled.get(list);
  if (out === undefined) {
    // A pattern matches the Referer's start (OSS: "matching the URL prefix"; `www.aliyun.com` lets
    // `www.aliyun.com/123` and `www.aliyun.com.cn` through).
    out = compileGlobs(list.map((p) => (p.endsWith('*') ? p : `${p}*`).toLowerCase()));
    compiled.set(list, out);
  }
  return out;
}

/** The forms of the Referer a pattern is matched against: as sent, and without its scheme (`*.example.com`, `www.example.com`). */
function candidates(referer: string, cfg: RefererConfig): string[] {
  let r = referer;
  if (cfg.allowTruncateQueryString || cfg.truncatePath) {
    const q = r.search(/[?#]/);
    if (q >= 0) r = r.slice(0, q);
  }
  const scheme = r.indexOf('://');
  if (cfg.truncatePath) {
    const slash = r.indexOf('/', scheme < 0 ? 0 : scheme + 3);
    if (slash >= 0) r = r.slice(0, slash);
  }
  r = r.toLowerCase();
  return scheme < 0 ? [r] : [r, r.slice(scheme + 3)];
}

function matchesAny(list: readonly string[], forms: readonly string[]): boolean {
  const m = matcherOf(list);
  return forms.some((f) => m(f));
}

/**
 * Null when the configuration lets the request through. An empty whitelist turns the whitelist and the
 * empty-Referer rule off (OSS: such a configuration "does not check the Referer"); the blacklist still applies.
 */
export function refererRefusal(cfg: RefererConfig, referer: string | undefined, meter: MatchMeter = newMatchMeter()): RefererRefusal | null {
  const value = (referer ?? '').trim();
  if (value === '') return cfg.allowEmptyReferer || cfg.refererList.length === 0 ? null : 'empty';
  const forms = candidates(value, cfg);
  try {
    return runMetered(meter, () => {
      if (cfg.refererBlacklist.length > 0 && matchesAny(cfg.refererBlacklist, forms)) return 'blacklisted';
      if (cfg.refererList.length > 0 && !matchesAny(cfg.refererList, forms)) return 'not-whitelisted';
      return null;
    });
  } catch (err) {
    // A Referer that costs more to match than the bound (docs/limits.md) is refused, as the policies refuse.
    if (!(err instanceof MatchWorkExceeded)) throw err;
    return cfg.refererList.length > 0 ? 'not-whitelisted' : 'blacklisted';
  }
}
