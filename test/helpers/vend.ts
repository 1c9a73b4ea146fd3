// Helpers for the token vending service tests: an Alunite server with the app's bucket, role and vending
// RAM user (only sts:AssumeRole), a vend service started in-process against it, JWTs made with node:crypto.
import { createHmac, createSign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { parseConfig, startVend, type RunningVend } from '../../src/vend/index.js';
import { hashPassword } from '../../src/vend/password.js';
import { policyDoc, Ram, type RamUserHandle } from './ram.js';
import { startTestServer, type TestServer } from './server.js';
import { roleArn, TRUST_ACCOUNT } from './sts.js';

export const BUCKET = 'ram-test-app';
export const ROLE = 'AppUser';
export const ROLE_ARN = roleArn(ROLE);
export const AUTHORIZER = "Access denied by authorizer's policy.";

/** The per-user template of the brief: objects under `${user}/`, listing only with that prefix. */
export const USER_TEMPLATE = {
  Version: '1',
  Statement: [
    { Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: ['acs:oss:*:*:${bucket}/${user}/*'] },
    { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:${bucket}'], Condition: { StringLike: { 'oss:Prefix': ['${user}/*'] } } },
  ],
};
export const READ_ONLY_TEMPLATE = {
  Version: '1',
  Statement: [
    { Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:${bucket}/${user}/*'] },
    { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:${bucket}'], Condition: { StringLike: { 'oss:Prefix': ['${user}/*'] } } },
  ],
};
export const TEAM_TEMPLATE = {
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: ['acs:oss:*:*:${bucket}/teams/${group}/*'] }],
};

export interface AppWorld {
  srv: TestServer;
  ram: Ram;
  vendUser: RamUserHandle;
  dir: string;
  /** Shared by the Alunite server and the vend service: tests move time with `world.offset`. */
  offset: number;
  clock: () => number;
  stop(): Promise<void>;
}

/**
 * Alunite with bucket ram-test-app, role AppUser (trusts the account; may do every OSS object action on the
 * bucket) and RAM user `vending` whose only policy allows sts:AssumeRole on that role.
 */
export async function appWorld(opts: { offset?: number; frozen?: boolean } = {}): Promise<AppWorld> {
  const world = { offset: opts.offset ?? 0 } as AppWorld;
  // frozen: time moves only with `offset` (tests of exact refill/retry times on a busy machine).
  const start = Date.now();
  world.clock = opts.frozen === true ? () => start + world.offset : () => Date.now() + world.offset;
  world.srv = await startTestServer({ clock: world.clock });
  world.ram = new Ram(world.srv);
  await world.srv.client().putBucket(BUCKET);
  await world.ram.call('CreateRole', { RoleName: ROLE, AssumeRolePolicyDocument: TRUST_ACCOUNT });
  await world.ram.createPolicy('AppUserAccess', policyDoc({ Effect: 'Allow', Action: ['oss:*'], Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/*`] }));
  await world.ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'AppUserAccess', RoleName: ROLE });
  world.vendUser = await world.ram.userWith('vending', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(ROLE.toLowerCase()) }));
  world.dir = await mkdtemp(join(tmpdir(), 'alunite-vend-'));
  world.stop = async () => {
    await world.srv.stop();
    await rm(world.dir, { recursive: true, force: true });
  };
  return world;
}

/** A users file with these users (password = `pw-<id>`). */
export async function usersFile(dir: string, users: Record<string, string | undefined>, name = 'users.json'): Promise<string> {
  const out: Record<string, { password: string; group?: string }> = {};
  for (const [id, group] of Object.entries(users)) out[id] = { password: await hashPassword(`pw-${id}`), ...(group !== undefined ? { group } : {}) };
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ users: out }), { mode: 0o600 });
  return path;
}

/** The configuration document (as YAML would give it) for a world; `over` replaces top-level sections. */
export function configDoc(world: AppWorld, auth: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    sts: { endpoint: world.srv.url, accessKeyId: world.vendUser.accessKeyId, accessKeySecret: world.vendUser.accessKeySecret, roleArn: ROLE_ARN, durationSeconds: 900 },
    oss: { bucket: BUCKET, region: 'cn-hangzhou', endpoint: world.srv.url, postPolicy: { maxSize: 1024 * 1024, expiresSeconds: 300 } },
    sessionPolicy: USER_TEMPLATE,
    grants: { 'read-only': { policy: READ_ONLY_TEMPLATE }, team: { policy: TEAM_TEMPLATE, groups: ['staff'] } },
    auth,
    rateLimit: { perMinute: 600, burst: 100 },
    ...over,
  };
}

export interface Vend extends RunningVend {
  /** JSON log lines the service wrote. */
  logs: Array<Record<string, unknown>>;
  get(path: string, bearer?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  post(path: string, body: unknown, bearer?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  login(user: string, password?: string): Promise<string>;
}

export async function startVendFor(world: AppWorld, doc: Record<string, unknown>): Promise<Vend> {
  const logs: Array<Record<string, unknown>> = [];
  const config = parseConfig(doc, { baseDir: world.dir, env: {} });
  const running = await startVend({ config, clock: world.clock, log: createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>)) });
  const call = async (method: string, path: string, body: unknown, bearer?: string) => {
    const headers: Record<string, string> = {};
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${running.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  return {
    ...running,
    logs,
    get: (path, bearer) => call('GET', path, undefined, bearer),
    post: (path, body, bearer) => call('POST', path, body, bearer),
    async login(user, password = `pw-${user}`) {
      const r = await call('POST', '/login', { username: user, password });
      if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
  };
}

/** A compact JWS made here with node:crypto (independent of src/vend/jwt.ts). */
export function makeJwt(alg: 'HS256' | 'RS256' | 'ES256' | 'none', key: Buffer | KeyObject | null, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = Buffer.from(JSON.stringify({ alg, typ: 'JWT', ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${h}.${p}`;
  let sig = '';
  if (alg === 'HS256') sig = createHmac('sha256', key as Buffer).update(input).digest('base64url');
  else if (alg === 'RS256') sig = createSign('sha256').update(input).sign(key as KeyObject).toString('base64url');
  else if (alg === 'ES256') sig = createSign('sha256').update(input).sign({ key: key as KeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${input}.${sig}`;
}
