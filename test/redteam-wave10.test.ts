// Red-team wave 10 (stopping, hanging or exhausting the server from the network): each finding reproduced against a
// real server the test starts, failing on the code before its fix.
//
// Tried and held on the old code (no test here):
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest, succeeds } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

describe('redteam wave 10: a delimited listing reads each key of its page about once', () => {
  let srv: TestServer;
  const BUCKET = 'rt10-list';
  const N = 1_200;
  const name = (i: number): string => `img/p${String(i).padStart(5, '0')}.jpg`;
  /** Rows the store's listing reads hand back, per method, since the last reset. */
  const rows = { objects: 0, versions: 0, uploads: 0 };

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucketACL(BUCKET, 'public-read');
    const c = srv.client({ bucket: BUCKET });
    for (let i = 0; i < N; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, N - i) }, (_, j) => c.put(name(i + j), Buffer.from('x'))));
    }
    for (let i = 0; i < 300; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, j) => c.initMultipartUpload(`up/u${String(i + j).padStart(4, '0')}.bin`)));
    }
    // Counted around the real store: what each listing request made it read.
    const meta = srv.meta;
    const listObjects = meta.listObjects.bind(meta);
    const listObjectVersions = meta.listObjectVersions.bind(meta);
    const listUploads = meta.listUploads.bind(meta);
    meta.listObjects = async (b, q) => {
      const r = await listObjects(b, q);
      rows.objects += r.length;
      return r;
    };
    meta.listObjectVersions = async (b, q) => {
      const r = await listObjectVersions(b, q);
      rows.versions += r.length;
      return r;
    };
    meta.listUploads = async (b, q) => {
      const r = await listUploads(b, q);
      rows.uploads += r.length;
      return r;
    };
  });
  after(async () => {
    await srv?.stop();
  });

  const anonymous = async (query: string): Promise<string> => {
    const r = await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/${query}`, headers: { host: `127.0.0.1:${srv.port}` } });
    assert.equal(r.status, 200, r.body.toString());
    return r.body.toString();
  };
  const reset = (): void => {
    rows.objects = 0;
    rows.versions = 0;
    rows.uploads = 0;
  };

  it('an anonymous listing of 1,000 CommonPrefixes (delimiter "." over 1,200 keys) reads ~1,000 rows, not ~500,000', async () => {
    reset();
    const page1 = await anonymous('?prefix=img/&delimiter=.&max-keys=1000');
    const first = strictTexts(page1, 'Prefix').filter((p) => p !== 'img/');
    assert.equal(first.length, 1000);
    assert.deepEqual(first.slice(0, 2), ['img/p00000.', 'img/p00001.']);
    assert.equal(strictTexts(page1, 'IsTruncated')[0], 'true');
    assert.equal(strictTexts(page1, 'NextMarker')[0], 'img/p00999.');
    // Before: each CommonPrefix re-read up to 1,000 rows from its end and kept one: ~500,000 rows, ~1 s of event
    // loop per anonymous request against any public bucket of 2,000 objects.
    assert.ok(rows.objects <= 4_000, `one page read ${rows.objects} rows`);
    reset();
    const page2 = await anonymous('?prefix=img/&delimiter=.&max-keys=1000&marker=img/p00999.');
    const second = strictTexts(page2, 'Prefix').filter((p) => p !== 'img/');
    assert.equal(second.length, N - 1000);
    assert.equal(strictTexts(page2, 'IsTruncated')[0], 'false');
    assert.equal(new Set([...first, ...second]).size, N);
    assert.ok(rows.objects <= 4_000, `the second page read ${rows.objects} rows`);
    // A CommonPrefix over all the keys is still stepped over, not read through.
    reset();
    const one = await anonymous('?delimiter=/&max-keys=1000');
    assert.deepEqual(strictTexts(one, 'Prefix').filter((p) => p !== ''), ['img/']);
    assert.ok(rows.objects <= 2_100, `a listing of one CommonPrefix read ${rows.objects} rows`);
  });

  it('ListObjectVersions and ListMultipartUploads roll up the same way', async () => {
    reset();
    const versions = await anonymous('?versions&prefix=img/&delimiter=.&max-keys=1000');
    assert.equal(strictTexts(versions, 'Prefix').filter((p) => p !== 'img/').length, 1000);
    assert.equal(strictTexts(versions, 'NextKeyMarker')[0], 'img/p00999.');
    assert.ok(rows.versions <= 4_000, `one version page read ${rows.versions} rows`);
    reset();
    const uploads = succeeds(await signedRequest(srv.port, 'GET', BUCKET, null, [['uploads', ''], ['prefix', 'up/'], ['delimiter', '.'], ['max-uploads', '1000']]));
    const prefixes = strictTexts(uploads.text, 'Prefix').filter((p) => p !== 'up/');
    assert.equal(prefixes.length, 300);
    assert.equal(new Set(prefixes).size, 300);
    // Before: ~45,000 rows (each a whole upload record) for 300 uploads.
    assert.ok(rows.uploads <= 1_500, `one upload page read ${rows.uploads} rows`);
  });
});
