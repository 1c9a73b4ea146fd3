// Bucket operations driven through the real ali-oss client (IP endpoint and path style, V1 and V4).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { expectOssError, headersOf, statusOf } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';

interface ListBucketsResult {
  buckets: Array<{ name: string; region: string; creationDate: string; storageClass: string }> | null;
  owner: { id: string; displayName: string };
  isTruncated: boolean;
  nextMarker: string | null;
}

interface BucketInfo {
  Name: string;
  Location: string;
  StorageClass: string;
  CreationDate: string;
  DataRedundancyType: string;
  ExtranetEndpoint: string;
  Owner: { ID: string; DisplayName: string };
  AccessControlList: { Grant: string };
  Comment?: string;
}

const listBuckets = async (client: OSS, query: Record<string, string | number>): Promise<ListBucketsResult> =>
  (await client.listBuckets(query as OSS.ListBucketsQueryType)) as unknown as ListBucketsResult;

const bucketInfo = async (client: OSS, name: string): Promise<BucketInfo> => ((await client.getBucketInfo(name)) as { bucket: BucketInfo }).bucket;

describe('ali-oss bucket operations', () => {
  let srv: TestServer;
  const configs: Array<{ name: string; make: () => OSS }> = [];

  before(async () => {
    srv = await startTestServer();
    configs.push(
      { name: 'ip+v1', make: () => srv.client() },
      { name: 'ip+v4', make: () => srv.client({ authorizationV4: true }) },
      { name: 'path+v1', make: () => srv.pathClient() },
      { name: 'path+v4', make: () => srv.pathClient({ authorizationV4: true }) },
    );
  });
  after(async () => {
    await srv.stop();
  });

  it('putBucket with acl, getBucketInfo, getBucketLocation, getBucketACL (all client configs)', async () => {
    for (const [i, cfg] of configs.entries()) {
      const client = cfg.make();
      const name = `info-${i}-${cfg.name.replace('+', '-')}`;
      const before = Date.now();
      const put = await client.putBucket(name, { acl: 'public-read' } as OSS.PutBucketOptions);
      assert.equal(statusOf(put), 200, cfg.name);
      assert.equal((put as { bucket: string | null }).bucket, name, `${cfg.name}: Location header names the bucket`);

      const info = await bucketInfo(client, name);
      assert.equal(info.Name, name);
      assert.equal(info.Location, 'oss-cn-hangzhou');
      assert.equal(info.StorageClass, 'Standard');
      assert.equal(info.DataRedundancyType, 'LRS');
      assert.equal(info.ExtranetEndpoint, 'oss-cn-hangzhou.aliyuncs.com');
      assert.equal(info.Owner.ID, ACCOUNT_ID);
      assert.equal(info.AccessControlList.Grant, 'public-read');
      // OSS always sends <Comment> (empty for a bucket never given one); the SDKs read it.
      assert.equal(info.Comment, '', `${cfg.name}: <Comment> present and empty`);
      const created = Date.parse(info.CreationDate);
      assert.ok(created >= before - 1000 && created <= Date.now() + 1000, `CreationDate ${info.CreationDate} is now`);

      const loc = (await client.getBucketLocation(name)) as { location: string };
      assert.equal(loc.location, 'oss-cn-hangzhou');

      const acl = await client.getBucketACL(name);
      assert.equal(acl.acl, 'public-read', cfg.name);
      assert.equal((acl as unknown as { owner: { id: string } }).owner.id, ACCOUNT_ID);
    }
  });

  it('putBucket with storageClass and a default acl', async () => {
    const client = srv.client();
    await client.putBucket('sc-ia-bucket', { storageClass: 'IA' } as OSS.PutBucketOptions);
    const info = await bucketInfo(client, 'sc-ia-bucket');
    assert.equal(info.StorageClass, 'IA');
    assert.equal(info.AccessControlList.Grant, 'private');
    const listed = await listBuckets(client, { prefix: 'sc-ia-' });
    assert.deepEqual(
      listed.buckets?.map((b) => [b.name, b.storageClass, b.region]),
      [['sc-ia-bucket', 'IA', 'oss-cn-hangzhou']],
    );

    const v4 = srv.pathClient({ authorizationV4: true });
    await v4.putBucket('sc-archive-bucket', { storageClass: 'Archive', acl: 'public-read-write' } as OSS.PutBucketOptions);
    const info2 = await bucketInfo(v4, 'sc-archive-bucket');
    assert.equal(info2.StorageClass, 'Archive');
    assert.equal(info2.AccessControlList.Grant, 'public-read-write');
  });

  it('putBucket rejects an unknown acl and storage class with InvalidArgument', async () => {
    const client = srv.client();
    await expectOssError(client.putBucket('bad-acl-bucket', { acl: 'world-writable' } as unknown as OSS.PutBucketOptions), 'InvalidArgument', 400);
    await expectOssError(client.putBucket('bad-sc-bucket', { storageClass: 'Glacier' } as unknown as OSS.PutBucketOptions), 'InvalidArgument', 400);
    await expectOssError(client.getBucketInfo('bad-acl-bucket'), 'NoSuchBucket', 404);
  });

  it('listBuckets filters by prefix and pages with max-keys/marker (all client configs)', async () => {
    const setup = srv.client();
    for (const n of ['lb-a1', 'lb-a2', 'lb-a3', 'lb-b1']) await setup.putBucket(n);
    for (const cfg of configs) {
      const client = cfg.make();
      const all = await listBuckets(client, { prefix: 'lb-' });
      assert.deepEqual(all.buckets?.map((b) => b.name), ['lb-a1', 'lb-a2', 'lb-a3', 'lb-b1'], cfg.name);
      assert.equal(all.isTruncated, false);
      assert.equal(all.owner.id, ACCOUNT_ID);

      const page1 = await listBuckets(client, { prefix: 'lb-a', 'max-keys': 2 });
      assert.deepEqual(page1.buckets?.map((b) => b.name), ['lb-a1', 'lb-a2'], cfg.name);
      assert.equal(page1.isTruncated, true);
      assert.equal(page1.nextMarker, 'lb-a2');
      const page2 = await listBuckets(client, { prefix: 'lb-a', 'max-keys': 2, marker: page1.nextMarker! });
      assert.deepEqual(page2.buckets?.map((b) => b.name), ['lb-a3'], cfg.name);
      assert.equal(page2.isTruncated, false);
      assert.equal(page2.nextMarker, null);

      const none = await listBuckets(client, { prefix: 'no-such-prefix-' });
      assert.equal(none.buckets, null);
    }
  });

  it('listBuckets refuses a prefix or marker that cannot start a bucket name (400 InvalidArgument, EC 0017-00000290/291)', async () => {
    const client = srv.client();
    await client.putBucket('lbv-ok');
    // The Go SDK's IsBucketExist test lists with prefix=BucketNameInvalid and expects an error.
    for (const [query, name, ec] of [
      [{ prefix: 'BucketNameInvalid', 'max-keys': 1 }, 'prefix', '0017-00000290'],
      [{ prefix: 'logs/' }, 'prefix', '0017-00000290'],
      [{ prefix: 'a'.repeat(1025) }, 'prefix', '0017-00000290'],
      [{ marker: 'Upper' }, 'marker', '0017-00000291'],
      [{ marker: 'a_b' }, 'marker', '0017-00000291'],
    ] as const) {
      const err = (await listBuckets(client, query).then(() => null, (e: unknown) => e)) as { status: number; code: string; message: string; ecCode?: string } | null;
      assert.ok(err, JSON.stringify(query));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'InvalidArgument');
      assert.match(err.message, new RegExp(`The ${name} of ListBuckets`));
      assert.equal(err.ecCode, ec);
    }
    // Everything a bucket name can start with still lists.
    assert.deepEqual((await listBuckets(client, { prefix: 'lbv-', marker: '' })).buckets?.map((b) => b.name), ['lbv-ok']);
    assert.deepEqual((await listBuckets(client, { prefix: 'lbv-ok', marker: 'lbv-' })).buckets?.map((b) => b.name), ['lbv-ok']);
    assert.deepEqual((await listBuckets(client, { prefix: '0-9' })).buckets, null);
    // Longer than a bucket name: matches nothing, not refused (oss2's tearDown lists `<bucket>-test-`).
    assert.deepEqual((await listBuckets(client, { prefix: `lbv-ok${'-x'.repeat(40)}` })).buckets, null);
    await client.deleteBucket('lbv-ok');
  });

  it('uploadId or partNumber without an object key is refused: an empty bucket is not deleted (the Go SDK aborts an empty result as DELETE /<bucket>/?uploadId=)', async () => {
    const client = srv.client();
    await client.putBucket('no-key-upload');
    for (const [method, path, query] of [
      ['DELETE', '/no-key-upload/?uploadId=', [['uploadId', '']]],
      ['PUT', '/no-key-upload/?partNumber=1&uploadId=', [['partNumber', '1'], ['uploadId', '']]],
    ] as const) {
      const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method, bucket: 'no-key-upload', key: null, query: query.map(([k, v]) => [k, v] as [string, string]), headers }, AK, SECRET).authorization;
      const res = await rawRequest(srv.port, { method, path, headers });
      assert.equal(res.status, 400, `${method} ${path}: ${res.body.toString()}`);
      assert.equal(errorOf(res)?.Code, 'InvalidArgument');
    }
    assert.equal(((await client.getBucketInfo('no-key-upload')) as { bucket: { Name: string } }).bucket.Name, 'no-key-upload', 'the bucket is still there');
    await client.deleteBucket('no-key-upload');
  });

  it('listBuckets without filters lists every bucket with its metadata', async () => {
    const res = await listBuckets(srv.client({ authorizationV4: true }), {});
    const names = res.buckets?.map((b) => b.name) ?? [];
    assert.ok(names.includes('lb-b1') && names.includes('sc-ia-bucket'), names.join(','));
    assert.deepEqual([...names].sort(), names, 'sorted by name');
    for (const b of res.buckets ?? []) assert.ok(!Number.isNaN(Date.parse(b.creationDate)), b.creationDate);
    // Asked on this server's own address, each bucket's endpoints are that address (the SDK v2 test suites clean
    // up through a client on ExtranetEndpoint); asked on an OSS host name, OSS's.
    const listAs = async (host: string): Promise<string> => {
      const headers: Record<string, string> = { host, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method: 'GET', bucket: null, key: null, query: [], headers }, AK, SECRET).authorization;
      return (await rawRequest(srv.port, { method: 'GET', path: '/', headers })).body.toString('utf8');
    };
    const local = await listAs(`127.0.0.1:${srv.port}`);
    assert.equal(local.split('<ExtranetEndpoint>').length - 1, names.length);
    assert.ok(local.includes(`<ExtranetEndpoint>http://127.0.0.1:${srv.port}</ExtranetEndpoint><IntranetEndpoint>http://127.0.0.1:${srv.port}</IntranetEndpoint>`), local.slice(0, 600));
    assert.doesNotMatch(local, /aliyuncs/);
    for (const host of ['oss-cn-hangzhou.aliyuncs.com', 'oss-cn-hangzhou.aliyuncs.com:443']) {
      assert.match(await listAs(host), /<ExtranetEndpoint>oss-cn-hangzhou\.aliyuncs\.com<\/ExtranetEndpoint><IntranetEndpoint>oss-cn-hangzhou-internal\.aliyuncs\.com<\/IntranetEndpoint>/, host);
    }
  });


  it('listBuckets reads no bucket configuration but the tags: a 1,000-rule lifecycle (or 1,000 inventories) is not read for each bucket listed', async () => {
    // A bucket's record carries its configurations (up to 1 MiB of lifecycle rules, 1 MiB of inventories, ...);
    // read and parsed for each listed bucket, one ListBuckets of 20 such buckets held the event loop for 0.9 s.
    const client = srv.client();
    await client.putBucket('lb-fat-config');
    await client.putBucket('lb-tagged');
    const rules = Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, prefix: `${String(i).padStart(3, '0')}${'p'.repeat(400)}`, status: 'Enabled' as const, days: 30 }));
    await client.putBucketLifecycle('lb-fat-config', rules as unknown as OSS.LifecycleRule[]);
    await (client as unknown as { putBucketTags(name: string, tags: Record<string, string>): Promise<unknown> }).putBucketTags('lb-tagged', { team: 'a' });
    const meta = srv.meta;
    const original = meta.listBuckets.bind(meta);
    let configBytes = 0;
    meta.listBuckets = async (q) => {
      const page = await original(q);
      for (const b of page) configBytes += JSON.stringify(b.configs).length;
      return page;
    };
    try {
      const all = await listBuckets(client, {});
      assert.ok(all.buckets?.some((b) => b.name === 'lb-fat-config'));
      const tagged = await listBuckets(client, { 'tag-key': 'team', 'tag-value': 'a' });
      assert.deepEqual(tagged.buckets?.map((b) => b.name), ['lb-tagged'], 'the tag filter still reads the tags');
      assert.ok(configBytes < 2000, `ListBuckets read ${configBytes} bytes of bucket configurations`);
    } finally {
      meta.listBuckets = original;
      await client.deleteBucket('lb-fat-config');
      await client.deleteBucket('lb-tagged');
    }
  });
  it('putBucketACL / getBucketACL, invalid value rejected (all client configs)', async () => {
    await srv.client().putBucket('acl-bucket');
    for (const cfg of configs) {
      const client = cfg.make();
      for (const acl of ['public-read-write', 'public-read', 'private'] as const) {
        const put = await client.putBucketACL('acl-bucket', acl);
        assert.equal(statusOf(put), 200);
        assert.equal((await client.getBucketACL('acl-bucket')).acl, acl, `${cfg.name} ${acl}`);
      }
      await expectOssError(client.putBucketACL('acl-bucket', 'everyone' as OSS.ACLType), 'InvalidArgument', 400);
      assert.equal((await client.getBucketACL('acl-bucket')).acl, 'private');
      await expectOssError(client.getBucketACL('acl-missing-bucket'), 'NoSuchBucket', 404);
      // PutBucketAcl on a missing bucket creates it (test/sdk-fidelity), but an invalid ACL creates nothing.
      await expectOssError(client.putBucketACL('acl-missing-bucket', 'everyone' as OSS.ACLType), 'InvalidArgument', 400);
      await expectOssError(client.getBucketACL('acl-missing-bucket'), 'NoSuchBucket', 404);
    }
  });

  it('bucket policy: absent → {policy:null,status:404}, put, get, delete (all client configs)', async () => {
    await srv.client().putBucket('policy-bucket');
    const policy = {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['oss:GetObject'],
          Principal: ['*'],
          Resource: ['acs:oss:*:*:policy-bucket/public/*'],
        },
      ],
    };
    for (const cfg of configs) {
      const client = cfg.make();
      const absent = await client.getBucketPolicy('policy-bucket');
      assert.equal(absent.policy, null, cfg.name);
      assert.equal(absent.status, 404, cfg.name);

      const put = await client.putBucketPolicy('policy-bucket', policy as unknown as OSS.BucketPolicy);
      assert.equal(statusOf(put), 200);
      const got = await client.getBucketPolicy('policy-bucket');
      assert.equal(got.status, 200);
      assert.deepEqual(got.policy, policy, cfg.name);
      assert.match(headersOf(got)['content-type'] ?? '', /application\/json/);

      const del = await client.deleteBucketPolicy('policy-bucket');
      assert.equal(statusOf(del), 204);
      const gone = await client.getBucketPolicy('policy-bucket');
      assert.equal(gone.policy, null);
      assert.equal(gone.status, 404);
    }
  });

  it('putBucketPolicy rejects a document without a Statement array', async () => {
    const client = srv.client();
    await client.putBucket('policy-bad-bucket');
    await expectOssError(client.putBucketPolicy('policy-bad-bucket', { Version: '1' } as unknown as OSS.BucketPolicy), 'InvalidPolicyDocument', 400);
    assert.equal((await client.getBucketPolicy('policy-bad-bucket')).status, 404);
  });

  it('bucket CORS: absent → NoSuchCORSConfiguration, put, get, delete (all client configs)', async () => {
    await srv.client().putBucket('cors-bucket');
    const rules = [
      {
        allowedOrigin: ['https://a.example.com', 'https://*.b.example.com'],
        allowedMethod: ['GET', 'PUT', 'HEAD'],
        allowedHeader: '*',
        exposeHeader: ['ETag', 'x-oss-request-id'],
        maxAgeSeconds: '100',
      },
      { allowedOrigin: '*', allowedMethod: 'GET' },
    ];
    for (const cfg of configs) {
      const client = cfg.make();
      await expectOssError(client.getBucketCORS('cors-bucket'), 'NoSuchCORSConfiguration', 404);
      const put = await client.putBucketCORS('cors-bucket', rules as unknown as OSS.CORSRule[]);
      assert.equal(statusOf(put), 200);
      const got = await client.getBucketCORS('cors-bucket');
      assert.deepEqual(got.rules, [
        {
          allowedOrigin: ['https://a.example.com', 'https://*.b.example.com'],
          allowedMethod: ['GET', 'PUT', 'HEAD'],
          allowedHeader: '*',
          exposeHeader: ['ETag', 'x-oss-request-id'],
          maxAgeSeconds: '100',
        },
        { allowedOrigin: '*', allowedMethod: 'GET' },
      ], cfg.name);
      const del = await client.deleteBucketCORS('cors-bucket');
      assert.equal(statusOf(del), 204);
      await expectOssError(client.getBucketCORS('cors-bucket'), 'NoSuchCORSConfiguration', 404);
    }
  });

  it('putBucketCORS rejects an unsupported method', async () => {
    const client = srv.client();
    await client.putBucket('cors-bad-bucket');
    await expectOssError(client.putBucketCORS('cors-bad-bucket', [{ allowedOrigin: '*', allowedMethod: 'PATCH' }] as unknown as OSS.CORSRule[]), 'InvalidArgument', 400);
    await expectOssError(client.getBucketCORS('cors-bad-bucket'), 'NoSuchCORSConfiguration', 404);
  });

  it('deleteBucket: BucketNotEmpty while objects or multipart uploads exist, then NoSuchBucket', async () => {
    for (const cfg of configs) {
      const name = `del-${cfg.name.replace('+', '-')}`;
      const admin = cfg.make();
      await admin.putBucket(name);
      const client = cfg.name.startsWith('ip') ? srv.client({ bucket: name, authorizationV4: cfg.name.endsWith('v4') }) : srv.pathClient({ bucket: name, authorizationV4: cfg.name.endsWith('v4') });

      await client.put('dir/obj.txt', Buffer.from('x'));
      const e1 = await expectOssError(admin.deleteBucket(name), 'BucketNotEmpty', 409);
      assert.equal(e1.hostId !== undefined && e1.requestId !== undefined, true, 'error carries HostId and RequestId');
      await client.delete('dir/obj.txt');

      const { uploadId } = await client.initMultipartUpload('pending.bin');
      await expectOssError(admin.deleteBucket(name), 'BucketNotEmpty', 409);
      await client.abortMultipartUpload('pending.bin', uploadId);

      const del = await admin.deleteBucket(name);
      assert.ok([200, 204].includes(statusOf(del)), cfg.name);
      await expectOssError(admin.getBucketInfo(name), 'NoSuchBucket', 404);
      await expectOssError(admin.deleteBucket(name), 'NoSuchBucket', 404);
      const listed = await listBuckets(admin, { prefix: name });
      assert.equal(listed.buckets, null);
    }
  });

  it('operations on a missing bucket answer NoSuchBucket', async () => {
    const client = srv.client({ bucket: 'never-created' });
    await expectOssError(client.getBucketInfo('never-created'), 'NoSuchBucket', 404);
    await expectOssError(client.getBucketLocation('never-created'), 'NoSuchBucket', 404);
    await expectOssError(client.put('k.txt', Buffer.from('x')), 'NoSuchBucket', 404);
    await expectOssError(client.get('k.txt'), 'NoSuchBucket', 404);
    await expectOssError(client.list(null, {}), 'NoSuchBucket', 404);
  });
});
