// An object whose blob file is missing or cut short (a disk lost, an operator's mistake, a bug): a GET must not
// hang or leave the client guessing. Missing from the start: InternalError before any head, and a log line
// naming the request and the file. Cut short past the head: the connection is cut (the only honest signal
// once a length was promised), logged the same way; the server goes on serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, open, readdir, rm, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { eventually } from './helpers/eventually.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

/** Every blob file under the data directory. */
async function blobFiles(dir: string): Promise<string[]> {
  const root = join(dir, 'blobs');
  const out: string[] = [];
  for (const shard of await readdir(root)) for (const f of await readdir(join(root, shard))) out.push(join(root, shard, f));
  return out;
}

interface RawAnswer {
  status: number;
  body: Buffer;
  /** Whether the body arrived whole (false: the connection was cut). */
  complete: boolean;
}

/** A presigned GET with node:http: what the server sent, however it ended. */
function rawGet(url: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (): void => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete: res.complete });
      res.on('end', done);
      res.on('aborted', done);
      res.on('error', done);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a blob file missing or cut short', () => {
  let dir: string;
  let srv: SpawnedServer;
  let client: OSS;
  let pathClient: OSS;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-blob-missing-'));
    srv = await spawnServer(['--data', dir, '--min-free-space', '0', '--no-fsync']);
    const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'blob-missing', timeout: 120_000 };
    client = new OSS({ ...base, endpoint: srv.url } as OSS.Options);
    pathClient = new OSS({ ...base, endpoint: `http://localhost:${srv.port}`, sldEnable: true } as OSS.Options);
    await client.putBucket('blob-missing');
  });
  after(async () => {
    await kill9(srv.child);
    await rm(dir, { recursive: true, force: true });
  });

  /** Stores `size` random bytes (past the inline limit: a blob file) and answers the file it went to. */
  async function stored(key: string, size: number): Promise<string> {
    const beforePut = new Set(await blobFiles(dir));
    await client.put(key, randomBytes(size));
    const fresh = (await blobFiles(dir)).filter((f) => !beforePut.has(f));
    assert.equal(fresh.length, 1);
    return fresh[0]!;
  }

  it('missing: GET and a range GET answer InternalError (no head first), logged with the file; HEAD and DELETE still work', async () => {
    const file = await stored('gone', 1 << 20);
    await unlink(file);
    const answer = await rawGet(pathClient.signatureUrl('gone', { expires: 600 }));
    assert.equal(answer.status, 500);
    assert.ok(answer.complete);
    assert.match(answer.body.toString(), /<Code>InternalError<\/Code>/);
    const viaSdk = await client.get('gone', { headers: { Range: 'bytes=10-99' } }).then(() => null, (e: { status?: number; code?: string }) => e);
    assert.equal(viaSdk?.status, 500);
    assert.equal(viaSdk?.code, 'InternalError');
    // The log line reaches the pipe on its own time, not before the answer: waited for, not timed.
    await eventually(() => srv.stderr().includes('"op":"GetObject"') && srv.stderr().includes(file), 'the log names the request and the missing file');
    assert.equal((await client.head('gone')).res.status, 200);
    await client.delete('gone');
    assert.equal(await client.get('gone').then(() => 200, (e: { status: number }) => e.status), 404);
  });

  it('cut short: InternalError before any head (the file measured at open), logged; the next request is served', async () => {
    const file = await stored('short', 3 << 20);
    await truncate(file, 1 << 20);
    const answer = await rawGet(pathClient.signatureUrl('short', { expires: 600 }));
    // Before: a 200 head, the 1 MiB there was, then the connection cut short of the promised 3 MiB.
    assert.equal(answer.status, 500);
    assert.ok(answer.complete);
    assert.match(answer.body.toString(), /<Code>InternalError<\/Code>/);
    await eventually(() => srv.stderr().includes(`blob file ${file} ends at byte ${1 << 20}`), 'the short file is logged with its path');
    // A range within the bytes still there reads them: only what a read needs is measured.
    const head = await client.get('short', { headers: { Range: 'bytes=0-99' } });
    assert.equal(head.res.status, 206);
    await client.put('after', Buffer.from('still here'));
    assert.equal((await client.get('after')).content.toString(), 'still here');
  });

  it('a later segment missing or short (an appendable object): InternalError before any head', async () => {
    const before = new Set(await blobFiles(dir));
    const first = await client.append('segments', randomBytes(300_000));
    const firstFiles = (await blobFiles(dir)).filter((f) => !before.has(f));
    await client.append('segments', randomBytes(300_000), { position: first.nextAppendPosition });
    const second = (await blobFiles(dir)).filter((f) => !before.has(f) && !firstFiles.includes(f));
    assert.equal(firstFiles.length, 1);
    assert.equal(second.length, 1, 'one blob file per append');
    // The first segment's file is whole: only the stat of the second finds the fault before the head.
    await truncate(second[0]!, 150_000);
    const answer = await rawGet(pathClient.signatureUrl('segments', { expires: 600 }));
    assert.equal(answer.status, 500);
    assert.match(answer.body.toString(), /<Code>InternalError<\/Code>/);
  });

  it('encrypted at rest, its file unreadable (missing, or its bytes damaged): InternalError before any head', async () => {
    const sse = { headers: { 'x-oss-server-side-encryption': 'AES256' } };
    const beforeGone = new Set(await blobFiles(dir));
    await client.put('sealed-gone', randomBytes(1 << 20), sse);
    const gone = (await blobFiles(dir)).filter((f) => !beforeGone.has(f));
    assert.equal(gone.length, 1);
    await unlink(gone[0]!);
    // Before: a 200 head, then the connection cut (the sealed file was first opened by the read after the head).
    const missing = await rawGet(pathClient.signatureUrl('sealed-gone', { expires: 600 }));
    assert.equal(missing.status, 500);
    assert.match(missing.body.toString(), /<Code>InternalError<\/Code>/);

    const beforeBad = new Set(await blobFiles(dir));
    await client.put('sealed-bad', randomBytes(1 << 20), sse);
    const bad = (await blobFiles(dir)).filter((f) => !beforeBad.has(f));
    assert.equal(bad.length, 1);
    const fh = await open(bad[0]!, 'r+');
    await fh.write(Buffer.alloc(64, 0xa5), 0, 64, 100);
    await fh.close();
    const damaged = await rawGet(pathClient.signatureUrl('sealed-bad', { expires: 600 }));
    assert.equal(damaged.status, 500);
    assert.match(damaged.body.toString(), /<Code>InternalError<\/Code>/);
    await eventually(() => srv.stderr().includes('encrypted-object-corrupt') || srv.stderr().includes('"key":"sealed-bad"'), 'the damaged object is logged');
  });
});
