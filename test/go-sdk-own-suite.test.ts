// The Go OSS SDK's *own* test suite (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev 1.5.0: bucket_test.go,
// client_test.go, multipart_test.go, … written by Alibaba against the real cloud), unchanged but for two things,
// against a spawned `alunite server`:
// - its sleeps of N seconds become milliseconds: they wait out the cloud's propagation delays, and take the run
//   from ~15 s to ~4 min; nothing here propagates (the error hooks' sleeps stay: withoutPropagationWaits);
// - `../sample/`, which Debian's +dfsg package leaves out, is made: a 482,048-byte file (the size the tests
//   split and count) and an HTML page, their mtimes on a whole second (TestUploadRoutineWithRecovery measures the
//   length of the file time's text).
// Every gocheck test becomes a Node subtest. The few that cannot pass anywhere but against the cloud and with
// the real sample image are skipped with the reason, and only when they fail the expected way (docs/go-sdk-tests.md).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEBIAN_GOCODE, goVersion, haveGo, offlineGoEnv, run } from './helpers/go.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const SDK = join(DEBIAN_GOCODE, 'src/github.com/aliyun/aliyun-oss-go-sdk/oss');
const GOCHECK = join(DEBIAN_GOCODE, 'src/gopkg.in/check.v1');
const skipReason = !haveGo
  ? '`go` is not installed (.ci/run installs golang-go and the Go SDK packages from Debian)'
  : !existsSync(SDK)
    ? `the Go SDK sources are not in ${DEBIAN_GOCODE} (apt-get install golang-github-aliyun-aliyun-oss-go-sdk-dev)`
    : !existsSync(GOCHECK)
      ? `gocheck, which the SDK's tests use, is not in ${DEBIAN_GOCODE} (apt-get install golang-gopkg-check.v1-dev)`
      : false;

/** The 5-part multipart ETag of the real BingWallpaper-2015-11-07.jpg, which Debian does not ship. */
const REAL_SAMPLE_ETAG = '2351E662233817A7AE974D8C5B0876DD-5';
/** A file the tests expect not to exist or not to be writable; as root it is both. */
const ROOT_FILE = '/root/123abc9874';
const asRoot = process.getuid?.() === 0;

/**
 * Tests that fail here for a reason outside the server, each with what its failure must contain to be
 * recognised: any other failure of theirs is reported as a failure.
 */
const ENVIRONMENT: ReadonlyMap<string, { reason: string; failure: string }> = new Map([
  ['OssClientSuite.TestEndpointFormat', {
    reason: 'it strips the scheme from OSS_TEST_ENDPOINT; the SDK then takes `127.0.0.1:<port>` for a domain and addresses `<bucket>.127.0.0.1:<port>`, which no resolver knows',
    failure: 'no such host',
  }],
  ['OssDownloadSuite.TestDownloadRoutineWithRecovery', { reason: `it expects the ETag of the real sample image (${REAL_SAMPLE_ETAG}); Debian's +dfsg package leaves the image out`, failure: REAL_SAMPLE_ETAG }],
  ['OssCopySuite.TestCopyRoutineWithRecovery', { reason: `it expects the ETag of the real sample image (${REAL_SAMPLE_ETAG}); Debian's +dfsg package leaves the image out`, failure: REAL_SAMPLE_ETAG }],
  ...(asRoot
    ? ([
      ['OssBucketSuite.TestGetObjectToWriterNegative', { reason: `running as root: it expects writing ${ROOT_FILE} to fail`, failure: 'bucket_test.go:510' }],
      ['OssBucketMultipartSuite.TestUploadFileNegative', { reason: `running as root: it expects ${ROOT_FILE} not to exist`, failure: 'multipart_test.go:831' }],
    ] as const)
    : []),
]);

/**
 * The sleeps that wait out the cloud's propagation, in seconds, become milliseconds, in each way the tests write them
 * (`5 * time.Second`, `time.Second * 3`, `time.Second`). The error hooks' `time.Sleep(time.Second)` before
 * `return fmt.Errorf("ErrorHooker")` stay: they hold one part back while the others finish, which the resumed
 * upload, download and copy that follow count on.
 */
function withoutPropagationWaits(go: string): string {
  return go
    .replace(/time\.Sleep\((\d+) \* time\.Second\)/g, 'time.Sleep($1 * time.Millisecond)')
    .replace(/time\.Sleep\(time\.Second \* (\d+)\)/g, 'time.Sleep(time.Millisecond * $1)')
    .replace(/time\.Sleep\(time\.Second\)(?!\s*return fmt\.Errorf\("ErrorHooker"\))/g, 'time.Sleep(time.Millisecond)');
}

interface Outcome {
  status: 'PASS' | 'FAIL' | 'PANIC' | 'SKIP' | 'MISS';
  detail: string;
}

/** gocheck -check.v: `PASS: file.go:N: Suite.Test\t0.1s`; a FAIL/PANIC line is followed by its details up to the next `----` rule. */
function parseGocheck(out: string): Map<string, Outcome> {
  const results = new Map<string, Outcome>();
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(PASS|FAIL|PANIC|SKIP|MISS): \S+: (\S+)/.exec(lines[i]!);
    if (!m) continue;
    const detail: string[] = [];
    if (m[1] === 'FAIL' || m[1] === 'PANIC' || m[1] === 'MISS') {
      for (let j = i + 1; j < lines.length && !/^-{20,}/.test(lines[j]!) && !/^(PASS|FAIL|PANIC|SKIP|MISS|OOPS|OK):/.test(lines[j]!); j++) detail.push(lines[j]!);
    }
    results.set(m[2]!, { status: m[1] as Outcome['status'], detail: detail.join('\n').trim() });
  }
  return results;
}

describe("the Go OSS SDK's own test suite (Debian's 1.5.0) against a spawned server", { skip: skipReason, timeout: 900_000 }, () => {
  let work: string;
  let pkg: string;
  let srv: SpawnedServer;
  let results: Map<string, Outcome>;
  let output: string;
  const hadRootFile = existsSync(ROOT_FILE);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'alunite-go-own-'));
    const repo = join(work, 'gopath/src/github.com/aliyun/aliyun-oss-go-sdk');
    pkg = join(repo, 'oss');
    await cp(SDK, pkg, { recursive: true });
    for (const f of (await readdir(pkg)).filter((n) => n.endsWith('_test.go'))) {
      const text = await readFile(join(pkg, f), 'utf8');
      await writeFile(join(pkg, f), withoutPropagationWaits(text));
    }
    const sample = join(repo, 'sample');
    await mkdir(sample);
    await writeFile(join(sample, 'BingWallpaper-2015-11-07.jpg'), randomBytes(482_048));
    await writeFile(join(sample, 'The Go Programming Language.html'),
      `<!DOCTYPE html><html><head><title>The Go Programming Language</title></head><body>\n${Array.from({ length: 2000 }, (_, i) => `<p>line ${i}</p>\n`).join('')}</body></html>\n`);
    const whole = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    for (const f of await readdir(sample)) await utimes(join(sample, f), whole, whole);

    srv = await spawnServer(['--data', join(work, 'data'), '--no-fsync']);
    const env = {
      ...offlineGoEnv(work),
      OSS_TEST_ENDPOINT: srv.url,
      OSS_TEST_ACCESS_KEY_ID: AK,
      OSS_TEST_ACCESS_KEY_SECRET: SECRET,
      // TestProxy: the server itself is the proxy (it takes absolute-form request lines, RFC 9112 §3.2.2).
      OSS_TEST_PROXY_HOST: srv.url,
      OSS_TEST_PROXY_USER: 'alunite',
      OSS_TEST_PROXY_PASSWORD: 'proxy-password',
    };
    const binary = join(work, 'oss.test');
    const build = await run('go', ['test', '-c', '-o', binary, '.'], { cwd: pkg, env, timeoutMs: 300_000 });
    assert.equal(build.code, 0, `go test -c failed (${goVersion.stdout.trim()}):\n${build.stdout}${build.stderr}`);
    const res = await run(binary, ['-check.v', '-test.timeout', '240s'], { cwd: pkg, env, timeoutMs: 300_000 });
    output = `${res.stdout}${res.stderr}`;
    results = parseGocheck(res.stdout);
    assert.ok(results.size > 100, `gocheck reported ${results.size} tests (exit ${String(res.code)} ${String(res.signal)}):\n${output}\nserver log:\n${srv.stderr()}`);
  });

  after(async () => {
    if (srv) await kill9(srv.child);
    if (work) await rm(work, { recursive: true, force: true });
    // TestGetObjectToWriterNegative writes it when it can (as root): leave the machine as it was.
    if (!hadRootFile) await rm(ROOT_FILE, { force: true });
  });

  it('every test passes, or fails only the way its environment makes it', async (t) => {
    for (const [name, outcome] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
      await t.test(name, (st) => {
        const known = ENVIRONMENT.get(name);
        if (outcome.status === 'PASS') return;
        if (outcome.status === 'SKIP') return st.skip(outcome.detail || 'skipped by gocheck');
        if (known && outcome.status === 'FAIL' && outcome.detail.includes(known.failure)) return st.skip(known.reason);
        assert.fail(`${outcome.status}\n${outcome.detail}`);
      });
    }
    const counts = [...results.values()].reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }), {});
    t.diagnostic(`gocheck: ${JSON.stringify(counts)}; ${output.split('\n').filter((l) => /^(OOPS|OK):/.test(l)).join(' ')}`);
  });
});
