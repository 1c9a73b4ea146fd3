// The Java SDK's (aliyun-oss-java-sdk src/test/.../integrationtests) and oss2's (aliyun-oss-python-sdk tests/)
// own tests, fifth reading: the requests are built as each SDK builds them (path style, V1 header signatures) and
// the answers read as their parsers read them (Java: ResponseParsers, JDOM, an element's empty text is "not
// set"; oss2: xml_utils, `_find_tag` raises on a missing element). Neither SDK can be installed here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'sdk-suites-fifth';

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };

/** Python's `quote(s, '')` for keys in the path (oss2 escapes `/` too). */
const pyQuote = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** oss2's `urlquote(s)` (Python's `quote` with its default `safe='/'`), which the tests use to build x-oss-tagging. */
const urlquote = (s: string): string => pyQuote(s).replace(/%2F/g, '/');

describe('the Java SDK and oss2 test suites, fifth reading', () => {
  let srv: TestServer;

  async function send(r: Send): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, pyQuote);
  }
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  /** oss2's parse_get_tagging: each Tag's Key and Value, in document order. */
  const tagsOf = async (key: string): Promise<Array<[string, string]>> => {
    const res = ok(await send({ method: 'GET', key, query: [['tagging', '']] }), `GetObjectTagging ${key}`);
    const keys = strictTexts(res.text, 'Key');
    const values = strictTexts(res.text, 'Value');
    return keys.map((k, i) => [k, values[i] ?? '']);
  };

  before(async () => {
    srv = await startTestServer();
    ok(await send({ method: 'PUT' }), 'PutBucket');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('oss2 test_object.py / test_multipart.py: tags with non-ASCII letters round-trip', () => {
    it('test_copy_object_with_tagging: REPLACE with x-oss-tagging ` +/ `=中文 and 中文=test++/ reads back as sent', async () => {
      ok(await send({ method: 'PUT', key: 'tag-src', body: 'test', headers: { 'x-oss-tagging': 'k1=v1&k2=v2&k3=v3' } }), 'PutObject');
      const tagging = `${urlquote(' +/ ')}=${urlquote('中文')}&${urlquote('中文')}=${urlquote('test++/')}`;
      ok(await send({
        method: 'PUT', key: 'tag-src_test',
        headers: { 'x-oss-copy-source': `/${B}/tag-src`, 'x-oss-tagging': tagging, 'x-oss-tagging-directive': 'REPLACE' },
      }), 'CopyObject REPLACE');
      assert.deepEqual(await tagsOf('tag-src_test'), [[' +/ ', '中文'], ['中文', 'test++/']]);
    });

    it('test_multipart_with_object_tagging: InitiateMultipartUpload with `+:/`=.- and ` + `=中文; the completed object carries them', async () => {
      const tagging = `${urlquote('+:/')}=${urlquote('.-')}&${urlquote(' + ')}=${urlquote('中文')}`;
      const init = ok(await send({ method: 'POST', key: 'tag-mp', query: [['uploads', '']], headers: { 'x-oss-tagging': tagging } }), 'Initiate');
      const uploadId = strictTexts(init.text, 'UploadId')[0]!;
      const part = ok(await send({ method: 'PUT', key: 'tag-mp', query: [['partNumber', '1'], ['uploadId', uploadId]], body: 'p'.repeat(1024) }), 'UploadPart');
      const complete = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
      ok(await send({ method: 'POST', key: 'tag-mp', query: [['uploadId', uploadId]], body: complete }), 'Complete');
      assert.deepEqual(await tagsOf('tag-mp'), [['+:/', '.-'], [' + ', '中文']]);
    });

    it('PutObjectTagging with a UTF-8 XML body of other scripts and combining marks is kept byte for byte; `@` and 129 characters are still InvalidTag', async () => {
      ok(await send({ method: 'PUT', key: 'tag-xml', body: 'x' }), 'PutObject');
      const pairs: Array<[string, string]> = [['中文', '値 ünï'], ['हिन्दी', 'Ελληνικά 12'], ['k', '中'.repeat(256)]];
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${pairs.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
      ok(await send({ method: 'PUT', key: 'tag-xml', query: [['tagging', '']], body: xml }), 'PutObjectTagging');
      const got = await tagsOf('tag-xml');
      assert.deepEqual(got, pairs);
      assert.deepEqual(got.map(([k, v]) => Buffer.from(k + v)), pairs.map(([k, v]) => Buffer.from(k + v)));
      for (const [k, v] of [['k@', 'v'], ['中'.repeat(129), 'v'], ['k', '中'.repeat(257)]]) {
        const bad = await send({ method: 'PUT', key: 'tag-xml', query: [['tagging', '']], body: `<Tagging><TagSet><Tag><Key>${k}</Key><Value>${v}</Value></Tag></TagSet></Tagging>` });
        assert.equal(bad.status, 400, bad.text);
        assert.equal(bad.err?.Code, 'InvalidTag');
      }
      assert.deepEqual(await tagsOf('tag-xml'), pairs, 'a refused document changes nothing');
    });
  });

  describe('Java UploadPartTest', () => {
    /** JDOM's getChildText, read as ResponseParsers.parseListParts reads a marker: absent or empty text is null. */
    const javaMarker = (xml: string, name: string): number | null => {
      const t = strictTexts(xml, name)[0];
      return t === undefined || t === '' ? null : Number(t);
    };

    it('testNormalListParts: an upload without parts lists NextPartNumberMarker empty (the element present, as oss2 reads it); with parts, the last one listed', async () => {
      const init = ok(await send({ method: 'POST', key: 'list-parts', query: [['uploads', '']] }), 'Initiate');
      const uploadId = strictTexts(init.text, 'UploadId')[0]!;
      const none = ok(await send({ method: 'GET', key: 'list-parts', query: [['uploadId', uploadId]] }), 'ListParts, no parts');
      assert.equal(strictTexts(none.text, 'NextPartNumberMarker').length, 1, 'oss2 _find_tag needs the element');
      assert.equal(javaMarker(none.text, 'NextPartNumberMarker'), null);
      assert.equal(strictTexts(none.text, 'IsTruncated')[0], 'false');
      for (let n = 1; n <= 25; n++) {
        ok(await send({ method: 'PUT', key: 'list-parts', query: [['partNumber', String(n)], ['uploadId', uploadId]], body: 'p' }), `UploadPart ${n}`);
      }
      const all = ok(await send({ method: 'GET', key: 'list-parts', query: [['uploadId', uploadId]] }), 'ListParts');
      assert.equal(javaMarker(all.text, 'NextPartNumberMarker'), 25);
      const first = ok(await send({ method: 'GET', key: 'list-parts', query: [['max-parts', '15'], ['uploadId', uploadId]] }), 'ListParts max-parts 15');
      assert.equal(javaMarker(first.text, 'NextPartNumberMarker'), 15);
      assert.equal(strictTexts(first.text, 'IsTruncated')[0], 'true');
      const rest = ok(await send({ method: 'GET', key: 'list-parts', query: [['max-parts', '15'], ['part-number-marker', '20'], ['uploadId', uploadId]] }), 'ListParts after 20');
      assert.equal(strictTexts(rest.text, 'PartNumber').length, 5);
      assert.equal(javaMarker(rest.text, 'NextPartNumberMarker'), 25);
      ok(await send({ method: 'DELETE', key: 'list-parts', query: [['uploadId', uploadId]] }), 'Abort');
    });
  });

  describe('oss2 test_iterator.py', () => {
    /** oss2's MultipartUploadIterator: pages of list_multipart_uploads chained by NextKeyMarker/NextUploadIdMarker until IsTruncated is false; each page's uploads and prefixes sorted by key. */
    async function iterateUploads(prefix: string, delimiter: string, maxUploads: number): Promise<Array<{ key: string; uploadId: string | null }>> {
      const out: Array<{ key: string; uploadId: string | null }> = [];
      let keyMarker = '';
      let uploadIdMarker = '';
      for (let page = 0; page < 50; page++) {
        const res = ok(await send({
          method: 'GET',
          query: [['uploads', ''], ['prefix', prefix], ['delimiter', delimiter], ['key-marker', keyMarker], ['upload-id-marker', uploadIdMarker], ['max-uploads', String(maxUploads)]],
        }), `ListMultipartUploads page ${page}`);
        const keys = strictTexts(res.text, 'Key');
        const ids = strictTexts(res.text, 'UploadId');
        const prefixes = strictTexts(res.text, 'Prefix').slice(1); // the first is the request's Prefix
        const entries = [...keys.map((key, i) => ({ key, uploadId: ids[i] ?? null })), ...prefixes.map((key) => ({ key, uploadId: null }))];
        entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        out.push(...entries);
        if (strictTexts(res.text, 'IsTruncated')[0] !== 'true') return out;
        keyMarker = strictTexts(res.text, 'NextKeyMarker')[0] ?? '';
        uploadIdMarker = strictTexts(res.text, 'NextUploadIdMarker')[0] ?? '';
      }
      throw new Error('too many pages');
    }
    const initiate = async (key: string): Promise<string> =>
      strictTexts(ok(await send({ method: 'POST', key, query: [['uploads', '']] }), `Initiate ${key}`).text, 'UploadId')[0]!;

    it('test_upload_iterator: ten uploads of one key and four "directories", two a page: the uploads in upload-id order, each directory once', async () => {
      const prefix = 'it-up/';
      const key = `${prefix}the-key`;
      const uploads: string[] = [];
      for (let i = 0; i < 10; i++) uploads.push(await initiate(key));
      const dirs = ['it-up/d1/', 'it-up/d2/', 'it-up/d3/', 'it-up/d4/'];
      for (const d of dirs) await initiate(`${d}x`);
      const got = await iterateUploads(prefix, '/', 2);
      assert.deepEqual(got.filter((u) => u.uploadId !== null).map((u) => u.uploadId), [...uploads].sort());
      assert.deepEqual(got.filter((u) => u.uploadId === null).map((u) => u.key), dirs);
    });

    it('test_object_upload_iterator: one key\'s uploads paged 5 and 3 at a time, another key sharing its prefix left out', async () => {
      const target = 'it-obj/target';
      const intact = 'it-obj/target-intact';
      const targets: string[] = [];
      for (let i = 0; i < 10; i++) {
        targets.push(await initiate(target));
        await initiate(intact);
      }
      for (const size of [5, 3]) {
        const got = (await iterateUploads(target, '', size)).filter((u) => u.key === target).map((u) => u.uploadId);
        assert.deepEqual(got, [...targets].sort(), `max-uploads ${size}`);
      }
    });
  });
});
