// Hotlink protection (docs/access-rules.md): Put/GetBucketReferer through ali-oss and raw XML, and the rule
// enforced on anonymous and signed-URL requests (never on a signature in the Authorization header), with
// OSS's message and ECs. Runs on SQLite, and on PostgreSQL through test/pg-access-rules.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { bucketXml } from './helpers/bucket-xml.js';
import { expectOssError } from './helpers/oss.js';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { MSG, policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'referer-bucket';
const KEY = 'logo.png';
const DENIED = 'You are denied by bucket referer policy.';

interface RefererCalls {
  putBucketReferer(name: string, allowEmpty: boolean, referers: string[] | null): Promise<unknown>;
  getBucketReferer(name: string): Promise<{ allowEmpty: boolean; referers: string[] | null; res: { status: number } }>;
  deleteBucketReferer(name: string): Promise<unknown>;
}
const ref = (c: OSS): RefererCalls => c as unknown as RefererCalls;

// @types/ali-oss declares signatureUrlV4's request argument loosely; this is the shape ali-oss uses.
type SignV4 = (method: string, expires: number, request?: { headers?: Record<string, string>; queries?: Record<string, string> }, objectName?: string) => Promise<string>;
const signV4 = (client: OSS): SignV4 => (client as unknown as { signatureUrlV4: SignV4 }).signatureUrlV4.bind(client);

const refererXml = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><RefererConfiguration>${inner}</RefererConfiguration>`;

describe('bucket Referer (hotlink protection)', () => {
  let srv: TestServer;
  let client: OSS;

  /** An anonymous GET of the object, with the given Referer (none when undefined). */
  const anonymousGet = (referer?: string, key = KEY): Promise<RawResponse> =>
    rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/${key}`, headers: { host: `127.0.0.1:${srv.port}`, ...(referer !== undefined ? { referer } : {}) } });

  /** A presigned-URL GET (ali-oss signatureUrl), with the given Referer. */
  const signedUrlGet = async (referer?: string): Promise<RawResponse> => {
    const url = new URL(srv.pathClient({ bucket: BUCKET }).signatureUrl(KEY, { expires: 600 }));
    return rawRequest(srv.port, { method: 'GET', path: `${url.pathname}${url.search}`, headers: { host: url.host, ...(referer !== undefined ? { referer } : {}) } });
  };

  const refusedWith = (res: RawResponse, ec: string): void => {
    assert.equal(res.status, 403);
    const err = errorOf(res);
    assert.equal(err?.Code, 'AccessDenied');
    assert.equal(err?.Message, DENIED);
    assert.equal(err?.EC, ec);
  };

  before(async () => {
    srv = await startTestServer();
    client = srv.client({ bucket: BUCKET });
    await client.putBucket(BUCKET);
    await client.putBucketACL(BUCKET, 'public-read');
    await client.put(KEY, Buffer.from('png bytes'));
  });
  after(async () => {
    await srv?.stop();
  });

  test('a bucket without a configuration answers the default and lets every Referer through', async () => {
    const got = await ref(client).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, true);
    assert.equal(got.referers, null);
    // OSS's default (the Go SDK's TestBucketRefererV2): query strings truncated, and no RefererBlacklist element.
    const raw = await bucketXml(client, 'GET', BUCKET, 'referer');
    assert.deepEqual(raw.data, { AllowEmptyReferer: 'true', AllowTruncateQueryString: 'true', TruncatePath: 'false', RefererList: '' });
    assert.equal((await anonymousGet('https://anywhere.example/')).status, 200);
    assert.equal((await anonymousGet()).status, 200);
  });

  test('a whitelist (ali-oss putBucketReferer) admits matching Referers and refuses the others with their ECs', async () => {
    await ref(client).putBucketReferer(BUCKET, false, ['https://www.example.com/*', '*.allowed.org', 'http://img?.example.net/x']);
    const got = await ref(client).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, false);
    assert.deepEqual(got.referers, ['https://www.example.com/*', '*.allowed.org', 'http://img?.example.net/x']);

    assert.equal((await anonymousGet('https://www.example.com/page.html')).status, 200);
    assert.equal((await anonymousGet('https://cdn.allowed.org')).status, 200);
    assert.equal((await anonymousGet('http://img1.example.net/x')).status, 200);
    assert.equal((await anonymousGet('https://www.example.com/')).status, 200);
    assert.equal((await anonymousGet('HTTPS://WWW.EXAMPLE.COM/Upper')).status, 200, 'matching ignores case [UNVERIFIED]');
    refusedWith(await anonymousGet('https://evil.example.com/page.html'), '0003-00000503');
    refusedWith(await anonymousGet('http://img12.example.net/x'), '0003-00000503');
    refusedWith(await anonymousGet(), '0003-00000501');
    refusedWith(await anonymousGet(''), '0003-00000501');
  });

  test('signed URLs are subject to it; a signature in the Authorization header is not', async () => {
    refusedWith(await signedUrlGet('https://evil.example.com/'), '0003-00000503');
    refusedWith(await signedUrlGet(), '0003-00000501');
    assert.equal((await signedUrlGet('https://www.example.com/a')).status, 200);
    // A V4 signed URL (ali-oss signatureUrlV4) as well.
    const v4 = srv.pathClient({ bucket: BUCKET, authorizationV4: true } as Partial<OSS.Options>);
    const v4Url = new URL(await signV4(v4)('GET', 600, {}, KEY));
    assert.match(v4Url.search, /x-oss-signature-version=OSS4-HMAC-SHA256/);
    const v4Get = (referer: string): Promise<RawResponse> => rawRequest(srv.port, { method: 'GET', path: `${v4Url.pathname}${v4Url.search}`, headers: { host: v4Url.host, referer } });
    refusedWith(await v4Get('https://evil.example.com/'), '0003-00000503');
    assert.equal((await v4Get('https://www.example.com/a')).status, 200);
    // ali-oss signs with the Authorization header: the Referer is not checked.
    const got = await client.get(KEY, { headers: { Referer: 'https://evil.example.com/' } });
    assert.equal(got.content.toString(), 'png bytes');
    const none = await client.get(KEY);
    assert.equal(none.res.status, 200);
  });

  test('the blacklist wins over the whitelist; truncation options shape what is matched', async () => {
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>true</AllowEmptyReferer><AllowTruncateQueryString>true</AllowTruncateQueryString><TruncatePath>true</TruncatePath>' +
        '<RefererList><Referer>https://www.example.com</Referer><Referer>*.allowed.org</Referer></RefererList>' +
        '<RefererBlacklist><Referer>https://bad.allowed.org</Referer></RefererBlacklist>',
    ));
    const raw = await bucketXml(client, 'GET', BUCKET, 'referer');
    const data = raw.data as Record<string, unknown>;
    assert.equal(data.TruncatePath, 'true');
    assert.equal(data.AllowTruncateQueryString, 'true');
    assert.deepEqual(data.RefererBlacklist, { Referer: 'https://bad.allowed.org' });
    // TruncatePath: only scheme://host is matched, so any page of the whitelisted site passes.
    assert.equal((await anonymousGet('https://www.example.com/deep/page?q=1')).status, 200);
    assert.equal((await anonymousGet('https://good.allowed.org/x')).status, 200);
    refusedWith(await anonymousGet('https://bad.allowed.org/x'), '0003-00000502');
    assert.equal((await anonymousGet()).status, 200, 'AllowEmptyReferer true');

    // A pattern matches the start of the Referer (OSS matches "the URL prefix"); without truncation a
    // pattern naming a page admits that page only, whatever follows it.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>false</AllowEmptyReferer><AllowTruncateQueryString>false</AllowTruncateQueryString><RefererList><Referer>https://www.example.com/index.html</Referer></RefererList>',
    ));
    assert.equal((await anonymousGet('https://www.example.com/index.html?from=x')).status, 200);
    refusedWith(await anonymousGet('https://www.example.com/logo.html'), '0003-00000503');
    refusedWith(await anonymousGet('https://evil.example/?r=https://www.example.com/index.html'), '0003-00000503');
    // TruncatePath cuts the Referer to scheme://host, so a pattern naming a page no longer matches any.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>false</AllowEmptyReferer><TruncatePath>true</TruncatePath><RefererList><Referer>https://www.example.com/index.html</Referer></RefererList>',
    ));
    refusedWith(await anonymousGet('https://www.example.com/index.html'), '0003-00000503');
  });

  test('AllowTruncateQueryString left out of the Put is true (OSS\'s default): a query string is cut before matching', async () => {
    // *trusted.org matches anywhere before its end: in the query string too, unless the query string is cut off.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>*trusted.org</Referer></RefererList>',
    ));
    const raw = await bucketXml(client, 'GET', BUCKET, 'referer');
    assert.deepEqual(raw.data, { AllowEmptyReferer: 'false', AllowTruncateQueryString: 'true', TruncatePath: 'false', RefererList: { Referer: '*trusted.org' } });
    assert.equal((await anonymousGet('https://cdn.trusted.org/page?x=1')).status, 200);
    refusedWith(await anonymousGet('https://evil.example/?from=trusted.org'), '0003-00000503');
    refusedWith(await anonymousGet('https://evil.example/#trusted.org'), '0003-00000503');
    // Turned off, the whole Referer is matched, its query string included.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>false</AllowEmptyReferer><AllowTruncateQueryString>false</AllowTruncateQueryString><RefererList><Referer>*trusted.org</Referer></RefererList>',
    ));
    assert.equal(((await bucketXml(client, 'GET', BUCKET, 'referer')).data as Record<string, unknown>).AllowTruncateQueryString, 'false');
    assert.equal((await anonymousGet('https://evil.example/?from=trusted.org')).status, 200);
    // ali-oss putBucketReferer sends no AllowTruncateQueryString either.
    await ref(client).putBucketReferer(BUCKET, true, ['*trusted.org']);
    assert.equal(((await bucketXml(client, 'GET', BUCKET, 'referer')).data as Record<string, unknown>).AllowTruncateQueryString, 'true');
    refusedWith(await anonymousGet('https://evil.example/?from=trusted.org'), '0003-00000503');
    await ref(client).deleteBucketReferer(BUCKET);
  });

  test('an empty whitelist checks no Referer at all, but a blacklist still refuses', async () => {
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>false</AllowEmptyReferer><RefererList/><RefererBlacklist><Referer>*.blocked.io</Referer></RefererBlacklist>',
    ));
    assert.equal((await anonymousGet()).status, 200);
    assert.equal((await anonymousGet('https://whatever.example/')).status, 200);
    refusedWith(await anonymousGet('https://x.blocked.io/'), '0003-00000502');
  });

  test('deleteBucketReferer (ali-oss: an empty whitelist, empty Referers allowed) lifts the protection', async () => {
    await ref(client).putBucketReferer(BUCKET, false, ['https://only.example.com']);
    refusedWith(await anonymousGet('https://other.example.com'), '0003-00000503');
    await ref(client).deleteBucketReferer(BUCKET);
    assert.equal((await anonymousGet('https://other.example.com')).status, 200);
    const got = await ref(client).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, true);
    assert.equal(got.referers, null);
  });

  test('empty Referer entries (the Go SDK\'s reset: SetBucketReferer(b, []string{""}, true)) are accepted and dropped', async () => {
    await ref(client).putBucketReferer(BUCKET, false, ['https://only.example.com']);
    refusedWith(await anonymousGet('https://other.example.com'), '0003-00000503');
    // The body the Go SDK 1.5.0 writes for it.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml('<AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer></Referer></RefererList>'));
    const got = await ref(client).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, true);
    assert.equal(got.referers, null);
    const raw = await bucketXml(client, 'GET', BUCKET, 'referer');
    assert.deepEqual(raw.data, { AllowEmptyReferer: 'true', AllowTruncateQueryString: 'true', TruncatePath: 'false', RefererList: '' });
    assert.equal((await anonymousGet('https://other.example.com')).status, 200);
    // Beside real patterns, and in the blacklist (<Referer/> too), empty entries are dropped the same way.
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(
      '<AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer></Referer><Referer>*.kept.org</Referer><Referer/></RefererList>' +
        '<RefererBlacklist><Referer></Referer><Referer>*.blocked.io</Referer></RefererBlacklist>',
    ));
    const mixed = await bucketXml(client, 'GET', BUCKET, 'referer');
    assert.deepEqual(mixed.data, {
      AllowEmptyReferer: 'true', AllowTruncateQueryString: 'true', TruncatePath: 'false',
      RefererList: { Referer: '*.kept.org' }, RefererBlacklist: { Referer: '*.blocked.io' },
    });
    await bucketXml(client, 'PUT', BUCKET, 'referer', refererXml('<AllowEmptyReferer>true</AllowEmptyReferer><RefererList/><RefererBlacklist><Referer></Referer></RefererBlacklist>'));
    const cleared = await bucketXml(client, 'GET', BUCKET, 'referer');
    assert.deepEqual(cleared.data, { AllowEmptyReferer: 'true', AllowTruncateQueryString: 'true', TruncatePath: 'false', RefererList: '' });
    await ref(client).deleteBucketReferer(BUCKET);
  });

  test('bad XML is refused with the documented errors and stores nothing', async () => {
    await ref(client).putBucketReferer(BUCKET, false, ['https://kept.example.com']);
    const cases: Array<[string, string, string]> = [
      ['<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer>', 'MalformedXML', '0033-00000001'],
      ['<?xml version="1.0"?><Referer><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></Referer>', 'MalformedXML', '0033-00000001'],
      [refererXml('<RefererList/>'), 'MalformedXML', '0033-00000002'],
      [refererXml('<AllowEmptyReferer>32</AllowEmptyReferer><RefererList/>'), 'InvalidArgument', '0033-00000003'],
      [refererXml('<AllowEmptyReferer>true</AllowEmptyReferer><AllowTruncateQueryString>32</AllowTruncateQueryString><RefererList/>'), 'InvalidArgument', '0033-00000004'],
      [refererXml('<AllowEmptyReferer>true</AllowEmptyReferer>'), 'MalformedXML', '0033-00000005'],
    ];
    for (const [xml, code, ec] of cases) {
      const err = await expectOssError(bucketXml(client, 'PUT', BUCKET, 'referer', xml), code, 400);
      assert.equal(err.ecCode, ec, xml);
    }
    // Bounded: an over-long pattern, too many patterns.
    await expectOssError(bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(`<AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>${'a'.repeat(1025)}</Referer></RefererList>`)), 'InvalidArgument', 400);
    const many = Array.from({ length: 1001 }, (_, i) => `<Referer>https://h${i}.example</Referer>`).join('');
    await expectOssError(bucketXml(client, 'PUT', BUCKET, 'referer', refererXml(`<AllowEmptyReferer>true</AllowEmptyReferer><RefererList>${many}</RefererList>`)), 'InvalidArgument', 400);
    const got = await ref(client).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, false);
    assert.deepEqual(got.referers, ['https://kept.example.com']);
    await ref(client).deleteBucketReferer(BUCKET);
  });

  test('unsupported methods and a missing bucket answer as OSS does', async () => {
    await expectOssError(bucketXml(client, 'DELETE', BUCKET, 'referer', undefined, [204]), 'MethodNotAllowed', 405);
    await expectOssError(ref(client).getBucketReferer('no-such-referer-bucket'), 'NoSuchBucket', 404);
  });

  test('Put/GetBucketReferer are authorized as oss:PutBucketReferer / oss:GetBucketReferer (explicit Deny wins)', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('referer-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketReferer'], Resource: [`acs:oss:*:*:${BUCKET}`] },
    ));
    const asUser = user.oss(BUCKET);
    const err = await expectOssError(ref(asUser).putBucketReferer(BUCKET, false, ['https://x.example']), 'AccessDenied', 403);
    assert.equal(err.message, MSG.policyDeny);
    const got = await ref(asUser).getBucketReferer(BUCKET);
    assert.equal(got.allowEmpty, true, 'the denied write changed nothing; the read is allowed');
    const reader = await ram.userWith('referer-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['*'] }));
    await expectOssError(ref(reader.oss(BUCKET)).getBucketReferer(BUCKET), 'AccessDenied', 403);
  });
});
