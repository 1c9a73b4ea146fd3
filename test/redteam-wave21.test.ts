// Red-team wave 21 (an anonymous outsider and narrowly-scoped callers against a running server, aimed first at what
// changed last: the style-delimiter rewrite and source image protection, the other-region refusal, the V1 Date
// fallback): each finding reproduced against a real server the test starts, failing on the code before its fix. Runs
// on SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres. docs/security.md has the wave's findings and what held.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import sharp from 'sharp';
import { rawBucketRequest, xmlText } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';

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
