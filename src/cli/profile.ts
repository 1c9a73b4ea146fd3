import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEV_DEFAULTS } from '../defaults.js';
import { hintOnFailure, UsageError } from './output.js';

// Where the CLI's credentials come from: ~/.alunite/config (INI sections, one per profile), the
// ALUNITE_* environment and the connection flags. See docs/cli.md "Profiles and precedence".

/** `expiration` (ISO time) is written by `sts assume-role --save-profile` next to the temporary credentials. */
export const PROFILE_KEYS = ['endpoint', 'region', 'access_key_id', 'access_key_secret', 'security_token', 'expiration'] as const;
export type ProfileKey = (typeof PROFILE_KEYS)[number];
export type Profile = Partial<Record<ProfileKey, string>>;
export type ConfigFile = Map<string, Profile>;

export const DEV_ENDPOINT = 'http://127.0.0.1:8930';
export const DEFAULT_REGION = 'cn-hangzhou';
const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The connection flags every remote command takes (commander camelCases them). */
export interface ConnectionFlags {
  profile?: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
}

export interface Connection {
  endpoint: string;
  /** Without the `oss-` prefix, e.g. cn-hangzhou. */
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** When temporary credentials expire, if known (profiles written by sts assume-role --save-profile). */
  expiration?: string;
  /** Where the credentials came from, for messages: `flags`, `environment`, `profile NAME`, `development defaults`. */
  source: string;
}

export function alunitePaths(env: NodeJS.ProcessEnv = process.env): { config: string; checkpoints: string } {
  const home = env.HOME && env.HOME !== '' ? env.HOME : homedir();
  return {
    config: env.ALUNITE_CONFIG && env.ALUNITE_CONFIG !== '' ? env.ALUNITE_CONFIG : join(home, '.alunite', 'config'),
    checkpoints: join(home, '.alunite', 'checkpoints'),
  };
}

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) throw new UsageError(`invalid profile name "${name}" (letters, digits, "_", "-", "." only)`);
  return name;
}

/** Parses the INI text; unknown keys are kept out, malformed lines are an error naming the line. */
export function parseConfig(text: string, file: string): ConfigFile {
  const out: ConfigFile = new Map();
  let current: Profile | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!;
      if (!PROFILE_NAME.test(name)) throw new UsageError(`${file}:${i + 1}: invalid profile name "${name}"`);
      current = out.get(name) ?? {};
      out.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UsageError(`${file}:${i + 1}: expected "key = value" or "[profile]"`);
    if (!current) throw new UsageError(`${file}:${i + 1}: "${line.slice(0, eq).trim()}" is outside a [profile] section`);
    const key = line.slice(0, eq).trim();
    if ((PROFILE_KEYS as readonly string[]).includes(key)) current[key as ProfileKey] = line.slice(eq + 1).trim();
  }
  return out;
}

export function serializeConfig(config: ConfigFile): string {
  const parts: string[] = [];
  for (const [name, p] of config) {
    const lines = [`[${name}]`];
    for (const k of PROFILE_KEYS) if (p[k] !== undefined && p[k] !== '') lines.push(`${k} = ${p[k]}`);
    parts.push(lines.join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

/** The config file's profiles, or null when the file does not exist. */
export async function readConfig(file: string): Promise<ConfigFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file);
}

/**
 * Writes one profile (merged over what the file already has for it), atomically and readable by the
 * owner only: a temp file created 0600 next to it, renamed over it; the directory is created 0700.
 */
export async function writeProfile(file: string, name: string, values: Profile, replace = false): Promise<Profile> {
  checkProfileName(name);
  const config = (await readConfig(file)) ?? new Map<string, Profile>();
  const merged: Profile = replace ? { ...values } : { ...config.get(name), ...values };
  for (const k of PROFILE_KEYS) {
    const v = merged[k];
    if (v !== undefined && /[\r\n]/.test(v)) throw new UsageError(`${k} must be a single line`);
    if (v === undefined || v === '') delete merged[k];
  }
  config.set(name, merged);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(serializeConfig(config));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await chmod(file, 0o600); // an existing file keeps no wider mode than a new one
  return merged;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Resolves endpoint, region and credentials. Precedence: flags > environment > profile > the local
 * server's development defaults (only when no profile is in use); a profile named with `--profile` is a
 * flag too and comes before the environment (after `eval "$(alunite sts assume-role … --export)"` an
 * explicit `--profile` must still mean that profile). The AccessKey id, secret and STS token travel
 * together: they come from the first layer that names an AccessKey, never mixed.
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const file = alunitePaths(env).config;
  const requested = nonEmpty(flags.profile) ?? nonEmpty(env.ALUNITE_PROFILE);
  const config = await readConfig(file);
  let profileName: string | undefined;
  let profile: Profile | undefined;
  if (requested !== undefined) {
    checkProfileName(requested);
    if (!config) throw new UsageError(`profile "${requested}" not found: ${file} does not exist (run: alunite configure --profile ${requested})`);
    profile = config.get(requested);
    if (!profile) {
      const names = [...config.keys()];
      throw new UsageError(`profile "${requested}" not found in ${file} (${names.length ? `profiles: ${names.join(', ')}` : 'it has no profiles'})`);
    }
    profileName = requested;
  } else if (config?.has('default')) {
    profile = config.get('default');
    profileName = 'default';
  }

  const explicitProfile = profile !== undefined && nonEmpty(flags.profile) !== undefined;
  const envLayer = { source: 'environment', id: nonEmpty(env.ALUNITE_ACCESS_KEY_ID), secret: nonEmpty(env.ALUNITE_ACCESS_KEY_SECRET), token: nonEmpty(env.ALUNITE_SECURITY_TOKEN) };
  const layers: { source: string; id?: string; secret?: string; token?: string; expiration?: string }[] = [
    { source: 'flags', id: nonEmpty(flags.accessKeyId), secret: nonEmpty(flags.accessKeySecret), token: nonEmpty(flags.securityToken) },
  ];
  if (!explicitProfile) layers.push(envLayer);
  if (profile) layers.push({ source: `profile ${profileName} (${file})`, id: profile.access_key_id, secret: profile.access_key_secret, token: profile.security_token, expiration: profile.expiration });
  if (explicitProfile) layers.push(envLayer);

  let creds: { source: string; id: string; secret: string; token?: string; expiration?: string } | undefined;
  for (const l of layers) {
    if (l.id === undefined && l.secret === undefined && l.token === undefined) continue;
    const what = l.source === 'flags' ? ['--access-key-id', '--access-key-secret'] : l.source === 'environment' ? ['ALUNITE_ACCESS_KEY_ID', 'ALUNITE_ACCESS_KEY_SECRET'] : ['access_key_id', 'access_key_secret'];
    if (l.id === undefined) throw new UsageError(`${l.source}: ${what[1]} (or a security token) is given without ${what[0]}`);
    if (l.secret === undefined) throw new UsageError(`${l.source}: ${what[0]} is given without ${what[1]}`);
    creds = {
      source: l.source, id: l.id, secret: l.secret,
      ...(l.token !== undefined ? { token: l.token } : {}),
      ...(l.token !== undefined && l.expiration !== undefined ? { expiration: l.expiration } : {}),
    };
    break;
  }
  if (!creds) {
    if (profile) throw new UsageError(`profile ${profileName} in ${file} has no access_key_id/access_key_secret (run: alunite configure --profile ${profileName})`);
    if (config && config.size > 0) {
      throw new UsageError(`no credentials: ${file} has no [default] profile (profiles: ${[...config.keys()].join(', ')}); use --profile NAME`);
    }
    creds = { source: 'development defaults', id: DEV_DEFAULTS.accessKeyId, secret: DEV_DEFAULTS.accessKeySecret };
  }

  // An `STS.` id alone is refused as an unknown AccessKey (InvalidAccessKeyId, as the cloud answers): say what is missing.
  if (creds.id.startsWith('STS.') && creds.token === undefined) {
    const tokenName = creds.source === 'flags' ? '--security-token' : creds.source === 'environment' ? 'ALUNITE_SECURITY_TOKEN' : 'security_token';
    hintOnFailure(`${creds.id} is a temporary (STS) AccessKeyId: it works only with the SecurityToken issued with it (${tokenName})`);
  }

  let endpoint = explicitProfile
    ? nonEmpty(flags.endpoint) ?? profile?.endpoint ?? nonEmpty(env.ALUNITE_ENDPOINT)
    : nonEmpty(flags.endpoint) ?? nonEmpty(env.ALUNITE_ENDPOINT) ?? profile?.endpoint;
  if (endpoint === undefined) {
    if (profile) throw new UsageError(`profile ${profileName} in ${file} has no endpoint (run: alunite configure --profile ${profileName})`);
    endpoint = DEV_ENDPOINT;
  }
  const regionFrom = explicitProfile
    ? nonEmpty(flags.region) ?? profile?.region ?? nonEmpty(env.ALUNITE_REGION)
    : nonEmpty(flags.region) ?? nonEmpty(env.ALUNITE_REGION) ?? profile?.region;
  const region = (regionFrom ?? DEFAULT_REGION).replace(/^oss-/, '');
  return {
    endpoint: checkEndpoint(endpoint),
    region,
    accessKeyId: creds.id,
    accessKeySecret: creds.secret,
    ...(creds.token !== undefined ? { securityToken: creds.token } : {}),
    ...(creds.expiration !== undefined ? { expiration: creds.expiration } : {}),
    source: creds.source,
  };
}

/** `http(s)://host[:port]`; a bare host gets http:// (what a local server speaks). */
export function checkEndpoint(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid endpoint "${value}" (expected http(s)://host[:port])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`invalid endpoint "${value}": only http and https are supported`);
  return `${u.protocol}//${u.host}`;
}
