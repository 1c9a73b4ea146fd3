// The signing keys of OIDC issuers (AssumeRoleWithOIDC): discovered from `<issuer>/.well-known/openid-configuration`
// → `jwks_uri`, both over HTTPS with the chain validated (system CAs plus `ca`) AND pinned to the provider's
// Fingerprints (SHA-1 of a certificate of the presented chain); or given statically per issuer for air-gapped
// servers (docs/federation.md). Keys are cached per issuer and pin set; an unknown `kid` refreshes at most once per
// `refreshFloorMs`, so forged tokens cannot make the server hammer an issuer.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { AppError } from '../errors.js';
import { certFingerprint } from '../ims/model.js';
import { dnsFirstLookup } from '../util/dns-lookup.js';

export interface JwksOptions {
  /** Extra trusted CA certificates (PEM), e.g. a private issuer's; the system's roots stay trusted. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Issuer URL → JWKS (a file path, or the JSON text itself): used instead of fetching (air-gapped). */
  staticJwks?: Readonly<Record<string, string>>;
  /** How long fetched keys are used before they are fetched again (default 10 minutes). */
  cacheMs?: number;
  /** An unknown `kid` refetches at most this often per issuer (default 30 s). */
  refreshFloorMs?: number;
  /** After a failed fetch, requests for that issuer fail at once for this long (default 5 s): a dead or
   *  mis-pinned issuer costs one outbound request per period, not one per token. */
  failureMs?: number;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** The DNS server (ip or ip:port) asked for issuer hosts first (util/dns-lookup.ts); default the system's. */
  dnsServer?: string;
  clock?: () => number;
}

/** Largest discovery or JWKS document read (real ones are a few KiB). */
const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * (issuer, pin set) pairs each map below remembers; past it the least recently stored is forgotten (fetched again when
 * next asked). Keys come from the accounts' providers, whose pins change with every fingerprint added or removed:
 * without a bound, a tenant rotating a fingerprint and calling AssumeRoleWithOIDC grew the maps by an entry (a key
 * set, or a remembered failure) per rotation for the life of the process. Mutable for tests only.
 */
export const JWKS_LIMITS = { maxIssuers: 1_024 };

/** Stores `value` as the newest entry of `map`, forgetting the oldest past JWKS_LIMITS.maxIssuers. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > JWKS_LIMITS.maxIssuers) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}

interface Entry {
  keys: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
  /** Fingerprints the keys were fetched under: a changed pin set fetches again. */
  pins: string;
}

function httpsInvalid(message?: string): AppError {
  return new AppError('AuthenticationFail.OIDCToken.HttpsUrlInvalid', message);
}

/** SHA-1 fingerprints of every certificate of the chain the server presented. */
function chainFingerprints(socket: TLSSocket): string[] {
  const out: string[] = [];
  const seen = new Set<PeerCertificate>();
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert)) {
    seen.add(cert);
    out.push(certFingerprint(cert.raw));
    const next: PeerCertificate | undefined = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
    cert = next && next !== cert ? next : undefined;
  }
  return out;
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly lastRefresh = new Map<string, number>();
  /** A failed fetch, answered again without contacting the issuer for `failureMs` (same pins). */
  private readonly failures = new Map<string, { at: number; error: unknown }>();
  private loads = 0;
  private readonly ca: Array<string | Buffer> | undefined;
  /** Issuer hosts by DNS first, off libuv's thread pool: an issuer name whose DNS never answers holds no pool thread. */
  private readonly lookup: LookupFunction;
  private readonly clock: () => number;

  constructor(private readonly opts: JwksOptions = {}) {
    const extra = opts.ca === undefined ? [] : Array.isArray(opts.ca) ? opts.ca : [opts.ca];
    this.ca = extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
    this.clock = opts.clock ?? Date.now;
    this.lookup = dnsFirstLookup(opts.dnsServer);
  }

  /** Loads started (discovery + JWKS, or a static read): what tests count. */
  get fetchCount(): number {
    return this.loads;
  }

  /** Whether this issuer's keys come from the static configuration (no fetch, no pinning). */
  isStatic(issuer: string): boolean {
    return this.opts.staticJwks !== undefined && Object.hasOwn(this.opts.staticJwks, issuer);
  }

  /**
   * The key resolver for `issuer`, holding `kid` if the issuer has it: cached keys when fresh and knowing the
   * kid; else one fetch (shared by concurrent callers), bounded by the refresh floor for unknown kids.
   */
  async keysFor(issuer: string, fingerprints: readonly string[], kid: string | undefined): Promise<JWTVerifyGetKey> {
    const pins = [...fingerprints].map((f) => f.toLowerCase()).sort().join(',');
    // Every map is keyed by issuer AND pin set: providers (of any account) pinning the issuer differently never
    // share fetched keys, fetches in flight, refresh floors or remembered failures; identical pin sets do.
    // Static issuers are not fetched, so their pins do not matter.
    const key = this.isStatic(issuer) ? issuer : `${issuer}\n${pins}`;
    const cached = this.entries.get(key);
    const now = this.clock();
    const fresh = cached !== undefined && now - cached.fetchedAt < (this.opts.cacheMs ?? 600_000);
    if (fresh && (kid === undefined || cached.kids.has(kid))) return cached.keys;
    if (fresh) {
      // A kid the cached keys lack: refetch, but at most once per floor (only such refreshes count).
      if (now - (this.lastRefresh.get(key) ?? -Infinity) < (this.opts.refreshFloorMs ?? 30_000)) return cached.keys;
      remember(this.lastRefresh, key, now);
    }
    const failed = this.failures.get(key);
    if (failed && now - failed.at < (this.opts.failureMs ?? 5_000)) {
      if (fresh) return cached.keys;
      throw failed.error;
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.load(issuer, fingerprints, pins).finally(() => this.inflight.delete(key));
      pending.then(() => this.failures.delete(key), (error: unknown) => remember(this.failures, key, { at: this.clock(), error }));
      this.inflight.set(key, pending);
      this.loads++;
    }
    const entry = await pending;
    remember(this.entries, key, entry);
    return entry.keys;
  }

  private async load(issuer: string, fingerprints: readonly string[], pins: string): Promise<Entry> {
    let jwks: unknown;
    if (this.isStatic(issuer)) {
      const source = this.opts.staticJwks![issuer]!;
      const text = source.trimStart().startsWith('{') ? source : readFileSync(source, 'utf8');
      jwks = JSON.parse(text);
    } else {
      if (fingerprints.length === 0) throw httpsInvalid(`The root ca certificate is not in ca whitelist of this url: ${issuer}`);
      const discovery = await this.getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, fingerprints);
      const uri = typeof discovery === 'object' && discovery !== null ? (discovery as Record<string, unknown>).jwks_uri : undefined;
      if (typeof uri !== 'string' || !uri.startsWith('https://')) throw httpsInvalid('The openid-configuration of the issuer names no https jwks_uri.');
      jwks = await this.getJson(uri, fingerprints);
    }
    const keys = typeof jwks === 'object' && jwks !== null ? (jwks as Record<string, unknown>).keys : undefined;
    if (!Array.isArray(keys)) throw httpsInvalid('The JWKS of the issuer is not a JSON Web Key Set.');
    const kids = new Set(keys.map((k) => (typeof k === 'object' && k !== null ? (k as Record<string, unknown>).kid : undefined)).filter((k): k is string => typeof k === 'string'));
    // jose loads at the first key set (~0.06 s of CPU most servers, which federate no OIDC provider, never spend).
    const { createLocalJWKSet } = await import('jose');
    return { keys: createLocalJWKSet(jwks as JSONWebKeySet), kids, fetchedAt: this.clock(), pins };
  }

  /** GET over HTTPS: chain validated, some certificate of it pinned, body bounded, JSON. */
  private getJson(url: string, fingerprints: readonly string[]): Promise<unknown> {
    const pinned = new Set(fingerprints.map((f) => f.toLowerCase()));
    return new Promise((resolve, reject) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        reject(httpsInvalid(`Invoke url failed: ${url} is not a URL.`));
        return;
      }
      // agent: false: a fresh connection each time, never a resumed TLS session (which presents no certificate to pin).
      const req = httpsRequest(u, { method: 'GET', timeout: this.opts.timeoutMs ?? 5000, headers: { accept: 'application/json' }, rejectUnauthorized: true, agent: false, lookup: this.lookup, ...(this.ca ? { ca: this.ca } : {}) }, (res) => {
        const socket = res.socket as TLSSocket;
        if (!chainFingerprints(socket).some((f) => pinned.has(f))) {
          res.destroy();
          reject(httpsInvalid(`The root ca certificate is not in ca whitelist of this url: ${url}`));
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(httpsInvalid(`Invoke url failed: ${url} answered HTTP ${res.statusCode ?? 0}.`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_DOCUMENT_BYTES) {
            res.destroy();
            reject(httpsInvalid(`Invoke url failed: the document at ${url} is larger than ${MAX_DOCUMENT_BYTES} bytes.`));
          } else chunks.push(c);
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(httpsInvalid(`Invoke url failed: the document at ${url} is not JSON.`));
          }
        });
        res.on('error', () => reject(httpsInvalid(`Invoke url failed: ${url}`)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      // One answer whatever went wrong (refused, reset, not TLS, bad chain): the caller is anonymous, and telling
      // these apart would make the issuer URL a port scanner of the server's network.
      req.on('error', () => reject(httpsInvalid(`Invoke url failed: ${url}`)));
      req.end();
    });
  }
}
