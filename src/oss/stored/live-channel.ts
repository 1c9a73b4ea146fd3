import { AppError, invalidArgument, isAppError } from '../../errors.js';
import { isValidBucketName } from '../../domain/names.js';
import { LIVE_CHANNEL_COLLECTION } from '../../domain/stored-configs.js';
import { requireXmlText } from '../../util/xml-chars.js';
import { isoDate } from '../../util/time.js';
import type { Handler, OssRequest } from '../context.js';
import { empty, limitParam } from '../handlers/common.js';
import { child, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';

// Live channel configurations (there is no RTMP ingest).

// OSS publishes no per-bucket count; the Go SDK v1's TestListLiveChannel and oss2's test_list_live_channel create
// 200 in one bucket. Each channel is one entry of the bucket's 'live-channel' collection (written alone), bounded
// here [Alunite's bound, at most 1,000, the largest ListLiveChannel page].
const MAX_LIVE_CHANNELS = 1000;
const COLLECTION = LIVE_CHANNEL_COLLECTION;

function channelNameOf(req: OssRequest): string {
  const name = req.op.key ?? '';
  if (name === '' || name.includes('/') || name.length > 1023) throw invalidArgument('A live channel name must be 1 to 1,023 characters without /.', 'channel', name.slice(0, 64));
  // The name is written in ListLiveChannel and GetLiveChannelInfo answers, which have no encoding-type: a
  // control character XML 1.0 cannot carry would make them unreadable to strict XML readers.
  requireXmlText(name, 'A live channel name must not hold control characters.', 'channel');
  return name;
}

async function findChannel(req: OssRequest): Promise<Doc> {
  const name = channelNameOf(req);
  const ch = asDoc(await req.services.stored.entry(bucketOf(req), COLLECTION, name));
  if (ch === null) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: name });
  return ch;
}

/** The bucket's channel `name` (undefined when none), for the VOD playlists. */
export async function liveChannelOf(req: OssRequest, name: string): Promise<Doc | undefined> {
  return asDoc(await req.services.stored.entry(bucketOf(req), COLLECTION, name)) ?? undefined;
}

/**
 * The channel's URLs on the endpoint the request was sent to, `<bucket>.<endpoint>` as OSS answers them (and as
 * CompleteMultipartUpload's Location is built here): on OSS's own host name that is
 * `<bucket>.oss-<region>.aliyuncs.com`; asked on this server's address, that address (the Go SDK v1's
 * TestCreateLiveChannel and oss2's test_create_live_channel compare them with `<bucket>.<their endpoint>`). The
 * play URL is `http://` whatever the request's scheme, as OSS's docs show it and oss2 expects.
 */
function channelUrls(req: OssRequest, ch: Doc): { PublishUrls: Doc; PlayUrls: Doc } {
  const host = `${bucketOf(req)}.${req.endpoint.host}`;
  const name = textOf(ch, 'Name')!;
  const playlist = textOf(child(ch, 'Target') ?? {}, 'PlaylistName') ?? 'playlist.m3u8';
  return {
    PublishUrls: { Url: `rtmp://${host}/live/${encodeURIComponent(name)}` },
    PlayUrls: { Url: `http://${host}/${encodeURIComponent(name)}/${encodeURIComponent(playlist)}` },
  };
}

// OSS's ECs for PutLiveChannel's refusals (its EC pages), and PutLiveChannelStatus's status (0017-00000255).
const EC = {
  Description: '0044-00000001', Status: '0044-00000002', FragDuration: '0044-00000014', FragCount: '0044-00000015',
  PlaylistNameLength: '0044-00000017', PlaylistName: '0044-00000018', NewStatus: '0017-00000255',
  NotifyTopic: '0044-00000006', RoleName: '0044-00000007', DestBucketName: '0044-00000008', NoDestBucket: '0044-00000009',
  DestBucketOwner: '0044-00000010', DestBucketRegion: '0044-00000011',
} as const;

/**
 * A Snapshot names the role that takes the snapshots, the MNS topic told of them and the bucket they go to: OSS's EC
 * pages refuse an empty role (0044-00000007) or topic (0044-00000006), and a DestBucket that is no bucket name
 * (0044-00000008), no bucket (0044-00000009), or a bucket of another account (0044-00000010) or region
 * (0044-00000011). The C++ SDK's PutAndGetLiveChannelInfoTest expects a channel whose snapshots go to
 * `not_exist_bucket` refused. Interval: 1-100 seconds, as OSS's PutLiveChannel page bounds it [UNVERIFIED: its
 * EC]. No snapshot is ever taken here; the role and topic are not looked up [UNVERIFIED: whether OSS does].
 */
async function checkSnapshot(req: OssRequest, snapshot: Doc): Promise<void> {
  const role = textOf(snapshot, 'RoleName') ?? '';
  if (role === '') throw invalidArgument('Snapshot RoleName must not be empty.', 'RoleName', role, EC.RoleName);
  const topic = textOf(snapshot, 'NotifyTopic') ?? '';
  if (topic === '') throw invalidArgument('Snapshot NotifyTopic must not be empty.', 'NotifyTopic', topic, EC.NotifyTopic);
  const interval = textOf(snapshot, 'Interval') ?? '';
  if (!/^[0-9]{1,3}$/.test(interval) || Number(interval) < 1 || Number(interval) > 100) {
    throw invalidArgument('Snapshot Interval must be between 1 and 100.', 'Interval', interval.slice(0, 32));
  }
  const dest = textOf(snapshot, 'DestBucket') ?? '';
  if (!isValidBucketName(dest)) throw invalidArgument('Snapshot DestBucket is not a valid bucket name.', 'DestBucket', dest, EC.DestBucketName);
  const found = await Promise.resolve(req.services.buckets.get(dest)).catch((err: unknown) => {
    if (isAppError(err) && err.code === 'NoSuchBucket') return null;
    throw err;
  });
  if (found === null) throw invalidArgument('Snapshot DestBucket does not exist.', 'DestBucket', dest, EC.NoDestBucket);
  const source = await req.services.buckets.get(bucketOf(req));
  if (found.ownerAccountId !== source.ownerAccountId) throw invalidArgument('Snapshot DestBucket belongs to another account.', 'DestBucket', dest, EC.DestBucketOwner);
  if (found.region !== source.region) throw invalidArgument('Snapshot DestBucket is in another region.', 'DestBucket', dest, EC.DestBucketRegion);
}

function statusOf(value: string | undefined, ec: string): string {
  if (value !== 'enabled' && value !== 'disabled') throw invalidArgument('Status must be enabled or disabled.', 'Status', (value ?? '').slice(0, 32), ec);
  return value;
}

export const putLiveChannel: Handler = async (req) => {
  const name = channelNameOf(req);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  // The PHP SDK's LiveChannelConfig always writes `<PlayListName>` (capital L) in Target, "playlist.m3u8" unless
  // set: OSS accepts and ignores it (its testLiveChannelInfo puts hello.m3u8 there and reads back the default).
  const doc = await readDocument(req, 'PutLiveChannel', {
    required: ['Target', 'Target.Type'],
    // Snapshot names a RAM role (at most 64 characters), a bucket (63) and an MNS topic (256): stored with the channel
    // and read back by every ListLiveChannel. At the schema's default of 4,096 characters each, 1,000 channels made
    // each ListLiveChannel of them parse ~37 MB (0.7-1.8 s of event loop, 4-5 times the same list without them).
    maxLength: { Description: 128, 'Target.PlaylistName': 128, 'Snapshot.RoleName': 64, 'Snapshot.DestBucket': 63, 'Snapshot.NotifyTopic': 256 },
    ignored: ['Target.PlayListName'],
    ecs: { Description: EC.Description, Status: EC.Status, 'Target.FragDuration': EC.FragDuration, 'Target.FragCount': EC.FragCount, 'Target.PlaylistName': EC.PlaylistNameLength },
  });
  const description = textOf(doc, 'Description') ?? '';
  // 128 bytes, as OSS counts it (the schema's bound counts characters).
  if (Buffer.byteLength(description, 'utf8') > 128) throw invalidArgument('Description is longer than 128 bytes.', 'Description', description.slice(0, 64), EC.Description);
  const target = child(doc, 'Target')!;
  if (textOf(target, 'Type') !== 'HLS') throw invalidArgument('Target Type must be HLS.', 'Type', textOf(target, 'Type') ?? '');
  for (const field of ['FragDuration', 'FragCount'] as const) {
    const v = textOf(target, field);
    if (v !== undefined && (Number(v) < 1 || Number(v) > 100)) throw invalidArgument(`${field} must be between 1 and 100.`, field, v, EC[field]);
  }
  // An empty PlaylistName is none: oss2's LiveChannelInfoTarget defaults to '' and writes `<PlaylistName />`, and
  // its tests (test_put_live_channel_status, test_get_live_channel_history, …) create such channels and expect
  // the default playlist.m3u8.
  const playlist = textOf(target, 'PlaylistName') || undefined;
  if (playlist !== undefined && !/^[^/]{1,128}\.m3u8$/.test(playlist)) throw invalidArgument('PlaylistName must end with .m3u8 and hold no /.', 'PlaylistName', playlist, EC.PlaylistName);
  const snapshot = child(doc, 'Snapshot');
  if (snapshot !== undefined) await checkSnapshot(req, snapshot);
  const channel: Doc = {
    Name: name,
    Description: description,
    Status: statusOf(textOf(doc, 'Status') ?? 'enabled', EC.Status),
    LastModified: isoDate(req.services.stored.now()),
    Target: { Type: 'HLS', FragDuration: textOf(target, 'FragDuration') ?? '5', FragCount: textOf(target, 'FragCount') ?? '3', PlaylistName: playlist ?? 'playlist.m3u8' },
    ...(snapshot !== undefined ? { Snapshot: snapshot } : {}),
  };
  await req.services.stored.updateEntry(bucketOf(req), COLLECTION, name, (current, count) => {
    if (current === null && count >= MAX_LIVE_CHANNELS) throw new AppError('TooManyLiveChannel', `A bucket may have at most ${MAX_LIVE_CHANNELS} live channels.`);
    return asJson(channel);
  }, false, written);
  return respond('PutLiveChannel', channelUrls(req, channel));
};

/** ListLiveChannel's prefix and marker: at most 1,024 bytes (OSS's EC pages 0044-00000102 and 0044-00000103). */
function listBound(req: OssRequest, name: 'prefix' | 'marker', ec: string): string {
  const value = req.query.get(name) ?? '';
  if (Buffer.byteLength(value, 'utf8') > 1024) throw invalidArgument(`Argument ${name} must be at most 1024 bytes.`, name, value.slice(0, 64), ec);
  return value;
}

export const listLiveChannel: Handler = async (req) => {
  const prefix = listBound(req, 'prefix', '0044-00000102');
  const marker = listBound(req, 'marker', '0044-00000103');
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000, '0044-00000101');
  // One entry more than the page says whether the listing is truncated; in code point order, as the store keeps them.
  const found = (await req.services.stored.entries(bucketOf(req), COLLECTION, { prefix, after: marker, limit: maxKeys + 1 })).map((e) => asDoc(e.value)!);
  const names = (c: Doc): string => textOf(c, 'Name') ?? '';
  const page = found.slice(0, maxKeys);
  const truncated = found.length > page.length;
  return respond('ListLiveChannel', {
    Prefix: prefix,
    Marker: marker,
    MaxKeys: String(maxKeys),
    IsTruncated: String(truncated),
    // Empty, not left out, when the list is complete: OSS writes it so (the C# SDK's ListLiveChannelTest expects
    // NextMarker ""); ali-oss, oss2, the Java, PHP and Go SDKs read an empty one as none.
    NextMarker: truncated ? names(page[page.length - 1]!) : '',
    LiveChannel: page.map((c) => ({ ...c, ...channelUrls(req, c) })),
  });
};

// A channel that does not exist is deleted too, 204 as for one that does: the C++ SDK's DeleteLiveChannelTest
// (DeleteLiveChannelErrorParam) deletes `not_exist` and expects success ("with http code 204 No Content").
export const deleteLiveChannel: Handler = async (req) => {
  await req.services.stored.updateEntry(bucketOf(req), COLLECTION, channelNameOf(req), () => null, true);
  return empty(204);
};

export const putLiveChannelStatus: Handler = async (req) => {
  const name = channelNameOf(req);
  const status = statusOf(req.query.get('status'), EC.NewStatus);
  await req.services.stored.updateEntry(bucketOf(req), COLLECTION, name, (current) => {
    const ch = asDoc(current);
    if (ch === null) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: name });
    return asJson({ ...ch, Status: status });
  });
  return empty();
};

export const getLiveChannelInfo: Handler = async (req) => respond('GetLiveChannelInfo', await findChannel(req));

// Nothing is ever pushed: no history, and a channel is Idle (or Disabled).
export const getLiveChannelHistory: Handler = async (req) => {
  await findChannel(req);
  return respond('GetLiveChannelHistory', {});
};

export const getLiveChannelStat: Handler = async (req) => {
  const ch = await findChannel(req);
  return respond('GetLiveChannelStat', { Status: textOf(ch, 'Status') === 'disabled' ? 'Disabled' : 'Idle' });
};
