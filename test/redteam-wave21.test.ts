// Red-team wave 21 (an anonymous outsider and narrowly-scoped callers against a running server, aimed first at what
// changed last: the style-delimiter rewrite and source image protection, the other-region refusal, the V1 Date
// fallback): each finding reproduced against a real server the test starts, failing on the code before its fix. Runs
// on SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres. docs/security.md has the wave's findings.
//
// Found and fixed:
// - A GetObject of a missing `dir/` answered with its index document (oss/handlers/object.ts readOrDirectoryIndex)
//   read that document without source image protection's check, made on `dir/` only: through a website's Internal
//   routing rule to a directory, an anonymous GET got a protected original (severity LOW).
//
// Tried and held:
// - Style delimiters (`<key>!<style>`, `-`, `_`, `/`): the read is authorized as a GetObject of <key>, so a bucket
//   policy Deny on <key> (or `<key>*`), a private object ACL and a Referer rule apply (tested), as an access point's policy does (the same checks)
//   to it; `%21` is not a delimiter; only GET is rewritten, never a copy source; a style is looked up among the
//   bucket's own (≤ 50), so the per-request work is bounded by the key's 1,023 bytes.
// - Source image protection: an anonymous CopyObject / UploadPartCopy with `x-oss-process=style/…` in its query is
//   not routed as a copy (refused before the source is read); `x-oss-process` given twice is judged on the value
//   processed (the last); a save-as names its steps in the body, its query's `x-oss-process` is empty, so a style in
//   the body does not open a protected source; symlinks, watermark images, select and website pages are judged on
//   the object whose bytes are read. [cloud-documented scope] a signed request by any account is not subject
//   (OSS: protection concerns anonymous requesters), so a stranger's AccessKey reads a public-read original.
// - The other-region refusal (oss/wrong-region.ts): it names only the bucket and its region's endpoint, which OSS
//   names too; a missing bucket is left to the operation (NoSuchBucket, as for an anonymous request anywhere), so
//   it tells an anonymous caller nothing the bucket's 403/404 did not; its pattern is anchored with no nested
//   quantifier (linear in the 16 KiB head).
// - V1's Date fallback: a request signed over an old Date replayed with a fresh x-oss-date added is
//   SignatureDoesNotMatch (a caller's x-oss-date is one of the signed x-oss- headers), alone RequestTimeTooSkewed;
//   each date slot's skew is checked, so the window is the skew's as before. The date slot must look like an HTTP
//   date, so a V1 URL's numeric Expires cannot be moved into a header signature.
// - OIDC/SAML: a missing role, another account's role and a trust refusal answer alike (role names are not probed);
//   the role and provider lookups anonymous callers drive are bounded (4,096 entries); SAML claims are per provider.
// - RAM: AccessKey updates and deletes check that the key is the named user's; self-service (ChangePassword, MFA,
//   AccessKeys) acts on the caller's own user only; attaching a System policy names `acs:ram::system:policy/…`, so
//   an Allow on the caller's account's resources does not cover AdministratorAccess; PolicyType is validated before
//   the ARN is built; a rename is checked on the new name too; chained AssumeRole keeps the caller's session policy.
// - Roles handed to the server: PutBucketReplication checks ram:PassRole on its SyncRole and the destination's
//   writes; PutBucketInventory checks oss:PutObject on the files' destination (its RoleArn is never assumed); batch
//   jobs check ram:PassRole. Access points: a created entry's ARN, alias and account are the server's, not the body's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import sharp from 'sharp';
import { rawBucketRequest, xmlText } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const processConf = (suffix: string, delimiters: string): string =>
  `<BucketProcessConfiguration><CompliedHost>Both</CompliedHost><SourceFileProtect>${suffix === '' ? 'Disabled' : 'Enabled'}</SourceFileProtect>` +
  `<SourceFileProtectSuffix>${suffix}</SourceFileProtectSuffix><StyleDelimiters>${delimiters}</StyleDelimiters></BucketProcessConfiguration>`;

const jpegOf = (width: number): Promise<Buffer> => sharp({ create: { width, height: 100, channels: 3, background: '#3366CC' } }).jpeg().toBuffer();

describe('redteam wave 21: a directory\'s index document is protected as the image it is', () => {
  // A website whose index document is an image (`cover.jpg`, one per directory) and an Internal routing rule that
  // rewrites `gallery/` to `albums/`: the rewritten `albums/` is read as a GetObject of that key, which is missing,
  // so the handler serves `albums/cover.jpg` in its place. Source image protection was judged on `albums/` only.
  let srv: TestServer;
  const bucket = 'w21-site';
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(bucket, { acl: 'public-read' } as OSS.PutBucketOptions);
    const c = srv.client({ bucket });
    await c.put('albums/cover.jpg', await jpegOf(200));
    await rawBucketRequest(c, 'PUT', bucket, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
    await rawBucketRequest(c, 'PUT', bucket, 'website',
      '<WebsiteConfiguration><IndexDocument><Suffix>cover.jpg</Suffix><SupportSubDir>true</SupportSubDir><Type>0</Type></IndexDocument>'
      + '<RoutingRules><RoutingRule><RuleNumber>1</RuleNumber><Condition><KeyPrefixEquals>gallery/</KeyPrefixEquals></Condition>'
      + '<Redirect><RedirectType>Internal</RedirectType><EnableReplacePrefix>true</EnableReplacePrefix><ReplaceKeyPrefixWith>albums/</ReplaceKeyPrefixWith></Redirect>'
      + '</RoutingRule></RoutingRules></WebsiteConfiguration>');
    await rawBucketRequest(c, 'PUT', bucket, 'processConfiguration', processConf('jpg', '!'));
  });
  after(async () => {
    await srv?.stop();
  });

  it('an anonymous GET that reaches the index through a rewritten directory is refused as a GET of the image is', async () => {
    // The ways that held before: the image itself, and its directory (the website fetches the index by its name).
    for (const key of ['albums/cover.jpg', 'albums/']) assert.equal((await fetch(`${srv.url}/${bucket}/${key}`)).status, 403, key);
    const res = await fetch(`${srv.url}/${bucket}/gallery/`);
    assert.equal(res.status, 403, 'was 200 with the protected original');
    assert.equal(xmlText(await res.text(), 'Code'), 'AccessDenied');
    // HEAD tells what GET would: refused as a HEAD of the image is (its size, type and ETag are the original's).
    assert.equal((await fetch(`${srv.url}/${bucket}/gallery/`, { method: 'HEAD' })).status, 403, 'HEAD gallery/');
    // A style still reads it, and a signed caller is not subject.
    const styled = await fetch(`${srv.url}/${bucket}/albums/cover.jpg!thumb`);
    assert.equal(styled.status, 200);
    assert.equal((await sharp(Buffer.from(await styled.arrayBuffer())).metadata()).width, 50);
    const signed = await srv.client({ bucket }).get('albums/');
    assert.equal((await sharp(signed.content as Buffer).metadata()).width, 200);
  });
});

describe('redteam wave 21 (held): `<key>!<style>` is authorized as a read of <key>, and protection asks for a style', () => {
  let srv: TestServer;
  const pub = 'w21-pub';
  const rw = 'w21-rw';
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(pub, { acl: 'public-read' } as OSS.PutBucketOptions);
    await srv.client().putBucket(rw, { acl: 'public-read-write' } as OSS.PutBucketOptions);
    const jpeg = await jpegOf(200);
    for (const [bucket, delimiters, protect] of [[pub, '!,-,_,/', ''], [rw, '!', 'jpg']] as const) {
      const c = srv.client({ bucket });
      for (const key of ['photo.jpg', 'denied.jpg', 'private.jpg']) await c.put(key, jpeg);
      await c.putACL('private.jpg', 'private');
      await rawBucketRequest(c, 'PUT', bucket, { style: '', styleName: 'thumb' }, '<Style><Content>image/resize,w_50</Content></Style>');
      await rawBucketRequest(c, 'PUT', bucket, 'processConfiguration', processConf(protect, delimiters));
    }
    await srv.client({ bucket: pub }).putBucketPolicy(pub, {
      Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${pub}/denied.jpg`] }],
    } as never);
  });
  after(async () => {
    await srv?.stop();
  });

  it('a bucket policy Deny and a private object ACL on <key> hold for every delimiter', async () => {
    assert.equal((await fetch(`${srv.url}/${pub}/photo.jpg!thumb`)).status, 200);
    for (const key of ['denied.jpg!thumb', 'denied.jpg-thumb', 'denied.jpg_thumb', 'denied.jpg/thumb', 'denied.jpg%21thumb', 'private.jpg!thumb', 'private.jpg/thumb']) {
      assert.equal((await fetch(`${srv.url}/${pub}/${key}`)).status, 403, key);
    }
  });

  it('a style named in the query of a copy or beside an image process does not let an anonymous caller take the original', async () => {
    const copy = (query: string): Promise<Response> => fetch(`${srv.url}/${rw}/copy.bin${query}`, { method: 'PUT', headers: { 'x-oss-copy-source': `/${rw}/photo.jpg` } });
    for (const query of ['', '?x-oss-process=style/thumb', '?x-oss-process=style%2Fthumb']) assert.equal((await copy(query)).status, 403, query);
    assert.equal((await fetch(`${srv.url}/${rw}/copy.bin`)).status, 404);
    // The last value is the one processed, and the one judged.
    assert.equal((await fetch(`${srv.url}/${rw}/photo.jpg?x-oss-process=style/thumb&x-oss-process=image/resize,w_199`)).status, 403);
    // A real object named like a styled read is never what the rewrite hands out in place of <key>.
    assert.equal((await fetch(`${srv.url}/${rw}/photo.jpg!thumb`)).status, 200);
    assert.equal((await fetch(`${srv.url}/${rw}/photo.jpg`)).status, 403);
    // A Referer rule applies to the styled read as to any other.
    await rawBucketRequest(srv.client({ bucket: rw }), 'PUT', rw, 'referer',
      '<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>https://ok.example/*</Referer></RefererList></RefererConfiguration>');
    assert.equal((await fetch(`${srv.url}/${rw}/photo.jpg!thumb`)).status, 403);
    assert.equal((await fetch(`${srv.url}/${rw}/photo.jpg!thumb`, { headers: { referer: 'https://ok.example/page' } })).status, 200);
  });
});

describe('redteam wave 21 (held): a V1 header signature over Date is no replay past the skew', () => {
  let srv: TestServer;
  const bucket = 'w21-v1';
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(bucket);
    await srv.client({ bucket }).put('doc.txt', Buffer.from('secret'));
  });
  after(async () => {
    await srv?.stop();
  });

  /** A GET of doc.txt signed as the C++/Java/oss2 SDKs sign (Date in the date slot), sent with `extra` headers added. */
  const replay = (date: string, extra: Record<string, string>): Promise<RawResponse> => {
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, date };
    const { authorization } = v1Authorization({ method: 'GET', bucket, key: 'doc.txt', headers }, AK, SECRET);
    return rawRequest(srv.port, { method: 'GET', path: `/${bucket}/doc.txt`, headers: { ...headers, ...extra, authorization } });
  };

  it('an old Date with a fresh x-oss-date added is refused, the old Date alone is too skewed', async () => {
    const now = new Date();
    assert.equal((await replay(now.toUTCString(), {})).status, 200);
    const old = new Date(now.getTime() - 60 * 60 * 1000).toUTCString();
    const withFresh = await replay(old, { 'x-oss-date': now.toUTCString() });
    assert.equal(withFresh.status, 403);
    assert.equal(errorOf(withFresh)?.Code, 'SignatureDoesNotMatch');
    const alone = await replay(old, {});
    assert.equal(alone.status, 403);
    assert.equal(errorOf(alone)?.Code, 'RequestTimeTooSkewed');
  });
});

describe('redteam wave 21 (attacker\'s read of the merged change): a blob committed while its store closes leaves no descriptor open', () => {
  // Shard directories are kept open for the fsync after each rename (store/blob/fs.ts syncShard) and closed with the
  // store. A commit still in flight when close() ran opened its shard's handle after the close had taken its list, into
  // a map nothing closes again: one descriptor per shard leaked per store closed under load (a server stopped while
  // uploads finish; a process that opens and closes stores, as the tests do).
  it('the shard directory opened by a commit finishing after close() is closed', async () => {
    const { FsBlobStore } = await import('../src/store/blob/fs.js');
    const { mkdtemp, readdir, readlink, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = await mkdtemp(join(tmpdir(), 'w21-blob-'));
    const openUnder = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target.startsWith(root)) out.push(target);
      }
      return out;
    };
    try {
      const store = await FsBlobStore.open({ root, durable: true });
      const chunk = Buffer.from('bytes committed while the store closes');
      const putting = store.put((async function* () { yield chunk; })());
      // close() before the commit reaches its shard's fsync (the put has not written yet).
      await store.close();
      const written = await putting;
      assert.equal(written.size, chunk.length);
      assert.deepEqual(await openUnder(), [], 'was the shard directory, left open by the closed store');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
