// HTTPS: ali-oss round trips against https://, HTTP and HTTPS side by side (--https-port) with
// acs:SecureTransport telling them apart, and clear start-up errors for bad certificate files.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failingStart, fixtureAgent, httpsClient, spawnOps, TLS_CERT, TLS_KEY } from './helpers/ops.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'tls-b';

/** GET over https trusting the fixture; resolves with status and body. */
function fetchTls(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { agent: fixtureAgent() }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('HTTPS only (--cert/--key)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ tls: { cert: TLS_CERT, key: TLS_KEY } });
  });
  after(async () => srv.stop());

  it('ali-oss PUT/GET/list over https', async () => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(srv.httpsUrl, undefined);
    await httpsClient(srv.url).putBucket(BUCKET);
    const oss = httpsClient(srv.url, { bucket: BUCKET });
    // Several read blocks: on plain TCP the later ones would go by sendfile, which TLS must never use.
    const body = randomBytes(2 * 1024 * 1024 + 5);
    await oss.put('big.bin', body);
    assert.deepEqual((await oss.get('big.bin')).content, body);
    assert.deepEqual((await oss.list({ 'max-keys': 10 }, {})).objects.map((o) => o.name), ['big.bin']);
  });

  it('a client that does not trust the certificate is refused by TLS; plain HTTP gets no answer', async () => {
    await assert.rejects(fetch(`${srv.url}/-/health`)); // self-signed: refused by the client
    await assert.rejects(fetch(srv.url.replace('https:', 'http:') + '/-/health'));
  });
});

describe('HTTP and HTTPS at once (--https-port)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ tls: { cert: TLS_CERT, key: TLS_KEY, port: 0 } });
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).put('doc.txt', Buffer.from('both ports'));
  });
  after(async () => srv.stop());

  it('the same server on both ports; acs:SecureTransport is true only over TLS', async () => {
    assert.match(srv.url, /^http:\/\//);
    assert.match(srv.httpsUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(srv.httpsUrl!).port, String(srv.port));
    assert.equal((await httpsClient(srv.httpsUrl!, { bucket: BUCKET }).get('doc.txt')).content.toString(), 'both ports');

    const ram = new Ram(srv);
    const u = await ram.userWith('tls-only', policyDoc({
      Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*`, Condition: { Bool: { 'acs:SecureTransport': 'true' } },
    }));
    const secure = httpsClient(srv.httpsUrl!, { bucket: BUCKET, accessKeyId: u.accessKeyId, accessKeySecret: u.accessKeySecret });
    assert.equal((await secure.get('doc.txt')).content.toString(), 'both ports');
    await expectOssError(u.oss(BUCKET).get('doc.txt'), 'AccessDenied', 403);
  });
});

describe('bin/alunite server with TLS', () => {
  it('--https-port prints both listening lines and serves both', async () => {
    const s = await spawnOps(['--in-memory', '--cert', TLS_CERT, '--key', TLS_KEY, '--https-port', '0'], 2);
    try {
      const [http, https] = s.urls as [string, string];
      assert.match(http, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(https, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${http}/-/health`)).status, 200);
      const h = await fetchTls(`${https.replace('127.0.0.1', 'localhost')}/-/health`);
      assert.equal(h.status, 200);
      assert.equal(JSON.parse(h.body).status, 'ok');
      await httpsClient(https).putBucket('spawned-tls');
      assert.ok((await fetch(`${http}/-/metrics`)).ok);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });

  it('the environment works like the flags', async () => {
    const s = await spawnOps(['--in-memory'], 1, { ALUNITE_TLS_CERT: TLS_CERT, ALUNITE_TLS_KEY: TLS_KEY });
    try {
      assert.match(s.urls[0]!, /^https:\/\//);
      assert.equal((await fetchTls(`${s.urls[0]!.replace('127.0.0.1', 'localhost')}/-/health`)).status, 200);
    } finally {
      await s.stop();
    }
  });

  it('bad certificate files stop start-up with a message naming the file', async () => {
    const missing = await failingStart(['--cert', '/nonexistent/cert.pem', '--key', TLS_KEY]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the TLS certificate \/nonexistent\/cert\.pem: ENOENT/);

    const notCert = await failingStart(['--cert', TLS_KEY, '--key', TLS_KEY]);
    assert.equal(notCert.code, 1);
    assert.ok(notCert.stderr.includes(`the TLS certificate ${TLS_KEY} is not a PEM certificate`), notCert.stderr);

    const notKey = await failingStart(['--cert', TLS_CERT, '--key', TLS_CERT]);
    assert.equal(notKey.code, 1);
    assert.ok(notKey.stderr.includes(`the TLS private key ${TLS_CERT} is not a PEM private key`), notKey.stderr);

    const dir = await mkdtemp(join(tmpdir(), 'alunite-tls-'));
    try {
      const otherKey = join(dir, 'other-key.pem');
      await writeFile(otherKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const mismatch = await failingStart(['--cert', TLS_CERT, '--key', otherKey]);
      assert.equal(mismatch.code, 1);
      assert.ok(mismatch.stderr.includes(`the TLS private key ${otherKey} does not belong to the certificate ${TLS_CERT}`), mismatch.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Flags that do not go together are usage errors: exit 2 (docs/cli.md "Output and exit codes").
    const half = await failingStart(['--cert', TLS_CERT]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--cert and --key .* go together/);

    const portOnly = await failingStart(['--https-port', '0']);
    assert.equal(portOnly.code, 2);
    assert.match(portOnly.stderr, /--https-port .* needs --cert and --key/);
  });

  it('an audit log that cannot be opened stops start-up with a message naming the file', async () => {
    const r = await failingStart(['--audit-log', '/nonexistent/dir/audit.log']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot open the audit log \/nonexistent\/dir\/audit\.log: ENOENT/);
  });
});
