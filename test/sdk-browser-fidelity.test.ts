// ali-oss's own browser tests (ali-sdk/ali-oss test/browser/browser.test.js, run there with karma in Chrome against
// OSS with STS credentials), replayed in headless Chromium: ali-oss's browser build, loaded by a page on another
// origin, makes every request of those tests against a real Alunite server, with STS credentials of an assumed
// role, once signed V1 and once V4 (the suite iterates over `authorizationV4: false/true`). The page's scenarios are
// test/fixtures/ali-oss-browser-scenarios.js; what the browser tests assert is asserted here. Their client-only
// cases (endpoint formatting, user agent, stubbed network errors, retries, timeouts) send nothing to the server and
// are left out. The bucket's CORS rule exposes what those tests read (as the bucket they run on must): ETag,
// x-oss-request-id, x-oss-next-append-position, x-oss-object-type, x-oss-server-side-encryption,
// x-oss-object-restore-priority, x-oss-storage-class, x-oss-err, Content-Disposition.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const SDK_FILE = new URL('../../node_modules/ali-oss/dist/aliyun-oss-sdk.min.js', import.meta.url);
const SCENARIOS_FILE = new URL('../../test/fixtures/ali-oss-browser-scenarios.js', import.meta.url);
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>ali-oss browser tests</title>
<script src="/aliyun-oss-sdk.min.js"></script><script src="/scenarios.js"></script></head><body>ali-oss browser tests</body></html>`;

/** What ali-oss's browser tests need to read from a cross-origin answer. */
const EXPOSED = [
  'ETag',
  'x-oss-request-id',
  'x-oss-next-append-position',
  'x-oss-hash-crc64ecma',
  'x-oss-object-type',
  'x-oss-server-side-encryption',
  'x-oss-object-restore-priority',
  'x-oss-storage-class',
  'x-oss-err',
  'Content-Disposition',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- what a scenario hands back is plain JSON
type Json = any;

/** An error as a scenario reports it (ali-oss's fields). */
interface PageError {
  name: string;
  code?: string;
  status: number;
  message: string;
  requestIdType: string;
}

let srv: TestServer;
let web: Server;
let browser: Browser;
let page: Page;
let creds: StsCredentials;
let buckets = 0;

before(async () => {
  srv = await startTestServer();
  const [sdk, scenarios] = await Promise.all([readFile(SDK_FILE), readFile(SCENARIOS_FILE)]);
  web = createServer((req, res) => {
    const script = req.url === '/aliyun-oss-sdk.min.js' ? sdk : req.url === '/scenarios.js' ? scenarios : null;
    res.writeHead(200, { 'Content-Type': script ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(script ?? PAGE);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  // The browser tests' credentials: an STS token of a role allowed oss:* (and the KMS default key).
  const ram = new Ram(srv);
  await ram.call('CreateRole', { RoleName: 'web-uploader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
  await ram.createPolicy('web-uploader-oss', policyDoc({ Effect: 'Allow', Action: ['oss:*', 'kms:*'], Resource: '*' }));
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'web-uploader-oss', RoleName: 'web-uploader' });
  const vendor = await ram.userWith('token-vendor', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('web-uploader') }));
  const assumed = await assumeRole(stsClient(srv, vendor.accessKeyId, vendor.accessKeySecret), {
    RoleArn: roleArn('web-uploader'),
    RoleSessionName: 'browser-tests',
  });
  creds = assumed.Credentials as StsCredentials;
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(web.address() as AddressInfo).port}/`);
});
after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  await srv.stop();
});

/** A fresh bucket with the browser tests' CORS rule, then one scenario run in the page on it. */
async function run(scenario: string, v4: boolean, expose: string[] = EXPOSED): Promise<Json> {
  const bucket = `browser-${++buckets}`;
  await srv.client().putBucket(bucket);
  await srv.client().putBucketCORS(bucket, [
    { allowedOrigin: '*', allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], allowedHeader: '*', exposeHeader: expose, maxAgeSeconds: '600' },
  ] as unknown as OSS.CORSRule[]);
  const cfg = {
    endpoint: `http://localhost:${srv.port}`,
    bucket,
    accessKeyId: creds.AccessKeyId,
    accessKeySecret: creds.AccessKeySecret,
    stsToken: creds.SecurityToken,
    v4,
    md5Of2MiB: createHash('md5').update('1'.repeat(2 * 1024 * 1024)).digest('base64'),
    md5OfHelloWorld: createHash('md5').update('Hello World').digest('base64'),
  };
  return page.evaluate(
    ([name, c]) => (window as unknown as { aliOssScenarios: Record<string, (cfg: unknown) => Promise<unknown>> }).aliOssScenarios[name]!(c),
    [scenario, cfg] as const,
  );
}

const ETAG = /^"[0-9A-F]{32}"$/;

for (const v4 of [false, true]) {
  describe(`ali-oss browser tests in Chromium, signed ${v4 ? 'V4' : 'V1'}`, () => {
    it('list() and listV2(): pages, prefixes, start-after, continuation tokens, owners, restoreInfo of an Archive object', async () => {
      const r = await run('list', v4);
      assert.equal(r.one.count, 1);
      assert.equal(r.one.nextMarker, 'string');
      assert.equal(r.one.truncated, true);
      assert.equal(r.one.prefixes, null);
      const o = r.one.object;
      assert.equal(typeof o.lastModified, 'string');
      assert.match(o.etag, ETAG);
      assert.deepEqual([o.type, o.storageClass, typeof o.size, typeof o.owner.id, typeof o.owner.displayName], ['Normal', 'Standard', 'number', 'string', 'string']);
      assert.deepEqual(r.pages, [3, true, 2, 'string', true]);
      assert.deepEqual(r.prefix, [2, null, false, null]);
      const lp = `v${v4 ? 4 : 1}/ali-sdk/list/`;
      assert.deepEqual(r.dirs, [
        [1, null, false, [`${lp}fun/`, `${lp}other/`]],
        [1, null, false, [`${lp}fun/movie/`]],
        [2, null, false, null],
      ]);
      // fetch-owner: the owner only when asked for.
      assert.equal(r.v2owner[0].length, 2);
      for (const owner of r.v2owner[0]) assert.deepEqual([typeof owner.id, typeof owner.displayName], ['string', 'string']);
      assert.deepEqual(r.v2owner[1], [null, null]);
      assert.deepEqual(r.v2owner.slice(2), [null, false]);
      assert.deepEqual(r.v2first, [1, 'string', true, null]);
      assert.deepEqual(r.startAfter, [
        [`${lp}fun/movie/001.avi`],
        [`${lp}fun/movie/007.avi`],
        [`${lp}fun/movie/007.avi`],
        [3, [`${lp}oss.jpg`], [`${lp}fun/`, `${lp}other/`]],
        [1, 0, [`${lp}other/`]],
      ]);
      assert.deepEqual(r.tokens, [6, 3]);
      // ListObjects and ListObjectsV2 carry the RestoreInfo of an object being restored.
      assert.deepEqual(r.restoreInfo, [200, 1, { ongoingRequest: true }, { ongoingRequest: true }]);
    });

    it('get(): the browser build asks response-cache-control=no-cache by default; Range bytes=0-3 answers 4 bytes', async () => {
      const r = await run('get', v4);
      assert.ok(r.url.endsWith('?response-cache-control=no-cache'), r.url);
      assert.equal(r.cacheControl, 'no-cache');
      assert.ok(!r.noCcUrl.includes('response-cache-control'), r.noCcUrl);
      assert.deepEqual(r.ranges, ['4', '4', '4', '4', '4']);
    });

    it('put(): Buffer (V4 signing content-length), Blob, x-oss-forbid-overwrite, Content-MD5 in any case, no MIME, a presigned JSON PUT', async () => {
      const r = await run('put', v4);
      assert.deepEqual(r.buffer, [200, 200, 'body', 204]);
      assert.deepEqual(r.blob, [200, 'blobBody', 'blobBody']);
      const e = r.forbidOverwrite as PageError;
      assert.deepEqual([e.code, e.status, e.requestIdType], ['FileAlreadyExists', 409, 'string']);
      assert.deepEqual(r.contentMd5, [200, 200]);
      assert.deepEqual(r.contentType, [200, 'application/octet-stream']);
      assert.deepEqual(r.signedJson, [200, 200]);
    });

    it('copy(): same bucket, non-English names, new meta, a copy onto itself with Cache-Control, a source with ;,/?:@&=+$#', async () => {
      const r = await run('copy', v4);
      assert.deepEqual(r.same, ['string', 200, 'string', 'string', 200]);
      assert.deepEqual(r.nonEnglish, [200, 'string', 200]);
      assert.deepEqual(r.otherMeta.slice(0, 2), [200, 200]);
      // Before: no Cache-Control (the test allows none or no-cache); after: the one the copy set.
      assert.deepEqual(r.selfCopy, [200, undefined, 200, 'string', 'max-age=0, s-maxage=86400']);
      assert.deepEqual(r.special, [200, 200]);
    });

    it('signatureUrl(), asyncSignatureUrl(), signatureUrlV4(): GET, a signed Cache-Control, loose names, signed PUTs, response-*', async () => {
      const r = await run('signatureUrl', v4);
      assert.deepEqual(r.get, [
        [200, 'signatureUrl'],
        [200, 'signatureUrl'],
        [200, 'signatureUrl'],
      ]);
      assert.match(r.strict, /^Invalid object name /);
      assert.deepEqual(r.loose, [
        [200, 'Hello World!'],
        [200, 'Hello World!'],
      ]);
      assert.deepEqual(r.put, [
        [200, ''],
        [200, ''],
        [200, ''],
      ]);
      assert.deepEqual(r.afterPut, ['Hello World']);
      assert.deepEqual(r.escaped, [200, '%3get+meta-signatureUrl']);
      assert.deepEqual(r.response, [200, 'no-cache', 'a.js']);
    });

    it('listUploads(): key-marker, an upload-id-marker alone is ignored, key-marker with upload-id-marker', async () => {
      const r = await run('listUploads', v4);
      assert.deepEqual(r.byKey.all, r.byKey.ids);
      assert.deepEqual(r.byKey.after1, r.byKey.ids.slice(1));
      assert.deepEqual(r.byKey.after5, []);
      // Uploads of one key are listed in upload id order.
      assert.deepEqual(r.byId.all, r.byId.ids);
      assert.deepEqual(r.byId.after1, r.byId.ids);
      assert.deepEqual(r.byId.after5, r.byId.ids);
      const { fooIds, barIds } = r.byKeyAndId;
      assert.deepEqual([...r.byKeyAndId.after1].sort(), [...barIds.slice(1), ...fooIds].sort());
      assert.deepEqual(r.byKeyAndId.after5, fooIds);
    });

    it('multipartUpload(): SSE headers, fallback to put, 13 progress calls, IA, cancel and resume, abort, uploadPart, listParts, a retry skips done parts', async () => {
      const r = await run('multipart', v4);
      // InitiateMultipartUpload answers the AES256 it was asked for; the Complete of a KMS upload answers KMS.
      assert.deepEqual(r.sse, ['AES256', 200, 'KMS']);
      assert.deepEqual(r.fallback, [1, 'string', 'string', 'string']);
      assert.deepEqual(r.upload.slice(0, 6), [200, 13, 1024 * 1024, 200, 13, 1024 * 1024]);
      assert.match(r.upload[6], /^"[0-9A-F]{32}-11"$/);
      assert.deepEqual(r.requestIds, [200, true, 3]);
      assert.deepEqual(r.storageClass, [200, 'IA']);
      const [cancelled, isCancel, checkpointKeys, resumedPastHalf, status, size] = r.cancelResume;
      assert.deepEqual([cancelled, isCancel, resumedPastHalf, status, size], ['cancel', true, true, 200, 1024 * 1024]);
      assert.deepEqual(checkpointKeys, ['doneParts', 'file', 'fileSize', 'name', 'partSize', 'uploadId']);
      assert.deepEqual(r.abort, [true, true]);
      assert.deepEqual(r.uploadPart, [200, true]);
      assert.deepEqual(r.listParts, [200, true]);
      // Part 3 failed; resuming from the checkpoint sends parts 3, 4 and 5 only.
      assert.deepEqual(r.skipDone, [2, 3, 200]);
    });

    it('putSymlink(), getSymlink(), head(): x-oss-object-type Symlink; a link to a link is InvalidTargetType, read from x-oss-err', async () => {
      const r = await run('symlink', v4);
      assert.deepEqual([r.put, r.putSymlink, r.getSymlink[0]], [200, 200, 200]);
      assert.deepEqual(r.head.slice(0, 2), [200, 'Symlink']);
      // A HEAD's error has no body: the browser build decodes the base64 XML of x-oss-err (exposed).
      const e = r.chain as PageError;
      assert.deepEqual([e.code, e.status, e.name], ['InvalidTargetType', 400, 'InvalidTargetTypeError']);
    });

    it('deleteMulti(): the keys deleted, those that never existed too; quiet mode lists none', async () => {
      const r = await run('deleteMulti', v4);
      const names = [0, 1, 2].map((i) => `v${v4 ? 4 : 1}/ali-sdk/oss/deleteMulti${i}.js`);
      assert.deepEqual(r.three, [names, 200]);
      assert.deepEqual(r.mixed, [[...names.slice(0, 2), 'not-exist1', 'not-exist2'], 200]);
      assert.deepEqual(r.one, [names.slice(0, 1), 200]);
      assert.deepEqual(r.quiet, [0, 200]);
    });

    it('getObjectMeta(): the put\'s ETag and the Content-Length; a HEAD of a missing key is NoSuchKeyError with a request id', async () => {
      const r = await run('objectMeta', v4);
      assert.equal(r.requestId, 'string');
      const e = r.missing as PageError;
      assert.deepEqual([e.name, e.status, e.requestIdType], ['NoSuchKeyError', 404, 'string']);
      const [status, etag, putEtag, length] = r.meta;
      assert.deepEqual([status, etag, length], [200, putEtag, '1024000']);
      assert.match(etag, ETAG);
    });

    if (!v4) {
      it('a client clock off by decades (x-oss-date, the Date a browser cannot set): RequestTimeTooSkewed\'s ServerTime corrects it, one retry', async () => {
        const r = await run('skew', v4);
        assert.deepEqual(r, [200, 2, true, 'body']);
      });
    }

    it('restore(): OperationNotSupported on Standard, 202 then RestoreAlreadyInProgress, Days, MalformedXML for ColdArchive parameters on Archive, priorities', async () => {
      const r = await run('restore', v4);
      assert.equal((r.standard as PageError).status, 400);
      assert.equal(r.archive, 202);
      assert.equal((r.again as PageError).name, 'RestoreAlreadyInProgressError');
      assert.equal(r.days, 202);
      assert.equal((r.coldOnArchive as PageError).code, 'MalformedXML');
      assert.deepEqual(r.priorities, ['Standard', 'Standard', 'Expedited', 'Bulk', 'Standard', 'Standard', 'Expedited']);
    });

    it('multipartUploadCopy(): 200; the size comes from a HeadObject a browser asks with Accept-Encoding gzip', async () => {
      const r = await run('multipartCopy', v4);
      // text/plain: the HEAD answers no Content-Length (as a gzip GET would be answered), the copy divides an
      // unknown size into no parts and completes them so: an empty object (the browser test asserts only the 200).
      assert.deepEqual(r.text, [200, 200, '0', undefined, undefined]);
      // application/octet-stream is not compressed: its size is read and all of it copied.
      assert.deepEqual(r.binary.slice(0, 2), [200, String(10 * 1024 * 1024)]);
      assert.match(r.binary[2], /^"[0-9A-F]{32}-10"$/);
    });

    it('append(): x-oss-next-append-position on the append and on GetObject; response-cache-control no-store', async () => {
      const r = await run('append', v4);
      assert.deepEqual(r.first, [200, '3', '3']);
      assert.deepEqual(r.read1, ['foo', '3']);
      assert.deepEqual(r.second, [200, '6', '6']);
      assert.deepEqual(r.read2, ['foobar', '6', 'no-store']);
      for (const crc of r.crc) assert.match(crc, /^\d+$/);
    });

    it('refreshSTSToken(): after refreshSTSTokenInterval the client takes the new (here bogus) token, which the server refuses', async () => {
      const r = await run('refreshSTSToken', v4);
      assert.deepEqual([r.first, r.kept, r.refreshed, r.stsToken], [200, true, 1, 's']);
      assert.deepEqual([(r.second as PageError).code, (r.second as PageError).status], ['InvalidAccessKeyId', 403]);
    });

    it('signPostObjectPolicyV4(): a cross-origin V4 PostObject with an STS token, in / not-in / content-length-range / eq / starts-with', async () => {
      const r = await run('postObjectV4', v4);
      assert.equal(r.ok.status, 200);
      assert.equal(r.ok.head, 200);
      assert.match(r.ok.etag, ETAG);
      assert.deepEqual(r.notIn, { status: 403, code: 'AccessDenied', head: 'NoSuchKey', etag: null });
      assert.deepEqual(r.in, { status: 403, code: 'AccessDenied', head: 'NoSuchKey', etag: null });
      assert.deepEqual(r.tooLong, { status: 400, code: 'EntityTooLarge', head: 'NoSuchKey', etag: null });
    });
  });
}

describe('ali-oss browser tests: what the bucket must expose', () => {
  it('with only ETag and x-oss-request-id exposed, the headers the tests read are hidden from the page, as on OSS', async () => {
    // The first append works, but the SDK cannot read where the next one goes: it appends at no position, refused.
    await assert.rejects(run('append', true, ['ETag', 'x-oss-request-id']), /PositionNotEqualToLength/);
    const symlink = await run('symlink', true, ['ETag', 'x-oss-request-id']);
    assert.deepEqual(symlink.head.slice(0, 2), [200, undefined]);
    // Without x-oss-err the reason of a failed HEAD is not readable: ali-oss reports an UnknownError of the status.
    const e = symlink.chain as PageError;
    assert.deepEqual([e.name, e.status], ['UnknownError', 400]);
    const restore = await run('restore', true, ['ETag', 'x-oss-request-id']);
    assert.deepEqual(restore.priorities, Array(7).fill(undefined));
  });
});
