// The resumable multipart `alunite oss cp`: a 50 MiB upload killed with SIGKILL part-way, then the same
// command again. The checkpoint under ~/.alunite/checkpoints/ must already hold the finished parts, the
// server's ListParts must show them, the rerun must skip them, and the object must equal the file.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { cliHome, json, ok, type CliHome } from './helpers/cli.js';
// The product's CRC-64 (checked against an independent implementation in crc64.test.ts): the test's
// BigInt one would take many seconds over 50 MiB.
import { Crc64 } from '../src/util/crc64.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

interface Sample {
  file: string;
  data: Buffer;
  crc64: string;
  md5: string;
}

interface Checkpoint {
  uploadId: string;
  partSize: number;
  fileSize: number;
  doneParts: { number: number; etag: string }[];
}

interface CpJson {
  transfers: { destination: string; size: number; crc64: string; etag: string; multipart: { uploadId: string; parts: number; partSize: number; skippedParts: number } }[];
}

const MiB = 1024 * 1024;
const PART = 200 * 1024;
const SMALL_PART = 100 * 1024;

let srv: SpawnedServer;
let dataDir: string;
let cli: CliHome;
let admin: OSS;
/** 50 MiB for the main scenario; 8 MiB (in 100 KiB parts) for the restart cases. */
let big: Sample;
let small: Sample;

async function sample(name: string, size: number): Promise<Sample> {
  const data = randomBytes(size);
  const file = join(cli.home, name);
  await writeFile(file, data);
  return { file, data, crc64: new Crc64().update(data).digestDecimal(), md5: createHash('md5').update(data).digest('hex') };
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'alunite-cli-resume-'));
  srv = await spawnServer(['--data', dataDir, '--no-fsync']);
  cli = await cliHome({ defaultConfigPath: true });
  ok(await cli.run(['configure', '--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET]));
  ok(await cli.run(['oss', 'mb', 'oss://resume']));
  admin = new OSS({ endpoint: srv.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'resume', timeout: 120_000 });
  big = await sample('big.bin', 50 * MiB);
  small = await sample('small.bin', 8 * MiB);
});

after(async () => {
  await kill9(srv.child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(cli.home, { recursive: true, force: true });
});

const checkpointDir = (): string => join(cli.home, '.alunite', 'checkpoints');

async function readCheckpoint(): Promise<Checkpoint | null> {
  const names = await readdir(checkpointDir()).catch(() => [] as string[]);
  const json = names.filter((n) => n.endsWith('.json'));
  if (json.length === 0) return null;
  assert.equal(json.length, 1, `one checkpoint, found ${json.join(', ')}`);
  try {
    return JSON.parse(await readFile(join(checkpointDir(), json[0]!), 'utf8')) as Checkpoint;
  } catch {
    return null; // the rename is atomic, but readdir may see it just before
  }
}

/** Starts `cp`, waits until the checkpoint records at least `parts` finished parts, then SIGKILLs it. */
async function killAfterParts(s: Sample, key: string, parts: number, partSize: number): Promise<Checkpoint> {
  const child = cli.start(['oss', 'cp', s.file, `oss://resume/${key}`, '--part-size', String(partSize), '--parallel', '2']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  for (;;) {
    const cp = await readCheckpoint();
    if (cp && cp.doneParts.length >= parts) break;
    assert.ok(!exited, `cp finished or failed before it could be interrupted: ${stderr}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await kill9(child);
  const cp = await readCheckpoint();
  assert.ok(cp, 'the checkpoint survives SIGKILL');
  return cp;
}

async function serverParts(key: string, uploadId: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let marker: number | undefined;
  for (;;) {
    const page = await admin.listParts(key, uploadId, { 'max-parts': 1000, ...(marker !== undefined ? { 'part-number-marker': marker } : {}) } as OSS.ListPartsQuery);
    for (const p of page.parts) out.set(Number(p.PartNumber), String(p.ETag).replace(/"/g, ''));
    if (!(page.isTruncated === true || (page.isTruncated as unknown) === 'true')) return out;
    marker = Number(page.nextPartNumberMarker);
  }
}

async function assertObjectEqualsFile(key: string, s: Sample): Promise<void> {
  const head = await admin.head(key);
  const headers = head.res.headers as Record<string, string>;
  assert.equal(Number(headers['content-length']), s.data.length);
  assert.equal(headers['x-oss-hash-crc64ecma'], s.crc64);
  const got = await admin.get(key);
  assert.equal(createHash('md5').update(got.content as Buffer).digest('hex'), s.md5);
}

describe('alunite oss cp: resumable multipart upload', () => {
  it('SIGKILL after some parts, rerun: the parts ListParts shows are skipped, the object equals the file', async () => {
    const totalParts = Math.ceil(big.data.length / PART);
    const cp = await killAfterParts(big, 'big.bin', 3, PART);
    assert.equal(cp.partSize, PART);
    assert.equal(cp.fileSize, big.data.length);
    assert.ok(cp.doneParts.length >= 3 && cp.doneParts.length < totalParts, `${cp.doneParts.length} parts done`);

    // The server holds every part the checkpoint names, with the same ETag.
    const listed = await serverParts('big.bin', cp.uploadId);
    for (const p of cp.doneParts) assert.equal(listed.get(p.number), p.etag.replace(/"/g, ''), `part ${p.number}`);
    // Nothing is visible as an object yet.
    await assert.rejects(admin.head('big.bin'));

    const rerun = await cli.run(['oss', 'cp', big.file, 'oss://resume/big.bin', '--part-size', String(PART), '--parallel', '2', '--json']);
    const out = json<CpJson>(rerun);
    const t = out.transfers[0]!;
    assert.equal(t.multipart.uploadId, cp.uploadId, 'the same upload continues');
    assert.equal(t.multipart.skippedParts, cp.doneParts.length);
    assert.equal(t.multipart.parts, totalParts);
    assert.equal(t.crc64, big.crc64);
    assert.match(rerun.stderr, new RegExp(`resuming upload ${cp.uploadId} of oss://resume/big\\.bin: skipping ${cp.doneParts.length} of ${totalParts} parts`));
    await assertObjectEqualsFile('big.bin', big);
    assert.equal(await readCheckpoint(), null, 'the checkpoint is removed after the upload completes');
    // The upload is completed, not left behind.
    const uploads = await admin.listUploads({});
    assert.deepEqual(uploads.uploads, []);
  });

  it('starts over cleanly when the upload is gone on the server, or the file changed', async () => {
    const first = await killAfterParts(small, 'gone.bin', 2, SMALL_PART);
    await admin.abortMultipartUpload('gone.bin', first.uploadId);
    const r1 = await cli.run(['oss', 'cp', small.file, 'oss://resume/gone.bin', '--part-size', String(SMALL_PART), '--json']);
    const t1 = json<CpJson>(r1).transfers[0]!;
    assert.match(r1.stderr, new RegExp(`the interrupted upload ${first.uploadId} no longer exists on the server; starting over`));
    assert.notEqual(t1.multipart.uploadId, first.uploadId);
    assert.equal(t1.multipart.skippedParts, 0);
    await assertObjectEqualsFile('gone.bin', small);

    const second = await killAfterParts(small, 'changed.bin', 2, SMALL_PART);
    const later = new Date(Date.now() + 60_000);
    await utimes(small.file, later, later);
    const r2 = await cli.run(['oss', 'cp', small.file, 'oss://resume/changed.bin', '--part-size', String(SMALL_PART), '--json']);
    const t2 = json<CpJson>(r2).transfers[0]!;
    assert.match(r2.stderr, /changed since the interrupted upload; starting over/);
    assert.notEqual(t2.multipart.uploadId, second.uploadId);
    assert.equal(t2.multipart.skippedParts, 0);
    await assertObjectEqualsFile('changed.bin', small);
    // The abandoned upload was aborted, not left to hold parts.
    const uploads = await admin.listUploads({});
    assert.deepEqual(uploads.uploads, []);
  });

  it('a corrupt checkpoint is ignored, and a checkpointed part the server lost is uploaded again', async () => {
    const cp = await killAfterParts(small, 'lost.bin', 3, SMALL_PART);
    const name = (await readdir(checkpointDir())).find((n) => n.endsWith('.json'))!;
    // Claim a part the server does not have (wrong ETag): it must be re-sent, not trusted.
    const doctored = { ...cp, doneParts: cp.doneParts.map((p, i) => (i === 0 ? { ...p, etag: '"00000000000000000000000000000000"' } : p)) };
    await writeFile(join(checkpointDir(), name), JSON.stringify(doctored));
    const r = await cli.run(['oss', 'cp', small.file, 'oss://resume/lost.bin', '--part-size', String(SMALL_PART), '--json']);
    assert.equal(json<CpJson>(r).transfers[0]!.multipart.skippedParts, cp.doneParts.length - 1);
    await assertObjectEqualsFile('lost.bin', small);

    await killAfterParts(small, 'torn.bin', 1, SMALL_PART);
    const torn = (await readdir(checkpointDir())).find((n) => n.endsWith('.json'))!;
    await writeFile(join(checkpointDir(), torn), '{"version":1,"uploadId":');
    const r2 = await cli.run(['oss', 'cp', small.file, 'oss://resume/torn.bin', '--part-size', String(SMALL_PART), '--json']);
    assert.equal(json<CpJson>(r2).transfers[0]!.multipart.skippedParts, 0);
    await assertObjectEqualsFile('torn.bin', small);
  });
});
