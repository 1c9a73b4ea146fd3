// Red team (helper 5, 7 Dec 2026 night): upload callbacks naming hosts whose DNS never answers.
//
// Found: a callback host not on the allow-list was resolved with dns.lookup, i.e. getaddrinfo on libuv's thread
// pool, where libuv runs at most two such calls at once for the whole process and cannot cancel one. A name whose
// DNS server never answers holds its call ~10 s (resolv.conf's default 5 s × 2 tries), long after the callback
// itself gave up (5 s). Measured against a server whose resolver was a UDP black hole (a private mount namespace
// with its own resolv.conf): 20 anonymous PUTs to a public-read-write bucket, each with a callback to another such
// name, and for ~100 s every other upload's callback, to a host that resolves at once, answered 203 CallbackFailed
// "Cost too long time." (async fetch sources and OIDC key fetches wait in the same queue); 1,000 such PUTs, ~80 min.
// File I/O was not held up (libuv keeps the other half of the pool for it): the health check, GETs and PUTs
// answered in milliseconds throughout.
// Fixed: such hosts are resolved by DNS alone (c-ares, A and AAAA at once, each query given up after 5 s), off the
// thread pool; hosts on the allow-list (the operator's own names, /etc/hosts included) keep getaddrinfo.
//
// The same held for OIDC issuers (an account's providers, whose keys AssumeRoleWithOIDC fetches for anyone holding a
// token that names them): issuer hosts are now asked of DNS first, and only a name DNS does not know (an /etc/hosts
// host) goes to getaddrinfo, one at a time.
//
// The test points the server's public lookups at a DNS server that never answers (callbacks.dnsServer) and checks
// that the slow names are asked there, with a deadline, while a callback to an allowed host is delivered at once.
// Before the fix the names went to the system's getaddrinfo: never asked here (and, where the system's DNS is
// slow or unreachable, queued in front of the allowed host's lookup).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { eventually } from './helpers/eventually.js';
import { anonymousSts, ims, oidcProviderArn, signingKey, TLS_FINGERPRINT } from './helpers/federation.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'callback-dns';
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');

/** A DNS server that reads every question and answers none: counts the names asked. */
async function blackHoleDns(): Promise<{ address: string; asked: Map<string, number>; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  const asked = new Map<string, number>();
  socket.on('message', (msg) => {
    const labels: string[] = [];
    for (let at = 12; at < msg.length && msg[at]! > 0; at += 1 + msg[at]!) labels.push(msg.subarray(at + 1, at + 1 + msg[at]!).toString('latin1'));
    const name = labels.join('.').toLowerCase();
    asked.set(name, (asked.get(name) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    asked,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** An anonymous PUT on its own connection: status and error code. */
function put(port: number, key: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/${BUCKET}/${key}`, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('x');
  });
}

describe('redteam: callback hosts and OIDC issuers whose DNS never answers', () => {
  let srv: TestServer;
  let dns: Awaited<ReturnType<typeof blackHoleDns>>;
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  const allowedCallback = (key: string): Promise<{ status: number; body: string }> =>
    put(srv.port, key, { 'x-oss-callback': b64({ callbackUrl: `http://localhost:${(receiver.address() as AddressInfo).port}/${key}`, callbackBody: 'k=${object}' }) });

  before(async () => {
    dns = await blackHoleDns();
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    srv = await startTestServer({ callbacks: { allowHosts: ['localhost'], dnsServer: dns.address }, oidc: { dnsServer: dns.address } });
    const c = srv.client();
    await c.putBucket(BUCKET);
    await c.putBucketACL(BUCKET, 'public-read-write');
  });
  after(async () => {
    await srv?.stop();
    await dns?.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  test('anonymous uploads with callbacks to 12 such names do not hold up a callback to an allowed host', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `slow${i}.callback-dns.example`);
    const slow = names.map((name, i) => put(srv.port, `slow-${i}`, { 'x-oss-callback': b64({ callbackUrl: `http://${name}/cb`, callbackBody: 'k=${object}' }) }));
    // Every slow name's lookup is under way (asked of the DNS server, which will not answer) before the next upload.
    await eventually(() => names.every((n) => (dns.asked.get(n) ?? 0) > 0), 'each slow name asked of the configured DNS server (not queued in getaddrinfo)');

    const ok = await allowedCallback('allowed');
    assert.equal(ok.status, 200, `the allowed host's callback is delivered while the slow lookups wait: ${ok.body}`);
    assert.deepEqual(received, ['/allowed']);

    // The slow ones end as CallbackFailed at the callback's deadline, their objects stored.
    for (const r of await Promise.all(slow)) {
      assert.equal(r.status, 203, r.body);
      assert.match(r.body, /<Code>CallbackFailed<\/Code>/);
    }
    const head = await srv.client({ bucket: BUCKET }).head('slow-0');
    assert.equal(head.status, 200);
  });

  test('AssumeRoleWithOIDC through 12 providers whose issuers never answer does not hold up an allowed callback', async () => {
    const key = await signingKey('k1', 'RS256');
    const issuers = Array.from({ length: 12 }, (_, i) => `https://issuer${i}.oidc-dns.example`);
    for (const [i, issuer] of issuers.entries()) {
      await ims(srv, 'CreateOIDCProvider', { OIDCProviderName: `slow${i}`, IssuerUrl: issuer, ClientIds: 'sts.aliyuncs.com', Fingerprints: TLS_FINGERPRINT });
    }
    const now = Math.floor(Date.now() / 1000);
    const assumes = issuers.map(async (issuer, i) => {
      const token = await new SignJWT({ iss: issuer, sub: 'x', aud: 'sts.aliyuncs.com', iat: now, exp: now + 600 })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
        .sign(key.privateKey);
      return anonymousSts(srv, 'AssumeRoleWithOIDC', {
        OIDCProviderArn: oidcProviderArn(`slow${i}`), RoleArn: `acs:ram::${ACCOUNT_ID}:role/nobody`, OIDCToken: token, RoleSessionName: 'ci-session',
      });
    });
    await eventually(() => issuers.every((u) => (dns.asked.get(new URL(u).hostname) ?? 0) > 0), 'each issuer asked of the configured DNS server (not queued in getaddrinfo)');

    const ok = await allowedCallback('allowed-oidc');
    assert.equal(ok.status, 200, `the allowed host's callback is delivered while the issuers' lookups wait: ${ok.body}`);
    assert.ok(received.includes('/allowed-oidc'));
    for (const r of await Promise.all(assumes)) assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
  });
});
