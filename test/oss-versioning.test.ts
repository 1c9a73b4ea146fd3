// Bucket versioning through the real ali-oss client (and ali-oss-signed raw requests for what it cannot
// send or does not surface), against a real server. test/pg-versioning.test.ts runs it on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { queryString, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { expectOssError, headersOf, rawObjectRequest, type RawResult } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';

interface VersionList {
  objects: Array<{ name: string; versionId: string; isLatest: boolean; etag: string; size: number; type: string }>;
  deleteMarker: Array<{ name: string; versionId: string; lastModified: string }>;
  prefixes: string[] | null;
  isTruncated: boolean;
  nextKeyMarker: string | null;
  nextVersionIdMarker: string | null;
  res: { headers: Record<string, string> };
}

interface Extra {
  putBucketVersioning(bucket: string, status: string): Promise<unknown>;
  getBucketVersioning(bucket: string): Promise<{ versionStatus: string | undefined }>;
  getBucketVersions(query: Record<string, string | number>): Promise<VersionList>;
  getObjectMeta(key: string, options?: Record<string, string>): Promise<unknown>;
  putObjectTagging(key: string, tag: Record<string, string>, options?: Record<string, string>): Promise<unknown>;
  getObjectTagging(key: string, options?: Record<string, string>): Promise<{ tag: Record<string, string> }>;
  deleteObjectTagging(key: string, options?: Record<string, string>): Promise<unknown>;
}

const x = (c: OSS): Extra => c as unknown as Extra;
const text = async (c: OSS, key: string, versionId?: string): Promise<string> =>
  ((await c.get(key, versionId === undefined ? {} : ({ versionId } as OSS.GetObjectOptions))) as unknown as { content: Buffer }).content.toString();
const versionOf = (result: unknown): string | undefined => headersOf(result)['x-oss-version-id'];

/** A raw object request answered with one of `statuses` (ali-oss would throw on the error ones). */
const raw = (c: OSS, method: string, key: string, subres: Record<string, string>, statuses: number[], headers?: Record<string, string>): Promise<RawResult> =>
  rawObjectRequest(c, method, key, { subres, successStatuses: statuses, ...(headers ? { headers } : {}) });

/** Every entry of ListObjectVersions, page by page with (key-marker, version-id-marker). */
async function allVersions(c: OSS, maxKeys: number, query: Record<string, string> = {}): Promise<Array<[string, string, boolean]>> {
  const out: Array<[string, string, boolean]> = [];
  let marker: Record<string, string> = {};
  for (;;) {
    const page = await x(c).getBucketVersions({ ...query, ...marker, 'max-keys': maxKeys });
    const entries = [
      ...page.objects.map((o) => ({ name: o.name, versionId: o.versionId, marker: false, raw: o })),
      ...page.deleteMarker.map((d) => ({ name: d.name, versionId: d.versionId, marker: true, raw: d })),
    ];
    // ali-oss splits Version and DeleteMarker elements: put them back in document order.
    const xml = (page as unknown as { res: { data: Buffer } }).res.data.toString();
    const at = (e: { name: string; versionId: string }): number => xml.indexOf(`<VersionId>${e.versionId}</VersionId>`);
    entries.sort((a, b) => at(a) - at(b));
    const decode = query['encoding-type'] === 'url' ? decodeURIComponent : (v: string): string => v;
    for (const e of entries) out.push([decode(e.name), e.versionId, e.marker]);
    if (!page.isTruncated) return out;
    // With encoding-type=url the markers come URL-encoded: send back the key itself.
    marker = { 'key-marker': decode(page.nextKeyMarker ?? ''), 'version-id-marker': page.nextVersionIdMarker ?? '' };
  }
}

describe('bucket versioning (ali-oss)', () => {
  let srv: TestServer;
  let admin: OSS;
  const client = (bucket: string): OSS => srv.client({ bucket });

  before(async () => {
    srv = await startTestServer();
    admin = srv.client();
  });
  after(async () => {
    await srv.stop();
  });

  it('PutBucketVersioning / GetBucketVersioning: none, Enabled, Suspended; bad statuses refused; never back to none', async () => {
    await admin.putBucket('ver-status');
    assert.equal((await x(admin).getBucketVersioning('ver-status')).versionStatus, undefined);
    await x(admin).putBucketVersioning('ver-status', 'Enabled');
    assert.equal((await x(admin).getBucketVersioning('ver-status')).versionStatus, 'Enabled');
    assert.match(((await admin.getBucketInfo('ver-status')) as unknown as { res: { data: Buffer } }).res.data.toString(), /<Versioning>Enabled<\/Versioning>/);
    await x(admin).putBucketVersioning('ver-status', 'Suspended');
    assert.equal((await x(admin).getBucketVersioning('ver-status')).versionStatus, 'Suspended');
    // ali-oss checks the status itself: raw requests for what it refuses to send.
    const c = client('ver-status');
    const putStatus = (status: string): Promise<RawResult> =>
      rawObjectRequest(c, 'PUT', '', {
        subres: { versioning: '' }, content: Buffer.from(`<VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>`), mime: 'xml', successStatuses: [400], xmlResponse: true,
      });
    // A status that is not Enabled/Suspended is MalformedXML (oss2 test_bucket_versioning_wrong sends `None` and
    // `Disabled` and expects oss2.exceptions.MalformedXml); an empty one InvalidArgument.
    for (const [bad, code, ec] of [['Disabled', 'MalformedXML', '0012-00000004'], ['None', 'MalformedXML', '0012-00000004'], ['Stop', 'MalformedXML', '0012-00000004'], ['enabled', 'MalformedXML', '0012-00000004'], ['', 'InvalidArgument', '0012-00000003']] as const) {
      const res = await putStatus(bad);
      assert.equal((res.data as { Code: string }).Code, code, bad);
      assert.equal((res.data as { EC: string }).EC, ec);
    }
    assert.equal((await x(admin).getBucketVersioning('ver-status')).versionStatus, 'Suspended', 'nothing half-applied');
    await expectOssError(x(admin).getBucketVersioning('no-such-ver-bucket'), 'NoSuchBucket', 404);
    const missing = await rawObjectRequest(srv.client({ bucket: 'no-such-ver-bucket' }), 'PUT', '', {
      subres: { versioning: '' }, content: Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>'), mime: 'xml', successStatuses: [404], xmlResponse: true,
    });
    assert.equal((missing.data as { Code: string }).Code, 'NoSuchBucket');
  });

  it('keeps every version of an overwritten key: x-oss-version-id, GET/HEAD/GetObjectMeta by versionId', async () => {
    await admin.putBucket('ver-basic');
    await x(admin).putBucketVersioning('ver-basic', 'Enabled');
    const c = client('ver-basic');
    const v1 = versionOf(await c.put('k', Buffer.from('one')));
    const v2 = versionOf(await c.put('k', Buffer.from('two!')));
    assert.ok(v1 && v2 && v1 !== v2, `distinct version ids: ${v1} ${v2}`);
    // 64 characters, as OSS's ids (the Java SDK's ObjectVersionTest asserts the length).
    assert.match(v1, /^[A-Za-z0-9_-]{64}$/);
    assert.equal(await text(c, 'k'), 'two!');
    assert.equal(await text(c, 'k', v1), 'one');
    const got = await c.get('k', { versionId: v1 } as OSS.GetObjectOptions);
    assert.equal(versionOf(got), v1);
    const head = await c.head('k', { versionId: v1 } as OSS.HeadObjectOptions);
    assert.equal(headersOf(head)['content-length'], '3');
    assert.equal(versionOf(head), v1);
    assert.equal(versionOf(await c.head('k')), v2);
    const meta = await x(c).getObjectMeta('k', { versionId: v1 });
    assert.equal(headersOf(meta)['content-length'], '3');
    assert.equal(versionOf(meta), v1);
    await expectOssError(c.get('k', { versionId: 'AAAAAAAAAAAAAAAAAAAAAA' } as OSS.GetObjectOptions), 'NoSuchVersion', 404);
    // A HEAD answer has no body: ali-oss names any 404 NoSuchKey; the code travels in x-oss-err.
    const headMiss = await raw(c, 'HEAD', 'k', { versionId: 'nope' }, [404]);
    assert.match(Buffer.from(headMiss.headers['x-oss-err'] ?? '', 'base64').toString(), /<Code>NoSuchVersion<\/Code>/);
    // ListObjects shows the current version only.
    const list = await c.list({ prefix: '' } as OSS.ListObjectsQuery, {});
    assert.deepEqual(list.objects.map((o) => [o.name, o.size]), [['k', 4]]);
    const versions = await x(c).getBucketVersions({});
    assert.deepEqual(versions.objects.map((o) => [o.name, o.versionId, o.isLatest, o.size, o.type]), [
      ['k', v2, true, 4, 'Normal'], ['k', v1, false, 3, 'Normal'],
    ]);
    // x-oss-forbid-overwrite is ignored on a versioned bucket (as OSS does): a new version.
    const v3 = versionOf(await c.put('k', Buffer.from('three'), { headers: { 'x-oss-forbid-overwrite': 'true' } }));
    assert.ok(v3 && v3 !== v2);
    assert.equal(await text(c, 'k'), 'three');
  });

  it('DeleteObject adds a delete marker (404 with x-oss-delete-marker, 405 by versionId); deleting versions for good promotes the next', async () => {
    await admin.putBucket('ver-delete');
    await x(admin).putBucketVersioning('ver-delete', 'Enabled');
    const c = client('ver-delete');
    const v1 = versionOf(await c.put('k', Buffer.from('one')))!;
    const v2 = versionOf(await c.put('k', Buffer.from('two')))!;
    const del = await c.delete('k');
    assert.equal(headersOf(del)['x-oss-delete-marker'], 'true');
    const marker = versionOf(del)!;
    assert.ok(marker && marker !== v2);
    await expectOssError(c.get('k'), 'NoSuchKey', 404);
    const miss = await raw(c, 'GET', 'k', {}, [404]);
    assert.equal(miss.headers['x-oss-delete-marker'], 'true');
    assert.equal(miss.headers['x-oss-version-id'], marker);
    const byId = await raw(c, 'GET', 'k', { versionId: marker }, [405]);
    assert.equal(byId.headers['x-oss-delete-marker'], 'true');
    assert.equal(byId.headers['x-oss-version-id'], marker);
    assert.match(String(byId.data), /MethodNotAllowed/);
    await expectOssError(c.head('k'), 'NoSuchKey', 404);
    assert.equal(await text(c, 'k', v1), 'one', 'older versions stay readable');
    assert.deepEqual((await c.list({ prefix: '' } as OSS.ListObjectsQuery, {})).objects ?? [], []);
    const listed = await x(c).getBucketVersions({});
    assert.deepEqual(listed.deleteMarker.map((d) => [d.name, d.versionId]), [['k', marker]]);
    assert.match((listed as unknown as { res: { data: Buffer } }).res.data.toString(), /<DeleteMarker><Key>k<\/Key><VersionId>[^<]+<\/VersionId><IsLatest>true<\/IsLatest>/);
    // The bucket holds versions: it cannot be deleted.
    await expectOssError(admin.deleteBucket('ver-delete'), 'BucketNotEmpty', 409);
    // Removing the marker brings the object back.
    const undo = await c.delete('k', { versionId: marker } as OSS.RequestOptions);
    assert.equal(headersOf(undo)['x-oss-delete-marker'], 'true');
    assert.equal(versionOf(undo), marker);
    assert.equal(await text(c, 'k'), 'two');
    // Removing the current version for good makes the previous one current.
    const gone = await c.delete('k', { versionId: v2 } as OSS.RequestOptions);
    assert.equal(headersOf(gone)['x-oss-delete-marker'], undefined);
    assert.equal(versionOf(gone), v2);
    assert.equal(await text(c, 'k'), 'one');
    // An unknown version: 204, nothing changes.
    await c.delete('k', { versionId: 'AAAAAAAAAAAAAAAAAAAAAA' } as OSS.RequestOptions);
    assert.equal(await text(c, 'k'), 'one');
    await c.delete('k', { versionId: v1 } as OSS.RequestOptions);
    assert.deepEqual((await x(c).getBucketVersions({})).objects, []);
    await admin.deleteBucket('ver-delete');
  });

  it('DeleteMultipleObjects with and without VersionId: DeleteMarker and DeleteMarkerVersionId', async () => {
    await admin.putBucket('ver-multi');
    await x(admin).putBucketVersioning('ver-multi', 'Enabled');
    const c = client('ver-multi');
    const a1 = versionOf(await c.put('a', Buffer.from('a1')))!;
    await c.put('a', Buffer.from('a2'));
    await c.put('b', Buffer.from('b1'));
    const res = await c.deleteMulti([{ key: 'a', versionId: a1 }, 'b'] as unknown as string[], { quiet: false });
    const body = (res as unknown as { res: { data: Buffer } }).res.data.toString();
    assert.match(body, new RegExp(`<Deleted><Key>a</Key><VersionId>${a1}</VersionId></Deleted>`));
    assert.match(body, /<Deleted><Key>b<\/Key><DeleteMarker>true<\/DeleteMarker><DeleteMarkerVersionId>[A-Za-z0-9_-]+<\/DeleteMarkerVersionId><\/Deleted>/);
    assert.equal(await text(c, 'a'), 'a2');
    await expectOssError(c.get('b'), 'NoSuchKey', 404);
    const versions = await allVersions(c, 100);
    assert.deepEqual(versions.map(([k, , m]) => [k, m]), [['a', false], ['b', true], ['b', false]]);
  });

  it('null version: objects from before versioning and while suspended; a suspended write replaces only the null version', async () => {
    await admin.putBucket('ver-null');
    const c = client('ver-null');
    const before = await c.put('k', Buffer.from('plain'));
    assert.equal(versionOf(before), undefined, 'no version header on a bucket that never had versioning');
    await x(admin).putBucketVersioning('ver-null', 'Enabled');
    assert.equal(versionOf(await c.head('k')), 'null');
    const v = versionOf(await c.put('k', Buffer.from('versioned')))!;
    assert.equal(await text(c, 'k', 'null'), 'plain');
    await x(admin).putBucketVersioning('ver-null', 'Suspended');
    assert.equal(versionOf(await c.put('k', Buffer.from('suspended'))), 'null');
    assert.equal(await text(c, 'k', 'null'), 'suspended', 'the old null version was replaced');
    assert.equal(await text(c, 'k', v), 'versioned', 'other versions stay');
    const again = await c.put('k', Buffer.from('again'));
    assert.equal(versionOf(again), 'null');
    assert.deepEqual((await allVersions(c, 10)).map(([, id]) => id), ['null', v]);
    // A suspended delete: a delete marker with the null version id, replacing the null version.
    const del = await c.delete('k');
    assert.deepEqual([headersOf(del)['x-oss-delete-marker'], versionOf(del)], ['true', 'null']);
    assert.deepEqual(await allVersions(c, 10), [['k', 'null', true], ['k', v, false]]);
  });

  it('CopyObject from a version (restoring it), UploadPartCopy from a version, multipart and append on a versioned bucket', async () => {
    await admin.putBucket('ver-copy');
    await x(admin).putBucketVersioning('ver-copy', 'Enabled');
    const c = client('ver-copy');
    const v1 = versionOf(await c.put('k', Buffer.from('first')))!;
    await c.put('k', Buffer.from('second'));
    const copied = await c.copy('k', 'k', { versionId: v1 } as unknown as OSS.CopyObjectOptions);
    assert.equal(headersOf(copied)['x-oss-copy-source-version-id'], v1);
    const restored = versionOf(copied)!;
    assert.ok(restored && restored !== v1);
    assert.equal(await text(c, 'k'), 'first');
    assert.equal((await allVersions(c, 10)).length, 3);
    // A copy naming no version still says which one it read: the current (the Go SDK's TestVersioningCopyObject).
    const plain = await c.copy('k-plain', 'k');
    assert.equal(headersOf(plain)['x-oss-copy-source-version-id'], restored);
    // Copy of a version to another key.
    await c.copy('other', 'k', { versionId: v1 } as unknown as OSS.CopyObjectOptions);
    assert.equal(await text(c, 'other'), 'first');
    // A source version that is a delete marker: 400.
    const marker = versionOf(await c.delete('gone-key'))!;
    await expectOssError(c.copy('x', 'gone-key', { versionId: marker } as unknown as OSS.CopyObjectOptions), 'InvalidArgument', 400);
    await expectOssError(c.copy('x', 'gone-key'), 'NoSuchKey', 404);
    // Multipart: the completed object is a new version; UploadPartCopy takes a version.
    const init = await c.initMultipartUpload('mp');
    const part = await rawObjectRequest(c, 'PUT', 'mp', {
      subres: { partNumber: '1', uploadId: init.uploadId },
      headers: { 'x-oss-copy-source': `/ver-copy/k?versionId=${encodeURIComponent(v1)}` },
    });
    assert.equal(part.headers['x-oss-copy-source-version-id'], v1);
    const done = await c.completeMultipartUpload('mp', init.uploadId, [{ number: 1, etag: part.headers.etag! }]);
    assert.ok(versionOf(done));
    assert.equal(await text(c, 'mp'), 'first');
    // Append changes the current Appendable version in place.
    const a1 = await c.append('log', Buffer.from('ab'));
    const appendVersion = versionOf(a1);
    assert.ok(appendVersion);
    const a2 = await c.append('log', Buffer.from('cd'), { position: '2' } as OSS.AppendObjectOptions);
    assert.equal(versionOf(a2), appendVersion);
    assert.equal(await text(c, 'log'), 'abcd');
    assert.equal((await allVersions(c, 100, { prefix: 'log' })).length, 1);
    // An Appendable object is not copied in a versioned bucket.
    await expectOssError(c.copy('log-copy', 'log'), 'InvalidArgument', 400);
  });

  it('ACL and tagging of one version, in place; GetSymlink by version', async () => {
    await admin.putBucket('ver-meta');
    await x(admin).putBucketVersioning('ver-meta', 'Enabled');
    const c = client('ver-meta');
    const v1 = versionOf(await c.put('k', Buffer.from('one')))!;
    const v2 = versionOf(await c.put('k', Buffer.from('two')))!;
    await c.putACL('k', 'public-read', { versionId: v1 } as OSS.RequestOptions);
    assert.equal((await c.getACL('k', { versionId: v1 } as OSS.RequestOptions)).acl, 'public-read');
    assert.equal((await c.getACL('k')).acl, 'default');
    await x(c).putObjectTagging('k', { t: 'old' }, { versionId: v1 });
    assert.deepEqual((await x(c).getObjectTagging('k', { versionId: v1 })).tag, { t: 'old' });
    assert.deepEqual((await x(c).getObjectTagging('k')).tag, {});
    await x(c).deleteObjectTagging('k', { versionId: v1 });
    assert.deepEqual((await x(c).getObjectTagging('k', { versionId: v1 })).tag, {});
    assert.deepEqual((await allVersions(c, 10)).map(([, id]) => id), [v2, v1], 'no version was added');
    const marker = versionOf(await c.delete('k'))!;
    await expectOssError(c.getACL('k', { versionId: marker } as OSS.RequestOptions), 'NoSuchKey', 404);
    const s1 = versionOf(await c.putSymlink('link', 'k'))!;
    await c.putSymlink('link', 'other');
    const sym = await c.getSymlink('link', { versionId: s1 } as OSS.RequestOptions);
    assert.equal(sym.targetName, 'k');
  });

  it('ListObjectVersions: prefix, delimiter, encoding-type, max-keys paging with key-marker and version-id-marker', async () => {
    await admin.putBucket('ver-list');
    await x(admin).putBucketVersioning('ver-list', 'Enabled');
    const c = client('ver-list');
    const keys = ['a', 'b/1', 'b/2', 'c', 'd\u0001e'];
    for (const k of keys) for (let i = 0; i < 3; i++) await c.put(k, Buffer.from(`${k}${i}`));
    await c.delete('c');
    const full = await allVersions(c, 1000, { 'encoding-type': 'url' });
    assert.equal(full.length, keys.length * 3 + 1);
    for (const size of [1, 2, 4, 7]) assert.deepEqual(await allVersions(c, size, { 'encoding-type': 'url' }), full, `max-keys ${size}`);
    const grouped = await x(c).getBucketVersions({ delimiter: '/', 'max-keys': 1000 });
    assert.deepEqual(grouped.prefixes, ['b/']);
    assert.equal(grouped.objects.filter((o) => o.name.startsWith('b/')).length, 0);
    const onlyB = await x(c).getBucketVersions({ prefix: 'b/', 'max-keys': 1000 });
    assert.equal(onlyB.objects.length, 6);
    const enc = await x(c).getBucketVersions({ prefix: 'd', 'encoding-type': 'url' });
    assert.equal(enc.objects[0]?.name, 'd%01e');
    const page = await x(c).getBucketVersions({ 'max-keys': 2 });
    assert.equal(page.isTruncated, true);
    assert.equal(page.nextKeyMarker, 'a');
    assert.ok(page.nextVersionIdMarker);
    await expectOssError(x(c).getBucketVersions({ 'version-id-marker': page.nextVersionIdMarker! }), 'InvalidArgument', 400);
    // A page that ends with a CommonPrefix still has a NextVersionIdMarker, empty (oss2 reads it whenever truncated).
    const query: Array<[string, string]> = [['versions', ''], ['delimiter', '/'], ['max-keys', '1'], ['key-marker', 'a']];
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
    headers.authorization = v1Authorization({ method: 'GET', bucket: 'ver-list', key: null, query, headers }, AK, SECRET).authorization;
    const byPrefix = await rawRequest(srv.port, { method: 'GET', path: `/ver-list/${queryString(query)}`, headers });
    const text = byPrefix.body.toString('utf8');
    assert.equal(byPrefix.status, 200, text);
    assert.match(text, /<IsTruncated>true<\/IsTruncated>/);
    assert.match(text, /<NextKeyMarker>b\/<\/NextKeyMarker><NextVersionIdMarker><\/NextVersionIdMarker>/);
    const after = await x(c).getBucketVersions({ delimiter: '/', 'max-keys': 1000, 'key-marker': 'b/', 'version-id-marker': '' });
    assert.ok(after.objects.every((o) => o.name > 'b/'));
    // oss2 test_list_object_versions_wrong: 1,025 characters of prefix, key-marker or delimiter are InvalidArgument.
    for (const name of ['prefix', 'key-marker', 'delimiter']) {
      const err = await expectOssError(x(c).getBucketVersions({ [name]: 'a'.repeat(1025) }), 'InvalidArgument', 400);
      assert.match(err.message, new RegExp(`^${name} must be at most 1024 bytes`));
    }
    assert.equal((await x(c).getBucketVersions({ prefix: 'a'.repeat(1024) })).objects.length, 0);
  });
});

const refused = (call: Promise<unknown>): Promise<unknown> => expectOssError(call, 'AccessDenied', 403);

describe('versioned requests need the …Version RAM actions', () => {
  let srv: TestServer;
  let ram: Ram;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    const admin = srv.client();
    await admin.putBucket('ver-ram');
    await x(admin).putBucketVersioning('ver-ram', 'Enabled');
  });
  after(async () => {
    await srv.stop();
  });

  it('GetObject without GetObjectVersion reads the current version only; DeleteObject without DeleteObjectVersion only adds markers', async () => {
    const admin = srv.client({ bucket: 'ver-ram' });
    const v1 = versionOf(await admin.put('k', Buffer.from('one')))!;
    await admin.put('k', Buffer.from('two'));
    const res = (a: string): string => `acs:oss:*:*:ver-ram/${a}`;
    const plain = await ram.userWith('plain-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:DeleteObject', 'oss:PutObjectTagging', 'oss:GetObjectTagging'], Resource: [res('*')] }));
    const pc = plain.oss('ver-ram');
    assert.equal(await text(pc, 'k'), 'two');
    await refused(pc.get('k', { versionId: v1 } as OSS.GetObjectOptions));
    await refused(pc.head('k', { versionId: v1 } as OSS.HeadObjectOptions));
    await refused(pc.delete('k', { versionId: v1 } as OSS.RequestOptions));
    await refused(pc.deleteMulti([{ key: 'k', versionId: v1 }] as unknown as string[]));
    await refused(x(pc).getObjectTagging('k', { versionId: v1 }));
    await refused(x(pc).putObjectTagging('k', { a: 'b' }, { versionId: v1 }));
    await refused(x(pc).getBucketVersions({}));
    // Copying a named source version needs GetObjectVersion on the source.
    await refused(pc.copy('copy', 'k', { versionId: v1 } as unknown as OSS.CopyObjectOptions));
    const versioned = await ram.userWith('version-reader', policyDoc(
      { Effect: 'Allow', Action: ['oss:GetObjectVersion', 'oss:DeleteObjectVersion'], Resource: [res('*')] },
      { Effect: 'Allow', Action: ['oss:ListObjectVersions'], Resource: ['acs:oss:*:*:ver-ram'] },
    ));
    const vc = versioned.oss('ver-ram');
    assert.equal(await text(vc, 'k', v1), 'one');
    assert.equal((await x(vc).getBucketVersions({})).objects.length, 2);
    await refused(vc.get('k'));
    await vc.delete('k', { versionId: v1 } as OSS.RequestOptions);
    assert.equal((await x(vc).getBucketVersions({})).objects.length, 1);
  });
});
