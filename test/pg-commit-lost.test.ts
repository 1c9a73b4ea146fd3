// A PostgreSQL connection lost after a write's COMMIT was sent: the server committed it, the client never heard.
// The write is refused (its outcome is unknown to Alunite), but its committed record must still read whole: the
// blob it references is kept, not dropped as a failed write's would be.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { eventually } from './helpers/eventually.js';
import { tempDir } from './helpers/tmp.js';

/**
 * A TCP proxy in front of PostgreSQL. Armed with a marker (a prepared statement's name, which every execution of
 * it carries), it cuts the first connection whose client sends it: `commit` forwards that transaction's COMMIT to
 * the server and then cuts both sides before the server's answer can come back; `now` cuts at the marker itself,
 * in the middle of the statement.
 */
class ConnectionCutter {
  private armed: { marker: string; at: 'commit' | 'now' } | null = null;
  cuts = 0;
  private readonly sockets = new Set<Socket>();
  readonly server: Server;
  constructor(private readonly upstreamPort: number) {
    this.server = createServer((down) => this.relay(down));
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }
  arm(marker: string, at: 'commit' | 'now'): void {
    this.armed = { marker, at };
  }
  /** Cuts every connection and refuses new ones (the database restarting) until `up()`. */
  private refusing = false;
  outage(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }
  up(): void {
    this.refusing = false;
  }
  private relay(down: Socket): void {
    if (this.refusing) {
      down.destroy();
      return;
    }
    const up = connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(down).add(up);
    let marked = false;
    let ending = false;
    down.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      if (armed !== null && !marked && chunk.includes(armed.marker)) {
        if (armed.at === 'now') {
          this.armed = null;
          this.cuts++;
          up.destroy();
          down.destroy();
          return;
        }
        marked = true;
      }
      // COMMIT goes as a simple-protocol Query message: 'Q', its length, the SQL text and a NUL.
      if (marked && armed !== null && chunk.includes('COMMIT\0')) {
        this.armed = null;
        this.cuts++;
        // The COMMIT goes out and the server side is left to close once it has read it: destroying `up` now could
        // drop the bytes not yet handed to the kernel, and a reset can discard what PostgreSQL has not read yet.
        ending = true;
        up.end(chunk);
        down.destroy();
        return;
      }
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => down.write(chunk));
    const close = (): void => {
      down.destroy();
      if (!ending) up.destroy();
    };
    down.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('PostgreSQL connections cut under a real bin/alunite process', () => {
  let server: SpawnedServer;
  let cutter: ConnectionCutter;
  let dir: string;
  const client = (): OSS =>
    new OSS({ endpoint: server.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'lost-commit' } as OSS.Options);
  before(async () => {
    const pg = await testPostgres();
    const url = new URL(await pg.freshUrl());
    cutter = new ConnectionCutter(Number(url.port));
    url.port = String(await cutter.listen());
    dir = await tempDir('alunite-pg-cut-');
    server = await spawnServer(['--data', dir, '--meta', url.toString()], { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') });
    await client().putBucket('lost-commit');
  });
  after(async () => {
    if (server) await kill9(server.child);
    await cutter?.close();
  });

  it('a refused PutObject and UploadPart whose COMMIT landed keep their blobs: the committed records read back whole', async () => {
    const c = client();
    // Larger than the bytes a row holds: a blob file.
    const bytes = randomBytes(300 * 1024);
    cutter.arm('insert-object', 'commit');
    const put = await c.put('uncertain.bin', bytes).then(() => 'answered', (err: { status?: number }) => err.status);
    assert.equal(cutter.cuts, 1, 'the proxy cut the PutObject COMMIT');
    assert.equal(put, 500, 'not acknowledged: Alunite does not know whether it committed');
    // PostgreSQL commits it once it has read the COMMIT, which on a busy machine can be after Alunite's answer: the
    // record appears, and its bytes are there (before, the refused write dropped its fresh blob and the record
    // pointed at a deleted file: GET 500).
    await eventually(
      () => c.head('uncertain.bin').then(() => true, (err: { status?: number }) => (err.status === 404 ? false : Promise.reject(err))),
      'the committed PutObject record readable',
    );
    const got = await c.get('uncertain.bin');
    assert.ok(Buffer.from(got.content as Buffer).equals(bytes));

    const up = await c.initMultipartUpload('uncertain-mp.bin');
    cutter.arm('upsert-part', 'commit');
    const part = await c.uploadPart('uncertain-mp.bin', up.uploadId, 1, bytes, 0, bytes.length)
      .then(() => 'answered', (err: { status?: number }) => err.status);
    assert.equal(cutter.cuts, 2, 'the proxy cut the UploadPart COMMIT');
    assert.equal(part, 500);
    // ali-oss reads a single <Part> as an object, several as a list (none: no parts element).
    let listed: unknown;
    await eventually(async () => {
      listed = ((await c.listParts('uncertain-mp.bin', up.uploadId)) as unknown as { parts: unknown }).parts;
      return listed !== undefined && listed !== null && ([] as unknown[]).concat(listed).length > 0;
    }, 'the committed UploadPart listed');
    const parts = ([] as Array<{ PartNumber: string; ETag: string }>).concat(listed as { PartNumber: string; ETag: string });
    assert.deepEqual(parts.map((p) => p.PartNumber), ['1']);
    await c.completeMultipartUpload('uncertain-mp.bin', up.uploadId, [{ number: 1, etag: parts[0]!.ETag }]);
    assert.ok(Buffer.from((await c.get('uncertain-mp.bin')).content as Buffer).equals(bytes));
  });

  it('a connection cut in the middle of a statement is an InternalError for that request, not the end of the process', async () => {
    const c = client();
    await c.put('plain.txt', Buffer.from('still here'));
    // Inside a write's transaction (a checked-out connection: before, its error event had no listener and the
    // process died of it), and then a read outside any.
    for (const [marker, request] of [
      ['update-object', () => c.put('plain.txt', Buffer.from('never written'))],
      ['get-object', () => c.get('plain.txt')],
    ] as const) {
      const before = cutter.cuts;
      cutter.arm(marker, 'now');
      const status = await request().then(() => 'answered', (err: { status?: number; code?: string }) => `${err.status} ${err.code}`);
      assert.equal(cutter.cuts, before + 1, `the proxy cut at ${marker}`);
      assert.equal(status, '500 InternalError', marker);
      assert.equal(server.child.exitCode, null, `the server is still running after the cut at ${marker}`);
      assert.equal(String((await c.get('plain.txt')).content), 'still here');
    }
  });

  it('the database unreachable for a while: requests fail, the process and its workers stay, and serve again after', async () => {
    const c = client();
    await c.put('before-outage.txt', Buffer.from('kept'));
    cutter.outage();
    const during = await Promise.all([
      c.get('before-outage.txt'),
      c.put('during.txt', Buffer.from('x')),
      c.list({ 'max-keys': '10' }, {}),
    ].map((p) => p.then(() => 'answered', (err: { status?: number }) => err.status)));
    for (const status of during) assert.equal(status, 500, JSON.stringify(during));
    // Long enough for the periodic workers (identity generation poll, collectors) to meet the outage too.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(server.child.exitCode, null, 'the server is still running during the outage');
    cutter.up();
    await eventually(
      async () => c.get('before-outage.txt').then((r) => String(r.content) === 'kept', () => false),
      'a GET after the database is back',
    );
    await c.put('after.txt', Buffer.from('y'));
    assert.equal(String((await c.get('after.txt')).content), 'y');
  });
});
