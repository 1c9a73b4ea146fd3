// `alunite/client`: VendingCredentialProvider against a real vend service and a real Alunite server —
// caching to half-life, single flight, invalidate, errors, ali-oss options, and a multipartUpload that
// crosses a credential refresh (the first session expiring mid-upload on the injected clocks).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isCredentialError, VendingCredentialProvider, VendingError, type TemporaryCredentials } from '../src/client/index.js';
import { expectOssError, sha256 } from './helpers/oss.js';
import { appWorld, BUCKET, configDoc, startVendFor, usersFile, type AppWorld, type Vend } from './helpers/vend.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('alunite/client: VendingCredentialProvider', () => {
  let world: AppWorld;
  let vend: Vend;
  let tokenUrl: string;
  before(async () => {
    world = await appWorld();
    await usersFile(world.dir, { usr001: undefined, usr002: undefined, usr003: undefined });
    vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }));
    tokenUrl = `${vend.url}/sts/token`;
  });
  after(async () => {
    await vend.close();
    await world.stop();
  });

  it('is the package subpath alunite/client (exports map, bin kept), with type declarations', async () => {
    const spec = 'alunite/client';
    const mod = (await import(spec)) as typeof import('../src/client/index.js');
    assert.equal(mod.VendingCredentialProvider, VendingCredentialProvider);
    assert.equal(typeof mod.PopClient, 'function');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, { types: string; default: string }> };
    assert.equal(pkg.bin.alunite, 'bin/alunite');
    assert.deepEqual(pkg.exports['./client'], { types: './dist/src/client/index.d.ts', default: './dist/src/client/index.js' });
    // The declarations the `types` condition points at are what tsconfig.client.json emits.
    const out = await mkdtemp(join(tmpdir(), 'alunite-dts-'));
    try {
      const tsc = spawn(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.client.json'), '--outDir', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      tsc.stdout.on('data', (d: Buffer) => (log += d.toString()));
      const code = await new Promise((resolve) => tsc.on('exit', resolve));
      assert.equal(code, 0, log);
      const dts = await readFile(join(out, 'src/client/index.d.ts'), 'utf8');
      assert.match(dts, /VendingCredentialProvider/);
      assert.match(await readFile(join(out, 'src/client/credentials.d.ts'), 'utf8'), /aliOssOptions\(\): Promise<AliOssCredentialOptions>/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('caches to half of the lifetime, shares one fetch between concurrent callers, refetches after invalidate()', async () => {
    let fetches = 0;
    let bearers = 0;
    const token = await vend.login('usr001');
    const provider = new VendingCredentialProvider({
      url: tokenUrl,
      getBearer: () => {
        bearers++;
        return token;
      },
      clock: world.clock,
      fetch: (input, init) => {
        fetches++;
        return fetch(input, init);
      },
    });
    const all = await Promise.all(Array.from({ length: 5 }, () => provider.getCredentials()));
    assert.equal(fetches, 1);
    assert.equal(bearers, 1);
    assert.ok(all.every((c) => c === all[0]));
    const first = all[0]!;
    assert.ok(first.expiration instanceof Date);
    assert.match(first.accessKeyId, /^STS\./);
    try {
      world.offset = 440_000;
      assert.equal(await provider.getCredentials(), first);
      assert.equal(fetches, 1);
      world.offset = 460_000;
      const second = await provider.getCredentials();
      assert.equal(fetches, 2);
      assert.notEqual(second.accessKeyId, first.accessKeyId);
      provider.invalidate();
      const third = await provider.getCredentials();
      assert.equal(fetches, 3);
      // The service's own cache still hands out the same credentials; the provider asked again.
      assert.equal(third.accessKeyId, second.accessKeyId);
    } finally {
      world.offset = 0;
    }
  });

  it('grant and errors: ?grant= is sent; service errors become VendingError {status, code}; an unreachable service is status 0', async () => {
    const token = await vend.login('usr001');
    const ro = new VendingCredentialProvider({ url: tokenUrl, bearer: token, grant: 'read-only' });
    const c = await ro.getCredentials();
    const oss = world.srv.client({ bucket: BUCKET, accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, stsToken: c.securityToken });
    await expectOssError(oss.put('usr001/ro.txt', Buffer.from('x')), 'AccessDenied', 403);

    const cases: Array<[VendingCredentialProvider, number, string]> = [
      [new VendingCredentialProvider({ url: tokenUrl, bearer: 'garbage' }), 401, 'InvalidToken'],
      [new VendingCredentialProvider({ url: tokenUrl, bearer: token, grant: 'nope' }), 400, 'InvalidGrant'],
      [new VendingCredentialProvider({ url: 'http://127.0.0.1:9/sts/token', bearer: token }), 0, 'NetworkError'],
      [new VendingCredentialProvider({ url: `${vend.url}/demo/config.json`, bearer: token }), 200, 'InvalidResponse'],
    ];
    for (const [p, status, code] of cases) {
      await assert.rejects(p.getCredentials(), (err: unknown) => {
        assert.ok(err instanceof VendingError, String(err));
        assert.equal(err.status, status);
        assert.equal(err.code, code);
        return true;
      });
    }
    assert.throws(() => new VendingCredentialProvider({ url: tokenUrl }), /bearer or getBearer/);
  });

  describe('ali-oss multipartUpload through aliOssOptions() across a refresh', () => {
    const PART = 256 * 1024;
    // Both clocks start 10 min behind: a 900 s session then expires 5 min from real time; jumping by 950 s
    // (to 350 s ahead) expires it mid-upload while staying inside the 15 min request-time skew window.
    const BEHIND = -600_000;
    const JUMP_TO = 350_000;

    it('control: the same upload without refreshSTSToken fails with SecurityTokenExpired, a credential error', async () => {
      world.offset = BEHIND;
      try {
        const provider = new VendingCredentialProvider({ url: tokenUrl, bearer: await vend.login('usr002'), clock: world.clock });
        const { refreshSTSToken: _unused, refreshSTSTokenInterval: _i, ...fixed } = await provider.aliOssOptions();
        const oss = world.srv.client({ bucket: BUCKET, ...fixed });
        let jumped = false;
        const err = await expectOssError(
          oss.multipartUpload('usr002/control.bin', randomBytes(4 * PART), {
            partSize: PART,
            parallel: 1,
            progress: async () => {
              if (!jumped) {
                jumped = true;
                world.offset = JUMP_TO;
              }
            },
          }),
          'SecurityTokenExpired',
          403,
        );
        assert.ok(isCredentialError(err));
        // invalidate() + a new client gets going again.
        provider.invalidate();
        const again = world.srv.client({ bucket: BUCKET, ...(await provider.aliOssOptions()) });
        assert.equal((await again.put('usr002/after.txt', Buffer.from('ok'))).res.status, 200);
      } finally {
        world.offset = 0;
      }
    });

    it('with refreshSTSToken from the provider, the upload completes; the parts after the jump use new credentials', async () => {
      world.offset = BEHIND;
      try {
        // usr003 has no cached credentials at the service yet (the earlier tests moved time for usr001).
        const provider = new VendingCredentialProvider({ url: tokenUrl, bearer: await vend.login('usr003'), clock: world.clock, refreshIntervalMs: 0 });
        const opts = await provider.aliOssOptions();
        assert.deepEqual(Object.keys(opts).sort(), ['accessKeyId', 'accessKeySecret', 'refreshSTSToken', 'refreshSTSTokenInterval', 'stsToken']);
        const seen = new Set<string>([opts.accessKeyId]);
        const refresh = opts.refreshSTSToken;
        const oss = world.srv.client({
          bucket: BUCKET,
          ...opts,
          refreshSTSToken: async () => {
            const c = await refresh();
            seen.add(c.accessKeyId);
            return c;
          },
        });
        const data = randomBytes(4 * PART + 1234);
        const issued0 = vend.logs.length;
        let jumped = false;
        const result = await oss.multipartUpload('usr003/big.bin', data, {
          partSize: PART,
          parallel: 1,
          progress: async (p: number) => {
            if (!jumped && p > 0) {
              jumped = true;
              world.offset = JUMP_TO;
            }
          },
        });
        assert.equal(result.res.status, 200);
        assert.ok(jumped);
        assert.equal(seen.size, 2, 'one refresh to new credentials');
        assert.equal(vend.logs.length - issued0, 1, 'the service issued once more after the jump');
        const got = await world.srv.client({ bucket: BUCKET }).get('usr003/big.bin');
        assert.equal(sha256(got.content as Buffer), sha256(data));
        const latest: TemporaryCredentials = await provider.getCredentials();
        assert.ok(latest.expiration.getTime() > world.clock());
      } finally {
        world.offset = 0;
      }
    });
  });
});
