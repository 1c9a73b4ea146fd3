#!/usr/bin/env node
// Compiles the TypeScript. Three uses (package.json scripts):
//   node scripts/build.mjs            `npm run build`: src, test and bench into dist/, with source maps, and the
//                                     declarations of `alunite/client`.
//   node scripts/build.mjs --prepare  `prepare` (npm install in a checkout): the same, except during `npm pack`,
//                                     whose `prepack` has just built what the package ships.
//   node scripts/build.mjs --package  `prepack`: dist/src/ removed first (no module of a deleted source is
//                                     shipped; dist/test/ stays for the checkout's tests), then src only, without
//                                     source maps (their sources are not in the package), and the declarations
//                                     of `alunite/client`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv[2] ?? '';
if (!['', '--prepare', '--package'].includes(mode)) {
  console.error(`usage: node scripts/build.mjs [--prepare | --package] (got ${mode})`);
  process.exit(2);
}
if (mode === '--prepare' && process.env.npm_command === 'pack') process.exit(0);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
function compile(project) {
  const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * tsc -p with a build-info file writes only what changed since that file was written and never looks whether its
 * earlier outputs are still there: a module removed from dist/ (by hand, or all of dist/src/ by a pack's build,
 * which took tsconfig.client.json's declarations with it) would stay missing at every later build. When an output
 * (`ext`: .js, or .d.ts for the client's declarations) of a source the info names is missing, the info is dropped
 * and the build is a full one.
 */
function forgetBuildIfOutputMissing(infoFile, ext) {
  const info = join(root, infoFile);
  if (!existsSync(info)) return;
  let names;
  try {
    names = JSON.parse(readFileSync(info, 'utf8')).fileNames;
  } catch {
    names = null;
  }
  const missing = !Array.isArray(names) || names.some((name) => {
    const source = resolve(dirname(info), name);
    const rel = relative(root, source);
    if (!/^(src|test|bench)[\\/]/.test(rel) || !rel.endsWith('.ts') || rel.endsWith('.d.ts') || !existsSync(source)) return false;
    return !existsSync(join(root, 'dist', rel.slice(0, -'.ts'.length) + ext));
  });
  if (missing) rmSync(info, { force: true });
}

if (mode === '--package') {
  rmSync(new URL('../dist/src', import.meta.url), { recursive: true, force: true });
  // tsconfig.json's incremental build would otherwise take the removed files as still emitted and not write them
  // again at the next `npm test` or `npm run build`.
  rmSync(new URL('../dist/.tsbuildinfo', import.meta.url), { force: true });
  compile('tsconfig.package.json');
} else {
  forgetBuildIfOutputMissing('dist/.tsbuildinfo', '.js');
  compile('tsconfig.json');
}
forgetBuildIfOutputMissing('dist/.tsbuildinfo-client', '.d.ts');
compile('tsconfig.client.json');

// tsconfig.json builds incrementally: a source whose text is unchanged is not written again, even when its file was
// touched (a `git stash` and `pop`, a checkout there and back). bin/alunite takes the build-info file's time as the
// build's; after a build that succeeded every output is current, so that time is now.
const info = join(root, 'dist', '.tsbuildinfo');
if (existsSync(info)) utimesSync(info, new Date(), new Date());
