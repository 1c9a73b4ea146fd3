// Archive storage classes, RestoreObject and CleanRestoredObject through ali-oss and raw signed HTTP. A
// restore takes 30 s and a restored "day" lasts 60 s here, on a server whose clock the test moves (no
// sleeps; the offset stays far below the 15 minutes signatures allow).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { startTestServer, type TestServer } from './helpers/server.js';
import { expectOssError, md5Base64, sendVerbatim, xmlText, type WireResponse } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';

const DELAY_MS = 30_000;
const DAY_MS = 60_000;
const BUCKET = 'archive-bucket';

type RestoreOptions = { type?: string; Days?: number; JobParameters?: string };
const restore = (c: OSS, key: string, options: RestoreOptions = {}): Promise<{ res: { status: number; headers: Record<string, string> } }> =>
  (c as unknown as { restore(k: string, o: RestoreOptions): Promise<{ res: { status: number; headers: Record<string, string> } }> }).restore(key, options);

describe('archive classes and RestoreObject', () => {
  let srv: TestServer;
  let c: OSS;
  let offset = 0;
  const advance = (ms: number): void => {
    offset += ms;
  };
  const headers = async (key: string): Promise<Record<string, string>> => (await c.head(key)).res.headers as Record<string, string>;
  const raw = (method: string, key: string, subres: Record<string, string>, body?: string, extra: Record<string, string> = {}): Promise<WireResponse> =>
    sendVerbatim(c, srv.port, method, key, {
      subres,
      headers: { ...extra, ...(body !== undefined ? { 'Content-MD5': md5Base64(body), 'Content-Type': 'application/xml' } : {}) },
      ...(body !== undefined ? { content: Buffer.from(body) } : {}),
    });
  const errorOf = (res: WireResponse): { code?: string; ec?: string; message?: string } => ({
    code: xmlText(res.body.toString(), 'Code'),
    ec: xmlText(res.body.toString(), 'EC'),
    message: xmlText(res.body.toString(), 'Message'),
  });
  const putArchived = (key: string, cls = 'Archive', body = `bytes of ${key}`) =>
    c.put(key, Buffer.from(body), { headers: { 'x-oss-storage-class': cls } } as OSS.PutObjectOptions);

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset, timing: { restoreDelayMs: DELAY_MS, restoreDayMs: DAY_MS } });
    await srv.client().putBucket(BUCKET);
    c = srv.client({ bucket: BUCKET });
  });
  // Each test starts at the real time again: objects of other tests are never looked at.
  beforeEach(() => {
    offset = 0;
  });
  after(async () => {
    await srv?.stop();
  });

  it('stores the class of PutObject and multipart uploads; HEAD works, GET is refused until restored', async () => {
    await putArchived('frozen.txt');
    const h = await headers('frozen.txt');
    assert.equal(h['x-oss-storage-class'], 'Archive');
    assert.equal(h['x-oss-restore'], undefined);
    const e = await expectOssError(c.get('frozen.txt'), 'InvalidObjectState', 403);
    assert.equal(e.message, "The operation is not valid for the object's state");

    const up = await c.initMultipartUpload('cold.bin', { headers: { 'x-oss-storage-class': 'ColdArchive' } } as OSS.InitMultipartUploadOptions);
    const part = await c.uploadPart('cold.bin', up.uploadId, 1, Buffer.from('cold'), 0, 4);
    await c.completeMultipartUpload('cold.bin', up.uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await headers('cold.bin'))['x-oss-storage-class'], 'ColdArchive');
    await expectOssError(c.get('cold.bin'), 'InvalidObjectState', 403);
    // Ranged GETs and GETs through a symlink are reads of the bytes too.
    await expectOssError(c.get('frozen.txt', { headers: { Range: 'bytes=0-1' } } as OSS.GetObjectOptions), 'InvalidObjectState', 403);
    await c.putSymlink('link-to-frozen', 'frozen.txt');
    await expectOssError(c.get('link-to-frozen'), 'InvalidObjectState', 403);
    // The listing shows the class.
    const listed = await c.list({ prefix: 'frozen', 'max-keys': 10 }, {});
    assert.equal(listed.objects[0]?.storageClass, 'Archive');
  });

  it('restores: 202, ongoing while it runs (409 for a second one), readable after the delay, frozen after its days', async () => {
    await putArchived('doc.txt', 'Archive', 'the archived bytes');
    const first = await restore(c, 'doc.txt', { Days: 2 });
    assert.equal(first.res.status, 202);
    assert.equal((await headers('doc.txt'))['x-oss-restore'], 'ongoing-request="true"');
    assert.equal((await expectOssError(restore(c, 'doc.txt'), 'RestoreAlreadyInProgress', 409)).ecCode, '0016-00000701');
    await expectOssError(c.get('doc.txt'), 'InvalidObjectState', 403);
    // Listings say so too (RestoreInfo, which ali-oss parses into restoreInfo); frozen objects have none.
    await putArchived('doc.txt.frozen');
    const listed = await c.list({ prefix: 'doc.txt', 'max-keys': 10 }, {});
    const info = (r: { objects: Array<{ name: string; restoreInfo?: { ongoingRequest: boolean; expiryDate?: Date } }> }, k: string) => r.objects.find((o) => o.name === k)?.restoreInfo;
    assert.deepEqual(info(listed as never, 'doc.txt'), { ongoingRequest: true });
    assert.equal(info(listed as never, 'doc.txt.frozen'), undefined);

    advance(DELAY_MS + 1000);
    const restoredAt = Date.now() + offset;
    const h = await headers('doc.txt');
    const m = /^ongoing-request="false", expiry-date="([^"]+)"$/.exec(h['x-oss-restore'] ?? '');
    assert.ok(m, h['x-oss-restore']);
    const expiry = Date.parse(m[1]!);
    // Ready DELAY after the request, then readable for 2 (short) days.
    assert.ok(Math.abs(expiry - (restoredAt - 1000 + 2 * DAY_MS)) < 5000, `${m[1]!} vs ${new Date(restoredAt).toUTCString()}`);
    const got = await c.get('doc.txt');
    assert.equal(got.content.toString(), 'the archived bytes');
    const listedV2 = await c.listV2({ prefix: 'doc.txt', 'max-keys': '10' }, {});
    const v2 = (listedV2 as unknown as { objects: Array<{ name: string; restoreInfo?: { ongoingRequest: boolean; expiryDate?: Date } }> }).objects.find((o) => o.name === 'doc.txt');
    assert.equal(v2?.restoreInfo?.ongoingRequest, false);
    assert.equal(v2?.restoreInfo?.expiryDate?.getTime(), expiry);
    assert.equal((got.res.headers as Record<string, string>)['x-oss-restore'], h['x-oss-restore']);
    // HEAD and the object itself are unchanged by the restore (class, Last-Modified).
    assert.equal(h['x-oss-storage-class'], 'Archive');

    // RestoreObject on a restored object: 200, and the copy's time runs from now (never shortened).
    advance(DAY_MS);
    const again = await raw('POST', 'doc.txt', { restore: '' }, '<RestoreRequest><Days>3</Days></RestoreRequest>');
    assert.equal(again.status, 200);
    const extended = Date.parse(/expiry-date="([^"]+)"/.exec((await headers('doc.txt'))['x-oss-restore']!)![1]!);
    assert.ok(extended > expiry + DAY_MS, 'extended');

    advance(4 * DAY_MS);
    assert.equal((await headers('doc.txt'))['x-oss-restore'], undefined);
    await expectOssError(c.get('doc.txt'), 'InvalidObjectState', 403);
    // A new restore starts over (202).
    assert.equal((await restore(c, 'doc.txt')).res.status, 202);
  });

  it('takes Days and the priority of the cold classes, with the documented errors', async () => {
    await putArchived('a.txt', 'Archive');
    await putArchived('c.txt', 'ColdArchive');
    await putArchived('d.txt', 'DeepColdArchive');
    const cases: Array<[string, string, string, string]> = [
      ['a.txt', '<RestoreRequest><Days>8</Days></RestoreRequest>', 'InvalidArgument', '0016-00000708'],
      ['a.txt', '<RestoreRequest><Days>a</Days></RestoreRequest>', 'InvalidArgument', '0016-00000708'],
      ['c.txt', '<RestoreRequest><Days>366</Days><JobParameters><Tier>Standard</Tier></JobParameters></RestoreRequest>', 'InvalidArgument', '0016-00000704'],
      ['c.txt', '<RestoreRequest><Days>0</Days></RestoreRequest>', 'InvalidArgument', '0016-00000704'],
      ['c.txt', '<RestoreRequest><Days>2</Days><JobParameters><Tier>Test</Tier></JobParameters></RestoreRequest>', 'InvalidArgument', '0016-00000703'],
      ['d.txt', '<RestoreRequest><Days>2</Days><JobParameters><Tier>Bulk</Tier></JobParameters></RestoreRequest>', 'InvalidArgument', '0016-00000703'],
      ['c.txt', '<Restore><Days>2</Days></Restore>', 'MalformedXML', '0016-00000608'],
    ];
    for (const [key, body, code, ec] of cases) {
      const res = await raw('POST', key, { restore: '' }, body);
      assert.equal(res.status, 400, body);
      assert.deepEqual([errorOf(res).code, errorOf(res).ec], [code, ec], body);
    }
    // Nothing was started by the refused requests.
    assert.equal((await headers('c.txt'))['x-oss-restore'], undefined);

    const cold = await restore(c, 'c.txt', { type: 'ColdArchive', Days: 365, JobParameters: 'Standard' });
    assert.equal(cold.res.status, 202);
    assert.equal(cold.res.headers['x-oss-object-restore-priority'], 'Standard');
    // While it runs, the same or a lower priority waits (409); a higher one is taken (202).
    await expectOssError(restore(c, 'c.txt', { type: 'ColdArchive', Days: 365, JobParameters: 'Standard' }), 'RestoreAlreadyInProgress', 409);
    await expectOssError(restore(c, 'c.txt', { type: 'ColdArchive', Days: 365, JobParameters: 'Bulk' }), 'RestoreAlreadyInProgress', 409);
    const faster = await restore(c, 'c.txt', { type: 'ColdArchive', Days: 365, JobParameters: 'Expedited' });
    assert.equal(faster.res.status, 202);
    assert.equal(faster.res.headers['x-oss-object-restore-priority'], 'Expedited');
    await expectOssError(restore(c, 'c.txt', { type: 'ColdArchive', Days: 365, JobParameters: 'Expedited' }), 'RestoreAlreadyInProgress', 409);
    // Without a body: one day, Standard priority.
    const deep = await raw('POST', 'd.txt', { restore: '' });
    assert.equal(deep.status, 202);
    assert.equal(deep.headers['x-oss-object-restore-priority'], 'Standard');
    // Archive objects have no priorities: JobParameters is refused (ali-oss's own suite expects MalformedXML).
    await expectOssError(restore(c, 'a.txt', { type: 'ColdArchive' }), 'MalformedXML', 400);
    const arch = await raw('POST', 'a.txt', { restore: '' }, '<RestoreRequest><Days>7</Days></RestoreRequest>');
    assert.equal(arch.status, 202);
    assert.equal(arch.headers['x-oss-object-restore-priority'], undefined);
    // Validation comes first: the same refusal while the restore runs.
    await expectOssError(restore(c, 'a.txt', { type: 'ColdArchive' }), 'MalformedXML', 400);
    await expectOssError(restore(c, 'a.txt'), 'RestoreAlreadyInProgress', 409);
    // ali-oss's defaults for the cold classes (Days 2, Standard), and Bulk for ColdArchive.
    await putArchived('c2.txt', 'ColdArchive');
    assert.equal((await restore(c, 'c2.txt', { type: 'ColdArchive', Days: 5, JobParameters: 'Bulk' })).res.headers['x-oss-object-restore-priority'], 'Bulk');
  });

  it('the cold classes take as much longer as OSS says, by priority, on the Archive restore\'s scale', async () => {
    // A server of its own with a short Archive restore: 2,880 of them must stay within the allowed clock skew.
    const unit = 100;
    let shift = 0;
    const own = await startTestServer({ clock: () => Date.now() + shift, timing: { restoreDelayMs: unit, restoreDayMs: DAY_MS } });
    try {
      await own.client().putBucket(BUCKET);
      const oc = own.client({ bucket: BUCKET });
      const ongoing = async (key: string): Promise<boolean> => (await oc.head(key)).res.headers['x-oss-restore' as never] === 'ongoing-request="true"';
      const coldRestore = (key: string, cls: string, tier: string) => restore(oc, key, { type: cls as 'ColdArchive', Days: 1, JobParameters: tier as 'Standard' });
      // One Archive restore stands for OSS's minute: ColdArchive 1 h / 2 h / 5 h (Expedited / Standard / Bulk),
      // DeepColdArchive 12 h / 48 h. Before: one Archive restore for every class and priority.
      const cases: Array<[string, string, number, number]> = [
        ['ColdArchive', 'Expedited', 60, 1], ['ColdArchive', 'Standard', 120, 60], ['ColdArchive', 'Bulk', 300, 120],
        ['DeepColdArchive', 'Expedited', 720, 300], ['DeepColdArchive', 'Standard', 2880, 720],
      ];
      for (const [cls, tier, spans, shorter] of cases) {
        shift = 0;
        const key = `span-${cls}-${tier}.txt`;
        await oc.put(key, Buffer.from(key), { headers: { 'x-oss-storage-class': cls } } as OSS.PutObjectOptions);
        assert.equal((await coldRestore(key, cls, tier)).res.status, 202);
        shift = shorter * unit + 50;
        assert.equal(await ongoing(key), true, `${cls} ${tier} after ${shorter} Archive restores`);
        shift = spans * unit + 1000;
        assert.equal(await ongoing(key), false, `${cls} ${tier} after ${spans} Archive restores`);
      }
      // A higher priority taken while a restore runs ends it that priority's time from then.
      shift = 0;
      await oc.put('span-upgrade.txt', Buffer.from('u'), { headers: { 'x-oss-storage-class': 'ColdArchive' } } as OSS.PutObjectOptions);
      await coldRestore('span-upgrade.txt', 'ColdArchive', 'Bulk');
      shift = 120 * unit;
      assert.equal(await ongoing('span-upgrade.txt'), true);
      assert.equal((await coldRestore('span-upgrade.txt', 'ColdArchive', 'Expedited')).res.status, 202);
      shift += 60 * unit + 1000;
      assert.equal(await ongoing('span-upgrade.txt'), false);
    } finally {
      await own.stop();
    }
  });

  it('gives objects written without a class the bucket\'s (an Archive bucket\'s objects are frozen)', async () => {
    const admin = srv.client();
    await admin.putBucket('archive-class-bucket', { storageClass: 'Archive' } as unknown as OSS.PutBucketOptions);
    const a = srv.client({ bucket: 'archive-class-bucket' });
    await a.put('inherits.txt', Buffer.from('i'));
    assert.equal(((await a.head('inherits.txt')).res.headers as Record<string, string>)['x-oss-storage-class'], 'Archive');
    await expectOssError(a.get('inherits.txt'), 'InvalidObjectState', 403);
    assert.equal((await restore(a, 'inherits.txt')).res.status, 202);
  });

  it('refuses RestoreObject on Standard and IA objects and on missing keys', async () => {
    await c.put('standard.txt', Buffer.from('s'));
    await c.put('ia.txt', Buffer.from('i'), { headers: { 'x-oss-storage-class': 'IA' } } as OSS.PutObjectOptions);
    await expectOssError(restore(c, 'standard.txt'), 'OperationNotSupported', 400);
    await expectOssError(restore(c, 'ia.txt'), 'OperationNotSupported', 400);
    await expectOssError(restore(c, 'missing.txt'), 'NoSuchKey', 404);
  });

  it('CleanRestoredObject freezes a restored object early; refused while nothing is restored', async () => {
    await putArchived('clean.txt');
    const frozen = await raw('POST', 'clean.txt', { cleanRestoredObject: '' });
    assert.equal(frozen.status, 409);
    assert.deepEqual(errorOf(frozen), { code: 'ArchiveRestoreFileStale', ec: '0016-00000718', message: 'The archive file or restore info stale' });
    await restore(c, 'clean.txt');
    // Still being restored (the Java, .NET, Go and Python SDK v2 tests expect this answer).
    const ongoing = await raw('POST', 'clean.txt', { cleanRestoredObject: '' });
    assert.equal(ongoing.status, 409);
    assert.deepEqual(errorOf(ongoing), { code: 'ArchiveRestoreNotFinished', ec: '0016-00000719', message: 'The archive file\'s restore is not finished.' });
    advance(DELAY_MS + 1000);
    assert.equal((await c.get('clean.txt')).content.toString(), 'bytes of clean.txt');
    assert.equal((await raw('POST', 'clean.txt', { cleanRestoredObject: '' })).status, 200);
    assert.equal((await headers('clean.txt'))['x-oss-restore'], undefined);
    await expectOssError(c.get('clean.txt'), 'InvalidObjectState', 403);
    await c.put('plain.txt', Buffer.from('p'));
    const notArchived = await raw('POST', 'plain.txt', { cleanRestoredObject: '' });
    assert.equal(errorOf(notArchived).code, 'OperationNotSupported');
  });

  it('copies an archived source only once restored, and changes storage classes through CopyObject', async () => {
    await putArchived('src.txt', 'Archive', 'copy me');
    // ali-oss copy(target, source).
    await expectOssError(c.copy('dst.txt', 'src.txt'), 'InvalidObjectState', 403);
    await expectOssError(c.copy('src.txt', 'src.txt', { headers: { 'x-oss-storage-class': 'Standard' } } as OSS.CopyObjectOptions), 'InvalidObjectState', 403);
    const up = await c.initMultipartUpload('part-copy.bin');
    const partCopy = await raw('PUT', 'part-copy.bin', { partNumber: '1', uploadId: up.uploadId }, undefined, { 'x-oss-copy-source': `/${BUCKET}/src.txt` });
    assert.equal(partCopy.status, 403);
    assert.equal(errorOf(partCopy).code, 'InvalidObjectState');
    await c.abortMultipartUpload('part-copy.bin', up.uploadId);

    await restore(c, 'src.txt');
    advance(DELAY_MS + 1000);
    // A copy to another key takes the class asked for (or the bucket's), and starts unrestored.
    await c.copy('ia-copy.txt', 'src.txt', { headers: { 'x-oss-storage-class': 'IA' } } as OSS.CopyObjectOptions);
    assert.equal((await headers('ia-copy.txt'))['x-oss-storage-class'], 'IA');
    assert.equal((await c.get('ia-copy.txt')).content.toString(), 'copy me');
    await c.copy('cold-copy.txt', 'src.txt', { headers: { 'x-oss-storage-class': 'ColdArchive' } } as OSS.CopyObjectOptions);
    assert.equal((await headers('cold-copy.txt'))['x-oss-restore'], undefined);
    await expectOssError(c.get('cold-copy.txt'), 'InvalidObjectState', 403);
    // Onto itself: the object becomes Standard for good (readable after the restored copy expires).
    await c.copy('src.txt', 'src.txt', { headers: { 'x-oss-storage-class': 'Standard' } } as OSS.CopyObjectOptions);
    const h = await headers('src.txt');
    assert.equal(h['x-oss-storage-class'], 'Standard');
    assert.equal(h['x-oss-restore'], undefined);
    advance(3 * DAY_MS);
    assert.equal((await c.get('src.txt')).content.toString(), 'copy me');
  });

  it('authorizes RestoreObject and CleanRestoredObject as their own RAM actions', async () => {
    await putArchived('ram.txt');
    const ram = new Ram(srv);
    const user = await ram.userWith('archive-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    const u = user.oss(BUCKET);
    await expectOssError(restore(u, 'ram.txt'), 'AccessDenied', 403);
    await expectOssError(u.get('ram.txt'), 'InvalidObjectState', 403);
    const restorer = await ram.userWith('archive-restorer', policyDoc({ Effect: 'Allow', Action: ['oss:RestoreObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] }));
    assert.equal((await restore(restorer.oss(BUCKET), 'ram.txt')).res.status, 202);
  });
});

describe('RestoreObject with --restore-seconds 0', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ timing: { restoreDelayMs: 0 } });
    await srv.client().putBucket('instant');
  });
  after(async () => {
    await srv?.stop();
  });

  it('is readable as soon as the restore is accepted, for one real day by default', async () => {
    const c = srv.client({ bucket: 'instant' });
    await c.put('x.txt', Buffer.from('now'), { headers: { 'x-oss-storage-class': 'DeepColdArchive' } } as OSS.PutObjectOptions);
    assert.equal((await restore(c, 'x.txt', { type: 'DeepColdArchive', Days: 1 })).res.status, 202);
    assert.equal((await c.get('x.txt')).content.toString(), 'now');
    const h = (await c.head('x.txt')).res.headers as Record<string, string>;
    const expiry = Date.parse(/expiry-date="([^"]+)"/.exec(h['x-oss-restore']!)![1]!);
    assert.ok(expiry - Date.now() > 86_400_000 - 120_000 && expiry - Date.now() <= 86_400_000, h['x-oss-restore']);
  });
});
