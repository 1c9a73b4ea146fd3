// Static website hosting: Put/Get/DeleteBucketWebsite through ali-oss and raw signed XML (the grammar and
// its documented refusals, nothing stored on a refusal), and real anonymous HTTP GET/HEAD against a
// website-configured bucket: index documents (root, SupportSubDir, Type 0/1/2), the error document with its
// status, routing-rule redirects and internal rewrites, and the normal GetObject authorization of what is
// served. Runs on PostgreSQL too (test/pg-website-logging.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError, statusOf } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { encodeKey, errorOf, queryString, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const md5 = (b: string): string => createHash('md5').update(b).digest('base64');
type Sent = RawResponse & { err: Record<string, string> | null; text: string };

/** A path-style request; signed (V1) unless `anonymous`. */
async function send(port: number, r: { method: string; bucket: string; key?: string | null; query?: Array<[string, string]>; headers?: Record<string, string>; body?: string; anonymous?: boolean; rawQuery?: string }): Promise<Sent> {
  const key = r.key ?? null;
  const path = `/${r.bucket}/${key === null ? '' : encodeKey(key)}${r.rawQuery ?? queryString(r.query)}`;
  const headers: Record<string, string> = { host: `localhost:${port}`, ...(r.headers ?? {}) };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  if (!r.anonymous) {
    headers['x-oss-date'] = new Date().toUTCString();
    headers.authorization = v1Authorization({ method: r.method, bucket: r.bucket, key, query: r.query ?? [], headers }, AK, SECRET).authorization;
  }
  const res = await rawRequest(port, { method: r.method, path, headers, body: r.body });
  return { ...res, err: errorOf(res), text: res.body.toString('utf8') };
}

const doc = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<WebsiteConfiguration>${inner}</WebsiteConfiguration>`;
const putWebsite = (port: number, bucket: string, body: string): Promise<Sent> =>
  send(port, { method: 'PUT', bucket, query: [['website', '']], headers: { 'content-md5': md5(body), 'content-type': 'application/xml' }, body });
const getWebsite = (port: number, bucket: string): Promise<Sent> => send(port, { method: 'GET', bucket, query: [['website', '']] });
const get = (port: number, bucket: string, key: string | null, headers: Record<string, string> = {}, rawQuery = ''): Promise<Sent> =>
  send(port, { method: 'GET', bucket, key, headers, anonymous: true, rawQuery });

describe('Put/Get/DeleteBucketWebsite', () => {
  let srv: TestServer;
  const B = 'site-config';

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(B);
  });
  after(() => srv.stop());

  it('ali-oss: put, get (as sent), delete (204), then NoSuchWebsiteConfiguration', async () => {
    const c = srv.client();
    await expectOssError(c.getBucketWebsite(B), 'NoSuchWebsiteConfiguration', 404);
    const put = await c.putBucketWebsite(B, {
      index: 'home.html', error: 'oops.html', supportSubDir: true, type: 2,
      routingRules: [{ RuleNumber: 1, Condition: { KeyPrefixEquals: 'old/' }, Redirect: { RedirectType: 'External', HostName: 'example.com', HttpRedirectCode: 301 } }],
    } as never);
    assert.equal(statusOf(put), 200);
    const got = (await c.getBucketWebsite(B)) as unknown as { index: string; error: string; supportSubDir: unknown; type: unknown; routingRules: unknown };
    assert.equal(got.index, 'home.html');
    assert.equal(got.error, 'oops.html');
    assert.equal(String(got.supportSubDir), 'true');
    assert.equal(String(got.type), '2');
    const rules = got.routingRules as unknown as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(rules.length, 1);
    assert.equal(rules[0]!.RuleNumber, '1');
    assert.equal(rules[0]!.Condition.KeyPrefixEquals, 'old/');
    assert.deepEqual(rules[0]!.Redirect, { RedirectType: 'External', HostName: 'example.com', HttpRedirectCode: '301' });
    const del = await c.deleteBucketWebsite(B);
    assert.equal(statusOf(del), 204);
    await expectOssError(c.getBucketWebsite(B), 'NoSuchWebsiteConfiguration', 404);
  });

  it('bad documents are refused with the documented error and leave the stored configuration alone', async () => {
    const good = doc('<IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>e.html</Key><HttpStatus>404</HttpStatus></ErrorDocument>');
    assert.equal((await putWebsite(srv.port, B, good)).status, 200);
    const before = (await getWebsite(srv.port, B)).text;
    const rule = (inner: string): string => doc(`<IndexDocument><Suffix>x.html</Suffix></IndexDocument><RoutingRules><RoutingRule>${inner}</RoutingRule></RoutingRules>`);
    const redirect = (r: string, n = 1): string => `<RuleNumber>${n}</RuleNumber><Redirect>${r}</Redirect>`;
    const cases: Array<[string, string, string, string?]> = [
      ['not XML', 'hello', 'MalformedXML'],
      ['wrong root', '<Website><IndexDocument><Suffix>a</Suffix></IndexDocument></Website>', 'MalformedXML'],
      ['empty configuration', doc(''), 'MalformedXML'],
      ['unknown element', doc('<IndexDocument><Suffix>a</Suffix><Bogus>1</Bogus></IndexDocument>'), 'MalformedXML'],
      ['HttpStatus test', doc('<ErrorDocument><Key>e.html</Key><HttpStatus>test</HttpStatus></ErrorDocument>'), 'InvalidArgument', 'HttpStatus'],
      ['HttpStatus 500', doc('<ErrorDocument><Key>e.html</Key><HttpStatus>500</HttpStatus></ErrorDocument>'), 'InvalidArgument', 'HttpStatus'],
      ['Type 3', doc('<IndexDocument><Suffix>a</Suffix><SupportSubDir>true</SupportSubDir><Type>3</Type></IndexDocument>'), 'InvalidArgument', 'Type'],
      ['SupportSubDir yes', doc('<IndexDocument><Suffix>a</Suffix><SupportSubDir>yes</SupportSubDir></IndexDocument>'), 'InvalidArgument', 'SupportSubDir'],
      ['Suffix with /', doc('<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>'), 'InvalidArgument', 'Suffix'],
      ['empty Suffix with SupportSubDir', doc('<IndexDocument><Suffix></Suffix><SupportSubDir>true</SupportSubDir></IndexDocument>'), 'InvalidArgument', 'Suffix'],
      ['only an empty IndexDocument', doc('<IndexDocument><Suffix></Suffix></IndexDocument>'), 'MalformedXML'],
      ['only an empty ErrorDocument', doc('<ErrorDocument/>'), 'MalformedXML'],
      ['no RuleNumber', rule('<Redirect><RedirectType>External</RedirectType></Redirect>'), 'MalformedXML'],
      ['RuleNumber 0', rule(redirect('<RedirectType>External</RedirectType>', 0)), 'InvalidArgument', 'RuleNumber'],
      ['no Redirect', rule('<RuleNumber>1</RuleNumber>'), 'MalformedXML'],
      ['RedirectType Foo', rule(redirect('<RedirectType>Foo</RedirectType>')), 'InvalidArgument', 'RedirectType'],
      ['HttpRedirectCode 303', rule(redirect('<RedirectType>External</RedirectType><HttpRedirectCode>303</HttpRedirectCode>')), 'InvalidArgument', 'HttpRedirectCode'],
      ['Protocol ftp', rule(redirect('<RedirectType>External</RedirectType><Protocol>ftp</Protocol>')), 'InvalidArgument', 'Protocol'],
      ['ReplaceKeyWith with EnableReplacePrefix', rule(redirect('<RedirectType>External</RedirectType><EnableReplacePrefix>true</EnableReplacePrefix><ReplaceKeyWith>a</ReplaceKeyWith>')), 'InvalidArgument', 'ReplaceKeyWith'],
      ['Mirror without MirrorURL', rule(redirect('<RedirectType>Mirror</RedirectType>')), 'InvalidArgument', 'MirrorURL'],
      ['HttpErrorCodeReturnedEquals 200', rule('<RuleNumber>1</RuleNumber><Condition><HttpErrorCodeReturnedEquals>200</HttpErrorCodeReturnedEquals></Condition><Redirect><RedirectType>External</RedirectType></Redirect>'), 'InvalidArgument', 'HttpErrorCodeReturnedEquals'],
      ['duplicate RuleNumber', doc(`<RoutingRules><RoutingRule>${redirect('<RedirectType>External</RedirectType>')}</RoutingRule><RoutingRule>${redirect('<RedirectType>External</RedirectType>')}</RoutingRule></RoutingRules>`), 'InvalidArgument', 'RuleNumber'],
      ['21 rules', doc(`<RoutingRules>${Array.from({ length: 21 }, (_, i) => `<RoutingRule>${redirect('<RedirectType>External</RedirectType>', i + 1)}</RoutingRule>`).join('')}</RoutingRules>`), 'InvalidArgument', 'RoutingRule'],
      ['11 IncludeHeader', rule(`<RuleNumber>1</RuleNumber><Condition>${'<IncludeHeader><Key>h</Key></IncludeHeader>'.repeat(11)}</Condition><Redirect><RedirectType>External</RedirectType></Redirect>`), 'InvalidArgument', 'IncludeHeader'],
      ['MirrorAuth with an unknown element', rule(redirect('<RedirectType>Mirror</RedirectType><MirrorURL>http://a.example/</MirrorURL><MirrorAuth><Bogus>x</Bogus></MirrorAuth>')), 'MalformedXML'],
      ['LuaConfig without a Script', rule(`${redirect('<RedirectType>External</RedirectType>')}<LuaConfig></LuaConfig>`), 'MalformedXML'],
    ];
    for (const [name, body, code, argument] of cases) {
      const r = await putWebsite(srv.port, B, body);
      assert.equal(r.err?.Code, code, `${name}: ${r.text}`);
      assert.equal(r.status, code === 'NotImplemented' ? 501 : 400, name);
      if (argument !== undefined) assert.equal(r.err?.ArgumentName, argument, name);
      assert.equal((await getWebsite(srv.port, B)).text, before, `${name}: nothing stored`);
    }
    const big = await putWebsite(srv.port, B, doc(`<IndexDocument><Suffix>${'a'.repeat(70 * 1024)}</Suffix></IndexDocument>`));
    assert.equal(big.err?.Code, 'EntityTooLarge');
    const badMd5 = await send(srv.port, { method: 'PUT', bucket: B, query: [['website', '']], headers: { 'content-md5': md5('other') }, body: good });
    assert.equal(badMd5.err?.Code, 'InvalidDigest');
  });

  it('a Mirror rule is stored and returned (never acted on)', async () => {
    const body = doc('<RoutingRules><RoutingRule><RuleNumber>1</RuleNumber><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>'
      + '<Redirect><RedirectType>Mirror</RedirectType><MirrorURL>https://origin.example/</MirrorURL><MirrorPassQueryString>true</MirrorPassQueryString>'
      + '<MirrorHeaders><PassAll>false</PassAll><Pass>a</Pass><Set><Key>k</Key><Value>v</Value></Set></MirrorHeaders></Redirect></RoutingRule></RoutingRules>');
    assert.equal((await putWebsite(srv.port, B, body)).status, 200);
    const text = (await getWebsite(srv.port, B)).text;
    assert.match(text, /<RedirectType>Mirror<\/RedirectType>/);
    assert.match(text, /<MirrorURL>https:\/\/origin\.example\/<\/MirrorURL>/);
    assert.match(text, /<MirrorHeaders><PassAll>false<\/PassAll><Pass>a<\/Pass><Set><Key>k<\/Key><Value>v<\/Value><\/Set><\/MirrorHeaders>/);
  });

  it('booleans as oss2 writes them (Python True/False) are accepted and read back as true/false; a Mirror rule reads back PassQueryString = MirrorPassQueryString (oss2 test_website)', async () => {
    const cond = '<Condition><KeyPrefixEquals>1~!@#$%^&amp;*()-_=+|\\[]{}&lt;&gt;,./?`~</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals>'
      + '<IncludeHeader><Key>host</Key><Equals>test.oss-cn-beijing-internal.aliyuncs.com</Equals></IncludeHeader></Condition>';
    const headers = '<MirrorHeaders><PassAll>True</PassAll><Pass>myheader-key1</Pass><Remove>myheader-key3</Remove><Set><Key>myheader-key5</Key><Value>myheader-value5</Value></Set></MirrorHeaders>';
    // oss2's to_put_bucket_website: no XML declaration, str(bool) for PassQueryString and the Mirror* booleans.
    const body = '<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key></ErrorDocument><RoutingRules>'
      + `<RoutingRule><RuleNumber>1</RuleNumber>${cond}<Redirect><RedirectType>Mirror</RedirectType><MirrorURL>http://www.test.com/</MirrorURL>`
      + `<MirrorPassQueryString>True</MirrorPassQueryString><MirrorFollowRedirect>True</MirrorFollowRedirect><MirrorCheckMd5>False</MirrorCheckMd5>${headers}</Redirect></RoutingRule>`
      + `<RoutingRule><RuleNumber>2</RuleNumber>${cond.replace('1~', '2~')}<Redirect><RedirectType>Mirror</RedirectType><PassQueryString>True</PassQueryString><MirrorURL>http://www.test.com/</MirrorURL>`
      + '<MirrorPassQueryString>False</MirrorPassQueryString></Redirect></RoutingRule>'
      + `<RoutingRule><RuleNumber>3</RuleNumber>${cond.replace('1~', '3~')}<Redirect><RedirectType>AliCDN</RedirectType><PassQueryString>True</PassQueryString>`
      + '<Protocol>http</Protocol><HostName>oss.aliyuncs.com</HostName><HttpRedirectCode>302</HttpRedirectCode><ReplaceKeyWith>${key}.suffix</ReplaceKeyWith></Redirect></RoutingRule>'
      + '</RoutingRules></WebsiteConfiguration>';
    const put = await putWebsite(srv.port, B, body);
    assert.equal(put.status, 200, put.text);
    const text = (await getWebsite(srv.port, B)).text;
    const redirects = [...text.matchAll(/<Redirect>(.*?)<\/Redirect>/g)].map((m) => m[1]!);
    assert.equal(redirects.length, 3);
    const field = (r: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(r)?.[1];
    assert.deepEqual(['PassQueryString', 'MirrorPassQueryString', 'MirrorFollowRedirect', 'MirrorCheckMd5', 'PassAll'].map((n) => field(redirects[0]!, n)), ['true', 'true', 'true', 'false', 'true']);
    assert.deepEqual(['PassQueryString', 'MirrorPassQueryString'].map((n) => field(redirects[1]!, n)), ['false', 'false']);
    assert.equal(field(redirects[2]!, 'PassQueryString'), 'true');
  });

  // The bodies the Go SDK v1 (current oss/type.go, encoding/xml) sends: IndexDocument and ErrorDocument are plain
  // structs, so an unset one goes out as `<IndexDocument><Suffix></Suffix></IndexDocument>`; MirrorHeaders too
  // (`<MirrorHeaders></MirrorHeaders>` on every rule), nil *bool settings are left out.
  const goV1 = {
    emptyDocs: '<IndexDocument><Suffix></Suffix></IndexDocument><ErrorDocument><Key></Key></ErrorDocument>',
    docs: '<IndexDocument><Suffix>myindex.html</Suffix></IndexDocument><ErrorDocument><Key>myerror.html</Key></ErrorDocument>',
    // client_test.go's ruleOk: a Mirror rule that leaves PassQueryString and the Mirror* booleans to OSS's defaults.
    ruleOk: '<RoutingRule><RuleNumber>1</RuleNumber><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>'
      + '<Redirect><RedirectType>Mirror</RedirectType><MirrorURL>http://www.test.com/</MirrorURL><MirrorHeaders><Pass>myheader-key1</Pass><Pass>myheader-key2</Pass>'
      + '<Remove>myheader-key3</Remove><Remove>myheader-key4</Remove><Set><Key>myheader-key5</Key><Value>myheader-value5</Value></Set></MirrorHeaders></Redirect></RoutingRule>',
    // ruleArrOk: an AliCDN rule (with the empty MirrorHeaders the struct always writes) and a Mirror rule setting everything.
    ruleArrOk: '<RoutingRule><RuleNumber>2</RuleNumber><Condition><KeyPrefixEquals>abc/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals>'
      + '<IncludeHeader><Key>host</Key><Equals>test.oss-cn-beijing-internal.aliyuncs.com</Equals></IncludeHeader></Condition>'
      + '<Redirect><RedirectType>AliCDN</RedirectType><PassQueryString>false</PassQueryString><MirrorHeaders></MirrorHeaders><Protocol>http</Protocol>'
      + '<HostName>www.test.com</HostName><HttpRedirectCode>301</HttpRedirectCode><ReplaceKeyWith>prefix/${key}.suffix</ReplaceKeyWith></Redirect></RoutingRule>'
      + '<RoutingRule><RuleNumber>3</RuleNumber><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>'
      + '<Redirect><RedirectType>Mirror</RedirectType><PassQueryString>true</PassQueryString><MirrorURL>http://www.test.com/</MirrorURL>'
      + '<MirrorPassQueryString>true</MirrorPassQueryString><MirrorFollowRedirect>false</MirrorFollowRedirect><MirrorCheckMd5>false</MirrorCheckMd5>'
      + '<MirrorHeaders><PassAll>true</PassAll><Pass>myheader-key1</Pass><Pass>myheader-key2</Pass><Remove>myheader-key3</Remove><Remove>myheader-key4</Remove>'
      + '<Set><Key>myheader-key5</Key><Value>myheader-value5</Value></Set></MirrorHeaders></Redirect></RoutingRule>',
    // ruleErr: a Mirror rule without MirrorURL (its Condition empty).
    ruleErr: '<RoutingRule><RuleNumber>1</RuleNumber><Condition></Condition><Redirect><RedirectType>Mirror</RedirectType><PassQueryString>true</PassQueryString>'
      + '<MirrorHeaders></MirrorHeaders></Redirect></RoutingRule>',
  };
  const goDoc = (inner: string): string => `<WebsiteConfiguration>${inner}</WebsiteConfiguration>`;
  const redirectsOf = (text: string): string[] => [...text.matchAll(/<Redirect>(.*?)<\/Redirect>/g)].map((m) => m[1]!);
  const fieldOf = (r: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(r)?.[1];

  it('Go SDK v1 (TestSetBucketWebsiteDetail / TestSetBucketWebsiteXml): empty IndexDocument / ErrorDocument are accepted as not set, a Mirror rule reads back OSS\'s defaults', async () => {
    const one = await putWebsite(srv.port, B, goDoc(`${goV1.emptyDocs}<RoutingRules>${goV1.ruleOk}</RoutingRules>`));
    assert.equal(one.status, 200, one.text);
    let text = (await getWebsite(srv.port, B)).text;
    assert.doesNotMatch(text, /<IndexDocument>|<ErrorDocument>/, 'the empty documents are not set');
    let redirects = redirectsOf(text);
    assert.equal(redirects.length, 1);
    // What the test asserts after the Put: *PassQueryString false, *MirrorPassQueryString false, *MirrorFollowRedirect true,
    // *MirrorCheckMd5 false, *MirrorHeaders.PassAll false; GetBucketWebsiteXml still holds the Pass headers.
    assert.deepEqual(['RedirectType', 'PassQueryString', 'MirrorPassQueryString', 'MirrorFollowRedirect', 'MirrorCheckMd5', 'PassAll', 'MirrorPassOriginalSlashes'].map((n) => fieldOf(redirects[0]!, n)),
      ['Mirror', 'false', 'false', 'true', 'false', 'false', 'false']);
    assert.match(text, /<Pass>myheader-key1<\/Pass>/);
    assert.match(text, /<Pass>myheader-key2<\/Pass>/);

    const three = await putWebsite(srv.port, B, goDoc(`${goV1.docs}<RoutingRules>${goV1.ruleOk}${goV1.ruleArrOk}</RoutingRules>`));
    assert.equal(three.status, 200, three.text);
    text = (await getWebsite(srv.port, B)).text;
    assert.match(text, /<IndexDocument><Suffix>myindex\.html<\/Suffix>/);
    assert.match(text, /<ErrorDocument><Key>myerror\.html<\/Key>/);
    redirects = redirectsOf(text);
    assert.equal(redirects.length, 3);
    assert.equal(fieldOf(redirects[1]!, 'RedirectType'), 'AliCDN');
    assert.doesNotMatch(redirects[1]!, /Mirror/, 'an empty MirrorHeaders on an AliCDN rule is not kept, and no Mirror default is added');
    assert.deepEqual(['PassQueryString', 'MirrorPassQueryString', 'MirrorFollowRedirect', 'MirrorCheckMd5', 'PassAll'].map((n) => fieldOf(redirects[2]!, n)),
      ['true', 'true', 'false', 'false', 'true'], 'what was set is returned, not the defaults');

    // The refusals the same test expects still come, the empty documents beside them notwithstanding.
    const before = text;
    for (const [name, body, code] of [
      ['no RuleNumber', goDoc(`${goV1.emptyDocs}<RoutingRules>${goV1.ruleOk.replace('<RuleNumber>1</RuleNumber>', '')}</RoutingRules>`), 'MalformedXML'],
      ['Mirror without MirrorURL', goDoc(`${goV1.emptyDocs}<RoutingRules>${goV1.ruleErr}</RoutingRules>`), 'InvalidArgument'],
      ['repeated RuleNumber', goDoc(`${goV1.emptyDocs}<RoutingRules>${goV1.ruleErr}${goV1.ruleOk}</RoutingRules>`), 'InvalidArgument'],
      ['nothing but empty documents', goDoc(goV1.emptyDocs), 'MalformedXML'],
      ['an empty Suffix with SupportSubDir', doc('<IndexDocument><Suffix></Suffix><SupportSubDir>true</SupportSubDir></IndexDocument>'), 'InvalidArgument'],
      ['an empty Key with HttpStatus', doc('<IndexDocument><Suffix>a.html</Suffix></IndexDocument><ErrorDocument><Key></Key><HttpStatus>404</HttpStatus></ErrorDocument>'), 'InvalidArgument'],
    ] as const) {
      const r = await putWebsite(srv.port, B, body);
      assert.equal(r.err?.Code, code, `${name}: ${r.text}`);
      assert.equal((await getWebsite(srv.port, B)).text, before, `${name}: nothing stored`);
    }

    // SetBucketWebsite(bucket, index, "") sends the error document's Key empty: the index alone is set.
    const indexOnly = await putWebsite(srv.port, B, goDoc('<IndexDocument><Suffix>myindex</Suffix></IndexDocument><ErrorDocument><Key></Key></ErrorDocument>'));
    assert.equal(indexOnly.status, 200, indexOnly.text);
    text = (await getWebsite(srv.port, B)).text;
    assert.match(text, /<IndexDocument><Suffix>myindex<\/Suffix>/);
    assert.doesNotMatch(text, /<ErrorDocument>/);
  });

  it('ali-oss and the Java SDK (BucketWebsiteTest) read the Mirror defaults back; other rule types get none', async () => {
    const c = srv.client();
    await c.putBucketWebsite(B, {
      index: 'index.html',
      routingRules: [
        { RuleNumber: '2', Condition: { KeyPrefixEquals: 'm/', HttpErrorCodeReturnedEquals: '404' }, Redirect: { RedirectType: 'Mirror', MirrorURL: 'http://oss-test.example/mirror-test/' } },
        { RuleNumber: '5', Condition: { HttpErrorCodeReturnedEquals: '404' }, Redirect: { RedirectType: 'External', HostName: 'oss.aliyuncs.com', Protocol: 'https', ReplaceKeyWith: '${key}.jpg', HttpRedirectCode: '302' } },
      ],
    } as never);
    const got = (await c.getBucketWebsite(B)) as unknown as { routingRules: Array<{ Redirect: Record<string, unknown> }> };
    assert.equal(got.routingRules.length, 2);
    const [mirror, external] = got.routingRules.map((r) => r.Redirect);
    // Java's testNormalSetBucketWebsiteWithMirror: PassQueryString and MirrorPassOriginalSlashes left unset read back false.
    assert.equal(mirror!.PassQueryString, 'false');
    assert.equal(mirror!.MirrorPassOriginalSlashes, 'false');
    assert.equal(mirror!.MirrorPassQueryString, 'false');
    assert.equal(mirror!.MirrorFollowRedirect, 'true');
    assert.equal(mirror!.MirrorCheckMd5, 'false');
    assert.equal(mirror!.MirrorURL, 'http://oss-test.example/mirror-test/');
    assert.deepEqual(external, { RedirectType: 'External', Protocol: 'https', HostName: 'oss.aliyuncs.com', ReplaceKeyWith: '${key}.jpg', HttpRedirectCode: '302' });
  });

  it('RAM: an explicit Deny on PutBucketWebsite / DeleteBucketWebsite refuses them, GetBucketWebsite still allowed', async () => {
    await srv.client().putBucketWebsite(B, { index: 'ram.html' } as never);
    const u = await new Ram(srv).userWith('site-admin', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`] },
      { Effect: 'Deny', Action: ['oss:PutBucketWebsite', 'oss:DeleteBucketWebsite'], Resource: `acs:oss:*:*:${B}` },
    ));
    const c = u.oss();
    assert.equal((await c.getBucketWebsite(B)).index, 'ram.html');
    await expectOssError(c.putBucketWebsite(B, { index: 'other.html' } as never), 'AccessDenied', 403);
    await expectOssError(c.deleteBucketWebsite(B), 'AccessDenied', 403);
    assert.equal((await srv.client().getBucketWebsite(B)).index, 'ram.html', 'nothing changed');
  });

  it('RAM: an explicit Deny on GetBucketWebsite refuses it', async () => {
    const u = await new Ram(srv).userWith('site-reader-denied', policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`] },
      { Effect: 'Deny', Action: 'oss:GetBucketWebsite', Resource: `acs:oss:*:*:${B}` },
    ));
    await expectOssError(u.oss().getBucketWebsite(B), 'AccessDenied', 403);
  });

  it('a missing bucket is NoSuchBucket', async () => {
    const c = srv.client();
    await expectOssError(c.putBucketWebsite('site-nope', { index: 'a.html' } as never), 'NoSuchBucket', 404);
    await expectOssError(c.getBucketWebsite('site-nope'), 'NoSuchBucket', 404);
    await expectOssError(c.deleteBucketWebsite('site-nope'), 'NoSuchBucket', 404);
  });
});

describe('serving a website to anonymous GET/HEAD', () => {
  let srv: TestServer;
  let c: OSS;
  const B = 'site-serve';
  const setSite = async (inner: string): Promise<void> => {
    const r = await putWebsite(srv.port, B, doc(inner));
    assert.equal(r.status, 200, r.text);
  };
  const index = (subDir: boolean, type = 0): string =>
    `<IndexDocument><Suffix>index.html</Suffix><SupportSubDir>${subDir}</SupportSubDir><Type>${type}</Type></IndexDocument>`;
  const errorDoc = (status = 404): string => `<ErrorDocument><Key>error.html</Key><HttpStatus>${status}</HttpStatus></ErrorDocument>`;

  before(async () => {
    srv = await startTestServer();
    c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.putBucketACL(B, 'public-read');
    for (const [key, body] of [
      ['index.html', 'root index'], ['error.html', 'error page'], ['docs/index.html', 'docs index'], ['sub/', ''],
      ['dir2/index.html', 'dir2 index'], ['page.html', 'a page'], ['fallback.html', 'fallback'], ['new/x.html', 'new x'],
    ] as const) await c.put(key, Buffer.from(body));
    await c.put('secret.html', Buffer.from('secret'), { headers: { 'x-oss-object-acl': 'private' } });
    await c.put('priv/index.html', Buffer.from('private index'), { headers: { 'x-oss-object-acl': 'private' } });
  });
  after(() => srv.stop());

  it('without a website configuration, anonymous GET / lists the bucket and a missing key is NoSuchKey', async () => {
    const root = await get(srv.port, B, null);
    assert.equal(root.status, 200);
    assert.match(root.text, /<ListBucketResult>/);
    const missing = await get(srv.port, B, 'nope.html');
    assert.equal(missing.err?.Code, 'NoSuchKey');
  });

  it('index document: anonymous GET / serves it; a signed GET / still lists the bucket', async () => {
    await setSite(index(false) + errorDoc());
    const root = await get(srv.port, B, null);
    assert.equal(root.status, 200);
    assert.equal(root.text, 'root index');
    const signed = await send(srv.port, { method: 'GET', bucket: B });
    assert.match(signed.text, /<ListBucketResult>/);
    const head = await send(srv.port, { method: 'HEAD', bucket: B, key: 'docs/', anonymous: true });
    assert.equal(head.status, 200, 'HEAD of a directory: the index document\'s headers');
    assert.equal(head.headers['content-length'], String('root index'.length));
    // HEAD of the root (routed as HeadBucket): the index document's headers too, not a refusal.
    const headRoot = await send(srv.port, { method: 'HEAD', bucket: B, anonymous: true });
    assert.equal(headRoot.status, 200);
    assert.equal(headRoot.headers['content-length'], String('root index'.length));
  });

  it('without SupportSubDir a directory shows the root index; with it, its own', async () => {
    await setSite(index(false) + errorDoc());
    assert.equal((await get(srv.port, B, 'docs/')).text, 'root index');
    await setSite(index(true) + errorDoc());
    assert.equal((await get(srv.port, B, 'docs/')).text, 'docs index');
    const noIndex = await get(srv.port, B, 'empty/');
    assert.equal(noIndex.status, 404);
    assert.equal(noIndex.text, 'error page');
  });

  it('a signed GET/HEAD of a missing key ending in / gets the directory index (oss2 test_normal_set_website_without_routing_rule); an existing one is itself', async () => {
    const signed = (method: string, key: string): Promise<Sent> => send(srv.port, { method, bucket: B, key });
    await setSite(index(false) + errorDoc());
    const root = await signed('GET', 'tests-a1b2/c3d4/');
    assert.equal(root.status, 200, root.text);
    assert.equal(root.text, 'root index');
    const head = await signed('HEAD', 'docs/');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('root index'.length));
    // The object "sub/" exists (empty): GetObject returns it, not an index.
    const sub = await signed('GET', 'sub/');
    assert.equal(sub.status, 200);
    assert.equal(sub.text, '');
    await setSite(index(true) + errorDoc());
    assert.equal((await signed('GET', 'docs/')).text, 'docs index');
    // No index there: the original NoSuchKey (no error document for signed requests), as for a key without a slash.
    assert.equal((await signed('GET', 'empty/')).err?.Code, 'NoSuchKey');
    assert.equal((await signed('GET', 'nope.html')).err?.Code, 'NoSuchKey');
  });

  it('existing objects are served as they are', async () => {
    await setSite(index(true) + errorDoc());
    const page = await get(srv.port, B, 'page.html');
    assert.equal(page.status, 200);
    assert.equal(page.text, 'a page');
  });

  it('SupportSubDir Type 0: a missing key whose "key/" exists redirects there (302); otherwise the error document', async () => {
    await setSite(index(true, 0) + errorDoc());
    const r = await get(srv.port, B, 'sub');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `/${B}/sub/`);
    const none = await get(srv.port, B, 'dir2');
    assert.equal(none.status, 404, 'Type 0 does not look at dir2/index.html');
    assert.equal(none.text, 'error page');
  });

  it('SupportSubDir Type 1: plain 404 (error document); Type 2: serves key/index.html', async () => {
    await setSite(index(true, 1) + errorDoc());
    const one = await get(srv.port, B, 'sub');
    assert.equal(one.status, 404);
    assert.equal(one.text, 'error page');
    await setSite(index(true, 2) + errorDoc());
    const two = await get(srv.port, B, 'dir2');
    assert.equal(two.status, 200);
    assert.equal(two.text, 'dir2 index');
  });

  it('the error document is served with its HttpStatus (404 or 200); HEAD gets the status without a body', async () => {
    await setSite(index(false) + errorDoc(404));
    const r = await get(srv.port, B, 'missing.html');
    assert.equal(r.status, 404);
    assert.equal(r.text, 'error page');
    const head = await send(srv.port, { method: 'HEAD', bucket: B, key: 'missing.html', anonymous: true });
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0);
    await setSite(index(false) + errorDoc(200));
    const ok = await get(srv.port, B, 'missing.html');
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'error page');
    await setSite(index(false));
    const bare = await get(srv.port, B, 'missing.html');
    assert.equal(bare.status, 404);
    assert.equal(bare.err?.Code, 'NoSuchKey', 'no error document: the OSS error');
  });

  it('a private object in a readable bucket is AccessDenied as on OSS; Type 0 does not redirect to a key/ the visitor may not read', async () => {
    await c.put('hidden/', Buffer.from(''), { headers: { 'x-oss-object-acl': 'private' } });
    await setSite(index(true, 0) + errorDoc());
    for (const key of ['secret.html', 'priv/']) {
      const r = await get(srv.port, B, key);
      assert.equal(r.status, 403, key);
      assert.equal(r.err?.Code, 'AccessDenied', key);
    }
    const probe = await get(srv.port, B, 'hidden');
    assert.equal(probe.status, 404, 'Type 0 does not redirect to a "key/" the caller may not read');
    assert.equal(probe.text, 'error page');
    const absent = await get(srv.port, B, 'nohidden');
    assert.equal(absent.status, probe.status, 'Type 0: private key/ vs missing key/');
    assert.equal(absent.text, probe.text, 'Type 0: private key/ vs missing key/');
    assert.equal((await get(srv.port, B, 'sub')).status, 302, 'a readable key/ still redirects');
    const headSecret = await send(srv.port, { method: 'HEAD', bucket: B, key: 'secret.html', anonymous: true });
    assert.equal(headSecret.status, 403);
    const signed = await send(srv.port, { method: 'GET', bucket: B, key: 'secret.html' });
    assert.equal(signed.text, 'secret', 'the owner still reads it');
  });

  it('a private bucket serves nothing anonymously: existing and missing keys are both AccessDenied', async () => {
    await c.putBucketACL(B, 'private');
    try {
      await setSite(index(true, 0) + errorDoc());
      const root = await get(srv.port, B, null);
      assert.equal(root.status, 403);
      assert.equal(root.err?.Code, 'AccessDenied');
      for (const key of ['page.html', 'secret.html', 'absent.html', 'sub', 'hidden', 'nohidden', 'docs/', 'absent/']) {
        const r = await get(srv.port, B, key);
        assert.equal(r.status, 403, key);
        assert.equal(r.err?.Code, 'AccessDenied', key);
      }
    } finally {
      await c.putBucketACL(B, 'public-read');
    }
  });

  it('routing rules: External redirects (prefix replaced, host, protocol, code, query string passed)', async () => {
    await setSite(index(false) + errorDoc() + '<RoutingRules>'
      + '<RoutingRule><RuleNumber>2</RuleNumber><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><RedirectType>External</RedirectType>'
      + '<Protocol>https</Protocol><HostName>example.com</HostName><EnableReplacePrefix>true</EnableReplacePrefix><ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith>'
      + '<PassQueryString>true</PassQueryString><HttpRedirectCode>301</HttpRedirectCode></Redirect></RoutingRule>'
      + '<RoutingRule><RuleNumber>1</RuleNumber><Condition><KeyPrefixEquals>old/</KeyPrefixEquals><IncludeHeader><Key>x-site</Key><Equals>beta</Equals></IncludeHeader></Condition>'
      + '<Redirect><RedirectType>External</RedirectType><ReplaceKeyWith>beta/${key}</ReplaceKeyWith></Redirect></RoutingRule>'
      + '<RoutingRule><RuleNumber>3</RuleNumber><Condition><KeySuffixEquals>.htm</KeySuffixEquals></Condition><Redirect><RedirectType>Internal</RedirectType>'
      + '<ReplaceKeyWith>page.html</ReplaceKeyWith></Redirect></RoutingRule>'
      + '</RoutingRules>');
    const r = await get(srv.port, B, 'old/x.html', {}, '?a=1&b=2');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://example.com/new/x.html?a=1&b=2');
    const beta = await get(srv.port, B, 'old/x.html', { 'x-site': 'beta' });
    assert.equal(beta.status, 302, 'rule 1 (lower RuleNumber) wins when its header matches');
    assert.equal(beta.headers.location, `http://localhost:${srv.port}/${B}/beta/old/x.html`);
    const internal = await get(srv.port, B, 'anything.htm');
    assert.equal(internal.status, 200);
    assert.equal(internal.text, 'a page', 'Internal serves the rewritten key');
  });

  it('routing rules on 404: applied only when the key is missing (Internal rewrite to a fallback)', async () => {
    await setSite(index(false) + errorDoc() + '<RoutingRules><RoutingRule><RuleNumber>1</RuleNumber><Condition><KeyPrefixEquals>app/</KeyPrefixEquals>'
      + '<HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><RedirectType>Internal</RedirectType>'
      + '<ReplaceKeyWith>fallback.html</ReplaceKeyWith></Redirect></RoutingRule></RoutingRules>');
    const missing = await get(srv.port, B, 'app/route/42');
    assert.equal(missing.status, 200);
    assert.equal(missing.text, 'fallback');
    await c.put('app/real.html', Buffer.from('real'));
    assert.equal((await get(srv.port, B, 'app/real.html')).text, 'real', 'an existing key is not rewritten');
    const elsewhere = await get(srv.port, B, 'other/route');
    assert.equal(elsewhere.status, 404);
    assert.equal(elsewhere.text, 'error page');
  });

  it('virtual-hosted requests: the index at the host root, redirects relative to that host', async () => {
    await setSite(index(true, 0) + errorDoc());
    const host = `${B}.oss-cn-hangzhou.aliyuncs.com`;
    const root = await rawRequest(srv.port, { method: 'GET', path: '/', headers: { host } });
    assert.equal(root.status, 200);
    assert.equal(root.body.toString(), 'root index');
    const sub = await rawRequest(srv.port, { method: 'GET', path: '/sub', headers: { host } });
    assert.equal(sub.status, 302);
    assert.equal(sub.headers.location, '/sub/');
  });

  it('after DeleteBucketWebsite, anonymous GET / lists again', async () => {
    await setSite(index(false));
    assert.equal((await get(srv.port, B, null)).text, 'root index');
    await c.deleteBucketWebsite(B);
    assert.match((await get(srv.port, B, null)).text, /<ListBucketResult>/);
  });
});
