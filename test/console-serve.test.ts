// The web console's static route (/-/console/): security headers, content types, ETag/304, refusal of
// anything that is not one of its files, and no inline script or style in what it serves.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

function consoleFiles(dir = CONSOLE_DIR): string[] {
  return readdirSync(dir).flatMap((n) => {
    const full = join(dir, n);
    return statSync(full).isDirectory() ? consoleFiles(full) : [relative(CONSOLE_DIR, full).split('\\').join('/')];
  });
}

/** CSP directives as a map; fails unless every one the console promises is there, as strict or stricter. */
function assertStrictCsp(res: RawResponse): void {
  const csp = String(res.headers['content-security-policy'] ?? '');
  const d = new Map(csp.split(';').map((x) => x.trim()).filter(Boolean).map((x) => {
    const [name, ...values] = x.split(/\s+/);
    return [name!, values] as const;
  }));
  assert.ok(["'none'", "'self'"].includes(d.get('default-src')?.join(' ') ?? ''), `default-src in ${csp}`);
  assert.deepEqual(d.get('script-src'), ["'self'"], csp);
  assert.deepEqual(d.get('style-src'), ["'self'"], csp);
  assert.deepEqual(d.get('connect-src'), ["'self'"], csp);
  assert.deepEqual(d.get('frame-ancestors'), ["'none'"], csp);
  assert.deepEqual(d.get('base-uri'), ["'none'"], csp);
  assert.deepEqual(d.get('form-action'), ["'self'"], csp);
  assert.ok((d.get('img-src') ?? []).every((v) => v === "'self'" || v === 'data:'), csp);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
}

describe('console static route', () => {
  let srv: TestServer;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    rawRequest(srv.port, { method, path, headers: { host: `127.0.0.1:${srv.port}`, ...headers } });
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  it('redirects /-/console to /-/console/ and serves index.html there', async () => {
    const r = await get('/-/console');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/-/console/');
    assertStrictCsp(r);
    const index = await get('/-/console/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.body.toString('utf8'), readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'));
    assertStrictCsp(index);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['cache-control'], 'no-cache');
  });

  it('serves every file of the console folder with its content type and security headers', async () => {
    const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    const files = consoleFiles();
    assert.ok(files.includes('js/app.js') && files.includes('console.css'));
    // The folder's tooling (tsconfig.json) is not part of the site.
    assert.equal((await get('/-/console/tsconfig.json')).status, 404);
    for (const f of files.filter((x) => !x.endsWith('.json'))) {
      const r = await get(`/-/console/${f}`);
      assert.equal(r.status, 200, f);
      assert.equal(r.headers['content-type'], types[f.split('.').pop()!], f);
      assert.deepEqual(r.body, readFileSync(join(CONSOLE_DIR, f)), f);
      assert.match(String(r.headers.etag), /^"[A-Za-z0-9_-]+"$/);
      assertStrictCsp(r);
    }
  });

  it('answers If-None-Match with 304 and no body; HEAD with the length and no body', async () => {
    const first = await get('/-/console/js/api.js');
    const etag = String(first.headers.etag);
    const again = await get('/-/console/js/api.js', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    assertStrictCsp(again);
    assert.equal((await get('/-/console/js/api.js', { 'if-none-match': `W/${etag}, "other"` })).status, 304);
    const stale = await get('/-/console/js/api.js', { 'if-none-match': '"not-it"' });
    assert.equal(stale.status, 200);
    assert.deepEqual(stale.body, first.body);
    const head = await get('/-/console/js/api.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(first.body.length));
    assert.equal(head.body.length, 0);
  });

  it('refuses traversal, encoded dots and slashes, backslashes, absolute and hidden paths with 404', async () => {
    const attempts = [
      '/-/console/../package.json',
      '/-/console/../../package.json',
      '/-/console/%2e%2e%2fpackage.json',
      '/-/console/%2E%2E/package.json',
      '/-/console/..%2fpackage.json',
      '/-/console/js/%2e%2e%2f%2e%2e%2fpackage.json',
      '/-/console/js/..\\..\\package.json',
      '/-/console/..\\package.json',
      '/-/console//etc/passwd',
      '/-/console/%2fetc%2fpasswd',
      '/-/console/%5c..%5cpackage.json',
      '/-/console/js/../index.html',
      '/-/console/./index.html',
      '/-/console/.gitignore',
      '/-/console/index.html%00.js',
      '/-/console/lib/policy/compile.js',
      '/-/console/lib/policy/parse.js.map',
      '/-/console/lib/policy/../../../src/server.js',
      '/-/console/lib/../js/app.js',
    ];
    for (const path of attempts) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.toString(), 'Not Found\n', path);
      assertStrictCsp(r);
    }
  });

  it('answers unknown files with 404 and other methods with 405', async () => {
    const r = await get('/-/console/nope.js');
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    const post = await get('/-/console/index.html', { 'content-length': '0' }, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    // Paths that only look similar are not the console's.
    assert.notEqual((await get('/-/consolex')).headers['content-security-policy'], (await get('/-/console/')).headers['content-security-policy']);
  });

  it('has no inline script, inline style, event-handler attribute or javascript: URL in any HTML', async () => {
    const html = consoleFiles().filter((f) => f.endsWith('.html'));
    assert.ok(html.length > 0);
    for (const f of html) {
      const text = (await get(`/-/console/${f}`)).body.toString('utf8');
      for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(m[1]!, /\bsrc=/, `${f}: a <script> without src`);
        assert.equal(m[2]!.trim(), '', `${f}: inline script`);
      }
      assert.doesNotMatch(text, /<style\b/i, `${f}: <style>`);
      assert.doesNotMatch(text, /\sstyle\s*=/i, `${f}: style attribute`);
      assert.doesNotMatch(text, /\son[a-z]+\s*=/i, `${f}: event-handler attribute`);
      assert.doesNotMatch(text, /javascript:/i, `${f}: javascript: URL`);
    }
    // Nor does the script build markup from strings or evaluate code.
    for (const f of consoleFiles().filter((x) => x.endsWith('.js'))) {
      const code = readFileSync(join(CONSOLE_DIR, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('style'|\b(localStorage|sessionStorage|indexedDB)\s*[.[]|document\.cookie/, f);
    }
  });

  it('serves the server\'s own policy validator, browser-loadable (no node: or package imports)', async () => {
    const parse = await get('/-/console/lib/policy/parse.js');
    assert.equal(parse.status, 200);
    assert.equal(parse.headers['content-type'], 'text/javascript; charset=utf-8');
    const text = parse.body.toString('utf8');
    assert.match(text, /export function parsePolicy\(/);
    const compiled = readFileSync(fileURLToPath(new URL('../src/policy/parse.js', import.meta.url)), 'utf8');
    assert.equal(text, compiled.replace(/^\/\/# sourceMappingURL=.*$/m, ''));
    const seen = new Set<string>();
    const queue = ['parse.js'];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const r = await get(`/-/console/lib/policy/${name}`);
      assert.equal(r.status, 200, name);
      const body = r.body.toString('utf8');
      assert.doesNotMatch(body, /sourceMappingURL/);
      for (const m of body.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)) {
        assert.match(m[1]!, /^\.\/[A-Za-z0-9_-]+\.js$/, `${name} imports ${m[1]}`);
        queue.push(m[1]!.slice(2));
      }
    }
    assert.ok(seen.has('ip.js') && seen.has('types.js'));
  });

  it('its JavaScript type-checks (// @ts-check, JSDoc) against the DOM library', async () => {
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    const out = await promisify(execFile)(process.execPath, [tsc, '-p', join(CONSOLE_DIR, 'tsconfig.json')]).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    assert.equal(out, '');
    for (const f of consoleFiles().filter((x) => x.endsWith('.js'))) {
      assert.match(readFileSync(join(CONSOLE_DIR, f), 'utf8'), /^\/\/ @ts-check\n/, `${f} starts with // @ts-check`);
    }
  });
});
