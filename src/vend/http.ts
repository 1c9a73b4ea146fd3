import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BodyCutShort, readBoundedBody } from '../http/read-body.js';
import type { Logger } from '../log.js';
import { bearerOf, type Authenticator } from './auth.js';
import type { VendConfig } from './config.js';
import { errorBody, VendError } from './errors.js';
import { bucketUrl, type VendService } from './service.js';

// The HTTP face of the vending service (node:http, no framework):
//   POST /login             {username, password} → {token, expiresIn}            (auth mode users)
//   GET  /sts/token[?grant] Bearer → {StatusCode:"200", AccessKeyId, AccessKeySecret, SecurityToken, Expiration}
//   POST /oss/post-policy   Bearer, {name?} → {url, fields}                       (PostObject form)
//   GET  /, /demo/*         the demo page (static files, strict CSP)
// Errors: {StatusCode, ErrorCode, ErrorMessage} with the same HTTP status.

const DEMO_DIR = fileURLToPath(new URL('../../../src/vend/demo/', import.meta.url));
const OSS_SDK = createRequire(import.meta.url).resolve('ali-oss/dist/aliyun-oss-sdk.min.js');
// The page uses alunite/client's provider as is: the compiled module has no Node-only imports.
const CLIENT_MODULE = fileURLToPath(new URL('../client/credentials.js', import.meta.url));
const MAX_BODY = 16 * 1024;

const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: `${DEMO_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/demo/app.js': { file: `${DEMO_DIR}app.js`, type: 'text/javascript; charset=utf-8' },
  '/demo/style.css': { file: `${DEMO_DIR}style.css`, type: 'text/css; charset=utf-8' },
  '/demo/aliyun-oss-sdk.min.js': { file: OSS_SDK, type: 'text/javascript; charset=utf-8' },
  '/demo/credentials.js': { file: CLIENT_MODULE, type: 'text/javascript; charset=utf-8' },
};

export interface VendHttpOptions {
  config: VendConfig;
  service: VendService;
  auth: Authenticator;
  log: Logger;
  /** PEM certificate and key (read and checked): HTTPS only. */
  tls: { cert: Buffer; key: Buffer } | null;
}

export function createVendServer(o: VendHttpOptions): Server | HttpsServer {
  const ossOrigin = new URL(bucketUrl(o.config.oss)).origin;
  // The page talks to this service and to OSS only; no inline script or style anywhere.
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${ossOrigin}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const demoConfig = JSON.stringify({
    bucket: o.config.oss.bucket,
    region: `oss-${o.config.oss.region}`,
    endpoint: o.config.oss.endpoint,
    pathStyle: o.config.oss.pathStyle,
    authMode: o.auth.mode,
    grants: [...o.config.grants.keys()],
    defaultGrant: o.config.defaultGrant,
  });

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof VendError ? err : internal(o.log, err);
      if (res.headersSent) return res.destroy();
      sendJson(res, e.status, errorBody(e), e.headers);
    });
  };
  return o.tls === null ? createServer(listener) : createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, listener);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://vend.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    // Served over TLS, a browser should never come back over plain HTTP (its bearer token would travel in clear).
    if (o.tls !== null) res.setHeader('strict-transport-security', 'max-age=31536000');

    if (path === '/sts/token') {
      allow(method, ['GET']);
      const user = await o.auth.authenticate(bearerOf(req.headers.authorization));
      const c = await o.service.credentials(user, grantParam(url));
      return sendJson(res, 200, { StatusCode: '200', AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: c.expiration });
    }
    if (path === '/oss/post-policy') {
      allow(method, ['POST']);
      const user = await o.auth.authenticate(bearerOf(req.headers.authorization));
      const body = await readJson(req, true);
      const form = await o.service.postForm(user, grantParam(url), body.name);
      return sendJson(res, 200, { url: form.url, fields: form.fields, expiration: form.expiration });
    }
    if (path === '/login') {
      allow(method, ['POST']);
      if (!o.auth.login) throw new VendError('NotFound', 'Log-in is handled by the identity provider (auth mode jwt).');
      const body = await readJson(req, false);
      o.service.throttleLogin(clientKey(req.socket.remoteAddress));
      o.service.throttle(`login:${typeof body.username === 'string' ? body.username.slice(0, 256) : ''}`);
      return sendJson(res, 200, await o.auth.login(body.username, body.password));
    }
    if (o.config.demo && path === '/demo/config.json') {
      allow(method, ['GET', 'HEAD']);
      return sendBody(res, 200, 'application/json; charset=utf-8', Buffer.from(demoConfig), { 'cache-control': 'no-store' }, method);
    }
    const file = o.config.demo ? STATIC[path] : undefined;
    if (file) {
      allow(method, ['GET', 'HEAD']);
      const headers: Record<string, string> = { 'cache-control': 'no-cache' };
      if (path === '/') Object.assign(headers, { 'content-security-policy': csp, 'x-frame-options': 'DENY' });
      return sendBody(res, 200, file.type, await readFile(file.file), headers, method);
    }
    throw new VendError('NotFound', `No such endpoint: ${method} ${path.slice(0, 200)}`);
  }
}

/**
 * The client a log-in limit counts against: its IPv4 address, or the /64 of an IPv6 one (one host usually
 * holds a whole /64). No proxy header is trusted: behind a reverse proxy every client shares its address.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return 'client:unknown';
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (v4) return `client:${v4[1]}`;
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `client:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function grantParam(url: URL): string | null {
  const g = url.searchParams.get('grant');
  return g === null || g === '' ? null : g;
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) throw new VendError('MethodNotAllowed', `Use ${methods.join(' or ')}.`, { allow: methods.join(', ') });
}

async function readJson(req: IncomingMessage, emptyOk: boolean): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = await readBoundedBody(req, MAX_BODY, () => new VendError('PayloadTooLarge', `The request body is larger than ${MAX_BODY} bytes.`)).catch((err: unknown) => {
    if (err instanceof BodyCutShort) throw new VendError('BadRequest', 'The request body was cut short.');
    throw err;
  });
  if (body.length === 0 && emptyOk) return {};
  if (type !== 'application/json') throw new VendError('UnsupportedMediaType', 'The request body must be JSON (Content-Type: application/json).');
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new VendError('BadRequest', 'The request body is not valid JSON.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new VendError('BadRequest', 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  // Credentials and tokens must not be kept by any cache between here and the client.
  sendBody(res, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)), { 'cache-control': 'no-store', pragma: 'no-cache', ...headers }, 'GET');
}

function sendBody(res: ServerResponse, status: number, type: string, body: Buffer, headers: Readonly<Record<string, string>>, method: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(body.length), ...headers });
  res.end(method === 'HEAD' ? undefined : body);
}

function internal(log: Logger, err: unknown): VendError {
  log.error('vend: internal error', { error: err instanceof Error ? err.message : String(err) });
  return new VendError('InternalError', 'The vending service failed; see its log.');
}
