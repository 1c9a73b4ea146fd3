// bin/alunite warns when a checkout's dist/ is older than its sources. tsc builds incrementally (tsconfig.json): an
// edit rewrites only that file's output and the build-info file (dist/.tsbuildinfo), so the build's time is the
// later of dist/src/cli/main.js and that file; main.js alone would warn after every correct incremental build. A
// copy of bin/alunite in a small tree of its own: no compiler runs here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDirSync } from './helpers/tmp.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WARNING = /warning: src\/ changed after dist\/ was built: run `npm run build`/;

describe('bin/alunite: a stale build after incremental builds', () => {
  let root = '';
  const at = (rel: string, seconds: number): void => {
    const t = new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
    utimesSync(join(root, rel), t, t);
  };
  const put = (rel: string, text: string, seconds: number): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
    at(rel, seconds);
  };
  const run = (): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'alunite'), '--version'], { encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(() => {
    root = tempDirSync('bin-stale-');
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'node_modules'));
    copyFileSync(join(REPO, 'bin', 'alunite'), join(root, 'bin', 'alunite'));
    put('src/cli/main.ts', 'export {};\n', 10);
    put('src/log.ts', 'export {};\n', 10);
    put('dist/src/cli/main.js', "export function main() { console.log('stub 1.0'); }\n", 20);
    put('dist/src/log.js', 'export {};\n', 20);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('is quiet when the build is newer than every source', () => {
    const r = run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'stub 1.0\n');
    assert.equal(r.stderr, '');
  });

  it('warns when a source is newer than the build, and the command still runs', () => {
    at('src/log.ts', 30);
    const r = run();
    assert.equal(r.stdout, 'stub 1.0\n');
    assert.match(r.stderr, WARNING);
  });

  it('is quiet once an incremental build has run: log.js and the build-info file rewritten, main.js not', () => {
    put('dist/src/log.js', 'export {};\n', 40);
    put('dist/.tsbuildinfo', '{}', 40);
    assert.equal(run().stderr, '', 'main.js (20) is older than log.ts (30): that alone was taken for a stale build');
  });

  it('warns again for the next edit', () => {
    put('src/new-module.ts', 'export {};\n', 50);
    assert.match(run().stderr, WARNING);
  });

  it('a dangling link named .ts (Emacs\'s lock file beside a file being edited) is no source: the command still runs', () => {
    const lock = join(root, 'src', 'cli', '.#main.ts');
    symlinkSync('user@host.4242:1767225600', lock);
    try {
      const r = run();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'stub 1.0\n');
      assert.match(r.stderr, WARNING); // src/new-module.ts (50) is still newer than the build (40)
    } finally {
      rmSync(lock);
    }
  });
});
