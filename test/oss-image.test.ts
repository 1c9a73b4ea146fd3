// Image processing (x-oss-process=image/…, style/…) and image styles through ali-oss and signed raw HTTP
// (docs/image-processing.md). Every image is made here with sharp (but the 200-megapixel one of the pixel budget,
// written directly: see solidPng); every answer is decoded again with sharp.
// Runs on SQLite, and on PostgreSQL through test/pg-image.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { constants as zlibConstants, createDeflate } from 'node:zlib';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { expectOssError, rawObjectRequest } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { IMAGE_LIMITS, pixelsHeld, processImage } from '../src/image/apply.js';
import { eventually } from './helpers/eventually.js';
import { crc32 } from '../src/util/crc32.js';
import { PNG_SIGNATURE, pngChunk } from '../src/util/png.js';

const BUCKET = 'img-bucket';
const OTHER = 'img-other';

const solid = (width: number, height: number, hex: string): Sharp =>
  sharp({ create: { width, height, channels: 3, background: hex } });

/** ali-oss's get() with the process option (the body as a Buffer, the answer's headers). */
async function processed(c: OSS, key: string, process: string, opts: object = {}): Promise<{ body: Buffer; type: string }> {
  const r = await c.get(key, { process, ...opts } as OSS.GetObjectOptions);
  return { body: r.content as Buffer, type: String((r.res.headers as Record<string, string>)['content-type']) };
}

async function dims(buf: Buffer): Promise<[number, number, string]> {
  const m = await sharp(buf).metadata();
  return [m.width ?? 0, m.height ?? 0, m.format ?? ''];
}

interface BucketRequestClient {
  _bucketRequestParams(method: string, bucket: string, subres: Record<string, string>, options?: object): { content?: Buffer; mime?: string; successStatuses?: number[]; xmlResponse?: boolean };
  request(params: object): Promise<{ status: number; data: Buffer | unknown; res: { status: number; headers: Record<string, string> } }>;
}

/** A bucket-level request signed by ali-oss (the style API has no ali-oss call that reaches it). */
function bucketRequest(c: OSS, method: string, bucket: string, subres: Record<string, string>, body?: string, statuses = [200, 204]) {
  const raw = c as unknown as BucketRequestClient;
  const params = raw._bucketRequestParams(method, bucket, subres, {});
  if (body !== undefined) {
    params.content = Buffer.from(body);
    params.mime = 'xml';
  }
  params.successStatuses = statuses;
  return raw.request(params);
}

/** An explicit Deny of the caller's own policy (the message does not matter here, the refusal does). */
const deniedBy = (call: Promise<unknown>): Promise<unknown> => expectOssError(call, 'AccessDenied', 403);

const styleBody = (content: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<Style><Content>${content}</Content></Style>`;

/** A PNG whose header claims width × height but whose pixel data is garbage: decoding it could only fail. */
function lyingPng(width: number, height: number, real: Buffer): Buffer {
  const out = Buffer.from(real);
  // IHDR: 8-byte signature, 4-byte length, 'IHDR', then width and height (big-endian), CRC after 13 bytes.
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  const idat = out.indexOf('IDAT');
  for (let i = idat + 4; i < out.length - 16; i++) out[i] = 0x5a;
  return out;
}

/**
 * A side × side RGB PNG of one colour, written directly: sharp spent ~3.5 CPU s making the 200-megapixel one
 * (600 MB of pixels through libvips and deflate), this ~0.3 s. Rows are filtered so the data is all zeros but the
 * first pixel (row 0 `Sub`: each pixel equals its left neighbour; later rows `Up`: each equals the row above),
 * which deflate's run-length strategy compresses at memory speed to the same ~600 KB.
 */
async function solidPng(side: number, rgb: readonly [number, number, number]): Promise<Buffer> {
  const rowBytes = 1 + 3 * side;
  const first = Buffer.alloc(rowBytes);
  first[0] = 1;
  first.set(rgb, 1);
  const ROWS = 64;
  const up = Buffer.alloc(rowBytes * ROWS);
  for (let i = 0; i < ROWS; i++) up[i * rowBytes] = 2;
  const z = createDeflate({ level: 9, strategy: zlibConstants.Z_RLE });
  const parts: Buffer[] = [];
  z.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise((resolve, reject) => z.on('end', resolve).on('error', reject));
  z.write(first);
  for (let left = side - 1; left > 0; left -= ROWS) {
    const n = Math.min(ROWS, left);
    if (!z.write(up.subarray(0, n * rowBytes))) await new Promise((resolve) => z.once('drain', resolve));
  }
  z.end();
  await ended;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bits per sample
  ihdr[9] = 2; // RGB; compression, filter and interlace methods 0
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', Buffer.alloc(0))]);
}

describe('image processing (x-oss-process)', () => {
  let srv: TestServer;
  let c: OSS;
  let photo: Buffer;

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(OTHER);
    c = srv.client({ bucket: BUCKET });
    // 400x200: left half red, right half blue.
    photo = await solid(400, 200, '#0000FF').composite([{ input: await solid(200, 200, '#FF0000').png().toBuffer(), left: 0, top: 0 }]).jpeg({ quality: 90 }).toBuffer();
    await c.put('photo.jpg', photo);
    await c.put('solid.png', await solid(64, 64, '#3366CC').png().toBuffer());
    await c.put('mark.png', await solid(20, 10, '#FF0000').png().toBuffer());
    await c.put('notes.txt', Buffer.from('not an image'));
  });
  after(async () => {
    await srv.stop();
  });

  test('resize: every mode, l/s, p and limit give the documented size', async () => {
    const cases: Array<[string, number, number]> = [
      ['image/resize,w_100', 100, 50],
      ['image/resize,h_50', 100, 50],
      ['image/resize,m_lfit,w_150,h_80', 150, 75],
      ['image/resize,m_mfit,w_150,h_80', 160, 80],
      ['image/resize,m_fill,w_150,h_80', 150, 80],
      ['image/resize,m_pad,w_100,h_100', 100, 100],
      ['image/resize,m_fixed,w_50,h_60', 50, 60],
      ['image/resize,p_50', 200, 100],
      ['image/resize,l_100', 100, 50],
      ['image/resize,s_50', 100, 50],
      ['image/resize,w_800', 400, 200], // limit_1 (default): never enlarged
      ['image/resize,w_800,limit_0', 800, 400],
    ];
    for (const [process, w, h] of cases) {
      const { body, type } = await processed(c, 'photo.jpg', process);
      assert.deepEqual(await dims(body), [w, h, 'jpeg'], process);
      assert.equal(type, 'image/jpeg');
    }
    // pad fills with the colour asked for: the band above the 100x50 picture is green.
    const { body } = await processed(c, 'photo.jpg', 'image/resize,m_pad,w_100,h_100,color_00FF00/format,png');
    const { data } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[1]! > 200 && data[0]! < 50 && data[2]! < 50, `top-left pixel ${[...data.subarray(0, 3)]}`);
  });

  test('crop, rotate, circle, rounded corners and auto-orient change the geometry', async () => {
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'image/crop,w_100,h_50,x_10,y_10')).body), [100, 50, 'jpeg']);
    // As OSS's samples and the PHP SDK's testImageCrop write it, with r_1.
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'image/crop,w_100,h_100,x_100,y_100,r_1')).body), [100, 100, 'jpeg']);
    // g_se with no size: from (x, y) measured from the bottom-right corner; the crop is the right half, blue.
    const se = (await processed(c, 'photo.jpg', 'image/crop,w_100,h_100,g_se/format,png')).body;
    const px = (await sharp(se).raw().toBuffer()).subarray(0, 3);
    assert.ok(px[2]! > 200 && px[0]! < 60, `south-east crop is blue: ${[...px]}`);
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'image/rotate,90')).body), [200, 400, 'jpeg']);
    // Steps run in order: resize then rotate is not rotate then resize.
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'image/resize,w_100/rotate,90')).body), [50, 100, 'jpeg']);
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'image/rotate,90/resize,w_100')).body), [100, 200, 'jpeg']);

    const circle = (await processed(c, 'solid.png', 'image/circle,r_20')).body;
    const cm = await sharp(circle).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([cm.info.width, cm.info.height, cm.info.channels], [40, 40, 4]);
    assert.equal(cm.data[3], 0, 'the corner outside the circle is transparent');
    assert.equal(cm.data[(20 * 40 + 20) * 4 + 3], 255, 'the centre is opaque');

    const rounded = await sharp((await processed(c, 'solid.png', 'image/rounded-corners,r_16')).body).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([rounded.info.width, rounded.info.height], [64, 64]);
    assert.equal(rounded.data[3], 0, 'the rounded corner is transparent');
    assert.equal(rounded.data[(32 * 64 + 32) * 4 + 3], 255);

    // EXIF orientation 6 (rotate 90° to display): auto-orient,1 swaps the sides, auto-orient,0 keeps them.
    await c.put('oriented.jpg', await solid(40, 20, '#808080').withMetadata({ orientation: 6 }).jpeg().toBuffer());
    assert.deepEqual(await dims((await processed(c, 'oriented.jpg', 'image/auto-orient,1')).body), [20, 40, 'jpeg']);
    assert.deepEqual(await dims((await processed(c, 'oriented.jpg', 'image/auto-orient,0/resize,p_100')).body), [40, 20, 'jpeg']);
  });

  test('format (magic bytes), quality, interlace', async () => {
    const magic = async (process: string): Promise<Buffer> => (await processed(c, 'photo.jpg', process)).body;
    assert.deepEqual([...(await magic('image/format,png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const webp = await magic('image/format,webp');
    assert.equal(webp.subarray(0, 4).toString('latin1') + webp.subarray(8, 12).toString('latin1'), 'RIFFWEBP');
    assert.equal((await magic('image/format,gif')).subarray(0, 4).toString('latin1'), 'GIF8');
    assert.equal((await magic('image/resize,w_40/format,avif')).subarray(4, 12).toString('latin1'), 'ftypavif');
    assert.equal((await processed(c, 'photo.jpg', 'image/format,webp')).type, 'image/webp');
    // bmp: no encoder in Alunite, refused as not implemented (documented).
    await expectOssError(c.get('photo.jpg', { process: 'image/format,bmp' }), 'NotImplemented', 501);

    await c.put('noise.jpg', await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 95 }).toBuffer());
    const low = (await processed(c, 'noise.jpg', 'image/quality,Q_10')).body;
    const high = (await processed(c, 'noise.jpg', 'image/quality,Q_95')).body;
    assert.ok(low.length < high.length / 2, `Q_10 ${low.length} bytes vs Q_95 ${high.length}`);
    assert.equal((await sharp(await magic('image/interlace,1')).metadata()).isProgressive, true);
    assert.equal((await sharp(await magic('image/interlace,0')).metadata()).isProgressive, false);
  });

  test('blur, bright, contrast and sharpen change the pixels as they should', async () => {
    const mean = async (key: string, process: string): Promise<number[]> =>
      (await sharp((await processed(c, key, process)).body).stats()).channels.slice(0, 3).map((ch) => ch.mean);
    const base = await mean('solid.png', 'image/resize,p_100');
    const brighter = await mean('solid.png', 'image/bright,50');
    const darker = await mean('solid.png', 'image/bright,-50');
    for (let i = 0; i < 3; i++) assert.ok(brighter[i]! > base[i]! && darker[i]! < base[i]!, `bright: ${base} ${brighter} ${darker}`);
    // contrast pushes channels away from the middle (blue 0xCC up, red 0x33 down); negative pulls them in.
    const more = await mean('solid.png', 'image/contrast,50');
    const less = await mean('solid.png', 'image/contrast,-50');
    assert.ok(more[2]! > base[2]! && more[0]! < base[0]!, `contrast up: ${base} ${more}`);
    assert.ok(less[2]! < base[2]! && less[0]! > base[0]!, `contrast down: ${base} ${less}`);
    // blur mixes the red/blue edge; sharpen leaves a solid image alone but changes the edge.
    const edge = async (process: string): Promise<number> => {
      const { data } = await sharp((await processed(c, 'photo.jpg', `${process}/format,png`)).body).raw().toBuffer({ resolveWithObject: true });
      return data[(100 * 400 + 198) * 3]!; // red channel two pixels left of the edge
    };
    const plain = await edge('image/resize,p_100');
    assert.ok((await edge('image/blur,r_10,s_10')) < plain - 30, 'blurred edge');
    assert.notDeepEqual((await processed(c, 'photo.jpg', 'image/sharpen,300')).body, (await processed(c, 'photo.jpg', 'image/resize,p_100')).body);
  });

  test('watermarks: text and an image of the same bucket', async () => {
    const white = await c.put('white.png', await solid(200, 100, '#FFFFFF').png().toBuffer());
    assert.equal(white.res.status, 200);
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    const text = (await processed(c, 'white.png', `image/watermark,text_${b64('Alunite')},color_000000,size_30,g_center,x_0,y_0`)).body;
    const tm = await sharp(text).stats();
    assert.ok(tm.channels[0]!.min < 100, 'dark text drawn on white');
    const img = (await processed(c, 'white.png', `image/watermark,image_${b64('mark.png')},g_nw,x_0,y_0`)).body;
    const { data, info } = await sharp(img).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0], 'the red mark sits in the north-west corner');
    assert.ok(data[(50 * 200 + 100) * info.channels + 1]! > 250, 'the middle stays white');
    // The watermark's own processing (resize,P_ of the mark) is honoured.
    const big = (await processed(c, 'white.png', `image/watermark,image_${b64('mark.png?x-oss-process=image/resize,w_40,limit_0')},g_nw,x_0,y_0`)).body;
    const bd = await sharp(big).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number): number[] => [...bd.data.subarray(x * bd.info.channels, x * bd.info.channels + 3)];
    assert.deepEqual(at(30), [255, 0, 0], 'the resized mark is 40 px wide');
    assert.deepEqual(at(45), [255, 255, 255], 'and no wider');
    await expectOssError(c.get('white.png', { process: `image/watermark,image_${b64('no-such.png')}` }), 'NoSuchKey', 404);
    // A watermark object that is not an image is the watermark's fault, not the (valid) source's.
    await c.put('mark.txt', Buffer.from('not an image at all'));
    const wm = await expectOssError(c.get('white.png', { process: `image/watermark,image_${b64('mark.txt')}` }), 'InvalidArgument', 400);
    assert.match(String(wm.message ?? ''), /watermark/i);
  });

  test('info and average-hue answer JSON', async () => {
    const info = await processed(c, 'photo.jpg', 'image/info');
    assert.equal(info.type, 'application/json');
    const j = JSON.parse(info.body.toString('utf8')) as Record<string, { value: string }>;
    assert.equal(j.FileSize?.value, String(photo.length));
    assert.equal(j.Format?.value, 'jpg');
    assert.equal(j.ImageWidth?.value, '400');
    assert.equal(j.ImageHeight?.value, '200');
    // EXIF orientation and resolution are reported when the file records them.
    await c.put('exif.jpg', await solid(30, 20, '#808080').withMetadata({ orientation: 6, density: 300 }).jpeg().toBuffer());
    const exif = JSON.parse((await processed(c, 'exif.jpg', 'image/info')).body.toString('utf8')) as Record<string, { value: string }>;
    assert.deepEqual(
      [exif.Orientation?.value, exif.XResolution?.value, exif.YResolution?.value, exif.ResolutionUnit?.value, exif.ImageWidth?.value],
      ['6', '300/1', '300/1', '2', '30'],
    );
    const hue = JSON.parse((await processed(c, 'solid.png', 'image/average-hue')).body.toString('utf8')) as { RGB: string };
    assert.deepEqual(hue, { RGB: '0x3366cc' });
    // After a crop of the red half, the hue is red.
    const red = JSON.parse((await processed(c, 'photo.jpg', 'image/crop,w_100,h_100/average-hue')).body.toString('utf8')) as { RGB: string };
    assert.match(red.RGB, /^0x(f[0-9a-f]|e[0-9a-f])[0-2][0-9a-f][0-2][0-9a-f]$/);
  });

  test('malformed process strings get the documented 400s', async () => {
    const cases: Array<[string, string, number, string?]> = [
      ['image/', 'InvalidArgument', 400, '0040-00000212'],
      ['image/nosuchaction,1', 'InvalidArgument', 400, '0040-00000213'],
      ['image/resize,m_abc,w_100', 'InvalidArgument', 400, '0040-00000311'],
      ['image/resize', 'MissingArgument', 400],
      ['image/resize,w_0', 'InvalidArgument', 400],
      ['image/resize,w_16385', 'InvalidArgument', 400],
      ['image/resize,w_abc', 'InvalidArgument', 400],
      ['image/rotate,361', 'InvalidArgument', 400],
      ['image/blur,r_10', 'MissingArgument', 400],
      ['image/crop,g_middle', 'InvalidArgument', 400],
      ['image/watermark,text_!!!', 'BadRequest', 400],
      ['image/format,xyz', 'InvalidArgument', 400],
      ['image/resize,w_10,w_20', 'InvalidArgument', 400],
      ['image/resize,m_fixed,w_5000,h_5000,limit_0', 'InvalidArgument', 400], // over 4096² pixels
      ['image/resize,p_1000,limit_0/resize,p_1000,limit_0', 'InvalidArgument', 400], // 40000 px wide
      ['nope/resize,w_10', 'InvalidArgument', 400],
      [`image/${Array.from({ length: 21 }, () => 'bright,1').join('/')}`, 'InvalidArgument', 400],
      [`image/resize,w_${'1'.repeat(5000)}`, 'InvalidArgument', 400],
      ['image/resize,w_10|sys/saveas,o_dGVzdA', 'InvalidArgument', 400],
      ['style/no-such-style', 'NoSuchStyle', 404],
      ['image/indexcrop,x_10,i_0', 'NotImplemented', 501],
    ];
    for (const [process, code, status, ec] of cases) {
      const err = await expectOssError(c.get('photo.jpg', { process }), code, status);
      if (ec !== undefined) assert.equal(err.ecCode, ec, process);
    }
    await expectOssError(c.get('notes.txt', { process: 'image/resize,w_10' }), 'BadRequest', 400);
    await expectOssError(c.get('missing.jpg', { process: 'image/resize,w_10' }), 'NoSuchKey', 404);
  });

  test('over-limit images are refused from their size or header, before decoding', async () => {
    const tiny = await solid(8, 8, '#000000').png({ compressionLevel: 0 }).toBuffer();
    await c.put('huge-header.png', lyingPng(40000, 40000, tiny));
    const e1 = await expectOssError(c.get('huge-header.png', { process: 'image/resize,w_10' }), 'ImageTooLarge', 400);
    assert.match(e1.message, /40000x40000/);
    // 20000 x 20000 is within each side but 400 million pixels.
    await c.put('many-pixels.png', lyingPng(20000, 20000, tiny));
    await expectOssError(c.get('many-pixels.png', { process: 'image/info' }), 'ImageTooLarge', 400);
    // Not an image at all, but its size alone refuses it.
    await c.put('big.bin', Buffer.alloc(20 * 1024 * 1024 + 1, 1));
    await expectOssError(c.get('big.bin', { process: 'image/resize,w_10' }), 'ImageTooLarge', 400);
    // A sane header over corrupt pixel data: refused as a bad image, never a 500.
    await c.put('corrupt.png', lyingPng(8, 8, tiny));
    await expectOssError(c.get('corrupt.png', { process: 'image/resize,w_4' }), 'BadRequest', 400);
    // info reads no pixels, but is refused from the header all the same.
    await expectOssError(c.get('huge-header.png', { process: 'image/info' }), 'ImageTooLarge', 400);
    // A watermark image is decoded on top of its source: over 4096² pixels it is refused from its header (it was
    // decoded whole, so one request held two 250-megapixel images).
    await c.put('huge-mark.png', lyingPng(4097, 4097, tiny));
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    const e2 = await expectOssError(c.get('solid.png', { process: `image/watermark,image_${b64('huge-mark.png')}` }), 'ImageTooLarge', 400);
    assert.match(e2.message, /watermark image has 16785409 pixels/);
    await c.put('edge-mark.png', await solid(4096, 4096, '#FF0000').png().toBuffer());
    assert.equal((await processed(c, 'solid.png', `image/watermark,image_${b64('edge-mark.png')}`)).type, 'image/png');
  });

  test('images libvips cannot read: the documented BadRequest with our own text, never the library\'s', async () => {
    const leaks = /vips|jpeg|png|load|buffer|premature|input file|libspng|huffman/i;
    // A JPEG cut in half: its header reads, its pixels end early.
    await c.put('truncated.jpg', photo.subarray(0, Math.floor(photo.length / 2)));
    const cut = await expectOssError(c.get('truncated.jpg', { process: 'image/resize,w_10' }), 'BadRequest', 400);
    assert.equal(cut.message, 'The image could not be processed: its data is corrupt or truncated.');
    // A PNG whose pixel data is garbage.
    const tiny = await solid(8, 8, '#000000').png({ compressionLevel: 0 }).toBuffer();
    await c.put('garbage.png', lyingPng(8, 8, tiny));
    const garbage = await expectOssError(c.get('garbage.png', { process: 'image/rotate,90' }), 'BadRequest', 400);
    assert.equal(garbage.message, 'The image could not be processed: its data is corrupt or truncated.');
    // Not an image at all: OSS's EC for an unsupported source format.
    const text = await expectOssError(c.get('notes.txt', { process: 'image/resize,w_10' }), 'BadRequest', 400);
    assert.equal(text.message, 'The source object is not an image Alunite can process (JPEG, PNG, WebP, GIF, TIFF or AVIF).');
    assert.equal(text.ecCode, '0040-00000005');
    // The whole answer, through a signed URL: nothing of libvips in it.
    for (const key of ['truncated.jpg', 'garbage.png', 'notes.txt']) {
      const res = await fetch(srv.pathClient({ bucket: BUCKET }).signatureUrl(key, { expires: 600, process: 'image/resize,w_10' } as OSS.SignatureUrlOptions));
      assert.equal(res.status, 400);
      const body = await res.text();
      assert.match(body, /<Code>BadRequest<\/Code>/);
      assert.doesNotMatch(body.replace(/<Message>The (image|source object)[^<]*<\/Message>/, ''), leaks, body);
    }
  });

  test('a presigned URL carries x-oss-process in its signature', async () => {
    const pc = srv.pathClient({ bucket: BUCKET });
    const url = pc.signatureUrl('photo.jpg', { expires: 600, process: 'image/resize,w_60' } as OSS.SignatureUrlOptions);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(await dims(Buffer.from(await res.arrayBuffer())), [60, 30, 'jpeg']);
    // The process is signed: changing it breaks the signature.
    const tampered = url.replace('w_60', 'w_61');
    assert.notEqual(tampered, url);
    assert.equal((await fetch(tampered)).status, 403);
    // V4 presigned URLs sign every query parameter, x-oss-process included.
    const v4 = srv.pathClient({ bucket: BUCKET, authorizationV4: true } as Partial<OSS.Options>) as unknown as {
      signatureUrlV4(method: string, expires: number, request: { queries: Record<string, string> }, key: string): Promise<string>;
    };
    const v4url = await v4.signatureUrlV4('GET', 600, { queries: { 'x-oss-process': 'image/resize,w_40' } }, 'photo.jpg');
    const v4res = await fetch(v4url);
    assert.equal(v4res.status, 200);
    assert.deepEqual(await dims(Buffer.from(await v4res.arrayBuffer())), [40, 20, 'jpeg']);
    assert.equal((await fetch(v4url.replace('w_40', 'w_41'))).status, 403);
  });

  test('response-* parameters apply to a processed image as to a GetObject; relabelled active content is a download; anonymous callers may not use them', async () => {
    const pc = srv.pathClient({ bucket: BUCKET });
    // A download name for a thumbnail, through a presigned URL (the parameters are signed with the process).
    const named = await fetch(pc.signatureUrl('photo.jpg', {
      expires: 600, process: 'image/resize,w_30', response: { 'content-disposition': 'attachment; filename="thumb.jpg"', 'cache-control': 'max-age=60' },
    } as OSS.SignatureUrlOptions));
    assert.equal(named.status, 200);
    assert.equal(named.headers.get('content-disposition'), 'attachment; filename="thumb.jpg"');
    assert.equal(named.headers.get('cache-control'), 'max-age=60');
    assert.equal(named.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(await dims(Buffer.from(await named.arrayBuffer())), [30, 15, 'jpeg']);
    // Relabelled text/html, the answer is never rendered from this origin (as a plain GET's would not be).
    const html = await fetch(pc.signatureUrl('photo.jpg', {
      expires: 600, process: 'image/resize,w_30', response: { 'content-type': 'text/html', 'content-disposition': 'inline' },
    } as OSS.SignatureUrlOptions));
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('content-type'), 'text/html');
    assert.equal(html.headers.get('content-disposition'), 'attachment');
    assert.equal(html.headers.get('x-oss-force-download'), 'true');
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    await html.arrayBuffer();
    // An anonymous caller of a public-read object: processed, but response-* is refused as on GetObject.
    await c.put('public-resp.png', await solid(12, 6, '#000000').png().toBuffer());
    await c.putACL('public-resp.png', 'public-read');
    const anon = (query: string) => fetch(`${srv.url}/${BUCKET}/public-resp.png?x-oss-process=image/info${query}`, { headers: { host: `${BUCKET}.${new URL(srv.url).host}` } });
    const plain = await anon('');
    assert.equal(plain.status, 200);
    await plain.arrayBuffer();
    const refused = await anon('&response-content-type=text%2Fhtml');
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /<Code>InvalidRequest<\/Code>[\s\S]*Request specific response headers cannot be used for anonymous GET requests\./);
  });

  test('styles: Put/Get/List/DeleteStyle and x-oss-process=style/<name>', async () => {
    await bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'thumb' }, styleBody('image/resize,w_80'));
    await bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'half' }, styleBody('image/resize,p_50/format,png'));
    const got = await bucketRequest(c, 'GET', BUCKET, { style: '', styleName: 'thumb' });
    const xml = Buffer.from(got.data as Buffer).toString('utf8');
    assert.match(xml, /<Style><Name>thumb<\/Name><Content>image\/resize,w_80<\/Content><CreateTime>[^<]+GMT<\/CreateTime><LastModifyTime>[^<]+<\/LastModifyTime><Category>image<\/Category><\/Style>/);
    const list = Buffer.from((await bucketRequest(c, 'GET', BUCKET, { style: '' })).data as Buffer).toString('utf8');
    // In creation order, not by name (the Go SDK v1's TestBucketStyle, oss2's test_bucket_style_normal).
    const names = async (): Promise<string[]> => {
      const text = Buffer.from((await bucketRequest(c, 'GET', BUCKET, { style: '' })).data as Buffer).toString('utf8');
      return [...text.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]!);
    };
    assert.deepEqual([...list.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]), ['thumb', 'half']);
    assert.ok(list.includes('<StyleList>'));
    await bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'alpha' }, styleBody('image/resize,w_10'));
    assert.deepEqual(await names(), ['thumb', 'half', 'alpha']);

    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'style/thumb')).body), [80, 40, 'jpeg']);
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'style/half')).body), [200, 100, 'png']);
    // Replacing a style keeps its CreateTime and changes what it does.
    await bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'thumb' }, styleBody('image/resize,w_20'));
    assert.deepEqual(await dims((await processed(c, 'photo.jpg', 'style/thumb')).body), [20, 10, 'jpeg']);
    assert.deepEqual(await names(), ['thumb', 'half', 'alpha'], 'a replaced style keeps its place');
    await bucketRequest(c, 'DELETE', BUCKET, { style: '', styleName: 'alpha' });

    // Validated: bad content, bad names, a body that is not a Style.
    await expectOssError(bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'bad' }, styleBody('image/resize,m_abc,w_1')), 'InvalidArgument', 400);
    await expectOssError(bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'bad' }, styleBody('style/thumb')), 'InvalidArgument', 400);
    await expectOssError(bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'bad name' }, styleBody('image/resize,w_1')), 'InvalidArgument', 400);
    await expectOssError(bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'bad' }, '<Other/>'), 'MalformedXML', 400);
    await expectOssError(bucketRequest(c, 'GET', BUCKET, { style: '', styleName: 'bad' }), 'NoSuchStyle', 404);

    await bucketRequest(c, 'DELETE', BUCKET, { style: '', styleName: 'thumb' });
    await expectOssError(bucketRequest(c, 'GET', BUCKET, { style: '', styleName: 'thumb' }), 'NoSuchStyle', 404);
    await expectOssError(c.get('photo.jpg', { process: 'style/thumb' }), 'NoSuchStyle', 404);
    // Deleting a style that is not there is done already (the Go SDK v1's TestBucketStyle expects no error).
    const again = (await bucketRequest(c, 'DELETE', BUCKET, { style: '', styleName: 'thumb' })) as { status?: number; res?: { status: number } };
    assert.equal(again.res?.status ?? again.status, 204);
    await bucketRequest(c, 'DELETE', BUCKET, { style: '', styleName: 'half' });
    const empty = Buffer.from((await bucketRequest(c, 'GET', BUCKET, { style: '' })).data as Buffer).toString('utf8');
    assert.ok(!empty.includes('<Name>'), empty);
  });

  test('save-as: processObjectSave writes the result as an object, in this bucket or another', async () => {
    const saver = c as unknown as { processObjectSave(src: string, target: string, process: string, bucket?: string): Promise<{ status: number; res: { data?: Buffer } }> };
    const r = await saver.processObjectSave('photo.jpg', 'thumbs/photo.png', 'image/resize,w_50/format,png');
    assert.equal(r.status, 200);
    const saved = await c.get('thumbs/photo.png');
    assert.deepEqual(await dims(saved.content as Buffer), [50, 25, 'png']);
    assert.equal((saved.res.headers as Record<string, string>)['content-type'], 'image/png');
    await saver.processObjectSave('photo.jpg', 'copy.jpg', 'image/rotate,90', OTHER);
    assert.deepEqual(await dims((await srv.client({ bucket: OTHER }).get('copy.jpg')).content as Buffer), [200, 400, 'jpeg']);
    // The documented JSON answer, through a raw request.
    const body = Buffer.from(`x-oss-process=${encodeURIComponent(`image/resize,w_10|sys/saveas,o_${Buffer.from('tiny.jpg').toString('base64url')}`)}`);
    const raw = await rawObjectRequest(c, 'POST', 'photo.jpg', { subres: 'x-oss-process', content: body, mime: 'application/x-www-form-urlencoded' });
    const answer = JSON.parse(Buffer.from(raw.data as Buffer).toString('utf8')) as Record<string, unknown>;
    const tiny = (await c.get('tiny.jpg')).content as Buffer;
    // Without b_ the answer's bucket is "" (Go SDK TestProcessObject, oss2 test_process_object); with b_, that bucket.
    assert.deepEqual(answer, { bucket: '', fileSize: tiny.length, object: 'tiny.jpg', status: 'OK' });
    assert.deepEqual(await dims(tiny), [10, 5, 'jpeg']);
    const withB = await rawObjectRequest(c, 'POST', 'photo.jpg', { subres: 'x-oss-process', content: Buffer.from(`x-oss-process=${encodeURIComponent(`image/resize,w_10|sys/saveas,o_${Buffer.from('tiny2.jpg').toString('base64url')},b_${Buffer.from(BUCKET).toString('base64url')}`)}`), mime: 'application/x-www-form-urlencoded' });
    assert.deepEqual(JSON.parse(Buffer.from(withB.data as Buffer).toString('utf8')), { bucket: BUCKET, fileSize: tiny.length, object: 'tiny2.jpg', status: 'OK' });
    // info saved as an object: the JSON, stored as application/json.
    await rawObjectRequest(c, 'POST', 'photo.jpg', { subres: 'x-oss-process', content: Buffer.from(`x-oss-process=${encodeURIComponent(`image/info|sys/saveas,o_${Buffer.from('photo-info.json').toString('base64url')}`)}`), mime: 'application/x-www-form-urlencoded' });
    const infoObj = await c.get('photo-info.json');
    assert.equal((JSON.parse((infoObj.content as Buffer).toString('utf8')) as Record<string, { value: string }>).ImageWidth?.value, '400');
    assert.equal((infoObj.res.headers as Record<string, string>)['content-type'], 'application/json');
    // Bad save-as bodies.
    const post = (text: string) => rawObjectRequest(c, 'POST', 'photo.jpg', { subres: 'x-oss-process', content: Buffer.from(text), mime: 'application/x-www-form-urlencoded' });
    await expectOssError(post('x-oss-process=image/resize,w_10'), 'MissingArgument', 400);
    await expectOssError(post(`x-oss-process=${encodeURIComponent('image/resize,w_10|sys/saveas,b_eA')}`), 'MissingArgument', 400);
    await expectOssError(post(`x-oss-process=${encodeURIComponent(`image/resize,w_10|sys/saveas,o_${Buffer.from('x.jpg').toString('base64url')},b_${Buffer.from('no-such-bucket').toString('base64url')}`)}`), 'NoSuchBucket', 404);
    await expectOssError(c.head('x.jpg'), 'NoSuchKey', 404);
    // A SelectObject request (x-oss-process=csv/select, docs/select.md) is a select, not a save-as.
    await expectOssError(rawObjectRequest(c, 'POST', 'photo.jpg', { subres: { 'x-oss-process': 'csv/select' }, content: Buffer.from('<x/>') }), 'MalformedXML', 400);
  });

  test('the source is read like any GetObject: versions, encryption at rest, archive state', async () => {
    await c.put('enc.jpg', photo, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    assert.deepEqual(await dims((await processed(c, 'enc.jpg', 'image/resize,w_40')).body), [40, 20, 'jpeg']);
    await c.put('cold.jpg', photo, { headers: { 'x-oss-storage-class': 'Archive' } });
    await expectOssError(c.get('cold.jpg', { process: 'image/resize,w_40' }), 'InvalidObjectState', 403);

    const vc = srv.client({ bucket: OTHER });
    await (vc as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning(OTHER, 'Enabled');
    const v1 = await vc.put('v.jpg', photo);
    await vc.put('v.jpg', await solid(30, 30, '#00FF00').jpeg().toBuffer());
    const id = (v1.res.headers as Record<string, string>)['x-oss-version-id']!;
    assert.ok(id);
    assert.deepEqual(await dims((await processed(vc, 'v.jpg', 'image/resize,p_50')).body), [15, 15, 'jpeg']);
    assert.deepEqual(await dims((await processed(vc, 'v.jpg', 'image/resize,p_50', { versionId: id })).body), [200, 100, 'jpeg']);
  });

  test('authorization: oss:GetObject for processing, oss:PutObject on a save-as target, style actions; explicit Deny wins', async () => {
    const ram = new Ram(srv);
    const arn = (key: string): string => `acs:oss:*:*:${BUCKET}/${key}`;
    const user = await ram.userWith('img-user', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: 'oss:GetObject', Resource: [arn('photo.jpg'), arn('mark.png')] },
      { Effect: 'Deny', Action: 'oss:PutObject', Resource: [arn('denied/*')] },
      { Effect: 'Deny', Action: ['oss:PutStyle', 'oss:DeleteStyle'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    const u = user.oss(BUCKET);
    await deniedBy(u.get('photo.jpg', { process: 'image/resize,w_10' }));
    assert.deepEqual(await dims((await processed(u, 'solid.png', 'image/resize,w_10')).body), [10, 10, 'png']);
    // A watermark image is read with the caller's rights too.
    const b64 = Buffer.from('mark.png').toString('base64url');
    await deniedBy(u.get('white.png', { process: `image/watermark,image_${b64}` }));
    // ali-oss's processObjectSave does not throw on error statuses: signed raw requests show the error codes.
    const saveAs = (src: string, target: string, process: string) => rawObjectRequest(u, 'POST', src, {
      subres: 'x-oss-process',
      content: Buffer.from(`x-oss-process=${encodeURIComponent(`${process}|sys/saveas,o_${Buffer.from(target).toString('base64url')}`)}`),
      mime: 'application/x-www-form-urlencoded',
    });
    await deniedBy(saveAs('solid.png', 'denied/x.png', 'image/resize,w_10'));
    await expectOssError(c.head('denied/x.png'), 'NoSuchKey', 404);
    await deniedBy(saveAs('photo.jpg', 'ok.png', 'image/resize,w_10'));
    await expectOssError(c.head('ok.png'), 'NoSuchKey', 404);
    await saveAs('solid.png', 'ok.png', 'image/resize,w_10');
    assert.deepEqual(await dims((await c.get('ok.png')).content as Buffer), [10, 10, 'png']);
    await bucketRequest(c, 'PUT', BUCKET, { style: '', styleName: 'mine' }, styleBody('image/resize,w_10'));
    await expectOssError(bucketRequest(u, 'PUT', BUCKET, { style: '', styleName: 'theirs' }, styleBody('image/resize,w_10')), 'AccessDenied', 403);
    await expectOssError(bucketRequest(u, 'DELETE', BUCKET, { style: '', styleName: 'mine' }), 'AccessDenied', 403);
    assert.match(Buffer.from((await bucketRequest(u, 'GET', BUCKET, { style: '', styleName: 'mine' })).data as Buffer).toString('utf8'), /<Name>mine<\/Name>/);
    // Using a style to read a denied object is still a GetObject of it.
    await deniedBy(u.get('photo.jpg', { process: 'style/mine' }));
    // Anonymous callers of a private bucket are refused before anything is processed; a public-read bucket's
    // ACL grants the read, so processing too.
    const anonGet = (bucket: string, key: string) =>
      fetch(`${srv.url}/${bucket}/${key}?x-oss-process=image/info`, { headers: { host: `${bucket}.${new URL(srv.url).host}` } });
    assert.equal((await anonGet(BUCKET, 'solid.png')).status, 403);
    await srv.client({ bucket: OTHER }).put('public.png', await solid(12, 6, '#000000').png().toBuffer());
    await srv.client().putBucketACL(OTHER, 'public-read');
    const pub = await anonGet(OTHER, 'public.png');
    assert.equal(pub.status, 200);
    assert.equal(((await pub.json()) as Record<string, { value: string }>).ImageWidth?.value, '12');
    // HEAD does not process: 501, as before.
    await expectOssError(rawObjectRequest(c, 'HEAD', 'solid.png', { subres: { 'x-oss-process': 'image/info' } }), 'NotImplemented', 501);
  });
});

describe('image processing concurrency gate', () => {
  test('at most IMAGE_LIMITS.concurrency sources are read and held at once; the rest wait without bytes', async () => {
    const png = await solid(4, 4, '#FF0000').png().toBuffer();
    const loads: Array<() => void> = [];
    let started = 0;
    const load = (): Promise<Buffer> => new Promise((resolve) => {
      started += 1;
      loads.push(() => resolve(png));
    });
    const jobs = Array.from({ length: IMAGE_LIMITS.concurrency + 2 }, () => processImage(load, [{ op: 'info' }], { loadImage: () => Promise.reject(new Error('unused')) }));
    /** Polls (generous deadline, no timing assumption) until `cond` holds. */
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!cond()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(() => started === IMAGE_LIMITS.concurrency, 'the first jobs start reading');
    // Every job has reached the gate by now; the others wait without having read anything.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    assert.equal(started, IMAGE_LIMITS.concurrency, 'only the jobs holding a slot have started reading');
    loads.shift()!();
    await until(() => started === IMAGE_LIMITS.concurrency + 1, 'a finished job lets one more in');
    assert.equal(started, IMAGE_LIMITS.concurrency + 1, 'exactly one more: the other slots are still held');
    while (started < jobs.length || loads.length > 0) {
      loads.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const r of await Promise.all(jobs)) assert.equal(r.type, 'json');
  });
});

describe('image processing pixel budget', () => {
  test('sources that together exceed IMAGE_LIMITS.maxPixelsInFlight are decoded one after the other', { timeout: 180_000 }, async () => {
    // Two 200-megapixel PNGs (under 1 MB each) decoded at once held some 5 GB (each job keeps its raw pixels and
    // the next step's); now the second waits for the first, so the process holds one such image at a time.
    const srv = await startTestServer();
    try {
      await srv.client().putBucket(BUCKET);
      const c = srv.client({ bucket: BUCKET });
      const side = 14_142; // 199,996,164 pixels: two are over the budget, one is within every source limit
      assert.ok(2 * side * side > 250_000_000 && side * side <= IMAGE_LIMITS.maxPixels); // the budget (maxPixelsInFlight) is one largest source
      const png = await solidPng(side, [0x33, 0x66, 0x99]);
      assert.deepEqual(await dims(png), [side, side, 'png']); // sharp reads a 200-megapixel PNG (its header: no decoding here)
      await c.put('big.png', png);
      const timed = async (process: string): Promise<number> => {
        const r = await c.get('big.png', { process, timeout: 170_000 } as OSS.GetObjectOptions);
        assert.equal(r.res.status, 200);
        return Date.now();
      };
      // The slow one first (rotate, then a blur over every pixel), then, once it holds its pixels, a quick one.
      let slowEnded = false;
      const slow = timed('image/rotate,90/blur,r_1,s_1/resize,w_100').finally(() => (slowEnded = true));
      await eventually(() => pixelsHeld() > 0 || slowEnded, 'the slow job holds its pixels');
      const quick = timed('image/resize,w_100');
      const [slowDone, quickDone] = await Promise.all([slow, quick]);
      assert.ok(quickDone >= slowDone, `the second source was decoded while the first still held its pixels (finished ${slowDone - quickDone} ms earlier)`);
      // A source within the budget beside a small one is not held back: info reads no pixels at all.
      assert.equal(JSON.parse((await c.get('big.png', { process: 'image/info' } as OSS.GetObjectOptions)).content.toString()).ImageWidth.value, String(side));
    } finally {
      await srv.stop();
    }
  });
});
