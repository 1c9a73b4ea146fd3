// The declared starting state (docs/init.md): `server --init`, idempotent re-apply, changed files,
// every validation error with line and field, export round trip, and POST /-/reset. Real servers,
// real clients (ali-oss, @alicloud/pop-core), raw HTTP for the reset endpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import OSS from 'ali-oss';
import { parse } from 'yaml';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';
import { expectOssError } from './helpers/oss.js';
import { currentState, reset, stateDir } from './helpers/init.js';
import { errorOf } from './helpers/raw-http.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer } from './helpers/server.js';
import { BIN, spawnServer, kill9 } from './helpers/spawn.js';
import { testPostgres } from './helpers/postgres.js';
import { cliHome, fails, json } from './helpers/cli.js';

const CI_KEY = 'LTAI5tCiReader0000000001';
const CI_SECRET = 'CiReaderSecret0000000000000001';
const DEPLOY_KEY = 'LTAI5tDeployer000000002A';
const DEPLOY_SECRET = 'DeployerSecret00000000000000002';

/** The example state; `edit` changes the text before it is written (the "changed file" cases). */
function stateYaml(edit: (s: string) => string = (s) => s): string {
  return edit(`version: 1
policies:
  - name: read-photos
    description: read the photos bucket
    document:
      Version: "1"
      Statement:
        - Effect: Allow
          Action: ["oss:GetObject", "oss:ListObjects"]
          Resource: ["acs:oss:*:*:photos", "acs:oss:*:*:photos/*"]
  - name: deploy-site
    document: file:policies/deploy.json
users:
  - name: ci-reader
    displayName: CI reader
    comments: used by CI
    accessKeys:
      - id: ${CI_KEY}
        secret: \${CI_READER_SECRET}
    policies: [read-photos]
  - name: deployer
    accessKeys:
      - id: ${DEPLOY_KEY}
        secret: ${DEPLOY_SECRET.slice(0, 30)}
groups:
  - name: deployers
    comments: can publish the site
    members: [deployer]
    policies: [deploy-site, AliyunSTSAssumeRoleAccess]
roles:
  - name: reader
    description: assumed by apps
    maxSessionDuration: 7200
    trustPolicy:
      Version: "1"
      Statement:
        - Effect: Allow
          Action: sts:AssumeRole
          Principal: { RAM: ["acs:ram::${ACCOUNT_ID}:root"] }
    policies: [read-photos]
buckets:
  - name: photos
    acl: private
    storageClass: Standard
    objects:
      - key: hello.txt
        file: files/hello.txt
      - key: img/logo.svg
        file: files/logo.svg
  - name: site
    acl: public-read
    policy:
      Version: "1"
      Statement:
        - Effect: Allow
          Action: ["oss:GetObject"]
          Principal: ["*"]
          Resource: ["acs:oss:*:${ACCOUNT_ID}:site/*"]
    cors:
      rules:
        - allowedOrigins: ["https://example.com"]
          allowedMethods: [GET, HEAD]
          allowedHeaders: ["*"]
          exposeHeaders: [ETag]
          maxAgeSeconds: 600
`);
}

const DEPLOY_POLICY = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: ['acs:oss:*:*:site/*'] }],
});

async function exampleDir(edit?: (s: string) => string): Promise<string> {
  return stateDir({
    'alunite.yaml': stateYaml(edit),
    'policies/deploy.json': DEPLOY_POLICY,
    'files/hello.txt': 'hello from the state file\n',
    'files/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  });
}

const env = { CI_READER_SECRET: CI_SECRET };
process.env.CI_READER_SECRET = CI_SECRET;

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'alunite-init-data-'));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** With ALUNITE_TEST_META=postgres (test/pg-init.test.ts), the metadata of each data directory in its own PostgreSQL schema. */
const onPostgres = process.env.ALUNITE_TEST_META === 'postgres';
const pgUrls = new Map<string, Promise<string>>();
async function metaFor(dataDir: string): Promise<string | undefined> {
  if (!onPostgres) return undefined;
  if (!pgUrls.has(dataDir)) pgUrls.set(dataDir, testPostgres().then((pg) => pg.freshUrl()));
  return pgUrls.get(dataDir);
}

/** A server on `dataDir` (kept between restarts), with the state file applied at start. */
async function serverOn(dataDir: string, extra: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const meta = await metaFor(dataDir);
  return startServer({
    host: '127.0.0.1', port: 0, dataDir, inMemory: false, region: 'cn-hangzhou', accountId: ACCOUNT_ID,
    rootAccessKeyId: AK, rootAccessKeySecret: SECRET, logLevel: 'silent', durable: false,
    masterKey: Buffer.alloc(32, 7), ...(meta !== undefined ? { meta } : {}), ...extra,
  });
}

const oss = (srv: RunningServer, accessKeyId: string, accessKeySecret: string, bucket?: string): OSS =>
  new OSS({ region: 'oss-cn-hangzhou', endpoint: srv.url, accessKeyId, accessKeySecret, ...(bucket ? { bucket } : {}), timeout: 120_000 } as OSS.Options);

const pop = (srv: RunningServer, accessKeyId: string, accessKeySecret: string, apiVersion = '2015-05-01'): RPCClient =>
  new RPCClient({ accessKeyId, accessKeySecret, endpoint: srv.url, apiVersion });

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

async function ramCall(srv: RunningServer, action: string, params: Record<string, unknown> = {}): Promise<Body> {
  return pop(srv, AK, SECRET).request<Body>(action, params, { method: 'POST' });
}

/** The dates and counts that an idempotent re-apply must leave alone. */
async function fingerprint(srv: RunningServer): Promise<unknown> {
  const user = await ramCall(srv, 'GetUser', { UserName: 'ci-reader' });
  const role = await ramCall(srv, 'GetRole', { RoleName: 'reader' });
  const group = await ramCall(srv, 'GetGroup', { GroupName: 'deployers' });
  const versions = await ramCall(srv, 'ListPolicyVersions', { PolicyName: 'read-photos', PolicyType: 'Custom' });
  const keys = await ramCall(srv, 'ListAccessKeys', { UserName: 'ci-reader' });
  const head = await oss(srv, AK, SECRET, 'photos').head('hello.txt');
  return {
    user: user.User, role: role.Role, group: group.Group, versions: versions.PolicyVersions.PolicyVersion, keys: keys.AccessKeys.AccessKey,
    lastModified: (head.res.headers as Record<string, string>)['last-modified'], etag: (head.res.headers as Record<string, string>).etag,
  };
}

describe('server --init: applying a state file', () => {
  it('creates every declared entity, and the fixed keys work with ali-oss and pop-core', async () => {
    const dir = await exampleDir();
    const srv = await serverOn(await tmp(), { init: join(dir, 'alunite.yaml') });
    cleanup.push(() => srv.close());

    const user = (await ramCall(srv, 'GetUser', { UserName: 'ci-reader' })).User;
    assert.equal(user.DisplayName, 'CI reader');
    assert.equal(user.Comments, 'used by CI');
    const keys = (await ramCall(srv, 'ListAccessKeys', { UserName: 'ci-reader' })).AccessKeys.AccessKey;
    assert.deepEqual(keys.map((k: Body) => [k.AccessKeyId, k.Status]), [[CI_KEY, 'Active']]);
    const members = (await ramCall(srv, 'ListUsersForGroup', { GroupName: 'deployers' })).Users.User.map((u: Body) => u.UserName);
    assert.deepEqual(members, ['deployer']);
    const groupPolicies = (await ramCall(srv, 'ListPoliciesForGroup', { GroupName: 'deployers' })).Policies.Policy.map((p: Body) => `${p.PolicyType}:${p.PolicyName}`);
    assert.deepEqual(groupPolicies.sort(), ['Custom:deploy-site', 'System:AliyunSTSAssumeRoleAccess']);
    const deploy = (await ramCall(srv, 'GetPolicy', { PolicyName: 'deploy-site', PolicyType: 'Custom' })).DefaultPolicyVersion;
    assert.deepEqual(JSON.parse(deploy.PolicyDocument), JSON.parse(DEPLOY_POLICY));
    const role = (await ramCall(srv, 'GetRole', { RoleName: 'reader' })).Role;
    assert.equal(role.MaxSessionDuration, 7200);
    assert.equal(role.Description, 'assumed by apps');
    const rolePolicies = (await ramCall(srv, 'ListPoliciesForRole', { RoleName: 'reader' })).Policies.Policy.map((p: Body) => p.PolicyName);
    assert.deepEqual(rolePolicies, ['read-photos']);

    const root = oss(srv, AK, SECRET, 'site');
    assert.equal((await root.getBucketACL('site')).acl, 'public-read');
    const cors = await root.getBucketCORS('site');
    assert.deepEqual(cors.rules[0]!.allowedOrigin, 'https://example.com');
    const policy = await root.getBucketPolicy('site');
    assert.equal((policy.policy as { Statement: unknown[] }).Statement.length, 1);

    // The CI user's fixed key, with ali-oss: read allowed by the declared policy, write not.
    const ci = oss(srv, CI_KEY, CI_SECRET, 'photos');
    const got = await ci.get('hello.txt');
    assert.equal(got.content.toString(), 'hello from the state file\n');
    assert.equal((got.res.headers as Record<string, string>)['content-type'], 'text/plain');
    assert.equal((await ci.head('img/logo.svg')).res.headers['content-type' as never], 'image/svg+xml');
    await expectOssError(ci.put('new.txt', Buffer.from('x')), 'AccessDenied', 403);
    // … and with pop-core (STS GetCallerIdentity answers who the key belongs to).
    const who = await pop(srv, CI_KEY, CI_SECRET, '2015-04-01').request<Body>('GetCallerIdentity', {}, { method: 'POST' });
    assert.equal(who.Arn, `acs:ram::${ACCOUNT_ID}:user/ci-reader`);
    // The deployer (through its group's policy) can publish to the site.
    await oss(srv, DEPLOY_KEY, DEPLOY_SECRET.slice(0, 30), 'site').put('index.html', Buffer.from('<h1>hi</h1>'));
  });

  it('re-applying the same file changes nothing: same export, same dates, same versions', async () => {
    const dir = await exampleDir();
    const data = await tmp();
    const init = join(dir, 'alunite.yaml');
    let srv = await serverOn(data, { init });
    const before = { state: await currentState(srv), fp: await fingerprint(srv) };
    await srv.close();
    srv = await serverOn(data, { init });
    cleanup.push(() => srv.close());
    assert.deepEqual(await currentState(srv), before.state);
    assert.deepEqual(await fingerprint(srv), before.fp);
  });

  it('a changed file updates only what changed, and leaves what it does not declare', async () => {
    const dir = await exampleDir();
    const data = await tmp();
    const init = join(dir, 'alunite.yaml');
    let srv = await serverOn(data, { init });
    // Made through the API, not declared: must survive every apply.
    await ramCall(srv, 'CreateUser', { UserName: 'by-hand' });
    await oss(srv, AK, SECRET).putBucket('scratch');
    const before = await currentState(srv);
    const beforeUser = (await ramCall(srv, 'GetUser', { UserName: 'deployer' })).User;
    await srv.close();

    await writeFile(init, stateYaml((s) => s
      .replace('displayName: CI reader', 'displayName: CI reader two')
      .replace('Action: ["oss:GetObject", "oss:ListObjects"]', 'Action: ["oss:GetObject"]')
      .replace('maxSessionDuration: 7200', 'maxSessionDuration: 3600')
      .replace('acl: public-read', 'acl: public-read-write')));
    await writeFile(join(dir, 'files/hello.txt'), 'changed\n');
    srv = await serverOn(data, { init });
    cleanup.push(() => srv.close());

    const after = await currentState(srv) as Body;
    const expected = structuredClone(before) as Body;
    expected.users.find((u: Body) => u.name === 'ci-reader').displayName = 'CI reader two';
    expected.policies.find((p: Body) => p.name === 'read-photos').document.Statement[0].Action = ['oss:GetObject'];
    expected.roles.find((r: Body) => r.name === 'reader').maxSessionDuration = 3600;
    expected.buckets.find((b: Body) => b.name === 'site').acl = 'public-read-write';
    assert.deepEqual(after, expected);
    assert.ok(after.users.some((u: Body) => u.name === 'by-hand'));
    assert.ok(after.buckets.some((b: Body) => b.name === 'scratch'));

    // The policy change is a new default version, as CreatePolicyVersion would make it.
    const versions = (await ramCall(srv, 'ListPolicyVersions', { PolicyName: 'read-photos', PolicyType: 'Custom' })).PolicyVersions.PolicyVersion;
    assert.deepEqual(versions.map((v: Body) => [v.VersionId, v.IsDefaultVersion]), [['v2', true], ['v1', false]]);
    // Untouched entities keep their dates.
    assert.deepEqual((await ramCall(srv, 'GetUser', { UserName: 'deployer' })).User, beforeUser);
    assert.equal((await oss(srv, CI_KEY, CI_SECRET, 'photos').get('hello.txt')).content.toString(), 'changed\n');
  });

  it('a declared secret that changed replaces the key; a status is updated in place', async () => {
    const dir = await exampleDir();
    const data = await tmp();
    const init = join(dir, 'alunite.yaml');
    let srv = await serverOn(data, { init });
    await srv.close();
    const newSecret = 'CiReaderSecret0000000000000009';
    srv = await serverOn(data, { init, ...{} });
    await srv.close();
    process.env.CI_READER_SECRET = newSecret;
    try {
      srv = await serverOn(data, { init });
      cleanup.push(() => srv.close());
      await expectOssError(oss(srv, CI_KEY, CI_SECRET, 'photos').get('hello.txt'), 'SignatureDoesNotMatch', 403);
      assert.equal((await oss(srv, CI_KEY, newSecret, 'photos').get('hello.txt')).res.status, 200);
    } finally {
      process.env.CI_READER_SECRET = CI_SECRET;
    }
  });

  it('a RAM AccessKeyId already taken by another user is refused, naming where it is declared', async () => {
    const dir = await exampleDir((s) => s.replace(`id: ${DEPLOY_KEY}`, 'id: LTAI5tTakenTaken00000003'));
    const srv = await serverOn(await tmp());
    cleanup.push(() => srv.close());
    await ramCall(srv, 'CreateUser', { UserName: 'other' });
    await srv.ram.importAccessKey({ principal: { type: 'root', accountId: ACCOUNT_ID, accessKeyId: AK } }, { userName: 'other', accessKeyId: 'LTAI5tTakenTaken00000003', secret: 'x'.repeat(30) });
    const { applyState } = await import('../src/init/apply.js');
    const { loadState } = await import('../src/init/load.js');
    const { BucketService } = await import('../src/domain/buckets.js');
    const { ObjectService } = await import('../src/domain/objects.js');
    const ctx = { meta: srv.meta, blobs: srv.blobs, clock: Date.now, region: 'cn-hangzhou', log: () => undefined };
    await assert.rejects(
      applyState(loadState(join(dir, 'alunite.yaml'), env), { ram: srv.ram, buckets: new BucketService(ctx), objects: new ObjectService(ctx), meta: srv.meta, accountId: ACCOUNT_ID, rootAccessKeyId: AK }),
      (err: Error) => /alunite\.yaml:\d+:\d+: users\[1\]\.accessKeys\[0\]: could not apply: AccessKey LTAI5tTakenTaken00000003 belongs to user other/.test(err.message),
    );
  });
});

/** Runs `alunite server --init FILE` and waits for it to exit (an invalid file must stop it). */
function runServer(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--in-memory', '--port', '0', ...args], {
    env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

// The command-line suites run the CLI with SQLite; test/pg-init.test.ts reruns the rest on PostgreSQL.
describe('invalid state files', { skip: onPostgres }, () => {
  it('the server refuses to start, listing every error with file, line and field', async () => {
    const dir = await stateDir({
      'bad.yaml': `account:
  id: 12345
users:
  - name: "bad user"
    accessKeys:
      - id: NOPE
        secret: \${NOT_SET_ANYWHERE_42}
    policies: [nope]
  - displayName: no name
    colour: blue
groups:
  - name: g
    members: [ghost]
roles:
  - name: r
    maxSessionDuration: 10
    trustPolicy: { Version: "1", Statement: [{ Effect: Maybe, Action: "sts:AssumeRole", Principal: { RAM: ["*"] } }] }
policies:
  - name: p
    document: file:missing.json
buckets:
  - name: Bad_Bucket
    versioning: { status: Enabled }
    lifecycle: []
    cors: { rules: [{ allowedOrigins: ["*"], allowedMethods: [FETCH] }] }
    objects:
      - key: a
        file: nothere.txt
`,
    });
    const file = join(dir, 'bad.yaml');
    const r = await runServer(['--init', file]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /listening/);
    const expected = [
      [2, 'account.id', /must be 16 digits/],
      [4, 'users[0].name', /InvalidParameter\.UserName\.InvalidChars/],
      [6, 'users[0].accessKeys[0].id', /must be "LTAI" and 20 letters or digits/],
      [7, 'users[0].accessKeys[0].secret', /environment variable NOT_SET_ANYWHERE_42 is not set/],
      [8, 'users[0].policies[0]', /no policy nope/],
      [9, 'users[1].name', /is required/],
      [10, 'users[1].colour', /unknown field/],
      [13, 'groups[0].members[0]', /no user ghost/],
      [16, 'roles[0].maxSessionDuration', /from 3600 to 43200/],
      [17, 'roles[0].trustPolicy.Statement[0].Effect', /must be "Allow" or "Deny"/],
      [20, 'policies[0].document', /cannot read .*missing\.json/],
      [22, 'buckets[0].name', /InvalidBucketName/],
      [23, 'buckets[0].versioning', /must be Enabled or Suspended/],
      [24, 'buckets[0].lifecycle', /must be a LifecycleConfiguration XML document/],
      [25, 'buckets[0].cors', /AllowedMethod "FETCH"/],
      [28, 'buckets[0].objects[0].file', /cannot read .*nothere\.txt/],
    ] as const;
    const lines = r.stderr.split('\n').filter((l) => l.includes(`${file}:`) && /:\d+:\d+: /.test(l));
    assert.equal(lines.length, expected.length, r.stderr);
    for (const [line, field, message] of expected) {
      const hit = lines.find((l) => l.includes(`${file}:${line}:`) && l.includes(` ${field}: `));
      assert.ok(hit, `no error for line ${line} ${field} in:\n${r.stderr}`);
      assert.match(hit, message);
    }
    assert.match(r.stderr, /16 errors in the state file/);
  });

  it('YAML syntax errors are reported with their line, and ALUNITE_INIT is read like --init', async () => {
    const dir = await stateDir({ 'broken.yaml': 'users:\n  - name: a\n    name: b\n  - [unclosed\n' });
    const r = await runServer([], { ALUNITE_INIT: join(dir, 'broken.yaml') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /broken\.yaml:3:\d+: .*unique/);
    const missing = await runServer(['--init', join(dir, 'absent.yaml')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /absent\.yaml: cannot read the state file: ENOENT/, 'no line:column for a file that cannot be read');
    // One stray line before valid YAML: one error at that line, not one per token that follows.
    const stray = await stateDir({ 'stray.yaml': 'oops this is not yaml\nusers:\n  - name: a\n  - name: b\nbuckets:\n  - name: c\n' });
    const one = await runServer(['--init', join(stray, 'stray.yaml')]);
    assert.notEqual(one.code, 0);
    assert.match(one.stderr, /stray\.yaml: 1 error in the state file:\n\s+\S*stray\.yaml:\d+:\d+: /);
  });

  it('numbers YAML cannot hold exactly must be quoted; JSON files are read too', async () => {
    const { loadState } = await import('../src/init/load.js');
    const { InitFileError } = await import('../src/init/state.js');
    const dir = await stateDir({
      'big.yaml': 'account:\n  id: 9007199254740993\n',
      'ok.json': JSON.stringify({ account: { id: '1234567890123456' }, buckets: [{ name: 'from-json', acl: 'public-read' }] }, null, 2),
    });
    assert.throws(() => loadState(join(dir, 'big.yaml')), (err: Error) => err instanceof InitFileError
      && err.faults.length === 1 && err.faults[0]!.line === 2 && err.faults[0]!.field === 'account.id' && /quote it/.test(err.faults[0]!.message));
    const state = loadState(join(dir, 'ok.json'));
    assert.equal(state.account?.id, '1234567890123456');
    assert.deepEqual(state.buckets.map((b) => [b.name, b.acl]), [['from-json', 'public-read']]);
  });

  it('`alunite init check` validates without starting anything', async () => {
    const dir = await exampleDir();
    const child = spawn(process.execPath, [BIN, 'init', 'check', join(dir, 'alunite.yaml')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.match(out, /valid: 2 user\(s\), 1 group\(s\), 2 policy\(ies\), 1 role\(s\), 2 bucket\(s\)/);
  });
});

describe('the state file declares the account', { skip: onPostgres }, () => {
  it('account id and root key override the development defaults (ALUNITE_ROOT_* still win)', async () => {
    const dir = await stateDir({
      'acct.yaml': `account:
  id: "2000000000000002"
  rootAccessKey:
    id: LTAI5tDeclaredRootKey001
    secret: \${DECLARED_ROOT_SECRET}
buckets:
  - name: declared
`,
    });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_'))) as Record<string, string>;
    const srv = await new Promise<{ url: string; child: import('node:child_process').ChildProcess; out: () => string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'server', '--in-memory', '--port', '0', '--init', join(dir, 'acct.yaml')], {
        env: { ...clean, DECLARED_ROOT_SECRET: 'declared-root-secret' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /alunite listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve({ url: m[1]!, child, out: () => out });
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    cleanup.push(() => kill9(srv.child));
    assert.match(srv.out(), /account 2000000000000002/);
    assert.doesNotMatch(srv.out(), /development credentials/);
    const client = new OSS({ region: 'oss-cn-hangzhou', endpoint: srv.url, accessKeyId: 'LTAI5tDeclaredRootKey001', accessKeySecret: 'declared-root-secret', timeout: 120_000 } as OSS.Options);
    const buckets = (await client.listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.deepEqual(buckets.buckets.map((b) => b.name), ['declared']);
    const dev = new OSS({ region: 'oss-cn-hangzhou', endpoint: srv.url, accessKeyId: 'LTAI5tAluniteDevAccessKey', accessKeySecret: 'AluniteDevSecret0123456789ABCD', timeout: 120_000 } as OSS.Options);
    await expectOssError(dev.listBuckets({}), 'InvalidAccessKeyId', 403);

    // With ALUNITE_ROOT_ACCESS_KEY_*, those win over the file (as over the defaults).
    const s2 = await spawnServer(['--in-memory', '--init', join(dir, 'acct.yaml')], { DECLARED_ROOT_SECRET: 'declared-root-secret' });
    cleanup.push(() => kill9(s2.child));
    const envClient = new OSS({ region: 'oss-cn-hangzhou', endpoint: s2.url, accessKeyId: AK, accessKeySecret: SECRET, timeout: 120_000 } as OSS.Options);
    await envClient.getBucketInfo('declared');
  });
});

describe('buckets declare versioning, lifecycle rules, WORM and default encryption', () => {
  const LIFECYCLE = '<LifecycleConfiguration><Rule><ID>old-logs</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>';
  const guarded = (worm: string, extra = ''): string => `version: 1
buckets:
  - name: guarded
    versioning: Enabled
    encryption:
      algorithm: AES256
    lifecycle: '${LIFECYCLE}'
    worm:
${worm}
  - name: draft
    worm:
      days: 5
${extra}`;
  const locked30 = '      days: 30\n      locked: true';

  it('applied through the services (as the OSS operations see them), re-applied without change, exported back identically', async () => {
    const dir = await stateDir({ 'alunite.yaml': guarded(locked30) });
    const data = await tmp();
    const init = join(dir, 'alunite.yaml');
    let srv = await serverOn(data, { init });
    const c = oss(srv, AK, SECRET);
    const raw = c as unknown as { getBucketVersioning(b: string): Promise<{ versionStatus: string }>; getBucketWorm(b: string): Promise<{ state: string; days: string }>; getBucketEncryption(b: string): Promise<{ encryption: { SSEAlgorithm: string } }>; getBucketLifecycle(b: string): Promise<{ rules: Array<{ id: string; prefix: string }> }> };
    assert.equal((await raw.getBucketVersioning('guarded')).versionStatus, 'Enabled');
    const worm = await raw.getBucketWorm('guarded');
    assert.equal(worm.state, 'Locked');
    assert.equal(String(worm.days), '30');
    assert.equal((await raw.getBucketEncryption('guarded')).encryption.SSEAlgorithm, 'AES256');
    assert.deepEqual((await raw.getBucketLifecycle('guarded')).rules.map((r) => [r.id, r.prefix]), [['old-logs', 'logs/']]);
    assert.equal((await raw.getBucketWorm('draft')).state, 'InProgress');
    const state = await currentState(srv) as Body;
    const g = state.buckets.find((b: Body) => b.name === 'guarded');
    assert.equal(g.versioning, 'Enabled');
    assert.deepEqual(g.worm, { days: 30, locked: true });
    assert.deepEqual(g.encryption, { algorithm: 'AES256' });
    assert.match(g.lifecycle, /<ID>old-logs<\/ID>/);
    assert.deepEqual(state.buckets.find((b: Body) => b.name === 'draft').worm, { days: 5, locked: false });
    await srv.close();
    // Re-applied: nothing changes (same WORM ids, same export).
    srv = await serverOn(data, { init });
    cleanup.push(() => srv.close());
    assert.deepEqual(await currentState(srv), state);
    // The export applied onto a fresh server gives the same state again.
    const { exportYaml } = await import('../src/init/export.js');
    const file = join(await tmp(), 'exported.yaml');
    await writeFile(file, await exportYaml(state, true));
    const fresh = await serverOn(await tmp(), { init: file });
    cleanup.push(() => fresh.close());
    assert.deepEqual(await currentState(fresh), state);
  });

  it('a locked WORM cannot be loosened (unlocked or fewer days: refused, policy unchanged); more days extend it', async () => {
    const dir = await stateDir({ 'alunite.yaml': guarded(locked30) });
    const data = await tmp();
    const init = join(dir, 'alunite.yaml');
    const srv = await serverOn(data, { init });
    await srv.close();
    for (const worm of ['      days: 30\n      locked: false', '      days: 10\n      locked: true']) {
      await writeFile(init, guarded(worm));
      await assert.rejects(serverOn(data, { init }), /WORM policy of bucket guarded is locked/);
    }
    await writeFile(init, guarded(locked30));
    const same = await serverOn(data, { init });
    assert.deepEqual(((await currentState(same)) as Body).buckets.find((b: Body) => b.name === 'guarded').worm, { days: 30, locked: true }, 'the refused applies changed nothing');
    await same.close();
    await writeFile(init, guarded('      days: 40\n      locked: true'));
    const again = await serverOn(data, { init });
    cleanup.push(() => again.close());
    const g = ((await currentState(again)) as Body).buckets.find((b: Body) => b.name === 'guarded');
    assert.deepEqual(g.worm, { days: 40, locked: true });
  });

  it('bad values are refused with the operations\' own checks, each naming its field', async () => {
    const bad = guarded('      days: 0', `  - name: wrong
    versioning: On
    lifecycle: '<LifecycleConfiguration><Rule><ID>x</ID><Prefix>a/</Prefix><Status>Enabled</Status></Rule></LifecycleConfiguration>'
    encryption:
      algorithm: DES
  - name: wrong2
    lifecycle: 'not xml'
    encryption:
      algorithm: AES256
      kmsKeyId: some-key
    worm: 7
`);
    const dir = await stateDir({ 'alunite.yaml': bad });
    const { loadState } = await import('../src/init/load.js');
    const err = (() => {
      try {
        loadState(join(dir, 'alunite.yaml'));
      } catch (e) {
        return e as { faults: Array<{ field: string; message: string }> };
      }
      return null;
    })();
    assert.ok(err, 'the file is refused');
    const byField = new Map(err.faults.map((f) => [f.field, f.message]));
    assert.match(byField.get('buckets[0].worm.days') ?? '', /RetentionPeriodInDays must be between 1 and 25550/);
    assert.match(byField.get('buckets[2].versioning') ?? '', /MalformedXML: .*The versioning status must be Enabled or Suspended/);
    assert.match(byField.get('buckets[2].lifecycle') ?? '', /MalformedXML.*must contain Expiration/, 'a rule without an action');
    assert.match(byField.get('buckets[2].encryption') ?? '', /InvalidEncryptionAlgorithmError/);
    assert.match(byField.get('buckets[3].lifecycle') ?? '', /MalformedXML/);
    assert.match(byField.get('buckets[3].encryption') ?? '', /KMSMasterKeyID is not applicable/);
    assert.match(byField.get('buckets[3].worm') ?? '', /must be a mapping/);
  });
});

describe('alunite init export', () => {
  it('round trip: export (with secrets and objects), apply onto a fresh server, export again: the same state', async () => {
    const dir = await exampleDir();
    const srv = await serverOn(await tmp(), { init: join(dir, 'alunite.yaml') });
    cleanup.push(() => srv.close());
    // Changes made through the API are part of the state too.
    await ramCall(srv, 'CreateUser', { UserName: 'api-user', DisplayName: 'Made by API' });
    await ramCall(srv, 'CreateAccessKey', { UserName: 'api-user' });
    await ramCall(srv, 'UpdateAccessKey', { UserName: 'ci-reader', UserAccessKeyId: CI_KEY, Status: 'Inactive' });
    await oss(srv, AK, SECRET).putBucket('api-bucket');
    await oss(srv, AK, SECRET, 'api-bucket').put('dir/a b.bin', Buffer.alloc(100_000, 3), { mime: 'application/x-test' });

    const out = await tmp();
    const file = join(out, 'exported.yaml');
    const { exportYaml } = await import('../src/init/export.js');
    const first = await currentState(srv, { objectsDir: join(out, 'objects'), stateFile: file });
    await writeFile(file, await exportYaml(first, true));

    const fresh = await serverOn(await tmp(), { init: file });
    cleanup.push(() => fresh.close());
    const second = await currentState(fresh, { objectsDir: join(await tmp(), 'objects'), stateFile: join(out, 'second.yaml') });
    // Object files differ only in where each export put them; their bytes are compared below.
    const withoutFiles = (d: Body): Body => JSON.parse(JSON.stringify(d, (k, v: unknown) => (k === 'file' ? undefined : v))) as Body;
    assert.deepEqual(withoutFiles(second), withoutFiles(first));
    assert.ok((first.buckets as Body[]).find((b) => b.name === 'photos')!.objects.every((o: Body) => typeof o.file === 'string'));
    const got = await oss(fresh, AK, SECRET, 'api-bucket').get('dir/a b.bin');
    assert.ok(got.content.equals(Buffer.alloc(100_000, 3)));
  });

  it('the command writes the state of a stopped server\'s data directory, secrets only with --with-secrets', { skip: onPostgres }, async () => {
    const dir = await exampleDir();
    const data = await tmp();
    const srv = await serverOn(data, { init: join(dir, 'alunite.yaml'), masterKey: undefined });
    await srv.close();
    const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => {
      const child = spawn(process.execPath, [BIN, 'init', 'export', '--data', data, ...args], { env: { ...process.env, ALUNITE_ACCOUNT_ID: ACCOUNT_ID }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    };
    const plain = await run([]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, new RegExp(CI_SECRET));
    const doc = parse(plain.stdout) as Body;
    assert.deepEqual(doc.users.find((u: Body) => u.name === 'ci-reader').accessKeys, [{ id: CI_KEY }]);
    const secret = await run(['--with-secrets', '-o', join(data, 'out.yaml')]);
    assert.equal(secret.code, 0, secret.stderr);
    const withSecrets = parse(await readFile(join(data, 'out.yaml'), 'utf8')) as Body;
    assert.deepEqual(withSecrets.users.find((u: Body) => u.name === 'ci-reader').accessKeys, [{ id: CI_KEY, secret: CI_SECRET }]);
  });
});

describe('POST /-/reset', () => {
  it('is refused unless the server runs with --allow-reset', async () => {
    const dir = await exampleDir();
    const srv = await startTestServer({ init: join(dir, 'alunite.yaml') });
    cleanup.push(() => srv.stop());
    const res = await reset(srv.port);
    assert.equal(res.status, 403);
    const err = errorOf(res)!;
    assert.equal(err.Code, 'AccessDenied');
    assert.match(err.Message!, /--allow-reset/);
    assert.ok(await srv.meta.getBucket('photos'));
  });

  it('returns the server to the declared state; only root may call it', async () => {
    const dir = await exampleDir();
    const srv = await startTestServer({ init: join(dir, 'alunite.yaml'), allowReset: true });
    cleanup.push(() => srv.stop());
    const declared = await currentState(srv);
    const declaredFp = (await ramCall(srv, 'GetUser', { UserName: 'ci-reader' })).User;

    // Anonymous and RAM users are refused, nothing changes.
    assert.equal(errorOf(await reset(srv.port, null))!.Code, 'AccessDenied');
    assert.equal(errorOf(await reset(srv.port, CI_KEY, CI_SECRET))!.Code, 'AccessDenied');
    assert.equal(errorOf(await reset(srv.port, AK, 'wrong'.repeat(6)))!.Code, 'SignatureDoesNotMatch');

    // Drift: new user, changed user, extra bucket with a big (blob-backed) object, a multipart upload, a changed object.
    await ramCall(srv, 'CreateUser', { UserName: 'drift' });
    await ramCall(srv, 'UpdateUser', { UserName: 'ci-reader', NewDisplayName: 'changed' });
    await ramCall(srv, 'DetachPolicyFromRole', { RoleName: 'reader', PolicyType: 'Custom', PolicyName: 'read-photos' });
    const root = srv.client();
    await root.putBucket('drift-bucket');
    await srv.client({ bucket: 'drift-bucket' }).put('big.bin', Buffer.alloc(200_000, 1));
    await srv.client({ bucket: 'photos' }).initMultipartUpload('mp.bin');
    await srv.client({ bucket: 'photos' }).put('hello.txt', Buffer.from('overwritten'));
    const blobsBefore = await countBlobs(srv);
    assert.ok(blobsBefore > 0);

    const res = await reset(srv.port);
    assert.equal(res.status, 200, res.body.toString());
    const body = JSON.parse(res.body.toString()) as { status: string; changes: string[] };
    assert.equal(body.status, 'reset');
    assert.ok(body.changes.includes('created user ci-reader'));

    assert.deepEqual(await currentState(srv), declared);
    assert.equal((await ramCall(srv, 'ListUsers')).Users.User.some((u: Body) => u.UserName === 'drift'), false);
    assert.equal(await srv.meta.getBucket('drift-bucket'), null);
    assert.equal((await srv.meta.listUploads('photos', { prefix: '', limit: 10 })).length, 0);
    assert.equal(await countBlobs(srv), 0, 'the removed objects\' blob files are gone');
    assert.equal((await srv.client({ bucket: 'photos' }).get('hello.txt')).content.toString(), 'hello from the state file\n');
    // The fixed key works again at once (credential caches follow the reset).
    assert.equal((await oss(srv, CI_KEY, CI_SECRET, 'photos').get('hello.txt')).res.status, 200);
    assert.equal((await ramCall(srv, 'GetUser', { UserName: 'ci-reader' })).User.DisplayName, declaredFp.DisplayName);
  });

  it('requests racing a reset each run wholly before or after it; nothing is left half-done', async () => {
    const dir = await exampleDir();
    const srv = await startTestServer({ init: join(dir, 'alunite.yaml'), allowReset: true });
    cleanup.push(() => srv.stop());
    const client = srv.client({ bucket: 'photos' });
    const writes = Array.from({ length: 24 }, (_, i) => client.put(`race/${i}.bin`, Buffer.alloc(i % 2 === 0 ? 100_000 : 10, i)).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'));
    const [res] = await Promise.all([reset(srv.port), ...writes]);
    assert.equal(res.status, 200);
    const outcomes = await Promise.all(writes);
    assert.ok(outcomes.every((o) => o === 'ok'), `every write ran before or after the reset: ${outcomes.join(',')}`);
    // Every object that exists is whole and readable; every blob on disk belongs to one.
    const listed = await client.list({ prefix: 'race/', 'max-keys': 100 }, {});
    for (const o of listed.objects ?? []) {
      const i = Number(/race\/(\d+)\.bin/.exec(o.name)![1]);
      assert.ok((await client.get(o.name)).content.equals(Buffer.alloc(i % 2 === 0 ? 100_000 : 10, i)));
    }
    const referenced = await srv.meta.referencedBlobIds();
    for await (const id of srv.blobs.list()) assert.ok(referenced.has(id), `blob ${id} is referenced`);
  });

  it('`alunite init reset` signs the reset with the profile\'s key; errors keep the service\'s code', { skip: onPostgres }, async () => {
    const dir = await exampleDir();
    const srv = await startTestServer({ init: join(dir, 'alunite.yaml'), allowReset: true });
    cleanup.push(() => srv.stop());
    await srv.client().putBucket('gone-after-reset');
    const home = await cliHome();
    const conn = ['--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET];
    const out = json<{ status: string; changes: string[] }>(await home.run(['init', 'reset', ...conn, '--json']));
    assert.equal(out.status, 'reset');
    assert.ok(out.changes.includes('created bucket photos'));
    assert.equal(await srv.meta.getBucket('gone-after-reset'), null);
    fails(await home.run(['init', 'reset', '--endpoint', srv.url, '--access-key-id', CI_KEY, '--access-key-secret', CI_SECRET]), 1, 'AccessDenied');

    const off = await startTestServer({ init: join(dir, 'alunite.yaml') });
    cleanup.push(() => off.stop());
    const stderr = fails(await home.run(['init', 'reset', '--endpoint', off.url, '--access-key-id', AK, '--access-key-secret', SECRET]), 1, 'AccessDenied');
    assert.match(stderr, /--allow-reset/);
  });

  it('a state file broken since start-up makes reset refuse before removing anything', async () => {
    const dir = await exampleDir();
    const srv = await startTestServer({ init: join(dir, 'alunite.yaml'), allowReset: true });
    cleanup.push(() => srv.stop());
    await srv.client().putBucket('keep-me');
    await writeFile(join(dir, 'alunite.yaml'), 'users: [{ name: "x y" }]\n');
    const res = await reset(srv.port);
    assert.equal(res.status, 400);
    assert.match(errorOf(res)!.Message!, /alunite\.yaml:1:\d+: users\[0\]\.name/);
    assert.ok(await srv.meta.getBucket('keep-me'));
  });
});

async function countBlobs(srv: RunningServer): Promise<number> {
  let n = 0;
  for await (const _ of srv.blobs.list()) n++;
  return n;
}
