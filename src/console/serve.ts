import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OssResponse } from '../oss/context.js';

// The web console's static files under /-/console/: the top-level `console/` folder (plain ES modules,
// CSS, HTML), plus the server's own policy validator (dist/src/policy/parse.js and the modules it
// imports) under /-/console/lib/policy/, so the editor validates with exactly the server's rules.
// Only names found in those two places are served; anything else is 404, so no request path ever
// becomes a file path.

export const CONSOLE_PREFIX = '/-/console/';

/** Headers on every console answer, including 404s and redirects. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A path segment we could have put there ourselves: no dot files, no `..`, no escapes or backslashes. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface ConsoleOptions {
  /** The console folder (default: `console/` at the repository root, found from this module). */
  root?: string;
  /** Where the compiled policy modules are (default: this module's `../policy/`). */
  policyDir?: string;
  /**
   * The root keys, only when they are the well-known development defaults (printed at start anyway): the
   * sign-in page then offers them in one click. Any other keys are never given to the console.
   */
  devKeys?: { readonly accessKeyId: string; readonly accessKeySecret: string };
}

/** `/-/console/config`: what the sign-in page may know before anyone signs in (no secret but the public dev one). */
export const CONSOLE_CONFIG_PATH = '/-/console/config';

function configResponse(opts: ConsoleOptions): OssResponse {
  const body = opts.devKeys
    ? { devKeys: true, accessKeyId: opts.devKeys.accessKeyId, accessKeySecret: opts.devKeys.accessKeySecret }
    : { devKeys: false };
  return {
    status: 200,
    headers: { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function file(body: Buffer, name: string): StaticFile {
  return {
    body,
    contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/** Every servable file below `root`, by its `/`-joined relative name. */
function walk(root: string, rel = '', out = new Map<string, StaticFile>()): Map<string, StaticFile> {
  let names: string[];
  try {
    names = readdirSync(join(root, rel));
  } catch {
    return out;
  }
  for (const name of names) {
    if (!SAFE_SEGMENT.test(name)) continue;
    const relName = rel === '' ? name : `${rel}/${name}`;
    const full = join(root, relName);
    const st = statSync(full);
    if (st.isDirectory()) walk(root, relName, out);
    else if (st.isFile() && CONTENT_TYPES[extname(name)] !== undefined) out.set(relName, file(readFileSync(full), name));
  }
  return out;
}

const RELATIVE_IMPORT = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g;

/**
 * parse.js and its relative imports, each only if it imports nothing but siblings (no `node:` or
 * package imports, which a browser could not load). Source-map comments are dropped (no .map is served).
 */
function policyModules(dir: string): Map<string, StaticFile> {
  const out = new Map<string, StaticFile>();
  const texts = new Map<string, string>();
  const queue = ['parse.js'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (texts.has(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      return new Map();
    }
    texts.set(name, text);
    for (const m of text.matchAll(RELATIVE_IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      const sibling = /^\.\/([A-Za-z0-9_-]+\.js)$/.exec(spec);
      if (!sibling) return new Map(); // not browser-loadable: serve none, the editor falls back to the server
      queue.push(sibling[1]!);
    }
  }
  for (const [name, text] of texts) {
    out.set(`lib/policy/${name}`, file(Buffer.from(text.replace(/^\/\/# sourceMappingURL=.*$/m, ''), 'utf8'), name));
  }
  return out;
}

function plain(status: number, text: string, extra: Record<string, string> = {}): OssResponse {
  return { status, headers: { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra }, body: text };
}

function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * The `/-/console` route for the `internal` handler: null for paths it does not own. Files are read
 * once, on first use, and kept in memory (the console is a few dozen KiB).
 */
export function createConsoleRoute(opts: ConsoleOptions = {}): (path: string, req: IncomingMessage) => OssResponse | null {
  const root = opts.root ?? fileURLToPath(new URL('../../../console/', import.meta.url));
  const policyDir = opts.policyDir ?? fileURLToPath(new URL('../policy/', import.meta.url));
  let files: Map<string, StaticFile> | undefined;
  const load = (): Map<string, StaticFile> => {
    files ??= new Map([...walk(root), ...policyModules(policyDir)]);
    return files;
  };

  return (path, req) => {
    if (path === '/-/console') {
      return { status: 301, headers: { ...CONSOLE_SECURITY_HEADERS, Location: CONSOLE_PREFIX, 'Cache-Control': 'no-store' } };
    }
    if (!path.startsWith(CONSOLE_PREFIX)) return null;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return plain(405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    if (path === CONSOLE_CONFIG_PATH) return configResponse(opts);
    const rest = path.slice(CONSOLE_PREFIX.length);
    const name = rest === '' ? 'index.html' : rest;
    const found = name.split('/').every((s) => SAFE_SEGMENT.test(s) && !s.includes('..')) ? load().get(name) : undefined;
    if (!found) return plain(404, 'Not Found\n');
    // Content-Length stated here so HEAD and 304 answers carry the real length, not 0.
    const headers = {
      ...CONSOLE_SECURITY_HEADERS, 'Content-Type': found.contentType, 'Content-Length': String(found.body.length), ETag: found.etag, 'Cache-Control': 'no-cache',
    };
    if (etagMatches(req.headers['if-none-match'], found.etag)) return { status: 304, headers };
    return { status: 200, headers, body: found.body };
  };
}
