// Red-team wave 6: each finding reproduced against a real server the test starts, failing on the code before its fix.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest } from './helpers/signed.js';

const md5 = (body: string): string => createHash('md5').update(body).digest('base64');

describe('redteam wave 6: request-body XML is read within a bound of nodes', () => {
  let srv: TestServer;
  const BUCKET = 'rt6-xml';
  const MiB = 1024 * 1024;
  /** 63-deep nestings: every element a new object in the tree (the costliest shape for the reader). */
  const NEST = `${'<b>'.repeat(63)}${'</b>'.repeat(63)}`;

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv?.stop();
  });

  /** An anonymous DeleteMultipleObjects on the private bucket: its body is read before anything is authorized. */
  const anonymousDelete = (body: string) =>
    rawRequest(srv.port, {
      method: 'POST',
      path: `/${BUCKET}/?delete`,
      headers: { host: `127.0.0.1:${srv.port}`, 'content-type': 'application/xml', 'content-md5': md5(body), 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
  const timed = async (n: number, body: string): Promise<{ ms: number; last: Awaited<ReturnType<typeof anonymousDelete>> }> => {
    let last = await anonymousDelete(body);
    const start = performance.now();
    for (let i = 0; i < n; i++) last = await anonymousDelete(body);
    return { ms: performance.now() - start, last };
  };

  it('an anonymous 2 MiB DeleteMultipleObjects body of nested or empty elements is refused after 8,016 nodes, before the tree is built', async () => {
    // Baseline: a body as large, one object whose key is 2 MiB of text (read, then refused by authorization).
    const plain = `<Delete><Object><Key>${'a'.repeat(2 * MiB - 64)}</Key></Object></Delete>`;
    const baseline = await timed(3, plain);
    assert.equal(baseline.last.status, 403);
    const nested = `<Delete>${NEST.repeat(Math.floor((2 * MiB - 32) / NEST.length))}</Delete>`;
    const empty = `<Delete>${'<a/>'.repeat((2 * MiB - 32) / 4)}</Delete>`;
    for (const body of [nested, empty]) {
      const attack = await timed(3, body);
      assert.equal(attack.last.status, 400);
      const err = errorOf(attack.last);
      assert.equal(err?.Code, 'MalformedXML');
      assert.match(err?.ErrorDetail ?? '', /more than 8016 elements, attributes and other nodes/);
      // Before: the whole tree was built first (300,000-500,000 objects), ~0.6-1.2 s of event loop per anonymous
      // request, against ~30 ms for the baseline. Generous bound over the baseline.
      assert.ok(attack.ms < 4 * baseline.ms + 600, `3 requests took ${attack.ms.toFixed(0)} ms against a baseline of ${baseline.ms.toFixed(0)} ms`);
    }
  });

  it('keys made of character references are read as before, in about the time of plain text', async () => {
    const plain = `<Delete><Object><Key>${'a'.repeat(2 * MiB - 64)}</Key></Object></Delete>`;
    const baseline = await timed(3, plain);
    // 2 MiB of `&#65;` in one key: a regular expression and two cuts per reference, then a chain of 800,000 strings.
    const refs = `<Delete><Object><Key>${'&#65;'.repeat((2 * MiB - 64) / 5)}</Key></Object></Delete>`;
    const attack = await timed(3, refs);
    assert.equal(attack.last.status, 403);
    assert.ok(attack.ms < 4 * baseline.ms + 600, `3 requests took ${attack.ms.toFixed(0)} ms against a baseline of ${baseline.ms.toFixed(0)} ms`);
    // What the references say is what is read: the owner deletes `a&<b"'A` named by references.
    const owner = srv.client({ bucket: BUCKET });
    await owner.put('a&<b"\'A', Buffer.from('x'));
    const body = '<Delete><Quiet>true</Quiet><Object><Key>a&amp;&lt;b&#34;&#x27;&#65;</Key></Object></Delete>';
    const res = await signedRequest(srv.port, 'POST', BUCKET, null, [['delete', '']], { body, headers: { 'content-md5': md5(body), 'content-type': 'application/xml' } });
    assert.equal(res.status, 200, res.text);
    await assert.rejects(owner.head('a&<b"\'A'), { status: 404 });
    for (const bad of ['&#X41;', '&#;', '&#x;', '&#12345678;', '&#x110000;', '&ampx;', '&am;']) {
      const b = `<Delete><Object><Key>${bad}</Key></Object></Delete>`;
      const r = await signedRequest(srv.port, 'POST', BUCKET, null, [['delete', '']], { body: b, headers: { 'content-md5': md5(b), 'content-type': 'application/xml' } });
      assert.equal(r.err?.Code, 'MalformedXML', `${bad}: ${r.text}`);
    }
  });

  it('CompleteMultipartUpload reads 10,000 parts, and refuses 4 MiB of nestings after 50,016 nodes', async () => {
    const owner = srv.client({ bucket: BUCKET });
    const { uploadId } = await owner.initMultipartUpload('big');
    const complete = (body: string) =>
      signedRequest(srv.port, 'POST', BUCKET, 'big', [['uploadId', uploadId]], { body, headers: { 'content-type': 'application/xml' } });
    const parts = Array.from({ length: 10_000 }, (_, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>&#34;${'0'.repeat(32)}&#34;</ETag></Part>`).join('');
    // Read whole: the parts are then found missing (nothing was uploaded).
    const listed = await complete(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`);
    assert.equal(listed.err?.Code, 'InvalidPart', listed.text.slice(0, 400));
    const nested = `<CompleteMultipartUpload>${NEST.repeat(Math.floor((4 * MiB - 64) / NEST.length))}</CompleteMultipartUpload>`;
    const refused = await complete(nested);
    assert.equal(refused.err?.Code, 'MalformedXML');
    // Before: ~2.3 s of event loop building 600,000 nested objects, for anyone allowed to write an object.
    assert.match(refused.err?.ErrorDetail ?? '', /more than 50016 elements/);
  });
});
