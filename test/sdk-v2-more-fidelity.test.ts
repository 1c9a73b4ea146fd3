// What the PHP SDK v2's integration tests (aliyun/alibabacloud-oss-php-sdk-v2 tests/IntegrationTests) and the Swift
// SDK v2's (aliyun/alibabacloud-oss-swift-sdk-v2 Tests/OSSIntegrationTests, Tests/OSSExtensionIntegrationTests)
// expect of OSS, replayed with requests signed V4 as those SDKs sign them (test/helpers/sdk-v2-signer.ts) and
// bodies written as their serializers write them, against a real server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
const root: Creds = { ak: AK, secret: SECRET };

interface Reply {
  status: number;
  headers: RawResponse['headers'];
  text: string;
  err: Record<string, string> | null;
}

async function send(r: SdkRequest, c: Creds = root): Promise<Reply> {
  const s = signHeader(r, c);
  const body = r.body;
  const res = await rawRequest(srv.port, {
    method: r.method,
    path: s.path,
    headers: { ...s.headers, host: `127.0.0.1:${srv.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
    body,
  });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), err: errorOf(res) };
}

const ok = (r: Reply, status = 200): Reply => {
  assert.equal(r.status, status, r.text.slice(0, 500));
  assert.equal(String(r.headers['x-oss-request-id']).length, 24);
  return r;
};
const fails = (r: Reply, status: number, code: string): Reply => {
  assert.equal(r.status, status, r.text.slice(0, 500));
  assert.equal(r.err?.Code, code, r.text.slice(0, 500));
  assert.equal(r.err?.RequestId?.length, 24);
  return r;
};
const header = (r: Reply, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv?.stop();
});

describe('PHP SDK v2 integration tests', () => {
  const B = 'php-v2-bucket';
  const MISSING = `${B}-not-exist`;
  before(async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }));
  });

  // ClientBucketWebsiteTest::testBucketWebsite: the two documents, as the SDK's models serialize them.
  const index = '<IndexDocument><Suffix>index.html</Suffix><SupportSubDir>true</SupportSubDir><Type>0</Type></IndexDocument>'
    + '<ErrorDocument><Key>error.html</Key><HttpStatus>404</HttpStatus></ErrorDocument>';
  const condition = '<Condition><KeyPrefixEquals>abc/</KeyPrefixEquals><KeySuffixEquals>.txt</KeySuffixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>';
  const mirrorHeaders = '<MirrorHeaders><PassAll>true</PassAll><Pass>myheader-key1</Pass><Pass>myheader-key2</Pass><Set><Key>myheader-key5</Key><Value>myheader-value5</Value></Set></MirrorHeaders>';
  const mirrorRedirect = '<Redirect><MirrorPassOriginalSlashes>false</MirrorPassOriginalSlashes><RedirectType>Mirror</RedirectType>'
    + '<MirrorURL>http://example.com/</MirrorURL><MirrorPassQueryString>true</MirrorPassQueryString><MirrorCheckMd5>true</MirrorCheckMd5>'
    + '<MirrorSNI>true</MirrorSNI><ReplaceKeyPrefixWith>def/</ReplaceKeyPrefixWith><MirrorFollowRedirect>true</MirrorFollowRedirect>'
    + `<HostName>example.com</HostName>${mirrorHeaders}<PassQueryString>true</PassQueryString><EnableReplacePrefix>true</EnableReplacePrefix>`
    + '<HttpRedirectCode>301</HttpRedirectCode><MirrorURLSlave>http://example.com/</MirrorURLSlave><MirrorSaveOssMeta>true</MirrorSaveOssMeta>'
    + '<MirrorProxyPass>false</MirrorProxyPass><MirrorAllowGetImageInfo>true</MirrorAllowGetImageInfo><MirrorAllowVideoSnapshot>false</MirrorAllowVideoSnapshot>'
    + '<MirrorIsExpressTunnel>true</MirrorIsExpressTunnel><MirrorDstRegion>cn-hangzhou</MirrorDstRegion><MirrorUserLastModified>false</MirrorUserLastModified>'
    + '<MirrorSwitchAllErrors>true</MirrorSwitchAllErrors><MirrorUsingRole>true</MirrorUsingRole><MirrorRole>aliyun-test-role</MirrorRole>'
    + '<MirrorAllowHeadObject>true</MirrorAllowHeadObject><TransparentMirrorResponseCodes>400</TransparentMirrorResponseCodes>'
    + '<MirrorTaggings><Taggings><Key>k</Key><Value>v</Value></Taggings></MirrorTaggings>'
    + '<MirrorReturnHeaders><ReturnHeader><Key>k</Key><Value>v</Value></ReturnHeader></MirrorReturnHeaders>'
    + '<MirrorAuth><AuthType>S3V4</AuthType><Region>ap-southeast-1</Region><AccessKeyId>TESTAK</AccessKeyId><AccessKeySecret>TESTSK</AccessKeySecret></MirrorAuth>'
    + '<MirrorMultiAlternates><MirrorMultiAlternate><MirrorMultiAlternateNumber>32</MirrorMultiAlternateNumber>'
    + '<MirrorMultiAlternateURL>https://test-multi-alter.example.com</MirrorMultiAlternateURL><MirrorMultiAlternateVpcId>vpc-test-id</MirrorMultiAlternateVpcId>'
    + '<MirrorMultiAlternateDstRegion>ap-southeast-1</MirrorMultiAlternateDstRegion></MirrorMultiAlternate></MirrorMultiAlternates></Redirect>';
  const cdnRedirect = '<Redirect><RedirectType>AliCDN</RedirectType><MirrorURL>http://example.com/</MirrorURL><MirrorPassQueryString>true</MirrorPassQueryString>'
    + `<MirrorCheckMd5>true</MirrorCheckMd5><MirrorSNI>true</MirrorSNI><Protocol>http</Protocol><MirrorFollowRedirect>true</MirrorFollowRedirect>${mirrorHeaders}`
    + '<PassQueryString>true</PassQueryString><ReplaceKeyWith>abc</ReplaceKeyWith></Redirect>';
  const lua = '<LuaConfig><Script>test.lua</Script></LuaConfig>';
  const website = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<WebsiteConfiguration>${inner}</WebsiteConfiguration>`;
  const putWebsite = (bucket: string, body: string): Promise<Reply> =>
    send({ method: 'PUT', bucket, key: null, params: [['website', '']], headers: { 'content-type': 'application/xml' }, body });

  it('PutBucketWebsite of ClientBucketWebsiteTest: a Mirror rule with HostName/HttpRedirectCode and every Mirror container, an AliCDN rule with Mirror settings, LuaConfig: 200, read back', async () => {
    ok(await putWebsite(B, website(index)));
    assert.match(ok(await send({ method: 'GET', bucket: B, key: null, params: [['website', '']] })).text, /<Suffix>index\.html<\/Suffix><SupportSubDir>true<\/SupportSubDir><Type>0<\/Type>/);
    ok(await send({ method: 'DELETE', bucket: B, key: null, params: [['website', '']] }), 204);
    const full = website(`${index}<RoutingRules><RoutingRule><RuleNumber>1</RuleNumber>${condition}${mirrorRedirect}${lua}</RoutingRule>`
      + `<RoutingRule><RuleNumber>2</RuleNumber>${condition}${cdnRedirect}${lua}</RoutingRule></RoutingRules>`);
    ok(await putWebsite(B, full));
    const got = ok(await send({ method: 'GET', bucket: B, key: null, params: [['website', '']] })).text;
    // What was put is kept: the settings of the other type, the containers, the Lua script.
    for (const part of [
      '<HostName>example.com</HostName>',
      '<HttpRedirectCode>301</HttpRedirectCode>',
      '<MirrorTaggings><Taggings><Key>k</Key><Value>v</Value></Taggings></MirrorTaggings>',
      '<MirrorReturnHeaders><ReturnHeader><Key>k</Key><Value>v</Value></ReturnHeader></MirrorReturnHeaders>',
      '<MirrorMultiAlternates><MirrorMultiAlternate><MirrorMultiAlternateNumber>32</MirrorMultiAlternateNumber><MirrorMultiAlternateURL>https://test-multi-alter.example.com</MirrorMultiAlternateURL>',
      '<MirrorAuth><AuthType>S3V4</AuthType><Region>ap-southeast-1</Region><AccessKeyId>TESTAK</AccessKeyId></MirrorAuth>',
      '<LuaConfig><Script>test.lua</Script></LuaConfig>',
      '<RedirectType>AliCDN</RedirectType>',
      '<MirrorSNI>true</MirrorSNI>',
    ]) assert.ok(got.includes(part), `${part} in ${got}`);
    // The origin's secret is not kept, so it is never handed out.
    assert.ok(!got.includes('TESTSK'), got);
    assert.equal(got.match(/<LuaConfig>/g)?.length, 2);
    ok(await send({ method: 'DELETE', bucket: B, key: null, params: [['website', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, key: null, params: [['website', '']] }), 404, 'NoSuchWebsiteConfiguration');
  });

  it('ClientBucketWebsiteTest, ClientBucketEncryptionTest, ClientBucketTransferAccelerationTest on a bucket that does not exist: 404 NoSuchBucket', async () => {
    const enc = '<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm><KMSDataEncryption>SM4</KMSDataEncryption></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>';
    const acc = '<?xml version="1.0" encoding="UTF-8"?>\n<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>';
    for (const r of [
      { method: 'PUT', params: [['website', '']], body: website(index) },
      { method: 'GET', params: [['website', '']] },
      { method: 'DELETE', params: [['website', '']] },
      { method: 'PUT', params: [['encryption', '']], body: enc },
      { method: 'GET', params: [['encryption', '']] },
      { method: 'DELETE', params: [['encryption', '']] },
      { method: 'PUT', params: [['transferAcceleration', '']], body: acc },
      { method: 'GET', params: [['transferAcceleration', '']] },
    ] as Array<Omit<SdkRequest, 'bucket' | 'key'>>) fails(await send({ ...r, bucket: MISSING, key: null }), 404, 'NoSuchBucket');
  });

  it('ClientBucketEncryptionTest: KMS with KMSDataEncryption SM4, and ClientBucketTransferAccelerationTest: put, get, delete', async () => {
    const enc = '<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm><KMSDataEncryption>SM4</KMSDataEncryption></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>';
    ok(await send({ method: 'PUT', bucket: B, key: null, params: [['encryption', '']], body: enc }));
    assert.match(ok(await send({ method: 'GET', bucket: B, key: null, params: [['encryption', '']] })).text, /<KMSDataEncryption>SM4<\/KMSDataEncryption>/);
    ok(await send({ method: 'DELETE', bucket: B, key: null, params: [['encryption', '']] }), 204);
    const acc = '<?xml version="1.0" encoding="UTF-8"?>\n<TransferAccelerationConfiguration><Enabled>true</Enabled></TransferAccelerationConfiguration>';
    ok(await send({ method: 'PUT', bucket: B, key: null, params: [['transferAcceleration', '']], body: acc }));
    assert.match(ok(await send({ method: 'GET', bucket: B, key: null, params: [['transferAcceleration', '']] })).text, /<Enabled>true<\/Enabled>/);
  });
});

describe('Swift SDK v2 integration tests', () => {
  const B = 'swift-v2-bucket';
  before(async () => {
    ok(await send({ method: 'PUT', bucket: B, key: null }));
  });
  const data = 'hello oss';
  const md5 = createHash('md5').update(data).digest('base64');

  it('testPutObjectWithHeader / testHeadObject: Expires in ISO 8601 is kept as sent, with Content-MD5, Content-Disposition, Content-Encoding and meta', async () => {
    const expires = isoSeconds(Date.now() + 3600_000);
    ok(await send({
      method: 'PUT', bucket: B, key: 'with-headers', body: data,
      headers: { 'content-md5': md5, 'content-type': 'application/octet-stream', 'content-disposition': 'inline', 'cache-control': 'no-cache', 'content-encoding': 'identity', expires, 'x-oss-meta-test-key1': 'test-value1' },
    }));
    const head = ok(await send({ method: 'HEAD', bucket: B, key: 'with-headers' }));
    assert.deepEqual(
      ['content-md5', 'content-type', 'content-disposition', 'content-encoding', 'expires', 'x-oss-meta-test-key1'].map((h) => header(head, h)),
      [md5, 'application/octet-stream', 'inline', 'identity', expires, 'test-value1'],
    );
  });

  it('testCopyObjectWithHeader / testCopyObjectWithTagging: directives in lower case (`copy`, `replace`), conditions, storage classes, ACLs', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: 'copyTestSourceFile', body: data, headers: { 'x-oss-meta-originalkey': 'originalValue' } }));
    const target = ok(await send({ method: 'PUT', bucket: B, key: 'copyTestTargetFile', body: data }));
    const copy = (headers: Record<string, string>): Promise<Reply> =>
      send({ method: 'PUT', bucket: B, key: 'copyTestTargetFile', headers: { 'x-oss-copy-source': `/${B}/copyTestSourceFile`, ...headers } });
    fails(await copy({ 'x-oss-forbid-overwrite': 'true' }), 409, 'FileAlreadyExists');
    ok(await copy({ 'x-oss-copy-source-if-match': String(target.headers.etag) }));
    assert.equal((await copy({ 'x-oss-copy-source-if-match': '-6D81B360A5672D80C27430F39153E2C' })).status, 412);
    assert.equal((await copy({ 'x-oss-copy-source-if-none-match': String(target.headers.etag) })).status, 304);
    ok(await copy({ 'x-oss-metadata-directive': 'copy' }));
    assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key: 'copyTestTargetFile' })), 'x-oss-meta-originalkey'), 'originalValue');
    ok(await copy({ 'x-oss-metadata-directive': 'replace', 'x-oss-meta-newkey': 'newValue' }));
    const replaced = ok(await send({ method: 'HEAD', bucket: B, key: 'copyTestTargetFile' }));
    assert.deepEqual([header(replaced, 'x-oss-meta-originalkey'), header(replaced, 'x-oss-meta-newkey')], [undefined, 'newValue']);
    const expires = isoSeconds(Date.now() + 3600_000);
    ok(await copy({ 'x-oss-metadata-directive': 'REPLACE', 'content-md5': md5, 'content-type': 'application/octet-stream', 'content-disposition': 'inline', 'cache-control': 'no-cache', 'content-encoding': 'identity', expires }));
    const common = ok(await send({ method: 'HEAD', bucket: B, key: 'copyTestTargetFile' }));
    assert.deepEqual(['content-md5', 'cache-control', 'content-disposition', 'content-encoding', 'expires'].map((h) => header(common, h)), [md5, 'no-cache', 'inline', 'identity', expires]);
    ok(await copy({ 'x-oss-tagging': 'a=b&c=d' }));
    ok(await copy({ 'x-oss-tagging': 'a=b&c=d', 'x-oss-tagging-directive': 'replace' }));
    assert.match(ok(await send({ method: 'GET', bucket: B, key: 'copyTestTargetFile', params: [['tagging', '']] })).text, /<Key>a<\/Key><Value>b<\/Value>.*<Key>c<\/Key><Value>d<\/Value>/);
    for (const storageClass of ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive', 'Standard']) {
      ok(await copy({ 'x-oss-storage-class': storageClass }));
      assert.equal(header(ok(await send({ method: 'HEAD', bucket: B, key: 'copyTestTargetFile' })), 'x-oss-storage-class'), storageClass);
    }
    for (const acl of ['default', 'private', 'public-read', 'public-read-write']) {
      ok(await copy({ 'x-oss-object-acl': acl }));
      assert.match(ok(await send({ method: 'GET', bucket: B, key: 'copyTestTargetFile', params: [['acl', '']] })).text, new RegExp(`<Grant>${acl}</Grant>`));
    }
  });

  it('ClientObjectMultipartUploadTests: x-oss-forbid-overwrite on Initiate and Complete, parts out of order, a bad upload id, part 10001, a bad Content-MD5', async () => {
    ok(await send({ method: 'PUT', bucket: B, key: 'mp-existing', body: 'hellow oss' }));
    fails(await send({ method: 'POST', bucket: B, key: 'mp-existing', params: [['uploads', '']], headers: { 'x-oss-forbid-overwrite': 'true' } }), 409, 'FileAlreadyExists');
    const init = ok(await send({ method: 'POST', bucket: B, key: 'mp-existing', params: [['uploads', '']], headers: { 'x-oss-forbid-overwrite': 'false' } }));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = Buffer.alloc(100 * 1024, 'a');
    const etags: string[] = [];
    for (const n of [1, 2, 3]) etags.push(String(ok(await send({ method: 'PUT', bucket: B, key: 'mp-existing', params: [['partNumber', String(n)], ['uploadId', uploadId]], body: n === 3 ? Buffer.from('tail') : part })).headers.etag));
    // testCompleteMultipartUploadWithDisorganizedParts: the parts as the task group finished them.
    const disordered = `<CompleteMultipartUpload>${[2, 1, 3].map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>${etags[n - 1]}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    fails(await send({ method: 'POST', bucket: B, key: 'mp-existing', params: [['uploadId', uploadId]], body: disordered }), 400, 'InvalidPartOrder');
    fails(await send({ method: 'POST', bucket: B, key: 'mp-existing', params: [['uploadId', uploadId]], headers: { 'x-oss-complete-all': 'yes', 'x-oss-forbid-overwrite': 'true' } }), 409, 'FileAlreadyExists');
    ok(await send({ method: 'POST', bucket: B, key: 'mp-existing', params: [['uploadId', uploadId]], headers: { 'x-oss-complete-all': 'yes', 'x-oss-forbid-overwrite': 'false' } }));
    // testUploadPartError
    fails(await send({ method: 'PUT', bucket: B, key: 'testUploadPartError', params: [['partNumber', '1'], ['uploadId', 'error-upload-id']], body: data }), 404, 'NoSuchUpload');
    const other = ok(await send({ method: 'POST', bucket: B, key: 'testUploadPartError', params: [['uploads', '']] }));
    const otherId = /<UploadId>([^<]+)<\/UploadId>/.exec(other.text)![1]!;
    fails(await send({ method: 'PUT', bucket: B, key: 'testUploadPartError', params: [['partNumber', '10001'], ['uploadId', otherId]], body: data }), 400, 'InvalidArgument');
    fails(await send({ method: 'PUT', bucket: B, key: 'testUploadPartError', params: [['partNumber', '1'], ['uploadId', otherId]], headers: { 'content-md5': 'eB5eJF1ptWaXm4bijS****==' }, body: data }), 400, 'InvalidDigest');
    // testAbortMultipartUploadError: a second abort is 404.
    ok(await send({ method: 'DELETE', bucket: B, key: 'testUploadPartError', params: [['uploadId', otherId]] }), 204);
    fails(await send({ method: 'DELETE', bucket: B, key: 'testUploadPartError', params: [['uploadId', otherId]] }), 404, 'NoSuchUpload');
  });

  it('testGetObjectMeta / testGetObjectMetaWithTxtFile: size, ETag, no x-oss-last-access-time, the version id of a versioned object', async () => {
    const put = ok(await send({ method: 'PUT', bucket: B, key: 'getObjectMetaTest', body: data }));
    const meta = ok(await send({ method: 'HEAD', bucket: B, key: 'getObjectMetaTest', params: [['objectMeta', '']] }));
    assert.deepEqual([header(meta, 'content-length'), header(meta, 'etag'), header(meta, 'x-oss-last-access-time')], [String(data.length), header(put, 'etag'), undefined]);
    assert.ok(header(meta, 'last-modified'));
    ok(await send({ method: 'PUT', bucket: 'swift-v2-versioned', key: null }));
    ok(await send({ method: 'PUT', bucket: 'swift-v2-versioned', key: null, params: [['versioning', '']], body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    const versioned = ok(await send({ method: 'PUT', bucket: 'swift-v2-versioned', key: 'getObjectMetaTest.txt', body: data }));
    const vmeta = ok(await send({ method: 'HEAD', bucket: 'swift-v2-versioned', key: 'getObjectMetaTest.txt', params: [['objectMeta', '']] }));
    assert.equal(header(vmeta, 'x-oss-version-id'), header(versioned, 'x-oss-version-id'));
    assert.equal(header(vmeta, 'x-oss-last-access-time'), undefined);
  });

  it('ClientBucketLifecycleTests: the two rules round-trip (dates with milliseconds); an empty Rule is MalformedXML with OSS\'s message', async () => {
    const lifecycle = '<LifecycleConfiguration>'
      + '<Rule><ID>rule1</ID><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>Archive</StorageClass></Transition>'
      + '<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>IA</StorageClass></NoncurrentVersionTransition><Prefix>1prefix/</Prefix>'
      + '<Expiration><Days>180</Days></Expiration><AbortMultipartUpload><Days>30</Days></AbortMultipartUpload>'
      + '<NoncurrentVersionExpiration><NoncurrentDays>180</NoncurrentDays></NoncurrentVersionExpiration></Rule>'
      + '<Rule><ID>rule2</ID><Status>Disabled</Status><Transition><CreatedBeforeDate>2025-05-05T00:00:00.000Z</CreatedBeforeDate><StorageClass>IA</StorageClass></Transition>'
      + '<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>IA</StorageClass></NoncurrentVersionTransition><Prefix>2prefix/</Prefix>'
      + '<Expiration><CreatedBeforeDate>2025-04-05T00:00:00.000Z</CreatedBeforeDate></Expiration>'
      + '<AbortMultipartUpload><CreatedBeforeDate>2025-05-05T00:00:00.000Z</CreatedBeforeDate></AbortMultipartUpload>'
      + '<NoncurrentVersionExpiration><NoncurrentDays>180</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>';
    ok(await send({ method: 'PUT', bucket: B, key: null, params: [['lifecycle', '']], body: lifecycle }));
    const got = ok(await send({ method: 'GET', bucket: B, key: null, params: [['lifecycle', '']] })).text;
    assert.equal(got.match(/<Rule>/g)?.length, 2);
    assert.match(got, /<ID>rule2<\/ID><Prefix>2prefix\/<\/Prefix><Status>Disabled<\/Status><Expiration><CreatedBeforeDate>2025-04-05T00:00:00\.000Z<\/CreatedBeforeDate>/);
    const empty = fails(await send({ method: 'PUT', bucket: B, key: null, params: [['lifecycle', '']], body: '<LifecycleConfiguration><Rule /></LifecycleConfiguration>' }), 400, 'MalformedXML');
    assert.equal(empty.err?.Message, 'The XML you provided was not well-formed or did not validate against our published schema.');
    ok(await send({ method: 'DELETE', bucket: B, key: null, params: [['lifecycle', '']] }), 204);
    fails(await send({ method: 'GET', bucket: B, key: null, params: [['lifecycle', '']] }), 404, 'NoSuchLifecycle');
    fails(await send({ method: 'DELETE', bucket: 'swift-v2-no-such-bucket', key: null, params: [['lifecycle', '']] }), 404, 'NoSuchBucket');
  });
});
