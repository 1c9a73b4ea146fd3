// The official SDKs' own test suites, tenth reading: files the earlier readings had not replayed.
// Read: the C++ SDK's (aliyun/aliyun-oss-cpp-sdk test/src) LiveChannel/PutAndGetLiveChannelTest.cc,
// PutAndGetLiveChannelStatusTest.cc, ListLiveChannelTest.cc, PostAndGetVodPlayListTest.cc,
// Object/ObjectEncodingTypeTest.cc, Bucket/BucketWormSettings.cc, BucketTaggingtTest.cc, BucketVersioningTest.cc,
// BucketWebsiteSettingsTest.cc, BucketLoggingSettingsTest.cc; the Java SDK's (aliyun-oss-java-sdk integrationtests)
// CMKIDTest, BucketRtcTest, ObjectRequestPaymentVersionTest, DoesBucketExistTest, BucketAccessMonitorAllowSmallSizeTest;
// the Python SDK v2's test_bucket_inventory_client.py, test_bucket_referer_client.py.
// Requests are sent by ali-oss (its putChannel writes the LiveChannelConfiguration the C++ SDK writes) or built as the
// C++ SDK builds them, answers checked for what the tests assert. Needed a change (docs/compatibility.md, "tenth reading"):
// - PutLiveChannel checks its Snapshot (an empty RoleName or NotifyTopic, an Interval out of 1-100, a DestBucket
//   that is no bucket name, no bucket, or another account's): PutAndGetLiveChannelInfoTest's "snapshot full" case
//   names `not_exist_bucket` and expects the channel refused; it was stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { encodeKey } from './helpers/raw-http.js';
import { sdkSignedRequest } from './helpers/signed.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
const B = 'sdk-tenth-live';
const DEST = 'sdk-tenth-snapshots';

/** ali-oss's error as [status, code, EC]; 'ok' when the call succeeded. */
async function outcome(p: Promise<unknown>): Promise<string[] | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { status?: number; code?: string; ecCode?: string };
    return [String(e.status), String(e.code), String(e.ecCode)];
  }
}

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(B);
  await srv.client().putBucket(DEST);
});
after(async () => {
  await srv?.stop();
});

describe('the SDK test suites, tenth reading: live channels (C++ LiveChannel tests)', () => {
  // ali-oss's live channel calls, as its code has them (its typings name the list query's keys otherwise).
  interface Channels {
    putChannel(id: string, conf: object): Promise<unknown>;
    getChannel(id: string): Promise<{ data: { Status: string; Target: { PlaylistName: string } } }>;
    putChannelStatus(id: string, status: string): Promise<unknown>;
    getChannelStatus(id: string): Promise<{ data: { Status: string } }>;
    listChannels(query: Record<string, string | number>): Promise<{ channels: Array<{ Name: string }> }>;
  }
  const client = (): Channels => srv.client({ bucket: B }) as unknown as Channels;
  const target = { Type: 'HLS', FragDuration: 5, FragCount: 3, PlaylistName: 'playlist.m3u8' };
  const snapshot = (over: Record<string, string | number>) => ({
    Description: '', Status: 'enabled', Target: target,
    Snapshot: { RoleName: 'not_exist_role_name', DestBucket: DEST, NotifyTopic: 'not_exist_topic', Interval: 6, ...over },
  });

  it('a Snapshot is checked: DestBucket a bucket of the account, RoleName and NotifyTopic not empty, Interval 1-100 (PutAndGetLiveChannelInfoTest)', async () => {
    // The C++ test's "case 4 snapshot full": its DestBucket is no bucket name at all.
    assert.deepEqual(await outcome(client().putChannel('test-channel-test3', snapshot({ DestBucket: 'not_exist_bucket' }))), ['400', 'InvalidArgument', '0044-00000008']);
    assert.deepEqual(await outcome(client().putChannel('c-missing', snapshot({ DestBucket: 'sdk-tenth-no-such-bucket' }))), ['400', 'InvalidArgument', '0044-00000009']);
    assert.deepEqual(await outcome(client().putChannel('c-role', snapshot({ RoleName: '' }))), ['400', 'InvalidArgument', '0044-00000007']);
    assert.deepEqual(await outcome(client().putChannel('c-topic', snapshot({ NotifyTopic: '' }))), ['400', 'InvalidArgument', '0044-00000006']);
    for (const interval of [0, 101]) {
      const r = await outcome(client().putChannel('c-interval', snapshot({ Interval: interval })));
      assert.deepEqual(r === 'ok' ? r : r.slice(0, 2), ['400', 'InvalidArgument']);
    }
    // Nothing refused was stored.
    const listed = await client().listChannels({});
    assert.deepEqual(listed.channels.map((c) => c.Name), []);

    // A bucket of the account: stored (its snapshots are never taken here).
    assert.equal(await outcome(client().putChannel('c-ok', snapshot({}))), 'ok');
    assert.equal((await client().getChannel('c-ok')).data.Status, 'enabled');

    // Another account's bucket.
    await srv.accounts.create({ accountId: '2234567890123456', name: 'other', accessKeyId: 'LTAI5tTenthOtherAccount', accessKeySecret: 'TenthOtherSecretTenthOtherSecr' });
    const otherClient = srv.client({ accessKeyId: 'LTAI5tTenthOtherAccount', accessKeySecret: 'TenthOtherSecretTenthOtherSecr' });
    await otherClient.putBucket('sdk-tenth-other-account');
    assert.deepEqual(await outcome(client().putChannel('c-other', snapshot({ DestBucket: 'sdk-tenth-other-account' }))), ['400', 'InvalidArgument', '0044-00000010']);
  });

  it('what held: a channel named in Chinese, a.b.m3u8, a disabled channel\'s stat, a marker of "/" (PutAndGetLiveChannelTest, PutAndGetLiveChannelStatusTest, ListLiveChannelTest)', async () => {
    const plain = { Description: '', Status: 'enabled', Target: { ...target, PlaylistName: 'a.b.m3u8' } };
    assert.equal(await outcome(client().putChannel('测试通过', plain)), 'ok');
    assert.equal((await client().getChannel('测试通过')).data.Target.PlaylistName, 'a.b.m3u8');
    assert.equal(await outcome(client().putChannel('new_channel', { ...plain, Target: target })), 'ok');
    await client().putChannelStatus('new_channel', 'disabled');
    assert.equal((await client().getChannelStatus('new_channel')).data.Status, 'Disabled');
    const missing = await outcome(client().putChannelStatus('not_exist', 'enabled'));
    assert.deepEqual(missing === 'ok' ? missing : missing.slice(0, 2), ['404', 'NoSuchLiveChannel']);
    const listed = await client().listChannels({ marker: '/', prefix: 'test_test', 'max-keys': 999 });
    assert.deepEqual(listed.channels, []);
  });
});

describe('the SDK test suites, tenth reading: held without a change', () => {
  it('DeleteMultipleObjects takes keys with raw 0x1C/0x1A and XML entities and lists them deleted in the request\'s order (C++ ObjectEncodingTypeTest)', async () => {
    const H = 'sdk-tenth-encoding';
    const req = (r: { method: string; key?: string | null; query?: Array<[string, string]>; body?: string; headers?: Record<string, string> }) =>
      sdkSignedRequest(srv.port, { bucket: H, ...r }, encodeKey);
    assert.equal((await req({ method: 'PUT', key: null })).status, 200);
    // Not in name order, so the answer's order is seen to be the request's; the C++ SDK writes control characters
    // raw and escapes only the five XML entities.
    const keys = ['k.3.cd', 'k\x1c\x1a.2.cd', 'k-9"&\'<>-10.dat', 'k\x1c\x1a.1.cd'];
    for (const key of keys) assert.equal((await req({ method: 'PUT', key, body: 'just for test.' })).status, 200);
    const esc = (k: string): string => k.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
    const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${esc(k)}</Key></Object>`).join('')}</Delete>`;
    const r = await req({ method: 'POST', key: null, query: [['delete', ''], ['encoding-type', 'url']], body, headers: { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([...r.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeURIComponent(m[1]!)), keys);
    const listed = await req({ method: 'GET', key: null, query: [['prefix', 'k']] });
    assert.doesNotMatch(listed.text, /<Contents>/);
  });
});
