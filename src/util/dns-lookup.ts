// Host name lookups for outbound requests to names a caller chose (upload callbacks, async fetch sources, OIDC
// issuers). node's dns.lookup is getaddrinfo on libuv's thread pool, of which libuv runs at most two at once for
// the whole process, and none can be cancelled: a name whose DNS server never answers holds one ~10 s (resolv.conf's
// default 5 s × 2 tries). Anyone who can make the server look such names up could so queue every other lookup of the
// process behind them: 20 uploads with callbacks to such names, and for ~100 s every other callback failed
// (test/redteam-callback-dns.test.ts). DNS through c-ares runs off the pool, A and AAAA at once, each query given up.
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';

/** How long a DNS query waits for its answer (one try): an upload callback's own deadline. */
export const DNS_QUERY_TIMEOUT_MS = 5_000;

type Found = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** How long one c-ares channel is used: a new one reads the system's resolv.conf again (getaddrinfo notices changes). */
const CHANNEL_MAX_AGE_MS = 60_000;

// One c-ares channel per DNS server (configuration: one or two), its queries on one socket however many wait; a
// replaced channel finishes the queries it has.
const resolvers = new Map<string, { resolver: Resolver; since: number }>();
function resolverFor(dnsServer: string | undefined): Resolver {
  const now = Date.now();
  const kept = resolvers.get(dnsServer ?? '');
  if (kept !== undefined && now - kept.since < CHANNEL_MAX_AGE_MS) return kept.resolver;
  const resolver = new Resolver({ timeout: DNS_QUERY_TIMEOUT_MS, tries: 1 });
  if (dnsServer !== undefined) resolver.setServers([dnsServer]);
  resolvers.set(dnsServer ?? '', { resolver, since: now });
  return resolver;
}

const notFound = (hostname: string, code = 'ENOTFOUND'): NodeJS.ErrnoException => Object.assign(new Error(`lookup of ${hostname} failed: ${code}`), { code });
const isLocalhost = (name: string): boolean => name === 'localhost' || name.endsWith('.localhost');

/**
 * The addresses DNS gives `hostname` (of `family`: 4, 6, or both), asked of `dnsServer` (ip or ip:port) or the
 * system's servers, never through getaddrinfo (so never from /etc/hosts). `localhost` names are the loopback
 * addresses and `invalid` names never exist (RFC 6761), without asking.
 */
export function dnsOnlyLookup(hostname: string, family: number | string | undefined, dnsServer: string | undefined, found: Found): void {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (isLocalhost(name)) return found(null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
  if (name === 'invalid' || name.endsWith('.invalid')) return found(notFound(hostname), []);
  const resolver = resolverFor(dnsServer);
  const want = family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : 0;
  const asked: Array<Promise<LookupAddress[]>> = [];
  if (want !== 6) asked.push(resolver.resolve4(hostname).then((a) => a.map((address) => ({ address, family: 4 }))));
  if (want !== 4) asked.push(resolver.resolve6(hostname).then((a) => a.map((address) => ({ address, family: 6 }))));
  void Promise.allSettled(asked).then((results) => {
    const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length > 0) return found(null, addresses);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A name without addresses of either family is ENOTFOUND, as getaddrinfo reports it (c-ares says ENODATA).
    const code = (failed?.reason as NodeJS.ErrnoException | undefined)?.code;
    found(notFound(hostname, code === undefined || code === 'ENODATA' ? 'ENOTFOUND' : code), []);
  });
}

/** getaddrinfo calls a DNS-first lookup may have running at once: libuv runs two, and the other stays free. */
const SYSTEM_FALLBACKS_MAX = 1;
let systemFallbacks = 0;

/**
 * DNS first (dnsOnlyLookup, `localhost` names the loopback addresses); a name DNS does not know (a host of /etc/hosts) is then asked of
 * the system (getaddrinfo), at most SYSTEM_FALLBACKS_MAX at once (beyond: not found), so names whose DNS never
 * answers (a timeout, not a "no such name") never reach the thread pool, and the pool's other lookup slot stays free.
 * For OIDC issuers, which may be internal hosts the system alone knows.
 */
export function dnsFirstLookup(dnsServer?: string): LookupFunction {
  return (hostname, options, callback) => {
    const answer: Found = (err, addresses) => {
      if (err !== null || addresses.length === 0) return callback(err ?? notFound(hostname), '', 4);
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const viaSystem = (): void => {
      if (systemFallbacks >= SYSTEM_FALLBACKS_MAX) return answer(notFound(hostname, 'EAI_AGAIN'), []);
      systemFallbacks++;
      systemLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses: LookupAddress[]) => {
        systemFallbacks--;
        answer(err, addresses ?? []);
      });
    };
    // `localhost` names are the loopback addresses (RFC 6761; dnsOnlyLookup answers so without asking): asked of the
    // system they took its one fallback slot, and two issuers on this machine looked up at once refused the second.
    dnsOnlyLookup(hostname, options.family, dnsServer, (err, addresses) => {
      if (err !== null && err.code === 'ENOTFOUND') return viaSystem();
      answer(err, addresses);
    });
  };
}
