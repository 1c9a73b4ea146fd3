import type { Metadata, Sharp } from 'sharp';
import { AppError } from '../errors.js';
import { systemClock, type Clock } from '../util/time.js';
import { MAX_OUTPUT_SIDE, type Gravity, type OutputFormat, type Step, type WatermarkStep } from './parse.js';

// Runs parsed steps (image/parse.ts) with sharp, in the order given. sharp orders the operations of one
// pipeline itself (rotate before resize, composite last, …), so each step runs in a pipeline of its own on the
// previous step's raw pixels; the first reads the encoded source (letting JPEG shrink on load) and the last
// encodes the answer. Sources are checked from their headers (sharp's metadata()) before anything is decoded.

/** OSS's limits on source images (docs/image-processing.md). */
export const IMAGE_LIMITS = {
  /** Bytes of a source image (OSS: 20 MB). */
  maxSourceBytes: 20 * 1024 * 1024,
  /** Width or height of a source image. */
  maxSide: 30000,
  /** Width × height × frames of a source image. */
  maxPixels: 250_000_000,
  /** Width × height of a resized image (OSS: 16,777,216, 4096²; each side at most 16,384). */
  maxOutputPixels: 16_777_216,
  /**
   * Time one job's processing may take in all, every step and a watermark image's steps together (each libvips
   * pipeline gets what is left as sharp's timeout): a huge AVIF or GIF encode, or 20 costly steps, cannot hold a
   * slot for ever.
   */
  timeoutSeconds: 60,
  /** Images processed at once by this process; others wait (each may hold its decoded pixels). */
  concurrency: 2,
  /**
   * Source pixels (width × height × frames) being processed at once by this process. A job holds its source's
   * pixels from its header check to its end (about 2 × 4 bytes per pixel: the raw image and the next step's);
   * one larger source still runs, alone. So two 250-megapixel sources no longer hold some 5 GB at once.
   */
  maxPixelsInFlight: 250_000_000,
  /** Width × height × frames of a watermark image (4096²): it is decoded inside its source's job, on top of it. */
  maxWatermarkPixels: 16_777_216,
} as const;

/** Formats read as sources. SVG, PDF and the rest of what libvips could open are refused. */
const INPUT_FORMATS: ReadonlyMap<string, string> = new Map([
  ['jpeg', 'jpg'], ['png', 'png'], ['webp', 'webp'], ['gif', 'gif'], ['tiff', 'tiff'], ['heif', 'avif'],
]);

const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', tiff: 'image/tiff', avif: 'image/avif',
};

// sharp (and libvips) load at the first image inspected: ~0.1 s of CPU that a server processing no image never pays.
// Every use of `sharp` below comes after inspect(), which loads it.
let sharp: typeof import('sharp').default;
let sharpLoading: Promise<void> | undefined;
function loadSharp(): Promise<void> {
  sharpLoading ??= import('sharp').then((m) => {
    sharp = m.default;
    sharp.cache(false); // no libvips operation cache: every request's pixels are let go when it ends
  });
  return sharpLoading;
}

export type ProcessResult =
  | { type: 'image'; body: Buffer; contentType: string; format: OutputFormat }
  | { type: 'json'; body: string };

export interface SourceInfo {
  /** OSS's name of the format (jpg, png, webp, gif, tiff, avif). */
  format: OutputFormat;
  width: number;
  height: number;
  meta: Metadata;
}

export interface ApplyDeps {
  /** The bytes of a watermark image (an object of the same bucket), read with the caller's authorization. */
  loadImage(key: string): Promise<Buffer>;
  /**
   * Whether the request's client is gone: checked when the job's turn comes and before each step, so a job nobody
   * waits for is not run, or not run on.
   */
  clientGone?(): boolean;
  /** The clock the job's time budget (IMAGE_LIMITS.timeoutSeconds) is read from; the system clock by default. */
  clock?: Clock;
}

/** A job under way: its deps, and the check made before each libvips pipeline it runs. */
interface Job extends ApplyDeps {
  /** Throws when the client is gone or the budget is spent; else the whole seconds left (sharp's timeout). */
  nextStage(): number;
}

function jobOf(deps: ApplyDeps): Job {
  const clock = deps.clock ?? systemClock;
  const deadline = clock() + IMAGE_LIMITS.timeoutSeconds * 1000;
  return {
    ...deps,
    nextStage: () => {
      if (deps.clientGone?.() === true) throw new AppError('RequestTimeout', GONE);
      const left = deadline - clock();
      if (left <= 0) throw new AppError('BadRequest', TIMED_OUT);
      return Math.ceil(left / 1000);
    },
  };
}

/** A job whose client left while it waited for its turn (no one reads the answer; the status is for the log). */
const GONE = 'The client closed the connection before the image was processed.';

// What a client is told when libvips fails: our own fixed text and OSS's documented code (BadRequest, with the
// EC OSS documents for the format where it has one). libvips' message names its internals (loaders, buffers,
// file offsets) and is not part of the protocol: it travels as the error's `cause`, which the listener logs at
// debug level only (docs/image-processing.md "Errors").
const NOT_AN_IMAGE = 'The source object is not an image Alunite can process (JPEG, PNG, WebP, GIF, TIFF or AVIF).';
const NOT_DECODED = 'The image could not be processed: its data is corrupt or truncated.';
const TIMED_OUT = `The image could not be processed within ${IMAGE_LIMITS.timeoutSeconds} seconds.`;
/** OSS EC 0040-00000005: the source is in a format image processing does not support. */
const EC_UNSUPPORTED_FORMAT = '0040-00000005';
/** OSS ECs for a source of this format that does not decode (documented for WebP and AVIF only). */
const EC_NOT_DECODED: Partial<Record<OutputFormat, string>> = { webp: '0040-00000010', avif: '0040-00000021' };

function withCause(err: AppError, cause: unknown): AppError {
  err.cause = cause;
  return err;
}

/** Refuses an object too large to process before any of it is read. */
export function assertSourceSize(size: number): void {
  if (size > IMAGE_LIMITS.maxSourceBytes) {
    throw new AppError('ImageTooLarge', `The source image is ${size} bytes; at most ${IMAGE_LIMITS.maxSourceBytes} bytes can be processed.`);
  }
}

/** The source's format and size from its header, refusing what is not a supported image or exceeds the limits. */
export async function inspect(source: Buffer, watermark = false): Promise<SourceInfo> {
  assertSourceSize(source.length);
  await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw withCause(new AppError('BadRequest', NOT_AN_IMAGE, {}, EC_UNSUPPORTED_FORMAT), err);
  }
  const format = INPUT_FORMATS.get(meta.format ?? '');
  if (format === undefined || (meta.format === 'heif' && meta.compression !== 'av1')) {
    throw new AppError('BadRequest', `The source format ${meta.format ?? 'unknown'} is not processed by Alunite (JPEG, PNG, WebP, GIF, TIFF or AVIF).`, {}, EC_UNSUPPORTED_FORMAT);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const frames = Math.max(1, meta.pages ?? 1);
  if (width > IMAGE_LIMITS.maxSide || height > IMAGE_LIMITS.maxSide) {
    throw new AppError('ImageTooLarge', `The source image is ${width}x${height}; its width and height may be at most ${IMAGE_LIMITS.maxSide} pixels.`);
  }
  if (width * height * frames > IMAGE_LIMITS.maxPixels) {
    throw new AppError('ImageTooLarge', `The source image has ${width * height * frames} pixels; at most ${IMAGE_LIMITS.maxPixels} can be processed.`);
  }
  if (watermark && width * height * frames > IMAGE_LIMITS.maxWatermarkPixels) {
    throw new AppError('ImageTooLarge', `The watermark image has ${width * height * frames} pixels; at most ${IMAGE_LIMITS.maxWatermarkPixels} can be used as a watermark.`);
  }
  if (width < 1 || height < 1) throw new AppError('BadRequest', 'The source image has no pixels.');
  return { format: format as OutputFormat, width, height, meta };
}

let running = 0;
const waiting: Array<() => void> = [];
/** Source pixels held by the jobs decoding now, and the jobs waiting for room (first come, first served). */
let pixelsInFlight = 0;
const waitingForPixels: Array<{ pixels: number; go: () => void }> = [];

/** Runs `fn` when one of the IMAGE_LIMITS.concurrency slots is free. */
async function inSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= IMAGE_LIMITS.concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await fn();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/**
 * Holds `pixels` of the process's IMAGE_LIMITS.maxPixelsInFlight until the returned release is called; waits
 * while they do not fit beside the jobs holding theirs. A job that needs more than the whole budget runs when
 * no other holds any. Waiters are let in in order, so a large source is not passed over by a stream of small ones.
 */
async function holdPixels(pixels: number): Promise<() => void> {
  if (waitingForPixels.length === 0 && fitsInFlight(pixels)) pixelsInFlight += pixels;
  else await new Promise<void>((go) => waitingForPixels.push({ pixels, go })); // counted in by admitWaiting
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pixelsInFlight -= pixels;
    admitWaiting();
  };
}

/** Source pixels held by the jobs decoding now (tests wait on it instead of guessing how long a job takes). */
export function pixelsHeld(): number {
  return pixelsInFlight;
}

function fitsInFlight(pixels: number): boolean {
  return pixelsInFlight === 0 || pixelsInFlight + pixels <= IMAGE_LIMITS.maxPixelsInFlight;
}

function admitWaiting(): void {
  while (waitingForPixels.length > 0 && fitsInFlight(waitingForPixels[0]!.pixels)) {
    const next = waitingForPixels.shift()!;
    pixelsInFlight += next.pixels;
    next.go();
  }
}

/** Whether the steps decode the source's pixels (`info` before any pixel step reads the header only). */
function decodes(steps: readonly Step[]): boolean {
  for (const step of steps) {
    if (step.op === 'info') return false;
    if (step.op !== 'format' && step.op !== 'quality' && step.op !== 'interlace' && step.op !== 'auto-orient') return true;
  }
  return true;
}

interface Raw {
  data: Buffer;
  info: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

interface Dims {
  width: number;
  height: number;
}

type PixelStep = Exclude<Step, { op: 'format' | 'quality' | 'interlace' | 'auto-orient' | 'info' | 'average-hue' }>;

/**
 * Reads a source with `load` (which must refuse sources over IMAGE_LIMITS.maxSourceBytes before reading them)
 * and processes it through the steps. The read happens inside one of the IMAGE_LIMITS.concurrency slots, so
 * requests waiting their turn hold no image bytes.
 */
export function processImage(load: () => Promise<Buffer>, steps: readonly Step[], deps: ApplyDeps): Promise<ProcessResult> {
  return inSlot(async () => {
    // Requests abandoned in the queue (a client that asks and hangs up, again and again) would each still read
    // and decode their source in turn, holding up every request behind them.
    if (deps.clientGone?.() === true) throw new AppError('RequestTimeout', GONE);
    const source = await load();
    const src = await inspect(source);
    const release = decodes(steps) ? await holdPixels(src.width * src.height * Math.max(1, src.meta.pages ?? 1)) : () => {};
    try {
      // Each step's pipeline is checked before it starts: a client that leaves stops the job at the next step, and
      // the steps share one budget. Before, each of up to 20 steps had 60 s of its own and ran for nobody:
      // 20 blurs of a 100-megapixel PNG (311 KB) took 100 s of both cores for an anonymous request, hung up or not.
      return await run(source, steps, jobOf(deps), src);
    } catch (err) {
      // libvips failing on the bytes (a corrupt or truncated image whose header was fine) is the image's fault.
      if (err instanceof AppError || !(err instanceof Error)) throw err;
      if (/timeout/i.test(err.message)) throw withCause(new AppError('BadRequest', TIMED_OUT), err);
      throw withCause(new AppError('BadRequest', NOT_DECODED, {}, EC_NOT_DECODED[src.format]), err);
    } finally {
      release();
    }
  });
}

async function run(source: Buffer, steps: readonly Step[], job: Job, inspected?: SourceInfo): Promise<ProcessResult> {
  const src = inspected ?? (await inspect(source));
  const autoOrient = steps.some((s) => s.op === 'auto-orient' && s.on);
  const swap = autoOrient && (src.meta.orientation ?? 1) >= 5;
  let cur: Raw | null = null;
  let dims: Dims = swap ? { width: src.height, height: src.width } : { width: src.width, height: src.height };
  let pending: PixelStep | null = null;
  const out: { format: OutputFormat; quality?: number; interlace: boolean } = { format: src.format, interlace: false };

  const open = (): Sharp => {
    if (cur !== null) return sharp(cur.data, { raw: cur.info });
    const img = sharp(source, { limitInputPixels: IMAGE_LIMITS.maxPixels, failOn: 'error' });
    return autoOrient ? img.rotate() : img;
  };
  const flush = async (): Promise<void> => {
    if (pending === null) return;
    job.nextStage();
    const img = await pixelStep(open(), pending, dims, job);
    const { data, info } = await img.raw().timeout({ seconds: job.nextStage() }).toBuffer({ resolveWithObject: true });
    cur = { data, info: { width: info.width, height: info.height, channels: info.channels } };
    dims = { width: info.width, height: info.height };
    pending = null;
  };

  for (const step of steps) {
    switch (step.op) {
      case 'format':
        out.format = step.format;
        break;
      case 'quality':
        out.quality = step.Q ?? step.q;
        break;
      case 'interlace':
        out.interlace = step.on;
        break;
      case 'auto-orient':
        break; // applied when the source is opened (its EXIF orientation is gone after the first step)
      case 'info':
        return { type: 'json', body: infoText(infoOf(source, src)) };
      case 'average-hue': {
        await flush();
        const seconds = job.nextStage();
        const stats = await open().removeAlpha().toColourspace('srgb').timeout({ seconds }).stats();
        const hex = stats.channels.slice(0, 3).map((c) => Math.round(c.mean).toString(16).padStart(2, '0')).join('');
        return { type: 'json', body: JSON.stringify({ RGB: `0x${hex.length === 6 ? hex : hex.padEnd(6, hex)}` }) };
      }
      default:
        await flush();
        pending = step;
    }
  }
  // Only an image that may have alpha is flattened for JPEG (flatten otherwise costs as much as the resize).
  const alpha = src.meta.hasAlpha === true || steps.some((s) => s.op === 'circle' || s.op === 'rounded-corners' || s.op === 'watermark');
  job.nextStage();
  let img = open();
  if (pending !== null) img = await pixelStep(img, pending, dims, job);
  // Measured after the step: a watermark image's own steps have spent part of the budget.
  const encoded = await encode(img, out, alpha).timeout({ seconds: job.nextStage() }).toBuffer();
  const body = out.format === 'jpg' ? withJfif(encoded) : encoded;
  return { type: 'image', body, contentType: CONTENT_TYPES[out.format], format: out.format };
}

function encode(img: Sharp, out: { format: OutputFormat; quality?: number; interlace: boolean }, alpha: boolean): Sharp {
  const q = out.quality;
  switch (out.format) {
    case 'jpg':
      // JPEG has no alpha: transparent areas become white, as OSS renders them.
      return (alpha ? img.flatten({ background: '#FFFFFF' }) : img).jpeg({ quality: q ?? 90, progressive: out.interlace });
    case 'png':
      return img.png({ progressive: out.interlace });
    case 'webp':
      return img.webp({ quality: q ?? 80 });
    case 'gif':
      return img.gif({ interFrameMaxError: 0 });
    case 'tiff':
      return img.tiff({ quality: q ?? 80 });
    case 'avif':
      return img.avif({ quality: q ?? 50 });
  }
}

/**
 * The info answer: OSS's `{Name: {value}}` map (values as strings). The resolution is what the file records:
 * a JPEG's EXIF ResolutionUnit/XResolution/YResolution, else its JFIF header's density (the JFIF unit 0/1/2 is
 * EXIF's 1/2/3: the C++ and .NET SDKs' ObjectProcessTest read `"ResolutionUnit": {"value": "1"}`,
 * `"XResolution": {"value": "1/1"}` from a JPEG OSS made), else nothing; other formats as libvips reads them.
 */
function infoOf(source: Buffer, src: SourceInfo): Record<string, { value: string }> {
  const out: Record<string, { value: string }> = {
    FileSize: { value: String(source.length) },
    Format: { value: src.format },
    FrameCount: { value: String(Math.max(1, src.meta.pages ?? 1)) },
    ImageHeight: { value: String(src.height) },
    ImageWidth: { value: String(src.width) },
  };
  const jfif = src.format === 'jpg' && src.meta.exif === undefined ? jfifDensity(source) : undefined;
  if (jfif !== undefined) {
    out.ResolutionUnit = { value: String(jfif.unit + 1) };
    out.XResolution = { value: `${jfif.x}/1` };
    out.YResolution = { value: `${jfif.y}/1` };
  } else if (src.meta.density !== undefined && (src.format !== 'jpg' || src.meta.exif !== undefined)) {
    out.ResolutionUnit = { value: src.meta.resolutionUnit === 'cm' ? '3' : '2' };
    out.XResolution = { value: `${Math.round(src.meta.density)}/1` };
    out.YResolution = { value: `${Math.round(src.meta.density)}/1` };
  }
  if (src.meta.orientation !== undefined) out.Orientation = { value: String(src.meta.orientation) };
  return out;
}

/**
 * The info map as OSS writes it: names in order, one a line indented by four spaces, `{"value": "…"}` with a space
 * after each colon, the closing brace on the last line (the C++ and .NET SDKs' ObjectProcessTest compare the text
 * from `Format` on: `…"YResolution": {"value": "1/1"}}`).
 */
export function infoText(info: Record<string, { value: string }>): string {
  const lines = Object.keys(info)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `    ${JSON.stringify(k)}: {"value": ${JSON.stringify(info[k]?.value ?? '')}}`);
  return `{\n${lines.join(',\n')}}`;
}

/** A JPEG's JFIF APP0 density (unit 0 = aspect ratio only, 1 = per inch, 2 = per cm), when it has one. */
export function jfifDensity(jpeg: Buffer): { unit: number; x: number; y: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let i = 2;
  // Markers before the first frame header: APPn, COM, DQT, DHT, DRI.
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1] ?? 0;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    if ((marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xda) return undefined;
    const len = jpeg.readUInt16BE(i + 2);
    if (len < 2) return undefined;
    if (marker === 0xe0 && len >= 14 && i + 2 + len <= jpeg.length && jpeg.toString('latin1', i + 4, i + 9) === 'JFIF\0') {
      const unit = jpeg[i + 11] ?? 0;
      const x = jpeg.readUInt16BE(i + 12);
      const y = jpeg.readUInt16BE(i + 14);
      return unit <= 2 && x > 0 && y > 0 ? { unit, x, y } : undefined;
    }
    i += 2 + len;
  }
  return undefined;
}

/** JFIF 1.01, no units, 1:1 pixels, no thumbnail: the APP0 libjpeg writes by default. */
const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);

/**
 * A JPEG Alunite encodes carries the JFIF header OSS's do (unit 0, density 1:1): OSS's image/info of an image OSS
 * resized reads `ResolutionUnit` 1 and `XResolution`/`YResolution` 1/1 (the C++ and .NET SDKs' ObjectProcessTest).
 * libvips writes none when the image has no EXIF; one with an EXIF (APP1) resolution keeps it and gets no APP0.
 */
export function withJfif(jpeg: Buffer): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  if (jpeg[2] === 0xff && (jpeg[3] === 0xe0 || jpeg[3] === 0xe1)) return jpeg;
  return Buffer.concat([jpeg.subarray(0, 2), JFIF_APP0, jpeg.subarray(2)]);
}

function assertOutput(width: number, height: number): void {
  if (width > MAX_OUTPUT_SIDE || height > MAX_OUTPUT_SIDE || width * height > IMAGE_LIMITS.maxOutputPixels) {
    throw new AppError(
      'InvalidArgument',
      `The resized image would be ${width}x${height}; its sides may be at most ${MAX_OUTPUT_SIDE} pixels and its area ${IMAGE_LIMITS.maxOutputPixels} pixels.`,
      {},
      '0040-00000201',
    );
  }
}

const hex = (c: string): string => `#${c}`;

async function pixelStep(img: Sharp, step: PixelStep, d: Dims, job: Job): Promise<Sharp> {
  switch (step.op) {
    case 'resize':
      return resize(img, step, d);
    case 'crop': {
      const w = Math.min(step.w ?? d.width, d.width);
      const h = Math.min(step.h ?? d.height, d.height);
      const { left, top } = place(step.g, d, { width: w, height: h }, step.x, step.y);
      if (left >= d.width || top >= d.height || left < 0 || top < 0) {
        throw new AppError('InvalidArgument', 'The crop origin is outside the image.', {}, '0040-00000201');
      }
      return img.extract({ left, top, width: Math.min(w, d.width - left), height: Math.min(h, d.height - top) });
    }
    case 'rotate': {
      // A rotation by other than a right angle grows the canvas (up to twice the area at 45°): it may not take the
      // image past the pixels a source may have, the bound the memory budget is counted in (docs/image-processing.md).
      const rad = ((step.angle % 360) * Math.PI) / 180;
      const w = Math.ceil(Math.abs(d.width * Math.cos(rad)) + Math.abs(d.height * Math.sin(rad)));
      const h = Math.ceil(Math.abs(d.width * Math.sin(rad)) + Math.abs(d.height * Math.cos(rad)));
      if (step.angle % 90 !== 0 && w * h > IMAGE_LIMITS.maxPixels) {
        throw new AppError('ImageTooLarge', `Rotated, the image would have ${w * h} pixels; at most ${IMAGE_LIMITS.maxPixels} can be processed.`);
      }
      return img.rotate(step.angle % 360, { background: '#FFFFFF' });
    }
    case 'circle': {
      const r = Math.min(step.r, Math.floor(Math.min(d.width, d.height) / 2));
      if (r < 1) return img;
      const side = 2 * r;
      const mask = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><circle cx="${r}" cy="${r}" r="${r}" fill="#fff"/></svg>`);
      const square = await img.extract({ left: Math.floor((d.width - side) / 2), top: Math.floor((d.height - side) / 2), width: side, height: side })
        .ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      return sharp(square.data, { raw: { width: square.info.width, height: square.info.height, channels: square.info.channels } })
        .composite([{ input: mask, blend: 'dest-in' }]);
    }
    case 'rounded-corners': {
      const r = Math.min(step.r, Math.floor(Math.min(d.width, d.height) / 2));
      const mask = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${d.width}" height="${d.height}"><rect width="${d.width}" height="${d.height}" rx="${r}" ry="${r}" fill="#fff"/></svg>`);
      return img.ensureAlpha().composite([{ input: mask, blend: 'dest-in' }]);
    }
    case 'blur':
      return img.blur(Math.max(0.3, step.s));
    case 'bright':
      return img.linear(1, step.value * 1.28);
    case 'contrast': {
      const a = 1 + step.value / 100;
      return img.linear(a, 128 * (1 - a));
    }
    case 'sharpen':
      return img.sharpen({ sigma: step.value / 100 });
    case 'watermark':
      return watermark(img, step, d, job);
  }
}

/** Where a `width`×`height` box goes in `d` for a gravity and offsets (x, y measured from the anchored edges). */
function place(g: Gravity, d: Dims, box: Dims, x: number, y: number): { left: number; top: number } {
  const col = g === 'nw' || g === 'west' || g === 'sw' ? 0 : g === 'north' || g === 'center' || g === 'south' ? 1 : 2;
  const row = g === 'nw' || g === 'north' || g === 'ne' ? 0 : g === 'west' || g === 'center' || g === 'east' ? 1 : 2;
  const left = col === 0 ? x : col === 1 ? Math.floor((d.width - box.width) / 2) + x : d.width - box.width - x;
  const top = row === 0 ? y : row === 1 ? Math.floor((d.height - box.height) / 2) + y : d.height - box.height - y;
  return { left, top };
}

function resize(img: Sharp, step: Extract<Step, { op: 'resize' }>, d: Dims): Sharp {
  const { width: W, height: H } = d;
  if (step.p !== undefined && step.w === undefined && step.h === undefined && step.l === undefined && step.s === undefined) {
    if (step.limit && step.p > 100) return img;
    const w = Math.max(1, Math.round((W * step.p) / 100));
    const h = Math.max(1, Math.round((H * step.p) / 100));
    assertOutput(w, h);
    return img.resize(w, h, { fit: 'fill' });
  }
  let bw = step.w;
  let bh = step.h;
  if (bw === undefined && bh === undefined) {
    // l / s: the long and short sides of the target.
    if (step.l !== undefined && step.s !== undefined) [bw, bh] = W >= H ? [step.l, step.s] : [step.s, step.l];
    else if (step.l !== undefined) [bw, bh] = W >= H ? [step.l, undefined] : [undefined, step.l];
    else [bw, bh] = W <= H ? [step.s, undefined] : [undefined, step.s];
  }
  if ((step.m === 'fill' || step.m === 'pad') && (bw === undefined || bh === undefined)) {
    const side = (bw ?? bh)!;
    bw = side;
    bh = side;
  }
  if (step.m === 'fill' || step.m === 'pad') {
    const w = bw!, h = bh!;
    if (step.limit && (w > W || h > H)) return img;
    assertOutput(w, h);
    return step.m === 'fill'
      ? img.resize(w, h, { fit: 'cover', position: 'centre' })
      : img.resize(w, h, { fit: 'contain', background: hex(step.color) });
  }
  let w: number;
  let h: number;
  if (bw !== undefined && bh !== undefined && step.m === 'fixed') {
    [w, h] = [bw, bh];
  } else {
    const sx = bw !== undefined ? bw / W : undefined;
    const sy = bh !== undefined ? bh / H : undefined;
    const scale = sx !== undefined && sy !== undefined ? (step.m === 'mfit' ? Math.max(sx, sy) : Math.min(sx, sy)) : (sx ?? sy)!;
    w = Math.max(1, Math.round(W * scale));
    h = Math.max(1, Math.round(H * scale));
  }
  if (step.limit && (w > W || h > H)) return img;
  assertOutput(w, h);
  return img.resize(w, h, { fit: 'fill' });
}

/**
 * A watermark's own failure (its object not an image or not decoding, its text rendering to nothing) names the
 * watermark: processImage would otherwise blame the source image, with the source format's EC.
 */
async function watermark(img: Sharp, step: WatermarkStep, d: Dims, job: Job): Promise<Sharp> {
  try {
    return await applyWatermark(img, step, d, job);
  } catch (err) {
    if (err instanceof AppError && (err.code !== 'BadRequest' || err.message === TIMED_OUT)) throw err; // limits, authorization, a missing object, the budget
    if (err instanceof Error && !(err instanceof AppError) && /timeout/i.test(err.message)) throw err; // answered as a timeout
    const what = step.image !== undefined ? 'The watermark image is not an image or cannot be decoded.' : 'The watermark text cannot be rendered.';
    throw withCause(new AppError('InvalidArgument', what), err);
  }
}

async function applyWatermark(img: Sharp, step: WatermarkStep, d: Dims, job: Job): Promise<Sharp> {
  let layer: Buffer;
  if (step.image !== undefined) {
    const bytes = await job.loadImage(step.image.key);
    const result = await run(bytes, [...step.image.steps, { op: 'format', format: 'png' }], job, await inspect(bytes, true));
    if (result.type !== 'image') throw new AppError('InvalidArgument', 'A watermark image cannot be info or average-hue.', {}, '0040-00000201');
    layer = result.body;
  } else {
    const escaped = (step.text ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    // Wrapped at the image's width and no taller a font than the image: the rendered text stays bounded.
    const size = Math.max(1, Math.min(step.size, d.height));
    layer = await sharp({ text: { text: `<span foreground="#${step.color}">${escaped}</span>`, font: `sans ${size}`, dpi: 72, rgba: true, width: d.width } }).png().toBuffer();
  }
  // Fit inside the image (a larger overlay cannot be composited), then apply the transparency (sharp runs
  // linear before ensureAlpha in one pipeline, hence two).
  let overlay = sharp(layer).ensureAlpha();
  const m = await sharp(layer).metadata();
  if ((m.width ?? 0) > d.width || (m.height ?? 0) > d.height) overlay = overlay.resize(d.width, d.height, { fit: 'inside' });
  const rgba = await overlay.raw().toBuffer({ resolveWithObject: true });
  const raw = { width: rgba.info.width, height: rgba.info.height, channels: 4 as const };
  const faded = await sharp(rgba.data, { raw }).linear([1, 1, 1, step.t / 100], [0, 0, 0, 0]).png().toBuffer({ resolveWithObject: true });
  const box = { width: faded.info.width, height: faded.info.height };
  const at = place(step.g, d, box, step.x, step.y);
  const left = Math.max(0, Math.min(at.left, d.width - box.width));
  const top = Math.max(0, Math.min(at.top, d.height - box.height));
  return img.composite([{ input: faded.data, left, top }]);
}
