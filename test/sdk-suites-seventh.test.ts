// The official SDKs' own test suites, seventh reading: the .NET SDK's (aliyun/aliyun-oss-csharp-sdk
// test/TestCase/ObjectTestCase/ObjectBasicOperationTest.cs) and the object-level retention tests of the Java and
// Python SDK v2 (alibabacloud-oss-java-sdk-v2 src/it/…/oss2/ClientObjectWormTest.java,
// ClientBucketObjectWormConfigurationTest.java; alibabacloud-oss-python-sdk-v2 tests/integration/test_object_worm.py,
// test_bucket_object_worm_configuration_client.py and their async twins). Requests are built as the SDKs build them
// (path style on an IP endpoint, V1 header signatures with a `Date` header, as the Python SDK v2's signv1_client
// sends them; XML bodies as their serializers write them, with Content-MD5); answers are read as their
// deserializers read them: the .NET GetObjectMetadataResponseDeserializer keeps every response header it is given
// (a header answered with an empty value is "" to the test, not null).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, queryString, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'sdk-suites-seventh';
const DAY_MS = 60_000;

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };

describe('the SDK test suites, seventh reading', () => {
  let srv: TestServer;
  // The server's clock runs `ahead` ms ahead of the machine's: retentions end without the test sleeping.
  let ahead = 0;
  const now = (): number => Date.now() + ahead;

  async function send(r: Send): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, encodeURIComponent);
  }
  /** `send` with a RAM user's key. */
  async function userSend(user: RamUserHandle, r: SdkRequest): Promise<SdkReply> {
    const key = r.key ?? null;
    const path = `/${r.bucket}/${key === null ? '' : encodeURIComponent(key)}${queryString(r.query)}`;
    const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), ...(r.headers ?? {}) };
    headers['content-length'] = String(r.body === undefined ? 0 : Buffer.byteLength(r.body));
    headers.authorization = v1Authorization({ method: r.method, bucket: r.bucket, key, query: r.query ?? [], headers }, user.accessKeyId, user.accessKeySecret).authorization;
    const res = await rawRequest(srv.port, { method: r.method, path, headers, body: r.body });
    return { ...res, err: errorOf(res), text: res.body.toString('utf8') };
  }
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };

  before(async () => {
    // A retention "day" of one minute: default rules run out within the test (as oss-retention.test.ts shortens it).
    srv = await startTestServer({ clock: now, timing: { retentionDayMs: DAY_MS } });
    ok(await send({ method: 'PUT', bucket: B }), 'PutBucket');
  });
  after(async () => {
    await srv?.stop();
  });

  describe('.NET ObjectBasicOperationTest', () => {
    it('ModifyObjectMetaWithSetEmptyValue: a Cache-Control sent empty is not stored, so the metadata has none (was answered back as "")', async () => {
      const key = 'modify-meta-empty-value';
      // PutObject with ObjectMetadata { ContentType = "text/rtf" }.
      ok(await send({ method: 'PUT', key, headers: { 'content-type': 'text/rtf' }, body: 'hello' }), 'PutObject');
      const before = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      assert.equal(before.headers['content-type'], 'text/rtf');
      assert.equal(before.headers['cache-control'], undefined);
      // ModifyObjectMeta(new ObjectMetadata { CacheControl = "", ContentEncoding = null, ContentType =
      // "application/octet-stream", ExpirationTime = oldMeta.ExpirationTime }): a copy onto itself, REPLACE, with
      // the headers ObjectMetadata.Populate writes (CacheControl's setter keeps "", ExpirationTime DateTime.MinValue).
      ok(await send({
        method: 'PUT', key,
        headers: {
          'x-oss-copy-source': `/${B}/${key}`, 'x-oss-metadata-directive': 'REPLACE',
          'cache-control': '', 'content-type': 'application/octet-stream', expires: 'Mon, 01 Jan 0001 00:00:00 GMT',
        },
      }), 'ModifyObjectMeta');
      const after = ok(await send({ method: 'HEAD', key }), 'GetObjectMetadata');
      assert.equal(after.headers['content-type'], 'application/octet-stream');
      // Assert.AreEqual(null, newMeta2.CacheControl): the deserializer would read an empty header as "".
      assert.equal(after.headers['cache-control'], undefined, JSON.stringify(after.headers));
      const got = ok(await send({ method: 'GET', key }), 'GetObject');
      assert.equal(got.headers['cache-control'], undefined);
    });

    it('the same for a PutObject and the other standard headers sent empty (Content-Disposition, Content-Encoding, Content-Language, Expires); a value is kept', async () => {
      const key = 'put-empty-standard-headers';
      ok(await send({
        method: 'PUT', key, body: 'x',
        headers: { 'cache-control': '', 'content-disposition': '', 'content-encoding': '', 'content-language': '', expires: '', 'x-oss-meta-kept': '' },
      }), 'PutObject');
      const head = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      for (const h of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires']) {
        assert.equal(head.headers[h], undefined, `${h}: ${JSON.stringify(head.headers)}`);
      }
      // User metadata is the user's: an empty value stays one.
      assert.equal(head.headers['x-oss-meta-kept'], '');
      ok(await send({ method: 'PUT', key, body: 'x', headers: { 'cache-control': 'no-cache', 'content-disposition': 'attachment' } }), 'PutObject');
      const again = ok(await send({ method: 'HEAD', key }), 'HeadObject');
      assert.equal(again.headers['cache-control'], 'no-cache');
      assert.equal(again.headers['content-disposition'], 'attachment');
    });
  });

  describe('object-level retention (Java SDK v2 ClientObjectWormTest, ClientBucketObjectWormConfigurationTest; Python SDK v2 test_object_worm.py, test_bucket_object_worm_configuration_client.py)', () => {
    const W = 'sdk-seventh-worm';
    /** A body as the SDKs send one: application/xml with its Content-MD5 (the Go SDK v2's updateContentMd5). */
    const xml = (body: string): Pick<SdkRequest, 'headers' | 'body'> => ({
      body, headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') },
    });
    const wormConfig = (rule: string): string => `<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled>${rule}</ObjectWormConfiguration>`;
    const text = (res: SdkReply, name: string): string => {
      const all = strictTexts(res.text, name);
      assert.equal(all.length, 1, `${name} once in ${res.text.slice(0, 300)}`);
      return all[0]!;
    };
    /** The Python test's retain_until_date: UTC, whole seconds, `.000Z`. */
    const until = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
    const versionOf = async (key: string, bucket = W): Promise<string> => {
      const list = ok(await send({ method: 'GET', bucket, query: [['versions', ''], ['prefix', key]] }), 'ListObjectVersions');
      return strictTexts(list.text, 'VersionId')[0]!;
    };
    /** A bucket of its own with versioning Enabled and, when `rule` is given, ObjectWorm with that default rule. */
    const versionedBucket = async (name: string, rule?: string): Promise<void> => {
      ok(await send({ method: 'PUT', bucket: name }), 'PutBucket');
      ok(await send({ method: 'PUT', bucket: name, query: [['versioning', '']], ...xml('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>') }), 'PutBucketVersioning');
      if (rule !== undefined) ok(await send({ method: 'PUT', bucket: name, query: [['objectWorm', '']], ...xml(wormConfig(rule)) }), 'PutBucketObjectWormConfiguration');
    };

    before(async () => {
      ok(await send({ method: 'PUT', bucket: W }), 'PutBucket');
    });

    it('PutBucketObjectWormConfiguration needs versioning, then is read back (Days, Years); a bucket without one is 404 (was 501 NotImplemented)', async () => {
      const gov = wormConfig('<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>');
      const none = await send({ method: 'GET', bucket: W, query: [['objectWorm', '']] });
      assert.equal(none.status, 404, none.text);
      assert.equal(none.err?.Code, 'NoSuchObjectWormConfiguration');
      // OSS's page: versioning must be enabled first.
      const refused = await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(gov) });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.err?.Code, 'InvalidRequest');
      ok(await send({ method: 'PUT', bucket: W, query: [['versioning', '']], ...xml('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>') }), 'PutBucketVersioning');
      ok(await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(gov) }), 'PutBucketObjectWormConfiguration');
      const got = ok(await send({ method: 'GET', bucket: W, query: [['objectWorm', '']] }), 'GetBucketObjectWormConfiguration');
      assert.equal(text(got, 'ObjectWormEnabled'), 'Enabled');
      assert.equal(text(got, 'Mode'), 'GOVERNANCE');
      assert.equal(text(got, 'Days'), '1');
      assert.deepEqual(strictTexts(got.text, 'Years'), []);
      // test_bucket_object_worm_configuration_v1: COMPLIANCE for a year replaces it.
      ok(await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(wormConfig('<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>1</Years></DefaultRetention></Rule>')) }), 'PutBucketObjectWormConfiguration');
      const again = ok(await send({ method: 'GET', bucket: W, query: [['objectWorm', '']] }), 'GetBucketObjectWormConfiguration');
      assert.equal(text(again, 'Mode'), 'COMPLIANCE');
      assert.equal(text(again, 'Years'), '1');
      // Days and Years together, or neither, is not a rule; an unknown mode is refused.
      const both = await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(wormConfig('<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>')) });
      assert.equal(both.err?.Code, 'MalformedXML');
      const mode = await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(wormConfig('<Rule><DefaultRetention><Mode>LOCKED</Mode><Days>1</Days></DefaultRetention></Rule>')) });
      assert.equal(mode.err?.Code, 'InvalidArgument');
      // Once on, versioning stays on and a bucket-level WORM policy cannot be initiated (OSS's page).
      const suspend = await send({ method: 'PUT', bucket: W, query: [['versioning', '']], ...xml('<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>') });
      assert.equal(suspend.err?.Code, 'InvalidRequest', suspend.text);
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, query: [['versioning', '']] }), 'GetBucketVersioning'), 'Status'), 'Enabled');
      const bucketWorm = await send({ method: 'POST', bucket: W, query: [['worm', '']], ...xml('<InitiateWormConfiguration><RetentionPeriodInDays>1</RetentionPeriodInDays></InitiateWormConfiguration>') });
      assert.equal(bucketWorm.err?.Code, 'InvalidRequest', bucketWorm.text);
      // No rule (the tests of test_object_worm.py): ObjectWorm on, no default.
      ok(await send({ method: 'PUT', bucket: W, query: [['objectWorm', '']], ...xml(wormConfig('')) }), 'PutBucketObjectWormConfiguration');
      assert.deepEqual(strictTexts(ok(await send({ method: 'GET', bucket: W, query: [['objectWorm', '']] }), 'Get').text, 'Rule'), []);
    });

    it('PutObjectRetention / GetObjectRetention: the mode and the date as put; the version cannot be deleted until then, COMPLIANCE only grows', async () => {
      const key = 'test-retention-object';
      ok(await send({ method: 'PUT', bucket: W, key, body: 'test content' }), 'PutObject');
      // Far enough ahead that the requests below all come before it, on a slow machine too (the clock then jumps past).
      const date = until(now() + 30_000);
      ok(await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], ...xml(`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>${date}</RetainUntilDate></Retention>`) }), 'PutObjectRetention');
      const got = ok(await send({ method: 'GET', bucket: W, key, query: [['retention', '']] }), 'GetObjectRetention');
      assert.equal(text(got, 'Mode'), 'COMPLIANCE');
      assert.equal(text(got, 'RetainUntilDate'), date);
      const versionId = await versionOf(key);
      // The Python test's delete_all_objects: DeleteMultipleObjects of every version. Before the date it is refused.
      const del = await send({ method: 'DELETE', bucket: W, key, query: [['versionId', versionId]] });
      assert.equal(del.status, 409, del.text);
      assert.equal(del.err?.Code, 'FileImmutable');
      const shorter = await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], ...xml(`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>${until(now() + 15_000)}</RetainUntilDate></Retention>`) });
      assert.equal(shorter.status, 403, shorter.text);
      const past = await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], ...xml('<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2001-01-01T00:00:00.000Z</RetainUntilDate></Retention>') });
      assert.equal(past.err?.Code, 'InvalidArgument');
      // A delete without versionId only adds a delete marker; the version stays (its retention with it).
      assert.equal((await send({ method: 'DELETE', bucket: W, key })).status, 204);
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, key, query: [['retention', ''], ['versionId', versionId]] }), 'GetObjectRetention'), 'Mode'), 'COMPLIANCE');
      // The Python test sleeps 6 s past the date, then deletes every version.
      ahead += 32_000;
      const body = `<Delete><Quiet>true</Quiet><Object><Key>${key}</Key><VersionId>${versionId}</VersionId></Object></Delete>`;
      ok(await send({ method: 'POST', bucket: W, query: [['delete', '']], ...xml(body) }), 'DeleteMultipleObjects');
      const gone = await send({ method: 'GET', bucket: W, key, query: [['versionId', versionId]] });
      assert.equal(gone.status, 404, gone.text);
    });

    it('GOVERNANCE is loosened only with x-oss-bypass-governance-retention: true (test_object_retention_with_bypass)', async () => {
      const key = 'test-retention-bypass';
      ok(await send({ method: 'PUT', bucket: W, key, body: 'test content' }), 'PutObject');
      ok(await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], ...xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${until(now() + 60_000)}</RetainUntilDate></Retention>`) }), 'PutObjectRetention');
      const sooner = until(now() + 30_000);
      const refused = await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], ...xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${sooner}</RetainUntilDate></Retention>`) });
      assert.equal(refused.status, 403, refused.text);
      const bypass = xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${sooner}</RetainUntilDate></Retention>`);
      ok(await send({ method: 'PUT', bucket: W, key, query: [['retention', '']], body: bypass.body, headers: { ...bypass.headers, 'x-oss-bypass-governance-retention': 'true' } }), 'PutObjectRetention with bypass');
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, key, query: [['retention', '']] }), 'GetObjectRetention'), 'RetainUntilDate'), sooner);
    });

    it('PutObjectLegalHold ON / OFF read back; a version under a legal hold cannot be deleted (ClientObjectWormTest.testObjectLegalHoldOperations, test_object_legal_hold)', async () => {
      const key = 'test-legalhold-object';
      ok(await send({ method: 'PUT', bucket: W, key, body: 'test content' }), 'PutObject');
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, key, query: [['legalHold', '']] }), 'GetObjectLegalHold'), 'Status'), 'OFF');
      ok(await send({ method: 'PUT', bucket: W, key, query: [['legalHold', '']], ...xml('<LegalHold><Status>ON</Status></LegalHold>') }), 'PutObjectLegalHold');
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, key, query: [['legalHold', '']] }), 'GetObjectLegalHold'), 'Status'), 'ON');
      const versionId = await versionOf(key);
      const del = await send({ method: 'DELETE', bucket: W, key, query: [['versionId', versionId]] });
      assert.equal(del.err?.Code, 'FileImmutable', del.text);
      ok(await send({ method: 'PUT', bucket: W, key, query: [['legalHold', '']], ...xml('<LegalHold><Status>OFF</Status></LegalHold>') }), 'PutObjectLegalHold');
      assert.equal(text(ok(await send({ method: 'GET', bucket: W, key, query: [['legalHold', '']] }), 'GetObjectLegalHold'), 'Status'), 'OFF');
      // The Java test's last step: DeleteObject (a delete marker) is 204; then the version itself goes.
      assert.equal((await send({ method: 'DELETE', bucket: W, key })).status, 204);
      assert.equal((await send({ method: 'DELETE', bucket: W, key, query: [['versionId', versionId]] })).status, 204);
      const bad = await send({ method: 'PUT', bucket: W, key: 'absent', query: [['legalHold', '']], ...xml('<LegalHold><Status>ON</Status></LegalHold>') });
      assert.equal(bad.err?.Code, 'NoSuchKey');
      const status = await send({ method: 'PUT', bucket: W, key, query: [['legalHold', '']], ...xml('<LegalHold><Status>on</Status></LegalHold>') });
      assert.equal(status.status, 400, status.text);
    });

    it('the default rule protects the versions written while it is in force, from their write; a later rule changes only later versions', async () => {
      const D = 'sdk-seventh-worm-default';
      await versionedBucket(D, '<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>');
      ok(await send({ method: 'PUT', bucket: D, key: 'under-default', body: 'x' }), 'PutObject');
      const head = ok(await send({ method: 'HEAD', bucket: D, key: 'under-default' }), 'HeadObject');
      const written = Date.parse(String(head.headers['last-modified']));
      const got = ok(await send({ method: 'GET', bucket: D, key: 'under-default', query: [['retention', '']] }), 'GetObjectRetention');
      assert.equal(text(got, 'Mode'), 'GOVERNANCE');
      // Last-Modified is to the second; the retention runs one (shortened) day from the write itself.
      const until = Date.parse(text(got, 'RetainUntilDate'));
      assert.ok(until - written >= DAY_MS && until - written < DAY_MS + 1000, `${text(got, 'RetainUntilDate')} vs ${String(head.headers['last-modified'])}`);
      // The rule taken away: later versions have none, the earlier one keeps its protection.
      ok(await send({ method: 'PUT', bucket: D, query: [['objectWorm', '']], ...xml(wormConfig('')) }), 'PutBucketObjectWormConfiguration');
      ok(await send({ method: 'PUT', bucket: D, key: 'after-default', body: 'x' }), 'PutObject');
      assert.equal((await send({ method: 'GET', bucket: D, key: 'after-default', query: [['retention', '']] })).err?.Code, 'NoSuchObjectRetention');
      const protectedVersion = await versionOf('under-default', D);
      const refused = await send({ method: 'DELETE', bucket: D, key: 'under-default', query: [['versionId', protectedVersion]] });
      assert.equal(refused.err?.Code, 'FileImmutable', refused.text);
      ahead += DAY_MS + 2000;
      assert.equal((await send({ method: 'DELETE', bucket: D, key: 'under-default', query: [['versionId', protectedVersion]] })).status, 204);
    });

    it('a COMPLIANCE default cannot be erased by rewriting the configuration: a version it protects stays protected after 1,001 Puts without a rule', async () => {
      const E = 'sdk-seventh-worm-erase';
      await versionedBucket(E, '<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>3650</Days></DefaultRetention></Rule>');
      ok(await send({ method: 'PUT', bucket: E, key: 'record', body: 'x' }), 'PutObject');
      const v = await versionOf('record', E);
      // Before: the history kept the last 1,000 Puts, so the rule that protected the version was forgotten.
      const none = xml(wormConfig(''));
      for (let i = 0; i < 1001; i += 8) {
        await Promise.all(Array.from({ length: Math.min(8, 1001 - i) }, async () => ok(await send({ method: 'PUT', bucket: E, query: [['objectWorm', '']], ...none }), 'PutBucketObjectWormConfiguration')));
      }
      const got = ok(await send({ method: 'GET', bucket: E, key: 'record', query: [['retention', ''], ['versionId', v]] }), 'GetObjectRetention');
      assert.equal(text(got, 'Mode'), 'COMPLIANCE');
      const refused = await send({ method: 'DELETE', bucket: E, key: 'record', query: [['versionId', v]] });
      assert.equal(refused.err?.Code, 'FileImmutable', refused.text);
    });

    it('an AppendObject on a bucket with ObjectWorm is refused, nothing written (OSS: enabling ObjectWorm disables append uploads)', async () => {
      const A = 'sdk-seventh-worm-append';
      await versionedBucket(A);
      ok(await send({ method: 'POST', bucket: A, key: 'log', query: [['append', ''], ['position', '0']], body: 'before' }), 'AppendObject before ObjectWorm');
      ok(await send({ method: 'PUT', bucket: A, query: [['objectWorm', '']], ...xml(wormConfig('')) }), 'PutBucketObjectWormConfiguration');
      for (const [key, position] of [['log', '6'], ['new', '0']] as const) {
        const refused = await send({ method: 'POST', bucket: A, key, query: [['append', ''], ['position', position]], body: 'after' });
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.err?.Code, 'InvalidRequest');
      }
      assert.equal(ok(await send({ method: 'GET', bucket: A, key: 'log' }), 'GetObject').text, 'before');
      assert.equal((await send({ method: 'HEAD', bucket: A, key: 'new' })).status, 404);
    });

    it('a bucket without ObjectWorm takes no retention; DELETE of the sub-resources stays 501; an explicit Deny on oss:PutObjectRetention refuses it', async () => {
      ok(await send({ method: 'PUT', key: 'plain', body: 'x' }), 'PutObject');
      const none = await send({ method: 'PUT', key: 'plain', query: [['retention', '']], ...xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${until(now() + 60_000)}</RetainUntilDate></Retention>`) });
      assert.equal(none.err?.Code, 'InvalidRequest', none.text);
      for (const [key, sub] of [[null, 'objectWorm'], ['plain', 'retention'], ['plain', 'legalHold']] as const) {
        const res = await send({ method: 'DELETE', key, query: [[sub, '']] });
        assert.equal(res.status, 501, `${sub}: ${res.text}`);
      }
      assert.equal((await send({ method: 'GET', key: 'plain' })).status, 200);
      const ram = new Ram(srv);
      const user = await ram.userWith('seventh-deny-retention', policyDoc(
        { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
        { Effect: 'Deny', Action: ['oss:PutObjectRetention'], Resource: [`acs:oss:*:*:${W}/denied`] },
      ));
      ok(await send({ method: 'PUT', bucket: W, key: 'denied', body: 'x' }), 'PutObject');
      const body = xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${until(now() + 60_000)}</RetainUntilDate></Retention>`);
      const denied = await userSend(user, { method: 'PUT', bucket: W, key: 'denied', query: [['retention', '']], ...body });
      assert.equal(denied.status, 403, denied.text);
      assert.equal(denied.err?.Code, 'AccessDenied');
      assert.equal((await send({ method: 'GET', bucket: W, key: 'denied', query: [['retention', '']] })).err?.Code, 'NoSuchObjectRetention');
      // The same user may read it, and set one on another object.
      ok(await send({ method: 'PUT', bucket: W, key: 'allowed', body: 'x' }), 'PutObject');
      ok(await userSend(user, { method: 'PUT', bucket: W, key: 'allowed', query: [['retention', '']], ...body }), 'PutObjectRetention by the user');
    });
  });
});
