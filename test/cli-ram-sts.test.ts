// `alunite ram …` and `alunite sts …` as child processes: build a restricted user, act as it with flags,
// assume a role, export the temporary credentials into a shell and use them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { cliHome, fails, json, ok, type CliHome } from './helpers/cli.js';
import { ACCOUNT_ID, AK, SECRET } from './helpers/server.js';
import { BIN, kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { shellQuote } from '../src/cli/sts.js';

let srv: SpawnedServer;
let dataDir: string;
let cli: CliHome;
const doc = (...Statement: object[]): string => JSON.stringify({ Version: '1', Statement });

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-ram-'));
  srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  cli = await cliHome();
  ok(await cli.run(['configure', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET]));
  ok(await cli.run(['oss', 'mb', 'oss://team-data']));
  await writeFile(join(cli.home, 'report.txt'), 'quarterly numbers');
  ok(await cli.run(['oss', 'cp', join(cli.home, 'report.txt'), 'oss://team-data/reports/q1.txt']));
});

after(async () => {
  await kill9(srv.child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(cli.home, { recursive: true, force: true });
});

/** A plain HTTP server on a free loopback port answering as `handler` says: a hostile endpoint for the CLI. */
async function hostileEndpoint(handler: RequestListener): Promise<{ url: string; close(): void }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('alunite ram', () => {
  it('ram user login-profile: a console password from stdin, the user signs in to the console with it, delete ends that', async () => {
    ok(await cli.run(['ram', 'user', 'create', 'console-user']));
    const signIn = async (password: string): Promise<{ status: number; body: { Status?: string; Code?: string } }> => {
      const r = await fetch(`${srv.url}/-/console/api/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logonName: 'console-user', password }) });
      return { status: r.status, body: (await r.json()) as { Status?: string; Code?: string } };
    };
    // The password policy applies (the service's answer), and the password never travels as a flag.
    fails(await cli.run(['ram', 'user', 'login-profile', 'create', 'console-user', '--password-stdin'], {}, 'short\n'), 1, 'InvalidParameter.Password');
    fails(await cli.run(['ram', 'user', 'login-profile', 'create', 'console-user'], {}, 'A-Good-Passw0rd\n'), 2);
    const created = await cli.run(['ram', 'user', 'login-profile', 'create', 'console-user', '--password-stdin'], {}, 'A-Good-Passw0rd\n');
    assert.match(ok(created), /^UserName\s+console-user$/m);
    assert.match(created.stderr, new RegExp(`sign in at ${srv.url}/-/console/ as console-user with that password`));
    assert.equal((await signIn('A-Good-Passw0rd')).body.Status, 'OK');
    assert.equal(json<{ UserName: string; PasswordResetRequired: boolean }>(await cli.run(['ram', 'user', 'login-profile', 'get', 'console-user', '--json'])).PasswordResetRequired, false);
    ok(await cli.run(['ram', 'user', 'login-profile', 'delete', 'console-user']));
    assert.equal((await signIn('A-Good-Passw0rd')).status, 401);
    fails(await cli.run(['ram', 'user', 'login-profile', 'get', 'console-user']), 1, 'EntityNotExist.User.LoginProfile');
    ok(await cli.run(['ram', 'user', 'delete', 'console-user']));
  });

  it('a read-only user: create user, AccessKey, policy, attach; acting as the user via flags is allowed and denied exactly as the policy says', async () => {
    const user = json<{ UserName: string; UserId: string }>(await cli.run(['ram', 'user', 'create', 'reader', '--display-name', 'Read Only', '--json']));
    assert.equal(user.UserName, 'reader');
    // The secret is printed once, with a warning, in the readable form too.
    const created = await cli.run(['ram', 'accesskey', 'create', '--user', 'reader']);
    const id = /^AccessKeyId\s+(\S+)$/m.exec(ok(created))?.[1];
    const secret = /^AccessKeySecret\s+(\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(id && secret, created.stdout);
    assert.match(created.stderr, /store the AccessKeySecret now/);
    const listed = json<{ AccessKeyId: string; Status: string }[]>(await cli.run(['ram', 'accesskey', 'list', '--user', 'reader', '--json']));
    assert.deepEqual(listed.map((k) => [k.AccessKeyId, k.Status]), [[id, 'Active']]);
    assert.ok(!JSON.stringify(listed).includes(secret), 'list never shows secrets');

    const policyFile = join(cli.home, 'read-reports.json');
    await writeFile(policyFile, doc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:*:team-data', 'acs:oss:*:*:team-data/reports/*'] }));
    const policy = json<{ PolicyName: string; DefaultVersion: string }>(await cli.run(['ram', 'policy', 'create', 'read-reports', '--document', policyFile, '--json']));
    assert.deepEqual([policy.PolicyName, policy.DefaultVersion], ['read-reports', 'v1']);
    ok(await cli.run(['ram', 'policy', 'attach', 'read-reports', '--user', 'reader']));
    const attached = json<{ PolicyName: string; PolicyType: string }[]>(await cli.run(['ram', 'policy', 'list', '--user', 'reader', '--json']));
    assert.deepEqual(attached.map((p) => [p.PolicyName, p.PolicyType]), [['read-reports', 'Custom']]);
    const entities = json<{ Kind: string; Name: string }[]>(await cli.run(['ram', 'policy', 'entities', 'read-reports', '--json']));
    assert.deepEqual(entities.map((e) => [e.Kind, e.Name]), [['User', 'reader']]);

    const as = ['--access-key-id', id, '--access-key-secret', secret];
    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://team-data/reports/q1.txt', ...as])), 'quarterly numbers');
    const who = json<{ IdentityType: string; Arn: string }>(await cli.run(['sts', 'whoami', ...as, '--json']));
    assert.deepEqual([who.IdentityType, who.Arn], ['RAMUser', `acs:ram::${ACCOUNT_ID}:user/reader`]);
    // Writes are denied: the service's code and message, exit 1.
    await writeFile(join(cli.home, 'x.txt'), 'x');
    const denied = fails(await cli.run(['oss', 'cp', join(cli.home, 'x.txt'), 'oss://team-data/reports/x.txt', ...as]), 1, 'AccessDenied');
    assert.match(denied, /\(RequestId: [0-9A-F]{24}\)$/m);
    fails(await cli.run(['oss', 'rm', 'oss://team-data/reports/q1.txt', ...as]), 1, 'AccessDenied');
    // RAM itself is not theirs to call.
    fails(await cli.run(['ram', 'user', 'list', ...as]), 1, 'NoPermission');
    // Environment credentials work the same way, and flags beat them.
    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://team-data/reports/q1.txt'], { ALUNITE_ACCESS_KEY_ID: id, ALUNITE_ACCESS_KEY_SECRET: secret })), 'quarterly numbers');
    fails(await cli.run(['oss', 'rm', 'oss://team-data/reports/q1.txt'], { ALUNITE_ACCESS_KEY_ID: id, ALUNITE_ACCESS_KEY_SECRET: secret }), 1, 'AccessDenied');
    const root = json<{ IdentityType: string }>(await cli.run(['sts', 'whoami', '--json', '--access-key-id', AK, '--access-key-secret', SECRET], { ALUNITE_ACCESS_KEY_ID: id, ALUNITE_ACCESS_KEY_SECRET: secret }));
    assert.equal(root.IdentityType, 'Account');

    // Deactivated, the key stops working.
    ok(await cli.run(['ram', 'accesskey', 'update', id, '--user', 'reader', '--status', 'Inactive']));
    const inactive = fails(await cli.run(['oss', 'cat', 'oss://team-data/reports/q1.txt', ...as]), 1, 'InvalidAccessKeyId');
    assert.match(inactive, /\(RequestId: [0-9A-F]{24}\)$/m);
    fails(await cli.run(['oss', 'stat', 'oss://team-data/reports/q1.txt', ...as]), 1, 'InvalidAccessKeyId');
  });

  it('groups, policy versions, deletes; service errors and usage errors', async () => {
    ok(await cli.run(['ram', 'user', 'create', 'writer']));
    ok(await cli.run(['ram', 'group', 'create', 'editors', '--comments', 'can edit']));
    ok(await cli.run(['ram', 'group', 'add-user', 'editors', 'writer']));
    assert.deepEqual(json<{ UserName: string }[]>(await cli.run(['ram', 'group', 'users', 'editors', '--json'])).map((u) => u.UserName), ['writer']);
    assert.deepEqual(json<{ GroupName: string }[]>(await cli.run(['ram', 'user', 'groups', 'writer', '--json'])).map((g) => g.GroupName), ['editors']);
    ok(await cli.run(['ram', 'policy', 'attach', 'AliyunOSSReadOnlyAccess', '--type', 'System', '--group', 'editors']));
    assert.deepEqual(json<{ PolicyName: string }[]>(await cli.run(['ram', 'policy', 'list', '--group', 'editors', '--json'])).map((p) => p.PolicyName), ['AliyunOSSReadOnlyAccess']);

    const v1 = join(cli.home, 'v1.json');
    const v2 = join(cli.home, 'v2.json');
    await writeFile(v1, doc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }));
    await writeFile(v2, doc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: '*' }));
    ok(await cli.run(['ram', 'policy', 'create', 'edit', '--document', v1, '--description', 'edit things']));
    const created = json<{ VersionId: string; IsDefaultVersion: boolean }>(await cli.run(['ram', 'policy', 'version', 'create', 'edit', '--document', v2, '--json']));
    assert.deepEqual([created.VersionId, created.IsDefaultVersion], ['v2', false]);
    ok(await cli.run(['ram', 'policy', 'version', 'set-default', 'edit', 'v2']));
    const versions = json<{ VersionId: string; IsDefaultVersion: boolean }[]>(await cli.run(['ram', 'policy', 'version', 'list', 'edit', '--json']));
    assert.deepEqual(versions.map((v) => [v.VersionId, v.IsDefaultVersion]).sort(), [['v1', false], ['v2', true]]);
    const got = json<{ PolicyDocument: string }>(await cli.run(['ram', 'policy', 'version', 'get', 'edit', 'v2', '--json']));
    assert.deepEqual(JSON.parse(got.PolicyDocument), JSON.parse(await readFile(v2, 'utf8')));
    const shown = ok(await cli.run(['ram', 'policy', 'get', 'edit']));
    assert.match(shown, /^DefaultVersion\s+v2$/m);
    assert.match(shown, /"oss:PutObject"/);
    fails(await cli.run(['ram', 'policy', 'version', 'delete', 'edit', 'v2']), 1, 'DeleteConflict.Policy.Version.Default');
    ok(await cli.run(['ram', 'policy', 'version', 'delete', 'edit', 'v1']));

    // Deleting a user that is still in a group is refused by the service.
    fails(await cli.run(['ram', 'user', 'delete', 'writer']), 1, 'DeleteConflict.User.Group');
    ok(await cli.run(['ram', 'group', 'remove-user', 'editors', 'writer']));
    ok(await cli.run(['ram', 'user', 'delete', 'writer']));
    fails(await cli.run(['ram', 'user', 'get', 'writer']), 1, 'EntityNotExist.User');
    const table = ok(await cli.run(['ram', 'user', 'list']));
    assert.match(table, /^NAME\s+ID\s+DISPLAY NAME\s+CREATED$/m);
    assert.doesNotMatch(table, /writer/);

    // Usage errors (exit 2): nothing reaches the server (independent, so run together).
    await writeFile(join(cli.home, 'bad.json'), '{ not json');
    const usage = await Promise.all([
      cli.run(['ram', 'policy', 'attach', 'edit']),
      cli.run(['ram', 'policy', 'attach', 'edit', '--user', 'a', '--role', 'b']),
      cli.run(['ram', 'policy', 'create', 'p', '--document', join(cli.home, 'absent.json')]),
      cli.run(['ram', 'policy', 'create', 'p', '--document', join(cli.home, 'bad.json')]),
      cli.run(['ram', 'policy', 'create', 'p']),
      cli.run(['ram', 'accesskey', 'update', 'LTAIxxxx', '--status', 'Paused']),
      cli.run(['ram', 'user', 'frobnicate']),
    ]);
    assert.match(fails(usage[0]!, 2), /exactly one of --user, --group, --role/);
    assert.match(fails(usage[1]!, 2), /exactly one of/);
    assert.match(fails(usage[2]!, 2), /cannot read policy document .*absent\.json: no such file/);
    assert.match(fails(usage[3]!, 2), /is not JSON/);
    assert.match(fails(usage[4]!, 2), /required option '--document <file>' not specified/);
    assert.match(fails(usage[5]!, 2), /Allowed choices are Active, Inactive/);
    fails(usage[6]!, 2);
    // The service validates the document itself: an invalid policy gets RAM's code.
    await writeFile(join(cli.home, 'invalid.json'), '{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}');
    fails(await cli.run(['ram', 'policy', 'create', 'p', '--document', join(cli.home, 'invalid.json')]), 1, 'MalformedPolicyDocument');
  });
});

describe('alunite sts', () => {
  let roleArn: string;
  let asAssumer: string[];

  before(async () => {
    // A user allowed to assume roles (the account root may not, as on the cloud), and a role that can write one prefix.
    ok(await cli.run(['ram', 'user', 'create', 'assumer']));
    const key = json<{ AccessKeyId: string; AccessKeySecret: string }>(await cli.run(['ram', 'accesskey', 'create', '--user', 'assumer', '--json']));
    asAssumer = ['--access-key-id', key.AccessKeyId, '--access-key-secret', key.AccessKeySecret];
    ok(await cli.run(['ram', 'policy', 'attach', 'AliyunSTSAssumeRoleAccess', '--type', 'System', '--user', 'assumer']));
    const trust = join(cli.home, 'trust.json');
    await writeFile(trust, doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }));
    const role = json<{ Arn: string; AssumeRolePolicyDocument: string }>(await cli.run(['ram', 'role', 'create', 'uploader', '--trust-policy', trust, '--max-session-duration', '7200', '--json']));
    roleArn = role.Arn;
    assert.equal(roleArn, `acs:ram::${ACCOUNT_ID}:role/uploader`);
    assert.deepEqual(JSON.parse(role.AssumeRolePolicyDocument), JSON.parse(await readFile(trust, 'utf8')));
    const write = join(cli.home, 'write-uploads.json');
    await writeFile(write, doc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:*:team-data', 'acs:oss:*:*:team-data/*'] }));
    ok(await cli.run(['ram', 'policy', 'create', 'write-uploads', '--document', write]));
    ok(await cli.run(['ram', 'policy', 'attach', 'write-uploads', '--role', 'uploader']));
  });

  it('assume-role --export in a shell, then sts whoami and oss commands with the exported credentials', async () => {
    const exported = ok(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'ci-job', '--duration', '1800', '--export', ...asAssumer]));
    assert.match(exported, /^export ALUNITE_ACCESS_KEY_ID='STS\.[A-Za-z0-9]+'$/m);
    assert.match(exported, /^export ALUNITE_ACCESS_KEY_SECRET='[^']+'$/m);
    assert.match(exported, /^export ALUNITE_SECURITY_TOKEN='[^']+'$/m);
    assert.match(exported, new RegExp(`^export ALUNITE_ENDPOINT='${srv.url}'$`, 'm'));
    // A real POSIX shell evaluates the lines, then runs the CLI with only that environment.
    const script = `eval "$(cat)"; "${process.execPath}" "${BIN}" sts whoami --json && "${process.execPath}" "${BIN}" oss cp ./note.txt oss://team-data/uploads/note.txt --json && "${process.execPath}" "${BIN}" oss rm oss://team-data/reports/q1.txt`;
    await writeFile(join(cli.home, 'note.txt'), 'from the role');
    const env = Object.fromEntries(Object.entries(cli.env).filter(([k]) => k !== 'ALUNITE_CONFIG'));
    // No profile at all in this HOME: only the exported variables can authenticate.
    const emptyHome = await mkdtemp(join(tmpdir(), 'alunite-cli-empty-'));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile('/bin/sh', ['-c', script], { env: { ...env, HOME: emptyHome }, cwd: cli.home }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(exported);
    });
    await rm(emptyHome, { recursive: true, force: true });
    const [whoJson, cpJson] = r.stdout.split(/(?<=^\})\n/m);
    const who = JSON.parse(whoJson!) as { IdentityType: string; Arn: string; PrincipalId: string };
    assert.deepEqual([who.IdentityType, who.Arn], ['AssumedRoleUser', `acs:ram::${ACCOUNT_ID}:assumed-role/uploader/ci-job`]);
    assert.equal((JSON.parse(cpJson!) as { transfers: { destination: string }[] }).transfers[0]!.destination, 'oss://team-data/uploads/note.txt');
    // The role may not delete: the last command fails with the service's code.
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: AccessDenied: /m);
    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://team-data/uploads/note.txt'])), 'from the role');
  });

  it('temporary credentials without their SecurityToken: the service\'s InvalidAccessKeyId, then a hint naming the missing token', async () => {
    const creds = json<{ AccessKeyId: string; AccessKeySecret: string }>(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'no-token', '--json', ...asAssumer]));
    const asFlags = await cli.run(['oss', 'ls', 'oss://team-data', '--access-key-id', creds.AccessKeyId, '--access-key-secret', creds.AccessKeySecret]);
    assert.match(fails(asFlags, 1, 'InvalidAccessKeyId'), /^hint: STS\.\S+ is a temporary \(STS\) AccessKeyId: it works only with the SecurityToken issued with it \(--security-token\)$/m);
    const env = { ALUNITE_ACCESS_KEY_ID: creds.AccessKeyId, ALUNITE_ACCESS_KEY_SECRET: creds.AccessKeySecret };
    assert.match(fails(await cli.run(['oss', 'ls', 'oss://team-data'], env), 1, 'InvalidAccessKeyId'), /^hint: .*\(ALUNITE_SECURITY_TOKEN\)$/m);
    // A permanent key's failure gets no such hint.
    assert.doesNotMatch(fails(await cli.run(['oss', 'ls', 'oss://team-data', '--access-key-id', 'LTAInoSuchKey', '--access-key-secret', 'x']), 1, 'InvalidAccessKeyId'), /hint:/);
  });

  it('--export from a server whose Expiration holds a newline: refused, and what eval gets is one failing statement', async () => {
    // Not Alunite: any endpoint the CLI is pointed at answers what it likes, and --export's output goes to eval.
    const hostile = await hostileEndpoint((req, res) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        RequestId: 'R', AssumedRoleUser: { Arn: 'a', AssumedRoleId: 'b' },
        Credentials: { AccessKeyId: 'STS.x', AccessKeySecret: 's', SecurityToken: 't', Expiration: '2030-01-01T00:00:00Z\ntouch pwned' },
      }));
    });
    try {
      const url = hostile.url;
      // Refused as a malformed answer; what --export prints for eval is the one failing statement, the value quoted.
      const r = await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'x1', '--export', '--endpoint', url, '--access-key-id', 'LTAIx', '--access-key-secret', 'y']);
      fails(r, 1, 'InvalidResponse');
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stdout);
      assert.match(lines[0]!, /^printf '%s\\n' '.*' >&2; false$/);
      // The shell runs it: nothing but the message on stderr, and no file named pwned.
      const sh = await new Promise<{ stderr: string }>((resolve) => {
        const child = execFile('/bin/sh', ['-c', 'eval "$(cat)"'], { cwd: cli.home }, (_err, _stdout, stderr) => resolve({ stderr }));
        child.stdin!.end(r.stdout);
      });
      assert.match(sh.stderr, /InvalidResponse/);
      await assert.rejects(stat(join(cli.home, 'pwned')));
    } finally {
      hostile.close();
    }
  });

  it('an endpoint that answers HTML (another service\'s port) is InvalidResponse naming the endpoint, not a parser message', async () => {
    const page = await hostileEndpoint((req, res) => {
      req.resume();
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html>\n<html><body><input disabled></body></html>');
    });
    try {
      const url = page.url;
      const stderr = fails(await cli.run(['oss', 'ls', '--endpoint', url, '--access-key-id', 'LTAIx', '--access-key-secret', 'y']), 1, 'InvalidResponse');
      assert.ok(stderr.includes(`the answer from ${url} is not OSS XML`), stderr);
      assert.match(stderr, /is .* the OSS endpoint/);
    } finally {
      page.close();
    }
  });

  it('a RAM/STS answer that redirects is not followed: the signed form (token, password) never reaches the other host', async () => {
    let stolen = 0;
    const thief = await hostileEndpoint((req, res) => {
      stolen++;
      req.resume();
      res.end('{}');
    });
    const redirector = await hostileEndpoint((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${thief.url}/steal` });
      res.end();
    });
    try {
      const url = redirector.url;
      const stderr = fails(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'x2', '--endpoint', url, '--access-key-id', 'LTAIx', '--access-key-secret', 'y', '--security-token', 'SECRET-TOKEN']), 1, 'InvalidResponse');
      assert.match(stderr, /answered 307 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/steal\), which is not followed/);
      fails(await cli.run(['ram', 'user', 'list', '--endpoint', url, '--access-key-id', 'LTAIx', '--access-key-secret', 'y']), 1, 'InvalidResponse');
      assert.equal(stolen, 0);
    } finally {
      redirector.close();
      thief.close();
    }
  });

  it('a listing whose marker never advances stops with InvalidResponse (it ran, and collected, forever)', async () => {
    let calls = 0;
    const stuck = await hostileEndpoint((req, res) => {
      calls++;
      req.resume();
      if (req.method === 'POST') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ RequestId: 'R', IsTruncated: true, Marker: 'SAME', Users: { User: [{ UserName: `u${calls}` }] } }));
        return;
      }
      res.setHeader('content-type', 'application/xml');
      res.end('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>' +
        `<IsTruncated>true</IsTruncated><NextContinuationToken>SAME</NextContinuationToken><KeyCount>1</KeyCount><Contents><Key>k${calls}</Key>` +
        '<LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"x"</ETag><Size>1</Size><StorageClass>Standard</StorageClass></Contents></ListBucketResult>');
    });
    try {
      const url = stuck.url;
      const creds = ['--endpoint', url, '--access-key-id', 'LTAIx', '--access-key-secret', 'y'];
      assert.match(fails(await cli.run(['oss', 'ls', 'oss://stuck-b/', ...creds]), 1, 'InvalidResponse'), /did not advance \("SAME" came back again\)/);
      assert.match(fails(await cli.run(['ram', 'user', 'list', ...creds]), 1, 'InvalidResponse'), /ListUsers listing \(Marker\) did not advance/);
      assert.ok(calls <= 6, `${calls} requests`);
    } finally {
      stuck.close();
    }
  });

  it('--json, --policy narrows the session, --save-profile writes a usable profile, presigned URLs carry the token', async () => {
    const session = join(cli.home, 'session.json');
    await writeFile(session, doc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:team-data/uploads/*' }));
    const creds = json<{ AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string; AssumedRoleUser: { Arn: string } }>(
      await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'narrow', '--policy', session, '--save-profile', 'narrow', '--json', ...asAssumer]),
    );
    assert.match(creds.AccessKeyId, /^STS\./);
    assert.ok(Math.abs(Date.parse(creds.Expiration) - Date.now() - 3600_000) < 60_000);
    assert.equal(creds.AssumedRoleUser.Arn, `acs:ram::${ACCOUNT_ID}:role/uploader/narrow`);
    assert.equal((await stat(cli.config)).mode & 0o777, 0o600);
    const text = await readFile(cli.config, 'utf8');
    assert.match(text, new RegExp(`\\[narrow\\]\\nendpoint = ${srv.url}\\nregion = cn-hangzhou\\naccess_key_id = ${creds.AccessKeyId}\\naccess_key_secret = \\S+\\nsecurity_token = \\S+\\nexpiration = ${creds.Expiration}\\n`));

    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://team-data/uploads/note.txt', '--profile', 'narrow'])), 'from the role');
    // The session policy removes what the role could do.
    await writeFile(join(cli.home, 'y.txt'), 'y');
    fails(await cli.run(['oss', 'cp', join(cli.home, 'y.txt'), 'oss://team-data/uploads/y.txt', '--profile', 'narrow']), 1, 'AccessDenied');
    const signed = ok(await cli.run(['oss', 'sign', 'oss://team-data/uploads/note.txt', '--profile', 'narrow'])).trim();
    assert.match(signed, /[?&]security-token=/);
    assert.equal(await (await fetch(signed)).text(), 'from the role');
    const signedV4 = ok(await cli.run(['oss', 'sign', 'oss://team-data/uploads/note.txt', '--profile', 'narrow', '--v4'])).trim();
    assert.match(signedV4, /[?&]x-oss-security-token=/);
    assert.equal(await (await fetch(signedV4)).text(), 'from the role');
    // A URL may outlive the token (OSS then stops it at the token's expiry): signed as asked, with a note.
    const long = await cli.run(['oss', 'sign', 'oss://team-data/uploads/note.txt', '--profile', 'narrow', '--expires', '7200', '--json']);
    const longUrl = JSON.parse(ok(long)) as { url: string; expires: string };
    assert.match(long.stderr, /works until the security token expires/);
    assert.equal(longUrl.expires, creds.Expiration, 'the reported expiry is the token\'s');
    assert.equal(await (await fetch(longUrl.url)).text(), 'from the role');

    // The account root may not assume roles (the cloud's rule), and a bad ARN is the service's error.
    fails(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'root']), 1, 'NoPermission');
    fails(await cli.run(['sts', 'assume-role', '--role-arn', `acs:ram::${ACCOUNT_ID}:role/nope`, '--session-name', 'sess', ...asAssumer]), 1, 'EntityNotExist.Role');
    fails(await cli.run(['sts', 'assume-role', '--session-name', 's']), 2);
    fails(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 's', '--duration', 'long']), 2);
    // A session name STS would call "wrongly formed" is a usage error stating the rule, before any call.
    for (const bad of ['s', 'has space', 'a/b', 'x'.repeat(65)]) {
      assert.match(fails(await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', bad, ...asAssumer]), 2),
        /^error: --session-name must be 2 to 64 characters of letters, digits, "\.", "_", "@" and "-" \(RoleSessionName\), got "/m);
    }
  });

  it("a trust policy naming the user by name (not its ARN) is sent as written, with a warning naming the ARN; AssumeRole is then refused", async () => {
    const byName = join(cli.home, 'trust-by-name.json');
    await writeFile(byName, doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['assumer'] } }));
    const created = await cli.run(['ram', 'role', 'create', 'by-name', '--trust-policy', byName]);
    ok(created);
    assert.match(created.stderr, /trust-by-name\.json:\d+:\d+: warning: Statement\[0\]\.Principal\.RAM\[0\] "assumer" is not an ARN: it admits no caller; a RAM user is "acs:ram::<account id>:user\/assumer"/);
    fails(await cli.run(['sts', 'assume-role', '--role-arn', `acs:ram::${ACCOUNT_ID}:role/by-name`, '--session-name', 'sess', ...asAssumer]), 1, 'NoPermission');
    // Fixed as the warning says: no warning, and the role is assumed.
    const byArn = join(cli.home, 'trust-by-arn.json');
    await writeFile(byArn, doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:user/assumer`] } }));
    const updated = await cli.run(['ram', 'role', 'update', 'by-name', '--trust-policy', byArn]);
    ok(updated);
    assert.doesNotMatch(updated.stderr, /warning/);
    ok(await cli.run(['sts', 'assume-role', '--role-arn', `acs:ram::${ACCOUNT_ID}:role/by-name`, '--session-name', 'sess', ...asAssumer]));
    // A session policy and a RAM policy get the same warnings (a misspelt action), and are sent all the same.
    const typo = join(cli.home, 'typo.json');
    await writeFile(typo, doc({ Effect: 'Allow', Action: 'oss:Getobjekt', Resource: 'acs:oss:*:*:team-data/*' }));
    const session = await cli.run(['sts', 'assume-role', '--role-arn', roleArn, '--session-name', 'typo', '--policy', typo, '--json', ...asAssumer]);
    ok(session);
    assert.match(session.stderr, /typo\.json:\d+:\d+: warning: .*"oss:Getobjekt" matches no oss action \(did you mean "oss:GetObject"\?\) \[UnknownAction\]/);
    const created2 = await cli.run(['ram', 'policy', 'create', 'typo-policy', '--document', typo]);
    ok(created2);
    assert.match(created2.stderr, /\[UnknownAction\]/);
  });

  it('shellQuote survives quotes, dollars, backslashes and newlines in a real shell', async () => {
    const nasty = `a'b"c$HOME\`id\`\\n\nend`;
    const out = await promisify(execFile)('/bin/sh', ['-c', `printf %s ${shellQuote(nasty)}`]);
    assert.equal(out.stdout, nasty);
  });
});
