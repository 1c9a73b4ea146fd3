// CNAMEs that take effect (docs/stored-configurations.md#cnames-implemented): PutCname proves ownership (a TXT record
// `_dnsauth.<domain>` holding the bucket's CreateCnameToken token, or the token alone in `token` mode), a domain is
// bound to one bucket of any account, and requests whose Host is a bound domain act on its bucket, as ali-oss with
// `cname: true` sends them. Runs on SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { startTxtServer, type TxtServer } from './helpers/dns-txt.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { failsWith, signedRequest, succeeds, type SignedReply } from './helpers/signed.js';
import { AK, SECRET, startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';

const B = '2234567890123456';
const B_KEYS: [string, string] = ['LTAI5tCnameAccountBKey00', 'CnameAccountBSecretKey1234567'];
const HOSTNAME = 'oss.alunite.test';

const cnameBody = (domain: string): string => `<BucketCnameConfiguration><Cname><Domain>${domain}</Domain></Cname></BucketCnameConfiguration>`;

/** Every name resolves to 127.0.0.1: the domains reach the test server without DNS. */
const loopbackAgent = new Agent({
  lookup: ((_host: string, opts: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    if (opts.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as never,
});

function harness(srv: () => TestServer) {
  const call = (bucket: string, method: string, query: Array<[string, string]>, body?: string, creds?: [string, string]): Promise<SignedReply> =>
    signedRequest(srv().port, method, bucket, null, query, { ...(body !== undefined ? { body } : {}), ...(creds ? { creds } : {}) });
  return {
    token: async (bucket: string, domain: string, creds?: [string, string]): Promise<string> => {
      const r = succeeds(await call(bucket, 'POST', [['cname', ''], ['comp', 'token']], cnameBody(domain), creds));
      return /<Token>([^<]+)<\/Token>/.exec(r.text)![1]!;
    },
    put: (bucket: string, domain: string, creds?: [string, string]) => call(bucket, 'POST', [['cname', ''], ['comp', 'add']], cnameBody(domain), creds),
    del: (bucket: string, domain: string, creds?: [string, string]) => call(bucket, 'POST', [['cname', ''], ['comp', 'delete']], cnameBody(domain), creds),
    list: async (bucket: string, creds?: [string, string]) => succeeds(await call(bucket, 'GET', [['cname', '']], undefined, creds)).text,
    /** ali-oss as an app configures it for a custom domain: `cname: true`, the domain as its endpoint. */
    viaDomain: (domain: string, bucket: string, creds: [string, string] = [AK, SECRET]) => new OSS({
      endpoint: `http://${domain}:${srv().port}`, cname: true, bucket, region: 'oss-cn-hangzhou',
      accessKeyId: creds[0], accessKeySecret: creds[1], agent: loopbackAgent, timeout: 60_000,
    } as OSS.Options),
    /** A V1-signed GET with `Host: <host>` and the path as given; the signature names `/<bucket>/<key>` (spec §3.4). */
    rawGet: async (host: string, path: string, bucket: string, key: string) => {
      const headers: Record<string, string> = { host: `${host}:${srv().port}`, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method: 'GET', bucket, key, query: [], headers }, AK, SECRET).authorization;
      const res = await rawRequest(srv().port, { method: 'GET', path, headers });
      return { status: res.status, text: res.body.toString('utf8'), err: errorOf(res) };
    },
  };
}

describe('CNAME (token mode): bound domains route to their bucket, one bucket per domain across accounts', () => {
  let srv: TestServer;
  const h = harness(() => srv);

  before(async () => {
    srv = await startTestServer({ cname: { verification: 'token' }, hostnames: [HOSTNAME] });
    await srv.accounts.create({ accountId: B, name: 'cname-b', accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] });
    await srv.client().putBucket('cname-a');
    await srv.client().putBucket('cname-a2');
    await srv.client(({ accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] })).putBucket('cname-b');
  });
  after(async () => {
    await srv.stop();
  });

  it('PutCname without a live token: NeedVerifyDomainOwnership, nothing bound', async () => {
    failsWith(await h.put('cname-a', 'cdn.example.test'), 'NeedVerifyDomainOwnership', 403);
    assert.ok(!(await h.list('cname-a')).includes('cdn.example.test'));
  });

  it('with a token: bound; ali-oss with cname:true puts, gets and lists through the domain', async () => {
    const token = await h.token('cname-a', 'cdn.example.test');
    // A live token is answered again (the cloud's documented behaviour), so a TXT record already set keeps matching.
    assert.equal(await h.token('cname-a', 'cdn.example.test'), token);
    succeeds(await h.put('cname-a', 'cdn.example.test'));
    assert.ok((await h.list('cname-a')).includes('<Domain>cdn.example.test</Domain>'));
    const oss = h.viaDomain('cdn.example.test', 'cname-a');
    await oss.put('dir/a.txt', Buffer.from('through the domain'));
    assert.equal(String((await oss.get('dir/a.txt')).content), 'through the domain');
    const listed = await oss.list({ prefix: 'dir/', 'max-keys': 10 }, {});
    assert.deepEqual(listed.objects.map((o) => o.name), ['dir/a.txt']);
    // The same object by the bucket's own name: the domain acted on the bucket.
    assert.equal(String((await srv.client({ bucket: 'cname-a' }).get('dir/a.txt')).content), 'through the domain');
    // Raw: Host with the port, upper-case letters; the path is the key.
    const raw = await h.rawGet('CDN.Example.test', '/dir/a.txt', 'cname-a', 'dir/a.txt');
    assert.equal(raw.status, 200, raw.text);
    assert.equal(raw.text, 'through the domain');
  });

  it('V4 signatures and presigned URLs through the domain', async () => {
    const v4 = new OSS({
      endpoint: `http://cdn.example.test:${srv.port}`, cname: true, bucket: 'cname-a', region: 'oss-cn-hangzhou',
      accessKeyId: AK, accessKeySecret: SECRET, agent: loopbackAgent, authorizationV4: true,
    } as OSS.Options);
    await v4.put('dir/v4.txt', Buffer.from('v4'));
    assert.equal(String((await v4.get('dir/v4.txt')).content), 'v4');
    const url = new URL(h.viaDomain('cdn.example.test', 'cname-a').signatureUrl('dir/a.txt', { expires: 600 }));
    assert.equal(url.host, `cdn.example.test:${srv.port}`);
    const got = await rawRequest(srv.port, { method: 'GET', path: `${url.pathname}${url.search}`, headers: { host: url.host } });
    assert.equal(got.status, 200, got.body.toString());
    assert.equal(got.body.toString(), 'through the domain');
  });

  it('an unbound domain is read path style, as before (the first path segment names the bucket)', async () => {
    const raw = await h.rawGet('nobody.example.test', '/cname-a/dir/a.txt', 'cname-a', 'dir/a.txt');
    assert.equal(raw.status, 200, raw.text);
    const missing = await h.rawGet('nobody.example.test', '/dir/a.txt', 'dir', 'a.txt');
    assert.equal(missing.err?.Code, 'NoSuchBucket', missing.text);
  });

  it('the server\'s own names and OSS names cannot be bound', async () => {
    for (const domain of [HOSTNAME, `cname-a.${HOSTNAME}`, 'cname-a.oss-cn-hangzhou.aliyuncs.com', 'example.aliyuncs.com']) {
      await h.token('cname-a', domain);
      failsWith(await h.put('cname-a', domain), 'InvalidArgument', 400);
    }
  });

  it('a domain bound to a bucket cannot be bound elsewhere: another bucket of the account, another account (409)', async () => {
    await h.token('cname-a2', 'cdn.example.test');
    failsWith(await h.put('cname-a2', 'cdn.example.test'), 'CnameAlreadyExists', 409);
    await h.token('cname-b', 'cdn.example.test', B_KEYS);
    const squat = failsWith(await h.put('cname-b', 'cdn.example.test', B_KEYS), 'CnameAlreadyExists', 409);
    assert.ok(!squat.text.includes('cname-a'), 'the holder, another account\'s bucket, is not named');
    assert.ok(!(await h.list('cname-b', B_KEYS)).includes('cdn.example.test'));
    assert.ok(!(await h.list('cname-a2')).includes('cdn.example.test'));
    // Still routed to the first bucket.
    assert.equal((await h.rawGet('cdn.example.test', '/dir/a.txt', 'cname-a', 'dir/a.txt')).status, 200);
  });

  it('two buckets claiming one domain at once: exactly one holds it', async () => {
    await h.token('cname-a2', 'race.example.test');
    await h.token('cname-b', 'race.example.test', B_KEYS);
    const [a, b] = await Promise.all([h.put('cname-a2', 'race.example.test'), h.put('cname-b', 'race.example.test', B_KEYS)]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409], `${a.text} ${b.text}`);
    const holders = [(await h.list('cname-a2')).includes('race.example.test'), (await h.list('cname-b', B_KEYS)).includes('race.example.test')];
    assert.deepEqual(holders, [a.status === 200, b.status === 200]);
    succeeds(await (a.status === 200 ? h.del('cname-a2', 'race.example.test') : h.del('cname-b', 'race.example.test', B_KEYS)));
  });

  it('DeleteCname unbinds: the domain stops routing and another account may bind it', async () => {
    succeeds(await h.del('cname-a', 'cdn.example.test'));
    const after = await h.rawGet('cdn.example.test', '/dir/a.txt', 'dir', 'a.txt');
    assert.equal(after.err?.Code, 'NoSuchBucket', after.text);
    succeeds(await h.put('cname-b', 'cdn.example.test', B_KEYS));
    const oss = h.viaDomain('cdn.example.test', 'cname-b', B_KEYS);
    await oss.put('b.txt', Buffer.from('b'));
    assert.equal(String((await srv.client({ bucket: 'cname-b', accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] }).get('b.txt')).content), 'b');
    // A's key through B's domain: A's request acts on B's bucket, where A may do nothing.
    const denied = await h.rawGet('cdn.example.test', '/b.txt', 'cname-b', 'b.txt');
    assert.equal(denied.err?.Code, 'AccessDenied', denied.text);
  });

  it('a static website served through its domain; multipart Location names the domain', async () => {
    const owner = srv.client({ bucket: 'cname-site' });
    await owner.putBucket('cname-site');
    await owner.putBucketACL('cname-site', 'public-read');
    await owner.putBucketWebsite('cname-site', { index: 'index.html' });
    await owner.put('index.html', Buffer.from('<p>docs</p>'), { headers: { 'Content-Type': 'text/html' } });
    await h.token('cname-site', 'www.site.test');
    succeeds(await h.put('cname-site', 'www.site.test'));
    // Anonymous, as a browser: the index document, by the domain alone.
    const page = await rawRequest(srv.port, { method: 'GET', path: '/', headers: { host: `www.site.test:${srv.port}` } });
    assert.equal(page.status, 200, page.body.toString());
    assert.equal(page.body.toString(), '<p>docs</p>');
    const oss = h.viaDomain('www.site.test', 'cname-site');
    const up = await oss.initMultipartUpload('big.bin');
    const part = await oss.uploadPart('big.bin', up.uploadId, 1, Buffer.alloc(1024, 1), 0, 1024);
    const done = await oss.completeMultipartUpload('big.bin', up.uploadId, [{ number: 1, etag: part.etag }]);
    const location = /<Location>([^<]+)<\/Location>/.exec(String((done.res as unknown as { data: Buffer }).data ?? ''))?.[1]
      ?? (done.data as { Location?: string } | undefined)?.Location;
    assert.equal(location, `http://www.site.test:${srv.port}/big.bin`);
  });

  it('an index entry left behind (the bucket deleted without unbinding) routes nowhere, not to a new bucket of that name, and gives way', async () => {
    await srv.client().putBucket('cname-stale');
    await h.token('cname-stale', 'stale.example.test');
    succeeds(await h.put('cname-stale', 'stale.example.test'));
    // Deleted in the store alone, as by a process that stopped between the deletion and the unbinding.
    assert.equal(await srv.meta.deleteBucket('cname-stale'), 'deleted');
    assert.notEqual(await srv.meta.getIndexEntry('cname', 'stale.example.test'), null);
    await srv.client(({ accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] })).putBucket('cname-stale');
    await srv.client(({ accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1], bucket: 'cname-stale' })).put('obj/x', Buffer.from('b'));
    const raw = await h.rawGet('stale.example.test', '/obj/x', 'obj', 'x');
    assert.equal(raw.err?.Code, 'NoSuchBucket', raw.text);
    await h.token('cname-a2', 'stale.example.test');
    succeeds(await h.put('cname-a2', 'stale.example.test'));
    assert.equal((await h.rawGet('stale.example.test', '/missing', 'cname-a2', 'missing')).err?.Code, 'NoSuchKey');
  });

  it('deleting the bucket unbinds its domains', async () => {
    await srv.client().putBucket('cname-gone');
    await h.token('cname-gone', 'gone.example.test');
    succeeds(await h.put('cname-gone', 'gone.example.test'));
    const oss = h.viaDomain('gone.example.test', 'cname-gone');
    await oss.put('obj/x', Buffer.from('x'));
    await oss.delete('obj/x');
    await srv.client().deleteBucket('cname-gone');
    // A bucket of that name again, another account's: the domain does not come back with the name.
    await srv.client(({ accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] })).putBucket('cname-gone');
    const raw = await h.rawGet('gone.example.test', '/obj/x', 'obj', 'x');
    assert.equal(raw.err?.Code, 'NoSuchBucket', raw.text);
    await h.token('cname-a2', 'gone.example.test');
    succeeds(await h.put('cname-a2', 'gone.example.test'));
  });
});

describe('CNAME (dns mode, the default): the TXT record _dnsauth.<domain> must hold the bucket\'s token', () => {
  let srv: TestServer;
  let dns: TxtServer;
  const h = harness(() => srv);

  before(async () => {
    dns = await startTxtServer();
    srv = await startTestServer({ cname: { dnsServer: dns.address, dnsTimeoutMs: 10_000 } });
    await srv.client().putBucket('cname-dns');
  });
  after(async () => {
    await srv.stop();
    await dns.close();
  });

  it('no TXT record, a wrong one: NeedVerifyDomainOwnership; the right one: bound and routed', async () => {
    const token = await h.token('cname-dns', 'www.example.test');
    failsWith(await h.put('cname-dns', 'www.example.test'), 'NeedVerifyDomainOwnership', 403);
    assert.ok(dns.asked('_dnsauth.www.example.test') >= 1, 'the server asked the DNS server');
    dns.set('_dnsauth.www.example.test', ['not-the-token']);
    failsWith(await h.put('cname-dns', 'www.example.test'), 'NeedVerifyDomainOwnership', 403);
    assert.ok(!(await h.list('cname-dns')).includes('www.example.test'));
    // Requests to the domain are not routed while it is not bound.
    assert.equal((await h.rawGet('www.example.test', '/missing-bucket/k', 'missing-bucket', 'k')).err?.Code, 'NoSuchBucket');
    dns.set('_dnsauth.www.example.test', ['other', token]);
    succeeds(await h.put('cname-dns', 'www.example.test'));
    const oss = h.viaDomain('www.example.test', 'cname-dns');
    await oss.put('k', Buffer.from('v'));
    assert.equal(String((await oss.get('k')).content), 'v');
    // Putting the bound domain again (a certificate change) asks no one.
    const asked = dns.asked('_dnsauth.www.example.test');
    dns.set('_dnsauth.www.example.test', []);
    succeeds(await h.put('cname-dns', 'www.example.test'));
    assert.equal(dns.asked('_dnsauth.www.example.test'), asked);
  });

  it('a TXT record without a live token of the bucket proves nothing', async () => {
    dns.set('_dnsauth.notoken.example.test', ['anything']);
    failsWith(await h.put('cname-dns', 'notoken.example.test'), 'NeedVerifyDomainOwnership', 403);
  });
});

describe('CNAME on PostgreSQL, two processes: a binding made in one routes in the other at once, and so does its removal', { skip: process.env.ALUNITE_TEST_META !== 'postgres' }, () => {
  let pair: Awaited<ReturnType<typeof startServerPairOnPostgres>>;
  const ha = harness(() => pair.a);
  const hb = harness(() => pair.b);

  before(async () => {
    pair = await startServerPairOnPostgres({ cname: { verification: 'token' } });
    await pair.a.client().putBucket('cname-pg-1');
    await pair.a.client().putBucket('cname-pg-2');
  });
  after(async () => {
    await pair.stop();
  });

  it('bound in A: B routes; unbound in A and bound to another bucket in B: A routes to that one', async () => {
    // B looks the domain up first (nothing bound), so a cache in B would have to learn of A's binding.
    assert.equal((await hb.rawGet('pg.example.test', '/missing-bucket/k', 'missing-bucket', 'k')).err?.Code, 'NoSuchBucket');
    await ha.token('cname-pg-1', 'pg.example.test');
    succeeds(await ha.put('cname-pg-1', 'pg.example.test'));
    await ha.viaDomain('pg.example.test', 'cname-pg-1').put('k1', Buffer.from('one'));
    assert.equal(String((await hb.viaDomain('pg.example.test', 'cname-pg-1').get('k1')).content), 'one');
    // A remembers the binding; B moves the domain to the other bucket.
    assert.equal((await ha.rawGet('pg.example.test', '/k1', 'cname-pg-1', 'k1')).status, 200);
    succeeds(await hb.del('cname-pg-1', 'pg.example.test'));
    await hb.token('cname-pg-2', 'pg.example.test');
    succeeds(await hb.put('cname-pg-2', 'pg.example.test'));
    await hb.viaDomain('pg.example.test', 'cname-pg-2').put('k2', Buffer.from('two'));
    assert.equal(String((await ha.viaDomain('pg.example.test', 'cname-pg-2').get('k2')).content), 'two');
    const gone = await ha.rawGet('pg.example.test', '/k1', 'cname-pg-2', 'k1');
    assert.equal(gone.err?.Code, 'NoSuchKey', gone.text);
    // Held by cname-pg-2 for both processes.
    failsWith(await ha.put('cname-pg-1', 'pg.example.test'), 'CnameAlreadyExists', 409);
  });
});
