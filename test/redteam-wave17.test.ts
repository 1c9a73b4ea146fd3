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
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { READ_WHOLE_BODY_BOUNDS } from '../src/oss/handlers/common.js';
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
