// A second language in the project's own tests: test/go/*_test.go drives a spawned `alunite server` through
// Debian's Go OSS SDK (golang-github-aliyun-aliyun-oss-go-sdk-dev) and aliyungo's STS and RAM clients
// (golang-github-denverdino-aliyungo-dev). This file builds the Go tests offline (GOPATH mode, GOPROXY=off),
// sets up RAM (a user allowed to assume a role that may use OSS), runs them through `go tool test2json`,
// and reports every Go test and subtest as a Node subtest of the same name. Without `go` it skips.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { cgoEnabled, DEBIAN_GOCODE, goVersion, haveGo, offlineGoEnv, run } from './helpers/go.js';
import { startTxtServer, type TxtServer } from './helpers/dns-txt.js';
import { AK, SECRET } from './helpers/server.js';
import { signedRequest, succeeds } from './helpers/signed.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { roleArn, TRUST_ACCOUNT } from './helpers/sts.js';

const GO_DIR = fileURLToPath(new URL('../../test/go/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const ROLE = 'GoSdkRole';
/** A custom domain bound to a bucket for TestCname (cname_test.go), its ownership proven by a TXT record. */
const CNAME = { domain: 'go.cname.example', bucket: 'go-sdk-cname' };

const haveSdk = existsSync(join(DEBIAN_GOCODE, 'src/github.com/aliyun/aliyun-oss-go-sdk/oss')) && existsSync(join(DEBIAN_GOCODE, 'src/github.com/denverdino/aliyungo/sts'));
const skipReason = !haveGo
  ? '`go` is not installed (.ci/run installs golang-go and the Go SDK packages from Debian)'
  : !haveSdk
    ? `the Go SDK sources are not in ${DEBIAN_GOCODE} (apt-get install golang-github-aliyun-aliyun-oss-go-sdk-dev golang-github-denverdino-aliyungo-dev)`
    : false;

/** One `go test -json` event (cmd/test2json). */
interface GoEvent {
  Action: 'start' | 'run' | 'pause' | 'cont' | 'pass' | 'bench' | 'fail' | 'output' | 'skip';
  Test?: string;
  Output?: string;
}

interface GoTest {
  name: string; // the last path element of the Go name
  result?: 'pass' | 'fail' | 'skip';
  output: string[];
  children: Map<string, GoTest>;
}

const newNode = (name: string): GoTest => ({ name, output: [], children: new Map() });

/** Builds the test tree from test2json events (subtest names are `Parent/child`; `/` is never in ours). */
function parseEvents(stdout: string): { root: GoTest; stray: string[] } {
  const root = newNode('');
  const stray: string[] = [];
  const nodeOf = (name: string): GoTest => {
    let node = root;
    for (const part of name.split('/')) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = newNode(part)));
      node = next;
    }
    return node;
  };
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let ev: GoEvent;
    try {
      ev = JSON.parse(line) as GoEvent;
    } catch {
      stray.push(line);
      continue;
    }
    if (ev.Test === undefined) {
      if (ev.Action === 'output' && ev.Output !== undefined) stray.push(ev.Output.replace(/\n$/, ''));
      continue;
    }
    const node = nodeOf(ev.Test);
    if (ev.Action === 'output' && ev.Output !== undefined) node.output.push(ev.Output);
    else if (ev.Action === 'pass' || ev.Action === 'fail' || ev.Action === 'skip') node.result = ev.Action;
  }
  return { root, stray };
}

/** The test's own lines (its t.Log/t.Fatal/t.Skip messages), without the runner's framing lines. */
function messages(node: GoTest): string {
  return node.output
    .filter((l) => !/^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP):)/.test(l))
    .join('')
    .trim();
}

function anyFailed(node: GoTest): boolean {
  return [...node.children.values()].some((c) => c.result === 'fail' || c.result === undefined || anyFailed(c));
}

/** Reports a Go test as a Node subtest, its Go subtests nested inside it. */
async function report(t: TestContext, node: GoTest): Promise<void> {
  await t.test(node.name, async (st) => {
    if (node.result === 'skip') {
      st.skip(messages(node) || 'skipped by the Go test');
      return;
    }
    for (const child of node.children.values()) await report(st, child);
    if (node.result === undefined) assert.fail(`the Go test did not finish (crash or timeout):\n${node.output.join('')}`);
    // A parent fails when a child did; its own failure messages are reported only when no child explains it.
    if (node.result === 'fail' && !anyFailed(node)) assert.fail(messages(node) || node.output.join(''));
  });
}

describe('Go OSS SDK and aliyungo STS against a spawned server', { skip: skipReason, timeout: 900_000 }, () => {
  let dataDir: string;
  let work: string;
  let srv: SpawnedServer;
  let goEnv: NodeJS.ProcessEnv;
  let user: { id: string; secret: string };
  let dns: TxtServer;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'alunite-go-'));
    dataDir = join(work, 'data');
    await mkdir(join(work, 'gopath'), { recursive: true });
    goEnv = offlineGoEnv(work);
    dns = await startTxtServer();
    srv = await spawnServer(['--data', dataDir, '--no-fsync', '--cname-dns-server', dns.address]);
    // TestCname's domain: token, TXT record, PutCname (the default --cname-verification dns).
    const cnameBody = `<BucketCnameConfiguration><Cname><Domain>${CNAME.domain}</Domain></Cname></BucketCnameConfiguration>`;
    succeeds(await signedRequest(srv.port, 'PUT', CNAME.bucket, null, []));
    const token = succeeds(await signedRequest(srv.port, 'POST', CNAME.bucket, null, [['cname', ''], ['comp', 'token']], { body: cnameBody }));
    dns.set(`_dnsauth.${CNAME.domain}`, [/<Token>([^<]+)<\/Token>/.exec(token.text)![1]!]);
    succeeds(await signedRequest(srv.port, 'POST', CNAME.bucket, null, [['cname', ''], ['comp', 'add']], { body: cnameBody }));
    // RAM: a role that may use OSS, and a user that may assume it (the seeds' setup; the tests narrow it
    // with session policies).
    const ram = new RPCClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, apiVersion: '2015-05-01' });
    const call = (action: string, params: Record<string, unknown>): Promise<Record<string, any>> => // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
      ram.request(action, params, { method: 'POST' });
    await call('CreateRole', { RoleName: ROLE, AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await call('CreatePolicy', { PolicyName: 'GoSdkOss', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: ['acs:oss:*:*:*'] }] }) });
    await call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'GoSdkOss', RoleName: ROLE });
    await call('CreateUser', { UserName: 'go-sdk-user' });
    await call('CreatePolicy', { PolicyName: 'GoSdkAssume', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(ROLE.toLowerCase()) }] }) });
    await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'GoSdkAssume', UserName: 'go-sdk-user' });
    const key = await call('CreateAccessKey', { UserName: 'go-sdk-user' });
    user = { id: key.AccessKey.AccessKeyId as string, secret: key.AccessKey.AccessKeySecret as string };
  });

  after(async () => {
    if (srv) await kill9(srv.child);
    await dns?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // The cost of a cold build cache (docs/testing.md): with the settings of a C compiler at hand, the standard
  // library Debian ships compiled is used as it is, not compiled again into the cache.
  it("the standard library's packaged build is used, not rebuilt", { skip: cgoEnabled ? false : 'no C compiler: cgo is off, and the standard library is built for that' }, async () => {
    const r = await run('go', ['list', '-deps', '-f', '{{if .Standard}}{{if .Stale}}{{.ImportPath}}: {{.StaleReason}}{{end}}{{end}}', 'net/http', 'crypto/tls'], { cwd: GO_DIR, env: goEnv, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l !== ''), [], 'standard packages go would compile again');
  });

  // Longer than the build's and the run's own limits together, so either one reports its output first.
  it('the Go tests pass', { timeout: 660_000 }, async (t) => {
    const binary = join(work, 'alunite-go.test');
    const build = await run('go', ['test', '-c', '-o', binary, '.'], { cwd: GO_DIR, env: goEnv, timeoutMs: 300_000 });
    assert.equal(build.code, 0, `go test -c failed (${goVersion.stdout.trim()}):\n${build.stdout}${build.stderr}`);

    const env = {
      ...goEnv,
      ALUNITE_URL: srv.url,
      ALUNITE_ROOT_AK: AK,
      ALUNITE_ROOT_SECRET: SECRET,
      ALUNITE_USER_AK: user.id,
      ALUNITE_USER_SECRET: user.secret,
      ALUNITE_ROLE_ARN: roleArn(ROLE.toLowerCase()),
      ALUNITE_FIXTURES: FIXTURES,
      ALUNITE_CNAME_DOMAIN: CNAME.domain,
      ALUNITE_CNAME_BUCKET: CNAME.bucket,
    };
    const res = await run('go', ['tool', 'test2json', '-t', binary, '-test.v', '-test.timeout', '240s'], { cwd: GO_DIR, env, timeoutMs: 300_000 });
    const { root, stray } = parseEvents(res.stdout);
    assert.ok(root.children.size > 0, `no Go test ran (exit ${String(res.code)} ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
    for (const node of root.children.values()) await report(t, node);
    const failed = [...root.children.values()].some((n) => n.result !== 'pass' && n.result !== 'skip');
    // A non-zero exit with every test passing means the binary itself failed (TestMain, panic after the run).
    if (!failed) assert.equal(res.code, 0, `the Go test binary exited with ${String(res.code)} ${String(res.signal)}:\n${stray.join('\n')}\n${res.stderr}\nserver log:\n${srv.stderr()}`);
  });
});
