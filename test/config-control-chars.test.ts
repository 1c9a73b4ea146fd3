// Control characters in configuration fields (docs/compatibility.md, "Control characters in configuration
// fields"): a character XML 1.0 cannot carry (a C0 control other than tab, LF, CR; U+FFFE, U+FFFF), sent as a
// reference such as `&#1;` or raw, used to be accepted and then written raw into the Get answer, which strict
// XML readers (Go encoding/xml, the Java SDKs, Python's ElementTree) refuse. Each field now refuses it with the
// operation's own code, the stored configuration unchanged, and every Get answer reads with a strict XML 1.0
// parser. Tab, LF and CR still round-trip. Object keys keep control characters. Real server, signed raw HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorOf, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { strictTexts, strictXmlError } from './helpers/strict-xml.js';

const BUCKET = 'ctl-chars';
const CTL = '&#1;';

type Query = Array<[string, string]>;

interface Case {
  what: string;
  query: Query;
  key?: string;
  /** A valid document with `@` where the tested text goes. */
  doc: string;
  /** What `@` is in the stored (valid) document. */
  good: string;
  code: string;
}

const lifecycle = (id: string, prefix: string, tagValue = 'v', notPrefix = 'p/x'): string =>
  `<LifecycleConfiguration><Rule><ID>${id}</ID><Prefix>${prefix}</Prefix><Tag><Key>k</Key><Value>${tagValue}</Value></Tag><Status>Enabled</Status>` +
  `<Filter><Not><Prefix>${notPrefix}</Prefix></Not></Filter><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`;
const website = (routing: string): string =>
  `<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules><RoutingRule><RuleNumber>1</RuleNumber>${routing}</RoutingRule></RoutingRules></WebsiteConfiguration>`;

const CASES: Case[] = [
  { what: 'bucket tag key', query: [['tagging', '']], doc: '<Tagging><TagSet><Tag><Key>k@</Key><Value>v</Value></Tag></TagSet></Tagging>', good: '1', code: 'InvalidTag' },
  { what: 'bucket tag value', query: [['tagging', '']], doc: '<Tagging><TagSet><Tag><Key>k</Key><Value>v@</Value></Tag></TagSet></Tagging>', good: '1', code: 'InvalidTag' },
  { what: 'object tag value', query: [['tagging', '']], key: 'obj', doc: '<Tagging><TagSet><Tag><Key>k</Key><Value>v@</Value></Tag></TagSet></Tagging>', good: '1', code: 'InvalidTag' },
  { what: 'CORS AllowedOrigin', query: [['cors', '']], doc: '<CORSConfiguration><CORSRule><AllowedOrigin>http://a@.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>', good: 'b', code: 'InvalidArgument' },
  { what: 'CORS AllowedHeader', query: [['cors', '']], doc: '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-@</AllowedHeader></CORSRule></CORSConfiguration>', good: 'a', code: 'InvalidArgument' },
  { what: 'lifecycle ID', query: [['lifecycle', '']], doc: lifecycle('r@', 'p/'), good: '1', code: 'InvalidArgument' },
  { what: 'lifecycle Prefix', query: [['lifecycle', '']], doc: lifecycle('r', 'p@', 'v', 'p@/x'), good: '/', code: 'InvalidArgument' },
  { what: 'lifecycle Tag Value', query: [['lifecycle', '']], doc: lifecycle('r', 'p/', 'v@'), good: '1', code: 'InvalidArgument' },
  { what: 'lifecycle Filter Not Prefix', query: [['lifecycle', '']], doc: lifecycle('r', 'p/', 'v', 'p/x@'), good: '1', code: 'InvalidArgument' },
  { what: 'referer', query: [['referer', '']], doc: '<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>http://a@.example</Referer></RefererList></RefererConfiguration>', good: 'b', code: 'InvalidArgument' },
  { what: 'website IncludeHeader Equals', query: [['website', '']], doc: website('<Condition><KeyPrefixEquals>a</KeyPrefixEquals><IncludeHeader><Key>h</Key><Equals>v@</Equals></IncludeHeader></Condition><Redirect><RedirectType>External</RedirectType><HostName>example.com</HostName></Redirect>'), good: '1', code: 'InvalidArgument' },
  { what: 'website MirrorURL', query: [['website', '']], doc: website('<Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><RedirectType>Mirror</RedirectType><MirrorURL>http://origin.example/@</MirrorURL></Redirect>'), good: 'a', code: 'InvalidArgument' },
  { what: 'website KeyPrefixEquals', query: [['website', '']], doc: website('<Condition><KeyPrefixEquals>a@</KeyPrefixEquals></Condition><Redirect><RedirectType>External</RedirectType><HostName>example.com</HostName></Redirect>'), good: '1', code: 'InvalidArgument' },
  { what: 'logging TargetPrefix', query: [['logging', '']], doc: `<BucketLoggingStatus><LoggingEnabled><TargetBucket>${BUCKET}</TargetBucket><TargetPrefix>log@/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`, good: 's', code: 'InvalidArgument' },
  { what: 'stored: user-defined log field', query: [['userDefinedLogFieldsConfig', '']], doc: '<UserDefinedLogFieldsConfiguration><HeaderSet><header>x-@</header></HeaderSet></UserDefinedLogFieldsConfiguration>', good: 'a', code: 'InvalidArgument' },
  { what: 'stored: live channel Description', query: [['live', '']], key: 'ch1', doc: '<LiveChannelConfiguration><Description>d@</Description><Status>enabled</Status><Target><Type>HLS</Type></Target></LiveChannelConfiguration>', good: '1', code: 'InvalidArgument' },
  { what: 'overwrite rule Prefix', query: [['overwriteConfig', '']], doc: '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Prefix>a@/</Prefix></Rule></OverwriteConfiguration>', good: 'b', code: 'InvalidArgument' },
  { what: 'overwrite rule Principal', query: [['overwriteConfig', '']], doc: '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Principals><Principal>1@</Principal></Principals></Rule></OverwriteConfiguration>', good: '2', code: 'InvalidArgument' },
];

describe('configuration fields refuse characters XML 1.0 cannot carry; every Get reads strictly', () => {
  let srv: TestServer;

  async function send(method: string, query: Query, body: string | Buffer = '', key: string | null = null): Promise<RawResponse & { text: string }> {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), 'content-length': String(buf.length) };
    if (buf.length > 0) headers['content-md5'] = createHash('md5').update(buf).digest('base64');
    headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query, headers }, AK, SECRET).authorization;
    const res = await rawRequest(srv.port, { method, path: `/${BUCKET}/${key === null ? '' : encodeURIComponent(key)}${qs}`, headers, body: buf });
    return { ...res, text: res.body.toString('utf8') };
  }

  before(async () => {
    srv = await startTestServer();
    assert.equal((await send('PUT', [])).status, 200);
    assert.equal((await send('PUT', [], 'hello', 'obj')).status, 200);
  });
  after(() => srv.stop());

  for (const c of CASES) {
    test(`${c.what}: \`${CTL}\` and the raw character are refused (${c.code}); the stored configuration stays and reads strictly`, async () => {
      const key = c.key ?? null;
      const put = await send('PUT', c.query, c.doc.replaceAll('@', c.good), key);
      assert.equal(put.status, 200, put.text);
      const before = await send('GET', c.query, '', key);
      assert.equal(before.status, 200, before.text);
      assert.equal(strictXmlError(before.text), null, before.text);
      for (const bad of [c.doc.replaceAll('@', CTL), c.doc.replaceAll('@', '&#x08;'), c.doc.replaceAll('@', '\u001f'), c.doc.replaceAll('@', '&#xFFFF;')]) {
        const res = await send('PUT', c.query, bad, key);
        assert.equal(res.status, 400, `${bad}: ${res.text}`);
        assert.equal(errorOf(res)?.Code, c.code, res.text);
        assert.equal(strictXmlError(res.text), null, res.text);
        const now = await send('GET', c.query, '', key);
        assert.equal(now.text, before.text, bad);
      }
    });
  }

  test('a live channel named with a control character is refused (InvalidArgument); ListLiveChannel reads strictly', async () => {
    const doc = '<LiveChannelConfiguration><Status>enabled</Status><Target><Type>HLS</Type></Target></LiveChannelConfiguration>';
    const res = await send('PUT', [['live', '']], doc, 'ch\u0001x');
    assert.equal(res.status, 400, res.text);
    assert.equal(errorOf(res)?.Code, 'InvalidArgument');
    const list = await send('GET', [['live', '']]);
    assert.equal(list.status, 200, list.text);
    assert.equal(strictXmlError(list.text), null, list.text);
  });

  test('tab, LF and CR still round-trip: the Get carries them so a strict parser reads back what was sent', async () => {
    const value = 'a\tb\nc\rd';
    const body = `<Tagging><TagSet><Tag><Key>k</Key><Value>a&#9;b&#10;c&#13;d</Value></Tag></TagSet></Tagging>`;
    assert.equal((await send('PUT', [['tagging', '']], body)).status, 200);
    const got = await send('GET', [['tagging', '']]);
    assert.equal(strictXmlError(got.text), null, got.text);
    assert.deepEqual(strictTexts(got.text, 'Value'), [value]);
    const lc = lifecycle('id&#9;1', 'p&#13;/', 'v', 'p&#13;/x');
    assert.equal((await send('PUT', [['lifecycle', '']], lc)).status, 200);
    const rules = await send('GET', [['lifecycle', '']]);
    assert.equal(strictXmlError(rules.text), null, rules.text);
    assert.deepEqual(strictTexts(rules.text, 'ID'), ['id\t1']);
    assert.deepEqual(strictTexts(rules.text, 'Prefix'), ['p\r/', 'p\r/x']);
  });

  test('object keys keep control characters (documented exception): stored, listed raw, and with encoding-type=url', async () => {
    const key = 'k\u0001ey';
    assert.equal((await send('PUT', [], 'x', key)).status, 200);
    const listed = await send('GET', [['encoding-type', 'url'], ['prefix', 'k']]);
    assert.equal(strictXmlError(listed.text), null, listed.text);
    assert.deepEqual(strictTexts(listed.text, 'Key'), ['k%01ey']);
  });
});
