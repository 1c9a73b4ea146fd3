// WORM retention (Initiate/Abort/Complete/Extend/GetBucketWorm) and its enforcement, through ali-oss and raw
// signed HTTP. A retention "day" is one minute here and the server's clock is the test's: moving it past a
// retention never sleeps (the skew stays far below the 15 minutes signatures allow).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { startTestServer, type TestServer } from './helpers/server.js';
import { expectOssError, md5Base64, sendVerbatim, xmlText } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';

const DAY_MS = 60_000;

interface WormConfig {
  wormId: string;
  state: string;
  days: string;
  creationDate: string;
  expirationDate?: string;
  status: number;
}

/** ali-oss's WORM calls (missing from @types/ali-oss). */
interface WormClient {
  initiateBucketWorm(name: string, days: string | number): Promise<{ wormId: string; status: number }>;
  abortBucketWorm(name: string): Promise<{ status: number }>;
  completeBucketWorm(name: string, wormId: string): Promise<{ status: number }>;
  extendBucketWorm(name: string, wormId: string, days: string | number): Promise<{ status: number }>;
  getBucketWorm(name: string): Promise<WormConfig>;
}
const worm = (c: OSS): WormClient => c as unknown as WormClient;

/**
 * ali-oss's abortBucketWorm and completeBucketWorm declare no success statuses, so they return an error
 * answer instead of throwing it: check its status and code.
 */
async function answers(call: Promise<{ status: number; res?: { data?: Buffer } }>, status: number, code?: string): Promise<void> {
  const r = await call;
  assert.equal(r.status, status);
  if (code !== undefined) assert.equal(xmlText(String(r.res?.data ?? ''), 'Code'), code);
}

/** ali-oss's append (typed loosely by @types/ali-oss). */
const append = (c: OSS, key: string, body: Buffer, position: string): Promise<unknown> =>
  (c as unknown as { append(k: string, b: Buffer, o: { position: string }): Promise<unknown> }).append(key, body, { position });

describe('WORM retention', () => {
  let srv: TestServer;
  let admin: OSS;
  let offset = 0;
  const advance = (ms: number): void => {
    offset += ms;
  };
  /** A bucket-level signed request (ali-oss signs it; the answer is read raw). */
  const bucketRequest = (bucket: string, method: string, subres: Record<string, string>, body?: string) =>
    sendVerbatim(srv.client({ bucket }), srv.port, method, '', {
      subres,
      ...(body !== undefined ? { content: Buffer.from(body), headers: { 'Content-MD5': md5Base64(body), 'Content-Type': 'application/xml' } } : {}),
    });

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset, timing: { retentionDayMs: DAY_MS } });
    admin = srv.client();
  });
  after(async () => {
    await srv?.stop();
  });

  it('walks the policy through InProgress → Locked → extended, with the documented errors on the way', async () => {
    const b = 'worm-walk';
    await admin.putBucket(b);
    await expectOssError(worm(admin).getBucketWorm(b), 'NoSuchWORMConfiguration', 404);
    await answers(worm(admin).abortBucketWorm(b), 404, 'NoSuchWORMConfiguration');

    const init = await worm(admin).initiateBucketWorm(b, 1);
    assert.equal(init.status, 200);
    assert.match(init.wormId, /^[0-9A-F]{32}$/);
    const got = await worm(admin).getBucketWorm(b);
    assert.equal(got.wormId, init.wormId);
    assert.equal(got.state, 'InProgress');
    assert.equal(String(got.days), '1');
    assert.match(got.creationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    // While unlocked, ExpirationDate says when it lapses: one (retention) day after creation.
    assert.equal(Date.parse(`${got.expirationDate!}Z`) - Date.parse(`${got.creationDate}Z`), DAY_MS);

    // A second policy while one is in progress; extending an unlocked one; locking with another id.
    await expectOssError(worm(admin).initiateBucketWorm(b, 2), 'InvalidWORMConfiguration', 400);
    await expectOssError(worm(admin).extendBucketWorm(b, init.wormId, 2), 'InvalidWORMConfiguration', 400);
    await answers(worm(admin).completeBucketWorm(b, 'F'.repeat(32)), 404, 'NoSuchWORMConfiguration');

    assert.equal((await worm(admin).completeBucketWorm(b, init.wormId)).status, 200);
    const locked = await worm(admin).getBucketWorm(b);
    assert.equal(locked.state, 'Locked');
    assert.equal(locked.expirationDate, undefined);
    // Locking again changes nothing; a locked policy cannot be aborted, replaced or shortened.
    assert.equal((await worm(admin).completeBucketWorm(b, init.wormId)).status, 200);
    await answers(worm(admin).abortBucketWorm(b), 403, 'WORMConfigurationLocked');
    await expectOssError(worm(admin).initiateBucketWorm(b, 3), 'WORMConfigurationLocked', 403);
    assert.equal((await worm(admin).extendBucketWorm(b, init.wormId, 5)).status, 200);
    assert.equal(String((await worm(admin).getBucketWorm(b)).days), '5');
    await expectOssError(worm(admin).extendBucketWorm(b, init.wormId, 4), 'InvalidWORMConfiguration', 400);
    await expectOssError(worm(admin).extendBucketWorm(b, 'A'.repeat(32), 9), 'NoSuchWORMConfiguration', 404);
    assert.equal(String((await worm(admin).getBucketWorm(b)).days), '5');
    // An empty bucket can be deleted with its locked policy (OSS: "the owner can delete the empty bucket").
    await admin.deleteBucket(b);
    await expectOssError(worm(admin).getBucketWorm(b), 'NoSuchBucket', 404);
  });

  it('aborts an unlocked policy; a lapsed one (not locked within a day) is gone and protects nothing', async () => {
    const b = 'worm-abort';
    await admin.putBucket(b);
    const first = await worm(admin).initiateBucketWorm(b, 1);
    const aborted = await bucketRequest(b, 'DELETE', { worm: '' });
    assert.equal(aborted.status, 204);
    await expectOssError(worm(admin).getBucketWorm(b), 'NoSuchWORMConfiguration', 404);
    await answers(worm(admin).completeBucketWorm(b, first.wormId), 404, 'NoSuchWORMConfiguration');

    const second = await worm(admin).initiateBucketWorm(b, 30);
    await srv.client({ bucket: b }).put('kept.txt', Buffer.from('x'));
    await expectOssError(srv.client({ bucket: b }).delete('kept.txt'), 'FileImmutable', 409);
    advance(DAY_MS + 1000);
    await expectOssError(worm(admin).getBucketWorm(b), 'NoSuchWORMConfiguration', 404);
    await answers(worm(admin).completeBucketWorm(b, second.wormId), 404, 'NoSuchWORMConfiguration');
    await srv.client({ bucket: b }).delete('kept.txt');
    // A new policy replaces the lapsed one.
    const third = await worm(admin).initiateBucketWorm(b, 1);
    assert.notEqual(third.wormId, second.wormId);
  });

  it('keeps protected objects from every delete and overwrite path until their retention ends', async () => {
    const b = 'worm-locked';
    await admin.putBucket(b);
    const c = srv.client({ bucket: b });
    await c.put('old.txt', Buffer.from('written before the policy'));
    await append(c, 'log.txt', Buffer.from('line 1\n'), '0');
    const init = await worm(admin).initiateBucketWorm(b, 2);
    await worm(admin).completeBucketWorm(b, init.wormId);
    await c.put('doc.txt', Buffer.from('original'));
    await c.put('other.txt', Buffer.from('other'));

    // Objects written before the policy are protected too (retention counts from their last modification).
    for (const key of ['old.txt', 'doc.txt']) {
      const e = await expectOssError(c.delete(key), 'FileImmutable', 409);
      assert.equal(e.message, 'The object you specified is immutable.');
    }
    await expectOssError(c.put('doc.txt', Buffer.from('replaced')), 'FileImmutable', 409);
    await expectOssError(c.copy('doc.txt', 'other.txt'), 'FileImmutable', 409); // other.txt onto doc.txt
    await expectOssError(c.copy('doc.txt', 'doc.txt', { headers: { 'x-oss-storage-class': 'IA' } } as OSS.CopyObjectOptions), 'FileImmutable', 409);
    await expectOssError(c.putSymlink('doc.txt', 'other.txt'), 'FileImmutable', 409);
    await expectOssError(append(c, 'log.txt', Buffer.from('line 2\n'), '7'), 'FileImmutable', 409);
    const upload = await c.initMultipartUpload('doc.txt');
    const part = await c.uploadPart('doc.txt', upload.uploadId, 1, Buffer.from('mp'), 0, 2);
    await expectOssError(c.completeMultipartUpload('doc.txt', upload.uploadId, [{ number: 1, etag: part.etag }]), 'FileImmutable', 409);
    await c.abortMultipartUpload('doc.txt', upload.uploadId);
    // DeleteMultipleObjects with one protected key deletes nothing.
    await c.put('free.txt', Buffer.from('f'));
    await expectOssError(c.deleteMulti(['free.txt', 'doc.txt']), 'FileImmutable', 409);
    assert.equal((await c.head('free.txt')).status, 200);
    // The bucket cannot be deleted while it holds them.
    await expectOssError(admin.deleteBucket(b), 'BucketNotEmpty', 409);

    // Reading, new keys, ACLs and tags stay allowed; nothing above changed the bytes.
    assert.equal((await c.get('doc.txt')).content.toString(), 'original');
    await c.put('new.txt', Buffer.from('n'));
    await c.putACL('doc.txt', 'public-read');
    await (c as unknown as { putObjectTagging(k: string, t: Record<string, string>): Promise<unknown> }).putObjectTagging('doc.txt', { k: 'v' });
    assert.equal((await c.get('log.txt')).content.toString(), 'line 1\n');

    // Two retention days later every path works again.
    advance(2 * DAY_MS + 1000);
    await c.put('doc.txt', Buffer.from('replaced'));
    await c.copy('old.txt', 'doc.txt');
    await c.deleteMulti(['free.txt', 'other.txt', 'log.txt', 'new.txt']);
    // The overwrite restarted doc.txt's retention; old.txt's copy did too.
    await expectOssError(c.delete('doc.txt'), 'FileImmutable', 409);
    advance(2 * DAY_MS + 1000);
    await c.delete('doc.txt');
    await c.delete('old.txt');
    await admin.deleteBucket(b);
  });

  it('protects while the policy is still InProgress', async () => {
    const b = 'worm-inprogress';
    await admin.putBucket(b);
    const c = srv.client({ bucket: b });
    await worm(admin).initiateBucketWorm(b, 1);
    await c.put('a.txt', Buffer.from('a'));
    await expectOssError(c.delete('a.txt'), 'FileImmutable', 409);
    await expectOssError(c.put('a.txt', Buffer.from('b')), 'FileImmutable', 409);
    // Aborting the unlocked policy lifts the protection at once.
    await worm(admin).abortBucketWorm(b);
    await c.delete('a.txt');
  });

  it('answers malformed configurations with the documented errors over raw HTTP, changing nothing', async () => {
    const b = 'worm-raw';
    await admin.putBucket(b);
    const bad: Array<[string, string, string]> = [
      ['<InitiateWormConfiguration><RetentionPeriodInDays>0</RetentionPeriodInDays></InitiateWormConfiguration>', 'InvalidArgument', '0027-00000002'],
      ['<InitiateWormConfiguration><RetentionPeriodInDays>25551</RetentionPeriodInDays></InitiateWormConfiguration>', 'InvalidArgument', '0027-00000002'],
      ['<InitiateWormConfiguration><RetentionPeriodInDays>test</RetentionPeriodInDays></InitiateWormConfiguration>', 'InvalidArgument', '0027-00000005'],
      ['<InitiateWormConfiguration></InitiateWormConfiguration>', 'MalformedXML', '0027-00000004'],
      ['<WormConfiguration><RetentionPeriodInDays>1</RetentionPeriodInDays></WormConfiguration>', 'MalformedXML', '0016-00000608'],
      ['<InitiateWormConfiguration><RetentionPeriodInDays>1', 'MalformedXML', '0016-00000608'],
    ];
    for (const [body, code, ec] of bad) {
      const res = await bucketRequest(b, 'POST', { worm: '' }, body);
      assert.equal(res.status, 400, body);
      assert.equal(xmlText(res.body.toString(), 'Code'), code, body);
      assert.equal(xmlText(res.body.toString(), 'EC'), ec, body);
    }
    await expectOssError(worm(admin).getBucketWorm(b), 'NoSuchWORMConfiguration', 404);

    const ok = await bucketRequest(b, 'POST', { worm: '' }, '<InitiateWormConfiguration><RetentionPeriodInDays>25550</RetentionPeriodInDays></InitiateWormConfiguration>');
    assert.equal(ok.status, 200);
    const wormId = String(ok.headers['x-oss-worm-id']);
    const get = await bucketRequest(b, 'GET', { worm: '' });
    assert.equal(get.status, 200);
    const xml = get.body.toString();
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<WormConfiguration><WormId>[0-9A-F]{32}<\/WormId><State>InProgress<\/State><RetentionPeriodInDays>25550<\/RetentionPeriodInDays><CreationDate>[^<]+<\/CreationDate><ExpirationDate>[^<]+<\/ExpirationDate><\/WormConfiguration>$/);
    // CompleteBucketWorm is POST /?wormId=…; ExtendBucketWorm POST /?wormExtend&wormId=….
    assert.equal((await bucketRequest(b, 'POST', { wormId })).status, 200);
    const extendTooLong = await bucketRequest(b, 'POST', { wormExtend: '', wormId }, '<ExtendWormConfiguration><RetentionPeriodInDays>25551</RetentionPeriodInDays></ExtendWormConfiguration>');
    assert.equal(extendTooLong.status, 400);
    assert.equal(xmlText(extendTooLong.body.toString(), 'Code'), 'InvalidArgument');
    await admin.deleteBucket(b);
  });

  it('decides racing requests in the store: one initiate wins, extensions never shorten', async () => {
    const b = 'worm-race';
    await admin.putBucket(b);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => worm(admin).initiateBucketWorm(b, 1)));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    const wormId = (won[0] as PromiseFulfilledResult<{ wormId: string }>).value.wormId;
    assert.equal((await worm(admin).getBucketWorm(b)).wormId, wormId);
    await worm(admin).completeBucketWorm(b, wormId);
    await Promise.allSettled([3, 9, 5, 7, 4].map((d) => worm(admin).extendBucketWorm(b, wormId, d)));
    assert.equal(String((await worm(admin).getBucketWorm(b)).days), '9');
    await admin.deleteBucket(b);
  });

  it('authorizes each operation as its own RAM action', async () => {
    const b = 'worm-ram';
    await admin.putBucket(b);
    const ram = new Ram(srv);
    const reader = await ram.userWith('worm-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketWorm', 'oss:InitiateBucketWorm'], Resource: [`acs:oss:*:*:${b}`] }));
    const c = reader.oss(b);
    await expectOssError(worm(c).getBucketWorm(b), 'NoSuchWORMConfiguration', 404);
    const init = await worm(c).initiateBucketWorm(b, 1);
    await answers(worm(c).completeBucketWorm(b, init.wormId), 403, 'AccessDenied');
    await answers(worm(c).abortBucketWorm(b), 403, 'AccessDenied');
    await answers(worm(admin).abortBucketWorm(b), 204);
    await admin.deleteBucket(b);
  });
});
