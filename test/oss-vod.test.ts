// VOD playlists of live channels (docs/stored-configurations.md, "VOD playlists"): the .ts objects uploaded
// under `<channel>/` stand for the recorded segments (no RTMP ingest), their Last-Modified for their time.
// PostVodPlaylist through ali-oss (createVod), GetVodPlaylist through signed raw HTTP; bad ranges, an empty
// range, an unknown channel and an explicit Deny of each operation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError, rawBucketRequest } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'vod-bucket';

type Rtmp = {
  putChannel(id: string, conf: object): Promise<unknown>;
  createVod(id: string, name: string, time: { startTime: number; endTime: number }): Promise<{ res: { status: number; headers: Record<string, string> } }>;
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  err: Record<string, string> | null;
}

async function send(srv: TestServer, method: string, key: string, query: Array<[string, string]>, creds: [string, string] = [AK, SECRET]): Promise<Reply> {
  const qs = `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}`;
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
  if (method === 'POST') headers['content-length'] = '0';
  headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query, headers }, creds[0], creds[1]).authorization;
  const res = await rawRequest(srv.port, { method, path: `/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}${qs}`, headers, ...(method === 'POST' ? { body: '' } : {}) });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), err: errorOf(res) };
}

const fails = (r: Reply, code: string, status: number, ec?: string): void => {
  assert.equal(r.status, status, r.text.slice(0, 400));
  assert.equal(r.err?.Code, code, r.text.slice(0, 400));
  if (ec !== undefined) assert.equal(r.err?.EC, ec, r.text);
};

describe('VOD playlists', () => {
  let srv: TestServer;
  let client: OSS;
  // A test clock (a few seconds in the past, moved on by the test) gives each segment its own Last-Modified.
  let now = Date.now() - 60_000;
  const T = Math.floor(now / 1000);
  const vod = (start: number, end: number): Array<[string, string]> => [['vod', ''], ['startTime', String(start)], ['endTime', String(end)]];

  before(async () => {
    srv = await startTestServer({ clock: () => now });
    client = srv.client();
    await client.putBucket(BUCKET);
    client.useBucket(BUCKET);
    await (client as unknown as Rtmp).putChannel('cam', { Description: '', Status: 'enabled', Target: { Type: 'HLS', FragDuration: '4', FragCount: '3', PlaylistName: 'live.m3u8' } });
    await client.put('cam/seg0.ts', Buffer.from('ts0'));
    await client.put('other/seg-x.ts', Buffer.from('not this channel'));
    now += 10_000;
    await client.put('cam/seg1.ts', Buffer.from('ts1'));
    await client.put('cam/notes.txt', Buffer.from('not a segment'));
    // A key with line breaks is never listed: it would add its own playlist lines (asserted by the exact texts below).
    await client.put('cam/x\n#EXT-X-KEY:METHOD=AES-128,URI="https://evil.example/k"\nhttps://evil.example/seg.ts', Buffer.from('forged'));
    now += 10_000;
    await client.put('cam/sub/seg2.ts', Buffer.from('ts2'));
  });
  after(async () => {
    await srv?.stop();
  });

  test('GetVodPlaylist answers the m3u8 of the channel\'s .ts objects in [startTime, endTime]', async () => {
    const r = await send(srv, 'GET', 'cam', vod(T, T + 15));
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /mpegurl/i);
    assert.equal(r.text, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\nseg0.ts\n#EXTINF:4.000,\nseg1.ts\n#EXT-X-ENDLIST\n');
    const all = await send(srv, 'GET', 'cam', vod(T - 5, T + 25));
    assert.deepEqual(all.text.split('\n').filter((l) => l.endsWith('.ts')), ['seg0.ts', 'seg1.ts', 'sub/seg2.ts']);
  });

  test('PostVodPlaylist (ali-oss createVod) writes <channel>/<PlaylistName> with that content', async () => {
    const made = await (client as unknown as Rtmp).createVod('cam', 'vod.m3u8', { startTime: T + 5, endTime: T + 25 });
    assert.equal(made.res.status, 200);
    const got = await client.get('cam/vod.m3u8');
    assert.equal(got.content.toString(), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\nseg1.ts\n#EXTINF:4.000,\nsub/seg2.ts\n#EXT-X-ENDLIST\n');
    assert.match(String((got.res.headers as Record<string, string>)['content-type']), /mpegurl/i);
    assert.equal(made.res.headers.etag, (got.res.headers as Record<string, string>).etag);
  });

  test('PostVodPlaylist keeps the bucket\'s overwrite rules: an existing playlist a rule protects is not replaced (409 FileAlreadyExists)', async () => {
    const rules = '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Suffix>.m3u8</Suffix></Rule></OverwriteConfiguration>';
    await client.put('cam/kept.m3u8', Buffer.from('#EXTM3U original'));
    assert.equal((await rawBucketRequest(client, 'PUT', BUCKET, 'overwriteConfig', rules)).status, 200);
    try {
      fails(await send(srv, 'POST', 'cam/kept.m3u8', vod(T, T + 25)), 'FileAlreadyExists', 409);
      assert.equal((await client.get('cam/kept.m3u8')).content.toString(), '#EXTM3U original');
    } finally {
      await rawBucketRequest(client, 'DELETE', BUCKET, 'overwriteConfig');
    }
  });

  test('bad ranges, an empty range, a bad playlist name and an unknown channel are refused; nothing is written', async () => {
    fails(await send(srv, 'GET', 'cam', [['vod', ''], ['startTime', 'abc'], ['endTime', String(T)]]), 'InvalidArgument', 400, '0044-00000304');
    fails(await send(srv, 'GET', 'cam', [['vod', ''], ['startTime', String(T)], ['endTime', '-1']]), 'InvalidArgument', 400, '0044-00000305');
    fails(await send(srv, 'GET', 'cam', vod(T + 10, T)), 'InvalidArgument', 400, '0044-00000306');
    // One second (start = end) is a range (ali-oss's own createVod test sends floor(now - 100 ms), floor(now)).
    assert.notEqual((await send(srv, 'GET', 'cam', vod(T, T))).status, 400);
    fails(await send(srv, 'GET', 'cam', vod(T - 700, T - 700)), 'InvalidArgument', 400, '0044-00000308');
    fails(await send(srv, 'GET', 'cam', vod(T, T + 86_401)), 'InvalidArgument', 400, '0044-00000307');
    assert.equal((await send(srv, 'GET', 'cam', vod(T - 100, T - 100 + 86_400))).status, 200, 'exactly one day is allowed');
    fails(await send(srv, 'GET', 'cam', vod(T - 1000, T - 500)), 'InvalidArgument', 400, '0044-00000308');
    fails(await send(srv, 'POST', 'cam/empty.m3u8', vod(T - 1000, T - 500)), 'InvalidArgument', 400, '0044-00000308');
    fails(await send(srv, 'POST', 'cam/list.txt', vod(T, T + 25)), 'InvalidArgument', 400);
    fails(await send(srv, 'POST', 'cam', vod(T, T + 25)), 'InvalidArgument', 400);
    // A channel that does not exist: no segment reads as no segment (ali-oss's own test asks a deleted channel and
    // expects 0044-00000308); segments without a channel are NoSuchLiveChannel.
    fails(await send(srv, 'GET', 'nochannel', vod(T, T + 25)), 'InvalidArgument', 400, '0044-00000308');
    fails(await send(srv, 'POST', 'nochannel/v.m3u8', vod(T, T + 25)), 'InvalidArgument', 400, '0044-00000308');
    await client.put('orphan/seg.ts', Buffer.from('ts'));
    const t = Math.floor(now / 1000); // the test clock's second, the segment's Last-Modified
    fails(await send(srv, 'GET', 'orphan', vod(t - 60, t + 60)), 'NoSuchLiveChannel', 404);
    fails(await send(srv, 'POST', 'orphan/v.m3u8', vod(t - 60, t + 60)), 'NoSuchLiveChannel', 404);
    await expectOssError(client.head('orphan/v.m3u8'), 'NoSuchKey', 404);
    await expectOssError(client.head('cam/empty.m3u8'), 'NoSuchKey', 404);
    await expectOssError(client.head('nochannel/v.m3u8'), 'NoSuchKey', 404);
  });

  test('an explicit Deny of oss:GetVodPlaylist / oss:PostVodPlaylist refuses (and writes nothing)', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('vod-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:GetVodPlaylist', 'oss:PostVodPlaylist'], Resource: [`acs:oss:*:*:${BUCKET}/cam*`] },
    ));
    const creds: [string, string] = [user.accessKeyId, user.accessKeySecret];
    fails(await send(srv, 'GET', 'cam', vod(T, T + 25), creds), 'AccessDenied', 403);
    fails(await send(srv, 'POST', 'cam/denied.m3u8', vod(T, T + 25), creds), 'AccessDenied', 403);
    await expectOssError(client.head('cam/denied.m3u8'), 'NoSuchKey', 404);
    // The same user may read the channel's objects: only the VOD actions are denied.
    assert.equal((await send(srv, 'GET', 'cam', [['live', '']], creds)).status, 200);
  });
});
