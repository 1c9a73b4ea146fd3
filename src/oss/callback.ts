import { sign } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { AppError, invalidArgument } from '../errors.js';
import type { ObjectRecord } from '../domain/model.js';
import type { CallbackKey } from '../util/callback-key.js';
import type { OssResponse, WrittenObject } from './context.js';
import type { Operation } from './operations.js';
import { HELD_ANSWERS, holdAnswer } from '../http/held-answers.js';
import { dnsOnlyLookup } from '../util/dns-lookup.js';

/**
 * Upload callbacks (docs/callbacks.md): after a successful PutObject, CompleteMultipartUpload or PostObject
 * the server POSTs the request's `callbackBody` to its `callbackUrl`, signed with the server's RSA key, and
 * answers the upload with the callback server's JSON; a failed callback answers 203 CallbackFailed (the
 * object stays written). The parameter is validated before any byte of the upload is stored.
 */

/** The operations that take a callback; on others the parameter is ignored, as OSS ignores it. */
const TAKES_CALLBACK: ReadonlySet<Operation['name']> = new Set(['PutObject', 'CompleteMultipartUpload', 'PostObject']);

export const CALLBACK_LIMITS = {
  /** Decoded `callback` / `callback-var` JSON, bytes. */
  paramBytes: 8 * 1024,
  urls: 5,
  vars: 100,
  /** The documented wait for the callback server's answer. */
  timeoutMs: 5_000,
  /** The callback server's answer, bytes (OSS: "too long content-length value" beyond 1 MB). */
  responseBytes: 1024 * 1024,
} as const;

export type CallbackBodyType = 'application/x-www-form-urlencoded' | 'application/json';

export interface CallbackSpec {
  urls: URL[];
  /** The Host header of the callback request (callbackHost), else the URL's host. */
  host: string | undefined;
  body: string;
  bodyType: CallbackBodyType;
  /** callbackSNI: send the host as TLS SNI to an https callbackUrl. */
  sni: boolean;
  /** Custom variables, `x:name` → value (callback-var, or PostObject's `x:` form fields). */
  vars: ReadonlyMap<string, string>;
}

function bad(message: string, ec: string, name = 'callback'): AppError {
  return new AppError('InvalidArgument', message, { ArgumentName: name }, ec);
}

const isBase64 = (text: string): boolean => /^[A-Za-z0-9+/]*={0,2}$/.test(text);

/** base64 JSON object, or null when it is not one (callers choose the error). */
function decodeJson(raw: string): Record<string, unknown> | null {
  const text = raw.trim();
  if (!isBase64(text) || text.length > Math.ceil(CALLBACK_LIMITS.paramBytes / 3) * 4) return null;
  try {
    const doc: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseUrls(value: string): URL[] {
  const parts = value.split(';').map((u) => u.trim()).filter((u) => u !== '');
  if (parts.length > CALLBACK_LIMITS.urls) throw bad(`callbackUrl has more than ${CALLBACK_LIMITS.urls} URLs.`, '0007-00000005');
  return parts.map((part) => {
    // OSS takes `host[:port]/path` as http.
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `http://${part}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad('The callbackUrl of the callback parameter is invalid.', '0007-00000004');
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') {
      throw bad('The callbackUrl of the callback parameter is invalid.', '0007-00000004');
    }
    return url;
  });
}

function parseVars(raw: string | undefined, formFields: ReadonlyMap<string, string> | null): Map<string, string> {
  const vars = new Map<string, string>();
  if (raw !== undefined && raw !== '') {
    const doc = decodeJson(raw);
    if (doc === null) throw bad('The callback-var parameter is not a base64-encoded JSON object.', '0007-00000103', 'callback-var');
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw bad(`The callback-var value of "${k.slice(0, 64)}" must be a string.`, '0007-00000103', 'callback-var');
      }
      vars.set(k, String(v));
    }
  }
  // PostObject: custom variables are form fields named `x:…`.
  for (const [k, v] of formFields ?? []) if (k.startsWith('x:')) vars.set(k, v);
  if (vars.size > CALLBACK_LIMITS.vars) throw bad(`At most ${CALLBACK_LIMITS.vars} callback variables are allowed.`, '0007-00000103', 'callback-var');
  return vars;
}

/**
 * The request's callback, validated (InvalidArgument, 400, with the documented ECs), or null when it has
 * none (or an empty callbackUrl, which OSS reads as no callback). Called before the upload is stored.
 */
export function callbackOf(op: Operation, headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): CallbackSpec | null {
  if (!TAKES_CALLBACK.has(op.name)) return null;
  const fields = callbackFormFieldsOf(op);
  const pick = (header: string, param: string): string | undefined => {
    if (fields !== null) return fields.get(param);
    const h = headers[header];
    return typeof h === 'string' ? h : query.get(param);
  };
  return parseCallback(pick('x-oss-callback', 'callback'), () => pick('x-oss-callback-var', 'callback-var'), fields);
}

/**
 * The bucket callback policy an upload's callback parameter names instead of giving a callbackUrl
 * (`{"callbackPolicy":"<PolicyName>"}`, oss2's test_bucket_callback_policy.py), or null. Read only when callbackOf
 * found no callback, so a parameter with a callbackUrl is that callback, whatever else it names.
 */
export function callbackPolicyNameOf(op: Operation, headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): string | null {
  if (!TAKES_CALLBACK.has(op.name)) return null;
  const fields = callbackFormFieldsOf(op);
  const h = headers['x-oss-callback'];
  const raw = fields !== null ? fields.get('callback') : typeof h === 'string' ? h : query.get('callback');
  if (raw === undefined || raw === '') return null;
  const name = decodeJson(raw)?.callbackPolicy;
  return typeof name === 'string' && name !== '' ? name : null;
}

/** The request's callback-var parameter (header, query or PostObject field), for a named policy without its own. */
export function callbackVarOf(op: Operation, headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): string | undefined {
  const fields = callbackFormFieldsOf(op);
  const h = headers['x-oss-callback-var'];
  return fields !== null ? fields.get('callback-var') : typeof h === 'string' ? h : query.get('callback-var');
}

/** A PostObject's form fields (its `x:` fields are callback variables too), or null for other uploads. */
export function callbackFormFieldsOf(op: Operation): ReadonlyMap<string, string> | null {
  return op.name === 'PostObject' ? (op.params.upload?.fields ?? null) : null;
}

/**
 * A callback parameter (base64 of the callback JSON) validated as the uploads validate theirs (InvalidArgument with
 * the documented ECs), or null when there is none or its callbackUrl is empty. `vars`: the callback-var text, read
 * only when the callback is there; `fields`: PostObject's form fields (its `x:` variables). PutAsyncFetchTask's
 * Callback element is checked with this too (domain/async-fetch.ts, docs/async-fetch.md).
 */
export function parseCallback(raw: string | undefined, vars: () => string | undefined, fields: ReadonlyMap<string, string> | null): CallbackSpec | null {
  if (raw === undefined || raw === '') return null;
  const doc = decodeJson(raw);
  if (doc === null) {
    // OSS tells the two apart (EC 0007-00000002; the C++ SDK's PutObjectCallbackNegativeTest reads both messages).
    if (!isBase64(raw.trim())) throw bad('The callback configuration is not base64 encoded.', '0007-00000002');
    throw bad('The callback configuration is not json format.', '0007-00000003');
  }
  const text = (name: string): string | undefined => {
    const v = doc[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(`The ${name} of the callback parameter must be a string.`, name === 'callbackBodyType' ? '0007-00000012' : '0007-00000003');
    return v;
  };
  const urlText = text('callbackUrl');
  if (urlText === undefined || urlText.trim() === '') return null;
  const urls = parseUrls(urlText);
  if (urls.length === 0) return null;
  const host = text('callbackHost');
  if (host !== undefined && !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(host)) throw bad('The callbackHost of the callback parameter is invalid.', '0007-00000006');
  const body = text('callbackBody');
  if (body === undefined || body === '') throw bad('The callbackBody of the callback parameter is required.', '0007-00000011');
  const typeText = (text('callbackBodyType') ?? 'application/x-www-form-urlencoded').trim().toLowerCase();
  if (typeText !== 'application/x-www-form-urlencoded' && typeText !== 'application/json') {
    throw bad('The callbackBodyType of the callback parameter must be application/x-www-form-urlencoded or application/json.', '0007-00000012');
  }
  const sniValue = doc.callbackSNI;
  if (sniValue !== undefined && typeof sniValue !== 'boolean' && sniValue !== 'true' && sniValue !== 'false') {
    throw bad('The callbackSNI of the callback parameter must be true or false.', '0007-00000003');
  }
  const spec: CallbackSpec = { urls, host, body, bodyType: typeText, sni: sniValue === true || sniValue === 'true', vars: parseVars(vars(), fields) };
  // Rendered once up front: a body too long once its variables are in is refused before the upload is read, and
  // a JSON body must stay JSON (OSS refuses it up front too).
  const rendered = renderBody(spec, PLACEHOLDER);
  if (spec.bodyType === 'application/json') {
    try {
      JSON.parse(rendered);
    } catch {
      throw bad('The callback configuration is not json format.', '0007-00000003');
    }
  }
  return spec;
}

/**
 * The callback of a TriggerCallback request, or null when `process` is not `trigger/callback…`. The mobile SDKs'
 * `triggerCallback` POSTs `x-oss-process=trigger/callback,callback_<base64>,callback-var_<base64>` to
 * `/<key>?x-oss-process` (the Android and iOS SDKs' TriggerCallbackTest): the callback JSON and its variables as an
 * upload's `x-oss-callback` / `x-oss-callback-var` carry them, validated the same way. They send the base64 as it
 * is, not form-encoded, so a `+` of it reaches the form reader as a space: a space is read back as the `+` it was
 * (base64 holds no space). A callback with no callbackUrl is refused: there is nothing to trigger.
 */
export function triggerCallbackOf(process: string): CallbackSpec | null {
  const parts = process.split(',');
  if (parts[0] !== 'trigger/callback') return null;
  let callback: string | undefined;
  let vars: string | undefined;
  for (const part of parts.slice(1)) {
    const at = part.indexOf('_');
    const name = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? '' : part.slice(at + 1).replace(/ /g, '+');
    if (name === 'callback' && callback === undefined) callback = value;
    else if (name === 'callback-var' && vars === undefined) vars = value;
    else throw invalidArgument(`trigger/callback takes callback_ and callback-var_ once each, not "${name.slice(0, 64)}".`, 'x-oss-process');
  }
  const spec = parseCallback(callback, () => vars, null);
  if (spec === null) throw invalidArgument('trigger/callback needs callback_<base64 of the callback JSON, with a callbackUrl>.', 'x-oss-process');
  return spec;
}

/** What an upload handler reports of the object it stored, for its callback. */
export function writtenOf(obj: ObjectRecord): WrittenObject {
  return {
    bucket: obj.bucket, key: obj.key, etag: obj.etag, size: obj.size, contentType: obj.headers.contentType,
    crc64: obj.crc64, contentMd5: obj.contentMd5 ?? '',
  };
}

/** What the callback body's system variables are filled from. */
export interface CallbackFacts {
  object: WrittenObject;
  clientIp: string;
  requestId: string;
  operation: string;
}

const PLACEHOLDER: CallbackFacts = {
  object: { bucket: '', key: '', etag: '', size: 0, contentType: '', crc64: '', contentMd5: '' },
  clientIp: '',
  requestId: '',
  operation: '',
};

/** The callback body with `${…}` replaced: URL-encoded values (form) or JSON values (json). Unknown names → empty. */
export function renderBody(spec: CallbackSpec, facts: CallbackFacts): string {
  const o = facts.object;
  const system: Record<string, string | number> = {
    bucket: o.bucket,
    object: o.key,
    etag: o.etag,
    size: o.size,
    mimeType: o.contentType,
    crc64: o.crc64,
    contentMd5: o.contentMd5,
    clientIp: facts.clientIp,
    reqId: facts.requestId,
    operation: facts.operation,
    // Image information is not extracted (docs/callbacks.md): empty, as OSS gives for non-images.
    'imageInfo.height': '',
    'imageInfo.width': '',
    'imageInfo.format': '',
    vpcId: '',
  };
  const json = spec.bodyType === 'application/json';
  // The 8 KiB parameter can name one variable a thousand times: the rendered body is bounded, and rendering stops
  // at the bound, before it costs more than that (a 2 MiB form field × 1,000 would be gigabytes).
  let length = spec.body.length;
  return spec.body.replace(/\$\{([^}]{1,256})\}/g, (m, name: string) => {
    const value = name.startsWith('x:') ? (spec.vars.get(name) ?? '') : (system[name] ?? '');
    const raw = String(value);
    // encodeURIComponent at most triples, JSON.stringify at most sextuples a string: refuse before building it.
    if (length - m.length + raw.length > MAX_RENDERED_BODY) throw tooLargeBody();
    const piece = json ? (typeof value === 'number' ? raw : JSON.stringify(raw)) : encodeURIComponent(raw);
    length += piece.length - m.length;
    if (length > MAX_RENDERED_BODY) throw tooLargeBody();
    return piece;
  });
}

/** Largest callback body after variables are substituted (characters). */
export const MAX_RENDERED_BODY = 1024 * 1024;

function tooLargeBody(): AppError {
  return invalidArgument(`The callback body is longer than ${MAX_RENDERED_BODY} characters once its variables are substituted.`, 'callbackBody');
}

// Loopback, private, link-local, CGNAT, unspecified, multicast and reserved ranges: not reachable as
// callback targets unless the operator allows the host (SSRF: the URL is the uploader's choice).
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv4');
// Also the IPv6 forms that carry an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible, SIIT's IPv4-translated
// ::ffff:0:a.b.c.d, and IPv4-mapped written in hex: the dotted form is checked as IPv4 below): they may reach the
// same private IPv4 networks. fec0::/10 (site-local,
// deprecated by RFC 3879) is still routed inside sites by stacks that kept it.
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv6');
// Kept apart: BlockList matches IPv4 addresses against IPv6 rules as if mapped, so these would block all of IPv4.
const CARRIES_V4 = new BlockList();
CARRIES_V4.addSubnet('::', 96, 'ipv6');
CARRIES_V4.addSubnet('::ffff:0:0', 96, 'ipv6');
CARRIES_V4.addSubnet('::ffff:0:0:0', 96, 'ipv6');

export function isInternalAddress(ip: string): boolean {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return INTERNAL.check(v4mapped[1]!, 'ipv4');
  const family = isIP(ip);
  if (family === 0) return true;
  // IPv4-compatible, IPv4-mapped in hex and IPv4-translated (::7f00:1, ::ffff:7f00:1, ::ffff:0:7f00:1): never a target.
  if (family === 6 && CARRIES_V4.check(ip, 'ipv6')) return true;
  return INTERNAL.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The DNS lookup of one outbound request to a user-chosen URL (callbacks, async fetch sources): resolved addresses
 * must be public unless the host is allowed. Checked when the connection is made, so a name that resolves to a
 * public address when validated and to a private one when connecting (DNS rebinding) is still refused. A host not
 * allowed is looked up in DNS alone (util/dns-lookup.ts: never getaddrinfo, which names whose DNS never answers
 * could fill for the whole process); an allowed one through the system (its /etc/hosts too).
 */
export function guardedLookup(allowed: boolean, dnsServer?: string): LookupFunction {
  return (hostname, options, callback) => {
    const done = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void => {
      if (err) return callback(err, '', 4);
      const usable = allowed ? addresses : addresses.filter((a) => !isInternalAddress(a.address));
      if (usable.length === 0) return callback(Object.assign(new Error('target not allowed'), { code: 'ENOTALLOWED' }), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    };
    if (allowed) dnsLookup(hostname, { ...options, all: true }, done);
    else dnsOnlyLookup(hostname, options.family, dnsServer, done);
  };
}

/** Whether `hostname` (a URL's, brackets allowed) is on the allow-list (`*`: every host). */
export function hostAllowed(allow: ReadonlySet<string>, hostname: string): boolean {
  return allow.has('*') || allow.has(hostname.toLowerCase().replace(/^\[|\]$/g, ''));
}

/** A URL's host given as a literal internal address that the allow-list does not name: refused before connecting. */
export function refusedLiteral(allowed: boolean, hostname: string): boolean {
  const literal = hostname.replace(/^\[|\]$/g, '');
  return !allowed && isIP(literal) !== 0 && isInternalAddress(literal);
}

export interface UploadCallbackOptions {
  key: CallbackKey;
  /**
   * Hosts (as written in callbackUrl) that may be called even when they are, or resolve to, loopback or
   * private addresses; `*` allows every host. Default: none (public addresses only).
   */
  allowHosts?: readonly string[];
  /** The x-oss-pub-key-url value; default: `/-/callback/public-key.pem` on the endpoint the upload came to. */
  publicKeyUrl?: string;
  timeoutMs?: number;
  /** PEM certificates trusted for https callback URLs besides Node's CA store (a private CA). */
  ca?: string;
  /** The DNS server (ip or ip:port) asked for callback hosts not on the allow-list; default the system's. */
  dnsServer?: string;
}

type Outcome = { ok: true; body: Buffer } | { ok: false; message: string };

// Connections to callback servers are kept alive and reused (per host, port and SNI name): a new connection per
// upload doubled the callback's cost. A reused connection goes to the address checked when it was opened.
// Idle connections are closed after 2 s, before common servers' keep-alive timeouts (node's is 5 s).
const KEEP_ALIVE = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 2_000 } as const;

/** Sends callbacks for one server: its key, its allow-list. */
export class UploadCallbacks {
  private readonly allow: ReadonlySet<string>;
  private readonly timeoutMs: number;
  private readonly ca: string[] | undefined;
  private readonly httpAgent = new HttpAgent(KEEP_ALIVE);
  // Separate pools with and without SNI: the agent does not tell a connection with SNI from one without.
  private readonly httpsAgent = new HttpsAgent(KEEP_ALIVE);
  private readonly httpsSniAgent = new HttpsAgent(KEEP_ALIVE);

  constructor(private readonly opts: UploadCallbackOptions) {
    this.allow = new Set((opts.allowHosts ?? []).map((h) => h.toLowerCase()));
    this.timeoutMs = opts.timeoutMs ?? CALLBACK_LIMITS.timeoutMs;
    this.ca = opts.ca === undefined ? undefined : [...rootCertificates, opts.ca];
  }

  /**
   * Refuses, before the upload is read, a callback URL whose host is a literal internal address that the allow-list
   * does not name: OSS answers 400 InvalidArgument "Private address is forbidden to callback." (EC 0007-00000008)
   * up front, nothing stored (the C++ SDK's ResumableUploadCallbackUrlNegativeTest). A name that resolves to such an
   * address is refused when connecting (203): the resolver's answer then is the one the connection uses.
   */
  assertCallable(spec: CallbackSpec): void {
    for (const url of spec.urls) {
      if (refusedLiteral(hostAllowed(this.allow, url.hostname), url.hostname)) {
        throw new AppError('InvalidArgument', 'Private address is forbidden to callback.', { ArgumentName: 'callback' }, '0007-00000008');
      }
    }
  }

  /** Closes idle kept-alive connections (server shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.httpsSniAgent.destroy();
  }

  /** The public key, for `/-/callback/public-key.pem`. */
  publicKeyResponse(): OssResponse {
    return { status: 200, headers: { 'Content-Type': 'application/x-pem-file', 'Cache-Control': 'max-age=300' }, body: this.opts.key.publicKeyPem };
  }

  /**
   * Where callback servers fetch the public key: the configured URL, else this endpoint's, without the
   * bucket label of a virtual-hosted Host (`/-/` is not served on bucket hosts). A Host naming the cloud's
   * endpoint (ali-oss sends `<bucket>.oss-<region>.aliyuncs.com` when pointed at an IP) is not this server:
   * then the address the request reached (`local`, `ip:port`).
   */
  publicKeyUrl(hostHeader: string | undefined, bucket: string | null, secure: boolean, local: string): string {
    if (this.opts.publicKeyUrl !== undefined) return this.opts.publicKeyUrl;
    let host = hostHeader ?? local;
    if (bucket !== null && host.startsWith(`${bucket}.`)) host = host.slice(bucket.length + 1);
    if (/\.aliyuncs\.com(:\d+)?$/i.test(host)) host = local;
    return `${secure ? 'https' : 'http'}://${host}/-/callback/public-key.pem`;
  }

  /**
   * The upload's answer after its callback: the callback server's JSON (200), or 203 CallbackFailed
   * (`failed` renders it) with the upload's own headers either way. Answers that are not a stored upload
   * pass unchanged.
   */
  async apply(
    spec: CallbackSpec,
    response: OssResponse,
    ctx: Omit<CallbackFacts, 'object'> & { publicKeyUrl: string; failed: (err: AppError) => OssResponse; client?: string },
  ): Promise<OssResponse> {
    const object = response.written;
    if (object === undefined || response.status >= 400) return response;
    const { 'Content-Type': _type, Location: _location, ...uploadHeaders } = response.headers;
    let outcome: Outcome = { ok: false, message: 'Error status : -1.' };
    let body: Buffer | null = null;
    try {
      body = Buffer.from(renderBody(spec, { ...ctx, object }), 'utf8');
    } catch (err) {
      // Only the stored object's own values (a long key) can push it over the bound checked up front.
      outcome = { ok: false, message: err instanceof AppError ? err.message : 'The callback body could not be built.' };
    }
    for (const url of body === null ? [] : spec.urls) {
      outcome = await this.send(url, spec, body!, ctx.publicKeyUrl);
      if (outcome.ok) break;
    }
    // The callback server's answer (up to 1 MiB) is the upload's. A large one is counted among the held answers
    // (http/held-answers.ts) until its client has it; with no room for it the upload is answered 203 CallbackFailed
    // (the object stored, the callback sent): counted only after and always, such answers had no bound. The room is
    // not taken before the callback is sent: a 1 MiB share for every callback in flight, most answered with a few
    // bytes, left 32 concurrent callback uploads of one client, or any upload while others' answers filled the
    // bound, stored without their callback ever being sent.
    const held = outcome.ok && ctx.client !== undefined && outcome.body.length > HELD_ANSWERS.countedOver
      ? holdAnswer(outcome.body, ctx.client)
      : undefined;
    if (held === null) outcome = { ok: false, message: 'The server holds as many answers waiting for their clients as it allows: the callback server\'s answer was not kept.' };
    if (!outcome.ok) {
      const failed = ctx.failed(new AppError('CallbackFailed', outcome.message));
      return { ...failed, headers: { ...uploadHeaders, ...failed.headers } };
    }
    const headers = { ...uploadHeaders, 'Content-Type': 'application/json' };
    if (held === undefined || held === null) return { status: 200, headers, body: outcome.body };
    return { status: 200, headers: { ...headers, 'Content-Length': String(outcome.body.length) }, body: held };
  }

  /**
   * Sends a callback for an object stored without an upload request (PutAsyncFetchTask, docs/async-fetch.md):
   * null when a URL answered as the callback must, else the failure's message.
   */
  async notify(spec: CallbackSpec, facts: CallbackFacts, publicKeyUrl: string): Promise<string | null> {
    let body: Buffer;
    try {
      body = Buffer.from(renderBody(spec, facts), 'utf8');
    } catch (err) {
      return err instanceof AppError ? err.message : 'The callback body could not be built.';
    }
    let message = 'Error status : -1.';
    for (const url of spec.urls) {
      const outcome = await this.send(url, spec, body, publicKeyUrl);
      if (outcome.ok) return null;
      message = outcome.message;
    }
    return message;
  }

  /** `fresh`: on a new connection (the retry after a kept-alive one turned out closed by the server). */
  private send(url: URL, spec: CallbackSpec, body: Buffer, publicKeyUrl: string, fresh = false): Promise<Outcome> {
    const allowed = hostAllowed(this.allow, url.hostname);
    if (refusedLiteral(allowed, url.hostname)) {
      return Promise.resolve({ ok: false, message: 'The callback URL is not allowed by this server (callback allow-list).' });
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    // The signed string (OSS callback doc): url-decoded path, the query as sent, newline, the body.
    const signature = sign('md5', Buffer.concat([Buffer.from(`${path}${url.search}\n`, 'utf8'), body]), this.opts.key.privateKey);
    const secure = url.protocol === 'https:';
    const hostHeader = spec.host ?? url.host;
    const request = secure ? httpsRequest : httpRequest;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A fully read answer leaves the connection to the agent for reuse; any failure closes it.
        if (!o.ok) req.destroy();
        resolve(o);
      };
      const req = request(url, {
        method: 'POST',
        headers: {
          Host: hostHeader,
          'Content-Type': spec.bodyType,
          'Content-Length': String(body.length),
          Authorization: signature.toString('base64'),
          'x-oss-pub-key-url': Buffer.from(publicKeyUrl, 'utf8').toString('base64'),
          'User-Agent': 'aliyun-oss-callback',
        },
        lookup: guardedLookup(allowed, this.opts.dnsServer),
        agent: fresh ? false : !secure ? this.httpAgent : spec.sni ? this.httpsSniAgent : this.httpsAgent,
        ...(secure ? { servername: spec.sni ? hostHeader.replace(/:\d+$/, '') : '', ...(this.ca ? { ca: this.ca } : {}) } : {}),
      });
      const timer = setTimeout(() => done({ ok: false, message: 'Cost too long time.' }), this.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the callback server closed as we reused it: once more, on a new connection.
        if (!settled && !fresh && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          settled = true;
          clearTimeout(timer);
          resolve(this.send(url, spec, body, publicKeyUrl, true));
          return;
        }
        done({ ok: false, message: err.code === 'ENOTALLOWED' ? 'The callback URL is not allowed by this server (callback allow-list).' : `Error status : -1. ${err.code ?? 'connection failed'}.` });
      });
      req.on('response', (res: IncomingMessage) => {
        if (res.statusCode !== 200) return done({ ok: false, message: `Error status : ${res.statusCode ?? -1}.` });
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > CALLBACK_LIMITS.responseBytes) return done({ ok: false, message: 'Error status : 400.User server return too long content-length value.' });
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > CALLBACK_LIMITS.responseBytes) return done({ ok: false, message: 'Error status : 400.User server return too long content-length value.' });
          chunks.push(chunk);
        });
        res.on('error', () => done({ ok: false, message: 'Error status : -1. The callback server closed the connection.' }));
        res.on('end', () => {
          const text = Buffer.concat(chunks);
          try {
            JSON.parse(text.toString('utf8'));
          } catch {
            return done({ ok: false, message: 'Response body is not valid json format.' });
          }
          done({ ok: true, body: text });
        });
      });
      req.end(body);
    });
  }
}
