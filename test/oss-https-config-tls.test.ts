// A bucket's TLS versions and cipher suites (PutBucketHttpsConfig, oss/bucket-tls.ts) against a real server that
// serves HTTP and HTTPS at once: ali-oss over TLS 1.2 and TLS 1.3 (and with chosen cipher suites) is refused with
// 403 AccessDenied where the bucket's configuration does not accept the connection, and served where it does;
// plain HTTP, other buckets and service requests are not subject to it; authorization comes first.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, get as httpsGet, type AgentOptions } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { bucketXml } from './helpers/bucket-xml.js';
import { httpsClient, TLS_CERT, TLS_KEY } from './helpers/ops.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'tls-versions';
const OTHER = 'tls-anything';

/** An https agent trusting the fixture, held to `opts` (a TLS version, cipher suites). */
const agent = (opts: AgentOptions): Agent => new Agent({ ca: readFileSync(TLS_CERT), keepAlive: false, ...opts });
const TLS12: AgentOptions = { maxVersion: 'TLSv1.2' };
const TLS13: AgentOptions = { minVersion: 'TLSv1.3' };

/** An anonymous GET over https held to `opts`: status and body. */
function anonymousGet(url: string, opts: AgentOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { agent: agent(opts) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const httpsConfig = (inner: string): string => `<HttpsConfiguration>${inner}</HttpsConfiguration>`;
const versions = (...v: string[]): string => `<TLS><Enable>true</Enable>${v.map((x) => `<TLSVersion>${x}</TLSVersion>`).join('')}</TLS>`;

describe('PutBucketHttpsConfig on the request path', () => {
  let srv: TestServer;
  /** The owner over plain HTTP: sets the configurations, never subject to them. */
  let plain: OSS;
  const over = (opts: AgentOptions, bucket: string | undefined = BUCKET, more: Partial<OSS.Options> = {}): OSS =>
    httpsClient(srv.httpsUrl!, { ...(bucket !== undefined ? { bucket } : {}), httpsAgent: agent(opts), ...more } as Partial<OSS.Options>);
  const configure = (inner: string) => bucketXml(plain, 'PUT', BUCKET, 'httpsConfig', httpsConfig(inner));

  before(async () => {
    srv = await startTestServer({ tls: { cert: TLS_CERT, key: TLS_KEY, port: 0 } });
    plain = srv.client({ bucket: BUCKET });
    await plain.putBucket(BUCKET);
    await plain.putBucket(OTHER);
    await plain.put('doc.txt', Buffer.from('tls bytes'));
    await srv.client({ bucket: OTHER }).put('doc.txt', Buffer.from('other bytes'));
  });
  after(async () => {
    await srv?.stop();
  });

  it('TLS versions: a version the bucket does not list is refused (403 AccessDenied), a listed one served; off, all are served', async () => {
    assert.equal((await over(TLS12).get('doc.txt')).content.toString(), 'tls bytes');
    await configure(versions('TLSv1.3'));
    const refused = await expectOssError(over(TLS12).get('doc.txt'), 'AccessDenied', 403);
    // It names what the caller's own connection used, and nothing of the configuration.
    assert.equal(refused.message, 'The bucket does not accept requests over TLSv1.2.');
    assert.equal((await over(TLS13).get('doc.txt')).content.toString(), 'tls bytes');
    // Every operation on the bucket: a write over TLS 1.2 stores nothing.
    await expectOssError(over(TLS12).put('new.txt', Buffer.from('x')), 'AccessDenied', 403);
    await expectOssError(plain.head('new.txt'), 'NoSuchKey', 404);
    await expectOssError(bucketXml(over(TLS12), 'GET', BUCKET, 'httpsConfig'), 'AccessDenied', 403);
    // Plain HTTP, another bucket and the service (ListBuckets) are not subject to it.
    assert.equal((await plain.get('doc.txt')).content.toString(), 'tls bytes');
    assert.equal((await over(TLS12, OTHER).get('doc.txt')).content.toString(), 'other bytes');
    const listed = (await over(TLS12, undefined).listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.ok(listed.buckets.some((b) => b.name === BUCKET));

    await configure(versions('TLSv1.2', 'TLSv1.3'));
    assert.equal((await over(TLS12).get('doc.txt')).content.toString(), 'tls bytes');
    await configure(versions('TLSv1.2'));
    await expectOssError(over(TLS13).get('doc.txt'), 'AccessDenied', 403);
    // Enable false turns the control off (the versions it names no longer matter).
    await configure('<TLS><Enable>false</Enable></TLS>');
    assert.equal((await over(TLS13).get('doc.txt')).content.toString(), 'tls bytes');
    assert.equal((await over(TLS12).get('doc.txt')).content.toString(), 'tls bytes');
  });

  it('authorization comes first: a caller not allowed the operation learns nothing of the TLS configuration', async () => {
    await configure(versions('TLSv1.3'));
    const ram = new Ram(srv);
    const lister = await ram.userWith('tls-lister', policyDoc({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`] }));
    const creds = { accessKeyId: lister.accessKeyId, accessKeySecret: lister.accessKeySecret };
    const denied = await expectOssError(over(TLS12, BUCKET, creds).get('doc.txt'), 'AccessDenied', 403);
    assert.doesNotMatch(denied.message, /TLS/);
    const anonymous = await anonymousGet(`${srv.httpsUrl!.replace('127.0.0.1', 'localhost')}/${BUCKET}/doc.txt`, TLS12);
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.body, /<Code>AccessDenied<\/Code>/);
    assert.doesNotMatch(anonymous.body, /TLS/);
    // Allowed, it is refused over TLS 1.2 like the owner, and served over TLS 1.3.
    await expectOssError(over(TLS12, BUCKET, creds).list({ 'max-keys': 1 }, {}), 'AccessDenied', 403);
    assert.equal((await over(TLS13, BUCKET, creds).list({ 'max-keys': 1 }, {})).objects.length, 1);
    await expectOssError(over(TLS12, 'tls-no-such-bucket').get('doc.txt'), 'NoSuchBucket', 404);
    await configure('<TLS><Enable>false</Enable></TLS>');
  });

  it('custom cipher suites: CustomCipherSuite for TLS 1.2 connections, TLS13CustomCipherSuite for TLS 1.3 ones', async () => {
    await configure('<TLS><Enable>false</Enable></TLS><CipherSuite><Enable>true</Enable><StrongCipherSuite>false</StrongCipherSuite>' +
      '<CustomCipherSuite>ECDHE-RSA-AES128-GCM-SHA256</CustomCipherSuite><TLS13CustomCipherSuite>TLS_AES_128_GCM_SHA256</TLS13CustomCipherSuite></CipherSuite>');
    const refused = await expectOssError(over({ ...TLS12, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }).get('doc.txt'), 'AccessDenied', 403);
    assert.equal(refused.message, 'The bucket does not accept requests with the cipher suite ECDHE-RSA-AES256-GCM-SHA384.');
    assert.equal((await over({ ...TLS12, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }).get('doc.txt')).content.toString(), 'tls bytes');
    await expectOssError(over({ ...TLS13, ciphers: 'TLS_AES_256_GCM_SHA384' }).get('doc.txt'), 'AccessDenied', 403);
    assert.equal((await over({ ...TLS13, ciphers: 'TLS_AES_128_GCM_SHA256' }).get('doc.txt')).content.toString(), 'tls bytes');
    // CipherSuite Enable false: every suite (OSS's default).
    await configure('<TLS><Enable>false</Enable></TLS><CipherSuite><Enable>false</Enable></CipherSuite>');
    assert.equal((await over({ ...TLS12, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }).get('doc.txt')).content.toString(), 'tls bytes');
  });

  it('strong cipher suites: forward-secret AEAD ones only', async () => {
    await configure('<TLS><Enable>false</Enable></TLS><CipherSuite><Enable>true</Enable><StrongCipherSuite>true</StrongCipherSuite></CipherSuite>');
    await expectOssError(over({ ...TLS12, ciphers: 'AES128-GCM-SHA256' }).get('doc.txt'), 'AccessDenied', 403);
    await expectOssError(over({ ...TLS12, ciphers: 'ECDHE-RSA-AES128-SHA256' }).get('doc.txt'), 'AccessDenied', 403);
    assert.equal((await over({ ...TLS12, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }).get('doc.txt')).content.toString(), 'tls bytes');
    assert.equal((await over(TLS13).get('doc.txt')).content.toString(), 'tls bytes');
    await configure('<TLS><Enable>false</Enable></TLS>');
  });
});
