// Temporary credentials from a token vending service (`alunite vend`, or any server answering like the
// OSS mobile SDKs' STS server: {StatusCode:"200", AccessKeyId, AccessKeySecret, SecurityToken, Expiration}).
// Cached, refreshed once half of their lifetime has passed, one request at a time. No Node-only APIs:
// it runs wherever `fetch` does.

export interface TemporaryCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** When the credentials stop working (from the service's `Expiration`). */
  expiration: Date;
}

export interface VendingCredentialProviderOptions {
  /** The token endpoint, e.g. `https://app.example.com/sts/token`. */
  url: string;
  /** A fixed bearer token … */
  bearer?: string;
  /** … or a function returning the current one (called for every fetch). */
  getBearer?: () => string | Promise<string>;
  /** A named grant of the service (`?grant=`); the service's default when absent. */
  grant?: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests move time with it. */
  clock?: () => number;
  /** How often ali-oss asks `refreshSTSToken` (ms, default 60 000); the provider decides whether to refetch. */
  refreshIntervalMs?: number;
}

/** The service's error answer `{StatusCode, ErrorCode, ErrorMessage}`, or a transport failure (status 0). */
export class VendingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VendingError';
  }
}

/** OSS error codes that mean "these credentials are no good": call `invalidate()` and retry once. */
export const CREDENTIAL_ERROR_CODES: readonly string[] = ['InvalidSecurityToken', 'SecurityTokenExpired', 'InvalidAccessKeyId', 'AccessKeyIdAndSecurityTokenNotMatch'];

export function isCredentialError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CREDENTIAL_ERROR_CODES.includes(code);
}

/** What `new OSS({...})` (ali-oss) takes for STS credentials that refresh themselves. */
export interface AliOssCredentialOptions {
  accessKeyId: string;
  accessKeySecret: string;
  stsToken: string;
  refreshSTSToken: () => Promise<{ accessKeyId: string; accessKeySecret: string; stsToken: string }>;
  refreshSTSTokenInterval: number;
}

export class VendingCredentialProvider {
  private current: { creds: TemporaryCredentials; refreshAt: number } | null = null;
  private pending: Promise<TemporaryCredentials> | null = null;
  private readonly clock: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: VendingCredentialProviderOptions) {
    if (opts.bearer === undefined && opts.getBearer === undefined) throw new TypeError('VendingCredentialProvider: give bearer or getBearer');
    this.clock = opts.clock ?? Date.now;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Cached credentials while less than half of their lifetime has passed; else one fetch shared by all callers. */
  async getCredentials(): Promise<TemporaryCredentials> {
    const c = this.current;
    if (c && this.clock() < c.refreshAt) return c.creds;
    this.pending ??= this.fetchCredentials().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forgets the cached credentials (after an InvalidSecurityToken / SecurityTokenExpired answer). */
  invalidate(): void {
    this.current = null;
  }

  /** Options to spread into `new OSS({...})`; ali-oss then calls refreshSTSToken on its interval. */
  async aliOssOptions(): Promise<AliOssCredentialOptions> {
    const c = await this.getCredentials();
    return {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      stsToken: c.securityToken,
      refreshSTSToken: async () => {
        const n = await this.getCredentials();
        return { accessKeyId: n.accessKeyId, accessKeySecret: n.accessKeySecret, stsToken: n.securityToken };
      },
      refreshSTSTokenInterval: this.opts.refreshIntervalMs ?? 60_000,
    };
  }

  private async fetchCredentials(): Promise<TemporaryCredentials> {
    const bearer = this.opts.getBearer ? await this.opts.getBearer() : this.opts.bearer!;
    const url = new URL(this.opts.url);
    if (this.opts.grant !== undefined) url.searchParams.set('grant', this.opts.grant);
    const started = this.clock();
    let res: Response;
    try {
      res = await this.fetchFn(url.toString(), { headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' }, cache: 'no-store' });
    } catch (err) {
      throw new VendingError(0, 'NetworkError', `cannot reach ${url.origin}${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
    }
    let body: Record<string, unknown>;
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new VendingError(res.status, 'InvalidResponse', `${url.pathname} answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok || (body.StatusCode !== undefined && body.StatusCode !== '200')) {
      throw new VendingError(res.status, String(body.ErrorCode ?? `HTTP${res.status}`), String(body.ErrorMessage ?? `the service answered ${res.status}`));
    }
    const expiration = new Date(String(body.Expiration));
    const fields = [body.AccessKeyId, body.AccessKeySecret, body.SecurityToken];
    if (fields.some((f) => typeof f !== 'string' || f === '') || Number.isNaN(expiration.getTime())) {
      throw new VendingError(res.status, 'InvalidResponse', `${url.pathname} answered without AccessKeyId, AccessKeySecret, SecurityToken and Expiration`);
    }
    const creds: TemporaryCredentials = { accessKeyId: fields[0] as string, accessKeySecret: fields[1] as string, securityToken: fields[2] as string, expiration };
    // Refresh at half of the remaining lifetime as seen from here (the service's cache may hand out
    // credentials that are already partly used).
    this.current = { creds, refreshAt: started + (expiration.getTime() - started) / 2 };
    return creds;
  }
}
