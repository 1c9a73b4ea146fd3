import { isIP } from 'node:net';
import { AppError } from '../errors.js';
import { detached } from '../util/detached.js';
import { forEachQueryPiece } from '../util/query-pieces.js';

export interface Address {
  /** `cname`: the Host is a domain bound to the bucket (cnameAddress). */
  style: 'virtual-hosted' | 'path' | 'service' | 'cname';
  bucket: string | null;
  key: string | null;
}

export interface AddressingOptions {
  /** Extra host names that are endpoints (virtual-hosted buckets are `<bucket>.<host>`). */
  hostnames: readonly string[];
}

const OSS_ENDPOINT = /^oss-[a-z0-9-]+\.aliyuncs\.com$/;

function isEndpoint(host: string, opts: AddressingOptions): boolean {
  return host === 'localhost' || OSS_ENDPOINT.test(host) || isIP(host) !== 0 || opts.hostnames.includes(host);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** A host name as `--hostname` takes one once normalized: dot-separated labels (`_` allowed, as container names have). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * The server's extra host names (`--hostname`, ALUNITE_HOSTNAMES, ServerOptions.hostnames) as requests are compared
 * with them: trimmed, lower-cased, without a port or a trailing dot; empty entries dropped, duplicates once. Each
 * request's Host is lower-cased and loses its port before it is compared, so a name kept as given (`OSS.Example.com`,
 * ` cdn.example.com` after a comma, `oss.example.com:8930`) never matched: no virtual-hosted bucket under it, and in
 * `--cname-verification token` mode any tenant could bind it as a CNAME (red-team wave 16). Throws on an entry that
 * is no host name or IP address (a URL, a path, a blank inside).
 */
export function hostnamesOf(given: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of given) {
    // Only a numeric port goes (`http://oss.example.com` is no host name with the port `//oss.example.com`).
    let host = raw.trim().toLowerCase().replace(/(^\[[0-9a-f:.]+\]|^[^:]*):\d{1,5}$/, '$1');
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (host === '') continue;
    const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (!HOST_NAME.test(host) && isIP(literal) === 0) {
      throw new Error(`the host name ${JSON.stringify(raw)} (--hostname / ALUNITE_HOSTNAMES) is not a host name: give names such as oss.example.com, without a scheme, path or blanks`);
    }
    if (!out.includes(host)) out.push(host);
  }
  return out;
}

/** Whether a Host (with or without its port) is an Alibaba Cloud name (`*.aliyuncs.com`), not this server's own. */
export function isAliyunHost(hostHeader: string): boolean {
  return stripPort(hostHeader.trim().toLowerCase()).endsWith('.aliyuncs.com');
}

/**
 * Percent-decodes a URL path segment, or a header that carries one (`x-oss-copy-source`,
 * `x-oss-symlink-target`), as OSS does: a raw `+` is a space (spec §1.3 item 4: older SDKs, the Go SDK
 * among them, send spaces that way; ali-oss and oss2 send a literal plus as `%2B`). Undefined on bad
 * percent-encoding or invalid UTF-8, for the caller to answer with its own error.
 */
export function decodeUrlPath(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.includes('+') ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    return undefined;
  }
}

/**
 * A name or parameter that is not UTF-8 once percent-decoded (a GBK key, `%D6%D0…`): OSS's answer (EC 0017-00000204,
 * "a request parameter is not encoded in UTF-8"; the PHP SDK's testObjectKeyWithNonUTF8Name compares the code and
 * the message).
 */
function notUtf8(): AppError {
  return new AppError('InvalidArgument', 'The characters encoding must be utf-8.', undefined, '0017-00000204');
}

function decodePath(raw: string): string {
  const decoded = decodeUrlPath(raw);
  if (decoded === undefined) throw notUtf8();
  return decoded;
}

/**
 * Finds bucket and key from Host and path (spec §1.3): `<bucket>.<endpoint>` is virtual-hosted (a
 * Host that starts with "." is ali-oss's service call on an IP endpoint), anything else path style.
 */
export function resolveAddress(hostHeader: string | undefined, rawPath: string, opts: AddressingOptions): Address {
  const host = stripPort((hostHeader ?? '').trim().toLowerCase());
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const dot = host.indexOf('.');
  if (dot >= 0 && isIP(host) === 0 && isEndpoint(host.slice(dot + 1), opts)) {
    const bucket = host.slice(0, dot);
    if (bucket === '') return { style: 'service', bucket: null, key: null };
    return { style: 'virtual-hosted', bucket, key: path === '' ? null : decodePath(path) };
  }
  if (path === '') return { style: 'service', bucket: null, key: null };
  const slash = path.indexOf('/');
  if (slash < 0) return { style: 'path', bucket: decodePath(path), key: null };
  const key = path.slice(slash + 1);
  return { style: 'path', bucket: decodePath(path.slice(0, slash)), key: key === '' ? null : decodePath(key) };
}

/** A DNS host name, lower-case (what PutCname accepts as a Domain). */
export const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Whether a host name may be a CNAME bound to a bucket: a DNS name that is not one this server answers as itself, an
 * endpoint (configured host names, `localhost`, IPs, OSS's) or a virtual-hosted bucket under one, nor any
 * `*.aliyuncs.com` name. PutCname binds only such names, and only such a Host is looked up.
 */
export function isCnameCandidate(host: string, opts: AddressingOptions): boolean {
  // The endpoint test first: the Hosts of most path-style requests (`localhost`, IPs) end there.
  if (isEndpoint(host, opts) || !DOMAIN_NAME.test(host) || host.endsWith('.aliyuncs.com')) return false;
  return !isEndpoint(host.slice(host.indexOf('.') + 1), opts);
}

/** What answers which bucket a domain is bound to (domain/cname.ts CnameBindings). */
export interface CnameLookup {
  resolve(domain: string): Promise<string | null>;
}

/**
 * Spec §1.3 step 2: a request whose Host (port stripped, lower-cased) is no endpoint and is a domain bound to a
 * bucket acts on that bucket, its path the key. Null without a lookup for every other Host (endpoints, virtual-hosted
 * names, IPs); null after it when the domain is bound to no bucket (the path-style reading stands).
 */
export function cnameAddress(hostHeader: string | undefined, rawPath: string, address: Address, opts: AddressingOptions, cnames: CnameLookup): Promise<Address | null> | null {
  if (address.style === 'virtual-hosted') return null;
  const host = stripPort((hostHeader ?? '').trim().toLowerCase());
  if (!isCnameCandidate(host, opts)) return null;
  return cnames.resolve(host).then((bucket) => {
    if (bucket === null) return null;
    const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    return { style: 'cname', bucket, key: path === '' ? null : decodePath(path) };
  });
}

/**
 * The endpoint a request was sent to, as `host[:port]`: its Host without the bucket label of a virtual-hosted
 * address (`b.oss-cn-hangzhou.aliyuncs.com` → `oss-cn-hangzhou.aliyuncs.com`), the Host itself otherwise;
 * `fallback` without a Host. What answers that name an object's URL (CompleteMultipartUpload's and PostObject's
 * `Location`) are built on it, as OSS builds them on the endpoint the client used. `pathStyle`: the request named
 * its bucket in the path on that Host (objectUrl).
 */
const ENDPOINT_HOST = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/;

export interface Endpoint {
  host: string;
  pathStyle: boolean;
  /** The Host is a domain bound to the bucket: an object's URL is `<scheme>://<domain>/<key>` [UNVERIFIED]. */
  cname?: boolean;
}

export function endpointOf(hostHeader: string | undefined, address: Address, fallback: string): Endpoint {
  const host = (hostHeader ?? '').trim().toLowerCase();
  // Only a host name or an IP literal, with a port: anything else would make the Location no URL.
  if (!ENDPOINT_HOST.test(host)) return { host: fallback, pathStyle: false };
  if (address.style === 'virtual-hosted' && address.bucket !== null && host.startsWith(`${address.bucket}.`)) return { host: host.slice(address.bucket.length + 1), pathStyle: false };
  if (address.style === 'cname') return { host, pathStyle: false, cname: true };
  return { host, pathStyle: address.style === 'path' };
}

/**
 * An object's URL on the endpoint the request was sent to, `encodedKey` as the caller encodes it:
 * `<scheme>://<bucket>.<host>/<key>`, or `<scheme>://<host>/<bucket>/<key>` when the request was path style (the
 * Java SDK's `TestUtils.composeLocation` expects that shape of CompleteMultipartUpload's Location when its client is
 * in second-level-domain mode, which it turns on by itself for an IP or `localhost` endpoint).
 */
export function objectUrl(endpoint: { scheme: string; host: string; pathStyle: boolean; cname?: boolean }, bucket: string, encodedKey: string): string {
  if (endpoint.cname === true) return `${endpoint.scheme}://${endpoint.host}/${encodedKey}`;
  return endpoint.pathStyle ? `${endpoint.scheme}://${endpoint.host}/${bucket}/${encodedKey}` : `${endpoint.scheme}://${bucket}.${endpoint.host}/${encodedKey}`;
}

/**
 * A path-style address whose Host is `<label>.<something>.aliyuncs.com` but not an OSS endpoint: what ali-oss
 * sends when pointed at an IP address with a region that lacks the `oss-` prefix (it builds the Host
 * `<bucket>.<region>.aliyuncs.com` from `region`, so `cn-hangzhou` gives `my-bucket.cn-hangzhou.aliyuncs.com`).
 * Read as path style, the key's first segment would be taken for the bucket (InvalidBucketName, NoSuchBucket or
 * SignatureDoesNotMatch, none of which says what is wrong); this error does. Null for every other request.
 * No cloud behaviour to follow: such a Host never reaches OSS (the name does not resolve).
 */
export function misdirectedHostError(hostHeader: string | undefined, address: Address, opts: AddressingOptions): AppError | null {
  if (address.style !== 'path' || address.bucket === null) return null;
  const host = stripPort((hostHeader ?? '').trim().toLowerCase());
  const dot = host.indexOf('.');
  if (dot <= 0 || !host.endsWith('.aliyuncs.com') || isEndpoint(host, opts)) return null;
  const rest = host.slice(dot + 1, -'.aliyuncs.com'.length);
  if (rest === '' || rest.includes('.')) return null;
  const region = /^[a-z]{2,}-[a-z0-9-]+$/.test(rest) ? rest : null;
  const hint = region === null
    ? 'OSS endpoints are oss-<region>.aliyuncs.com.'
    : `ali-oss pointed at an IP address builds the Host from its region option: give region 'oss-${region}', not '${region}'.`;
  return new AppError('InvalidArgument', `The Host "${host}" names no OSS endpoint (oss-<region>.aliyuncs.com), so the request names no bucket. ${hint}`, {
    ArgumentName: 'Host',
    ArgumentValue: host,
  });
}

/**
 * Above this length a query's names and values are copied out of it (util/detached.ts). A value with nothing to
 * decode is a cut of the query, which V8 keeps whole while the cut lives: a RAM resource built from a parameter
 * (`acs:ram::<uid>:user/<UserName>`) kept its request's 1 MiB POP body in the ring of recent requests, 100
 * requests from a user allowed nothing +86 MB. Shorter queries (SDK calls are ~300-800 characters) are left
 * as they are: what a cut can keep of them is that small.
 */
export const QUERY_COPY_ABOVE_CHARS = 1024;

/** Form-decodes a query string into ordered pairs (`+` is a space, as OSS decodes queries). */
export function parseQuery(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const copy = raw.length > QUERY_COPY_ABOVE_CHARS;
  forEachQueryPiece(raw, (k, v) => {
    out.push(copy ? [detached(formDecode(k)), detached(formDecode(v))] : [formDecode(k), formDecode(v)]);
  });
  return out;
}

function formDecode(s: string): string {
  const plain = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  // Most names and values (actions, versions, nonces) have nothing to decode.
  if (!s.includes('%')) return plain;
  try {
    return decodeURIComponent(plain);
  } catch {
    throw notUtf8();
  }
}
