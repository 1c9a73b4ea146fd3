// Red-team wave 17 (an outsider, another account's tenant and a narrowly-scoped RAM user against a running server,
// on what is newest: Batch Operations, ObjectWorm, storage quota, user-defined log fields, async fetch, VOD
// playlists; and denial of service from the network): each finding reproduced against a real server the test
// starts, failing on the code before its fix. Runs on SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres.
//
// Found and fixed:
// - Bodies read whole after their request was authorized had no bound across requests, unlike those read before
//   (UNAUTHORIZED_BODY_BOUNDS) and RAM/STS bodies (RPC_BODY_BOUNDS): CompleteMultipartUpload reads up to 4 MiB of
//   part list (no upload needed: the body is read before the uploadId is looked up), and an anonymous caller may
//   complete uploads in a public-read-write bucket; every tenant may send it (or a 1 MiB PutBucketLifecycle, …) to its
//   own bucket. Measured on the old code (`bin/alunite server`, /tmp script): 300 anonymous connections each sending
//   4 MiB less 10 bytes and going silent took the server from 106 MB to 1,143 MB resident; the default connection cap
//   (half the open-file limit less 1,024: ~9,000 at 20,000) is ~36 GB, and a client trickling a byte now and then
//   kept its share past the 5-minute idle timeout. Now every body read whole (readSmallBody: configurations,
//   CompleteMultipartUpload, SelectObject, DoMetaQuery, RestoreObject, stored configurations) counts against
//   READ_WHOLE_BODY_BOUNDS (128 MiB for the process; beyond, 503 ServiceUnavailable) while it is read and must
//   arrive within 60 s (oss/handlers/common.ts; docs/limits.md).
// - Answers built whole (listings, configurations, VOD playlists: every OSS answer that is not a stream) waited in
//   memory, whole, until their clients read them, and XML escaping makes them larger than what they list: a key of
//   1,023 `&` is 5,115 bytes of `&amp;`, so an anonymous ListObjects of a public-read bucket holding 1,000 such keys
//   (any tenant can make one; anyone can in a public-read-write bucket) is a 5.4 MB answer. Measured on the old code
//   (`bin/alunite server`, /tmp script): 1,500 anonymous connections asking it and never reading took the server to
//   +5.0 GB resident within a minute, still growing (the kernel takes less per socket under pressure); the default
//   connection cap (~9,000) is some 30 GB, and ordinary public listings of long keys (~1.3 MB) add up the same way.
//   Wave 15 had measured 300 readers of a 1.29 MB answer (+33 MB) and left it to the kernel's buffers. Now an OSS
//   answer of 64 KiB or more is handed over in copied slices and counted process-wide until sent
//   (http/held-answers.ts, the mechanism of processed images), and one that would take the answers held past 256 MiB
//   is 503 ServiceUnavailable instead: the same 1,500 readers stay at +320 MB (docs/limits.md).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HELD_ANSWERS, heldAnswerBytes } from '../src/http/held-answers.js';
import { READ_WHOLE_BODY_BOUNDS } from '../src/oss/handlers/common.js';
import { mapLimit } from './helpers/oss.js';
import { eventually } from './helpers/eventually.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const UPLOAD_ID = '0123456789ABCDEF0123456789ABCDEF';

describe('redteam wave 17: bodies read whole after authorization are bounded across requests and in time', () => {
  let srv: TestServer;
  const saved = { limit: READ_WHOLE_BODY_BOUNDS.budget.limit, deadlineMs: READ_WHOLE_BODY_BOUNDS.deadlineMs };
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('w17-prw', { acl: 'public-read-write' } as never);
    await srv.client().putBucket('w17-own');
  });
  after(async () => {
    READ_WHOLE_BODY_BOUNDS.budget.limit = saved.limit;
    READ_WHOLE_BODY_BOUNDS.deadlineMs = saved.deadlineMs;
    await srv?.stop();
  });

  /** An anonymous CompleteMultipartUpload declaring `declared` bytes, `sent` of them sent, then silence. */
  const stalledComplete = (declared: number, sent: number): Socket => {
    const s = connect(srv.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(`POST /w17-prw/k?uploadId=${UPLOAD_ID} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/xml\r\nContent-Length: ${declared}\r\n\r\n`);
    s.write(Buffer.alloc(sent, 'a'));
    return s;
  };
  const anonymousComplete = (body: string) => rawRequest(srv.port, {
    method: 'POST', path: `/w17-prw/k2?uploadId=${UPLOAD_ID}`,
    headers: { host: `127.0.0.1:${srv.port}`, 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) }, body,
  });

  it('an anonymous caller stalling CompleteMultipartUpload bodies in a public-read-write bucket holds at most the budget: beyond, 503', async () => {
    READ_WHOLE_BODY_BOUNDS.budget.limit = 6 * 1024 * 1024;
    // Out of the way of a slow machine: the stalled body must stay held while the test looks.
    READ_WHOLE_BODY_BOUNDS.deadlineMs = 600_000;
    let held: Socket | null = null;
    try {
      held = stalledComplete(4 * 1024 * 1024, 4 * 1024 * 1024 - 10);
      await eventually(() => READ_WHOLE_BODY_BOUNDS.budget.inUse >= 4 * 1024 * 1024 - 10, 'the server holds the stalled body');
      // A second large one does not fit: refused, nothing more held (it was 404 NoSuchUpload after reading it all).
      const big = `<CompleteMultipartUpload>${'<Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part>'.repeat(50_000)}</CompleteMultipartUpload>`;
      const refused = await anonymousComplete(big);
      assert.equal(refused.status, 503, refused.body.toString().slice(0, 300));
      assert.equal(errorOf(refused)?.Code, 'ServiceUnavailable');
      // A small one still fits, and is answered for what it is.
      const small = await anonymousComplete('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>');
      assert.equal(errorOf(small)?.Code, 'NoSuchUpload', small.body.toString().slice(0, 300));
      held.destroy();
      await eventually(() => READ_WHOLE_BODY_BOUNDS.budget.inUse === 0, 'given back when the client left');
    } finally {
      held?.destroy();
      READ_WHOLE_BODY_BOUNDS.budget.limit = saved.limit;
      READ_WHOLE_BODY_BOUNDS.deadlineMs = saved.deadlineMs;
    }
  });

  it('a body that trickles past the deadline is cut, its share given back; a tenant\'s own configuration bodies count too', async () => {
    READ_WHOLE_BODY_BOUNDS.deadlineMs = 300;
    let held: Socket | null = null;
    try {
      held = stalledComplete(4096, 200);
      const closed = new Promise<void>((ok) => held!.once('close', () => ok()));
      // A byte every 100 ms keeps the idle timeout away: only the deadline ends it.
      const trickle = setInterval(() => held?.write('a'), 100);
      await closed;
      clearInterval(trickle);
      assert.equal(READ_WHOLE_BODY_BOUNDS.budget.inUse, 0);
      // The owner's signed PutBucketLifecycle body is read under the same bounds.
      READ_WHOLE_BODY_BOUNDS.deadlineMs = 600_000;
      const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), 'content-type': 'application/xml', 'content-length': String(512 * 1024) };
      headers.authorization = v1Authorization({ method: 'PUT', bucket: 'w17-own', key: null, query: [['lifecycle', '']], headers }, AK, SECRET).authorization;
      held = connect(srv.port, '127.0.0.1');
      held.on('error', () => undefined);
      held.write(`PUT /w17-own/?lifecycle HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
      held.write('<LifecycleConfiguration>' + ' '.repeat(300 * 1024));
      await eventually(() => READ_WHOLE_BODY_BOUNDS.budget.inUse >= 300 * 1024, 'the signed configuration body is counted');
      held.destroy();
      await eventually(() => READ_WHOLE_BODY_BOUNDS.budget.inUse === 0, 'given back');
    } finally {
      held?.destroy();
      READ_WHOLE_BODY_BOUNDS.deadlineMs = saved.deadlineMs;
    }
  });
});

describe('redteam wave 17: answers built whole wait for their clients within a bound (beyond, 503)', () => {
  let srv: TestServer;
  const saved = HELD_ANSWERS.maxBytes;
  /** 1,000 keys of 1,023 bytes, mostly `&`: each is written as `&amp;` in a listing. */
  const keys = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}${'&'.repeat(1019)}`);
  let full = 0;
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('w17-amp', { acl: 'public-read' } as never);
    const oss = srv.client({ bucket: 'w17-amp' });
    await mapLimit(keys, 16, (k) => oss.put(k, Buffer.from('x')));
  });
  after(async () => {
    HELD_ANSWERS.maxBytes = saved;
    await srv?.stop();
  });

  const list = () => rawRequest(srv.port, { method: 'GET', path: '/w17-amp/?max-keys=1000', headers: { host: `127.0.0.1:${srv.port}` } });

  it('an anonymous listing of 1,000 escaped keys is a 5 MB answer, sent whole and counted while it is sent', async () => {
    const r = await list();
    assert.equal(r.status, 200);
    full = r.body.length;
    assert.ok(full > 5_000_000, `${full} bytes`);
    assert.equal(Number(r.headers['content-length']), full);
    assert.equal(r.body.toString('utf8').split('<Key>').length - 1, 1000);
    await eventually(() => heldAnswerBytes() === 0, 'nothing held once sent');
  });

  it('readers that ask and never read hold at most the bound: the next large answer is 503, small ones are served', async () => {
    HELD_ANSWERS.maxBytes = 4 * full + 1024;
    const stalled: Socket[] = [];
    try {
      // Four clients that ask and never read. The kernel takes some of each answer (~4 MB per loopback socket at
      // Linux's default tcp_wmem): what it does not take keeps the answer held.
      for (let i = 0; i < 4; i++) {
        const s = connect(srv.port, '127.0.0.1');
        s.on('error', () => undefined);
        s.pause();
        s.write(`GET /w17-amp/?max-keys=1000 HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
        stalled.push(s);
        await eventually(() => heldAnswerBytes() >= (i + 1) * full, `answer ${i + 1} held for its stalled reader`);
      }
      const refused = await list();
      assert.equal(refused.status, 503, refused.body.toString().slice(0, 300));
      assert.equal(errorOf(refused)?.Code, 'ServiceUnavailable');
      // Answers under 64 KiB are not counted: a listing of ten keys is served.
      const small = await rawRequest(srv.port, { method: 'GET', path: '/w17-amp/?max-keys=10', headers: { host: `127.0.0.1:${srv.port}` } });
      assert.equal(small.status, 200);
      for (const s of stalled) s.destroy();
      await eventually(() => heldAnswerBytes() === 0, 'let go when their clients left');
      assert.equal((await list()).status, 200);
    } finally {
      for (const s of stalled) s.destroy();
      HELD_ANSWERS.maxBytes = saved;
    }
  });
});

