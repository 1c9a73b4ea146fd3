import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { AppError } from '../errors.js';
import { HeldBytes, PRE_AUTH_SHARE } from '../http/held-bytes.js';
import { cutShortAsIncomplete, readBoundedBody } from '../http/read-body.js';
import { parseQuery } from '../oss/address.js';

/** A POP RPC request, parsed but not yet authenticated. */
export interface RpcRequest {
  method: string;
  /** `rpc`: legacy HMAC-SHA1 signature in the parameters; `acs3`: ACS3-HMAC-SHA256 Authorization header. */
  style: 'rpc' | 'acs3';
  /** '' when the request names none (the dispatcher answers MissingAction / MissingVersion). */
  action: string;
  version: string;
  format: 'JSON' | 'XML';
  /** Query and body (form or JSON) parameters merged (the body wins on a conflict). */
  params: ReadonlyMap<string, string>;
  /** Query parameters alone (the ACS3 canonical query). */
  query: ReadonlyMap<string, string>;
  /** Lower-case name → value. */
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

const MAX_BODY = 1024 * 1024;

function isForm(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function isJson(headers: IncomingHttpHeaders): boolean {
  return /^application\/json\s*(;|$)/i.test(headers['content-type'] ?? '');
}

/**
 * How deep a JSON body may nest (docs/limits.md). JSON.parse builds every nested value before the signature is
 * checked: 1 MiB of `[[[…]]]` (half a million levels) held the event loop ~0.3-0.5 s per unauthenticated request,
 * where a 1 MiB form body costs a sixth of that. The SDKs send a flat object of strings.
 */
export const MAX_JSON_BODY_DEPTH = 64;

/** Whether `body` nests no deeper than `max` (brackets inside strings not counted): one pass, nothing built. */
function jsonDepthWithin(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/**
 * The parameters of an `application/json` body: its top-level string, number and boolean members (STS accepts
 * a JSON or a form body, `InvalidParameter.ContentType`; aliyun-java-sdk-core's RpcAcsRequest sends its body
 * parameters, a map of strings, as a JSON object when the request's content type is JSON, as for every PUT,
 * and signs them as it signs form ones). Nested values are no parameter; a body nesting deeper than
 * MAX_JSON_BODY_DEPTH is refused unparsed (this runs before the signature is checked); anything but an object
 * holds none.
 */
function jsonBodyParams(body: Buffer): Array<[string, string]> {
  if (!jsonDepthWithin(body, MAX_JSON_BODY_DEPTH)) {
    throw new AppError('InvalidParameter', `The JSON request body nests deeper than ${MAX_JSON_BODY_DEPTH} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out.push([k, v]);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push([k, String(v)]);
  }
  return out;
}

/**
 * Whether a request is a POP RPC call rather than OSS (spec sts-rpc §1): path `/` and `Action` in the
 * query, or `x-acs-action`, or a form-urlencoded POST to the service endpoint (the body names the action).
 */
export function isRpcRequest(method: string, rawPath: string, query: ReadonlyMap<string, string>, headers: IncomingHttpHeaders, hasBucket: boolean): boolean {
  if (rawPath !== '/') return false;
  // `Action` alone is enough: a call that forgot `Version` gets POP's MissingVersion, not an OSS error.
  if (query.has('Action')) return true;
  if (headers['x-acs-action'] !== undefined) return true;
  return method === 'POST' && !hasBucket && isForm(headers);
}

/**
 * RAM/STS bodies are read before their signature can be checked (it covers the body's parameters): at most
 * 64 MiB of them at once in the process, at most PRE_AUTH_SHARE of it per client, and 30 s for a whole body (a
 * client that stalls is cut off).
 */
export const RPC_BODY_BOUNDS = { budget: new HeldBytes(64 * 1024 * 1024, PRE_AUTH_SHARE), deadlineMs: 30_000 };

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  readBoundedBody(req, MAX_BODY, () => new AppError('InvalidParameter', 'The request body is too large.'), false, {
    budget: RPC_BODY_BOUNDS.budget,
    busy: () => new AppError('ServiceUnavailable', 'The server holds as many request bodies not yet authenticated as it allows; retry later.'),
    deadlineMs: RPC_BODY_BOUNDS.deadlineMs,
  }).catch(cutShortAsIncomplete); // a client that left or stalled mid-body (aborted, cut at the deadline)

/**
 * The response format (spec sts-rpc §5.3): JSON when `Format` says JSON (any case), XML for any other value.
 * aliyunsdkcore's `do_action()`/`get_response()` sign and send `Format=None` (the request's unset accept
 * format, written by urlencode), which the cloud answers, so a value is never refused. Without `Format`, a
 * legacy-signed call (`Action` in its parameters) gets XML, the default the RAM and STS references document;
 * an ACS3 call (action in `x-acs-action`, no `Format`, `Accept: application/json`) gets JSON.
 */
export function formatOf(value: string | undefined, legacy: boolean): 'JSON' | 'XML' {
  if (value === undefined || value === '') return legacy ? 'XML' : 'JSON';
  return value.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
}

/**
 * Parameters one call may carry, query and body together. The RAM, STS and IMS APIs take a few dozen at most (20 tags,
 * 50 resource names); a 1 MiB form of distinct names is ~150,000, each sorted, encoded and quoted in the string to
 * sign before the signature can refuse it (~0.5 s of event loop per request from anyone who knows an AccessKeyId, as
 * every signed URL shows one). Counted on the body's separators before it is split.
 */
export const MAX_RPC_PARAMS = 1000;

const tooManyParams = (): AppError => new AppError('InvalidParameter', `The request has more than ${MAX_RPC_PARAMS} parameters.`);

/** Whether a form (`a=1&b=2`) has more pairs than MAX_RPC_PARAMS (empty ones are skipped), counted without splitting it. */
function formTooLong(text: string): boolean {
  let pairs = 1;
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (i + 1 < text.length && text.charCodeAt(i + 1) !== 38 /* & */ && ++pairs > MAX_RPC_PARAMS) return true;
  }
  return false;
}

/** Reads the body and collects parameters. */
export async function readRpcRequest(req: IncomingMessage, rawQuery: string): Promise<RpcRequest> {
  const method = (req.method ?? 'GET').toUpperCase();
  const query = new Map(parseQuery(rawQuery));
  const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
  const params = new Map(query);
  if (body.length > 0) {
    // A body of another type (XML, octet-stream, none named) holds parameters the server cannot read: STS says so
    // rather than answer as if they were absent.
    const form = isForm(req.headers);
    if (!form && !isJson(req.headers)) throw new AppError('InvalidParameter.ContentType');
    const text = form ? body.toString('utf8') : '';
    if (formTooLong(text)) throw tooManyParams();
    const fromBody = form ? parseQuery(text) : jsonBodyParams(body);
    if (fromBody.length > MAX_RPC_PARAMS) throw tooManyParams();
    for (const [k, v] of fromBody) params.set(k, v);
  }
  if (params.size > MAX_RPC_PARAMS) throw tooManyParams();
  const authorization = oneHeader(req.headers.authorization) ?? '';
  const style = authorization.startsWith('ACS3-') ? 'acs3' : 'rpc';
  const format = formatOf(params.get('Format'), style === 'rpc' && params.has('Action'));
  const action = params.get('Action') ?? oneHeader(req.headers['x-acs-action']);
  const version = params.get('Version') ?? oneHeader(req.headers['x-acs-version']);
  // The header Map is built when first read (ACS3's signature, RAM's and IMS's user-agent and referer condition keys):
  // a legacy-signed STS call never reads it.
  let headers: Map<string, string> | undefined;
  const incoming = req.headers;
  return {
    method, style, format, params, query, body, action: action ?? '', version: version ?? '',
    get headers(): ReadonlyMap<string, string> {
      headers ??= headerMap(incoming);
      return headers;
    },
  };
}

/** A header as the Map below holds it: repeated lines joined with `,`. */
function oneHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** Lower-case name → value of every header (node lower-cases the names). */
function headerMap(incoming: IncomingHttpHeaders): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(incoming)) {
    const one = oneHeader(v);
    if (one !== undefined) out.set(k, one);
  }
  return out;
}
