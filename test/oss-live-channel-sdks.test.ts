// Live channels as the PHP and C# SDKs' own tests use them (docs/stored-configurations.md): the PHP SDK's
// LiveChannelConfig always writes `<PlayListName>` (a misspelling of PlaylistName) in Target, which OSS accepts and
// ignores (its testLiveChannelInfo reads back the default playlist.m3u8); ListLiveChannel writes an empty
// NextMarker when the list is complete (the C# SDK's ListLiveChannelTest). Against a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'live-sdk-bucket';

/** The body PHP's LiveChannelConfig::serializeToXml writes (its defaults: enabled, 5, 3, playlist.m3u8). */
const phpBody = (playList: string, extraTarget = ''): string =>
  '<?xml version="1.0" encoding="utf-8"?>\n<LiveChannelConfiguration><Description>live channel 1</Description><Status>enabled</Status>' +
  `<Target><Type>HLS</Type><FragDuration>10</FragDuration><FragCount>5</FragCount><PlayListName>${playList}</PlayListName>${extraTarget}</Target>` +
  '</LiveChannelConfiguration>\n';

const text = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

describe('live channels as the PHP and C# SDKs send and read them', () => {
  let srv: TestServer;
  const send = (method: string, key: string | null, query: Array<[string, string]>, body?: string) =>
    signedRequest(srv.port, method, BUCKET, key, query, body === undefined ? {} : { body });
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv?.stop();
  });

  test('PutLiveChannel with the PHP SDK\'s <PlayListName>: accepted and ignored (testLiveChannelInfo)', async () => {
    const made = succeeds(await send('PUT', 'live-1', [['live', '']], phpBody('hello.m3u8')));
    // On the endpoint the request was sent to (docs/stored-configurations.md).
    assert.equal(text(made.text, 'Url'), `rtmp://live-sdk-bucket.localhost:${srv.port}/live/live-1`);
    assert.ok(made.text.includes(`<PlayUrls><Url>http://live-sdk-bucket.localhost:${srv.port}/live-1/playlist.m3u8</Url></PlayUrls>`), made.text);
    const info = succeeds(await send('GET', 'live-1', [['live', '']]));
    assert.equal(text(info.text, 'PlaylistName'), 'playlist.m3u8');
    assert.equal(text(info.text, 'FragDuration'), '10');
    assert.equal(text(info.text, 'Description'), 'live channel 1');
    assert.ok(!info.text.includes('PlayListName'), info.text);
    // The correctly spelled element still sets the playlist, the misspelled one beside it changes nothing.
    const both = phpBody('hello.m3u8', '<PlaylistName>mine.m3u8</PlaylistName>');
    succeeds(await send('PUT', 'live-2', [['live', '']], both));
    assert.equal(text(succeeds(await send('GET', 'live-2', [['live', '']])).text, 'PlaylistName'), 'mine.m3u8');
  });

  test('only that misspelling, only in Target: other unknown elements stay MalformedXML, nothing stored', async () => {
    for (const body of [
      phpBody('hello.m3u8', '<Playlistname>x.m3u8</Playlistname>'),
      phpBody('hello.m3u8', '<PlayListNames>x.m3u8</PlayListNames>'),
      '<LiveChannelConfiguration><PlayListName>x.m3u8</PlayListName><Target><Type>HLS</Type></Target></LiveChannelConfiguration>',
    ]) {
      failsWith(await send('PUT', 'live-bad', [['live', '']], body), 'MalformedXML', 400);
    }
    failsWith(await send('GET', 'live-bad', [['live', '']]), 'NoSuchLiveChannel', 404);
  });

  test('ListLiveChannel: an empty NextMarker when complete (C# ListLiveChannelTest), the last name when truncated', async () => {
    for (let i = 0; i < 3; i++) succeeds(await send('PUT', `vod-channel${i}`, [['live', '']], phpBody('playlist.m3u8')));
    const all = succeeds(await send('GET', null, [['live', ''], ['prefix', 'vod-channel'], ['marker', 'vod-channel0']]));
    assert.equal(text(all.text, 'IsTruncated'), 'false');
    assert.ok(all.text.includes('<NextMarker></NextMarker>'), all.text);
    assert.equal(text(all.text, 'Marker'), 'vod-channel0');
    assert.deepEqual([...all.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]), ['vod-channel1', 'vod-channel2']);
    const page = succeeds(await send('GET', null, [['live', ''], ['prefix', 'vod-channel'], ['max-keys', '1']]));
    assert.equal(text(page.text, 'IsTruncated'), 'true');
    assert.equal(text(page.text, 'NextMarker'), 'vod-channel0');
    // ali-oss reads the empty one as no marker.
    const c = srv.client({ bucket: BUCKET }) as unknown as { listChannels(q: Record<string, string>): Promise<{ nextMarker: string | null; isTruncated: boolean }> };
    const listed = await c.listChannels({ prefix: 'vod-channel' });
    assert.equal(listed.isTruncated, false);
    assert.equal(listed.nextMarker, null);
  });

  test('1,000 channels a bucket, each written alone: the 1,001st is TooManyLiveChannel, a replacement or one after a delete is not', async () => {
    const b = 'live-many';
    await srv.client().putBucket(b);
    // 999 made in the store as PutLiveChannel keeps them (one entry each), the 1,000th through the API.
    const doc = (name: string): string => JSON.stringify({ Name: name, Description: '', Status: 'enabled', LastModified: '2026-12-05T00:00:00.000Z', Target: { Type: 'HLS', FragDuration: '5', FragCount: '3', PlaylistName: 'playlist.m3u8' } });
    for (let i = 0; i < 999; i++) await srv.meta.updateConfigEntry(b, 'live-channel', `ch-${String(i).padStart(4, '0')}`, () => doc(`ch-${String(i).padStart(4, '0')}`));
    const put = (name: string, body = phpBody('playlist.m3u8')) => signedRequest(srv.port, 'PUT', b, name, [['live', '']], { body });
    succeeds(await put('ch-0999'));
    failsWith(await put('ch-1000'), 'TooManyLiveChannel', 400);
    // Replacing one is not a new one; nor is the one after a delete.
    succeeds(await put('ch-0500', phpBody('playlist.m3u8').replace('live channel 1', 'replaced')));
    assert.equal(text(succeeds(await signedRequest(srv.port, 'GET', b, 'ch-0500', [['live', '']])).text, 'Description'), 'replaced');
    succeeds(await signedRequest(srv.port, 'DELETE', b, 'ch-0001', [['live', '']]), 204);
    succeeds(await put('ch-1000'));
    failsWith(await put('ch-1001'), 'TooManyLiveChannel', 400);
    // Listed in order, 1,000 a page at most; the channels are not part of the bucket's record.
    const page = succeeds(await signedRequest(srv.port, 'GET', b, null, [['live', ''], ['max-keys', '1000']]));
    const names = [...page.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
    assert.equal(names.length, 1000);
    assert.deepEqual(names.slice(0, 3), ['ch-0000', 'ch-0002', 'ch-0003']);
    assert.equal(names[999], 'ch-1000');
    assert.equal(text(page.text, 'IsTruncated'), 'false');
    assert.deepEqual(Object.keys((await srv.meta.getBucket(b))!.configs), []);
    // They go with the bucket (DeleteBucket does not refuse a bucket for its channels, as before).
    await srv.client().deleteBucket(b);
    await srv.client().putBucket(b);
    failsWith(await signedRequest(srv.port, 'GET', b, 'ch-0002', [['live', '']]), 'NoSuchLiveChannel', 404);
  });
});
