// Configurations that were "stored and returned only" and now act (docs/stored-configurations.md): transfer
// acceleration decides whether the acceleration endpoints serve a bucket (oss/accelerate-endpoint.ts), a bucket's
// resource group filters ListBuckets and shows in GetBucketInfo, GetBucketReplicationLocation offers the regions
// DescribeRegions lists, and a rule's RTC reads enabling until the rule has taken effect. Driven through ali-oss (its own request path for the calls it has no method for), V1 and V4,
// every name resolved to the loopback. Runs on SQLite and, with ALUNITE_TEST_META=postgres, on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { stateOf } from '../src/oss/coverage.js';
import { loopbackAgent, loopbackGet as get } from './helpers/loopback.js';
import { expectOssError, rawBucketRequest } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

/** A bucket call ali-oss has no method for, sent and signed by ali-oss itself; a GET's XML answer parsed as ali-oss parses. */
async function bucketCall(c: OSS, method: string, bucket: string, subres: string | Record<string, string>, body?: string): Promise<{ data: unknown }> {
  const r = await rawBucketRequest(c, method, bucket, subres, body);
  return { data: method === 'GET' ? await (c as unknown as { parseXML(d: unknown): Promise<unknown> }).parseXML(r.data) : r.data };
}

const accelerationXml = (on: boolean): string => `<TransferAccelerationConfiguration><Enabled>${on}</Enabled></TransferAccelerationConfiguration>`;
const groupXml = (id: string): string => `<BucketResourceGroupConfiguration><ResourceGroupId>${id}</ResourceGroupId></BucketResourceGroupConfiguration>`;

describe('configurations that act', () => {
  let srv: TestServer;
  before(async () => {
    // The replication worker runs when the test says (runOnce), so a rule's first pass is a step of the test.
    srv = await startTestServer({ replication: { intervalMs: 0 } });
  });
  after(async () => {
    await srv.stop();
  });

  it('the coverage table counts them implemented, not stored and returned only', () => {
    for (const op of ['PutBucketTransferAcceleration', 'GetBucketTransferAcceleration', 'PutBucketResourceGroup', 'GetBucketResourceGroup', 'GetBucketReplicationLocation', 'PutBucketRtc']) {
      assert.equal(stateOf(op), 'implemented', op);
    }
  });

  describe('transfer acceleration: the acceleration endpoints serve a bucket only while it is on', () => {
    const B = 'accel-effects';
    const NOT_ON = 'Transfer acceleration is not enabled on this bucket: use its region endpoint, or enable it with PutBucketTransferAcceleration.';
    /** ali-oss as an app configures the acceleration endpoint (V4: signed for the bucket's region). */
    const accelerated = (v4: boolean, host = 'oss-accelerate.aliyuncs.com'): OSS => new OSS({
      endpoint: `http://${host}:${srv.port}`, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET,
      agent: loopbackAgent, timeout: 60_000, bucket: B, ...(v4 ? { authorizationV4: true } : {}),
    } as OSS.Options);
    /** The same, path style (`oss-accelerate.aliyuncs.com/<bucket>/<key>`: ali-oss's sldEnable). */
    const acceleratedPath = (): OSS => new OSS({
      endpoint: `http://oss-accelerate.aliyuncs.com:${srv.port}`, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET,
      agent: loopbackAgent, timeout: 60_000, bucket: B, sldEnable: true,
    } as OSS.Options);

    before(async () => {
      await srv.client().putBucket(B);
      await srv.client({ bucket: B }).put('a.txt', Buffer.from('home'));
    });

    it('never enabled: 403 AccessDenied through either acceleration endpoint, V1 and V4; the region endpoint serves it', async () => {
      for (const host of ['oss-accelerate.aliyuncs.com', 'oss-accelerate-overseas.aliyuncs.com']) {
        for (const v4 of [false, true]) {
          const err = await expectOssError(accelerated(v4, host).get('a.txt'), 'AccessDenied', 403);
          assert.equal(err.message, NOT_ON, `${host} v4=${v4}`);
          await expectOssError(accelerated(v4, host).put('b.txt', Buffer.from('x')), 'AccessDenied', 403);
        }
      }
      await expectOssError(acceleratedPath().get('a.txt'), 'AccessDenied', 403);
      assert.equal((await srv.client({ bucket: B }).get('a.txt')).content.toString(), 'home');
      await expectOssError(srv.client({ bucket: B }).get('b.txt'), 'NoSuchKey', 404);
      // The refusal names the bucket's region endpoint (ali-oss keeps no error body: a URL it presigns shows it).
      const res = await get(accelerated(false).signatureUrl('a.txt', { expires: 600 }));
      assert.equal(res.status, 403);
      assert.match(res.body, /<Code>AccessDenied<\/Code>/);
      assert.match(res.body, /<Bucket>accel-effects<\/Bucket>/);
      assert.match(res.body, /<Endpoint>oss-cn-hangzhou\.aliyuncs\.com<\/Endpoint>/);
    });

    it('enabled: reads and writes through both acceleration endpoints; GetBucketInfo says Enabled', async () => {
      await bucketCall(srv.client(), 'PUT', B, 'transferAcceleration', accelerationXml(true));
      const got = await bucketCall(srv.client(), 'GET', B, 'transferAcceleration');
      assert.deepEqual(got.data, { Enabled: 'true' });
      for (const host of ['oss-accelerate.aliyuncs.com', 'oss-accelerate-overseas.aliyuncs.com']) {
        for (const v4 of [false, true]) {
          const c = accelerated(v4, host);
          assert.equal((await c.get('a.txt')).content.toString(), 'home', `${host} v4=${v4}`);
          await c.put(`via-${v4 ? 'v4' : 'v1'}.txt`, Buffer.from(host));
          assert.equal((await srv.client({ bucket: B }).get(`via-${v4 ? 'v4' : 'v1'}.txt`)).content.toString(), host);
        }
      }
      assert.equal((await acceleratedPath().get('a.txt')).content.toString(), 'home');
      const res = await get(accelerated(false).signatureUrl('a.txt', { expires: 600 }));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'home');
      assert.equal((await srv.client().getBucketInfo(B)).bucket.TransferAcceleration, 'Enabled');
    });

    it('turned off again, or its configuration deleted: refused again', async () => {
      await bucketCall(srv.client(), 'PUT', B, 'transferAcceleration', accelerationXml(false));
      await expectOssError(accelerated(true).get('a.txt'), 'AccessDenied', 403);
      assert.equal((await srv.client().getBucketInfo(B)).bucket.TransferAcceleration, 'Disabled');
      await bucketCall(srv.client(), 'PUT', B, 'transferAcceleration', accelerationXml(true));
      assert.equal((await accelerated(true).get('a.txt')).content.toString(), 'home');
      await bucketCall(srv.client(), 'DELETE', B, 'transferAcceleration');
      await expectOssError(accelerated(false).get('a.txt'), 'AccessDenied', 403);
    });

    it('a bucket that does not exist is NoSuchBucket there, as on the region endpoint', async () => {
      const c = new OSS({
        endpoint: `http://oss-accelerate.aliyuncs.com:${srv.port}`, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET,
        agent: loopbackAgent, timeout: 60_000, bucket: 'accel-nowhere',
      } as OSS.Options);
      await expectOssError(c.get('a.txt'), 'NoSuchBucket', 404);
    });

    it('PutBucketTransferAcceleration is oss:PutBucketTransferAcceleration, and Enabled must be true or false', async () => {
      const ram = new Ram(srv);
      const user = await ram.userWith('accel-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketTransferAcceleration'], Resource: ['acs:oss:*:*:*'] }));
      await expectOssError(bucketCall(user.oss(), 'PUT', B, 'transferAcceleration', accelerationXml(true)), 'AccessDenied', 403);
      await expectOssError(accelerated(false).get('a.txt'), 'AccessDenied', 403);
      await expectOssError(bucketCall(srv.client(), 'PUT', B, 'transferAcceleration', accelerationXml('yes' as unknown as boolean)), 'InvalidArgument', 400);
      await expectOssError(bucketCall(user.oss(), 'GET', B, 'transferAcceleration'), 'NoSuchTransferAccelerationConfiguration', 404);
    });
  });

  describe('resource groups: ListBuckets by group, GetBucketInfo and GetBucketResourceGroup name it', () => {
    const groupOf = async (bucket: string): Promise<string> =>
      ((await bucketCall(srv.client(), 'GET', bucket, 'resourceGroup')).data as { ResourceGroupId: string }).ResourceGroupId;
    /** The buckets ListBuckets names for the header (absent: no header), with the ResourceGroupId each shows. */
    const listed = async (group?: string): Promise<Map<string, string | undefined>> => {
      const list = srv.client().listBuckets as unknown as (q: object, o: object) => Promise<{ res: { data: Buffer } }>;
      const { res } = await list.call(srv.client(), {}, group === undefined ? {} : { headers: { 'x-oss-resource-group-id': group } });
      const xml = res.data.toString('utf8');
      const out = new Map<string, string | undefined>();
      for (const m of xml.matchAll(/<Bucket>(.*?)<\/Bucket>/gs)) {
        const name = /<Name>([^<]*)<\/Name>/.exec(m[1]!)![1]!;
        if (name.startsWith('rg-effects-')) out.set(name, /<ResourceGroupId>([^<]*)<\/ResourceGroupId>/.exec(m[1]!)?.[1]);
      }
      return out;
    };

    it('PutBucket with x-oss-resource-group-id creates the bucket in that group; an ill-formed ID creates nothing', async () => {
      await srv.client().putBucket('rg-effects-a', { headers: { 'x-oss-resource-group-id': 'rg-aek27tc1' } } as never);
      await srv.client().putBucket('rg-effects-b');
      await srv.client().putBucket('rg-effects-c', { headers: { 'x-oss-resource-group-id': 'rg-default-id' } } as never);
      assert.equal(await groupOf('rg-effects-a'), 'rg-aek27tc1');
      assert.equal(await groupOf('rg-effects-b'), 'rg-default-id');
      assert.equal(await groupOf('rg-effects-c'), 'rg-default-id');
      await expectOssError(srv.client().putBucket('rg-effects-bad', { headers: { 'x-oss-resource-group-id': 'not a group' } } as never), 'InvalidArgument', 400);
      await expectOssError(srv.client().getBucketInfo('rg-effects-bad'), 'NoSuchBucket', 404);
    });

    it('ListBuckets: by group with each bucket\'s ResourceGroupId, an empty header the default group, none every bucket', async () => {
      assert.deepEqual(await listed('rg-aek27tc1'), new Map([['rg-effects-a', 'rg-aek27tc1']]));
      assert.deepEqual(await listed(''), new Map([['rg-effects-b', 'rg-default-id'], ['rg-effects-c', 'rg-default-id']]));
      assert.deepEqual(await listed('rg-default-id'), new Map([['rg-effects-b', 'rg-default-id'], ['rg-effects-c', 'rg-default-id']]));
      assert.deepEqual(await listed('rg-nobodys0'), new Map());
      assert.deepEqual(await listed(), new Map([['rg-effects-a', undefined], ['rg-effects-b', undefined], ['rg-effects-c', undefined]]));
    });

    it('PutBucketResourceGroup moves a bucket: ListBuckets and GetBucketInfo follow; an empty ID moves it back', async () => {
      await bucketCall(srv.client(), 'PUT', 'rg-effects-b', 'resourceGroup', groupXml('rg-aek27tc1'));
      assert.equal((await srv.client().getBucketInfo('rg-effects-b')).bucket.ResourceGroupId, 'rg-aek27tc1');
      assert.deepEqual([...(await listed('rg-aek27tc1')).keys()], ['rg-effects-a', 'rg-effects-b']);
      await bucketCall(srv.client(), 'PUT', 'rg-effects-a', 'resourceGroup', groupXml(''));
      assert.equal((await srv.client().getBucketInfo('rg-effects-a')).bucket.ResourceGroupId, 'rg-default-id');
      assert.deepEqual([...(await listed('rg-aek27tc1')).keys()], ['rg-effects-b']);
      assert.deepEqual([...(await listed('')).keys()], ['rg-effects-a', 'rg-effects-c']);
    });

    it('an ill-formed ID is 400 ResourceGroupIdPreCheckError, nothing moved; the call is oss:PutBucketResourceGroup', async () => {
      await expectOssError(bucketCall(srv.client(), 'PUT', 'rg-effects-c', 'resourceGroup', groupXml('RG-Upper')), 'ResourceGroupIdPreCheckError', 400);
      assert.equal(await groupOf('rg-effects-c'), 'rg-default-id');
      const ram = new Ram(srv);
      const user = await ram.userWith('rg-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketResourceGroup'], Resource: ['acs:oss:*:*:*'] }));
      await expectOssError(bucketCall(user.oss(), 'PUT', 'rg-effects-c', 'resourceGroup', groupXml('rg-aek27tc1')), 'AccessDenied', 403);
      assert.equal(((await bucketCall(user.oss(), 'GET', 'rg-effects-c', 'resourceGroup')).data as { ResourceGroupId: string }).ResourceGroupId, 'rg-default-id');
    });
  });

  it('PutBucketRtc: RTC reads enabling until the rule has taken effect (the worker\'s first pass), then enabled; never for a rule to another region', async () => {
    for (const b of ['rtc-src', 'rtc-dst']) await srv.client().putBucket(b);
    // V4, which signs every query parameter (V1 signs only the sub-resources it lists).
    const v4 = (): OSS => srv.client({ authorizationV4: true } as never);
    const rule = (id: string, bucket: string, location: string): string => `<ReplicationConfiguration><Rule><ID>${id}</ID><Action>PUT</Action>` +
      `<Destination><Bucket>${bucket}</Bucket><Location>${location}</Location></Destination><HistoricalObjectReplication>disabled</HistoricalObjectReplication></Rule></ReplicationConfiguration>`;
    await bucketCall(v4(), 'POST', 'rtc-src', { replication: '', comp: 'add' }, rule('here', 'rtc-dst', 'oss-cn-hangzhou'));
    await bucketCall(v4(), 'POST', 'rtc-src', { replication: '', comp: 'add' }, rule('away', 'rtc-far', 'oss-cn-beijing'));
    const rtc = (on: string, id: string): string => `<ReplicationRule><RTC><Status>${on}</Status></RTC><ID>${id}</ID></ReplicationRule>`;
    await bucketCall(v4(), 'PUT', 'rtc-src', 'rtc', rtc('enabled', 'here'));
    await bucketCall(v4(), 'PUT', 'rtc-src', 'rtc', rtc('enabled', 'away'));
    type Rule = { ID: string; Status: string; RTC?: { Status: string } };
    const rules = async (): Promise<Map<string, [string, string | undefined]>> => {
      const got = (await bucketCall(v4(), 'GET', 'rtc-src', 'replication')).data as { Rule: Rule | Rule[] };
      return new Map([got.Rule].flat().map((r) => [r.ID, [r.Status, r.RTC?.Status]]));
    };
    assert.deepEqual(await rules(), new Map([['here', ['starting', 'enabling']], ['away', ['starting', 'enabling']]]));
    await srv.replication!.runOnce();
    assert.deepEqual(await rules(), new Map([['here', ['doing', 'enabled']], ['away', ['starting', 'enabling']]]));
    await bucketCall(v4(), 'PUT', 'rtc-src', 'rtc', rtc('disabled', 'away'));
    assert.deepEqual((await rules()).get('away'), ['starting', 'disabled']);
  });

  it('GetBucketReplicationLocation offers exactly the regions DescribeRegions lists, in its order, the bucket\'s own among them', async () => {
    await srv.client().putBucket('repl-location');
    // DescribeRegions on the bucket's host, as OSS routes it too; V4, which signs every query parameter (V1 signs only
    // the sub-resources it lists, `regions` not among them).
    const regions = (await bucketCall(srv.client({ authorizationV4: true } as never), 'GET', 'repl-location', 'regions')).data as { RegionInfo: Array<{ Region: string }> };
    const described = regions.RegionInfo.map((r) => r.Region);
    const loc = (await bucketCall(srv.client(), 'GET', 'repl-location', 'replicationLocation')).data as {
      Location: string[]; LocationTransferTypeConstraint: { LocationTransferType: Array<{ Location: string }> };
    };
    assert.deepEqual(loc.Location, described);
    assert.ok(loc.Location.includes('oss-cn-hangzhou'));
    // Transfer types across the Chinese mainland's border only, each a region offered.
    const across = loc.LocationTransferTypeConstraint.LocationTransferType.map((t) => t.Location);
    assert.ok(across.length > 0 && across.every((r) => described.includes(r) && !(r.startsWith('oss-cn-') && r !== 'oss-cn-hongkong')), across.join());
  });
});
