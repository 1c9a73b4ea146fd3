// Red-team wave 6: each finding reproduced against a real server the test starts, failing on the code before its fix.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { validateLifecycle, type LifecycleConfig } from '../src/domain/lifecycle.js';
import { parseLifecycleXml } from '../src/oss/lifecycle.js';
import { countTurns } from './helpers/loop-turns.js';
import { errorOf, rawPost, rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest } from './helpers/signed.js';
import { cpuMs } from './helpers/cpu-time.js';

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
    const start = cpuMs();
    for (let i = 0; i < n; i++) last = await anonymousDelete(body);
    return { ms: cpuMs() - start, last };
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
      assert.ok(attack.ms < 4 * baseline.ms + 600, `3 requests took ${attack.ms.toFixed(0)} ms of CPU against a baseline of ${baseline.ms.toFixed(0)} ms`);
    }
  });

  it('keys made of character references are read as before, in about the time of plain text', async () => {
    const plain = `<Delete><Object><Key>${'a'.repeat(2 * MiB - 64)}</Key></Object></Delete>`;
    const baseline = await timed(3, plain);
    // 2 MiB of `&#65;` in one key: a regular expression and two cuts per reference, then a chain of 800,000 strings.
    const refs = `<Delete><Object><Key>${'&#65;'.repeat((2 * MiB - 64) / 5)}</Key></Object></Delete>`;
    const attack = await timed(3, refs);
    assert.equal(attack.last.status, 403);
    assert.ok(attack.ms < 4 * baseline.ms + 600, `3 requests took ${attack.ms.toFixed(0)} ms of CPU against a baseline of ${baseline.ms.toFixed(0)} ms`);
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

describe('redteam wave 6: lifecycle rules cost the event loop in slices', () => {
  let srv: TestServer;
  const BUCKET = 'rt6-lifecycle';
  /** 1,000 rules whose prefixes (up to 450 `a`s) and Not prefixes every key below matches to their last character. */
  const longRules = (): string => {
    let rules = '';
    for (let i = 0; i < 1000; i++) {
      const prefix = 'a'.repeat(i % 450);
      rules += `<Rule><ID>r${i}</ID><Prefix>${prefix}</Prefix><Status>Enabled</Status><Filter><Not><Prefix>${prefix}b</Prefix></Not></Filter><Expiration><Days>${1000 + i}</Days></Expiration></Rule>`;
    }
    return `<LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
  };

  before(async () => {
    srv = await startTestServer({ lifecycle: { intervalMs: 0 } });
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv?.stop();
  });

  it('a tick over a bucket whose objects each meet 1,000 long rules lets the event loop turn between slices of objects', async () => {
    const c = srv.client({ bucket: BUCKET });
    const base = 'a'.repeat(1000);
    for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => c.put(`${base}${i + j}`, Buffer.from('x'))));
    const body = longRules();
    const put = await signedRequest(srv.port, 'PUT', BUCKET, null, [['lifecycle', '']], { body, headers: { 'x-oss-allow-same-action-overlap': 'true', 'content-type': 'application/xml' } });
    assert.equal(put.status, 200, put.text.slice(0, 400));
    const turns = countTurns();
    const finished = await srv.lifecycle!.runOnce();
    const count = turns.stop();
    // Nothing is due (Days ≥ 1,000): the pass reads every object and changes none.
    assert.deepEqual(finished.finished.map((f) => [f.bucket, f.scanned, f.expired]), [[BUCKET, 300, 0]]);
    // Before: the whole tick ran without one turn of the loop (SQLite answers at once): 300 objects × 1,000 rules,
    // ~0.5-0.7 s, and 2,000 objects 10 s, during which no request was served. Now a page is a few objects.
    assert.ok(count >= 20, `the loop turned ${count} times during the tick`);
  });

  it('PutBucketLifecycle of 1,000 rules each nested in the one before (x-oss-allow-same-action-overlap) is checked in one pass', () => {
    let rules = '';
    for (let i = 0; i < 1000; i++) rules += `<Rule><ID>r${i}</ID><Prefix>${'a'.repeat(i)}</Prefix><Status>Enabled</Status><Expiration><Days>${i + 1}</Days></Expiration></Rule>`;
    const nested = parseLifecycleXml(`<LifecycleConfiguration>${rules}</LifecycleConfiguration>`);
    // The same rules with prefixes that do not nest: the stack of open rules stays one deep.
    const flat = { rules: nested.rules.map((r, i) => ({ ...r, prefix: `${i}/${r.prefix}` })) };
    const time = (config: LifecycleConfig): number => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const start = cpuMs();
        validateLifecycle(config, { allowSameActionOverlap: true });
        best = Math.min(best, cpuMs() - start);
      }
      return best;
    };
    const baseline = time(flat);
    const attack = time(nested);
    // Before: every rule was compared with every open one, 500,000 pairs (~0.05-0.25 s on a busy machine, the
    // baseline ~0.01-0.03 s); now one count. A guard: the clock of a busy machine does not separate the two reliably,
    // so the margin is wide (a machine at load 10 may stretch one run several-fold).
    assert.ok(attack < 10 * baseline + 300, `nested rules took ${attack.toFixed(0)} ms of CPU against ${baseline.toFixed(0)} ms`);
    // Overlapping AbortMultipartUpload actions are still refused, whatever the header says.
    const aborts = parseLifecycleXml('<LifecycleConfiguration><Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><AbortMultipartUpload><Days>1</Days></AbortMultipartUpload></Rule><Rule><ID>b</ID><Prefix>xy</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule><Rule><ID>c</ID><Prefix>xyz</Prefix><Status>Enabled</Status><AbortMultipartUpload><Days>2</Days></AbortMultipartUpload></Rule></LifecycleConfiguration>');
    assert.throws(() => validateLifecycle(aborts, { allowSameActionOverlap: true }), /Overlap for same action type AbortMultipartUpload/);
    // Without the header no two nested rules share a type.
    assert.throws(() => validateLifecycle({ rules: nested.rules.slice(0, 2) }, { allowSameActionOverlap: false }), /Overlap for same action type Expiration/);
    validateLifecycle({ rules: [aborts.rules[0]!, { ...aborts.rules[2]!, prefix: 'z' }] }, { allowSameActionOverlap: true });
  });
});

describe('redteam wave 6: a POP RPC call carries at most 1,000 parameters', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  /** A form POST signed with a wrong signature but a real AccessKeyId (every signed URL shows one). */
  const post = (body: string) =>
    rawPost(
      srv.port,
      `/?Version=2015-04-01&Format=JSON&AccessKeyId=LTAI5tTestAccessKeyId&Signature=x&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=${Math.random()}&Timestamp=${new Date().toISOString().replace(/\.\d+/, '')}`,
      'application/x-www-form-urlencoded',
      body,
    );
  const timed = async (n: number, body: string): Promise<{ ms: number; doc: { Code?: string; Message?: string } }> => {
    let res = await post(body);
    const start = cpuMs();
    for (let i = 0; i < n; i++) res = await post(body);
    return { ms: cpuMs() - start, doc: JSON.parse(res.body.toString('utf8')) as { Code?: string; Message?: string } };
  };

  it('a 1 MiB form of 150,000 distinct names is refused before they are sorted into a string to sign', async () => {
    const size = 1024 * 1024 - 256;
    const baseline = await timed(3, `Action=GetCallerIdentity&X=${'a'.repeat(size)}`);
    assert.equal(baseline.doc.Code, 'SignatureDoesNotMatch');
    let names = 'Action=GetCallerIdentity';
    for (let i = 0; names.length < size; i++) names += `&${i.toString(36)}=`;
    const attack = await timed(3, names);
    assert.equal(attack.doc.Code, 'InvalidParameter');
    assert.equal(attack.doc.Message, 'The request has more than 1000 parameters.');
    // Before: every name sorted, encoded and quoted in SignatureDoesNotMatch's string to sign, ~0.5 s of CPU per request.
    assert.ok(attack.ms < 4 * baseline.ms + 600, `3 requests took ${attack.ms.toFixed(0)} ms of CPU against a baseline of ${baseline.ms.toFixed(0)} ms`);
    // 1,000 parameters in all are read as before (then the signature decides); empty pieces are not parameters.
    const within = Array.from({ length: 990 }, (_, i) => `P${i}=v`).join('&');
    assert.equal((await timed(0, `Action=GetCallerIdentity&&&${within}`)).doc.Code, 'SignatureDoesNotMatch');
  });
});
