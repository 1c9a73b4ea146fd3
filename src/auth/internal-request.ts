import type { IncomingMessage } from 'node:http';
import { parseQuery, resolveAddress } from '../oss/address.js';
import type { Clock } from '../util/time.js';
import { authenticate, type Authenticated } from './authenticate.js';
import type { CredentialResolver } from './principal.js';

export interface InternalAuthDeps {
  credentials: CredentialResolver;
  region: string;
  clock: Clock;
  hostnames: readonly string[];
}

/** Verifies the signature of a request to a server path (`/-/accounts`, `/-/reset`), signed like any OSS request. */
export function authenticateInternal(req: IncomingMessage, deps: InternalAuthDeps): Promise<Authenticated> {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const address = resolveAddress(req.headers.host, q < 0 ? rawUrl : rawUrl.slice(0, q), { hostnames: deps.hostnames });
  return authenticate(
    { method: req.method ?? 'GET', bucket: address.bucket, key: address.key, query: parseQuery(q < 0 ? '' : rawUrl.slice(q + 1)), headers: req.headers },
    { credentials: deps.credentials, region: deps.region, now: deps.clock() },
  );
}
