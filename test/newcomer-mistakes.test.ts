// Mistakes a newcomer makes when pointing an unchanged client at Alunite, and what the answer tells them
// (real server, real ali-oss and pop-core; the README's "Connect a client", STS and token vending sections).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { portForLater } from './helpers/ports.js';
import { BIN, kill9, spawnServer } from './helpers/spawn.js';
import { tempDirSync } from './helpers/tmp.js';
import { expectOssError } from './helpers/oss.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { Ram } from './helpers/ram.js';
import { assumeRole, stsClient } from './helpers/sts.js';

describe('newcomer mistakes with ali-oss', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('my-bucket');
    await srv.client({ bucket: 'my-bucket' }).put('hello.txt', Buffer.from('hi'));
  });
  after(() => srv.stop());

  it("IP endpoint with region 'cn-hangzhou' (no oss- prefix): InvalidArgument naming the region to give, for any key", async () => {
    // ali-oss sends Host "my-bucket.cn-hangzhou.aliyuncs.com": read as path style, "hello.txt" was the bucket
    // (InvalidBucketName), "photo" another bucket (SignatureDoesNotMatch: the client signed /my-bucket/photo).
    const oss = srv.client({ bucket: 'my-bucket', region: 'cn-hangzhou' });
    for (const call of [() => oss.get('hello.txt'), () => oss.get('photo'), () => oss.put('a/b.txt', Buffer.from('x'))]) {
      const err = await expectOssError(call, 'InvalidArgument', 400);
      assert.match(err.message, /The Host "my-bucket\.cn-hangzhou\.aliyuncs\.com" names no OSS endpoint/);
      assert.match(err.message, /give region 'oss-cn-hangzhou', not 'cn-hangzhou'/);
    }
    // Nothing was written under another name.
    assert.deepEqual((await srv.client({ bucket: 'my-bucket' }).list({ prefix: 'a/', 'max-keys': 10 }, {})).objects ?? [], []);
  });

  it('the same client without a bucket (ListBuckets) still works: the Host names no bucket to get wrong', async () => {
    const result = (await srv.client({ region: 'cn-hangzhou' }).listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.deepEqual(result.buckets.map((b) => b.name), ['my-bucket']);
  });

  it("region 'oss-cn-hangzhou' and the internal endpoint's Host keep working", async () => {
    assert.equal((await srv.client({ bucket: 'my-bucket' }).get('hello.txt')).content.toString(), 'hi');
    assert.equal((await srv.client({ bucket: 'my-bucket', internal: true }).get('hello.txt')).content.toString(), 'hi');
  });
});

describe('newcomer mistakes with AssumeRole (pop-core)', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  /** The POP error pop-core throws for `params`: its code and the service's message. */
  const refusal = async (params: Record<string, unknown>): Promise<{ code: string; message: string }> => {
    const err = await assumeRole(stsClient(srv, AK, SECRET), params).then(
      () => assert.fail('expected an error'),
      (e: { code: string; data: { Message: string } }) => e,
    );
    return { code: err.code, message: err.data.Message };
  };

  it("a one-letter or spaced RoleSessionName ('x', 'my session'): the message says what a session name is", async () => {
    for (const name of ['x', 'my session']) {
      const { code, message } = await refusal({ RoleArn: `acs:ram::${ACCOUNT_ID}:role/reader`, RoleSessionName: name });
      assert.equal(code, 'InvalidParameter.RoleSessionName');
      // The cloud's text, then the rule.
      assert.equal(message, 'The parameter RoleSessionName is wrongly formed: 2-64 of letters, digits, ".", "@", "_" and "-".');
    }
  });

  it("the role's name, or its ARN with a region, as RoleArn: the message shows the ARN's form", async () => {
    for (const arn of ['reader', `acs:ram:cn-hangzhou:${ACCOUNT_ID}:role/reader`]) {
      const { code, message } = await refusal({ RoleArn: arn, RoleSessionName: 'session-1' });
      assert.equal(code, 'InvalidParameter.RoleArn');
      assert.match(message, /^The parameter RoleArn is wrongly formed: it is acs:ram::<16-digit account id>:role\/<role name>/);
    }
  });
});

/** Runs `alunite ARGS` as a new user would (no ALUNITE_* settings but `env`); its exit code and stderr. */
function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number | null; stderr: string }> {
  const full: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALUNITE_'))), ...env };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: full, cwd }, (_err, _out, stderr) => resolve({ code: child.exitCode, stderr }));
  });
}

describe('newcomer mistakes with alunite vend', () => {
  it("the README's vend step with nothing listening at ALUNITE_ENDPOINT: the error names the setting to fix, not a flag vend lacks", async () => {
    // examples/vend.yaml as the README starts it, the server elsewhere (another port, or not started).
    const dir = tempDirSync('alunite-newcomer-vend-');
    copyFileSync(fileURLToPath(new URL('../../examples/vend.yaml', import.meta.url)), join(dir, 'vend.yaml'));
    const endpoint = `http://127.0.0.1:${await portForLater()}`;
    const r = await runCli(['vend', '--config', join(dir, 'vend.yaml'), '--port', '0'], {
      ALUNITE_ENDPOINT: endpoint, ALUNITE_VEND_ACCESS_KEY_ID: 'LTAI5tVendVendVendVend01', ALUNITE_VEND_ACCESS_KEY_SECRET: 'VendSecretVendSecretVendSecret',
    }, dir);
    assert.equal(r.code, 1, r.stderr);
    // It said "NetworkError: cannot reach the endpoint (…): … or give its address with --endpoint", a flag
    // `alunite vend` refuses (unknown option '--endpoint').
    assert.match(r.stderr, /^error: StsUnavailable: STS is unreachable: cannot reach http:\/\/127\.0\.0\.1:\d+\/ \(.*ECONNREFUSED.*\); check the STS endpoint: sts\.endpoint \/ ALUNITE_ENDPOINT \(http:\/\/127\.0\.0\.1:\d+\), where the Alunite server \(or the cloud's STS\) must listen$/m);
    assert.ok(r.stderr.includes(`(${endpoint})`), r.stderr);
    assert.doesNotMatch(r.stderr, /--endpoint/);
  });
});

describe('newcomer mistakes with --meta postgres://', () => {
  it('PostgreSQL not running: server, keys and init export name the database, not an Alunite endpoint to start', async () => {
    const url = `postgres://alunite:secret@127.0.0.1:${await portForLater()}/alunite`;
    const dir = tempDirSync('alunite-newcomer-pg-');
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    for (const args of [
      ['server', '--port', '0', '--data', dir, '--meta', url],
      ['keys', 'history', '--meta', url],
      ['init', 'export', '--meta', url],
    ]) {
      const r = await runCli(args, env, dir);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      // It said "NetworkError: cannot reach the endpoint (cannot connect to PostgreSQL …): nothing listens there;
      // start the server (alunite server, npm start in a checkout) or give its address with --endpoint".
      assert.match(r.stderr, /^error: cannot connect to PostgreSQL at postgres:\/\/alunite:\*\*\*@127\.0\.0\.1:\d+\/alunite: connect ECONNREFUSED 127\.0\.0\.1:\d+$/m, args.join(' '));
      assert.doesNotMatch(r.stderr, /--endpoint|start the server|secret@/, args.join(' '));
    }
  });
});

describe('newcomer mistakes with a second server', () => {
  it('a second npm start in the same checkout: the error says what a second server needs, beside stopping the first', async () => {
    const dir = tempDirSync('alunite-newcomer-second-');
    const first = await spawnServer(['--data', join(dir, '.alunite')], {});
    try {
      const r = await runCli(['server', '--port', '0', '--data', join(dir, '.alunite')], {}, dir);
      assert.equal(r.code, 1, r.stderr);
      // It said "… is in use by another alunite process (one process owns a data directory); stop it first."
      assert.match(r.stderr, /^error: \/.*\/\.alunite\/metadata\.sqlite is in use by another alunite server \(one process owns a data directory\): use that server, stop it \(Ctrl-C in its terminal\), or start this one with its own data directory and port \(--data DIR --port N, or --in-memory\)$/m);
      // The offline commands, which need the server stopped, keep "stop it first".
      const keys = await runCli(['keys', 'history', '--data', join(dir, '.alunite')], {}, dir);
      assert.equal(keys.code, 1, keys.stderr);
      assert.match(keys.stderr, /metadata\.sqlite is in use by another alunite process \(one process owns a data directory\); stop it first\.$/m);
    } finally {
      await kill9(first.child);
    }
  });
});

describe('newcomer mistakes with the CLI', () => {
  it('oss cp of a file with nothing listening: one error line, no urllib warnings and stack before it', async () => {
    const dir = tempDirSync('alunite-newcomer-cp-');
    writeFileSync(join(dir, 'a.txt'), 'x');
    const endpoint = `http://127.0.0.1:${await portForLater()}`;
    const r = await runCli(['oss', 'cp', 'a.txt', 'oss://my-bucket/a.txt', '--endpoint', endpoint], { HOME: dir }, dir);
    assert.equal(r.code, 1, r.stderr);
    // It wrote "[urllib:warn] … PUT http://…/a.txt callback twice!!!" and the error's stack first (the stream
    // upload fails on the socket and on the stream).
    assert.doesNotMatch(r.stderr, /urllib|callback twice|stack:/);
    assert.match(r.stderr, /^error: NetworkError: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED [^)]*\): nothing listens there; start the server/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('init reset with nothing listening: which endpoint it could not reach and what to do, not only "fetch failed"', async () => {
    const dir = tempDirSync('alunite-newcomer-reset-');
    const endpoint = `http://127.0.0.1:${await portForLater()}`;
    const r = await runCli(['init', 'reset', '--endpoint', endpoint], { HOME: dir }, dir);
    assert.equal(r.code, 1, r.stderr);
    // It said "error: fetch failed".
    assert.equal(r.stderr.trim(), `error: NetworkError: cannot reach ${endpoint}/-/reset (fetch failed: connect ECONNREFUSED ${endpoint.slice('http://'.length)}): ` +
      'nothing listens there; start the server (alunite server, npm start in a checkout) or give its address with --endpoint');
  });

  it('init reset on a server started without --allow-reset: the refusal says so, with no `why:` line to a dead end', async () => {
    const srv = await startTestServer();
    try {
      const dir = tempDirSync('alunite-newcomer-reset-');
      const r = await runCli(['init', 'reset', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET], { HOME: dir }, dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: AccessDenied: Reset is disabled on this server: start it with --allow-reset/);
      // It added "why: alunite policy explain <id>", which answers EntityNotExist.Request: resets are not recorded.
      assert.doesNotMatch(r.stderr, /why:/);
    } finally {
      await srv.stop();
    }
  });

  it('sts assume-role with the root AccessKey (nothing configured): the hint says root cannot assume roles', async () => {
    const srv = await startTestServer();
    try {
      const dir = tempDirSync('alunite-newcomer-assume-');
      const conn = ['--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET];
      const arn = `acs:ram::${ACCOUNT_ID}:role/reader`;
      const root = await runCli(['sts', 'assume-role', '--role-arn', arn, '--session-name', 'first-try', ...conn], { HOME: dir }, dir);
      assert.equal(root.code, 1, root.stderr);
      // It said only the cloud's "You are not authorized to do this action. You should be authorized by RAM."
      assert.match(root.stderr, /^error: NoPermission: You are not authorized to do this action\. You should be authorized by RAM\. \(RequestId: [0-9A-F-]+\)$/m);
      assert.match(root.stderr, /^hint: these credentials are the account's root AccessKey .*the root account cannot assume roles: use a RAM user's AccessKey that may call sts:AssumeRole/m);
      // A RAM user refused (no sts:AssumeRole): the same error, without the root hint.
      const newcomer = await new Ram(srv).user('newcomer');
      const user = await runCli(['sts', 'assume-role', '--role-arn', arn, '--session-name', 'first-try', '--endpoint', srv.url,
        '--access-key-id', newcomer.accessKeyId, '--access-key-secret', newcomer.accessKeySecret], { HOME: dir }, dir);
      assert.equal(user.code, 1, user.stderr);
      assert.match(user.stderr, /^error: NoPermission: /m);
      assert.doesNotMatch(user.stderr, /hint:|root/);
    } finally {
      await srv.stop();
    }
  });
});

describe('newcomer mistakes with another port', () => {
  it('a server on another port than 8930 says which endpoint the client commands and the examples need', async () => {
    const dir = tempDirSync('alunite-newcomer-port-');
    const srv = await spawnServer(['--data', join(dir, '.alunite')], {});
    try {
      // It said nothing: `alunite oss ls` in the next terminal then answered "cannot reach http://127.0.0.1:8930".
      const line = srv.stdout().split('\n').find((l) => l.startsWith('client commands'));
      assert.ok(line?.endsWith(` oss, ram, sts) talk to http://127.0.0.1:8930 unless told: ` +
        `export ALUNITE_ENDPOINT=${srv.url}, and use this endpoint in the README's examples`), srv.stdout());
      assert.match(line!, /^client commands \((\S*\/)?alunite /);
    } finally {
      await kill9(srv.child);
    }
  });

  it('--host 0.0.0.0: the lines to copy name 127.0.0.1 (browsers refuse 0.0.0.0), and say how other machines connect', async () => {
    const dir = tempDirSync('alunite-newcomer-host-');
    // The development keys, so the banner has its ali-oss line.
    const srv = await spawnServer(['--data', join(dir, '.alunite'), '--host', '0.0.0.0'], {
      ALUNITE_ROOT_ACCESS_KEY_ID: 'LTAI5tAluniteDevAccessKey', ALUNITE_ROOT_ACCESS_KEY_SECRET: 'AluniteDevSecret0123456789ABCD', ALUNITE_ACCOUNT_ID: '1000000000000001',
    });
    try {
      assert.match(srv.url, /^http:\/\/0\.0\.0\.0:\d+$/); // the listening line keeps the address it listens on
      const local = `http://127.0.0.1:${srv.port}`;
      const out = srv.stdout();
      // They said "web console: http://0.0.0.0:<port>/-/console/" and "endpoint: 'http://0.0.0.0:<port>'".
      assert.ok(out.includes(`\nweb console: ${local}/-/console/\n`), out);
      assert.ok(out.includes(`ali-oss: new OSS({ endpoint: '${local}'`), out);
      assert.ok(out.includes(`export ALUNITE_ENDPOINT=${local},`), out);
      assert.ok(out.includes("listening on every interface: from another machine, use this machine's address or name instead of 127.0.0.1\n"), out);
      assert.doesNotMatch(out.replace(/^alunite listening on .*$/m, ''), /0\.0\.0\.0/);
    } finally {
      await kill9(srv.child);
    }
  });
});
