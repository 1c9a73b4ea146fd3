// `alunite configure` and `alunite oss …` as a user runs them: child processes against a spawned server,
// HOME in a temp directory. Results are checked through the CLI and through an independent ali-oss client.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { cliHome, fails, json, ok, type CliHome } from './helpers/cli.js';
import { crc64 } from './helpers/oss.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

let srv: SpawnedServer;
let dataDir: string;
let cli: CliHome;
let admin: OSS;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-data-'));
  srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  cli = await cliHome();
  admin = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET });
  ok(await cli.run(['configure', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET]));
});

after(async () => {
  await kill9(srv.child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(cli.home, { recursive: true, force: true });
});

describe('alunite configure', () => {
  it('writes the profile with mode 0600 and lists it with the secret masked', async () => {
    const st = await stat(cli.config);
    assert.equal(st.mode & 0o777, 0o600);
    const text = await readFile(cli.config, 'utf8');
    assert.match(text, /^\[default\]$/m);
    assert.match(text, new RegExp(`^access_key_secret = ${SECRET}$`, 'm'));
    assert.match(text, /^region = cn-hangzhou$/m);
    const list = json<{ profile: string; accessKeyId: string; accessKeySecret: string; endpoint: string }[]>(await cli.run(['configure', 'list', '--json']));
    assert.deepEqual(list.map((p) => [p.profile, p.accessKeyId, p.endpoint]), [['default', AK, srv.url]]);
    assert.ok(!list[0]!.accessKeySecret.includes(SECRET.slice(0, 8)), 'secret is masked');
  });

  it('a second profile keeps the first; ~/.alunite/config is the default path', async () => {
    const home = await cliHome({ defaultConfigPath: true });
    try {
      ok(await home.run(['configure', '--profile', 'a', '--endpoint', srv.url, '--access-key-id', 'id-a', '--access-key-secret', 'secret-a']));
      ok(await home.run(['configure', '--profile', 'b', '--endpoint', '127.0.0.1:1', '--access-key-id', 'id-b', '--access-key-secret', 'secret-b', '--region', 'oss-cn-beijing']));
      const dirMode = (await stat(join(home.home, '.alunite'))).mode & 0o777;
      assert.equal(dirMode, 0o700);
      assert.equal((await stat(home.config)).mode & 0o777, 0o600);
      const text = await readFile(home.config, 'utf8');
      assert.match(text, /\[a\]\nendpoint = http:\/\/127\.0\.0\.1:\d+\nregion = cn-hangzhou\naccess_key_id = id-a\naccess_key_secret = secret-a\n/);
      assert.match(text, /\[b\]\nendpoint = http:\/\/127\.0\.0\.1:1\nregion = cn-beijing\naccess_key_id = id-b\n/);
      // Updating one value keeps the others.
      ok(await home.run(['configure', '--profile', 'a', '--region', 'cn-shanghai']));
      assert.match(await readFile(home.config, 'utf8'), /\[a\]\nendpoint = http:\/\/127\.0\.0\.1:\d+\nregion = cn-shanghai\naccess_key_id = id-a\naccess_key_secret = secret-a\n/);
      // No [default] profile and nothing else: a clear usage error, not the development keys.
      const r = await home.run(['oss', 'ls']);
      assert.match(fails(r, 2), /no \[default\] profile .*profiles: a, b.*--profile/);
    } finally {
      await rm(home.home, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2: missing values without a terminal, unknown profile, bad endpoint', async () => {
    assert.match(fails(await cli.run(['configure', '--profile', 'x']), 2), /not a terminal/);
    assert.match(fails(await cli.run(['configure', '--profile', 'x', '--endpoint', srv.url]), 2), /would have no access_key_id, access_key_secret/);
    assert.match(fails(await cli.run(['configure', '--profile', 'x', '--endpoint', 'ftp://h', '--access-key-id', 'a', '--access-key-secret', 'b']), 2), /only http and https/);
    assert.match(fails(await cli.run(['oss', 'ls', '--profile', 'nope']), 2), /profile "nope" not found in .* \(profiles: default\)/);
    assert.match(fails(await cli.run(['oss', 'ls'], { ALUNITE_PROFILE: 'nope' }), 2), /profile "nope" not found/);
    assert.match(fails(await cli.run(['oss', 'ls', '--access-key-id', 'only-id']), 2), /--access-key-id is given without --access-key-secret/);
  });
});

describe('alunite oss', () => {
  it('mb, ls (buckets and objects), cp up and down (bytes equal), cat, stat, rm, rb', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-basic']));
    const buckets = json<{ name: string; region: string; creationDate: string }[]>(await cli.run(['oss', 'ls', '--json']));
    assert.ok(buckets.some((b) => b.name === 'cli-basic' && b.region === 'oss-cn-hangzhou' && !Number.isNaN(Date.parse(b.creationDate))));
    assert.match(ok(await cli.run(['oss', 'ls'])), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+oss-cn-hangzhou\s+oss:\/\/cli-basic$/m);
    assert.match(ok(await cli.run(['oss', 'ls', 'oss://'])), /oss:\/\/cli-basic$/m);

    const local = join(cli.home, 'hello world.txt');
    const body = Buffer.from('hello, alunite\n'.repeat(1000));
    await writeFile(local, body);
    const up = json<{ transfers: { source: string; destination: string; size: number; crc64: string }[] }>(await cli.run(['oss', 'cp', local, 'oss://cli-basic/docs/', '--json']));
    assert.deepEqual(up.transfers.map((t) => [t.destination, t.size, t.crc64]), [['oss://cli-basic/docs/hello world.txt', body.length, crc64(body)]]);
    // The object as an independent client sees it.
    admin.useBucket('cli-basic');
    const got = await admin.get('docs/hello world.txt');
    assert.equal(md5(got.content as Buffer), md5(body));
    assert.equal((got.res.headers as Record<string, string>)['content-type'], 'text/plain');

    const listing = json<{ prefixes: string[]; objects: { key: string; size: number; etag: string; lastModified: string }[] }>(await cli.run(['oss', 'ls', 'oss://cli-basic', '--json']));
    assert.deepEqual(listing.prefixes, ['docs/']);
    assert.deepEqual(listing.objects, []);
    const deep = json<{ objects: { key: string; size: number; etag: string }[] }>(await cli.run(['oss', 'ls', 'oss://cli-basic/', '-r', '--json']));
    assert.deepEqual(deep.objects.map((x) => [x.key, x.size, x.etag]), [['docs/hello world.txt', body.length, md5(body).toUpperCase()]]);
    const table = ok(await cli.run(['oss', 'ls', 'oss://cli-basic/docs/']));
    assert.match(table, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+14\.6 KiB\s+oss:\/\/cli-basic\/docs\/hello world\.txt$/m);
    assert.match(table, /^1 object\(s\), 14\.6 KiB$/m);

    const cat = await cli.run(['oss', 'cat', 'oss://cli-basic/docs/hello world.txt']);
    assert.equal(ok(cat), body.toString());

    const statJson = json<{ size: number; etag: string; crc64: string; contentType: string; objectType: string }>(await cli.run(['oss', 'stat', 'oss://cli-basic/docs/hello world.txt', '--json']));
    assert.deepEqual([statJson.size, statJson.etag, statJson.crc64, statJson.contentType, statJson.objectType], [body.length, md5(body).toUpperCase(), crc64(body), 'text/plain', 'Normal']);
    assert.match(ok(await cli.run(['oss', 'stat', 'oss://cli-basic/docs/hello world.txt'])), /^CRC64\s+\d+$/m);
    const bucketInfo = json<{ name: string; acl: string }>(await cli.run(['oss', 'stat', 'oss://cli-basic', '--json']));
    assert.deepEqual([bucketInfo.name, bucketInfo.acl], ['cli-basic', 'private']);

    const downDir = join(cli.home, 'down');
    await mkdir(downDir);
    const down = json<{ transfers: { destination: string; size: number }[] }>(await cli.run(['oss', 'cp', 'oss://cli-basic/docs/hello world.txt', `${downDir}/`, '--json']));
    assert.equal(down.transfers[0]!.destination, join(downDir, 'hello world.txt'));
    assert.equal(md5(await readFile(join(downDir, 'hello world.txt'))), md5(body));
    ok(await cli.run(['oss', 'cp', 'oss://cli-basic/docs/hello world.txt', join(downDir, 'renamed.txt')]));
    assert.equal(md5(await readFile(join(downDir, 'renamed.txt'))), md5(body));

    // A bucket with an object cannot be removed; the code, the RequestId and exit 1.
    const notEmpty = fails(await cli.run(['oss', 'rb', 'oss://cli-basic']), 1, 'BucketNotEmpty');
    assert.match(notEmpty, /\(RequestId: [0-9A-F]{24}\)$/m);
    const del = json<{ deleted: string[] }>(await cli.run(['oss', 'rm', 'oss://cli-basic/docs/hello world.txt', '--json']));
    assert.deepEqual(del.deleted, ['docs/hello world.txt']);
    ok(await cli.run(['oss', 'rb', 'oss://cli-basic']));
    fails(await cli.run(['oss', 'ls', 'oss://cli-basic']), 1, 'NoSuchBucket');
  });

  it('cp -r uploads a folder, downloads it back byte-for-byte, copies it server-side; rm -r removes it', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-tree']));
    const src = join(cli.home, 'tree');
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('a'),
      'empty.bin': Buffer.alloc(0),
      'sub/b.bin': randomBytes(300 * 1024),
      'sub/deeper/c.json': Buffer.from('{"c":1}'),
      'sub/multi.bin': randomBytes(700 * 1024), // above --threshold: multipart
    };
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(join(src, rel, '..'), { recursive: true });
      await writeFile(join(src, rel), data);
    }
    const up = json<{ transfers: { destination: string; size: number; multipart?: { uploadId: string; parts: number; partSize: number; skippedParts: number } }[] }>(
      await cli.run(['oss', 'cp', '-r', src, 'oss://cli-tree/backup', '--threshold', '512K', '--part-size', '200K', '--json']),
    );
    assert.deepEqual(up.transfers.map((t) => t.destination).sort(), Object.keys(files).map((k) => `oss://cli-tree/backup/${k}`).sort());
    const multi = up.transfers.find((t) => t.destination.endsWith('multi.bin'))!.multipart!;
    assert.deepEqual([multi.parts, multi.partSize, multi.skippedParts], [4, 200 * 1024, 0]);
    assert.match(multi.uploadId, /^[0-9A-F]{32}$/);
    assert.equal(up.transfers.filter((t) => t.multipart).length, 1);

    const back = join(cli.home, 'tree-back');
    ok(await cli.run(['oss', 'cp', '-r', 'oss://cli-tree/backup', back]));
    for (const [rel, data] of Object.entries(files)) assert.equal(md5(await readFile(join(back, rel))), md5(data), rel);

    ok(await cli.run(['oss', 'cp', '-r', 'oss://cli-tree/backup/sub/', 'oss://cli-tree/copy/']));
    const copied = json<{ objects: { key: string; size: number }[] }>(await cli.run(['oss', 'ls', '-r', 'oss://cli-tree/copy/', '--json']));
    assert.deepEqual(copied.objects.map((x) => [x.key, x.size]), [['copy/b.bin', 300 * 1024], ['copy/deeper/c.json', 7], ['copy/multi.bin', 700 * 1024]]);
    admin.useBucket('cli-tree');
    assert.equal(md5((await admin.get('copy/multi.bin')).content as Buffer), md5(files['sub/multi.bin']!));

    // Without -r a folder is a usage error, on either side.
    fails(await cli.run(['oss', 'cp', src, 'oss://cli-tree/x/']), 2);
    fails(await cli.run(['oss', 'cp', 'oss://cli-tree/backup/', back]), 2);

    // rm -r on "backup" removes backup/… but not "backupX".
    await admin.put('backupX', Buffer.from('keep'));
    const removed = json<{ deleted: string[] }>(await cli.run(['oss', 'rm', '-r', 'oss://cli-tree/backup', '--json']));
    assert.equal(removed.deleted.length, Object.keys(files).length);
    const left = json<{ objects: { key: string }[] }>(await cli.run(['oss', 'ls', '-r', 'oss://cli-tree', '--json']));
    assert.deepEqual(left.objects.map((x) => x.key), ['backupX', 'copy/b.bin', 'copy/deeper/c.json', 'copy/multi.bin']);
    ok(await cli.run(['oss', 'rb', '--force', 'oss://cli-tree']));
    fails(await cli.run(['oss', 'stat', 'oss://cli-tree']), 1, 'NoSuchBucket');
  });

  it('downloading -r never writes outside the destination folder', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-escape']));
    admin.useBucket('cli-escape');
    await admin.put('p/ok.txt', Buffer.from('ok'));
    // ali-oss's HTTP layer would resolve "..", so the key is written with a raw PUT the server signs check for.
    const { sendVerbatim } = await import('./helpers/oss.js');
    const put = await sendVerbatim(admin, srv.port, 'PUT', 'p/../../escaped.txt', { content: Buffer.from('evil') });
    assert.equal(put.status, 200);
    const dest = join(cli.home, 'escape', 'inner');
    const r = await cli.run(['oss', 'cp', '-r', 'oss://cli-escape/p/', dest]);
    fails(r, 1, 'UnsafeKey');
    assert.equal(await readFile(join(dest, 'ok.txt'), 'utf8'), 'ok');
    await assert.rejects(stat(join(cli.home, 'escape', 'escaped.txt')));
    await assert.rejects(stat(join(cli.home, 'escaped.txt')));
    // With a transfer failing too (a name too long locally), both are said: the count on stderr, the unsafe
    // keys as the error; --json carries transfers, failures, skippedUnsafeKeys and the error.
    await admin.put(`p/${'n'.repeat(300)}`, Buffer.from('long'));
    const both = await cli.run(['oss', 'cp', '-r', 'oss://cli-escape/p/', join(cli.home, 'escape2')]);
    fails(both, 1, 'UnsafeKey');
    assert.match(both.stderr, /error: TransferFailed: 1 of 2 transfers failed/);
    const j = await cli.run(['oss', 'cp', '-r', 'oss://cli-escape/p/', join(cli.home, 'escape3'), '--json']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as { transfers: unknown[]; failures: { code: string }[]; skippedUnsafeKeys: string[]; error: { code: string } };
    assert.equal(doc.transfers.length, 1);
    assert.deepEqual(doc.failures.map((f) => f.code), ['ENAMETOOLONG']);
    assert.deepEqual(doc.skippedUnsafeKeys, ['p/../../escaped.txt']);
    assert.equal(doc.error.code, 'UnsafeKey');
  });

  it('downloading -r and sync never write through a symbolic link in the destination that leads outside it', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-link']));
    admin.useBucket('cli-link');
    await admin.put('fine.txt', Buffer.from('fine'));
    await admin.put('sub/link/pwned.txt', Buffer.from('evil'));
    const outside = join(cli.home, 'link-outside');
    await mkdir(outside, { recursive: true });
    for (const [cmd, dir] of [['cp', 'link-cp'], ['sync', 'link-sync']] as const) {
      const dest = join(cli.home, dir);
      await mkdir(join(dest, 'sub'), { recursive: true });
      await symlink(outside, join(dest, 'sub', 'link'));
      const r = await cli.run(cmd === 'cp' ? ['oss', 'cp', '-r', 'oss://cli-link/', dest] : ['oss', 'sync', 'oss://cli-link/', dest]);
      // That object is refused (UnsafeKey, listed on stderr); the others are still downloaded (TransferFailed: 1 of 2).
      fails(r, 1, 'TransferFailed');
      assert.match(r.stderr, /UnsafeKey: sub\/link\/pwned\.txt: .* leads outside .* through a symbolic link/);
      assert.equal(await readFile(join(dest, 'fine.txt'), 'utf8'), 'fine');
      await assert.rejects(stat(join(outside, 'pwned.txt')), `${cmd} wrote through the link`);
    }
    assert.deepEqual(await readdir(outside), []);
  });

  it('cat checks the CRC-64 the server reports and the length it announced: a corrupted answer exits 1', async () => {
    // A server whose answers are corrupted on the way: the bytes differ from the CRC header, or stop short.
    const bad = createHttpServer((req, res) => {
      req.resume();
      const short = req.url!.includes('short');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-oss-hash-crc64ecma': '12345', 'x-oss-request-id': 'BADREQ', ...(short ? { 'content-length': '100' } : {}) });
      if (short) res.write('only part');
      else res.end('hello');
      if (short) res.destroy();
    });
    bad.listen(0, '127.0.0.1');
    await once(bad, 'listening');
    try {
      const creds = ['--endpoint', `http://127.0.0.1:${(bad.address() as AddressInfo).port}`, '--access-key-id', 'LTAIx', '--access-key-secret', 'y'];
      const r = await cli.run(['oss', 'cat', 'oss://cat-bucket/k', ...creds]);
      assert.equal(r.stdout, 'hello');
      fails(r, 1, 'CrcMismatch');
      assert.equal((await cli.run(['oss', 'cat', 'oss://cat-bucket/short', ...creds])).code, 1);
    } finally {
      bad.close();
    }
    // A real server's object passes (and an empty one).
    ok(await cli.run(['oss', 'mb', 'oss://cli-cat']));
    admin.useBucket('cli-cat');
    await admin.put('a.txt', Buffer.from('right bytes'));
    await admin.put('empty', Buffer.alloc(0));
    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://cli-cat/a.txt'])), 'right bytes');
    assert.equal(ok(await cli.run(['oss', 'cat', 'oss://cli-cat/empty'])), '');
  });

  it('sign: V1 and V4 presigned GET URLs work with fetch(); a PUT URL uploads; expired or tampered URLs do not', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-sign']));
    admin.useBucket('cli-sign');
    await admin.put('dir/photo 1+.txt', Buffer.from('signed bytes'));
    for (const extra of [[], ['--v4']]) {
      const url = ok(await cli.run(['oss', 'sign', 'oss://cli-sign/dir/photo 1+.txt', ...extra])).trim();
      assert.ok(url.startsWith(`${srv.url}/cli-sign/dir/photo%201%2B.txt?`), url);
      const res = await fetch(url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(await res.text(), 'signed bytes');
      // Another key with the same signature is refused.
      const other = await fetch(url.replace('photo%201%2B.txt', 'other.txt'));
      assert.equal(other.status, 403);
    }
    const put = json<{ url: string; method: string; expires: string; signatureVersion: string }>(
      await cli.run(['oss', 'sign', 'oss://cli-sign/up.txt', '--method', 'PUT', '--content-type', 'text/plain', '--expires', '120', '--json']),
    );
    assert.equal(put.method, 'PUT');
    assert.ok(Math.abs(Date.parse(put.expires) - Date.now() - 120_000) < 10_000);
    const uploaded = await fetch(put.url, { method: 'PUT', body: 'via url', headers: { 'content-type': 'text/plain' } });
    assert.equal(uploaded.status, 200);
    assert.equal(((await admin.get('up.txt')).content as Buffer).toString(), 'via url');
    fails(await cli.run(['oss', 'sign', 'oss://cli-sign/x', '--v4', '--expires', '604801']), 2);
    fails(await cli.run(['oss', 'sign', 'oss://cli-sign/x', '--expires', 'soon']), 2);
    fails(await cli.run(['oss', 'sign', 'oss://cli-sign/x', '--method', 'PATCH']), 2);
  });

  it('service errors give the code and exit 1; usage errors exit 2; a bad endpoint is a clear network error', async () => {
    ok(await cli.run(['oss', 'mb', 'oss://cli-errors']));
    const [ls404, cat404] = await Promise.all([cli.run(['oss', 'ls', 'oss://no-such-bucket-here']), cli.run(['oss', 'cat', 'oss://no-such-bucket-here/k'])]);
    fails(ls404, 1, 'NoSuchBucket');
    fails(cat404, 1, 'NoSuchBucket');
    const missing = fails(await cli.run(['oss', 'cat', 'oss://cli-errors/missing.txt']), 1, 'NoSuchKey');
    assert.match(missing, /The specified key does not exist\./);
    fails(await cli.run(['oss', 'stat', 'oss://cli-errors/missing.txt']), 1, 'NoSuchKey');
    fails(await cli.run(['oss', 'cp', 'oss://cli-errors/missing.txt', join(cli.home, 'nothing.txt')]), 1, 'NoSuchKey');
    await assert.rejects(stat(join(cli.home, 'nothing.txt')), 'no file is left behind');
    // Wrong secret: the service's signature error.
    fails(await cli.run(['oss', 'ls', '--access-key-id', AK, '--access-key-secret', 'wrong-secret-wrong-secret-12']), 1, 'SignatureDoesNotMatch');

    // Usage errors: exit 2 with a message, nothing sent (independent, so run together).
    const usage = await Promise.all([
      cli.run(['oss', 'mb', 'oss://AB']),
      cli.run(['oss', 'ls', 'cli-errors']),
      cli.run(['oss', 'cp', 'a', 'b']),
      cli.run(['oss', 'ls', '--no-such-flag']),
      cli.run(['oss', 'cp', join(cli.home, 'x'), 'oss://cli-errors/', '--part-size', '1K']),
      cli.run(['oss', 'cp', join(cli.home, 'x'), 'oss://cli-errors/', '--parallel', '0']),
      cli.run(['oss', 'rm', 'oss://cli-errors']),
      cli.run(['oss']),
    ]);
    assert.match(fails(usage[0]!, 2), /invalid bucket name "AB"/);
    assert.match(fails(usage[1]!, 2), /not an oss:\/\/ URL/);
    assert.match(fails(usage[2]!, 2), /one of <source> and <destination> must be an oss:\/\/ URL/);
    assert.match(fails(usage[3]!, 2), /unknown option '--no-such-flag'/);
    assert.match(fails(usage[4]!, 2), /--part-size must be at least 100K/);
    assert.match(fails(usage[5]!, 2), /--parallel.*must be a positive integer/);
    assert.match(fails(usage[6]!, 2), /names a bucket: use "alunite oss rb"/);
    assert.equal(usage[7]!.code, 2);
    assert.match(usage[7]!.stderr, /^Usage: alunite oss/);
    // A local file that does not exist.
    assert.match(fails(await cli.run(['oss', 'cp', join(cli.home, 'absent.bin'), 'oss://cli-errors/']), 1), /absent\.bin: no such file or directory/);

    // A port nothing listens on (taken, then released).
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const dead = `http://127.0.0.1:${closed}`;
    const net = fails(await cli.run(['oss', 'ls', '--endpoint', dead]), 1, 'NetworkError');
    const notRunning = ': nothing listens there; start the server (alunite server, npm start in a checkout) or give its address with --endpoint';
    assert.equal(net, `error: NetworkError: cannot reach ${dead} (connect ECONNREFUSED 127.0.0.1:${closed})${notRunning}\n`);
    const popNet = fails(await cli.run(['ram', 'user', 'list', '--endpoint', dead]), 1, 'NetworkError');
    assert.match(popNet, new RegExp(`cannot reach ${dead}/ \\(.*ECONNREFUSED`));
    assert.ok(popNet.endsWith(`${notRunning}\n`), popNet);

    // https:// to the server's plain-HTTP port: OpenSSL's error string shortened, and what to do.
    const tls = srv.url.replace(/^http:/, 'https:');
    const noTls = ': no TLS there; use http://, or start the server with --cert and --key\n';
    assert.equal(fails(await cli.run(['oss', 'ls', '--endpoint', tls]), 1, 'NetworkError'), `error: NetworkError: cannot reach ${tls} (TLS: wrong version number)${noTls}`);
    assert.equal(fails(await cli.run(['ram', 'user', 'list', '--endpoint', tls]), 1, 'NetworkError'), `error: NetworkError: cannot reach ${tls}/ (fetch failed: TLS: wrong version number)${noTls}`);
  });

  it('every command has --help (exit 0)', async () => {
    const commands = [['oss'], ['oss', 'cp'], ['oss', 'sign'], ['ram', 'policy', 'attach'], ['ram', 'policy', 'version', 'create'], ['sts', 'assume-role'], ['configure']];
    const helps = await Promise.all(commands.map((args) => cli.run([...args, '--help'])));
    helps.forEach((r, i) => assert.match(ok(r), new RegExp(`^Usage: alunite ${commands[i]!.join(' ')} `), commands[i]!.join(' ')));
    assert.match(ok(await cli.run(['oss', 'cp', '--help'])), /--part-size <size>[\s\S]*--json[\s\S]*--profile <name>/);
  });
});
