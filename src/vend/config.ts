import { ROLE_ARN_RE } from '../policy/arn.js';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { keyFromPem, keysFromJwks, type VerificationKey } from './jwt.js';
import { unsafeNameReason } from './names.js';
import { PolicyTemplate } from './template.js';

// `alunite vend` configuration (docs/vend.md): YAML read once at start-up, checked completely, every
// fault reported with the path of the field (`grants.upload.policy.Statement[0].Resource: …`).

export interface Grant {
  readonly name: string;
  readonly template: PolicyTemplate;
  /** When set, only users in one of these groups may ask for this grant. */
  readonly groups: readonly string[] | null;
}

export interface UsersAuth {
  readonly mode: 'users';
  readonly usersFile: string;
  /** Lifetime of the login tokens `POST /login` hands out. */
  readonly tokenTtlSeconds: number;
  /** HS256 key for login tokens; null = a random key per process (tokens die with the process). */
  readonly tokenSecret: Buffer | null;
  /** Password checks (scrypt, 16 MiB and ~50 ms each) run at most this many at once… */
  readonly maxConcurrentPasswordChecks: number;
  /** …and at most this many wait; further log-ins get 429 Throttling at once. */
  readonly maxQueuedPasswordChecks: number;
}

export interface JwtAuth {
  readonly mode: 'jwt';
  readonly keys: readonly VerificationKey[];
  readonly issuer: string;
  readonly audience: string;
  readonly leewaySeconds: number;
  readonly userClaim: string;
  readonly groupClaim: string | null;
}

export interface VendConfig {
  /** `tls`: PEM certificate and key files; the service then speaks only HTTPS (bearer tokens and credentials travel). */
  readonly listen: { readonly host: string; readonly port: number; readonly tls: { readonly cert: string; readonly key: string } | null };
  readonly sts: { readonly endpoint: string; readonly accessKeyId: string; readonly accessKeySecret: string; readonly roleArn: string; readonly durationSeconds: number };
  readonly oss: {
    readonly bucket: string;
    readonly region: string;
    readonly endpoint: string;
    /** Path-style URLs (`endpoint/bucket/key`): automatic for IP addresses and localhost. */
    readonly pathStyle: boolean;
    readonly postPolicy: { readonly minSize: number; readonly maxSize: number; readonly expiresSeconds: number };
  };
  readonly grants: ReadonlyMap<string, Grant>;
  readonly defaultGrant: string;
  readonly auth: UsersAuth | JwtAuth;
  /** Token bucket per user, and per client address for log-in attempts; null = no limit. */
  readonly rateLimit: {
    readonly perMinute: number;
    readonly burst: number;
    readonly loginsPerClientPerMinute: number;
    readonly loginsPerClientBurst: number;
  } | null;
  readonly cache: boolean;
  readonly demo: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[], source: string) {
    super(`invalid vend configuration${source ? ` in ${source}` : ''}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Relative file paths (usersFile, key files) are resolved against this folder. */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
  /** Shown in the error message (the config file's path). */
  source?: string;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): VendConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read the file: ${(err as Error).message}`], path);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError([`not valid YAML: ${(err as Error).message}`], path);
  }
  return parseConfig(doc, { baseDir: resolve(path, '..'), env, source: path });
}

const GRANT_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z0-9-]{2,64}$/;
const CLAIM_RE = /^[A-Za-z0-9_:.\/-]{1,128}$/;

type Obj = Record<string, unknown>;

/** Collects problems; each reader returns a fallback so checking continues after a fault. */
class Reader {
  readonly problems: string[] = [];
  constructor(readonly opts: LoadOptions) {}

  fail(path: string, message: string): void {
    this.problems.push(`${path || '(top level)'}: ${message}`);
  }

  object(v: unknown, path: string, allowed: readonly string[], required = true): Obj | null {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return null;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail(path, `must be a mapping, got ${typeName(v)}`);
      return null;
    }
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(join(path, k), `is not a known setting (expected one of ${allowed.join(', ')})`);
    return v as Obj;
  }

  string(o: Obj | null, key: string, path: string, opts: { fallback?: string; re?: RegExp; what?: string; env?: string } = {}): string {
    const p = join(path, key);
    let v = o?.[key];
    if ((v === undefined || v === null) && opts.env !== undefined && this.opts.env?.[opts.env]) v = this.opts.env[opts.env];
    if (v === undefined || v === null) {
      if (opts.fallback !== undefined) return opts.fallback;
      this.fail(p, `is required${opts.env ? ` (or set ${opts.env})` : ''}`);
      return '';
    }
    if (typeof v !== 'string' || v === '') {
      this.fail(p, `must be a non-empty string, got ${typeName(v)}`);
      return '';
    }
    if (opts.re && !opts.re.test(v)) this.fail(p, `${JSON.stringify(v)} is not ${opts.what ?? `of the form ${opts.re.source}`}`);
    return v;
  }

  int(o: Obj | null, key: string, path: string, min: number, max: number, fallback?: number): number {
    const p = join(path, key);
    const v = o?.[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(p, 'is required');
      return min;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(p, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return fallback ?? min;
    }
    return v;
  }

  bool(o: Obj | null, key: string, path: string, fallback: boolean): boolean {
    const v = o?.[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(join(path, key), `must be true or false, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  }

  file(o: Obj | null, key: string, path: string): string | null {
    const v = this.string(o, key, path);
    return v === '' ? null : isAbsolute(v) ? v : resolve(this.opts.baseDir, v);
  }

  url(o: Obj | null, key: string, path: string, env?: string): string {
    const v = this.string(o, key, path, env === undefined ? {} : { env });
    if (v === '') return v;
    const fromEnv = env !== undefined && (o?.[key] === undefined || o?.[key] === null);
    const p = fromEnv ? `${join(path, key)} (from ${env})` : join(path, key);
    let u: URL;
    try {
      // As the CLI reads ALUNITE_ENDPOINT: a bare host:port there means http.
      u = new URL(fromEnv && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? `http://${v}` : v);
    } catch {
      this.fail(p, `${JSON.stringify(v)} is not a URL (http(s)://host[:port])`);
      return v;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') this.fail(p, `${JSON.stringify(v)} must be an http or https URL`);
    if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.username !== '') this.fail(p, `${JSON.stringify(v)} must be scheme://host[:port] only`);
    return `${u.protocol}//${u.host}`;
  }
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? JSON.stringify(v) : typeof v);

/** Checks a parsed YAML document; throws ConfigError with every problem found. */
export function parseConfig(doc: unknown, opts: LoadOptions): VendConfig {
  const r = new Reader(opts);
  const top = r.object(doc, '', ['listen', 'sts', 'oss', 'sessionPolicy', 'grants', 'defaultGrant', 'auth', 'rateLimit', 'cache', 'demo']);
  if (top === null) throw new ConfigError(r.problems, opts.source ?? '');

  const listenO = r.object(top.listen, 'listen', ['host', 'port', 'tls'], false);
  // Both files are required once `tls` is there (relative paths: against the configuration file's folder).
  const tlsO = r.object(listenO?.tls, 'listen.tls', ['cert', 'key'], false);
  const listen = {
    host: r.string(listenO, 'host', 'listen', { fallback: '127.0.0.1' }), port: r.int(listenO, 'port', 'listen', 0, 65535, 8940),
    tls: tlsO === null ? null : { cert: r.file(tlsO, 'cert', 'listen.tls') ?? '', key: r.file(tlsO, 'key', 'listen.tls') ?? '' },
  };

  const stsO = r.object(top.sts, 'sts', ['endpoint', 'accessKeyId', 'accessKeySecret', 'roleArn', 'durationSeconds']);
  const sts = {
    // Unset: the Alunite server the CLI client talks to (the same variable), so a config works on any port.
    endpoint: r.url(stsO, 'endpoint', 'sts', 'ALUNITE_ENDPOINT'),
    accessKeyId: r.string(stsO, 'accessKeyId', 'sts', { env: 'ALUNITE_VEND_ACCESS_KEY_ID' }),
    accessKeySecret: r.string(stsO, 'accessKeySecret', 'sts', { env: 'ALUNITE_VEND_ACCESS_KEY_SECRET' }),
    roleArn: r.string(stsO, 'roleArn', 'sts', { re: ROLE_ARN_RE, what: 'a role ARN (acs:ram::<16-digit account id>:role/<role name>)' }),
    // STS allows 900 s up to the role's MaxSessionDuration (at most 12 h).
    durationSeconds: r.int(stsO, 'durationSeconds', 'sts', 900, 43200, 3600),
  };

  const ossO = r.object(top.oss, 'oss', ['bucket', 'region', 'endpoint', 'pathStyle', 'postPolicy']);
  const bucket = r.string(ossO, 'bucket', 'oss', { re: BUCKET_RE, what: 'a bucket name (3-63 of a-z 0-9 -)' });
  const endpoint = r.url(ossO, 'endpoint', 'oss', 'ALUNITE_ENDPOINT');
  const host = endpoint ? new URL(endpoint).hostname : '';
  const ppO = r.object(ossO?.postPolicy, 'oss.postPolicy', ['minSize', 'maxSize', 'expiresSeconds'], false);
  const postPolicy = {
    minSize: r.int(ppO, 'minSize', 'oss.postPolicy', 0, 5 * 1024 ** 3, 0),
    maxSize: r.int(ppO, 'maxSize', 'oss.postPolicy', 1, 5 * 1024 ** 3, 100 * 1024 * 1024),
    expiresSeconds: r.int(ppO, 'expiresSeconds', 'oss.postPolicy', 1, 3600, 300),
  };
  if (postPolicy.minSize > postPolicy.maxSize) r.fail('oss.postPolicy.minSize', `must not exceed maxSize (${postPolicy.maxSize})`);
  const oss = {
    bucket,
    region: r.string(ossO, 'region', 'oss', { re: REGION_RE, what: 'a region id such as cn-hangzhou' }).replace(/^oss-/, ''),
    endpoint,
    pathStyle: r.bool(ossO, 'pathStyle', 'oss', /^(\d+\.){3}\d+$|^\[|^localhost$/.test(host)),
    postPolicy,
  };

  // Grants: `sessionPolicy` is shorthand for a grant named "default".
  const grants = new Map<string, Grant>();
  const addGrant = (name: string, policy: unknown, groups: readonly string[] | null, path: string): void => {
    const t = PolicyTemplate.from(policy);
    if (!t.ok) return r.fail(t.fault.path ? `${path}.${t.fault.path}` : path, t.fault.message);
    const fault = bucket ? t.template.validate(bucket) : null;
    if (fault) return r.fail(fault.path ? `${path}.${fault.path}` : path, fault.message);
    grants.set(name, { name, template: t.template, groups });
  };
  if (top.sessionPolicy !== undefined) addGrant('default', top.sessionPolicy, null, 'sessionPolicy');
  const grantsO = r.object(top.grants, 'grants', Object.keys((top.grants as Obj | undefined) ?? {}), false);
  for (const [name, g] of Object.entries(grantsO ?? {})) {
    const path = `grants.${name}`;
    if (!GRANT_NAME_RE.test(name)) {
      r.fail(path, 'grant names are 1-64 characters of A-Z a-z 0-9 _ -');
      continue;
    }
    if (name === 'default' && top.sessionPolicy !== undefined) {
      r.fail(path, 'is also defined by sessionPolicy (which is the grant named "default")');
      continue;
    }
    const go = r.object(g, path, ['policy', 'groups']);
    if (go === null) continue;
    let groups: string[] | null = null;
    if (go.groups !== undefined) {
      if (!Array.isArray(go.groups) || go.groups.length === 0) r.fail(`${path}.groups`, 'must be a non-empty list of group names');
      else {
        groups = [];
        go.groups.forEach((x: unknown, i: number) => {
          const why = unsafeNameReason(x);
          if (why !== null) r.fail(`${path}.groups[${i}]`, why);
          else groups!.push(x as string);
        });
      }
    }
    if (go.policy === undefined) r.fail(`${path}.policy`, 'is required');
    else addGrant(name, go.policy, groups, `${path}.policy`);
  }
  if (top.sessionPolicy === undefined && grantsO === null) r.fail('sessionPolicy', 'is required (or define grants)');
  let defaultGrant = grants.has('default') ? 'default' : [...grants.keys()][0] ?? 'default';
  if (top.defaultGrant !== undefined) {
    defaultGrant = r.string(top, 'defaultGrant', '');
    const declared = new Set([...(top.sessionPolicy !== undefined ? ['default'] : []), ...Object.keys(grantsO ?? {})]);
    if (defaultGrant && !declared.has(defaultGrant)) r.fail('defaultGrant', `${JSON.stringify(defaultGrant)} is not a grant (have ${[...declared].join(', ') || 'none'})`);
  }

  const auth = parseAuth(r, top.auth);

  let rateLimit: VendConfig['rateLimit'] = { perMinute: 60, burst: 10, loginsPerClientPerMinute: 60, loginsPerClientBurst: 20 };
  if (top.rateLimit === false) rateLimit = null;
  else {
    const rl = r.object(top.rateLimit, 'rateLimit', ['perMinute', 'burst', 'loginsPerClientPerMinute', 'loginsPerClientBurst'], false);
    if (rl) {
      const perMinute = r.int(rl, 'perMinute', 'rateLimit', 1, 1_000_000, 60);
      const burst = r.int(rl, 'burst', 'rateLimit', 1, 10_000, 10);
      // Per client address (which may be a whole office), log-ins default to at least 60/min, burst 20.
      rateLimit = {
        perMinute,
        burst,
        loginsPerClientPerMinute: r.int(rl, 'loginsPerClientPerMinute', 'rateLimit', 1, 1_000_000, Math.max(perMinute, 60)),
        loginsPerClientBurst: r.int(rl, 'loginsPerClientBurst', 'rateLimit', 1, 10_000, Math.max(burst, 20)),
      };
    }
  }

  const cacheO = r.object(top.cache, 'cache', ['enabled'], false);
  const demoO = r.object(top.demo, 'demo', ['enabled'], false);
  const config: VendConfig = {
    listen,
    sts,
    oss,
    grants,
    defaultGrant,
    auth: auth ?? { mode: 'users', usersFile: '', tokenTtlSeconds: 3600, tokenSecret: null, maxConcurrentPasswordChecks: 2, maxQueuedPasswordChecks: 32 },
    rateLimit,
    cache: r.bool(cacheO, 'enabled', 'cache', true),
    demo: r.bool(demoO, 'enabled', 'demo', true),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems, opts.source ?? '');
  return config;
}

function parseAuth(r: Reader, v: unknown): UsersAuth | JwtAuth | null {
  const mode = (v as Obj | null | undefined)?.mode;
  if (mode === 'users') {
    const o = r.object(v, 'auth', ['mode', 'usersFile', 'tokenTtlSeconds', 'tokenSecret', 'maxConcurrentPasswordChecks', 'maxQueuedPasswordChecks'])!;
    const usersFile = r.file(o, 'usersFile', 'auth') ?? '';
    const secret = r.string(o, 'tokenSecret', 'auth', { env: 'ALUNITE_VEND_TOKEN_SECRET', fallback: '' });
    if (secret !== '' && secret.length < 32) r.fail('auth.tokenSecret', 'must be at least 32 characters');
    return {
      mode, usersFile, tokenTtlSeconds: r.int(o, 'tokenTtlSeconds', 'auth', 60, 86400, 3600), tokenSecret: secret === '' ? null : Buffer.from(secret, 'utf8'),
      maxConcurrentPasswordChecks: r.int(o, 'maxConcurrentPasswordChecks', 'auth', 1, 64, 2),
      maxQueuedPasswordChecks: r.int(o, 'maxQueuedPasswordChecks', 'auth', 0, 10_000, 32),
    };
  }
  if (mode === 'jwt') {
    const o = r.object(v, 'auth', ['mode', 'secret', 'publicKeyFile', 'jwksFile', 'issuer', 'audience', 'leewaySeconds', 'userClaim', 'groupClaim'])!;
    const sources = ['secret', 'publicKeyFile', 'jwksFile'].filter((k) => o[k] !== undefined);
    let keys: VerificationKey[] = [];
    if (sources.length !== 1) r.fail('auth', `give exactly one of secret (HS256), publicKeyFile (RS256/ES256 PEM), jwksFile (got ${sources.length === 0 ? 'none' : sources.join(', ')})`);
    else if (sources[0] === 'secret') {
      const s = r.string(o, 'secret', 'auth');
      if (s.length < 32) r.fail('auth.secret', 'must be at least 32 characters (HS256 key)');
      keys = [{ alg: 'HS256', key: Buffer.from(s, 'utf8') }];
    } else {
      const key = sources[0]!;
      const file = r.file(o, key, 'auth');
      if (file !== null) {
        try {
          const text = readFileSync(file, 'utf8');
          keys = key === 'publicKeyFile' ? [keyFromPem(text)] : keysFromJwks(JSON.parse(text));
        } catch (err) {
          r.fail(`auth.${key}`, `${file}: ${(err as Error).message}`);
        }
      }
    }
    const claim = (k: string, fallback?: string): string => r.string(o, k, 'auth', { re: CLAIM_RE, what: 'a claim name', ...(fallback !== undefined ? { fallback } : {}) });
    const groupClaim = o.groupClaim === undefined ? null : claim('groupClaim');
    return {
      mode,
      keys,
      issuer: r.string(o, 'issuer', 'auth'),
      audience: r.string(o, 'audience', 'auth'),
      leewaySeconds: r.int(o, 'leewaySeconds', 'auth', 0, 300, 30),
      userClaim: claim('userClaim', 'sub'),
      groupClaim,
    };
  }
  if (v === undefined) r.fail('auth', 'is required');
  else r.fail('auth.mode', `must be "users" or "jwt", got ${typeName(mode)}`);
  return null;
}
