// scripts/build.mjs with tsconfig.json's incremental build: tsc -p with a build-info file writes only what changed
// and never looks whether its earlier outputs are still in dist/. A pack's build removes dist/src/ (no stale module
// is shipped); the client's declarations (tsconfig.client.json, its own build-info file) were then not written again,
// so `npm pack` after `npm run build` shipped alunite/client without types, and the checkout kept none. A module
// removed from dist/ by hand was not written again by `npm run build` either. The real build script and tsconfig
// files run here over a small src/ tree of their own (a few modules: each build is about a CPU second).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDirSync } from './helpers/tmp.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('scripts/build.mjs: outputs missing from dist/ are written again', () => {
  let root = '';
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const build = (...args: string[]): void => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), ...args], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `build.mjs ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  const has = (rel: string): boolean => existsSync(join(root, 'dist', rel));

  before(() => {
    root = tempDirSync('build-incremental-');
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.client.json', 'tsconfig.package.json', 'scripts/build.mjs']) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(root, f));
    }
    // The real compiler; Node's type declarations and the default library stubbed (tsconfig.json asks for both, and
    // parsing the real ones is most of each tsc run's CPU here: ~1.8 CPU s a run with them, ~0.45 s without, where
    // the sources use none of it). tsc finds its library beside its own module's real path, so its two modules are
    // copied (a symlink would resolve to the checkout's typescript/lib) and the folder holds the stub alone.
    const ts = join(REPO, 'node_modules', 'typescript');
    for (const f of ['package.json', 'bin/tsc', 'lib/tsc.js', 'lib/_tsc.js']) {
      mkdirSync(dirname(join(root, 'node_modules', 'typescript', f)), { recursive: true });
      copyFileSync(join(ts, f), join(root, 'node_modules', 'typescript', f));
    }
    // The types tsc needs to exist, under each name a target's default library has (lib.d.ts, lib.es6.d.ts, lib.es2022.full.d.ts…).
    const stubLib = ['Array<T> { length: number; [n: number]: T; }', 'Boolean {}', 'CallableFunction {}', 'Function {}', 'IArguments {}', 'NewableFunction {}', 'Number {}', 'Object {}', 'RegExp {}', 'String {}']
      .map((decl) => `interface ${decl}\n`).join('');
    for (const name of readdirSync(join(ts, 'lib')).filter((n) => /^lib(\.es6|\.\w+\.full)?\.d\.ts$/.test(n))) {
      writeFileSync(join(root, 'node_modules', 'typescript', 'lib', name), stubLib);
    }
    mkdirSync(join(root, 'node_modules', '@types', 'node'), { recursive: true });
    writeFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), '{"name":"@types/node","version":"0.0.0","types":"index.d.ts"}\n');
    writeFileSync(join(root, 'node_modules', '@types', 'node', 'index.d.ts'), 'export {};\n');
    put('src/util/greet.ts', 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n');
    put('src/client/index.ts', "export { greet } from '../util/greet.js';\n");
    put('src/cli/main.ts', "import { greet } from '../util/greet.js';\nexport function main(): string {\n  return greet('cli');\n}\n");
    build();
    assert.ok(has('src/cli/main.js') && has('src/client/index.d.ts') && has('src/util/greet.d.ts'), 'the first build writes modules and declarations');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("a pack's build after a build writes alunite/client's declarations", () => {
    build('--package');
    assert.ok(has('src/client/index.js'));
    assert.ok(!has('src/client/index.js.map'), 'the package build writes no source maps');
    assert.ok(has('src/client/index.d.ts'), 'dist/src/client/index.d.ts (package.json exports types) was not written');
    assert.ok(has('src/util/greet.d.ts'));
  });

  it('the next build keeps them and writes the modules with maps again', () => {
    build();
    assert.ok(has('src/client/index.d.ts') && has('src/util/greet.d.ts'));
    assert.ok(has('src/cli/main.js.map'));
  });

  it('a module and a declaration removed from dist/src/ are written again (one build: each costs two tsc runs)', () => {
    rmSync(join(root, 'dist', 'src', 'util', 'greet.js'));
    rmSync(join(root, 'dist', 'src', 'client', 'index.d.ts'));
    build();
    assert.match(readFileSync(join(root, 'dist', 'src', 'util', 'greet.js'), 'utf8'), /function greet/);
    assert.ok(has('src/client/index.d.ts'));
  });

  it('a build of an unchanged tree with every output present stays incremental (rewrites no module)', () => {
    const old = new Date(Date.UTC(2026, 0, 1));
    for (const rel of ['src/util/greet.js', 'src/client/index.d.ts']) utimesSync(join(root, 'dist', rel), old, old);
    build();
    for (const rel of ['src/util/greet.js', 'src/client/index.d.ts']) {
      assert.equal(statSync(join(root, 'dist', rel)).mtimeMs, old.getTime(), `${rel} was written again: the build-info file was dropped`);
    }
  });
});
