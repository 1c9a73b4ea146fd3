// Downloads that go wrong on the way (`oss cp`, `oss cat`, `oss sync`): a body that stops coming fails with
// ReadTimeout instead of holding the command forever; Ctrl-C leaves no partial file; the temporary name is short,
// so a 250-byte file name downloads. Against a stalling stand-in server and a real spawned one.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { cliHome, fails, ok, type CliHome } from './helpers/cli.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

let cli: CliHome;
let stall: Server;
let stallCreds: string[];
const open = new Set<ServerResponse>();

before(async () => {
  cli = await cliHome();
  // Answers every GET with headers for 1 MiB and 10 bytes of it, then nothing (the socket stays open).
  stall = createServer((req, res) => {
    req.resume();
    open.add(res);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20), 'x-oss-request-id': 'STALL', etag: '"0123456789ABCDEF0123456789ABCDEF"' });
    res.write('0123456789');
  });
  stall.listen(0, '127.0.0.1');
  await once(stall, 'listening');
  stallCreds = ['--endpoint', `http://127.0.0.1:${(stall.address() as AddressInfo).port}`, '--access-key-id', 'LTAIstall', '--access-key-secret', 'x'];
});

after(async () => {
  for (const res of open) res.destroy();
  stall.close();
  await rm(cli.home, { recursive: true, force: true });
});

const leftovers = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.includes('.tmp') || n.startsWith('.alunite-'));

describe('a download whose body stops coming', () => {
  it('cat and cp fail with ReadTimeout after --read-timeout seconds; cp leaves nothing behind', async () => {
    const c = await cli.run(['oss', 'cat', 'oss://stall-bucket/k', '--read-timeout', '1', ...stallCreds]);
    fails(c, 1, 'ReadTimeout');
    assert.match(c.stderr, /oss:\/\/stall-bucket\/k: nothing received for 1 s after 10 bytes/);
    assert.equal(c.stdout, '0123456789', 'what came was written');

    const dir = join(cli.home, 'stalled');
    await mkdir(dir);
    const r = await cli.run(['oss', 'cp', 'oss://stall-bucket/k', `${dir}/`, '--read-timeout', '1', '--no-progress', ...stallCreds]);
    fails(r, 1, 'ReadTimeout');
    assert.deepEqual(await readdir(dir), [], 'no partial file, no temporary file');
  });

  it('Ctrl-C (SIGINT) during a download removes its temporary file and exits 130', async () => {
    const dir = join(cli.home, 'interrupted');
    await mkdir(dir);
    const child = cli.start(['oss', 'cp', 'oss://stall-bucket/big.bin', `${dir}/`, '--no-progress', ...stallCreds]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = once(child, 'close');
    // Wait (however slow the machine) until the download is under way: its temporary file exists.
    for (const deadline = Date.now() + 120_000; (await leftovers(dir)).length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await leftovers(dir)).length, 1, `the download never started: ${stderr}`);
    assert.match((await leftovers(dir))[0]!, /^\.alunite-[0-9a-f]{16}\.tmp$/);
    child.kill('SIGINT');
    const [code] = (await closed) as [number | null];
    assert.equal(code, 130, stderr);
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('downloads to long file names', () => {
  let srv: SpawnedServer;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-dl-'));
    srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  });
  after(async () => {
    await kill9(srv.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a 250-byte file name downloads (the temporary name is short), alone and with cp -r', async () => {
    const admin = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET });
    await admin.putBucket('longnames');
    admin.useBucket('longnames');
    const name = `${'x'.repeat(246)}.bin`;
    await admin.put(`d/${name}`, Buffer.from('long name body'));
    const creds = ['--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET, '--no-progress'];
    const one = join(cli.home, 'long-one');
    await mkdir(one);
    ok(await cli.run(['oss', 'cp', `oss://longnames/d/${name}`, `${one}/`, ...creds]));
    assert.equal(await readFile(join(one, name), 'utf8'), 'long name body');
    const tree = join(cli.home, 'long-tree');
    ok(await cli.run(['oss', 'cp', '-r', 'oss://longnames/d', tree, ...creds]));
    assert.deepEqual(await readdir(tree), [name]);
  });
});
