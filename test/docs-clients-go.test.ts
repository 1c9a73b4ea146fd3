// docs/clients.md's Go program and the command that runs it, as written, against a spawned server with the
// development keys (what `npm start` has): the program is saved as main.go in an empty directory and the ```sh
// block after it runs there (8930 becomes the server's port). A reader who copies them gets "hi from Go"; before,
// the page said "run by hand" and a plain `go run main.go` failed with "go.mod file not found".
// Skipped without `go` or Debian's Go OSS SDK sources, as test/go-sdk.test.ts is.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import OSS from 'ali-oss';
import { DEV_DEFAULTS } from '../src/defaults.js';
import { DEBIAN_GOCODE, haveGo, run } from './helpers/go.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const DOC = fileURLToPath(new URL('../../docs/clients.md', import.meta.url));
const haveSdk = existsSync(join(DEBIAN_GOCODE, 'src/github.com/aliyun/aliyun-oss-go-sdk/oss'));
const skip = !haveGo
  ? '`go` is not installed (.ci/run installs golang-go and the Go SDK packages from Debian)'
  : !haveSdk
    ? `the Go OSS SDK sources are not in ${DEBIAN_GOCODE} (apt-get install golang-github-aliyun-aliyun-oss-go-sdk-dev)`
    : false;

/** The page's ```go block and the first ```sh block after it. */
export function goSnippet(markdown: string): { program: string; command: string } {
  const fence = (lang: string, from: number): { code: string; end: number } => {
    const start = markdown.indexOf(`\n\`\`\`${lang}\n`, from);
    assert.ok(start >= 0, `docs/clients.md has a \`\`\`${lang} block${from > 0 ? ' after the Go program' : ''}`);
    const body = start + lang.length + 5;
    const end = markdown.indexOf('\n```\n', body - 1);
    assert.ok(end >= 0, `the \`\`\`${lang} block is closed`);
    return { code: markdown.slice(body, end + 1), end };
  };
  const program = fence('go', 0);
  return { program: program.code, command: fence('sh', program.end).code };
}

describe('docs/clients.md: the Go program and its command run as written', { skip }, () => {
  let srv: SpawnedServer;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'alunite-docs-go-'));
    srv = await spawnServer(['--in-memory'], {
      ALUNITE_ROOT_ACCESS_KEY_ID: DEV_DEFAULTS.accessKeyId,
      ALUNITE_ROOT_ACCESS_KEY_SECRET: DEV_DEFAULTS.accessKeySecret,
      ALUNITE_ACCOUNT_ID: DEV_DEFAULTS.accountId,
    });
    // The page's programs use the README's bucket.
    const oss = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: DEV_DEFAULTS.accessKeyId, accessKeySecret: DEV_DEFAULTS.accessKeySecret });
    await oss.putBucket('my-bucket');
  });
  after(async () => {
    if (srv) await kill9(srv.child);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('go run prints "hi from Go"', { timeout: 300_000 }, async () => {
    const { program, command } = goSnippet(await readFile(DOC, 'utf8'));
    assert.match(command, /\bgo run main\.go\b/);
    const port = (text: string): string => text.replace(/\b8930\b/g, String(srv.port));
    await writeFile(join(work, 'main.go'), port(program));
    await writeFile(join(work, 'run.sh'), port(command));
    // The reader's environment, less what would reach the network or a user's own Go settings: the command
    // itself says GO111MODULE and GOPATH.
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GO') && !k.startsWith('ALUNITE_'))),
      HOME: work,
      GOENV: 'off',
      GOPROXY: 'off',
      GOFLAGS: '',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      GOCACHE: join(tmpdir(), 'alunite-go-build-cache'),
    };
    const r = await run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', 'run.sh'], { cwd: work, env, timeoutMs: 280_000 });
    assert.equal(r.code, 0, `the command failed:\n${r.stdout}${r.stderr}\n--- as run ---\n${port(command)}`);
    assert.equal(r.stdout, 'hi from Go\n');
  });
});
