// Bucket lifecycle: PutBucketLifecycle / GetBucketLifecycle / DeleteBucketLifecycle through ali-oss and raw
// signed XML (the grammar and every documented refusal, nothing half-applied), `x-oss-expiration` on GET/HEAD,
// and the background worker (expiration, transitions, aborted uploads, filters, restart mid-pass) on a
// lifecycle "day" shortened to one second and a test clock. Runs on PostgreSQL too (test/pg-lifecycle.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { XMLParser } from 'fast-xml-parser';
import { LIFECYCLE, validateLifecycle } from '../src/domain/lifecycle.js';
import { LifecycleWorker } from '../src/domain/lifecycle-worker.js';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';
import { MemoryBlobStore } from '../src/store/blob/memory.js';
import { openMetadataStore } from '../src/store/meta/open.js';
import { eventually } from './helpers/eventually.js';
import { expectOssError, extras, statusOf } from './helpers/oss.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { encodeKey, errorOf, queryString, rawRequest, v1Authorization, type RawResponse } from './helpers/raw-http.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const hdr = (r: any, name: string): string | undefined => (r.res.headers as Record<string, string>)[name];
const md5 = (b: string): string => createHash('md5').update(b).digest('base64');
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => ['Rule', 'Tag', 'Transition', 'Not', 'NoncurrentVersionTransition'].includes(name) });
const doc = (rules: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
const rule = (id: string, prefix: string, actions: string, status = 'Enabled'): string =>
  `<Rule><ID>${id}</ID><Prefix>${prefix}</Prefix><Status>${status}</Status>${actions}</Rule>`;
const expireDays = (n: number): string => `<Expiration><Days>${n}</Days></Expiration>`;

/** PutBucketAccessMonitor Enabled: access tracking on, which rules on the last access time need. */
async function trackAccess(port: number, bucket: string): Promise<void> {
  const monitor = `<?xml version="1.0" encoding="UTF-8"?>\n<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>`;
  assert.equal((await send(port, { method: 'PUT', bucket, query: [['accessmonitor', '']], headers: { 'content-type': 'application/xml' }, body: monitor })).status, 200);
}

type Sent = RawResponse & { err: Record<string, string> | null };

/** A V1-signed path-style request. */
async function send(port: number, r: { method: string; bucket: string; key?: string | null; query?: Array<[string, string]>; headers?: Record<string, string>; body?: string }): Promise<Sent> {
  const key = r.key ?? null;
  const path = `/${r.bucket}/${key === null ? '' : encodeKey(key)}${queryString(r.query)}`;
  const headers: Record<string, string> = { host: `localhost:${port}`, ...(r.headers ?? {}) };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  headers['x-oss-date'] = new Date().toUTCString();
  headers.authorization = v1Authorization({ method: r.method, bucket: r.bucket, key, query: r.query ?? [], headers }, AK, SECRET).authorization;
  const res = await rawRequest(port, { method: r.method, path, headers, body: r.body });
  return { ...res, err: errorOf(res) };
}

const putLifecycle = (port: number, bucket: string, body: string, extra: Record<string, string> = {}): Promise<Sent> =>
  send(port, { method: 'PUT', bucket, query: [['lifecycle', '']], headers: { 'content-md5': md5(body), 'content-type': 'application/xml', ...extra }, body });
const getLifecycle = (port: number, bucket: string): Promise<Sent> => send(port, { method: 'GET', bucket, query: [['lifecycle', '']] });

/** The metadata store option for servers that must reopen the same database (PostgreSQL: one fresh schema). */
async function sharedMeta(): Promise<string | undefined> {
  return process.env.ALUNITE_TEST_META === 'postgres' ? (await testPostgres()).freshUrl() : undefined;
}

describe('PutBucketLifecycle / GetBucketLifecycle / DeleteBucketLifecycle', () => {
  let srv: TestServer;
  const B = 'life-config';

  before(async () => {
    srv = await startTestServer({ lifecycle: { intervalMs: 0 } });
    await srv.client().putBucket(B);
  });
  after(() => srv.stop());

  it('ali-oss: put, get (rules as sent, tags as a list), delete (204), then NoSuchLifecycle', async () => {
    const c = srv.client();
    await expectOssError(c.getBucketLifecycle(B), 'NoSuchLifecycle', 404);
    const put = await c.putBucketLifecycle(B, [
      { id: 'exp', prefix: 'logs/', status: 'Enabled', expiration: { days: 3 }, tag: [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }] },
      { id: 'arch', prefix: 'data/', status: 'Disabled', transition: { days: 30, storageClass: 'IA' }, expiration: { days: 90 } },
      { id: 'parts', prefix: 'tmp/', status: 'Enabled', abortMultipartUpload: { createdBeforeDate: '2020-02-18T00:00:00.000Z' } },
    ] as never);
    assert.equal(statusOf(put), 200);
    const got = await c.getBucketLifecycle(B);
    assert.equal(got.res.status, 200);
    const rules = got.rules as unknown as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(rules.map((r) => r.id), ['exp', 'arch', 'parts']);
    assert.deepEqual(rules[0]!.expiration, { days: '3' });
    assert.deepEqual(rules[0]!.tag, [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }]);
    assert.equal(rules[1]!.status, 'Disabled');
    assert.deepEqual(rules[1]!.transition, { days: '30', storageClass: 'IA' });
    assert.deepEqual(rules[2]!.abortMultipartUpload, { createdBeforeDate: '2020-02-18T00:00:00.000Z' });
    const del = await c.deleteBucketLifecycle(B);
    assert.equal(statusOf(del), 204);
    const err = await expectOssError(c.getBucketLifecycle(B), 'NoSuchLifecycle', 404);
    assert.equal(err.message, 'No Row found in Lifecycle Table.');
    assert.equal(statusOf(await c.deleteBucketLifecycle(B)), 204); // idempotent
  });

  it('the whole grammar round-trips: Filter Not (prefix + tag), sizes, transitions, ExpiredObjectDeleteMarker, noncurrent actions; a missing ID is generated', async () => {
    const body = doc(
      rule('full', 'a/', '<Filter><Not><Prefix>a/keep/</Prefix><Tag><Key>hold</Key><Value>yes</Value></Tag></Not><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>64000</ObjectSizeLessThan></Filter>' +
        '<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>60</Days><StorageClass>Archive</StorageClass></Transition>' +
        '<Transition><Days>90</Days><StorageClass>ColdArchive</StorageClass></Transition><Transition><Days>120</Days><StorageClass>DeepColdArchive</StorageClass></Transition>' +
        '<Expiration><Days>365</Days></Expiration>') +
      rule('versions', 'b/', '<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration>' +
        '<NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays><StorageClass>IA</StorageClass></NoncurrentVersionTransition>') +
      '<Rule><Prefix>c/</Prefix><Status>Enabled</Status><Expiration><CreatedBeforeDate>2002-10-11T00:00:00.000Z</CreatedBeforeDate></Expiration></Rule>',
    );
    const res = await putLifecycle(srv.port, B, body);
    assert.equal(res.status, 200, res.body.toString());
    const got = await getLifecycle(srv.port, B);
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'application/xml');
    const rules = xml.parse(got.body.toString()).LifecycleConfiguration.Rule as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(rules.length, 3);
    assert.deepEqual(rules[0]!.Filter, { Not: [{ Prefix: 'a/keep/', Tag: [{ Key: 'hold', Value: 'yes' }] }], ObjectSizeGreaterThan: '10', ObjectSizeLessThan: '64000' });
    assert.deepEqual(rules[0]!.Transition.map((t: { StorageClass: string }) => t.StorageClass), ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive']);
    assert.deepEqual(rules[0]!.Expiration, { Days: '365' });
    assert.deepEqual(rules[1]!.Expiration, { ExpiredObjectDeleteMarker: 'true' });
    assert.deepEqual(rules[1]!.NoncurrentVersionExpiration, { NoncurrentDays: '5' });
    assert.deepEqual(rules[1]!.NoncurrentVersionTransition, [{ NoncurrentDays: '2', StorageClass: 'IA' }]);
    assert.match(String(rules[2]!.ID), /^[0-9a-f-]{36}$/);
    assert.deepEqual(rules[2]!.Expiration, { CreatedBeforeDate: '2002-10-11T00:00:00.000Z' });
  });

  it('every malformed document gets its documented error, and the rules in place stay as they were', async () => {
    const good = doc(rule('keep', 'k/', expireDays(7)));
    assert.equal((await putLifecycle(srv.port, B, good)).status, 200);
    const before = (await getLifecycle(srv.port, B)).body.toString();
    const cases: Array<[string, string, number, string, RegExp | string, string?]> = [
      ['not XML', '<LifecycleConfiguration><Rule>', 400, 'MalformedXML', /./],
      ['wrong root', '<CORSConfiguration/>', 400, 'MalformedXML', /./],
      ['no rule', doc(''), 400, 'MalformedXML', /./],
      ['no Status', doc('<Rule><ID>x</ID><Prefix>p/</Prefix><Expiration><Days>1</Days></Expiration></Rule>'), 400, 'MalformedXML', /./],
      ['bad Status', doc(rule('x', 'p/', expireDays(1), 'On')), 400, 'MalformedXML', /./],
      ['no action', doc(rule('x', 'p/', '')), 400, 'MalformedXML', /./, '0014-00000026'],
      ['empty Expiration', doc(rule('x', 'p/', '<Expiration></Expiration>')), 400, 'MalformedXML', /./, '0014-00000060'],
      ['Days and CreatedBeforeDate', doc(rule('x', 'p/', '<Expiration><Days>1</Days><CreatedBeforeDate>2020-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration>')), 400, 'MalformedXML', /./],
      ['ExpiredObjectDeleteMarker with Days', doc(rule('x', 'p/', '<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>')), 400, 'MalformedXML', /./],
      ['Days 0', doc(rule('x', 'p/', expireDays(0))), 400, 'InvalidArgument', 'Expiration Days must be a positive integer.'],
      ['Prefix over 1023 bytes', doc(rule('x', 'p'.repeat(1024), expireDays(1))), 400, 'InvalidArgument', /at most 1023 bytes/],
      ['Days not a number', doc(rule('x', 'p/', '<Expiration><Days>1.5</Days></Expiration>')), 400, 'InvalidArgument', /positive integer/],
      ['date not at midnight', doc(rule('x', 'p/', '<Expiration><CreatedBeforeDate>2020-01-01T10:00:00.000Z</CreatedBeforeDate></Expiration>')), 400, 'InvalidArgument', /00:00:00 UTC/],
      ['unknown storage class', doc(rule('x', 'p/', '<Transition><Days>1</Days><StorageClass>Standard</StorageClass></Transition>')), 400, 'InvalidArgument', /StorageClass/],
      ['Transition without a class', doc(rule('x', 'p/', '<Transition><Days>1</Days></Transition>')), 400, 'MalformedXML', /./],
      ['Archive before IA', doc(rule('x', 'p/', '<Transition><Days>60</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>30</Days><StorageClass>Archive</StorageClass></Transition>')), 400, 'InvalidArgument', /later than/],
      ['expiration before the transition', doc(rule('x', 'p/', '<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition><Expiration><Days>30</Days></Expiration>')), 400, 'InvalidArgument', /later than/],
      ['Days and dates mixed', doc(rule('x', 'p/', '<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition><Expiration><CreatedBeforeDate>2020-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration>')), 400, 'InvalidRequest', /^Found mixed CreatedBeforeDate and Days based/, '0014-00000080'],
      ['ID of 256 bytes', doc(rule('i'.repeat(256), 'p/', expireDays(1))), 400, 'InvalidArgument', /255/],
      ['duplicate IDs', doc(rule('x', 'p/', expireDays(1)) + rule('x', 'q/', expireDays(1))), 400, 'InvalidArgument', /unique/],
      ['1001 rules', doc(Array.from({ length: 1001 }, (_, i) => rule(`r${i}`, `p${i}/`, expireDays(1))).join('')), 400, 'InvalidArgument', /one thousand/],
      ['overlapping Expiration', doc(rule('a', 'dir1/', expireDays(180)) + rule('b', 'dir1/dir2/', expireDays(30))), 400, 'InvalidRequest', 'Overlap for same action type Expiration.', '0014-00000084'],
      ['whole-bucket rule overlaps', doc(rule('a', '', expireDays(180)) + rule('b', 'x/', expireDays(30))), 400, 'InvalidRequest', 'Overlap for same action type Expiration.'],
      ['overlapping transitions to one class', doc(rule('a', 'test', '<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition>') + rule('b', 'test/log', '<Transition><Days>60</Days><StorageClass>IA</StorageClass></Transition>')), 400, 'InvalidRequest', 'Overlap for same action type Transition.', '0014-00000079'],
      ['Tag with AbortMultipartUpload', doc(rule('x', 'p/', '<AbortMultipartUpload><Days>1</Days></AbortMultipartUpload><Tag><Key>a</Key><Value>b</Value></Tag>')), 400, 'InvalidArgument', /AbortMultipartUpload/],
      ['Not outside the rule prefix', doc(rule('x', 'p/', `${expireDays(1)}<Filter><Not><Prefix>q/</Prefix></Not></Filter>`)), 400, 'InvalidArgument', /start with the Prefix/],
      ['Not with an empty prefix and no tag', doc(rule('x', 'p/', `${expireDays(1)}<Filter><Not><Prefix></Prefix></Not></Filter>`)), 400, 'MalformedXML', /./],
      ['sizes the wrong way round', doc(rule('x', 'p/', `${expireDays(1)}<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>`)), 400, 'InvalidArgument', /ObjectSizeGreaterThan/],
      ['IsAccessTime without access tracking', doc(rule('x', 'p/', '<Transition><Days>30</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>false</ReturnToStdWhenVisit></Transition>')), 400, 'MalformedXML', /./],
      ['ReturnToStdWhenVisit without IsAccessTime', doc(rule('x', 'p/', '<Transition><Days>30</Days><StorageClass>IA</StorageClass><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit></Transition>')), 400, 'MalformedXML', /./, '0014-00000052'],
    ];
    for (const [name, body, status, code, message, ec] of cases) {
      const res = await putLifecycle(srv.port, B, body);
      assert.equal(res.status, status, `${name}: ${res.body.toString()}`);
      assert.equal(res.err?.Code, code, name);
      if (typeof message === 'string') assert.equal(res.err?.Message, message, name);
      else assert.match(res.err?.Message ?? '', message, name);
      if (ec !== undefined) assert.equal(res.err?.EC, ec, name);
      assert.equal((await getLifecycle(srv.port, B)).body.toString(), before, `${name}: the rules in place changed`);
    }
    // A body that does not match its Content-MD5 is not the one signed.
    const wrong = await send(srv.port, { method: 'PUT', bucket: B, query: [['lifecycle', '']], headers: { 'content-md5': md5('other') }, body: good });
    assert.equal(wrong.err?.Code, 'InvalidDigest');
    // A Not of only a Tag, its Prefix written empty (the Go SDK v1's TestBucketLifecycleWithFilterSize), is accepted.
    const tagOnly = doc(rule('tag-only', '', `${expireDays(1)}<Filter><Not><Prefix></Prefix><Tag><Key>keep</Key><Value>yes</Value></Tag></Not><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan></Filter>`));
    const ok = await putLifecycle(srv.port, B, tagOnly);
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal((await putLifecycle(srv.port, B, good)).status, 200, 'the rules as before');
  });

  it('CreatedBeforeDate steps are not ordered: oss2 puts an Expiration after an IA Transition, ali-oss an Expiration before one', async () => {
    // The body as oss2 writes it: StorageClass before CreatedBeforeDate in the Transition, and a Tag.
    const d = (day: number): string => `2016-12-${day}T00:00:00.000Z`;
    const oss2Body = '<LifecycleConfiguration><Rule><ID>r</ID><Prefix>中文前缀/</Prefix><Status>Enabled</Status>' +
      `<Expiration><CreatedBeforeDate>${d(25)}</CreatedBeforeDate></Expiration>` +
      `<Transition><StorageClass>IA</StorageClass><CreatedBeforeDate>${d(20)}</CreatedBeforeDate></Transition>` +
      '<Tag><Key>test_key</Key><Value>test_value</Value></Tag></Rule></LifecycleConfiguration>';
    const ok = await putLifecycle(srv.port, B, oss2Body);
    assert.equal(ok.status, 200, ok.body.toString());
    const got = xml.parse((await getLifecycle(srv.port, B)).body.toString()) as { LifecycleConfiguration: { Rule: Array<Record<string, unknown>> } };
    assert.deepEqual(got.LifecycleConfiguration.Rule[0]!.Transition, [{ CreatedBeforeDate: d(20), StorageClass: 'IA' }]);
    // Each date names the objects created before it, so any order is coherent; ali-oss's own "should put the lifecycle
    // with Transition" puts an Expiration at 2020-02-17 before an IA Transition at 2020-02-18 and expects 200.
    const ladder = (ia: number, archive: number, exp: number): string => doc(rule('r', 'p/',
      `<Transition><CreatedBeforeDate>${d(ia)}</CreatedBeforeDate><StorageClass>IA</StorageClass></Transition>` +
      `<Transition><CreatedBeforeDate>${d(archive)}</CreatedBeforeDate><StorageClass>Archive</StorageClass></Transition>` +
      `<Expiration><CreatedBeforeDate>${d(exp)}</CreatedBeforeDate></Expiration>`));
    for (const [ia, archive, exp] of [[10, 15, 20], [15, 10, 20], [10, 15, 12], [10, 20, 20], [18, 19, 17]] as const) {
      const res = await putLifecycle(srv.port, B, ladder(ia, archive, exp));
      assert.equal(res.status, 200, `${ia} ${archive} ${exp}: ${res.body.toString()}`);
    }
    // Days still are: an expiration before a transition, or a colder class sooner, is refused.
    const byDays = (ia: number, archive: number, exp: number): string => doc(rule('r', 'p/',
      `<Transition><Days>${ia}</Days><StorageClass>IA</StorageClass></Transition>` +
      `<Transition><Days>${archive}</Days><StorageClass>Archive</StorageClass></Transition>` +
      `<Expiration><Days>${exp}</Days></Expiration>`));
    assert.equal((await putLifecycle(srv.port, B, byDays(10, 15, 20))).status, 200);
    for (const [ia, archive, exp] of [[15, 10, 20], [10, 15, 12], [10, 20, 20]] as const) {
      const res = await putLifecycle(srv.port, B, byDays(ia, archive, exp));
      assert.equal(res.err?.Code, 'InvalidArgument', `${ia} ${archive} ${exp}`);
      assert.match(res.err?.Message ?? '', /later than/);
    }
  });

  it('ExpiredObjectDeleteMarker as oss2 writes it (Python True) is accepted and read back as true', async () => {
    const res = await putLifecycle(srv.port, B, doc(rule('dm', 'dm/', '<Expiration><ExpiredObjectDeleteMarker>True</ExpiredObjectDeleteMarker></Expiration>')));
    assert.equal(res.status, 200, res.body.toString());
    assert.match((await getLifecycle(srv.port, B)).body.toString(), /<ExpiredObjectDeleteMarker>true<\/ExpiredObjectDeleteMarker>/);
  });

  it('rule tags: no length limits, but only the characters of object tags (oss2 test_lifecycle_object_tagging_exceptions_*)', async () => {
    const withTag = (k: string, v: string): string => doc(rule('t', 'p/', `${expireDays(1)}<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`));
    for (const [k, v] of [['a'.repeat(129), 'test'], ['test', 'a'.repeat(257)], ['Az09 +-=._:/', 'Az09 +-=._:/']]) {
      const res = await putLifecycle(srv.port, B, withTag(k!, v!));
      assert.equal(res.status, 200, `${k}=${v}: ${res.body.toString()}`);
    }
    const nineteen = doc(rule('t', 'p/', expireDays(1) + Array.from({ length: 19 }, (_, i) => `<Tag><Key>test_key_${i}</Key><Value>v${i}</Value></Tag>`).join('')));
    assert.equal((await putLifecycle(srv.port, B, nineteen)).status, 200);
    for (const [k, v, name] of [['%&amp;', 'test', 'Key'], ['test', ')%', 'Value'], ['', 'test', 'Key']]) {
      const res = await putLifecycle(srv.port, B, withTag(k!, v!));
      assert.equal(res.err?.Code, 'InvalidArgument', `${k}=${v}`);
      assert.equal(res.err?.ArgumentName, name, `${k}=${v}`);
    }
  });

  it('x-oss-allow-same-action-overlap: true allows overlapping prefixes with the same action, except AbortMultipartUpload', async () => {
    const overlap = doc(rule('Rule1', 'dir1/', expireDays(180)) + rule('Rule2', 'dir1/dir2/', expireDays(30)));
    assert.equal((await putLifecycle(srv.port, B, overlap, { 'x-oss-allow-same-action-overlap': 'false' })).err?.Code, 'InvalidRequest');
    const ok = await putLifecycle(srv.port, B, overlap, { 'x-oss-allow-same-action-overlap': 'true' });
    assert.equal(ok.status, 200, ok.body.toString());
    const parts = doc(rule('a', 'dir1/', '<AbortMultipartUpload><Days>1</Days></AbortMultipartUpload>') + rule('b', 'dir1/dir2/', '<AbortMultipartUpload><Days>2</Days></AbortMultipartUpload>'));
    const refused = await putLifecycle(srv.port, B, parts, { 'x-oss-allow-same-action-overlap': 'true' });
    assert.equal(refused.err?.Message, 'Overlap for same action type AbortMultipartUpload.');
  });

  it('rules on the last access time (IsAccessTime) with access tracking on: accepted and returned; tracking cannot be switched off under them', async () => {
    const A = 'life-atime';
    await srv.client().putBucket(A);
    const monitor = (status: string): Promise<Sent> => {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<AccessMonitorConfiguration><Status>${status}</Status></AccessMonitorConfiguration>`;
      return send(srv.port, { method: 'PUT', bucket: A, query: [['accessmonitor', '']], headers: { 'content-type': 'application/xml' }, body });
    };
    const monitorStatus = async (): Promise<string> => /<Status>([^<]*)<\/Status>/.exec((await send(srv.port, { method: 'GET', bucket: A, query: [['accessmonitor', '']] })).body.toString())![1]!;
    const tr = (days: number, cls: string, extra: string): string => `<Transition><Days>${days}</Days><StorageClass>${cls}</StorageClass>${extra}</Transition>`;
    // The Go SDK v1's TestBucketAccessMonitor (as its structs marshal them): five rules, one NoncurrentVersionTransition.
    const goRules = doc(
      rule('mtime transition1', 'logs1', tr(30, 'IA', '')) +
      rule('mtime transition2', 'logs2', tr(30, 'IA', '<IsAccessTime>false</IsAccessTime>')) +
      rule('amtime transition1', 'logs3', tr(30, 'IA', '<IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>false</ReturnToStdWhenVisit>')) +
      rule('amtime transition2', 'logs4', tr(30, 'IA', '<IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit><AllowSmallFile>true</AllowSmallFile>')) +
      rule('amtime transition3', 'logs5', '<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>false</ReturnToStdWhenVisit><AllowSmallFile>false</AllowSmallFile></NoncurrentVersionTransition>'),
    );
    // Tracking off: MalformedXML (the Java SDK's testUnormalSetBucketLifecycleWithAccessMonitor).
    assert.equal((await putLifecycle(srv.port, A, goRules)).err?.Code, 'MalformedXML');
    assert.equal((await monitor('Enabled')).status, 200);
    assert.equal((await monitor('Enabled')).status, 200, 'Enabled twice');
    const put = await putLifecycle(srv.port, A, goRules);
    assert.equal(put.status, 200, put.body.toString());
    const rules = xml.parse((await getLifecycle(srv.port, A)).body.toString()).LifecycleConfiguration.Rule;
    assert.equal(rules[1].Transition[0].IsAccessTime, 'false');
    assert.deepEqual([rules[2].Transition[0].IsAccessTime, rules[2].Transition[0].ReturnToStdWhenVisit], ['true', 'false']);
    assert.deepEqual([rules[3].Transition[0].IsAccessTime, rules[3].Transition[0].ReturnToStdWhenVisit, rules[3].Transition[0].AllowSmallFile], ['true', 'true', 'true']);
    assert.deepEqual(rules[4].NoncurrentVersionTransition[0], { NoncurrentDays: '10', StorageClass: 'IA', IsAccessTime: 'true', ReturnToStdWhenVisit: 'false', AllowSmallFile: 'false' });

    // Switching tracking off under such rules: AccessMonitorDisableNotAllowed (PutBucketAccessMonitor's API page;
    // the Go SDK's test expects an error, the Java SDK's BucketAccessMonitorTest this code); nothing changes.
    const refused = await monitor('Disabled');
    assert.equal(refused.status, 400);
    assert.equal(refused.err?.Code, 'AccessMonitorDisableNotAllowed');
    assert.equal(await monitorStatus(), 'Enabled');

    // ali-oss writes the elements it is given: a transition on the access time through putBucketLifecycle.
    const c = srv.client();
    await c.putBucketLifecycle(A, [
      { id: 'ali', prefix: 'ali/', status: 'Enabled', transition: { days: 30, storageClass: 'IA', isAccessTime: 'true', returnToStdWhenVisit: 'true' } },
    ] as never);
    const ali = xml.parse((await getLifecycle(srv.port, A)).body.toString()).LifecycleConfiguration.Rule[0].Transition[0];
    assert.deepEqual([ali.IsAccessTime, ali.ReturnToStdWhenVisit], ['true', 'true']);

    // Days since the last access only (EC 0014-00000047), and ReturnToStdWhenVisit said (EC 0014-00000052).
    const byDate = await putLifecycle(srv.port, A, doc(rule('d', 'd/', '<Transition><CreatedBeforeDate>2021-12-30T00:00:00.000Z</CreatedBeforeDate><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit></Transition>')));
    assert.deepEqual([byDate.status, byDate.err?.Code, byDate.err?.EC], [400, 'MalformedXML', '0014-00000047']);
    const noReturn = await putLifecycle(srv.port, A, doc(rule('r', 'r/', tr(200, 'IA', '<IsAccessTime>true</IsAccessTime>'))));
    assert.deepEqual([noReturn.status, noReturn.err?.Code, noReturn.err?.EC], [400, 'MalformedXML', '0014-00000052']);

    // oss2's test_access_monitor_with_bucket_lifecycle: a mtime and an atime transition in one rule, kept in the order sent.
    const mixed = await putLifecycle(srv.port, A, doc(rule('mixed', 'cn/', `${expireDays(356)}${tr(355, 'Archive', '<IsAccessTime>false</IsAccessTime>')}${tr(352, 'IA', '<IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit><AllowSmallFile>true</AllowSmallFile>')}`)));
    assert.equal(mixed.status, 200, mixed.body.toString());
    const mixedBack = xml.parse((await getLifecycle(srv.port, A)).body.toString()).LifecycleConfiguration.Rule[0].Transition;
    assert.deepEqual(mixedBack.map((t: Record<string, string>) => [t.Days, t.IsAccessTime]), [['355', 'false'], ['352', 'true']]);

    // A disabled rule on the access time still holds tracking on; rules without any let it go.
    assert.equal((await putLifecycle(srv.port, A, doc(rule('off', 'off/', tr(30, 'IA', '<IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>false</ReturnToStdWhenVisit>'), 'Disabled')))).status, 200);
    assert.equal((await monitor('Disabled')).err?.Code, 'AccessMonitorDisableNotAllowed');
    assert.equal((await putLifecycle(srv.port, A, doc(rule('m', 'm/', tr(30, 'IA', '<IsAccessTime>false</IsAccessTime>'))))).status, 200);
    assert.equal((await monitor('Disabled')).status, 200);
    assert.equal(await monitorStatus(), 'Disabled');
    assert.equal((await putLifecycle(srv.port, A, goRules)).err?.Code, 'MalformedXML', 'off again: refused again');
    // DeleteBucketLifecycle, then switching off: the Go SDK's order.
    assert.equal((await monitor('Enabled')).status, 200);
    assert.equal((await putLifecycle(srv.port, A, goRules)).status, 200);
    assert.equal((await send(srv.port, { method: 'DELETE', bucket: A, query: [['lifecycle', '']] })).status, 204);
    assert.equal((await monitor('Disabled')).status, 200);
  });

  it('each operation is authorized as its own RAM action (oss:PutBucketLifecycle, oss:GetBucketLifecycle, oss:DeleteBucketLifecycle)', async () => {
    const u = await new Ram(srv).userWith('life-reader', policyDoc({ Effect: 'Allow', Action: 'oss:GetBucketLifecycle', Resource: `acs:oss:*:*:${B}` }));
    const c = u.oss();
    await srv.client().putBucketLifecycle(B, [{ id: 'r', prefix: 'ram/', status: 'Enabled', expiration: { days: 1 } }] as never);
    assert.equal(statusOf(await c.getBucketLifecycle(B)), 200);
    await expectOssError(c.putBucketLifecycle(B, [{ id: 'x', prefix: 'x/', status: 'Enabled', expiration: { days: 1 } }] as never), 'AccessDenied', 403);
    await expectOssError(c.deleteBucketLifecycle(B), 'AccessDenied', 403);
    const rules = (await srv.client().getBucketLifecycle(B)).rules as unknown as Array<{ id: string }>;
    assert.deepEqual(rules.map((r) => r.id), ['r'], 'nothing changed');
  });

  it('a missing bucket is NoSuchBucket for all three', async () => {
    const c = srv.client();
    await expectOssError(c.putBucketLifecycle('life-nope', [{ id: 'a', prefix: '', status: 'Enabled', expiration: { days: 1 } }] as never), 'NoSuchBucket', 404);
    await expectOssError(c.getBucketLifecycle('life-nope'), 'NoSuchBucket', 404);
    await expectOssError(c.deleteBucketLifecycle('life-nope'), 'NoSuchBucket', 404);
  });
});

describe('the lifecycle worker', () => {
  // A test clock: "days" are one second, and the test moves time on instead of sleeping.
  let now = Date.now();
  const clock = (): number => now;
  const DAY = 1000;
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer({ clock, lifecycle: { daySeconds: 1, intervalMs: 0, pageSize: 7 } });
  });
  after(() => srv.stop());

  const keys = async (bucket: string): Promise<string[]> => {
    const out: string[] = [];
    let after = '';
    for (;;) {
      const page = await srv.meta.listObjects(bucket, { prefix: '', after, limit: 1000 });
      out.push(...page.map((o) => o.key));
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.key;
    }
  };

  it('expires what a rule selects (prefix, tags, Filter Not, sizes), frees blob files, announces x-oss-expiration; keeps the rest', async () => {
    const B = 'life-expire';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    const big = Buffer.alloc(100 * 1024, 7); // a blob file, not inline
    await c.put('logs/big.bin', big);
    for (let i = 0; i < 20; i++) await c.put(`logs/${String(i).padStart(2, '0')}.txt`, Buffer.from(`log ${i}`));
    await c.put('logs/keep/a.txt', Buffer.from('kept by Not'));
    await c.put('tagged/t1', Buffer.from('x'), { headers: { 'x-oss-tagging': 'class=temp' } });
    await c.put('tagged/t2', Buffer.from('x'), { headers: { 'x-oss-tagging': 'class=gold' } });
    await c.put('sized/small', Buffer.from('1'));
    await c.put('sized/large', Buffer.alloc(2000, 1));
    await c.put('other/x', Buffer.from('no rule'));
    const blobsBefore = await countBlobs(srv);
    assert.ok(blobsBefore >= 1);
    const body = doc(
      rule('logs', 'logs/', `${expireDays(2)}<Filter><Not><Prefix>logs/keep/</Prefix></Not></Filter>`) +
      rule('temp', 'tagged/', `${expireDays(1)}<Tag><Key>class</Key><Value>temp</Value></Tag>`) +
      rule('sized', 'sized/', `${expireDays(1)}<Filter><ObjectSizeLessThan>1000</ObjectSizeLessThan></Filter>`),
    );
    assert.equal((await putLifecycle(srv.port, B, body)).status, 200);

    // A rule whose date no calendar holds is never due and announces nothing ("Invalid Date" before).
    const far = srv.client({ bucket: 'life-far' });
    await far.putBucket('life-far');
    await far.put('far/x', Buffer.from('x'));
    assert.equal((await putLifecycle(srv.port, 'life-far', doc(rule('far', 'far/', expireDays(999999999999999))))).status, 200);
    assert.equal(hdr(await far.head('far/x'), 'x-oss-expiration'), undefined);
    const exp = hdr(await c.head('logs/03.txt'), 'x-oss-expiration');
    assert.equal(exp, `expiry-date="${new Date(now + 2 * DAY).toUTCString()}", rule-id="logs"`);
    assert.equal(hdr(await c.head('other/x'), 'x-oss-expiration'), undefined);
    assert.equal(hdr(await c.head('logs/keep/a.txt'), 'x-oss-expiration'), undefined);
    assert.match(hdr(await c.get('tagged/t1'), 'x-oss-expiration')!, /rule-id="temp"/);

    now += 1.5 * DAY; // the one-day rules are due, the two-day one not yet
    await srv.lifecycle!.runPass();
    assert.deepEqual(await keys(B), [
      'logs/00.txt', 'logs/01.txt', 'logs/02.txt', 'logs/03.txt', 'logs/04.txt', 'logs/05.txt', 'logs/06.txt', 'logs/07.txt', 'logs/08.txt',
      'logs/09.txt', 'logs/10.txt', 'logs/11.txt', 'logs/12.txt', 'logs/13.txt', 'logs/14.txt', 'logs/15.txt', 'logs/16.txt', 'logs/17.txt',
      'logs/18.txt', 'logs/19.txt', 'logs/big.bin', 'logs/keep/a.txt', 'other/x', 'sized/large', 'tagged/t2',
    ]);
    now += DAY;
    const finished = await srv.lifecycle!.runPass();
    assert.deepEqual(await keys(B), ['logs/keep/a.txt', 'other/x', 'sized/large', 'tagged/t2']);
    const mine = finished.filter((f) => f.bucket === B);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.expired, 21);
    assert.equal(await countBlobs(srv), blobsBefore - 1, 'the expired blob file is deleted');
    await expectOssError(c.head('logs/big.bin'), 'NoSuchKey', 404);
  });

  it('transitions on the last access time count from the last GetObject, or from when tracking was switched on; a read brings an object back to Standard when its rule says so', async () => {
    const B = 'life-atime-worker';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('at/read', Buffer.from('r'));
    await c.put('at/idle', Buffer.from('i'));
    await c.put('mt/old', Buffer.from('m'));
    // Stored as IA by its writer: no rule moved it, so a read leaves it IA (OSS returns only what a rule moved).
    await c.put('at/born-ia', Buffer.from('b'), { headers: { 'x-oss-storage-class': 'IA' } } as OSS.PutObjectOptions);
    now += 10 * DAY; // old by their last modification
    const on = now;
    await trackAccess(srv.port, B);
    const body = doc(
      rule('atime', 'at/', '<Transition><Days>2</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime><ReturnToStdWhenVisit>true</ReturnToStdWhenVisit></Transition>') +
      rule('mtime', 'mt/', '<Transition><Days>2</Days><StorageClass>IA</StorageClass></Transition>'),
    );
    const put = await putLifecycle(srv.port, B, body);
    assert.equal(put.status, 200, put.body.toString());
    const cls = async (key: string): Promise<string | undefined> => hdr(await c.head(key), 'x-oss-storage-class');
    const accessed = async (key: string): Promise<string | undefined> => hdr(await extras(c).getObjectMeta(key), 'x-oss-last-access-time');

    await srv.lifecycle!.runPass();
    assert.equal(await cls('mt/old'), 'IA', 'by the last modification: due');
    assert.deepEqual([await cls('at/read'), await cls('at/idle')], ['Standard', 'Standard'], 'by the last access: tracking began just now');
    // Never read since tracking began: the time it began (OSS initialises the last access time so).
    assert.equal(await accessed('at/idle'), new Date(on).toUTCString());

    now += 1.5 * DAY;
    const readAt = now;
    assert.equal((await c.get('at/read')).content.toString(), 'r');
    await eventually(async () => (await srv.meta.getObject(B, 'at/read'))?.attrs?.lastAccess === readAt, 'the read is recorded');
    assert.equal(await accessed('at/read'), new Date(readAt).toUTCString());
    await c.get('at/read');
    assert.equal((await srv.meta.getObject(B, 'at/read'))?.attrs?.lastAccess, readAt, 'a read within a day of the last is not recorded again');

    now += DAY;
    await srv.lifecycle!.runPass();
    assert.equal(await cls('at/idle'), 'IA', '2.5 days since tracking began');
    assert.equal(await cls('at/read'), 'Standard', 'read a day ago');
    // ReturnToStdWhenVisit true: reading it brings it back to Standard (and records the access).
    const back = now;
    assert.equal((await srv.meta.getObject(B, 'at/idle'))?.attrs?.returnToStandard, true, 'marked by the worker');
    await c.get('at/idle');
    await eventually(async () => (await srv.meta.getObject(B, 'at/idle'))?.storageClass === 'Standard', 'returned to Standard');
    assert.equal(await accessed('at/idle'), new Date(back).toUTCString());
    assert.equal((await srv.meta.getObject(B, 'at/idle'))?.attrs?.returnToStandard, undefined, 'the mark goes with the return');
    await c.get('at/born-ia');
    await eventually(async () => (await srv.meta.getObject(B, 'at/born-ia'))?.attrs?.lastAccess === back, 'the read of the IA-born object is recorded');
    assert.equal(await cls('at/born-ia'), 'IA', 'stored as IA, not moved by the rule: stays IA');
    now += DAY;
    await srv.lifecycle!.runPass();
    assert.equal(await cls('at/idle'), 'Standard', 'read a day ago: not due again');
  });

  it('what counts as an access (OSS\'s table): a GetObject through a symlink, of the link and of its target; a PutObjectACL; not a HEAD', async () => {
    const B = 'life-atime-ops';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('target', Buffer.from('t'));
    await c.put('acl', Buffer.from('a'));
    await c.putSymlink('link', 'target');
    await trackAccess(srv.port, B);
    const on = now;
    const recorded = async (key: string): Promise<unknown> => (await srv.meta.getObject(B, key))?.attrs?.lastAccess;
    const accessed = async (key: string): Promise<string | undefined> => hdr(await extras(c).getObjectMeta(key), 'x-oss-last-access-time');

    now += 2 * DAY;
    const readAt = now;
    await c.head('link');
    assert.equal(await recorded('target'), undefined, 'a HEAD reads no bytes');
    assert.equal((await c.get('link')).content.toString(), 't');
    await eventually(async () => (await recorded('target')) === readAt && (await recorded('link')) === readAt, 'the read is recorded on the target and on the link');
    assert.equal(await accessed('link'), new Date(readAt).toUTCString(), 'GetObjectMeta of the link answers the link\'s last access');
    assert.equal(await accessed('acl'), new Date(on).toUTCString(), 'not accessed since tracking began');

    now += DAY;
    await c.putACL('acl', 'public-read');
    assert.equal(await recorded('acl'), now, 'PutObjectACL is an access');
    assert.equal(await accessed('acl'), new Date(now).toUTCString());
  });

  it('moves objects down the storage-class ladder (never up), expiration winning over transition', async () => {
    const B = 'life-transition';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('cold/a', Buffer.from('a'));
    await c.put('cold/b', Buffer.from('b'), { headers: { 'x-oss-storage-class': 'ColdArchive' } });
    await c.put('cold/c', Buffer.from('c'));
    const body = doc(rule('ladder', 'cold/', '<Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>2</Days><StorageClass>Archive</StorageClass></Transition><Expiration><Days>4</Days></Expiration>'));
    assert.equal((await putLifecycle(srv.port, B, body)).status, 200);
    const classes = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await srv.meta.listObjects(B, { prefix: '', limit: 100 })).map((o) => [o.key, o.storageClass]));
    now += 1.2 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await classes(), { 'cold/a': 'IA', 'cold/b': 'ColdArchive', 'cold/c': 'IA' });
    await c.put('cold/c', Buffer.from('rewritten')); // a new object: its days start again
    now += 1 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await classes(), { 'cold/a': 'Archive', 'cold/b': 'ColdArchive', 'cold/c': 'IA' });
    now += 2 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await classes(), { 'cold/c': 'Archive' });
  });

  it('CreatedBeforeDate expires what was last modified before the date', async () => {
    const B = 'life-date';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('old/x', Buffer.from('x'));
    await c.put('dated/y', Buffer.from('y'));
    await c.put('future/z', Buffer.from('z'));
    const date = new Date(Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000).toISOString(); // next UTC midnight
    const today = new Date(Math.floor(now / 86_400_000) * 86_400_000).toISOString();
    const body = doc(
      rule('d', 'old/', `<Expiration><CreatedBeforeDate>${date}</CreatedBeforeDate></Expiration>`) +
      // The deprecated Date (old SDKs): every matching object from that day on.
      rule('past', 'dated/', `<Expiration><Date>${today}</Date></Expiration>`) +
      rule('future', 'future/', `<Expiration><Date>${date}</Date></Expiration>`),
    );
    assert.equal((await putLifecycle(srv.port, B, body)).status, 200);
    assert.match((await getLifecycle(srv.port, B)).body.toString(), new RegExp(`<Expiration><Date>${today}</Date></Expiration>`));
    assert.match(hdr(await c.head('old/x'), 'x-oss-expiration')!, new RegExp(`expiry-date="${new Date(date).toUTCString()}", rule-id="d"`));
    await srv.lifecycle!.runPass();
    assert.deepEqual(await keys(B), ['future/z']);
  });

  it('aborts stale multipart uploads under the rule prefix and frees their parts', async () => {
    const B = 'life-uploads';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    const stale = await c.initMultipartUpload('tmp/stale.bin');
    await c.uploadPart('tmp/stale.bin', stale.uploadId, 1, Buffer.alloc(200 * 1024, 1) as never, 0, 200 * 1024);
    const other = await c.initMultipartUpload('keep/other.bin');
    const blobs = await countBlobs(srv);
    assert.equal((await putLifecycle(srv.port, B, doc(rule('parts', 'tmp/', '<AbortMultipartUpload><Days>1</Days></AbortMultipartUpload>')))).status, 200);
    await srv.lifecycle!.runPass();
    assert.equal((await c.listUploads({})).uploads.length, 2, 'not due yet');
    now += 1.1 * DAY;
    await srv.lifecycle!.runPass();
    const left = (await c.listUploads({})).uploads.map((u) => u.uploadId);
    assert.deepEqual(left, [other.uploadId]);
    assert.equal(await countBlobs(srv), blobs - 1);
  });

  it('versioned bucket: expiring adds a delete marker; noncurrent versions move to IA, then go; a delete marker left alone is removed (ExpiredObjectDeleteMarker)', async () => {
    const B = 'life-versions';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    // Versioning switched on through the store (PutBucketVersioning is ver's, not on this branch).
    await srv.meta.updateBucketConfig(B, 'versioning', () => JSON.stringify({ status: 'Enabled' }));
    await c.put('v/a', Buffer.from('one'));
    await c.put('v/a', Buffer.from('two')); // 'one' becomes noncurrent now
    await c.put('m/x', Buffer.from('x'));
    await c.delete('m/x'); // a delete marker over 'x'
    const body = doc(
      rule('versions', 'v/', `${expireDays(1)}<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>IA</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`) +
      rule('markers', 'm/', '<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>'),
    );
    assert.equal((await putLifecycle(srv.port, B, body)).status, 200, 'put lifecycle');
    const versions = async (prefix: string): Promise<string[]> =>
      (await srv.meta.listObjectVersions(B, { prefix, limit: 100 })).map((v) => (v.deleteMarker ? 'marker' : `${v.size}:${v.storageClass}`));
    now += 1.5 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await versions('v/'), ['marker', '3:Standard', '3:IA'], 'current expired behind a marker; the older version in IA');
    assert.deepEqual(await versions('m/'), ['marker', '1:Standard'], 'a marker with a version behind it stays');
    now += 2 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await versions('v/'), ['marker', '3:IA'], 'the oldest version removed, the next in IA');
    now += 2 * DAY;
    await srv.lifecycle!.runPass();
    assert.deepEqual(await versions('v/'), ['marker']);
    // Remove the version behind m/x's marker: the marker is then the only version left, and goes.
    const old = (await srv.meta.listObjectVersions(B, { prefix: 'm/', limit: 10 })).find((v) => !v.deleteMarker)!;
    await srv.meta.removeObject(B, 'm/x', now, old.versionId);
    await srv.lifecycle!.runPass();
    assert.deepEqual(await versions('m/'), []);
  });

  it('a delete decided in the store keeps an object that changed since it was looked at', async () => {
    const B = 'life-race';
    const c = srv.client({ bucket: B });
    await c.putBucket(B);
    await c.put('k', Buffer.from('v1'));
    const seen = (await srv.meta.getObject(B, 'k'))!;
    await c.put('k', Buffer.from('v2 rewritten'));
    await c.put('other', Buffer.from('o'));
    assert.deepEqual(await srv.meta.deleteObjectsIf(B, ['k', 'missing'], (cur) => cur.etag === seen.etag), []);
    assert.ok(await srv.meta.getObject(B, 'k'));
    const removed = await srv.meta.deleteObjectsIf(B, ['k', 'other', 'missing'], (cur) => cur.key === 'k');
    assert.deepEqual(removed.map((r) => [r.key, r.size]), [['k', 'v2 rewritten'.length]]);
    assert.equal(await srv.meta.getObject(B, 'k'), null);
    assert.ok(await srv.meta.getObject(B, 'other'));
  });
});

async function countBlobs(srv: RunningServer): Promise<number> {
  let n = 0;
  for await (const _ of srv.blobs.list()) n++; // eslint-disable-line @typescript-eslint/no-unused-vars
  return n;
}

describe('the lifecycle worker across a restart', () => {
  it('goes on from the saved position after a restart mid-pass: no object visited twice, the pass counts carried over', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alunite-life-'));
    const meta = await sharedMeta();
    let now = Date.now();
    const opts = (): ServerOptions => ({
      host: '127.0.0.1', port: 0, dataDir, inMemory: false, region: 'cn-hangzhou', accountId: ACCOUNT_ID, rootAccessKeyId: AK,
      rootAccessKeySecret: SECRET, logLevel: 'silent', durable: false, clock: () => now, ...(meta ? { meta } : {}),
      lifecycle: { daySeconds: 1, intervalMs: 0, pageSize: 5, tickBudget: 5 },
    });
    const B = 'life-restart';
    const all = Array.from({ length: 23 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    let srv = await startServer(opts());
    try {
      const put = (key: string): Promise<Sent> => send(srv.port, { method: 'PUT', bucket: B, key, body: key });
      assert.equal((await send(srv.port, { method: 'PUT', bucket: B })).status, 200);
      for (const k of all) assert.equal((await put(k)).status, 200);
      assert.equal((await putLifecycle(srv.port, B, doc(rule('all', '', expireDays(1))))).status, 200);
      now += 2000;
      const first = await srv.lifecycle!.runOnce();
      assert.equal(first.pending, true);
      const left = async (): Promise<string[]> => (await srv.meta.listObjects(B, { prefix: '', limit: 100 })).map((o) => o.key);
      assert.deepEqual(await left(), all.slice(5));
      await srv.close();

      srv = await startServer(opts());
      await srv.lifecycle!.runOnce();
      assert.deepEqual(await left(), all.slice(10), 'the restarted worker goes on after k04');
      const finished = await srv.lifecycle!.runPass();
      assert.deepEqual(await left(), []);
      assert.deepEqual(finished.map((f) => [f.bucket, f.scanned, f.expired]), [[B, 23, 23]]);
    } finally {
      await srv.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('on its own timer with --lifecycle-day-seconds 1: objects disappear (polled, generous timeout)', async () => {
    const srv = await startTestServer({ lifecycle: { daySeconds: 1, intervalMs: 100 } });
    try {
      const B = 'life-timer';
      const c = srv.client({ bucket: B });
      await c.putBucket(B);
      for (let i = 0; i < 5; i++) await c.put(`t/${i}`, Buffer.from('x'));
      assert.equal((await putLifecycle(srv.port, B, doc(rule('t', 't/', expireDays(1))))).status, 200);
      const deadline = Date.now() + 60_000;
      while ((await c.list({ prefix: 't/' } as never, {})).objects?.length) {
        assert.ok(Date.now() < deadline, 'objects still there after a minute');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await srv.stop();
    }
  });
});

describe('the lifecycle worker and WORM retention', () => {
  it('an object the retention hook refuses is kept and counted, the others expire', async () => {
    const meta = await openMetadataStore({ meta: await sharedMeta(), sqlitePath: ':memory:' });
    const blobs = new MemoryBlobStore();
    let now = Date.now();
    const ctx = { meta, blobs, clock: () => now, region: 'cn-hangzhou', log: () => undefined };
    try {
      await meta.createBucket({ name: 'worm-life', ownerAccountId: ACCOUNT_ID, createdAt: now, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
      for (const key of ['a', 'locked', 'z']) {
        await meta.putObject('worm-life', key, () => ({
          bucket: 'worm-life', key, size: 1, etag: 'E', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
          lastModified: now, headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], inline: Buffer.from('x'), symlinkTarget: null,
        }));
      }
      const config = validateLifecycle({ rules: [{ id: 'all', prefix: '', status: 'Enabled', tags: [], expiration: { days: 1 }, transitions: [], noncurrentVersionTransitions: [] }] }, { allowSameActionOverlap: false });
      await meta.updateBucketConfig('worm-life', LIFECYCLE.name, () => LIFECYCLE.encode(config));
      now += 2000;
      const worker = new LifecycleWorker(ctx, {
        holder: 'test', dayMs: 1000, intervalMs: 0, log: () => undefined,
        retention: (_bucket, record) => {
          if (record.key === 'locked') throw new Error('protected');
        },
      });
      const finished = await worker.runPass();
      assert.deepEqual((await meta.listObjects('worm-life', { prefix: '', limit: 10 })).map((o) => o.key), ['locked']);
      assert.deepEqual(finished.map((f) => [f.expired, f.retained]), [[2, 1]]);
      await worker.stop();
    } finally {
      await meta.close();
    }
  });
});

describe('the lifecycle worker and WORM retention on a Suspended bucket', () => {
  it('expiring a current object there removes the null version for good: the retention hook keeps a protected one (current or noncurrent)', async () => {
    const meta = await openMetadataStore({ meta: await sharedMeta(), sqlitePath: ':memory:' });
    const blobs = new MemoryBlobStore();
    let now = Date.now();
    const ctx = { meta, blobs, clock: () => now, region: 'cn-hangzhou', log: () => undefined };
    const B = 'worm-life-suspended';
    const put = (key: string, etag: string): Promise<unknown> => meta.putObject(B, key, () => ({
      bucket: B, key, size: 1, etag, crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
      lastModified: now, headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], inline: Buffer.from('x'), symlinkTarget: null,
    }));
    const versioning = (status: string): Promise<unknown> => meta.updateBucketConfig(B, 'versioning', () => JSON.stringify({ status }));
    try {
      await meta.createBucket({ name: B, ownerAccountId: ACCOUNT_ID, createdAt: now, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
      // 'noncurrent': a protected null version behind a current (Enabled-time) version.
      await put('noncurrent', 'LOCKED');
      await versioning('Enabled');
      now += 10;
      await put('noncurrent', 'E');
      await versioning('Suspended');
      // 'current': the protected null version is the current object; 'open' is not protected.
      await put('current', 'LOCKED');
      await put('open', 'E');
      const config = validateLifecycle({ rules: [{ id: 'all', prefix: '', status: 'Enabled', tags: [], expiration: { days: 1 }, transitions: [], noncurrentVersionTransitions: [] }] }, { allowSameActionOverlap: false });
      await meta.updateBucketConfig(B, LIFECYCLE.name, () => LIFECYCLE.encode(config));
      now += 2000;
      const worker = new LifecycleWorker(ctx, {
        holder: 'test', dayMs: 1000, intervalMs: 0, log: () => undefined,
        retention: (_bucket, record) => {
          if (record.etag === 'LOCKED') throw new Error('protected');
        },
      });
      const finished = await worker.runPass();
      await worker.stop();
      const versions = async (key: string): Promise<string[]> =>
        (await meta.listObjectVersions(B, { prefix: key, limit: 10 })).filter((v) => v.key === key).map((v) => (v.deleteMarker ? `marker:${v.versionId}` : `${v.etag}:${v.versionId}`));
      assert.deepEqual(await versions('current'), ['LOCKED:null'], 'the protected current null version stays');
      const noncurrent = await versions('noncurrent');
      assert.ok(noncurrent.includes('LOCKED:null'), `the protected noncurrent null version stays: ${noncurrent.join(', ')}`);
      assert.deepEqual(await versions('open'), ['marker:null'], 'an unprotected one expires behind a null delete marker');
      assert.equal(finished[0]!.retained, 2);
    } finally {
      await meta.close();
    }
  });
});

describe('the lifecycle worker and a null version rewritten while it looks', () => {
  type Rule = Parameters<typeof validateLifecycle>[0]['rules'][number];
  /**
   * A pass of one rule over bucket B, set up by `given`, with a PutObject of `k` (etag FRESH) landing between the
   * worker's look and its delete (the store's removeObject, wrapped to write first); that object must survive.
   */
  const raceOnRemove = async (
    B: string,
    rule: Rule,
    given: (t: { put: (etag: string) => Promise<unknown>; versioning: (status: string) => Promise<unknown>; remove: () => Promise<unknown> }) => Promise<void>,
  ): Promise<void> => {
    const meta = await openMetadataStore({ meta: await sharedMeta(), sqlitePath: ':memory:' });
    let now = Date.now();
    const put = (etag: string): Promise<unknown> => meta.putObject(B, 'k', () => ({
      bucket: B, key: 'k', size: 1, etag, crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
      lastModified: now, headers: { contentType: 'text/plain' }, userMeta: {}, tags: [], segments: [], inline: Buffer.from('x'), symlinkTarget: null,
    }));
    let raced = false;
    const racing = new Proxy(meta, {
      get(target, prop, receiver) {
        if (prop === 'removeObject') {
          return async (...args: Parameters<typeof meta.removeObject>) => {
            if (!raced) {
              raced = true;
              await put('FRESH');
            }
            return target.removeObject(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const ctx = { meta: racing, blobs: new MemoryBlobStore(), clock: () => now, region: 'cn-hangzhou', log: () => undefined };
    try {
      await meta.createBucket({ name: B, ownerAccountId: ACCOUNT_ID, createdAt: now, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
      await given({
        put,
        versioning: (status) => meta.updateBucketConfig(B, 'versioning', () => JSON.stringify({ status })),
        remove: () => meta.removeObject(B, 'k', now),
      });
      const config = validateLifecycle({ rules: [rule] }, { allowSameActionOverlap: false });
      await meta.updateBucketConfig(B, LIFECYCLE.name, () => LIFECYCLE.encode(config));
      now += 2000;
      const worker = new LifecycleWorker(ctx, { holder: 'test', dayMs: 1000, intervalMs: 0, log: () => undefined });
      await worker.runPass();
      await worker.stop();
      assert.ok(raced);
      assert.equal((await meta.getObject(B, 'k'))?.etag, 'FRESH', 'the object just written is still the current one');
    } finally {
      await meta.close();
    }
  };
  const base = (): Pick<Rule, 'prefix' | 'status' | 'tags' | 'transitions' | 'noncurrentVersionTransitions'> =>
    ({ prefix: '', status: 'Enabled', tags: [], transitions: [], noncurrentVersionTransitions: [] });

  it('NoncurrentVersionExpiration of the null version removes only the version it judged, not a new current null version written meanwhile', async () => {
    await raceOnRemove('life-null-race', { ...base(), id: 'nc', noncurrentVersionExpiration: { noncurrentDays: 1 } }, async (t) => {
      await t.put('OLD'); // the null version
      await t.versioning('Enabled');
      await t.put('V2'); // the null version is noncurrent from now
      await t.versioning('Suspended');
    });
  });

  it('Expiration on a Suspended bucket removes the object it judged, not a null version written meanwhile', async () => {
    await raceOnRemove('life-null-race-current', { ...base(), id: 'all', expiration: { days: 1 } }, async (t) => {
      await t.versioning('Suspended');
      await t.put('OLD');
    });
  });

  it('ExpiredObjectDeleteMarker on a Suspended bucket removes the null delete marker, not a null version written over it meanwhile', async () => {
    await raceOnRemove('life-null-race-marker', { ...base(), id: 'markers', expiration: { expiredObjectDeleteMarker: true } }, async (t) => {
      await t.versioning('Suspended');
      await t.put('OLD');
      await t.remove(); // a null delete marker, the key's only version
    });
  });
});
