import { overwriteForbidden } from '../overwrite.js';
import { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../../errors.js';
import type { Handler, OssRequest } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, textOf, type Doc } from './schema.js';
import { bucketOf } from './common.js';
import { liveChannelOf } from './live-channel.js';

// VOD playlists of live channels (docs/stored-configurations.md, "VOD playlists"). There is no RTMP ingest,
// so a channel's "recorded" .ts segments are whatever objects ending in `.ts` were uploaded under the
// `<channel>/` prefix, and a segment's time is its object's Last-Modified. GetVodPlaylist answers the m3u8 of
// the segments whose time falls in [startTime, endTime]; PostVodPlaylist writes it as the object
// `<channel>/<PlaylistName>` through the normal write path.

/** Most .ts keys one playlist lists, and most keys under the channel one request reads (bounds the work). */
export const MAX_SEGMENTS = 10_000;
export const MAX_SCANNED = 100_000;
const MAX_RANGE_SECONDS = 24 * 3600;
const PAGE = 1000;

// Documented ECs: bad StartTime (0044-00000304), bad EndTime (…305), EndTime not after StartTime (…306),
// a range over one day (…307), no segment in the range (…308).
const EC_BAD_START = '0044-00000304';
const EC_BAD_END = '0044-00000305';
const EC_ORDER = '0044-00000306';
const EC_TOO_LONG = '0044-00000307';
const EC_EMPTY = '0044-00000308';

function timeParam(req: OssRequest, name: 'startTime' | 'endTime', ec: string): number {
  const raw = req.query.get(name) ?? '';
  if (!/^\d{1,12}$/.test(raw)) throw new AppError('InvalidArgument', `${name} must be a Unix time in seconds.`, { ArgumentName: name, ArgumentValue: raw.slice(0, 32) }, ec);
  return Number(raw);
}

function rangeOf(req: OssRequest): { start: number; end: number } {
  const start = timeParam(req, 'startTime', EC_BAD_START);
  const end = timeParam(req, 'endTime', EC_BAD_END);
  // A range of one second (start = end) is a range: ali-oss's own createVod test sends floor(now - 100 ms) and
  // floor(now), usually the same second, and expects "no segment" (EC 0044-00000308), not an order error.
  if (end < start) throw new AppError('InvalidArgument', 'endTime must not be earlier than startTime.', { ArgumentName: 'endTime', ArgumentValue: String(end) }, EC_ORDER);
  if (end - start > MAX_RANGE_SECONDS) throw new AppError('InvalidArgument', 'The range from startTime to endTime must not exceed one day.', { ArgumentName: 'endTime', ArgumentValue: String(end) }, EC_TOO_LONG);
  return { start, end };
}

/** The channel's configuration; undefined when there is none. */
async function channelOf(req: OssRequest, name: string): Promise<Doc | undefined> {
  if (name === '' || name.length > 1023) throw invalidArgument('A live channel name must be 1 to 1,023 characters without /.', 'channel', name.slice(0, 64));
  return liveChannelOf(req, name);
}

/**
 * The m3u8 of the channel's .ts objects whose Last-Modified (seconds) is in [start, end], oldest first. No segment
 * in the range is 0044-00000308 whether or not the channel exists (ali-oss's own createVod test asks a deleted
 * channel and expects that code); segments of a channel that does not exist are 404 NoSuchLiveChannel.
 */
export async function buildPlaylist(req: OssRequest, channel: string, range: { start: number; end: number }): Promise<string> {
  const ch = await channelOf(req, channel);
  const prefix = `${channel}/`;
  const segments: Array<{ name: string; time: number }> = [];
  let after = '';
  for (let scanned = 0; scanned < MAX_SCANNED;) {
    const page = await req.services.objects.list(bucketOf(req), { prefix, delimiter: '', after, maxKeys: PAGE });
    for (const o of page.objects) {
      const time = Math.floor(o.lastModified / 1000);
      // A key with a line break would add its own lines to the playlist (an #EXT-X-KEY, a foreign URL): never listed.
      if (o.key.endsWith('.ts') && !/[\r\n]/.test(o.key) && time >= range.start && time <= range.end) {
        if (segments.length >= MAX_SEGMENTS) throw invalidArgument(`A playlist lists at most ${MAX_SEGMENTS} segments: narrow the range.`, 'endTime');
        segments.push({ name: o.key.slice(prefix.length), time });
      }
    }
    scanned += page.objects.length;
    if (!page.truncated || page.last === null) break;
    // Never a playlist that silently leaves out the later segments.
    if (scanned >= MAX_SCANNED) throw invalidArgument(`The channel holds more than ${MAX_SCANNED} objects: a playlist is built from at most that many.`, 'endTime');
    after = page.last;
  }
  // The Java SDK's own RtmpTest looks for OSS's wording: "No ts file found in specified time span."
  if (segments.length === 0) throw new AppError('InvalidArgument', 'No ts file found in specified time span.', { ArgumentName: 'startTime' }, EC_EMPTY);
  if (ch === undefined) throw new AppError('NoSuchLiveChannel', undefined, { ChannelName: channel });
  const fragDuration = Number(textOf(child(ch, 'Target') ?? {}, 'FragDuration') ?? '5') || 5;
  segments.sort((a, b) => a.time - b.time || (a.name < b.name ? -1 : 1));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-MEDIA-SEQUENCE:0', `#EXT-X-TARGETDURATION:${fragDuration}`];
  for (const s of segments) lines.push(`#EXTINF:${fragDuration.toFixed(3)},`, s.name);
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

const M3U8_TYPE = 'application/x-mpegURL';

/** GET /<channel>?vod&startTime&endTime: the playlist itself. */
export const getVodPlaylist: Handler = async (req) => {
  const range = rangeOf(req);
  const text = await buildPlaylist(req, req.op.key ?? '', range);
  return { status: 200, headers: { 'Content-Type': M3U8_TYPE, 'Content-Length': String(Buffer.byteLength(text)) }, body: text };
};

/** POST /<channel>/<PlaylistName>?vod&startTime&endTime: the playlist written as that object. */
export const postVodPlaylist: Handler = async (req) => {
  const key = req.op.key ?? '';
  const slash = key.indexOf('/');
  const channel = slash < 0 ? key : key.slice(0, slash);
  const playlist = slash < 0 ? '' : key.slice(slash + 1);
  if (!/^[^/]{1,128}$/.test(playlist) || !playlist.endsWith('.m3u8')) throw invalidArgument('The playlist name must end with .m3u8 and hold no /.', 'PlaylistName', playlist.slice(0, 64));
  const range = rangeOf(req);
  const bytes = Buffer.from(await buildPlaylist(req, channel, range), 'utf8');
  const bucket = bucketOf(req);
  const obj = await req.services.objects.put({
    bucket, key, body: Readable.from([bytes]), expect: { length: bytes.length },
    // The playlist replaces what the key holds: the bucket's overwrite rules apply as to any write.
    headers: { contentType: M3U8_TYPE }, userMeta: {}, forbidOverwrite: await overwriteForbidden(req, bucket, key, null),
  });
  return empty(200, { ETag: `"${obj.etag}"` });
};
