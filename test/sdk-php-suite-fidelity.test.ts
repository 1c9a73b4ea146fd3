// What the PHP SDK v1's integration tests (aliyun/aliyun-oss-php-sdk tests/OSS/Tests/OssClient*Test.php) expect of
// OSS: each request is built as src/OSS/OssClient.php builds it (path style to an IP endpoint, a `Date` header,
// V1-signed by src/OSS/Signer/SignerV1.php over its own list of sub-resources, the key rawurlencoded with `/` kept)
// and each answer checked for what the PHP test asserts, read as src/OSS/Result/*.php reads it.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { XMLParser } from 'fast-xml-parser';
import { errorOf, rawRequest } from './helpers/raw-http.js';

/** SignerV1::$signKeyList: the query keys the PHP SDK puts in the string it signs (no others, x-oss-* included). */
const PHP_SIGNED_KEYS = new Set(`acl uploads location cors logging website referer lifecycle delete append tagging objectMeta
uploadId partNumber security-token x-oss-security-token position img style styleName replication replicationProgress
replicationLocation cname bucketInfo comp qos live status vod startTime endTime symlink x-oss-process
response-content-type x-oss-traffic-limit response-content-language response-expires response-cache-control
response-content-disposition response-content-encoding udf udfName udfImage udfId udfImageDesc udfApplication
udfApplicationLog restore callback callback-var qosInfo policy stat encryption versions versioning versionId
requestPayment x-oss-request-payer sequential inventory inventoryId continuation-token asyncFetch worm wormId
wormExtend withHashContext x-oss-enable-md5 x-oss-enable-sha1 x-oss-enable-sha256 x-oss-hash-ctx x-oss-md5-ctx
transferAcceleration regionList cloudboxes x-oss-ac-source-ip x-oss-ac-subnet-mask x-oss-ac-vpc-id
x-oss-ac-forward-allow metaQuery resourceGroup rtc x-oss-async-process responseHeader`.split(/\s+/));

const phpRawUrlEncode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** OssUtil::encodePath / rawurlencode with `/` kept (RFC 3986: only unreserved characters stay). */
const phpEncodeKey = (key: string): string =>
  encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');

/** SignerV1::calcStringToSign and its HMAC: Content-MD5, Content-Type, the date slot, x-oss-* headers, the resource. */
function phpSignature(method: string, headers: Record<string, string>, dateSlot: string, bucket: string | null, key: string | undefined, query: Array<[string, string]>): string {
  const ossHeaders = Object.keys(headers).filter((h) => h.startsWith('x-oss-')).sort().map((h) => `${h}:${headers[h]}\n`).join('');
  const signed = query.filter(([k]) => PHP_SIGNED_KEYS.has(k)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const resource = `/${bucket === null ? '' : `${bucket}/${key ?? ''}`}${signed.length > 0 ? `?${signed.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}` : ''}`;
  const sts = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${dateSlot}\n${ossHeaders}${resource}`;
  return createHmac('sha1', SECRET).update(sts).digest('base64');
}

/** OssClient::signUrl / SignerV1::presign: the request's query plus OSSAccessKeyId, Expires, Signature; `headers` as signed. */
export function phpSignUrl(bucket: string, key: string, method: string, expires: number, query: Array<[string, string]> = [], headers: Record<string, string> = {}): string {
  const signature = phpSignature(method, headers, String(expires), bucket, key, query);
  const all: Array<[string, string]> = [...query, ['OSSAccessKeyId', AK], ['Expires', String(expires)], ['Signature', signature]];
  return `/${bucket}/${phpEncodeKey(key)}?${all.map(([k, v]) => `${phpRawUrlEncode(k)}=${phpRawUrlEncode(v)}`).join('&')}`;
}

export interface PhpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  err: Record<string, string> | null;
}

/** One request as OssClient::auth() sends it; a `query` value '' is a sub-resource (sent as `key=`, signed as `key`). */
export async function phpRequest(
  port: number,
  r: { method: string; bucket: string | null; key?: string; query?: Array<[string, string]>; headers?: Record<string, string>; body?: string | Buffer },
): Promise<PhpReply> {
  const query = r.query ?? [];
  // auth(): a Content-Type always (application/octet-stream unless set), the body's Content-MD5 whenever it sends one.
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, date: new Date().toUTCString(), 'content-type': 'application/octet-stream', ...(r.headers ?? {}) };
  const body = r.body ?? '';
  if (r.body !== undefined && headers['content-md5'] === undefined) headers['content-md5'] = createHash('md5').update(body).digest('base64');
  headers['content-length'] = String(Buffer.byteLength(body));
  // calcStringToSign: Content-MD5, Content-Type, Date, the x-oss-* headers sorted, the resource with the listed keys.
  headers.authorization = `OSS ${AK}:${phpSignature(r.method, headers, headers.date!, r.bucket, r.key, query)}`;
  // OssUtil::toQueryString: every pair `key=value`, an empty value too (`?acl=`), rawurlencoded.
  const qs = query.length > 0 ? `?${query.map(([k, v]) => `${phpRawUrlEncode(k)}=${phpRawUrlEncode(v)}`).join('&')}` : '';
  const path = r.bucket === null ? `/${qs}` : `/${r.bucket}/${r.key === undefined ? '' : phpEncodeKey(r.key)}${qs}`;
  const res = await rawRequest(port, { method: r.method, path, headers, body: r.body });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), err: errorOf(res) };
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const tags = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

describe('the PHP SDK v1 integration tests', () => {
  let srv: TestServer;
  const send = (r: Parameters<typeof phpRequest>[1]): Promise<PhpReply> => phpRequest(srv.port, r);
  const ok = (res: PhpReply, status = 200): PhpReply => {
    assert.equal(res.status, status, res.text.slice(0, 500));
    return res;
  };
  const fails = (res: PhpReply, status: number, code: string): void => {
    assert.equal(res.status, status, res.text.slice(0, 500));
    assert.equal(res.err?.Code, code, res.text.slice(0, 500));
  };
  /** OssUtil XML bodies: SimpleXMLElement::asXML, a declaration line first. */
  const xmlBody = (inner: string): string => `<?xml version="1.0" encoding="utf-8"?>\n${inner}\n`;
  const putVersioning = (bucket: string, status: string): Promise<PhpReply> =>
    send({ method: 'PUT', bucket, query: [['versioning', '']], headers: { 'content-type': 'application/xml' }, body: xmlBody(`<VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>`) });
  const header = (res: PhpReply, name: string): string | undefined => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('versions by id: meta, simplified meta, ACL, tagging, delete markers, restore (OssClientObjectVersioningTest testObjectBasic, testObjectRestore)', async () => {
    const B = 'php-versioning';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await putVersioning(B, 'Enabled'));
    const put = (body: string, tagging: string): Promise<PhpReply> =>
      send({ method: 'PUT', bucket: B, key: 'object', body, headers: { 'x-oss-object-acl': 'private', 'x-oss-tagging': tagging } });
    const v1 = header(ok(await put('hello', 'key1=value1')), 'x-oss-version-id')!;
    const v2 = header(ok(await put('hello world', 'key2=value2')), 'x-oss-version-id')!;
    assert.ok(v1 !== undefined && v2 !== undefined && v1 !== v2);
    const byId = (v: string): Array<[string, string]> => [['versionId', v]];
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'object', query: byId(v1) })).text, 'hello');
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key: 'object' })), 'x-oss-version-id'), v2);
    // getSimplifiedObjectMeta is a HEAD ?objectMeta in the PHP SDK.
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key: 'object', query: [['objectMeta', ''], ...byId(v1)] })), 'x-oss-version-id'), v1);
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, key: 'object', query: [['acl', ''], ...byId(v1)] })).text, 'Grant'), 'private');
    ok(await send({ method: 'PUT', bucket: B, key: 'object', query: [['acl', ''], ...byId(v1)], headers: { 'x-oss-object-acl': 'private' } }));
    ok(await send({ method: 'PUT', bucket: B, key: 'object', query: [['tagging', ''], ...byId(v1)], headers: { 'content-type': 'application/xml' }, body: xmlBody('<Tagging><TagSet><Tag><Key>key11</Key><Value>value11</Value></Tag></TagSet></Tagging>') }));
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, key: 'object', query: [['tagging', ''], ...byId(v1)] })).text, 'Key'), ['key11']);
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, key: 'object', query: [['tagging', '']] })).text, 'Key'), ['key2']);
    ok(await send({ method: 'DELETE', bucket: B, key: 'object', query: [['tagging', ''], ...byId(v1)] }), 204);
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, key: 'object', query: [['tagging', ''], ...byId(v1)] })).text, 'Key'), []);
    // deleteObject: a marker (x-oss-delete-marker true + its id); a version by id (its id, no marker header);
    // the marker by id (both headers), after which the object is back.
    const d = ok(await send({ method: 'DELETE', bucket: B, key: 'object' }), 204);
    assert.equal(header(d, 'x-oss-delete-marker'), 'true');
    const marker = header(d, 'x-oss-version-id')!;
    assert.equal((await send({ method: 'HEAD', bucket: B, key: 'object' })).status, 404);
    ok(await send({ method: 'HEAD', bucket: B, key: 'object', query: byId(v1) }));
    const d1 = ok(await send({ method: 'DELETE', bucket: B, key: 'object', query: byId(v1) }), 204);
    assert.equal(header(d1, 'x-oss-delete-marker'), undefined);
    assert.equal(header(d1, 'x-oss-version-id'), v1);
    const dm = ok(await send({ method: 'DELETE', bucket: B, key: 'object', query: byId(marker) }), 204);
    assert.equal(header(dm, 'x-oss-delete-marker'), 'true');
    assert.equal(header(dm, 'x-oss-version-id'), marker);
    ok(await send({ method: 'HEAD', bucket: B, key: 'object' }));
    // testObjectRestore: the Archive version by id is 403 InvalidObjectState to read; restoring the current
    // (Standard) version is 400 OperationNotSupported; the Archive one 202, then 409 RestoreAlreadyInProgress.
    const va = header(ok(await send({ method: 'PUT', bucket: B, key: 'retore-object', body: 'hello', headers: { 'x-oss-storage-class': 'Archive' } })), 'x-oss-version-id')!;
    ok(await send({ method: 'PUT', bucket: B, key: 'retore-object', body: 'hello world' }));
    fails(await send({ method: 'GET', bucket: B, key: 'retore-object', query: byId(va) }), 403, 'InvalidObjectState');
    fails(await send({ method: 'POST', bucket: B, key: 'retore-object', query: [['restore', '']] }), 400, 'OperationNotSupported');
    ok(await send({ method: 'POST', bucket: B, key: 'retore-object', query: [['restore', ''], ...byId(va)] }), 202);
    fails(await send({ method: 'POST', bucket: B, key: 'retore-object', query: [['restore', ''], ...byId(va)] }), 409, 'RestoreAlreadyInProgress');
  });

  it('ListObjectVersions with every parameter sent, empty ones as `key=`, paged one by one; DeleteMultipleObjects of versions (OssClientObjectVersioningTest testListObjects, testDeleteObjects)', async () => {
    const B = 'php-list-versions';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await putVersioning(B, 'Enabled'));
    const put = async (key: string): Promise<void> => void ok(await send({ method: 'PUT', bucket: B, key, body: 'content' }));
    const del = async (key: string): Promise<void> => void ok(await send({ method: 'DELETE', bucket: B, key }), 204);
    const n2 = (i: number): string => String(i).padStart(2, '0');
    for (let i = 0; i < 12; i++) { await put(`folder/${n2(i)}`); await put(`folder/${n2(i)}`); await del(`folder/${n2(i)}`); }
    for (let i = 0; i < 8; i++) { await put(`test/${n2(i)}`); await del(`test/${n2(i)}`); await put(`test/${n2(i)}`); }
    for (let i = 0; i < 5; i++) await put(`work/${n2(i)}`);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) await put(`sub++/${n2(i)}`);
    for (let i = 0; i < 2; i++) { await put(`file++${n2(i)}`); await del(`file++${n2(i)}`); }
    // listObjectVersions: encoding-type=url and delimiter (default '/'), prefix, max-keys (100), key-marker,
    // version-id-marker always, the empty ones as `name=`; keys are read back with rawurldecode.
    const list = (o: { delimiter?: string; prefix?: string; maxKeys?: string; keyMarker?: string; versionIdMarker?: string }): Promise<PhpReply> =>
      send({ method: 'GET', bucket: B, query: [['versions', ''], ['encoding-type', 'url'], ['delimiter', o.delimiter ?? '/'], ['prefix', o.prefix ?? ''], ['max-keys', o.maxKeys ?? '100'], ['key-marker', o.keyMarker ?? ''], ['version-id-marker', o.versionIdMarker ?? '']] });
    const blocks = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>(.*?)</${name}>`, 'gs'))].map((m) => m[1]!);
    const top = ok(await list({})).text;
    const versions = blocks(top, 'Version');
    const markers = blocks(top, 'DeleteMarker');
    assert.deepEqual(versions.map((v) => decodeURIComponent(tag(v, 'Key')!)), ['file++00', 'file++01']);
    assert.deepEqual(versions.map((v) => tag(v, 'IsLatest')), ['false', 'false']);
    assert.deepEqual(markers.map((v) => decodeURIComponent(tag(v, 'Key')!)), ['file++00', 'file++01']);
    assert.deepEqual(markers.map((v) => tag(v, 'IsLatest')), ['true', 'true']);
    assert.deepEqual(blocks(top, 'CommonPrefixes').map((p) => decodeURIComponent(tag(p, 'Prefix')!)), ['folder/', 'sub++/', 'test/', 'work/']);
    const folder = ok(await list({ delimiter: '', prefix: 'folder/', maxKeys: '1000' })).text;
    assert.equal(blocks(folder, 'Version').length, 24);
    assert.equal(blocks(folder, 'DeleteMarker').length, 12);
    let seen = 0;
    let keyMarker = '';
    let versionIdMarker = '';
    for (;;) {
      const page = ok(await list({ delimiter: '', keyMarker, maxKeys: '1', versionIdMarker })).text;
      const n = blocks(page, 'Version').length + blocks(page, 'DeleteMarker').length;
      assert.equal(n, 1);
      seen += n;
      keyMarker = decodeURIComponent(tag(page, 'NextKeyMarker') ?? '');
      versionIdMarker = tag(page, 'NextVersionIdMarker') ?? '';
      if (tag(page, 'IsTruncated') !== 'true') break;
    }
    assert.equal(seen, 12 * 3 + 8 * 3 + 5 + 3 * 3 + 2 * 2);
    // deleteObjectVersions without ids: markers made (DeleteMarker true, a DeleteMarkerVersionId, no VersionId).
    const deleteBody = (objs: Array<[string, string?]>): string =>
      xmlBody(`<Delete><Quiet>false</Quiet>${objs.map(([k, v]) => `<Object><Key>${k}</Key>${v === undefined ? '' : `<VersionId>${v}</VersionId>`}</Object>`).join('')}</Delete>`);
    const res = ok(await send({ method: 'POST', bucket: B, query: [['delete', '']], headers: { 'content-type': 'application/xml' }, body: deleteBody([['work/00'], ['work/01']]) })).text;
    const deleted = blocks(res, 'Deleted');
    assert.deepEqual(deleted.map((d) => tag(d, 'Key')), ['work/00', 'work/01']);
    for (const d of deleted) {
      assert.equal(tag(d, 'DeleteMarker'), 'true');
      assert.equal(tag(d, 'VersionId'), undefined);
      assert.ok((tag(d, 'DeleteMarkerVersionId') ?? '') !== '');
    }
  });

  it('multipart: copy ranges as the SDK writes them (`bytes=0-` for a whole copy), an empty part list, x-oss-complete-all with an empty body (OssClientMultipartUploadTest)', async () => {
    const B = 'php-multipart';
    ok(await send({ method: 'PUT', bucket: B }));
    const src = 'mpu/multipart-test.txt.copied';
    ok(await send({ method: 'PUT', bucket: B, key: src, body: '<?php hello world', headers: { 'content-type': 'text/plain' } }));
    // initiateMultipartUpload sends an empty body, so its Content-MD5 is that of no bytes.
    const init = async (key: string): Promise<string> => tag(ok(await send({ method: 'POST', bucket: B, key, query: [['uploads', '']], body: '', headers: { 'content-type': 'text/plain' } })).text, 'UploadId')!;
    const complete = (key: string, id: string, body: string, headers: Record<string, string> = {}): Promise<PhpReply> =>
      send({ method: 'POST', bucket: B, key, query: [['uploadId', id]], headers: { 'content-type': 'application/xml', ...headers }, body });
    for (const [range, expected] of [['bytes=0-', '<?php hello world'], ['bytes=0-3', '<?ph']] as const) {
      const key = 'mpu/multipart-test.txt';
      const id = await init(key);
      // uploadPartCopy: the source rawurlencoded whole (its `/` as %2F).
      const cp = ok(await send({ method: 'PUT', bucket: B, key, query: [['partNumber', '1'], ['uploadId', id]], headers: { 'x-oss-copy-source': `/${B}/${phpRawUrlEncode(src)}`, 'x-oss-copy-source-range': range } }));
      ok(await complete(key, id, xmlBody(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${tag(cp.text, 'ETag')}</ETag></Part></CompleteMultipartUpload>`)));
      assert.equal(ok(await send({ method: 'GET', bucket: B, key })).text, expected);
    }
    // testCompleteMultipartUploadWithEmptyArray: SimpleXMLElement writes the empty list as a self-closed element.
    ok(await complete('multipart-test-complete.txt', await init('multipart-test-complete.txt'), xmlBody('<CompleteMultipartUpload/>')));
    // testCompleteMultipartUploadWithNull: no list, `x-oss-complete-all: yes`, an empty body (and its Content-MD5).
    const id = await init('mpu/all.txt');
    ok(await send({ method: 'PUT', bucket: B, key: 'mpu/all.txt', query: [['partNumber', '1'], ['uploadId', id]], body: 'abcd' }));
    ok(await complete('mpu/all.txt', id, '', { 'x-oss-forbid-overwrite': 'false', 'x-oss-complete-all': 'yes' }));
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'mpu/all.txt' })).text, 'abcd');
    // ContentTypeTest: the type given at initiation (from the file's or key's extension) is the object's, though
    // every part goes as application/octet-stream and the completion as application/xml.
    const typed = await init('test/y.json');
    ok(await send({ method: 'PUT', bucket: B, key: 'test/y.json', query: [['partNumber', '1'], ['uploadId', typed]], body: 'x'.repeat(100) }));
    ok(await complete('test/y.json', typed, '', { 'x-oss-complete-all': 'yes' }));
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key: 'test/y.json' })), 'content-type'), 'text/plain');
  });

  it('a bucket created with its encryption headers answers them in GetBucketEncryption; HEAD of the bucket names its region (OssClientBucketTest testBucketWithServerEncryption, testBucket)', async () => {
    const B = 'php-bucket-sse';
    const cases: Array<[Record<string, string>, Record<string, string | undefined>]> = [
      [{ 'x-oss-server-side-encryption': 'AES256' }, { SSEAlgorithm: 'AES256', KMSMasterKeyID: undefined }],
      [{ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4' }, { SSEAlgorithm: 'KMS', KMSDataEncryption: 'SM4' }],
      [{ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-data-encryption': 'SM4', 'x-oss-server-side-encryption-key-id': 'kms-id' }, { SSEAlgorithm: 'KMS', KMSDataEncryption: 'SM4', KMSMasterKeyID: 'kms-id' }],
    ];
    for (const [headers, expected] of cases) {
      ok(await send({ method: 'PUT', bucket: B, headers: { 'x-oss-acl': 'public-read-write', ...headers } }));
      const rule = ok(await send({ method: 'GET', bucket: B, query: [['encryption', '']] })).text;
      for (const [name, value] of Object.entries(expected)) assert.equal(tag(rule, name), value, `${name} in ${rule}`);
      ok(await send({ method: 'DELETE', bucket: B }), 204);
    }
    ok(await send({ method: 'PUT', bucket: B }));
    const location = tag(ok(await send({ method: 'GET', bucket: B, query: [['location', '']] })).text, 'LocationConstraint');
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B })), 'x-oss-bucket-region'), location);
  });

  it('objects: curl\'s Accept-Encoding gets text gzip-compressed, copy onto itself takes the new headers, appends keep the first one\'s headers, unparsable conditions are ignored (OssClientObjectTest, OssClientSignatureV4Test)', async () => {
    const B = 'php-object';
    ok(await send({ method: 'PUT', bucket: B }));
    const key = 'oss-php-sdk-test/upload-test-object-name.txt';
    const content = '<?php\n' + 'x'.repeat(30000);
    ok(await send({ method: 'PUT', bucket: B, key, body: content, headers: { 'content-type': 'text/plain', expires: 'Fri, 28 Feb 2020 05:38:42 GMT', 'cache-control': 'no-cache', 'content-disposition': 'attachment;filename=oss_download.log', 'content-language': 'zh-CN', 'x-oss-server-side-encryption': 'AES256', 'x-oss-meta-self-define-title': 'user define meta info' } }));
    // RequestCore sets CURLOPT_ENCODING '', so curl offers every coding it decodes.
    const meta = ok(await send({ method: 'HEAD', bucket: B, key, headers: { 'accept-encoding': 'deflate, gzip' } }));
    assert.equal(header(meta, 'content-type'), 'text/plain');
    assert.equal(header(meta, 'vary'), 'Accept-Encoding');
    assert.equal(header(meta, 'content-encoding'), 'gzip');
    assert.equal(header(meta, 'content-length'), undefined);
    // getObject's OSS_LAST_MODIFIED / OSS_ETAG of "xx": If-Modified-Since / If-None-Match that read as nothing.
    assert.equal(ok(await send({ method: 'GET', bucket: B, key, headers: { 'if-modified-since': 'xx' } })).text, content);
    assert.equal(ok(await send({ method: 'GET', bucket: B, key, headers: { 'if-none-match': 'xx' } })).text, content);
    assert.equal(ok(await send({ method: 'GET', bucket: B, key, headers: { range: 'bytes=0-4' } }), 206).text, '<?php');
    // copyObject onto itself with new headers (no directive): the headers are the object's after.
    const copied = ok(await send({ method: 'PUT', bucket: B, key, headers: { 'x-oss-copy-source': `/${B}/${phpRawUrlEncode(key)}`, expires: '2012-10-01 08:00:00', 'content-disposition': 'attachment; filename="xxxxxx"' } }));
    assert.equal(tag(copied.text, 'LastModified')?.length, '2016-11-21T03:46:58.000Z'.length);
    assert.equal(tag(copied.text, 'ETag')?.length, '"5B3C1A2E053D763E1B002CC607C5A0FE"'.length);
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key })), 'content-disposition'), 'attachment; filename="xxxxxx"');
    // getSimplifiedObjectMeta: size, ETag, Last-Modified, not the object's other headers.
    const simple = ok(await send({ method: 'HEAD', bucket: B, key, query: [['objectMeta', '']] }));
    assert.equal(header(simple, 'content-length'), String(content.length));
    assert.equal(header(simple, 'content-disposition'), undefined);
    assert.ok(header(simple, 'etag') !== undefined && header(simple, 'last-modified') !== undefined);
    // appendObject with headers on the first append only.
    const app = 'oss-php-sdk-test/append-test-object-name.txt';
    const a1 = ok(await send({ method: 'POST', bucket: B, key: app, query: [['append', ''], ['position', '0']], body: 'Hello OSS, ', headers: { 'content-type': 'text/plain', expires: '2012-10-01 08:00:00', 'content-disposition': 'attachment; filename="xxxxxx"' } }));
    ok(await send({ method: 'POST', bucket: B, key: app, query: [['append', ''], ['position', header(a1, 'x-oss-next-append-position')!]], body: 'Hi OSS.', headers: { 'content-type': 'text/plain' } }));
    const am = ok(await send({ method: 'HEAD', bucket: B, key: app }));
    assert.equal(header(am, 'content-disposition'), 'attachment; filename="xxxxxx"');
    assert.equal(header(am, 'x-oss-next-append-position'), String('Hello OSS, Hi OSS.'.length));
    // deleteObjects quiet: nothing listed.
    const quiet = ok(await send({ method: 'POST', bucket: B, query: [['delete', '']], headers: { 'content-type': 'application/xml' }, body: xmlBody(`<Delete><Quiet>true</Quiet><Object><Key>${key}</Key></Object><Object><Key>nope</Key></Object></Delete>`) }));
    assert.equal(quiet.text.includes('<Deleted>'), false);
    assert.equal((await send({ method: 'HEAD', bucket: B, key })).status, 404);
  });

  it('storage classes and restore; presigned URLs as SignerV1::presign builds them, callbacks in the query too (OssClientRestoreObjectTest, OssClientSignatureTest, OssClientPresignTest)', async () => {
    const ia = 'ia-php-restore';
    const archive = 'archive-php-restore';
    const cfg = (c: string): string => xmlBody(`<CreateBucketConfiguration><StorageClass>${c}</StorageClass></CreateBucketConfiguration>`);
    ok(await send({ method: 'PUT', bucket: ia, headers: { 'x-oss-acl': 'private' }, body: cfg('IA') }));
    ok(await send({ method: 'PUT', bucket: archive, headers: { 'x-oss-acl': 'private' }, body: cfg('Archive') }));
    ok(await send({ method: 'PUT', bucket: ia, key: 'storage-object', body: 'testcontent' }));
    fails(await send({ method: 'POST', bucket: ia, key: 'storage-object', query: [['restore', '']] }), 400, 'OperationNotSupported');
    assert.equal((await send({ method: 'POST', bucket: ia, key: 'null-object', query: [['restore', '']] })).status, 404);
    ok(await send({ method: 'PUT', bucket: archive, key: 'storage-object', body: 'testcontent' }));
    fails(await send({ method: 'GET', bucket: archive, key: 'storage-object' }), 403, 'InvalidObjectState');
    ok(await send({ method: 'POST', bucket: archive, key: 'storage-object', query: [['restore', '']] }), 202);
    fails(await send({ method: 'POST', bucket: archive, key: 'storage-object', query: [['restore', '']] }), 409, 'RestoreAlreadyInProgress');

    const expires = Math.floor(Date.now() / 1000) + 3600;
    const host = { host: `127.0.0.1:${srv.port}` };
    const put = await rawRequest(srv.port, { method: 'PUT', path: phpSignUrl(ia, 'a.file', 'PUT', expires, [], { 'content-type': 'txt' }), headers: { ...host, 'content-type': 'txt', 'content-length': '6' }, body: 'hi oss' });
    assert.equal(put.status, 200, put.body.toString());
    const get = await rawRequest(srv.port, { method: 'GET', path: phpSignUrl(ia, 'a.file', 'GET', expires, [['response-content-disposition', 'attachment']]), headers: host });
    assert.equal(get.status, 200, get.body.toString());
    assert.equal(get.body.toString(), 'hi oss');
    assert.equal(get.headers['content-disposition'], 'attachment');
    // testPutObjectWithQueryCallback: callback and callback-var as signed query parameters, or as headers; a
    // callback that fails is 203 CallbackFailed (this server refuses the URL, the cloud could not reach it).
    const callback = Buffer.from('{"callbackUrl":"http://aliyun.com", "callbackBody":"bucket=${bucket}&object=${object}"}').toString('base64');
    const vars = Buffer.from('{\n        "x:var1":"value1",\n        "x:var2":"value2"\n    }').toString('base64');
    const inQuery = await rawRequest(srv.port, { method: 'PUT', path: phpSignUrl(ia, 'a.file', 'PUT', expires, [['callback', callback], ['callback-var', vars]]), headers: { ...host, 'content-length': '2' }, body: 'hi' });
    assert.equal(inQuery.status, 203, inQuery.body.toString());
    assert.equal(errorOf(inQuery)?.Code, 'CallbackFailed');
    const cbHeaders = { 'x-oss-callback': callback, 'x-oss-callback-var': vars };
    const inHeaders = await rawRequest(srv.port, { method: 'PUT', path: phpSignUrl(ia, 'a.file', 'PUT', expires, [], cbHeaders), headers: { ...host, ...cbHeaders, 'content-length': '2' }, body: 'hi' });
    assert.equal(inHeaders.status, 203, inHeaders.body.toString());
  });

  it('bucket configurations through the sub-resources the PHP SDK leaves unsigned (bucketArchiveDirectRead, accessmonitor) and signs (resourceGroup), tags deleted by key, replication with its RTC and progress (OssClientBucketArchiveDirectReadTest, OssClientBucketAccessMonitorTest, OssClientBucketReplicationTest)', async () => {
    const B = 'php-configs';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await send({ method: 'PUT', bucket: `${B}desc` }));
    const putXml = (query: Array<[string, string]>, inner: string, method = 'PUT'): Promise<PhpReply> =>
      send({ method, bucket: B, query, headers: { 'content-type': 'application/xml' }, body: xmlBody(inner) });
    // Archive direct read: false on a new bucket, then as put.
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['bucketArchiveDirectRead', '']] })).text, 'Enabled'), 'false');
    ok(await putXml([['bucketArchiveDirectRead', '']], '<ArchiveDirectReadConfiguration><Enabled>true</Enabled></ArchiveDirectReadConfiguration>'));
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['bucketArchiveDirectRead', '']] })).text, 'Enabled'), 'true');
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['resourceGroup', '']] })).text, 'ResourceGroupId'), 'rg-default-id');
    // testBucketAccessMonitorWithLifeRule: an access-time rule needs the monitor, which cannot be turned off under it.
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['accessmonitor', '']] })).text, 'Status'), 'Disabled');
    ok(await putXml([['accessmonitor', '']], '<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>'));
    ok(await putXml([['lifecycle', '']], '<LifecycleConfiguration><Rule><ID>rule7</ID><Prefix>logs7/</Prefix><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit></NoncurrentVersionTransition></Rule></LifecycleConfiguration>'));
    assert.equal((await putXml([['accessmonitor', '']], '<AccessMonitorConfiguration><Status>Disabled</Status></AccessMonitorConfiguration>')).status, 400);
    ok(await send({ method: 'DELETE', bucket: B, query: [['lifecycle', '']] }), 204);
    ok(await putXml([['accessmonitor', '']], '<AccessMonitorConfiguration><Status>Disabled</Status></AccessMonitorConfiguration>'));
    // deleteBucketTags with tags: `?tagging=key1,key2` removes those only.
    ok(await putXml([['tagging', '']], '<Tagging><TagSet><Tag><Key>key1</Key><Value>value1</Value></Tag><Tag><Key>key2</Key><Value>value2</Value></Tag><Tag><Key>key3</Key><Value>value3</Value></Tag></TagSet></Tagging>'));
    ok(await send({ method: 'DELETE', bucket: B, query: [['tagging', 'key1,key2']] }), 204);
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, query: [['tagging', '']] })).text, 'Key'), ['key3']);
    // OssClientBucketStyleTest: styles read back with their times, listed in the order put, then none.
    for (const [name, content] of [['image-style', 'image/resize,w_100'], ['image-style1', 'image/resize,w_1200']]) {
      ok(await putXml([['style', ''], ['styleName', name!]], `<Style><Content>${content}</Content></Style>`));
    }
    const style = ok(await send({ method: 'GET', bucket: B, query: [['style', ''], ['styleName', 'image-style']] })).text;
    assert.deepEqual([tag(style, 'Name'), tag(style, 'Content')], ['image-style', 'image/resize,w_100']);
    assert.ok((tag(style, 'CreateTime') ?? '') !== '' && (tag(style, 'LastModifyTime') ?? '') !== '');
    const styles = ok(await send({ method: 'GET', bucket: B, query: [['style', '']] })).text;
    assert.deepEqual(tags(styles, 'Name'), ['image-style', 'image-style1']);
    assert.deepEqual(tags(styles, 'Content'), ['image/resize,w_100', 'image/resize,w_1200']);
    for (const name of ['image-style', 'image-style1']) ok(await send({ method: 'DELETE', bucket: B, query: [['style', ''], ['styleName', name]] }), 204);
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, query: [['style', '']] })).text, 'Name'), []);
    // OssClientBucketLoggingTest: LoggingConfig read back as put, then something else after the delete.
    ok(await putXml([['logging', '']], `<BucketLoggingStatus><LoggingEnabled><TargetBucket>${B}</TargetBucket><TargetPrefix>prefix</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`));
    const logging = ok(await send({ method: 'GET', bucket: B, query: [['logging', '']] })).text;
    assert.deepEqual([tag(logging, 'TargetBucket'), tag(logging, 'TargetPrefix')], [B, 'prefix']);
    ok(await send({ method: 'DELETE', bucket: B, query: [['logging', '']] }), 204);
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['logging', '']] })).text, 'TargetBucket'), undefined);
    // ReplicationRule::appendToXml's order; the rule id read back drives RTC, progress and the delete.
    ok(await putXml([['comp', 'add'], ['replication', '']], `<ReplicationConfiguration><Rule><PrefixSet><Prefix>prefix_5</Prefix><Prefix>prefix_6</Prefix></PrefixSet><Action>PUT</Action><Destination><Bucket>${B}desc</Bucket><Location>oss-cn-hangzhou</Location><TransferType>internal</TransferType></Destination><HistoricalObjectReplication>enabled</HistoricalObjectReplication><SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects></SourceSelectionCriteria><SyncRole>aliyunramrole</SyncRole><EncryptionConfiguration><ReplicaKmsKeyID>c4d49f85-ee30-426b-a5ed-95e9139d</ReplicaKmsKeyID></EncryptionConfiguration></Rule></ReplicationConfiguration>`, 'POST'));
    const id = tag(ok(await send({ method: 'GET', bucket: B, query: [['replication', '']] })).text, 'ID')!;
    assert.ok(id !== undefined && id !== '');
    ok(await putXml([['rtc', '']], `<ReplicationRule><RTC><Status>disabled</Status></RTC><ID>${id}</ID></ReplicationRule>`));
    ok(await send({ method: 'GET', bucket: B, query: [['replicationLocation', '']] }));
    assert.equal(tag(ok(await send({ method: 'GET', bucket: B, query: [['replicationProgress', ''], ['rule-id', id]] })).text, 'ID'), id);
    ok(await putXml([['comp', 'delete'], ['replication', '']], `<ReplicationRules><ID>${id}</ID></ReplicationRules>`, 'POST'));
  });

  it('lifecycle rules read back as put: days, dates, tags, transitions with access time, a Filter with Not (OssClientBucketLifecycleTest)', async () => {
    const B = 'php-lifecycle';
    ok(await send({ method: 'PUT', bucket: B }));
    // testLifeRuleWithAccessTime turns access tracking on first.
    ok(await send({ method: 'PUT', bucket: B, query: [['accessmonitor', '']], headers: { 'content-type': 'application/xml' }, body: xmlBody('<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>') }));
    const bodies = [
      '<LifecycleConfiguration><Rule><ID>delete obsoleted files</ID><Prefix>obsoleted/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule><Rule><ID>delete temporary files</ID><Prefix>temporary/</Prefix><Status>Enabled</Status><Expiration><Date>2022-10-12T00:00:00.000Z</Date></Expiration></Rule></LifecycleConfiguration>',
      '<LifecycleConfiguration><Rule><ID>rule1</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration><AbortMultipartUpload><Days>1</Days></AbortMultipartUpload></Rule><Rule><ID>rule2</ID><Prefix>logs2/</Prefix><Status>Enabled</Status><Expiration><Days>180</Days></Expiration><Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>60</Days><StorageClass>Archive</StorageClass></Transition></Rule><Rule><ID>rule3</ID><Prefix>logs3/</Prefix><Status>Enabled</Status><Expiration><CreatedBeforeDate>2017-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration><AbortMultipartUpload><CreatedBeforeDate>2017-01-01T00:00:00.000Z</CreatedBeforeDate></AbortMultipartUpload></Rule><Rule><ID>rule4</ID><Prefix>logs4/</Prefix><Status>Enabled</Status><Tag><Key>key1</Key><Value>val1</Value></Tag><Tag><Key>key12</Key><Value>val12</Value></Tag><Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition></Rule></LifecycleConfiguration>',
      '<LifecycleConfiguration><Rule><ID>rule6</ID><Prefix>logs6/</Prefix><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>false</ReturnToStdWhenVisit></Transition></Rule><Rule><ID>rule7</ID><Prefix>logs7/</Prefix><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit></NoncurrentVersionTransition></Rule></LifecycleConfiguration>',
      '<LifecycleConfiguration><Rule><ID>rule-filter</ID><Prefix>logs</Prefix><Status>Enabled</Status><Filter><Not><Prefix>logs1/</Prefix><Tag><Key>key1</Key><Value>val1</Value></Tag></Not></Filter><Expiration><Days>100</Days></Expiration><Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition></Rule></LifecycleConfiguration>',
    ];
    // LifecycleConfig parses GetBucketLifecycle's answer and must serialize it back as it was put: the same
    // elements and values, none added (their order is the SDK's own on the way back).
    const parse = (xml: string): unknown => new XMLParser({ parseTagValue: false, ignoreDeclaration: true }).parse(xml);
    for (const b of bodies) {
      ok(await send({ method: 'PUT', bucket: B, query: [['lifecycle', '']], headers: { 'content-type': 'application/xml' }, body: xmlBody(b) }));
      assert.deepEqual(parse(ok(await send({ method: 'GET', bucket: B, query: [['lifecycle', '']] })).text), parse(b));
    }
    // After DeleteBucketLifecycle the SDK takes the 404 as an empty configuration.
    ok(await send({ method: 'DELETE', bucket: B, query: [['lifecycle', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, query: [['lifecycle', '']] }), 404, 'NoSuchLifecycle');
  });

  it('CORS rules read back as put, duplicates and ResponseVary kept; referer lists with the AllowTruncateQueryString default (OssClientBucketCorsTest, OssClientBucketRefererTest)', async () => {
    const B = 'php-cors-referer';
    ok(await send({ method: 'PUT', bucket: B }));
    const parse = (xml: string): unknown => new XMLParser({ parseTagValue: false, ignoreDeclaration: true }).parse(xml);
    const putXml = (sub: string, inner: string): Promise<PhpReply> =>
      send({ method: 'PUT', bucket: B, query: [[sub, '']], headers: { 'content-type': 'application/xml' }, body: xmlBody(inner) });
    // CorsRule keeps what it is given, repeated values too, and CorsConfig compares its XML before and after.
    const cors = '<CORSConfiguration><CORSRule><AllowedOrigin>http://www.b.com</AllowedOrigin><AllowedOrigin>http://www.a.com</AllowedOrigin><AllowedOrigin>http://www.a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedHeader>x-oss-test</AllowedHeader><AllowedHeader>x-oss-test2</AllowedHeader><AllowedHeader>x-oss-test2</AllowedHeader><AllowedHeader>x-oss-test3</AllowedHeader><ExposeHeader>x-oss-test1</ExposeHeader><ExposeHeader>x-oss-test1</ExposeHeader><ExposeHeader>x-oss-test2</ExposeHeader><MaxAgeSeconds>10</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>http://www.b.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-oss-test</AllowedHeader><ExposeHeader>x-oss-test1</ExposeHeader><MaxAgeSeconds>110</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>';
    ok(await putXml('cors', cors));
    assert.deepEqual(parse(ok(await send({ method: 'GET', bucket: B, query: [['cors', '']] })).text), parse(cors));
    ok(await send({ method: 'PUT', bucket: B, key: 'cors/test.txt', body: 'x', headers: { 'content-type': 'text/plain' } }));
    const preflight = ok(await send({ method: 'OPTIONS', bucket: B, key: 'cors/test.txt', headers: { origin: 'http://www.a.com', 'access-control-request-method': 'GET' } }));
    assert.equal(header(preflight, 'access-control-allow-origin'), 'http://www.a.com');
    ok(await send({ method: 'DELETE', bucket: B, query: [['cors', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, query: [['cors', '']] }), 404, 'NoSuchCORSConfiguration');

    // RefererConfig reads AllowEmptyReferer, AllowTruncateQueryString when present, RefererList and a
    // RefererBlacklist with Referer entries; a config put without AllowTruncateQueryString reads back true.
    const referer = async (): Promise<{ empty?: string; truncate?: string; list: string[]; black: string[] }> => {
      const xml = ok(await send({ method: 'GET', bucket: B, query: [['referer', '']] })).text;
      const list = /<RefererList>(.*?)<\/RefererList>/s.exec(xml)?.[1] ?? '';
      const black = /<RefererBlacklist>(.*?)<\/RefererBlacklist>/s.exec(xml)?.[1] ?? '';
      return { empty: tag(xml, 'AllowEmptyReferer'), truncate: tag(xml, 'AllowTruncateQueryString'), list: tags(list, 'Referer'), black: tags(black, 'Referer') };
    };
    const initial = await referer();
    ok(await putXml('referer', '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>http://www.aliyun.com</Referer></RefererList></RefererConfiguration>'));
    assert.deepEqual(await referer(), { empty: 'true', truncate: 'true', list: ['http://www.aliyun.com'], black: [] });
    ok(await putXml('referer', '<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><AllowTruncateQueryString>false</AllowTruncateQueryString><RefererList><Referer>http://www.aliyun.com</Referer></RefererList><RefererBlacklist><Referer>http://www.refuse.com</Referer><Referer>https://www.refuse.com</Referer></RefererBlacklist></RefererConfiguration>'));
    assert.deepEqual(await referer(), { empty: 'false', truncate: 'false', list: ['http://www.aliyun.com'], black: ['http://www.refuse.com', 'https://www.refuse.com'] });
    // An empty RefererConfig put reads back as a new bucket's.
    ok(await putXml('referer', '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></RefererConfiguration>'));
    assert.deepEqual(await referer(), initial);
  });

  it('an inventory with every Filter field, put, read, listed and deleted by id (OssClientBucketInventoryTest)', async () => {
    const B = 'php-inventory';
    ok(await send({ method: 'PUT', bucket: B }));
    const config = (storageClasses: string): string =>
      `<InventoryConfiguration><Id>report2</Id><IsEnabled>true</IsEnabled><Destination><OSSBucketDestination><Format>CSV</Format><AccountId>${ACCOUNT_ID}</AccountId><RoleArn>acs:ram::${ACCOUNT_ID}:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${B}</Bucket><Prefix>prefix1</Prefix></OSSBucketDestination></Destination><Schedule><Frequency>Daily</Frequency></Schedule><Filter><Prefix>filterPrefix/</Prefix><LastModifyBeginTimeStamp>1637883649</LastModifyBeginTimeStamp><LastModifyEndTimeStamp>1638347592</LastModifyEndTimeStamp><LowerSizeBound>1024</LowerSizeBound><UpperSizeBound>1048576</UpperSizeBound><StorageClass>${storageClasses}</StorageClass></Filter><IncludedObjectVersions>All</IncludedObjectVersions><OptionalFields><Field>Size</Field><Field>LastModifiedDate</Field><Field>ETag</Field><Field>StorageClass</Field><Field>IsMultipartUploaded</Field><Field>EncryptionStatus</Field></OptionalFields></InventoryConfiguration>`;
    const byId: Array<[string, string]> = [['inventory', ''], ['inventoryId', 'report2']];
    ok(await send({ method: 'PUT', bucket: B, query: byId, headers: { 'content-type': 'application/xml' }, body: xmlBody(config('Standard,IA')) }));
    const parse = (xml: string): unknown => new XMLParser({ parseTagValue: false, ignoreDeclaration: true }).parse(xml);
    // The StorageClass list comes back in name order, as OSS answers it (oss2's test_bucket_inventory_filter).
    assert.deepEqual(parse(ok(await send({ method: 'GET', bucket: B, query: byId })).text), parse(config('IA,Standard')));
    assert.deepEqual(tags(ok(await send({ method: 'GET', bucket: B, query: [['inventory', '']] })).text, 'Id'), ['report2']);
    ok(await send({ method: 'DELETE', bucket: B, query: byId }), 204);
    fails(await send({ method: 'GET', bucket: B, query: byId }), 404, 'NoSuchInventory');
  });

  it('website configurations read back as the SDK\'s WebsiteConfig re-serializes them: mirror rules with headers, AliCDN and External redirects (OssClientBucketWebsiteTest)', async () => {
    const B = 'php-website';
    ok(await send({ method: 'PUT', bucket: B }));
    const parse = (xml: string): unknown => new XMLParser({ parseTagValue: false, ignoreDeclaration: true }).parse(xml);
    const mirrorHeaders = (sets: number): string => `<MirrorHeaders><PassAll>true</PassAll><Pass>cache-control-one</Pass><Pass>pass-one</Pass><Remove>remove-one</Remove><Remove>test-two</Remove><Set><Key>key1</Key><Value>val1</Value></Set>${sets > 1 ? '<Set><Key>key2</Key><Value>val2</Value></Set>' : ''}</MirrorHeaders>`;
    const docs = '<IndexDocument><Suffix>index.html</Suffix><SupportSubDir>false</SupportSubDir><Type>0</Type></IndexDocument><ErrorDocument><Key>error.html</Key><HttpStatus>404</HttpStatus></ErrorDocument>';
    const mirror = (prefix: string, sets: number, replace: string): string => `<RoutingRule><RuleNumber>1</RuleNumber><Condition><KeyPrefixEquals>${prefix}</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><RedirectType>Mirror</RedirectType><PassQueryString>true</PassQueryString><MirrorURL>https://www.example.com/</MirrorURL><MirrorPassQueryString>true</MirrorPassQueryString><MirrorFollowRedirect>true</MirrorFollowRedirect><MirrorCheckMd5>true</MirrorCheckMd5>${mirrorHeaders(sets)}<EnableReplacePrefix>${replace}</EnableReplacePrefix></Redirect></RoutingRule>`;
    const configs = [
      '<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key></ErrorDocument></WebsiteConfiguration>',
      `<WebsiteConfiguration>${docs}<RoutingRules>${mirror('abc', 2, 'false')}</RoutingRules></WebsiteConfiguration>`,
      `<WebsiteConfiguration>${docs}<RoutingRules>${mirror('examplebucket', 1, 'true')}<RoutingRule><RuleNumber>2</RuleNumber><Condition><KeyPrefixEquals>abc/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals><IncludeHeader><Key>host_two</Key><Equals>demo.oss-cn-beijing-internal.aliyuncs.com</Equals></IncludeHeader><IncludeHeader><Key>host_two</Key><Equals>demo.oss-cn-beijing-internal.aliyuncs.com</Equals></IncludeHeader></Condition><Redirect><RedirectType>AliCDN</RedirectType><Protocol>http</Protocol><PassQueryString>false</PassQueryString><EnableReplacePrefix>false</EnableReplacePrefix><HttpRedirectCode>301</HttpRedirectCode></Redirect></RoutingRule><RoutingRule><RuleNumber>3</RuleNumber><Condition><KeyPrefixEquals>abc/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><RedirectType>External</RedirectType><Protocol>https</Protocol><HostName>demo.com</HostName><PassQueryString>false</PassQueryString><EnableReplacePrefix>false</EnableReplacePrefix><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>`,
    ];
    // testBucketSample reads the index suffix and error key; the others compare WebsiteConfig's XML, which
    // carries only the elements its model knows (not MirrorPassOriginalSlashes, which this server answers).
    const known = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(known);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'MirrorPassOriginalSlashes').map(([k, v]) => [k, known(v)]));
    };
    const putWebsite = (c: string): Promise<PhpReply> => send({ method: 'PUT', bucket: B, query: [['website', '']], headers: { 'content-type': 'application/xml' }, body: xmlBody(c) });
    ok(await putWebsite(configs[0]!));
    const simple = ok(await send({ method: 'GET', bucket: B, query: [['website', '']] })).text;
    assert.deepEqual([tag(simple, 'Suffix'), tag(simple, 'Key')], ['index.html', 'error.html']);
    for (const c of configs.slice(1)) {
      ok(await putWebsite(c));
      assert.deepEqual(known(parse(ok(await send({ method: 'GET', bucket: B, query: [['website', '']] })).text)), parse(c));
    }
    ok(await send({ method: 'DELETE', bucket: B, query: [['website', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, query: [['website', '']] }), 404, 'NoSuchWebsiteConfiguration');
  });

  it('a bucket policy: deleting none is fine, reading none is NoSuchBucketPolicy, the document reads back as put (OssClientBucketPolicyTest)', async () => {
    const B = 'php-policy';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await send({ method: 'DELETE', bucket: B, query: [['policy', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, query: [['policy', '']] }), 404, 'NoSuchBucketPolicy');
    // Another account's principal and resource, as the test writes them; compared after json_decode.
    const policy = '{\n  "Version": "1",\n  "Statement": [\n    {\n      "Action": [\n        "oss:PutObject",\n        "oss:GetObject"\n      ],\n      "Effect": "Deny",\n      "Principal": [\n        "1234567890"\n      ],\n      "Resource": [\n        "acs:oss:*:1234567890:*/*"\n      ]\n    }\n  ]\n}';
    ok(await send({ method: 'PUT', bucket: B, query: [['policy', '']], headers: { 'content-type': 'application/json' }, body: policy }));
    assert.deepEqual(JSON.parse(ok(await send({ method: 'GET', bucket: B, query: [['policy', '']] })).text), JSON.parse(policy));
    ok(await send({ method: 'DELETE', bucket: B, query: [['policy', '']] }), 204);
  });

  it('DescribeRegions, all and one by name (OssClientDescribeRegionsTest)', async () => {
    const all = ok(await send({ method: 'GET', bucket: null, query: [['regions', '']] })).text;
    assert.ok(tags(all, 'Region').length > 0);
    const one = ok(await send({ method: 'GET', bucket: null, query: [['regions', 'oss-cn-hangzhou']] })).text;
    assert.deepEqual([tag(one, 'Region'), tag(one, 'InternetEndpoint'), tag(one, 'InternalEndpoint'), tag(one, 'AccelerateEndpoint')],
      ['oss-cn-hangzhou', 'oss-cn-hangzhou.aliyuncs.com', 'oss-cn-hangzhou-internal.aliyuncs.com', 'oss-accelerate.aliyuncs.com']);
  });

  it('asyncProcessObject (POST /<key>?x-oss-async-process) is 501 naming the operation, not 405 (OssClientAsyncProcessObjectTest)', async () => {
    const B = 'php-async';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await send({ method: 'PUT', bucket: B, key: 'oss-example.mp4', body: 'not really a video' }));
    const b64 = (v: string): string => Buffer.from(v).toString('base64url');
    const process = `video/convert,f_avi,vcodec_h265,s_1920x1080,vb_2000000,fps_30,acodec_aac,ab_100000,sn_1|sys/saveas,o_${b64('php-async-copy')},b_${b64(B)}`;
    // The SDK's body is `x-oss-async-process=<process>`, sent as application/octet-stream.
    const res = await send({ method: 'POST', bucket: B, key: 'oss-example.mp4', query: [['x-oss-async-process', '']], body: `x-oss-async-process=${process}` });
    fails(res, 501, 'NotImplemented');
    assert.match(res.err?.Message ?? '', /AsyncProcessObject/);
    // Nothing was written, and the object is as it was.
    assert.equal((await send({ method: 'HEAD', bucket: B, key: 'php-async-copy' })).status, 404);
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'oss-example.mp4' })).text, 'not really a video');
  });

  it('ListObjectsV2 as listObjectsV2 pages it: start-after kept beside the continuation token, the last page not truncated (OssClientListObjectsV2Test)', async () => {
    const B = 'php-list-v2';
    ok(await send({ method: 'PUT', bucket: B }));
    const n2 = (i: number): string => String(i).padStart(2, '0');
    const keys = [
      ...Array.from({ length: 12 }, (_, i) => `folder/${n2(i)}`), ...Array.from({ length: 8 }, (_, i) => `test/${n2(i)}`),
      ...Array.from({ length: 5 }, (_, i) => `work/${n2(i)}`), ...Array.from({ length: 3 }, (_, i) => `sub++/${n2(i)}`),
      ...Array.from({ length: 2 }, (_, i) => `file++${n2(i)}`),
    ];
    for (const key of keys) ok(await send({ method: 'PUT', bucket: B, key, body: 'content' }));
    // list-type=2, encoding-type=url, delimiter (default '/'), prefix, max-keys (100), start-after always; the
    // continuation token once there is one. Keys come back rawurlencoded.
    const list = async (o: { delimiter?: string; prefix?: string; maxKeys?: string; startAfter?: string; token?: string; fetchOwner?: boolean }): Promise<string> =>
      ok(await send({ method: 'GET', bucket: B, query: [
        ...(o.fetchOwner === true ? [['fetch-owner', 'true'] as [string, string]] : []),
        ['list-type', '2'], ['encoding-type', 'url'], ['delimiter', o.delimiter ?? '/'], ['prefix', o.prefix ?? ''], ['max-keys', o.maxKeys ?? '100'],
        ['start-after', o.startAfter ?? ''], ...(o.token === undefined ? [] : [['continuation-token', o.token] as [string, string]]),
      ] })).text;
    const keysOf = (xml: string): string[] => tags(xml, 'Key').map((k) => decodeURIComponent(k));
    const top = await list({});
    assert.deepEqual(keysOf(top), ['file++00', 'file++01']);
    assert.deepEqual(tags(top, 'Prefix').slice(1).map((p) => decodeURIComponent(p)), ['folder/', 'sub++/', 'test/', 'work/']);
    assert.equal(keysOf(await list({ delimiter: '', prefix: 'folder/', maxKeys: '1000' })).length, 12);
    for (const [maxKeys, startAfter, expected] of [['2', '', keys.length], ['1', 'folder/11', 8 + 5 + 3]] as const) {
      let seen = 0;
      let token: string | undefined;
      for (;;) {
        const page = await list({ delimiter: '', maxKeys, startAfter, ...(token === undefined ? {} : { token }) });
        const n = keysOf(page).length;
        assert.equal(n, Number(maxKeys), page);
        seen += n;
        token = tag(page, 'NextContinuationToken');
        if (tag(page, 'IsTruncated') !== 'true') break;
      }
      assert.equal(seen, expected);
    }
    const five = await list({ delimiter: '', startAfter: 'folder/11', maxKeys: '5', fetchOwner: true });
    assert.equal(keysOf(five).length, 5);
    assert.equal(tag(five, 'IsTruncated'), 'true');
    assert.equal(tags(five, 'ID').length, 5, 'fetch-owner: an Owner for each');
  });

  it('copies of versions: the source rawurlencoded with ?versionId, x-oss-copy-source-version-id answered; part copies by version (OssClientObjectVersioningTest testObjectCopy, testObjectMultiPart)', async () => {
    const B = 'php-version-copy';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await putVersioning(B, 'Enabled'));
    const object = 'copy-= +object';
    const r1 = ok(await send({ method: 'PUT', bucket: B, key: object, body: 'hello' }));
    const r2 = ok(await send({ method: 'PUT', bucket: B, key: object, body: 'hello world' }));
    const [v1, v2] = [header(r1, 'x-oss-version-id')!, header(r2, 'x-oss-version-id')!];
    const source = `/${B}/${phpRawUrlEncode(object)}`;
    const copy = async (to: string, version?: string): Promise<PhpReply> =>
      ok(await send({ method: 'PUT', bucket: B, key: to, headers: { 'x-oss-copy-source': version === undefined ? source : `${source}?versionId=${version}` } }));
    const c = await copy(`${object}.copy`);
    const c1 = await copy(`${object}.copy1`, v1);
    const c2 = await copy(`${object}.copy2`, v2);
    assert.equal(header(c, 'x-oss-copy-source-version-id'), v2);
    assert.equal(header(c1, 'x-oss-copy-source-version-id'), v1);
    assert.equal(header(c2, 'x-oss-copy-source-version-id'), v2);
    for (const r of [c, c1, c2]) assert.ok(header(r, 'x-oss-version-id') !== undefined);
    assert.equal(tag(c1.text, 'ETag')?.replace(/"/g, ''), header(r1, 'etag')?.replace(/"/g, ''));
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: `${object}.copy1` })).text, 'hello');
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: `${object}.copy` })).text, 'hello world');
    // uploadPartCopy with OSS_VERSION_ID: the same source form, range `bytes=0-`.
    const src = 'multi-= +object.src';
    const s1 = header(ok(await send({ method: 'PUT', bucket: B, key: src, body: 'hello' })), 'x-oss-version-id')!;
    ok(await send({ method: 'PUT', bucket: B, key: src, body: 'hello world' }));
    const id = tag(ok(await send({ method: 'POST', bucket: B, key: 'multi-object-1', query: [['uploads', '']], body: '' })).text, 'UploadId')!;
    const part = ok(await send({ method: 'PUT', bucket: B, key: 'multi-object-1', query: [['partNumber', '1'], ['uploadId', id]], headers: { 'x-oss-copy-source': `/${B}/${phpRawUrlEncode(src)}?versionId=${s1}`, 'x-oss-copy-source-range': 'bytes=0-' } }));
    ok(await send({ method: 'POST', bucket: B, key: 'multi-object-1', query: [['uploadId', id]], headers: { 'content-type': 'application/xml' }, body: xmlBody(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${tag(part.text, 'ETag')}</ETag></Part></CompleteMultipartUpload>`) }));
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'multi-object-1' })).text, 'hello');
  });

  it('symlinks in a versioned bucket: each PutSymlink a version, read back by id, GetObject through a link version reads its target (OssClientObjectVersioningTest testObjectSymlink)', async () => {
    const B = 'php-version-symlink';
    ok(await send({ method: 'PUT', bucket: B }));
    ok(await putVersioning(B, 'Enabled'));
    ok(await send({ method: 'PUT', bucket: B, key: 'object-target-1', body: 'hello' }));
    // putSymlink: x-oss-symlink-target rawurlencoded.
    const link = (target: string): Promise<PhpReply> => send({ method: 'PUT', bucket: B, key: 'object-symlink', query: [['symlink', '']], headers: { 'x-oss-symlink-target': phpRawUrlEncode(target) } });
    const l1 = header(ok(await link('object-target-1')), 'x-oss-version-id')!;
    ok(await send({ method: 'PUT', bucket: B, key: 'object-target-2', body: 'hello world' }));
    const l2 = header(ok(await link('object-target-2')), 'x-oss-version-id')!;
    assert.ok(l1 !== undefined && l2 !== undefined && l1 !== l2);
    const getLink = (query: Array<[string, string]>): Promise<PhpReply> => send({ method: 'GET', bucket: B, key: 'object-symlink', query: [['symlink', ''], ...query] });
    assert.equal(header(ok(await getLink([])), 'x-oss-version-id'), l2);
    assert.equal(header(ok(await getLink([['versionId', l1]])), 'x-oss-version-id'), l1);
    assert.equal(header(ok(await getLink([['versionId', l2]])), 'x-oss-version-id'), l2);
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'object-symlink', query: [['versionId', l1]] })).text, 'hello');
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'object-symlink', query: [['versionId', l2]] })).text, 'hello world');
    assert.equal(ok(await send({ method: 'GET', bucket: B, key: 'object-symlink' })).text, 'hello world');
  });
});
