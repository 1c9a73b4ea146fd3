// `alunite oss sync` both ways and `alunite oss bucket cors|policy|acl`, as child processes against a
// spawned server; results checked through an independent ali-oss client and the file system.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { digests } from '../src/cli/oss-sync.js';
import { cliHome, fails, json, ok, type CliHome } from './helpers/cli.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

let srv: SpawnedServer;
let dataDir: string;
let cli: CliHome;
let admin: OSS;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-sync-'));
  srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  cli = await cliHome();
  admin = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET });
  ok(await cli.run(['configure', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET]));
  ok(await cli.run(['oss', 'mb', 'oss://mirror']));
  ok(await cli.run(['oss', 'mb', 'oss://settings']));
});

after(async () => {
  await kill9(srv.child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(cli.home, { recursive: true, force: true });
});

interface Summary {
  dryRun: boolean;
  actions: { action: string; path: string; reason: string; size: number }[];
  unchanged: number;
  transferred: number;
  deleted: number;
  bytes: number;
}
const acts = (s: Summary): string[] => s.actions.map((a) => `${a.action} ${a.path} ${a.reason}`);
const keys = async (prefix: string): Promise<string[]> => {
  admin.useBucket('mirror');
  const r = await admin.listV2({ prefix, 'max-keys': '1000' });
  return (r.objects ?? []).map((o) => o.name).sort();
};
async function files(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p, base)));
    else out.push(p.slice(base.length + 1));
  }
  return out.sort();
}

describe('alunite oss sync', () => {
  const big = randomBytes(350 * 1024);
  // Small threshold and part size so the big file is a multipart object (ETag "<md5>-4").
  const mp = ['--threshold', '200K', '--part-size', '100K'];

  it('local → oss: dry run changes nothing, then only new or changed files move, --delete removes extras', async () => {
    const src = join(cli.home, 'site');
    await mkdir(join(src, 'css'), { recursive: true });
    await writeFile(join(src, 'index.html'), '<h1>v1</h1>');
    await writeFile(join(src, 'css', 'a.css'), 'body{}');
    await writeFile(join(src, 'big.bin'), big);

    const dry = json<Summary>(await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--dry-run', '--json', ...mp]));
    assert.equal(dry.dryRun, true);
    assert.deepEqual(acts(dry), ['upload big.bin new', 'upload css/a.css new', 'upload index.html new']);
    assert.deepEqual(await keys('web/'), []);

    const first = json<Summary>(await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--json', ...mp]));
    assert.equal(first.transferred, 3);
    assert.equal(first.bytes, big.length + 11 + 6);
    assert.deepEqual(await keys('web/'), ['web/big.bin', 'web/css/a.css', 'web/index.html']);
    admin.useBucket('mirror');
    const head = await admin.head('web/big.bin');
    assert.match(String((head.res.headers as Record<string, string>).etag), /-4"$/, 'the big file is a multipart object');

    // Nothing changed: nothing moves (the multipart object is compared by CRC-64, not re-uploaded).
    const again = json<Summary>(await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--json', ...mp]));
    assert.deepEqual([again.transferred, again.unchanged], [0, 3]);

    // Same size, different bytes (both a simple and the multipart object); a removed file; a new one.
    await writeFile(join(src, 'index.html'), '<h1>v2</h1>');
    const changed = Buffer.from(big);
    changed[1000] = changed[1000]! ^ 0xff;
    await writeFile(join(src, 'big.bin'), changed);
    await rm(join(src, 'css', 'a.css'));
    await writeFile(join(src, 'new.txt'), 'new');
    const plan = await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--delete', '--dry-run', ...mp]);
    assert.match(ok(plan), /^\(dry run\) upload: .*index\.html → oss:\/\/mirror\/web\/index\.html \(content differs/m);
    assert.match(plan.stdout, /^\(dry run\) delete: oss:\/\/mirror\/web\/css\/a\.css$/m);
    const sync = json<Summary>(await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--delete', '--json', ...mp]));
    assert.deepEqual(acts(sync), ['upload big.bin content', 'upload index.html content', 'upload new.txt new', 'delete css/a.css extra']);
    assert.deepEqual(await keys('web/'), ['web/big.bin', 'web/index.html', 'web/new.txt']);
    assert.equal((await admin.get('web/index.html')).content.toString(), '<h1>v2</h1>');
    assert.ok((await admin.get('web/big.bin')).content.equals(changed));
    // Without --delete, extras stay.
    await admin.put('web/extra.txt', Buffer.from('x'));
    const keep = json<Summary>(await cli.run(['oss', 'sync', src, 'oss://mirror/web', '--json', ...mp]));
    assert.deepEqual([keep.transferred, keep.deleted], [0, 0]);
    assert.ok((await keys('web/')).includes('web/extra.txt'));
  });

  it('oss → local: downloads what differs, --delete removes local extras, keys outside the directory are refused', async () => {
    const dst = join(cli.home, 'copy');
    const first = await cli.run(['oss', 'sync', 'oss://mirror/web', dst]);
    assert.match(ok(first), /^downloaded 4 /m);
    assert.deepEqual(await files(dst), ['big.bin', 'extra.txt', 'index.html', 'new.txt']);
    assert.equal(await readFile(join(dst, 'index.html'), 'utf8'), '<h1>v2</h1>');
    const again = json<Summary>(await cli.run(['oss', 'sync', 'oss://mirror/web', dst, '--json']));
    assert.deepEqual([again.transferred, again.unchanged], [0, 4]);

    // A local edit of the same size is put back; a local-only file goes with --delete.
    await writeFile(join(dst, 'index.html'), '<h1>XX</h1>');
    await writeFile(join(dst, 'local-only.txt'), 'mine');
    const back = json<Summary>(await cli.run(['oss', 'sync', 'oss://mirror/web', dst, '--delete', '--json']));
    assert.deepEqual(acts(back), ['download index.html content', 'delete local-only.txt extra']);
    assert.equal(await readFile(join(dst, 'index.html'), 'utf8'), '<h1>v2</h1>');
    assert.deepEqual(await files(dst), ['big.bin', 'extra.txt', 'index.html', 'new.txt']);

    admin.useBucket('mirror');
    const { sendVerbatim } = await import('./helpers/oss.js');
    assert.equal((await sendVerbatim(admin, srv.port, 'PUT', 'web/../escape.txt', { content: Buffer.from('no') })).status, 200);
    const unsafe = await cli.run(['oss', 'sync', 'oss://mirror/web', dst, '--json']);
    assert.equal(unsafe.code, 1, unsafe.stderr);
    const doc = JSON.parse(unsafe.stdout) as Summary & { error: { code: string }; skippedUnsafeKeys: string[] };
    assert.equal(doc.error.code, 'UnsafeKey');
    assert.deepEqual(doc.skippedUnsafeKeys, ['web/../escape.txt']);
    assert.equal((await sendVerbatim(admin, srv.port, 'DELETE', 'web/../escape.txt')).status, 204);
  });

  it('usage errors: two local paths, two URLs, a file as the directory (exit 2)', async () => {
    await writeFile(join(cli.home, 'plain.txt'), 'x');
    assert.match(fails(await cli.run(['oss', 'sync', './a', './b']), 2), /one local directory and one oss:\/\//);
    assert.match(fails(await cli.run(['oss', 'sync', 'oss://mirror/a', 'oss://mirror/b']), 2), /one local directory and one oss:\/\//);
    assert.match(fails(await cli.run(['oss', 'sync', join(cli.home, 'plain.txt'), 'oss://mirror/x']), 2), /is not a directory/);
    fails(await cli.run(['oss', 'sync', join(cli.home, 'absent'), 'oss://mirror/x']), 1);
  });

  it('the multipart ETag it recomputes (for endpoints without CRC-64) is the one the server gives', async () => {
    const file = join(cli.home, 'mp.bin');
    const bytes = randomBytes(250 * 1024 + 17);
    await writeFile(file, bytes);
    admin.useBucket('mirror');
    await admin.multipartUpload('mp.bin', file, { partSize: 100 * 1024 });
    const etag = String((((await admin.head('mp.bin')).res.headers) as Record<string, string>).etag).replace(/"/g, '');
    const d = await digests(file, [100 * 1024, 200 * 1024]);
    assert.equal(d.multipart.get(100 * 1024), etag);
    assert.notEqual(d.multipart.get(200 * 1024), etag);
  });
});

describe('alunite oss bucket cors|policy|acl', () => {
  it('CORS: put a JSON file (values with XML characters), get it back in the same shape, delete it', async () => {
    const file = join(cli.home, 'cors.json');
    const cors = {
      CORSRule: [
        { AllowedOrigin: ['https://app.example.com', 'https://x.example.com?a=1&b=<2>'], AllowedMethod: ['GET', 'PUT'], AllowedHeader: ['*'], ExposeHeader: ['ETag'], MaxAgeSeconds: 600 },
        { AllowedOrigin: ['*'], AllowedMethod: ['HEAD'] },
      ],
      ResponseVary: true,
    };
    await writeFile(file, JSON.stringify(cors));
    ok(await cli.run(['oss', 'bucket', 'cors', 'put', 'oss://settings', file]));
    assert.deepEqual(json(await cli.run(['oss', 'bucket', 'cors', 'get', 'oss://settings'])), cors);
    const seen = await admin.getBucketCORS('settings');
    assert.deepEqual(seen.rules[0]!.allowedOrigin, cors.CORSRule[0]!.AllowedOrigin);
    // The array of rules alone, and the XML body itself, are accepted too.
    await writeFile(file, JSON.stringify([{ AllowedOrigin: '*', AllowedMethod: 'GET' }]));
    ok(await cli.run(['oss', 'bucket', 'cors', 'put', 'oss://settings', file]));
    assert.deepEqual(json(await cli.run(['oss', 'bucket', 'cors', 'get', 'oss://settings'])), { CORSRule: [{ AllowedOrigin: ['*'], AllowedMethod: ['GET'] }], ResponseVary: false });
    ok(await cli.run(['oss', 'bucket', 'cors', 'put', 'oss://settings', '-'], {}, '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>POST</AllowedMethod></CORSRule></CORSConfiguration>'));
    assert.deepEqual(json<{ CORSRule: { AllowedMethod: string[] }[] }>(await cli.run(['oss', 'bucket', 'cors', 'get', 'oss://settings'])).CORSRule[0]!.AllowedMethod, ['POST']);
    // The service's own validation: an unsupported method.
    await writeFile(file, JSON.stringify([{ AllowedOrigin: '*', AllowedMethod: 'PATCH' }]));
    fails(await cli.run(['oss', 'bucket', 'cors', 'put', 'oss://settings', file]), 1, 'InvalidArgument');
    // A typo in the file is a usage error naming it.
    await writeFile(file, JSON.stringify([{ AllowedOrigins: '*', AllowedMethod: 'GET' }]));
    assert.match(fails(await cli.run(['oss', 'bucket', 'cors', 'put', 'oss://settings', file]), 2), /CORSRule\[0\]: unknown field "AllowedOrigins"/);
    assert.deepEqual(json(await cli.run(['oss', 'bucket', 'cors', 'delete', 'oss://settings', '--json'])).bucket, 'settings');
    fails(await cli.run(['oss', 'bucket', 'cors', 'get', 'oss://settings']), 1, 'NoSuchCORSConfiguration');
  });

  it('policy: put as written, get, delete; ACL: set and get', async () => {
    const file = join(cli.home, 'bucket-policy.json');
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:settings/public/*'] }] };
    await writeFile(file, JSON.stringify(policy));
    const put = await cli.run(['oss', 'bucket', 'policy', 'put', 'oss://settings', file]);
    ok(put);
    assert.doesNotMatch(put.stderr, /warning/, 'a policy naming its principals gets no warning');
    // Without Principal the same Allow reaches everyone: said on stderr before it takes effect (the server accepts it, as OSS does).
    const open = join(cli.home, 'open-policy.json');
    await writeFile(open, JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:settings/public/*'] }] }));
    const warned = await cli.run(['oss', 'bucket', 'policy', 'put', 'oss://settings', open]);
    ok(warned);
    assert.match(warned.stderr, /open-policy\.json:\d+:\d+: warning: .*anonymous requests included.*\[NoPrincipal\]/);
    ok(await cli.run(['oss', 'bucket', 'policy', 'put', 'oss://settings', file]));
    assert.deepEqual(json(await cli.run(['oss', 'bucket', 'policy', 'get', 'oss://settings', '--json'])), policy);
    // The policy works: anonymous reads under public/.
    admin.useBucket('settings');
    await admin.put('public/hello.txt', Buffer.from('hi'));
    assert.equal((await fetch(`${srv.url}/settings/public/hello.txt`)).status, 200);
    ok(await cli.run(['oss', 'bucket', 'policy', 'delete', 'oss://settings']));
    fails(await cli.run(['oss', 'bucket', 'policy', 'get', 'oss://settings']), 1, 'NoSuchBucketPolicy');
    await writeFile(file, '{ not json');
    assert.match(fails(await cli.run(['oss', 'bucket', 'policy', 'put', 'oss://settings', file]), 2), /is not JSON/);

    assert.equal(json<{ acl: string }>(await cli.run(['oss', 'bucket', 'acl', 'get', 'oss://settings', '--json'])).acl, 'private');
    ok(await cli.run(['oss', 'bucket', 'acl', 'set', 'oss://settings', 'public-read']));
    assert.equal((await admin.getBucketACL('settings')).acl, 'public-read');
    assert.match(ok(await cli.run(['oss', 'bucket', 'acl', 'get', 'oss://settings'])), /^ACL\s+public-read$/m);
    fails(await cli.run(['oss', 'bucket', 'acl', 'set', 'oss://settings/key', 'private']), 2);
    fails(await cli.run(['oss', 'bucket', 'acl', 'get', 'oss://no-such-bucket-x']), 1, 'NoSuchBucket');
  });
});

describe('one object that cannot be transferred does not stop the others (cp -r, sync)', () => {
  // A key segment of 300 bytes is a fine OSS key and too long for a local file name (ENAMETOOLONG, 255 bytes).
  const long = `${'n'.repeat(300)}.txt`;
  before(async () => {
    admin.useBucket('mirror');
    for (const k of ['a.txt', 'b/c.txt', `b/${long}`, 'd.txt']) await admin.put(`partial/${k}`, Buffer.from(`body of ${k.slice(0, 20)}`));
  });

  it('cp -r oss → local: the others are downloaded, the failure listed on stderr and counted in the error (exit 1)', async () => {
    const dest = join(cli.home, 'partial-cp');
    const r = await cli.run(['oss', 'cp', '-r', 'oss://mirror/partial', dest]);
    const err = fails(r, 1, 'TransferFailed');
    assert.match(err, /1 of 4 transfers failed .*the other 3 completed/);
    assert.match(r.stderr, new RegExp(`error: oss://mirror/partial/b/${long} → .*: ENAMETOOLONG`));
    assert.deepEqual(await files(dest), ['a.txt', 'b/c.txt', 'd.txt']);
    assert.equal(await readFile(join(dest, 'd.txt'), 'utf8'), 'body of d.txt');
    assert.equal((r.stdout.match(/^download: /gm) ?? []).length, 3);

    const j = await cli.run(['oss', 'cp', '-r', 'oss://mirror/partial', join(cli.home, 'partial-cp-json'), '--json']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as { transfers: unknown[]; failures: { source: string; code: string }[] };
    assert.equal(doc.transfers.length, 3);
    assert.deepEqual(doc.failures.map((f) => [f.source, f.code]), [[`oss://mirror/partial/b/${long}`, 'ENAMETOOLONG']]);
  });

  it('sync oss → local: the others are synced (a rerun has only the failed one left), the summary counts the failure', async () => {
    const dest = join(cli.home, 'partial-sync');
    const r = await cli.run(['oss', 'sync', 'oss://mirror/partial', dest]);
    fails(r, 1, 'TransferFailed');
    assert.match(r.stdout, /downloaded 3 \(.*\), 1 failed, deleted 0, 0 unchanged/);
    assert.deepEqual(await files(dest), ['a.txt', 'b/c.txt', 'd.txt']);
    const again = await cli.run(['oss', 'sync', 'oss://mirror/partial', dest, '--json']);
    assert.equal(again.code, 1);
    const doc = JSON.parse(again.stdout) as Summary & { failures: { source: string; code: string }[]; error: { code: string } };
    assert.equal(doc.unchanged, 3);
    assert.equal(doc.transferred, 0);
    assert.equal(doc.failures.length, 1);
    assert.equal(doc.error.code, 'TransferFailed');
  });

  it('a failure every transfer would meet (no such bucket) is still the one error, and the run stops', async () => {
    const src = join(cli.home, 'partial-up');
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(src, `f${i}.txt`), `file ${i}`);
    const r = await cli.run(['oss', 'cp', '-r', src, 'oss://no-such-bucket-partial/x/', '--jobs', '1']);
    fails(r, 1, 'NoSuchBucket');
    assert.doesNotMatch(r.stderr, /TransferFailed|→/, 'no per-file lines, no summary: the bucket error is the error');
  });
});

describe('keys that name the same local file (a//b beside a/b)', () => {
  before(async () => {
    admin.useBucket('mirror');
    // Listed in key order: 'clash/a//b' < 'clash/a/b' ('/' < 'b'), so the doubled slash comes first.
    await admin.put('clash/a/b', Buffer.from('the key a/b'));
    await admin.put('clash/a//b', Buffer.from('the key a//b'));
    await admin.put('clash/a/c', Buffer.from('the key a/c'));
    await admin.put('clash/d', Buffer.from('d'));
  });

  it('cp -r writes the key spelled as the file, skips the other (UnsafeKey, exit 1), and the others land', async () => {
    const dest = join(cli.home, 'clash-cp');
    const r = await cli.run(['oss', 'cp', '-r', 'oss://mirror/clash', dest]);
    const err = fails(r, 1, 'UnsafeKey');
    assert.match(err, /skipped 1 object\(s\) .*1 name the same file as another key.*: clash\/a\/\/b/);
    assert.deepEqual(await files(dest), ['a/b', 'a/c', 'd']);
    assert.equal(await readFile(join(dest, 'a', 'b'), 'utf8'), 'the key a/b');
  });

  it('sync --delete keeps the file it downloaded (before: downloaded a//b to a/b, then deleted a/b as extra)', async () => {
    const dest = join(cli.home, 'clash-sync');
    const first = await cli.run(['oss', 'sync', 'oss://mirror/clash', dest, '--delete', '--json']);
    assert.equal(first.code, 1);
    const doc = JSON.parse(first.stdout) as Summary & { skippedUnsafeKeys: string[]; error: { code: string } };
    assert.equal(doc.error.code, 'UnsafeKey');
    assert.deepEqual(doc.skippedUnsafeKeys, ['clash/a//b']);
    assert.equal(doc.transferred, 3);
    assert.deepEqual(await files(dest), ['a/b', 'a/c', 'd']);
    assert.equal(await readFile(join(dest, 'a', 'b'), 'utf8'), 'the key a/b');
    // A rerun finds every file in place: nothing moves, nothing is deleted.
    const again = JSON.parse((await cli.run(['oss', 'sync', 'oss://mirror/clash', dest, '--delete', '--json'])).stdout) as Summary;
    assert.equal(again.transferred, 0);
    assert.equal(again.deleted, 0);
    assert.equal(again.unchanged, 3);
    assert.deepEqual(await files(dest), ['a/b', 'a/c', 'd']);
  });
});
