// The Go SDK v2's integration tests (aliyun/alibabacloud-oss-go-sdk-v2 `oss/client_integration_test.go`) where an
// answer Alunite gave made the test read a result or an error that was nil: those tests use plain `testing` with
// testify, so `putResult.StatusCode` after a refused call (or `serr.StatusCode` after an unexpected success) panics
// and ends the whole `go test` run. Requests are signed as the SDK signs them (V4, test/helpers/sdk-v2-signer.ts) and
// carry its bodies; answers are read as its XML parser reads them. The Python SDK v2's matching tests are named too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTxtServer, type TxtServer } from './helpers/dns-txt.js';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'go-sdk-test-bucket-suite';

describe('the Go SDK v2 integration tests that panic on a nil result', () => {
  let srv: TestServer;
  const root: Creds = { ak: AK, secret: SECRET };

  async function send(r: SdkRequest, c: Creds = root, to: TestServer = srv): Promise<RawResponse> {
    const body = r.body;
    // The SDK's updateContentMd5 and its XML content type on configuration writes.
    const headers = body !== undefined && r.method !== 'GET'
      ? { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml', ...(r.headers ?? {}) }
      : r.headers;
    const s = signHeader({ ...r, ...(headers !== undefined ? { headers } : {}) }, c);
    return rawRequest(to.port, { method: r.method, path: s.path, headers: { ...s.headers, host: `127.0.0.1:${to.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
  }
  const text = (res: RawResponse): string => res.body.toString('utf8');
  const status = (res: RawResponse, expected: number, what: string): RawResponse => {
    assert.equal(res.status, expected, `${what}: ${text(res).slice(0, 400)}`);
    return res;
  };

  before(async () => {
    srv = await startTestServer();
    status(await send({ method: 'PUT', bucket: B, key: null }), 200, 'PutBucket');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('TestBucketOverwriteConfig (Python v2 test_bucket_overwrite_config)', () => {
    // PutBucketOverwriteConfigRequest marshalled by the SDK: Rule elements in the struct's order.
    const config = '<OverwriteConfiguration>'
      + '<Rule><ID>1</ID><Action>forbid</Action></Rule>'
      + '<Rule><ID>2</ID><Action>forbid</Action><Prefix>pre</Prefix><Suffix>.txt</Suffix><Principals><Principal>1234567890</Principal></Principals></Rule>'
      + '</OverwriteConfiguration>';

    it('Put is 200, Get answers the rules as put, Delete is 204 (the Put was 501: `putResult.StatusCode` on nil)', async () => {
      status(await send({ method: 'PUT', bucket: B, key: null, params: [['overwriteConfig', '']], body: config }), 200, 'PutBucketOverwriteConfig');
      const got = text(status(await send({ method: 'GET', bucket: B, key: null, params: [['overwriteConfig', '']] }), 200, 'GetBucketOverwriteConfig'));
      assert.deepEqual(strictTexts(got, 'ID'), ['1', '2']);
      assert.deepEqual(strictTexts(got, 'Action'), ['forbid', 'forbid']);
      assert.deepEqual(strictTexts(got, 'Prefix'), ['pre']);
      assert.deepEqual(strictTexts(got, 'Suffix'), ['.txt']);
      assert.deepEqual(strictTexts(got, 'Principal'), ['1234567890']);
      assert.match(got, /^<\?xml[^>]*\?>\n?<OverwriteConfiguration><Rule><ID>1<\/ID><Action>forbid<\/Action><\/Rule><Rule>/);
      status(await send({ method: 'DELETE', bucket: B, key: null, params: [['overwriteConfig', '']] }), 204, 'DeleteBucketOverwriteConfig');
      // OSS's GetBucketOverwriteConfig page: no rules, 404.
      const gone = status(await send({ method: 'GET', bucket: B, key: null, params: [['overwriteConfig', '']] }), 404, 'GetBucketOverwriteConfig after Delete');
      assert.equal(errorOf(gone)?.Code, 'NoSuchBucketOverwriteConfig'); // the Kotlin SDK v2's BucketOverwriteConfigTest reads this code from OSS
    });

    it('the Python test\'s rules read back in order with every Principal; an ID left out is a UUID; a second Put replaces the rules', async () => {
      const two = '<OverwriteConfiguration>'
        + '<Rule><ID>rule1</ID><Action>forbid</Action><Prefix>a/</Prefix><Suffix>.txt</Suffix><Principals><Principal>111</Principal><Principal>222</Principal></Principals></Rule>'
        + '<Rule><ID>rule2</ID><Action>forbid</Action><Prefix>b/</Prefix><Suffix>.jpg</Suffix><Principals><Principal>333</Principal></Principals></Rule>'
        + '</OverwriteConfiguration>';
      status(await send({ method: 'PUT', bucket: B, key: null, params: [['overwriteConfig', '']], body: two }), 200, 'Put');
      const got = text(await send({ method: 'GET', bucket: B, key: null, params: [['overwriteConfig', '']] }));
      assert.deepEqual(strictTexts(got, 'ID'), ['rule1', 'rule2']);
      assert.deepEqual(strictTexts(got, 'Prefix'), ['a/', 'b/']);
      assert.deepEqual(strictTexts(got, 'Suffix'), ['.txt', '.jpg']);
      assert.deepEqual(strictTexts(got, 'Principal'), ['111', '222', '333']);
      status(await send({ method: 'PUT', bucket: B, key: null, params: [['overwriteConfig', '']], body: '<OverwriteConfiguration><Rule><Action>forbid</Action></Rule></OverwriteConfiguration>' }), 200, 'Put without ID');
      const ids = strictTexts(text(await send({ method: 'GET', bucket: B, key: null, params: [['overwriteConfig', '']] })), 'ID');
      assert.equal(ids.length, 1);
      assert.match(ids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      status(await send({ method: 'DELETE', bucket: B, key: null, params: [['overwriteConfig', '']] }), 204, 'Delete');
    });

    it('refusals: an Action other than forbid, a repeated ID, over 100 rules; a missing bucket; an unknown AccessKeyId (test_bucket_overwrite_config_fail)', async () => {
      const put = (body: string): Promise<RawResponse> => send({ method: 'PUT', bucket: B, key: null, params: [['overwriteConfig', '']], body });
      assert.equal(errorOf(status(await put('<OverwriteConfiguration><Rule><ID>x</ID><Action>allow</Action></Rule></OverwriteConfiguration>'), 400, 'allow'))?.Code, 'InvalidArgument');
      assert.equal(errorOf(status(await put('<OverwriteConfiguration><Rule><ID>x</ID><Action>forbid</Action></Rule><Rule><ID>x</ID><Action>forbid</Action></Rule></OverwriteConfiguration>'), 400, 'same ID'))?.Code, 'InvalidArgument');
      const many = Array.from({ length: 101 }, (_, i) => `<Rule><ID>r${i}</ID><Action>forbid</Action></Rule>`).join('');
      assert.equal(errorOf(status(await put(`<OverwriteConfiguration>${many}</OverwriteConfiguration>`), 400, '101 rules'))?.Code, 'InvalidArgument');
      assert.equal(errorOf(status(await put('<OverwriteConfiguration><Rule><Action>forbid</Action><Other/></Rule></OverwriteConfiguration>'), 400, 'unknown field'))?.Code, 'MalformedXML');
      const missing = await send({ method: 'GET', bucket: `${B}-not-exist`, key: null, params: [['overwriteConfig', '']] });
      assert.equal(errorOf(status(missing, 404, 'missing bucket'))?.Code, 'NoSuchBucket');
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const res = await send({ method, bucket: B, key: null, params: [['overwriteConfig', '']], ...(method === 'PUT' ? { body: '<OverwriteConfiguration><Rule><ID>1</ID><Action>forbid</Action></Rule></OverwriteConfiguration>' } : {}) }, { ak: 'invalid-ak', secret: 'invalid' });
        assert.equal(errorOf(status(res, 403, `${method} with an unknown key`))?.Code, 'InvalidAccessKeyId');
      }
      // On an object it stays an unimplemented sub-resource: never a DeleteObject.
      status(await send({ method: 'PUT', bucket: B, key: 'kept', body: 'x' }), 200, 'PutObject');
      status(await send({ method: 'DELETE', bucket: B, key: 'kept', params: [['overwriteConfig', '']] }), 501, 'DELETE object ?overwriteConfig');
      status(await send({ method: 'GET', bucket: B, key: 'kept' }), 200, 'the object is kept');
    });
  });

  describe('TestBucketStorageQuota (client_integration_bucket_quota_test.go)', () => {
    it('Put is 200, Get answers StorageQuota, Mode and CurrentUsage, Delete is 204; a missing bucket is NoSuchBucket (the Put was 501: `putResult.StatusCode` on nil)', async () => {
      const bucket = `${B}-quota`;
      status(await send({ method: 'PUT', bucket, key: null }), 200, 'PutBucket');
      status(await send({ method: 'PUT', bucket, key: 'k', body: 'hello' }), 200, 'PutObject');
      // QuotaConfiguration{StorageQuota: 10737418240, Mode: Strict}, CurrentUsage omitted (omitempty).
      const body = '<QuotaConfiguration><StorageQuota>10737418240</StorageQuota><Mode>Strict</Mode></QuotaConfiguration>';
      status(await send({ method: 'PUT', bucket, key: null, params: [['quota', '']], body }), 200, 'PutBucketStorageQuota');
      const got = text(status(await send({ method: 'GET', bucket, key: null, params: [['quota', '']] }), 200, 'GetBucketStorageQuota'));
      assert.deepEqual(strictTexts(got, 'StorageQuota'), ['10737418240']);
      assert.deepEqual(strictTexts(got, 'Mode'), ['Strict']);
      assert.deepEqual(strictTexts(got, 'CurrentUsage'), ['5']);
      status(await send({ method: 'DELETE', bucket, key: null, params: [['quota', '']] }), 204, 'DeleteBucketStorageQuota');
      // The Python SDK v2's test_agentic_bucket_storage_quota expects this code of a Get after Delete (404); Delete of
      // none is 204 again (its test_agentic_bucket_storage_quota_delete_idempotent).
      assert.equal(errorOf(status(await send({ method: 'GET', bucket, key: null, params: [['quota', '']] }), 404, 'Get after Delete'))?.Code, 'NoSuchBucketStorageQuotaConfiguration');
      status(await send({ method: 'DELETE', bucket, key: null, params: [['quota', '']] }), 204, 'DeleteBucketStorageQuota of none');
      const bad = await send({ method: 'PUT', bucket, key: null, params: [['quota', '']], body: '<QuotaConfiguration><StorageQuota>10</StorageQuota><Mode>Lenient</Mode></QuotaConfiguration>' });
      assert.equal(errorOf(status(bad, 400, 'unknown Mode'))?.Code, 'InvalidArgument');
      const missing = `${B}-not-exist`;
      for (const [method, b] of [['PUT', body], ['GET', undefined], ['DELETE', undefined]] as const) {
        const res = await send({ method, bucket: missing, key: null, params: [['quota', '']], ...(b !== undefined ? { body: b } : {}) });
        assert.equal(errorOf(status(res, 404, `${method} on a missing bucket`))?.Code, 'NoSuchBucket');
      }
      // The bucket itself is kept (DELETE ?quota was once routed to DeleteBucket).
      status(await send({ method: 'GET', bucket, key: 'k' }), 200, 'the bucket and its object are kept');
    });
  });

  describe('TestBucketMetadataTableConfiguration (client_integration_bucket_metadata_table_configuration_test.go)', () => {
    it('Create 200, Get with the table names, Update inventory and journal 200, Delete 204, then MetadataConfigurationNotFound (Create was 501: `createResult.StatusCode` on nil)', async () => {
      const bucket = `${B}-mdt`;
      status(await send({ method: 'PUT', bucket, key: null }), 200, 'PutBucket');
      const create = '<MetadataConfiguration><JournalTableConfiguration><RecordExpiration><Expiration>ENABLED</Expiration><Days>7</Days></RecordExpiration></JournalTableConfiguration>'
        + '<InventoryTableConfiguration><ConfigurationState>ENABLED</ConfigurationState><EncryptionConfiguration><SseAlgorithm>AES256</SseAlgorithm></EncryptionConfiguration></InventoryTableConfiguration></MetadataConfiguration>';
      status(await send({ method: 'POST', bucket, key: null, params: [['metadataConfiguration', '']], body: create }), 200, 'CreateBucketMetadataConfiguration');
      const get = async (): Promise<string> => text(status(await send({ method: 'GET', bucket, key: null, params: [['metadataConfiguration', '']] }), 200, 'GetBucketMetadataConfiguration'));
      const got = await get();
      assert.match(got, /<GetBucketMetadataConfigurationResult><MetadataConfigurationResult><DestinationResult><TableBucketType>oss<\/TableBucketType><TableBucketArn>[^<]+<\/TableBucketArn><TableNamespace>b_[^<]+<\/TableNamespace><\/DestinationResult>/);
      assert.deepEqual(strictTexts(got, 'TableName'), ['journal', 'inventory']);
      assert.deepEqual(strictTexts(got, 'Expiration'), ['ENABLED']);
      assert.deepEqual(strictTexts(got, 'Days'), ['7']);
      assert.deepEqual(strictTexts(got, 'ConfigurationState'), ['ENABLED']);
      assert.deepEqual(strictTexts(got, 'SseAlgorithm'), ['AES256']);
      status(await send({ method: 'PUT', bucket, key: null, params: [['metadataInventoryTable', '']], body: '<InventoryTableConfiguration><ConfigurationState>DISABLED</ConfigurationState></InventoryTableConfiguration>' }), 200, 'UpdateBucketMetadataInventoryTableConfiguration');
      status(await send({ method: 'PUT', bucket, key: null, params: [['metadataJournalTable', '']], body: '<JournalTableConfiguration><RecordExpiration><Expiration>DISABLED</Expiration></RecordExpiration></JournalTableConfiguration>' }), 200, 'UpdateBucketMetadataJournalTableConfiguration');
      const after2 = await get();
      assert.deepEqual(strictTexts(after2, 'ConfigurationState'), ['DISABLED']);
      assert.deepEqual(strictTexts(after2, 'Expiration'), ['DISABLED']);
      status(await send({ method: 'DELETE', bucket, key: null, params: [['metadataConfiguration', '']] }), 204, 'DeleteBucketMetadataConfiguration');
      const gone = await send({ method: 'GET', bucket, key: null, params: [['metadataConfiguration', '']] });
      assert.equal(errorOf(status(gone, 404, 'Get after Delete'))?.Code, 'MetadataConfigurationNotFound');
      const update = await send({ method: 'PUT', bucket, key: null, params: [['metadataInventoryTable', '']], body: '<InventoryTableConfiguration><ConfigurationState>ENABLED</ConfigurationState></InventoryTableConfiguration>' });
      assert.equal(errorOf(status(update, 404, 'Update without a configuration'))?.Code, 'MetadataConfigurationNotFound');
      const short = await send({ method: 'POST', bucket, key: null, params: [['metadataConfiguration', '']], body: create.replace('<Days>7</Days>', '<Days>3</Days>') });
      assert.equal(errorOf(status(short, 400, 'Days below 7'))?.Code, 'InvalidArgument');
      const kms = (arn: string): string => `<MetadataConfiguration><JournalTableConfiguration><EncryptionConfiguration><SseAlgorithm>oss:kms</SseAlgorithm>${arn}</EncryptionConfiguration></JournalTableConfiguration></MetadataConfiguration>`;
      assert.equal(errorOf(status(await send({ method: 'POST', bucket, key: null, params: [['metadataConfiguration', '']], body: kms('') }), 400, 'oss:kms without a key'))?.Code, 'InvalidArgument');
      // A control character XML 1.0 cannot carry would come back raw in the Get, which the SDK's reader refuses.
      assert.equal(errorOf(status(await send({ method: 'POST', bucket, key: null, params: [['metadataConfiguration', '']], body: kms('<KmsKeyArn>acs:kms:&#1;</KmsKeyArn>') }), 400, 'control character'))?.Code, 'InvalidArgument');
      // An unknown AccessKeyId is refused (the test expects 403, code Forbidden on OSS [UNVERIFIED]; here InvalidAccessKeyId).
      assert.equal((await send({ method: 'GET', bucket, key: null, params: [['metadataConfiguration', '']] }, { ak: 'ak', secret: 'sk' })).status, 403);
    });
  });

  describe('TestMetaQuery in semantic mode (Python v2 aio test_meta_query semantic)', () => {
    it('OpenMetaQuery mode=semantic and DoMetaQuery mode=semantic are 200 (DoMetaQuery was 501: `doResult.StatusCode` on nil)', async () => {
      const bucket = `${B}-ai`;
      status(await send({ method: 'PUT', bucket, key: null }), 200, 'PutBucket');
      for (const [key, body] of [['forest.jpg', 'x'.repeat(40)], ['tiny.png', 'x'.repeat(10)], ['notes.txt', 'x'.repeat(40)], ['clip.mp4', 'x'.repeat(50)]] as const) {
        status(await send({ method: 'PUT', bucket, key, body }), 200, `PutObject ${key}`);
      }
      status(await send({ method: 'POST', bucket, key: null, params: [['metaQuery', ''], ['comp', 'add'], ['mode', 'semantic']] }), 200, 'OpenMetaQuery semantic');
      // DoMetaQueryRequest{Mode: "semantic", MetaQuery: {MaxResults: 99, Query, MediaTypes: [image], SimpleQuery}}.
      const body = '<MetaQuery><MaxResults>99</MaxResults><Query>Overlook the snow-covered forest</Query>'
        + '<MediaTypes><MediaType>image</MediaType></MediaTypes>'
        + '<SimpleQuery>{"Operation":"gt", "Field": "Size", "Value": "30"}</SimpleQuery></MetaQuery>';
      const res = text(status(await send({ method: 'POST', bucket, key: null, params: [['metaQuery', ''], ['comp', 'query'], ['mode', 'semantic']], body }), 200, 'DoMetaQuery semantic'));
      // The scalar SimpleQuery and the media type select; the natural-language Query is not understood here.
      assert.deepEqual(strictTexts(res, 'Filename'), ['forest.jpg']);
      assert.deepEqual(strictTexts(res, 'NextToken'), ['']);
      // Without MediaTypes and SimpleQuery: every object, a page of MaxResults.
      const all = text(status(await send({ method: 'POST', bucket, key: null, params: [['metaQuery', ''], ['comp', 'query'], ['mode', 'semantic']], body: '<MetaQuery><MaxResults>2</MaxResults><Query>anything</Query></MetaQuery>' }), 200, 'DoMetaQuery semantic, no filters'));
      assert.equal(strictTexts(all, 'Filename').length, 2);
      assert.equal(strictTexts(all, 'NextToken')[0]!.length > 0, true);
      // A semantic query still needs its Query text.
      const noQuery = await send({ method: 'POST', bucket, key: null, params: [['metaQuery', ''], ['comp', 'query'], ['mode', 'semantic']], body: '<MetaQuery><MaxResults>2</MaxResults></MetaQuery>' });
      assert.equal(errorOf(status(noQuery, 400, 'no Query'))?.Code, 'InvalidArgument');
    });
  });

  describe('TestCname (client_integration_cname_test.go; oss2 test_bucket_cname.py, the PHP SDK\'s CNAME test)', () => {
    // A server of its own in the default `dns` verification mode, asking a DNS server that knows no TXT record (as
    // the cloud's resolver knows none for _dnsauth.example.com).
    let cn: TestServer;
    let dns: TxtServer;
    const cnSend = (r: SdkRequest): Promise<RawResponse> => send(r, root, cn);
    const domain = '<BucketCnameConfiguration><Cname><Domain>example.com</Domain></Cname></BucketCnameConfiguration>';
    before(async () => {
      dns = await startTxtServer();
      cn = await startTestServer({ cname: { dnsServer: dns.address, dnsTimeoutMs: 10_000 } });
    });
    after(async () => {
      await cn?.stop();
      await dns?.close();
    });

    it('token, list, a delete of the unbound domain (200), then PutCname without proof: 403 NeedVerifyDomainOwnership, EC 0018-00000115', async () => {
      const bucket = 'go-sdk-test-cname';
      status(await cnSend({ method: 'PUT', bucket, key: null }), 200, 'PutBucket');
      const made = text(status(await cnSend({ method: 'POST', bucket, key: null, params: [['cname', ''], ['comp', 'token']], body: domain }), 200, 'CreateCnameToken'));
      assert.equal(strictTexts(made, 'Token').length, 1, made);
      status(await cnSend({ method: 'GET', bucket, key: null, params: [['cname', 'example.com'], ['comp', 'token']] }), 200, 'GetCnameToken');
      assert.deepEqual(strictTexts(text(status(await cnSend({ method: 'GET', bucket, key: null, params: [['cname', '']] }), 200, 'ListCname')), 'Domain'), []);
      // Before: 404 NoSuchCname, and `delResult.StatusCode` read a nil result.
      status(await cnSend({ method: 'POST', bucket, key: null, params: [['cname', ''], ['comp', 'delete']], body: domain }), 200, 'DeleteCname of an unbound domain');
      // Before (these changes): bound without proof, 200, and `serr.StatusCode` read a nil error; then 409.
      const refused = await cnSend({ method: 'POST', bucket, key: null, params: [['cname', ''], ['comp', 'add']], body: domain });
      status(refused, 403, 'PutCname without proof');
      const err = errorOf(refused);
      assert.equal(err?.Code, 'NeedVerifyDomainOwnership');
      assert.equal(err?.EC, '0018-00000115');
      assert.ok((err?.RequestId ?? '').length > 0);
      for (const [method, params] of [['POST', [['cname', ''], ['comp', 'token']]], ['GET', [['cname', 'example.com'], ['comp', 'token']]], ['GET', [['cname', '']]], ['POST', [['cname', ''], ['comp', 'delete']]]] as const) {
        const missing = await cnSend({ method, bucket: `${bucket}-not-exist`, key: null, params: params.map(([k, v]) => [k, v] as [string, string]), ...(method === 'POST' ? { body: domain } : {}) });
        status(missing, 404, `${method} ${params[0]![0]} on a missing bucket`);
        assert.equal(errorOf(missing)?.EC, '0015-00000101');
      }
    });
  });
});
