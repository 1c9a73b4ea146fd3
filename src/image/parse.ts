import { AppError, invalidArgument } from '../errors.js';

// The x-oss-process grammar for images (docs/image-processing.md): `image/<action>,<param>_<value>,…/<action>…`,
// or `style/<name>`. Parsing is pure and bounded: the whole string, the number of actions and every value are
// checked here, so nothing after it sees an unchecked number. Names, ranges and errors follow the OSS IMG docs.

/** Longest process string accepted (query value or save-as body). */
export const MAX_PROCESS_LENGTH = 4096;
/** Most actions in one process string. */
export const MAX_ACTIONS = 20;
/** Largest side of a processed image (OSS: 16,384 px). */
export const MAX_OUTPUT_SIDE = 16384;

export type Gravity = 'nw' | 'north' | 'ne' | 'west' | 'center' | 'east' | 'sw' | 'south' | 'se';
const GRAVITIES: readonly Gravity[] = ['nw', 'north', 'ne', 'west', 'center', 'east', 'sw', 'south', 'se'];

export type ResizeMode = 'lfit' | 'mfit' | 'fill' | 'pad' | 'fixed';
const RESIZE_MODES: readonly ResizeMode[] = ['lfit', 'mfit', 'fill', 'pad', 'fixed'];

/** Output formats OSS documents; `bmp` and `heic` are refused with 501 (no encoder, docs/image-processing.md). */
export type OutputFormat = 'jpg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';
const FORMATS: ReadonlyMap<string, OutputFormat | null> = new Map([
  ['jpg', 'jpg'], ['jpeg', 'jpg'], ['png', 'png'], ['webp', 'webp'], ['gif', 'gif'], ['tiff', 'tiff'], ['avif', 'avif'],
  ['bmp', null], ['heic', null],
]);

export interface WatermarkStep {
  op: 'watermark';
  text?: string;
  /** Object key of an image watermark (same bucket), with its own processing steps. */
  image?: { key: string; steps: Step[] };
  color: string;
  size: number;
  /** Opacity 0..100. */
  t: number;
  g: Gravity;
  x: number;
  y: number;
}

export type Step =
  | { op: 'resize'; m: ResizeMode; w?: number; h?: number; l?: number; s?: number; p?: number; limit: boolean; color: string }
  | { op: 'crop'; w?: number; h?: number; x: number; y: number; g: Gravity }
  | { op: 'rotate'; angle: number }
  | { op: 'auto-orient'; on: boolean }
  | { op: 'circle'; r: number }
  | { op: 'rounded-corners'; r: number }
  | { op: 'blur'; r: number; s: number }
  | { op: 'bright'; value: number }
  | { op: 'contrast'; value: number }
  | { op: 'sharpen'; value: number }
  | { op: 'format'; format: OutputFormat }
  | { op: 'quality'; q?: number; Q?: number }
  | { op: 'interlace'; on: boolean }
  | WatermarkStep
  | { op: 'info' }
  | { op: 'average-hue' };

/** What an x-oss-process value asks for: image steps, or a style to expand. */
export type ProcessRequest = { kind: 'image'; steps: Step[] } | { kind: 'style'; name: string };

/** `sys/saveas` of a save-as body: where the result goes (bucket absent: the source's). */
export interface SaveAs {
  key: string;
  bucket?: string;
}

/** OSS's image errors (oss IMG common errors): every one a 400 with the IMG EC class 0040. */
function bad(message: string, ec = '0040-00000201'): AppError {
  return new AppError('InvalidArgument', message, {}, ec);
}

function missing(message: string): AppError {
  return new AppError('MissingArgument', message);
}

/** Documented actions Alunite does not perform: refused 501 rather than mistaken for typos. */
const UNSUPPORTED_ACTIONS: ReadonlySet<string> = new Set(['indexcrop', 'blind-watermark', 'exif', 'infoexif', 'resize-crop', 'slim', 'ignore-error']);

/** Parses an x-oss-process query value (GET) into what it asks for. */
export function parseProcess(raw: string): ProcessRequest {
  if (raw.length > MAX_PROCESS_LENGTH) throw bad(`The process string is longer than ${MAX_PROCESS_LENGTH} characters.`);
  const slash = raw.indexOf('/');
  const kind = slash < 0 ? raw : raw.slice(0, slash);
  const rest = slash < 0 ? '' : raw.slice(slash + 1);
  if (kind === 'style') {
    if (rest === '' || rest.includes('/')) throw bad('The style name is invalid.', '0040-00000202');
    return { kind: 'style', name: rest };
  }
  if (kind !== 'image') {
    if (kind === 'video' || kind === 'doc' || kind === 'audio') throw new AppError('NotImplemented', `"${kind}" processing is not implemented by Alunite; only image processing is.`);
    throw bad(`The process type "${kind.slice(0, 64)}" is invalid; expected image/… or style/….`, '0040-00000211');
  }
  return { kind: 'image', steps: parseImageSteps(rest) };
}

/** The actions after `image/`. */
export function parseImageSteps(actions: string, nested = false): Step[] {
  if (actions === '') throw bad('The image process action is missing.', '0040-00000212');
  const parts = actions.split('/');
  if (parts.length > MAX_ACTIONS) throw bad(`At most ${MAX_ACTIONS} actions may be chained.`);
  return parts.map((part) => parseAction(part, nested));
}

/** Parses a save-as body (`x-oss-process=image/…|sys/saveas,o_…,b_…`, form-encoded). */
export function parseSaveAsBody(body: string): { steps: Step[]; saveAs: SaveAs } {
  const params = new URLSearchParams(body);
  const value = params.get('x-oss-process');
  if (value === null || value === '') throw missing('The request body needs x-oss-process=image/…|sys/saveas,o_….');
  if (value.length > MAX_PROCESS_LENGTH) throw bad(`The process string is longer than ${MAX_PROCESS_LENGTH} characters.`);
  const bar = value.lastIndexOf('|');
  if (bar < 0) throw missing('sys/saveas is required in a POST x-oss-process request.');
  const head = value.slice(0, bar);
  const sys = value.slice(bar + 1);
  if (!head.startsWith('image/')) throw bad('Only image/… processing can be saved by Alunite.', '0040-00000211');
  const steps = parseImageSteps(head.slice('image/'.length));
  if (!sys.startsWith('sys/saveas,')) throw bad('The part after "|" must be sys/saveas,o_<key>[,b_<bucket>].');
  const saveAs: { key?: string; bucket?: string } = {};
  for (const p of sys.slice('sys/saveas,'.length).split(',')) {
    const [k, v] = splitParam(p);
    if (k === 'o') saveAs.key = base64Url(v, 'o');
    else if (k === 'b') saveAs.bucket = base64Url(v, 'b');
    else throw bad(`sys/saveas has no parameter "${k}".`);
  }
  if (saveAs.key === undefined || saveAs.key === '') throw missing('sys/saveas needs o_<base64 of the target key>.');
  return { steps, saveAs: saveAs.bucket === undefined ? { key: saveAs.key } : { key: saveAs.key, bucket: saveAs.bucket } };
}

function splitParam(p: string): [string, string] {
  const u = p.indexOf('_');
  return u < 0 ? [p, ''] : [p.slice(0, u), p.slice(u + 1)];
}

/**
 * URL-safe Base64 (OSS also accepts the standard alphabet), decoded as UTF-8. The Android SDK's imagePersist sends
 * the standard alphabet unescaped in the form body, so its `+` is read from the form as a space: a space, which no
 * base64 holds, is taken for the `+` it was [UNVERIFIED: how OSS reads it].
 */
function base64Url(raw: string, name: string): string {
  const v = raw.replace(/ /g, '+');
  if (v === '' || !/^[A-Za-z0-9\-_+/]+={0,2}$/.test(v)) throw new AppError('BadRequest', `Input is not base64 decoding (parameter ${name}).`);
  const text = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  if (text === '' || text.includes('\uFFFD')) throw new AppError('BadRequest', `Input is not base64 decoding (parameter ${name}).`);
  return text;
}

function int(name: string, v: string, min: number, max: number): number {
  if (!/^-?\d{1,9}$/.test(v)) throw bad(`The value of ${name} must be an integer in [${min}, ${max}]; got "${v.slice(0, 32)}".`);
  const n = Number(v);
  if (n < min || n > max) throw bad(`The value of ${name} must be in [${min}, ${max}]; got ${n}.`);
  return n;
}

function hexColor(name: string, v: string): string {
  if (!/^[0-9a-fA-F]{6}$/.test(v)) throw bad(`The value of ${name} must be an RGB hex colour such as FF0000; got "${v.slice(0, 32)}".`);
  return v.toUpperCase();
}

function gravity(v: string): Gravity {
  if (!(GRAVITIES as readonly string[]).includes(v)) throw bad(`The value of g must be one of ${GRAVITIES.join(', ')}; got "${v.slice(0, 32)}".`);
  return v as Gravity;
}

/** The `k_v` parameters of an action, each name at most once. */
function paramsOf(action: string, list: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of list) {
    if (p === '') continue;
    const [k, v] = splitParam(p);
    if (out.has(k)) throw bad(`The parameter ${k} of ${action} is given twice.`);
    out.set(k, v);
  }
  return out;
}

function noUnknown(action: string, params: Map<string, string>, known: readonly string[]): void {
  for (const k of params.keys()) if (!known.includes(k)) throw bad(`The action ${action} has no parameter "${k.slice(0, 32)}".`);
}

/** A single-valued action (`rotate,90`): its one value. */
function single(action: string, list: string[]): string {
  if (list.length !== 1 || list[0] === '') throw missing(`The action ${action} needs one value, e.g. ${action},1.`);
  return list[0]!;
}

function parseAction(part: string, nested: boolean): Step {
  const [name = '', ...list] = part.split(',');
  if (name === '') throw bad('The image process action is missing.', '0040-00000212');
  switch (name) {
    case 'resize': {
      const p = paramsOf(name, list);
      noUnknown(name, p, ['m', 'w', 'h', 'l', 's', 'p', 'limit', 'color']);
      const m = p.get('m') ?? 'lfit';
      if (!(RESIZE_MODES as readonly string[]).includes(m)) throw bad(`The resize mode m must be one of ${RESIZE_MODES.join(', ')}; got "${m.slice(0, 32)}".`, '0040-00000311');
      const side = (k: string): number | undefined => (p.has(k) ? int(k, p.get(k)!, 1, MAX_OUTPUT_SIDE) : undefined);
      const step = {
        op: 'resize' as const, m: m as ResizeMode, w: side('w'), h: side('h'), l: side('l'), s: side('s'),
        p: p.has('p') ? int('p', p.get('p')!, 1, 1000) : undefined,
        limit: p.has('limit') ? int('limit', p.get('limit')!, 0, 1) === 1 : true,
        color: p.has('color') ? hexColor('color', p.get('color')!) : 'FFFFFF',
      };
      if (step.w === undefined && step.h === undefined && step.l === undefined && step.s === undefined && step.p === undefined) {
        throw missing('resize needs at least one of w, h, l, s or p.');
      }
      return step;
    }
    case 'crop': {
      const p = paramsOf(name, list);
      // `r_1` is in OSS's own samples (Java, C, PHP; `crop,w_100,h_100,x_100,y_100,r_1`, the PHP SDK's testImageCrop) but
      // in no parameter table: taken (0 or 1) and ignored [UNVERIFIED meaning].
      noUnknown(name, p, ['w', 'h', 'x', 'y', 'g', 'r']);
      if (p.has('r')) int('r', p.get('r')!, 0, 1);
      const w = p.has('w') ? int('w', p.get('w')!, 0, 30000) : undefined;
      const h = p.has('h') ? int('h', p.get('h')!, 0, 30000) : undefined;
      return {
        op: 'crop', ...(w ? { w } : {}), ...(h ? { h } : {}),
        x: p.has('x') ? int('x', p.get('x')!, 0, 30000) : 0, y: p.has('y') ? int('y', p.get('y')!, 0, 30000) : 0,
        g: p.has('g') ? gravity(p.get('g')!) : 'nw',
      };
    }
    case 'rotate':
      return { op: 'rotate', angle: int('rotate', single(name, list), 0, 360) };
    case 'auto-orient':
      return { op: 'auto-orient', on: int('auto-orient', single(name, list), 0, 1) === 1 };
    case 'circle': {
      const p = paramsOf(name, list);
      noUnknown(name, p, ['r']);
      if (!p.has('r')) throw missing('circle needs r.');
      return { op: 'circle', r: int('r', p.get('r')!, 1, 4096) };
    }
    case 'rounded-corners': {
      const p = paramsOf(name, list);
      noUnknown(name, p, ['r']);
      if (!p.has('r')) throw missing('rounded-corners needs r.');
      return { op: 'rounded-corners', r: int('r', p.get('r')!, 1, 4096) };
    }
    case 'blur': {
      const p = paramsOf(name, list);
      noUnknown(name, p, ['r', 's']);
      if (!p.has('r') || !p.has('s')) throw missing('blur needs both r and s.');
      return { op: 'blur', r: int('r', p.get('r')!, 1, 50), s: int('s', p.get('s')!, 1, 50) };
    }
    case 'bright':
      return { op: 'bright', value: int('bright', single(name, list), -100, 100) };
    case 'contrast':
      return { op: 'contrast', value: int('contrast', single(name, list), -100, 100) };
    case 'sharpen':
      return { op: 'sharpen', value: int('sharpen', single(name, list), 50, 399) };
    case 'format': {
      const v = single(name, list).toLowerCase();
      if (!FORMATS.has(v)) throw bad(`The format "${v.slice(0, 32)}" is not supported; use jpg, png, webp, gif, tiff or avif.`);
      const format = FORMATS.get(v)!;
      if (format === null) throw new AppError('NotImplemented', `Converting to ${v} is not implemented by Alunite (no encoder); use jpg, png, webp, gif, tiff or avif.`);
      return { op: 'format', format };
    }
    case 'quality': {
      const p = paramsOf(name, list);
      noUnknown(name, p, ['q', 'Q']);
      if (!p.has('q') && !p.has('Q')) throw missing('quality needs q or Q.');
      const q = p.has('q') ? int('q', p.get('q')!, 1, 100) : undefined;
      const Q = p.has('Q') ? int('Q', p.get('Q')!, 1, 100) : undefined;
      return { op: 'quality', ...(q !== undefined ? { q } : {}), ...(Q !== undefined ? { Q } : {}) };
    }
    case 'interlace':
      return { op: 'interlace', on: int('interlace', single(name, list), 0, 1) === 1 };
    case 'watermark':
      return parseWatermark(list, nested);
    case 'info':
    case 'average-hue':
      if (list.some((v) => v !== '')) throw bad(`The action ${name} takes no parameters.`);
      return { op: name };
    default:
      if (UNSUPPORTED_ACTIONS.has(name)) throw new AppError('NotImplemented', `The image action ${name} is not implemented by Alunite.`);
      throw bad(`The image process action "${name.slice(0, 64)}" is invalid.`, '0040-00000213');
  }
}

function parseWatermark(list: string[], nested: boolean): WatermarkStep {
  if (nested) throw bad('A watermark image cannot itself carry a watermark.');
  const p = paramsOf('watermark', list);
  noUnknown('watermark', p, ['text', 'type', 'color', 'size', 't', 'g', 'x', 'y', 'voffset', 'image', 'shadow', 'rotate', 'fill']);
  const text = p.has('text') ? base64Url(p.get('text')!, 'text') : undefined;
  if (text !== undefined && text.length > 64) throw bad('The watermark text is longer than 64 characters.');
  let image: WatermarkStep['image'];
  if (p.has('image')) {
    const ref = base64Url(p.get('image')!, 'image');
    const q = ref.indexOf('?x-oss-process=image/');
    const key = q < 0 ? ref : ref.slice(0, q);
    if (key === '') throw bad('The watermark image key is empty.');
    image = { key, steps: q < 0 ? [] : parseImageSteps(ref.slice(q + '?x-oss-process=image/'.length), true) };
  }
  if (text === undefined && image === undefined) throw missing('watermark needs text or image.');
  if (p.has('type')) base64Url(p.get('type')!, 'type'); // a font name: checked, rendered with the default sans font
  if (p.has('voffset')) int('voffset', p.get('voffset')!, -1000, 1000);
  if (p.has('shadow')) int('shadow', p.get('shadow')!, 0, 100);
  if (p.has('rotate')) int('rotate', p.get('rotate')!, 0, 360);
  if (p.has('fill')) int('fill', p.get('fill')!, 0, 1);
  return {
    op: 'watermark',
    ...(text !== undefined ? { text } : {}),
    ...(image !== undefined ? { image } : {}),
    color: p.has('color') ? hexColor('color', p.get('color')!) : '000000',
    size: p.has('size') ? int('size', p.get('size')!, 1, 1000) : 40,
    t: p.has('t') ? int('t', p.get('t')!, 0, 100) : 100,
    g: p.has('g') ? gravity(p.get('g')!) : 'se',
    x: p.has('x') ? int('x', p.get('x')!, 0, 4096) : 10,
    y: p.has('y') ? int('y', p.get('y')!, 0, 4096) : 10,
  };
}

/**
 * Checks a style's content (PutStyle). Empty is refused with OSS's message (oss2 test_bucket_style_exception reads
 * "Style content is invalid."); an `image/…` string must parse, and a style may not name a style. Anything else is
 * kept as sent, as OSS keeps it (oss2 test_bucket_style_content puts `csdar5324` and reads it back); using such a
 * style is refused then (`styleSteps`).
 */
export function validateStyleContent(content: string): void {
  if (content === '') throw invalidArgument('Style content is invalid.', 'Content');
  if (content.length > MAX_PROCESS_LENGTH) throw invalidArgument(`The style content is longer than ${MAX_PROCESS_LENGTH} characters.`, 'Content');
  if (content.startsWith('image/')) parseImageSteps(content.slice('image/'.length));
  else if (content.startsWith('style/')) throw invalidArgument('A style cannot name another style.', 'Content');
}

/** The steps of a style's content when it is used: only an `image/…` string processes anything. */
export function styleSteps(content: string): Step[] {
  if (!content.startsWith('image/')) throw bad('The style content is not an image process string.');
  return parseImageSteps(content.slice('image/'.length));
}
