// What oss2's own tests (aliyun/aliyun-oss-python-sdk tests/*.py) expect of OSS, replayed with the requests oss2
// sends: path style (oss2 uses it for an IP or localhost endpoint), keys through `quote(key, '')`, V1 header
// signatures (oss2.Auth), answers read as its xml_utils reads them. oss2 itself cannot be installed here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';

const B = 'oss2-fidelity';

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };
type Reply = SdkReply;

/** Python's `quote(s, '')`: every byte but letters, digits and `_.-~` escaped, `/` too. */
const pyQuote = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

describe("oss2's own tests (aliyun-oss-python-sdk tests/)", () => {
  let srv: TestServer;

  /** A request as oss2 sends it: path style, the key quoted with `/` escaped, V1-signed with a Date header. */
  async function send(r: Send): Promise<Reply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, pyQuote);
  }

  const ok = (res: Reply, what: string): Reply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const fails = (res: Reply, code: string, status: number, what: string): Reply => {
    assert.equal(res.status, status, `${what}: ${res.text.slice(0, 300)}`);
    assert.equal(res.err?.Code, code, what);
    return res;
  };

  before(async () => {
    srv = await startTestServer();
    ok(await send({ method: 'PUT' }), 'PutBucket');
  });
  after(async () => {
    await srv.stop();
  });

  describe('test_object.py', () => {
    it('test_append_object_with_tagging_wrong_num: a later append ignores x-oss-tagging, 15 tags included; the first append refuses them', async () => {
      const tags = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `key${i + from}=value${i + from}`).join('&');
      const append = (key: string, position: number, tagging?: string): Promise<Reply> =>
        send({ method: 'POST', key, query: [['append', ''], ['position', String(position)]], body: 'x'.repeat(128), headers: tagging === undefined ? {} : { 'x-oss-tagging': tagging } });
      ok(await append('append-tags', 0), 'first append');
      ok(await append('append-tags', 128, tags(15)), 'second append with 15 tags');
      ok(await append('append-tags', 256, tags(9, 6)), 'third append with 9 tags');
      const got = ok(await send({ method: 'GET', key: 'append-tags', query: [['tagging', '']] }), 'GetObjectTagging');
      assert.equal([...got.text.matchAll(/<Tag>/g)].length, 0);
      assert.equal(ok(await send({ method: 'HEAD', key: 'append-tags' }), 'HEAD').headers['x-oss-next-append-position'], '384');
      // "append object with wrong tagging kv num in first call, it will be fail"
      fails(await append('append-tags-first', 0, tags(15)), 'BadRequest', 400, 'first append with 15 tags');
      fails(await send({ method: 'HEAD', key: 'append-tags-first' }), 'NoSuchKey', 404, 'nothing stored');
    });
  });
  describe('test_bucket_https_config.py', () => {
    const https = (enable: boolean, versions: string[]): string =>
      `<HttpsConfiguration><TLS><Enable>${enable}</Enable>${versions.map((v) => `<TLSVersion>${v}</TLSVersion>`).join('')}</TLS></HttpsConfiguration>`;
    const put = (body: string): Promise<Reply> => send({ method: 'PUT', query: [['httpsConfig', '']], body });
    const versionsRead = async (): Promise<string[]> => {
      const got = ok(await send({ method: 'GET', query: [['httpsConfig', '']] }), 'GetBucketHttpsConfig');
      return [...got.text.matchAll(/<TLSVersion>([^<]*)<\/TLSVersion>/g)].map((m) => m[1] ?? '');
    };

    it('test_https_config_normal: versions read back as put; disabled with none reads back none', async () => {
      ok(await put(https(true, ['TLSv1.2', 'TLSv1.3'])), 'enable');
      assert.deepEqual(await versionsRead(), ['TLSv1.2', 'TLSv1.3']);
      ok(await put(https(false, [])), 'disable');
      assert.deepEqual(await versionsRead(), []);
    });

    it('test_https_config_exception_1 and _2: enabled without a version, or an unknown version, is MalformedXML; the stored one stays', async () => {
      ok(await put(https(true, ['TLSv1.3'])), 'enable');
      fails(await put(https(true, [])), 'MalformedXML', 400, 'no TLSVersion');
      fails(await put(https(true, ['aaa', 'bbb'])), 'MalformedXML', 400, 'unknown TLSVersion');
      assert.deepEqual(await versionsRead(), ['TLSv1.3']);
    });

    it('test_https_config_exception_3: a version named twice is kept once', async () => {
      ok(await put(https(true, ['TLSv1.2', 'TLSv1.2'])), 'duplicate');
      assert.deepEqual(await versionsRead(), ['TLSv1.2']);
    });
  });
  describe('test_bucket_style.py', () => {
    const putStyle = (name: string, content: string): Promise<Reply> =>
      send({ method: 'PUT', query: [['style', ''], ['styleName', name]], body: `<Style><Content>${content}</Content></Style>` });

    it('test_bucket_style_content: content that is no process string is kept as sent and read back', async () => {
      ok(await putStyle('aaa', 'csdar5324'), 'PutStyle');
      const got = ok(await send({ method: 'GET', query: [['style', ''], ['styleName', 'aaa']] }), 'GetStyle');
      assert.match(got.text, /<Name>aaa<\/Name>/);
      assert.match(got.text, /<Content>csdar5324<\/Content>/);
      // Using it processes nothing: the request is refused, the object untouched.
      ok(await send({ method: 'PUT', key: 'style-src.jpg', body: 'not an image' }), 'PutObject');
      fails(await send({ method: 'GET', key: 'style-src.jpg', query: [['x-oss-process', 'style/aaa']] }), 'InvalidArgument', 400, 'GET with the style');
    });

    it("test_bucket_style_exception: empty content is refused with OSS's message", async () => {
      const res = fails(await putStyle('imagestyle', ''), 'InvalidArgument', 400, 'empty content');
      assert.equal(res.err?.Message, 'Style content is invalid.');
    });

    it('test_bucket_style_exception_style_name: a name with other characters is InvalidArgument', async () => {
      fails(await putStyle('@%$^&%(&(*(*', 'image/resize,w_200'), 'InvalidArgument', 400, 'bad name');
    });
  });
  describe('test_bucket_archive_direct_read.py', () => {
    const put = (enabled: string): Promise<Reply> =>
      send({ method: 'PUT', query: [['bucketArchiveDirectRead', '']], body: `<ArchiveDirectReadConfiguration><Enabled>${enabled}</Enabled></ArchiveDirectReadConfiguration>` });
    const enabled = async (): Promise<string | undefined> =>
      /<Enabled>([^<]*)<\/Enabled>/.exec(ok(await send({ method: 'GET', query: [['bucketArchiveDirectRead', '']] }), 'Get').text)?.[1];

    it('test_bucket_archive_direct_read: true and false read back; a value that is neither is MalformedXML', async () => {
      ok(await put('true'), 'true');
      assert.equal(await enabled(), 'true');
      ok(await put('false'), 'false');
      assert.equal(await enabled(), 'false');
      fails(await put('aa'), 'MalformedXML', 400, 'aa');
      assert.equal(await enabled(), 'false');
    });
  });
  describe('test_bucket_access_monitor.py', () => {
    it('test_access_monitor: Enabled and Disabled read back; a Status that is neither is MalformedXML', async () => {
      const put = (status: string): Promise<Reply> =>
        send({ method: 'PUT', query: [['accessmonitor', '']], body: `<AccessMonitorConfiguration><Status>${status}</Status></AccessMonitorConfiguration>` });
      const status = async (): Promise<string | undefined> =>
        /<Status>([^<]*)<\/Status>/.exec(ok(await send({ method: 'GET', query: [['accessmonitor', '']] }), 'Get').text)?.[1];
      ok(await put('Enabled'), 'Enabled');
      assert.equal(await status(), 'Enabled');
      ok(await put('Disabled'), 'Disabled');
      assert.equal(await status(), 'Disabled');
      fails(await put('aa'), 'MalformedXML', 400, 'aa');
      assert.equal(await status(), 'Disabled');
    });
  });
  describe('test_bucket_inventory.py', () => {
    const bucket = 'oss2-inventory';
    const config = (id: string, filter: string): string =>
      `<InventoryConfiguration><Id>${id}</Id><IsEnabled>True</IsEnabled><Filter>${filter}</Filter><Destination><OSSBucketDestination><Format>CSV</Format>` +
      `<AccountId>1234567890123456</AccountId><RoleArn>acs:ram::1234567890123456:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${B}</Bucket>` +
      '<Prefix>destination-prefix</Prefix><Encryption><SSE-OSS /></Encryption></OSSBucketDestination></Destination><Schedule><Frequency>Weekly</Frequency></Schedule>' +
      '<IncludedObjectVersions>All</IncludedObjectVersions><OptionalFields><Field>Size</Field><Field>ETag</Field></OptionalFields></InventoryConfiguration>';
    const put = (id: string, filter = '<Prefix>obj-prefix</Prefix>'): Promise<Reply> =>
      send({ method: 'PUT', bucket, query: [['inventory', ''], ['inventoryId', id]], body: config(id, filter) });
    const list = (token: string): Promise<Reply> => send({ method: 'GET', bucket, query: [['inventory', ''], ['continuation-token', token]] });

    before(async () => {
      ok(await send({ method: 'PUT', bucket }), 'PutBucket');
    });

    it('test_list_none_inventory: listing a bucket without inventories is NoSuchInventory', async () => {
      fails(await list(''), 'NoSuchInventory', 404, 'ListBucketInventory');
    });

    it('test_bucket_inventory_filter: the Filter StorageClass list reads back in name order', async () => {
      ok(await put('test-id-4', '<Prefix>obj-prefix</Prefix><LastModifyBeginTimeStamp>1637883649</LastModifyBeginTimeStamp><StorageClass>Standard,IA</StorageClass>'), 'Put');
      const got = ok(await send({ method: 'GET', bucket, query: [['inventory', ''], ['inventoryId', 'test-id-4']] }), 'Get');
      assert.match(got.text, /<StorageClass>IA,Standard<\/StorageClass>/);
      assert.match(ok(await list(''), 'List').text, /<StorageClass>IA,Standard<\/StorageClass>/);
      ok(await send({ method: 'DELETE', bucket, query: [['inventory', ''], ['inventoryId', 'test-id-4']] }), 'Delete');
    });

    it('test_list_lot_bucket_inventory: 120 in pages of 100; the second page echoes the token it was asked with', async () => {
      for (let i = 0; i < 120; i++) ok(await put(`test-lot-id-${String(i).padStart(3, '0')}`), `Put ${i}`);
      const first = ok(await list(''), 'first page').text;
      assert.equal([...first.matchAll(/<InventoryConfiguration>/g)].length, 100);
      assert.doesNotMatch(first, /<ContinuationToken>/, 'no token on the first page (oss2 reads None)');
      const token = /<NextContinuationToken>([^<]*)</.exec(first)?.[1] ?? '';
      assert.notEqual(token, '');
      const second = ok(await list(token), 'second page').text;
      assert.equal([...second.matchAll(/<InventoryConfiguration>/g)].length, 20);
      assert.equal(/<ContinuationToken>([^<]*)</.exec(second)?.[1], token);
      assert.match(second, /<IsTruncated>false<\/IsTruncated>/);
      assert.doesNotMatch(second, /<NextContinuationToken>/);
    });
  });
});
