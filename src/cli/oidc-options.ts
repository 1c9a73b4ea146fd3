// `alunite server` flags for AssumeRoleWithOIDC (docs/federation.md): extra CAs for issuers' HTTPS and, for
// air-gapped servers, an issuer's JWKS from a file instead of the network.
import { readFileSync } from 'node:fs';
import type { ServerOptions } from '../server.js';
import { UsageError } from './output.js';

export interface OidcFlags {
  oidcCa?: string;
  oidcJwks?: string[];
}

/** `--oidc-jwks https://issuer=/path/jwks.json` (repeatable; env ALUNITE_OIDC_JWKS, comma-separated). */
export function oidcOptions(o: OidcFlags, env: NodeJS.ProcessEnv): Pick<ServerOptions, 'oidc'> {
  const caFile = o.oidcCa ?? env.ALUNITE_OIDC_CA;
  const pairs = o.oidcJwks && o.oidcJwks.length > 0 ? o.oidcJwks : (env.ALUNITE_OIDC_JWKS ?? '').split(',').filter((s) => s !== '');
  const staticJwks: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=', 'https://'.length);
    if (!pair.startsWith('https://') || at < 0) throw new UsageError(`--oidc-jwks wants <issuer URL>=<JWKS file>, got ${JSON.stringify(pair)}`);
    staticJwks[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (caFile === undefined && pairs.length === 0) return {};
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch {
      throw new UsageError(`--oidc-ca: cannot read ${caFile}`);
    }
  }
  return { oidc: { ...(ca !== undefined ? { ca } : {}), ...(pairs.length > 0 ? { staticJwks } : {}) } };
}
