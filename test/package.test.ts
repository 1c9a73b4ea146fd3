// The published package works on its own: `npm pack` (its prepack builds dist/) in a copy of this checkout,
// `npm install <tarball>` into an empty project, then the installed `alunite server` is started from another
// directory and used with ali-oss, its console is fetched, and `alunite/client` is imported and type-checked.
// The pack runs in a copy so that the rebuild never touches this checkout's dist/ while other tests use it.
// better-sqlite3 gets this checkout's compiled binary as a local prebuild (prebuild-install's documented
// `npm_config_<package>_local_prebuilds`), instead of a download or a minutes-long compile; without a usable
// binary here the install falls back to better-sqlite3's own install script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import OSS from 'ali-oss';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AK = 'LTAI5tPackageTestKeyId';
const SECRET = 'PackageTestSecret0123456789ABC';

/** What a copy of the checkout leaves out: installed, built or generated things, never sources. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', '.alunite', 'test-output', 'bench-results']);

/** The addon's files as binding.gyp and the sources' `#include "…"` lines name them, relative to the checkout. */
function addonFiles(): string[] {
  const dir = join('native', 'crc64');
  const gyp = JSON.parse(readFileSync(join(ROOT, dir, 'binding.gyp'), 'utf8')) as { targets: Array<{ sources: string[] }> };
  const sources = gyp.targets.flatMap((t) => t.sources);
  const headers = sources.flatMap((f) => [...readFileSync(join(ROOT, dir, f), 'utf8').matchAll(/^#include "([^"]+)"/gm)].map((m) => m[1]!));
  return [...new Set(['binding.gyp', ...sources, ...headers])].map((f) => `${dir}/${f}`);
}

function isTopLevel(path: string): boolean {
  const rel = relative(ROOT, path);
  return rel !== '' && !rel.includes(sep);
}

interface Run {
  code: number | null;
  output: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}${err && code === null ? `\n${err.message}` : ''}` });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const r = await run(cmd, args, cwd, env, timeoutMs);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.output}`);
  return r.output;
}

/** npm's own settings (cache, registry) pass through; what the running `npm test` set for itself does not. */
function childEnv(home: string | undefined, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ALUNITE_')) continue;
    if (k.startsWith('npm_') && !k.startsWith('npm_config_')) continue;
    if (k === 'npm_config_global' || k === 'npm_config_prefix') continue;
    env[k] = v;
  }
  if (home !== undefined) env.HOME = home;
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

/**
 * A prebuilt-binary folder for better-sqlite3 made from this checkout's compiled module, named as
 * prebuild-install looks it up; null when there is none to offer (then the install builds or downloads).
 */
async function localPrebuilds(dir: string, env: NodeJS.ProcessEnv): Promise<{ env: Record<string, string>; version?: string }> {
  const pkgDir = join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  const glibc = process.platform !== 'linux' || (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  if (!existsSync(binary) || !glibc) return { env: {} };
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await mkdir(dir, { recursive: true });
  await ok('tar', ['-czf', join(dir, name), '-C', pkgDir, 'build/Release/better_sqlite3.node'], pkgDir, env, 60_000);
  return { env: { npm_config_better_sqlite3_local_prebuilds: dir }, version };
}

function startInstalled(bin: string, cwd: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(bin, ['server', '--port', '0', '--data', dataDir, '--log-level', 'warn'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the installed server did not start within 120 s:\n${out}`)), 120_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /alunite listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the installed server exited with ${code}:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

test('npm pack → npm install <tarball> → the installed alunite serves OSS, the console and alunite/client', { timeout: 30 * 60_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'alunite-package-'));
  const src = join(tmp, 'checkout');
  const out = join(tmp, 'packed');
  const app = join(tmp, 'app');
  const elsewhere = join(tmp, 'elsewhere');
  let server: ChildProcess | undefined;
  try {
    await cp(ROOT, src, { recursive: true, filter: (from) => !isTopLevel(from) || !(NOT_COPIED.has(basename(from)) || from.endsWith('.tgz')) });
    await symlink(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    // A version of its own, so that what reports the version is seen to read it from package.json.
    const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string };
    const version = `${manifest.version}-packagetest.1`;
    await writeFile(join(src, 'package.json'), JSON.stringify({ ...manifest, version }, null, 2) + '\n');
    await mkdir(out);
    await mkdir(app);
    await mkdir(elsewhere);
    const npmEnv = childEnv(undefined, {});

    let tarball = '';
    await t.test('bin/alunite in a checkout without dist/ says how to build it', async () => {
      const r = await run(process.execPath, [join(src, 'bin', 'alunite'), '--version'], elsewhere, npmEnv, 60_000);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /dist is not built: run `npm run build` \(or `npm install`\) in /);
    });

    await t.test('npm pack builds dist/ and ships no tests, sources, maps or stale modules', async () => {
      // A module whose source is gone (left over from an earlier build) must not be shipped.
      await mkdir(join(src, 'dist', 'src'), { recursive: true });
      await writeFile(join(src, 'dist', 'src', 'removed-module.js'), 'export {};\n');
      await ok('npm', ['pack', '--pack-destination', out], src, npmEnv, 900_000);
      const packed = (await readdir(out)).filter((f) => f.endsWith('.tgz'));
      assert.equal(packed.length, 1, `one tarball: ${packed.join(', ')}`);
      tarball = join(out, packed[0]!);
      const files = (await ok('tar', ['-tzf', tarball], out, npmEnv, 60_000)).split('\n').filter((f) => f !== '');
      for (const needed of [
        'package/package.json',
        'package/bin/alunite',
        'package/dist/src/cli/main.js',
        'package/dist/src/server.js',
        'package/dist/src/client/index.js',
        'package/dist/src/client/index.d.ts',
        'package/console/index.html',
        'package/src/vend/demo/index.html',
        'package/README.md',
        // The install script builds the optional CRC-64 addon from these (a missing script would fail the install):
        // every source binding.gyp names and every header they include (hmac-sha1.cc once went unshipped).
        'package/scripts/build-native.mjs',
        ...addonFiles().map((f) => `package/${f}`),
        // `--help` texts point to these.
        'package/docs/init.md',
        'package/docs/vend.md',
      ]) {
        assert.ok(files.includes(needed), `the tarball has ${needed}`);
      }
      const unwanted = files.filter(
        (f) => (/^package\/(test|bench|dist\/test|dist\/bench|scripts)\//.test(f) && f !== 'package/scripts/build-native.mjs') || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || f.endsWith('.map') || /tsconfig/.test(f),
      );
      assert.deepEqual(unwanted, [], 'no tests, TypeScript sources, source maps or build configuration in the tarball');
      assert.ok(!files.includes('package/dist/src/removed-module.js'), 'no stale module');

      // The checkout's bin/alunite now runs quietly; once a source is newer than the build, it says so.
      const fresh = await run(process.execPath, [join(src, 'bin', 'alunite'), '--version'], elsewhere, npmEnv, 60_000);
      assert.equal(fresh.code, 0, fresh.output);
      assert.equal(fresh.output.trim(), version);
      const later = new Date(Date.now() + 60_000);
      await utimes(join(src, 'src', 'log.ts'), later, later);
      const stale = await run(process.execPath, [join(src, 'bin', 'alunite'), '--version'], elsewhere, npmEnv, 60_000);
      assert.equal(stale.code, 0, stale.output);
      assert.match(stale.output, /warning: src\/ changed after dist\/ was built: run `npm run build`/);
    });

    await t.test('npm install <tarball> into an empty project', async () => {
      const prebuilt = await localPrebuilds(join(tmp, 'prebuilds'), npmEnv);
      await writeFile(
        join(app, 'package.json'),
        JSON.stringify(
          {
            name: 'alunite-package-test',
            version: '1.0.0',
            private: true,
            type: 'module',
            allowScripts: { 'better-sqlite3': true },
            // The version the prebuilt binary is for (within the package's range), even if a newer one is published.
            ...(prebuilt.version !== undefined ? { overrides: { 'better-sqlite3': prebuilt.version } } : {}),
          },
          null,
          2,
        ),
      );
      await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, childEnv(undefined, prebuilt.env), 1_800_000);
      assert.ok(existsSync(join(app, 'node_modules', '.bin', 'alunite')), 'node_modules/.bin/alunite');
      // Where this checkout's install built the addon, the package's install builds it too (a file missing from the
      // tarball made node-gyp fail, and the install went on without it, silently slower).
      if (existsSync(join(ROOT, 'native', 'crc64', 'build', 'Release', 'alunite_crc64.node'))) {
        assert.ok(existsSync(join(app, 'node_modules', 'alunite', 'native', 'crc64', 'build', 'Release', 'alunite_crc64.node')), 'the installed package built its addon');
      }
      const installed = await readdir(join(app, 'node_modules'));
      for (const dev of ['typescript', 'playwright-core', 'fast-xml-parser', '@types']) assert.ok(!installed.includes(dev), `no dev dependency ${dev} installed`);
    });

    await t.test('the installed server, started from another directory, stores and serves objects and the console', async () => {
      const started = await startInstalled(
        join(app, 'node_modules', '.bin', 'alunite'),
        elsewhere,
        join(tmp, 'data'),
        childEnv(join(tmp, 'home'), { ALUNITE_ROOT_ACCESS_KEY_ID: AK, ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET }),
      );
      server = started.child;
      const health = (await (await fetch(`${started.url}/-/health`)).json()) as { version: string };
      assert.equal(health.version, version, "/-/health reports the package's version");
      const oss = new OSS({ endpoint: started.url, region: 'oss-cn-hangzhou', bucket: 'pkg-bucket', accessKeyId: AK, accessKeySecret: SECRET, timeout: 120_000 });
      await oss.putBucket('pkg-bucket');
      await oss.put('hello.txt', Buffer.from('from the package'));
      assert.equal((await oss.get('hello.txt')).content.toString(), 'from the package');

      const page = await fetch(`${started.url}/-/console/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(await page.text(), readFileSync(join(ROOT, 'console', 'index.html'), 'utf8'), 'the console page is the packaged console/index.html');
      const script = await fetch(`${started.url}/-/console/js/app.js`);
      assert.equal(script.status, 200, 'console scripts are served');
      await script.arrayBuffer();
      const validator = await fetch(`${started.url}/-/console/lib/policy/parse.js`);
      assert.equal(validator.status, 200, "the console's policy validator (compiled server module) is served");
      await validator.arrayBuffer();
      await stop(started.child);
    });

    await t.test('alunite/client imports and type-checks from the installed package', async () => {
      const env = childEnv(join(tmp, 'home'), {});
      const imported = await ok(
        process.execPath,
        ['--input-type=module', '-e', "const m = await import('alunite/client'); console.log(typeof m.VendingCredentialProvider, typeof m.isCredentialError)"],
        app,
        env,
        120_000,
      );
      assert.match(imported, /function function/);
      await writeFile(
        join(app, 'check.ts'),
        "import { VendingCredentialProvider, isCredentialError } from 'alunite/client';\n" +
          "const p = new VendingCredentialProvider({ url: 'http://localhost:8940/sts/token', bearer: 't' });\n" +
          'const c: Promise<{ accessKeyId: string; securityToken: string; expiration: Date }> = p.getCredentials();\n' +
          'export const checks = [c, isCredentialError];\n',
      );
      await writeFile(
        join(app, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [], lib: ['ES2022', 'DOM'] }, files: ['check.ts'] }),
      );
      await ok(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app, env, 300_000);
    });
  } finally {
    if (server) await stop(server);
    await rm(tmp, { recursive: true, force: true });
  }
});
