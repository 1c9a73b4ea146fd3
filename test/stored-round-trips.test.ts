// Put → Get round trips of the stored operations a schema-driven fuzzer never got past (PutBucketRtc, the
// inventory, CNAME, live channel and data redundancy transition operations): a document using every published
// field comes back equal, a refused Put (the service's code) leaves what was stored, and list / delete behave.
// Every answer reads with a strict XML 1.0 parser. Real server, signed raw HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { strictTexts, strictXmlError } from './helpers/strict-xml.js';

const BUCKET = 'round-trips';
const DEST = 'round-trips-dest';
type Query = Array<[string, string]>;

interface Reply {
  status: number;
  text: string;
  code: string | undefined;
}

describe('stored operations: every field round-trips, refusals change nothing', () => {
  let srv: TestServer;

  async function send(method: string, query: Query, body = '', key: string | null = null, bucket: string | null = BUCKET): Promise<Reply> {
    const buf = Buffer.from(body, 'utf8');
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const headers: Record<string, string> = { host: `127.0.0.1:${srv.port}`, date: new Date().toUTCString(), 'content-length': String(buf.length) };
    headers.authorization = v1Authorization({ method, bucket, key, query, headers }, AK, SECRET).authorization;
    const path = bucket === null ? `/${qs}` : `/${bucket}/${key === null ? '' : encodeURIComponent(key)}${qs}`;
    const res = await rawRequest(srv.port, { method, path, headers, body: buf });
    const text = res.body.toString('utf8');
    if (text !== '') assert.equal(strictXmlError(text), null, text);
    return { status: res.status, text, code: errorOf(res)?.Code };
  }
  const body = (r: Reply): string => r.text.replace(/^<\?xml[^>]*\?>\n/, '');
  function ok(r: Reply, status = 200): Reply {
    assert.equal(r.status, status, r.text);
    return r;
  }
  function refused(r: Reply, status: number, code: string): void {
    assert.equal(r.status, status, r.text);
    assert.equal(r.code, code, r.text);
  }

  before(async () => {
    // CNAMEs bound with a CreateCnameToken token and no DNS record (docs/stored-configurations.md#cnames-implemented).
    srv = await startTestServer({ cname: { verification: 'token' }, redundancyTransition: { intervalMs: 0 }, replication: { intervalMs: 0 } });
    ok(await send('PUT', []));
    ok(await send('PUT', [], '', null, DEST));
  });
  after(() => srv.stop());

  test('PutBucketRtc: toggles the rule\'s RTC status; a bad status, a missing ID or an unknown rule change nothing', async () => {
    const rule = (rtc: string): string =>
      `<Rule><ID>r1</ID><PrefixSet><Prefix>a/</Prefix><Prefix>b/</Prefix></PrefixSet><Action>PUT,DELETE</Action>` +
      `<Destination><Bucket>${DEST}</Bucket><Location>oss-cn-hangzhou</Location><TransferType>internal</TransferType></Destination>` +
      `<Status>starting</Status><HistoricalObjectReplication>disabled</HistoricalObjectReplication><SyncRole>aliyunramrole</SyncRole>` +
      `<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>` +
      `<EncryptionConfiguration><ReplicaKmsKeyID>kms-1</ReplicaKmsKeyID></EncryptionConfiguration><RTC><Status>${rtc}</Status></RTC></Rule>`;
    ok(await send('POST', [['replication', ''], ['comp', 'add']], `<ReplicationConfiguration>${rule('enabled').replace('<Status>starting</Status>', '')}</ReplicationConfiguration>`));
    // RTC reads enabling until the rule has taken effect (the replication worker's first pass: not run here).
    assert.equal(body(ok(await send('GET', [['replication', '']]))), `<ReplicationConfiguration>${rule('enabling')}</ReplicationConfiguration>`);
    ok(await send('PUT', [['rtc', '']], '<ReplicationRule><RTC><Status>disabled</Status></RTC><ID>r1</ID></ReplicationRule>'));
    const stored = body(ok(await send('GET', [['replication', '']])));
    assert.equal(stored, `<ReplicationConfiguration>${rule('disabled')}</ReplicationConfiguration>`);
    refused(await send('PUT', [['rtc', '']], '<ReplicationRule><RTC><Status>on</Status></RTC><ID>r1</ID></ReplicationRule>'), 400, 'InvalidArgument');
    refused(await send('PUT', [['rtc', '']], '<ReplicationRule><RTC><Status>enabled</Status></RTC></ReplicationRule>'), 400, 'MalformedXML');
    refused(await send('PUT', [['rtc', '']], '<ReplicationRule><RTC><Status>enabled</Status></RTC><ID>r9</ID></ReplicationRule>'), 404, 'NoSuchReplicationRule');
    assert.equal(body(ok(await send('GET', [['replication', '']]))), stored);
    ok(await send('POST', [['replication', ''], ['comp', 'delete']], '<ReplicationRules><ID>r1</ID></ReplicationRules>'));
    // Deleted, the rule is listed closing for a while (test/sdk-oss2-more.test.ts).
    assert.equal(body(ok(await send('GET', [['replication', '']]))), stored.replace('<Status>starting</Status>', '<Status>closing</Status>'));
  });

  test('inventory: every field round-trips through Get and List; refusals keep it; delete removes one', async () => {
    const inventory = (id: string, encryption: string): string =>
      `<InventoryConfiguration><Id>${id}</Id><IsEnabled>true</IsEnabled><Destination><OSSBucketDestination><Format>CSV</Format>` +
      `<AccountId>1234567890123456</AccountId><RoleArn>acs:ram::1234567890123456:role/AliyunOSSRole</RoleArn><Bucket>acs:oss:::${DEST}</Bucket>` +
      `<Prefix>inv/</Prefix><Encryption>${encryption}</Encryption></OSSBucketDestination></Destination><Schedule><Frequency>Weekly</Frequency></Schedule>` +
      `<Filter><Prefix>p/</Prefix><LastModifyBeginTimeStamp>1637883649</LastModifyBeginTimeStamp><LastModifyEndTimeStamp>1638347592</LastModifyEndTimeStamp>` +
      `<LowerSizeBound>1024</LowerSizeBound><UpperSizeBound>1048576</UpperSizeBound><StorageClass>IA,Standard</StorageClass></Filter>` +
      `<IncludedObjectVersions>All</IncludedObjectVersions><OptionalFields><Field>Size</Field><Field>LastModifiedDate</Field><Field>ETag</Field>` +
      `<Field>StorageClass</Field><Field>IsMultipartUploaded</Field><Field>EncryptionStatus</Field></OptionalFields></InventoryConfiguration>`;
    const one = inventory('inv1', '<SSE-KMS><KeyId>key-1</KeyId></SSE-KMS>');
    const two = inventory('inv2', '<SSE-OSS></SSE-OSS>');
    const q = (id: string): Query => [['inventory', ''], ['inventoryId', id]];
    ok(await send('PUT', q('inv1'), one));
    ok(await send('PUT', q('inv2'), two));
    assert.equal(body(ok(await send('GET', q('inv1')))), one);
    assert.equal(body(ok(await send('GET', q('inv2')))), two);
    assert.equal(body(ok(await send('GET', [['inventory', '']]))), `<ListInventoryConfigurationsResult>${one}${two}<IsTruncated>false</IsTruncated></ListInventoryConfigurationsResult>`);
    refused(await send('PUT', q('inv1'), one), 409, 'InventoryAlreadyExist');
    refused(await send('PUT', q('inv3'), one), 400, 'InvalidArgument');
    refused(await send('PUT', q('inv3'), inventory('inv3', '').replace('Weekly', 'Hourly')), 400, 'InvalidArgument');
    refused(await send('GET', q('inv3')), 404, 'NoSuchInventory');
    assert.equal(body(ok(await send('GET', q('inv1')))), one);
    ok(await send('DELETE', q('inv1')), 204);
    refused(await send('GET', q('inv1')), 404, 'NoSuchInventory');
    assert.deepEqual(strictTexts(ok(await send('GET', [['inventory', '']])).text, 'Id'), ['inv2']);
  });

  test('CNAME: token, bind with a certificate, put again keeps it, DeleteCertificate removes it, unbind; refusals keep the list', async () => {
    const cname = (inner: string): string => `<BucketCnameConfiguration><Cname><Domain>Example.COM</Domain>${inner}</Cname></BucketCnameConfiguration>`;
    const token = ok(await send('POST', [['cname', ''], ['comp', 'token']], cname('')));
    assert.deepEqual(strictTexts(token.text, 'Cname'), ['example.com']);
    assert.equal(body(ok(await send('GET', [['comp', 'token'], ['cname', 'example.com']]))), body(token));
    ok(await send('POST', [['cname', ''], ['comp', 'add']], cname('<CertificateConfiguration><CertId>493****-cn-hangzhou</CertId><Force>true</Force></CertificateConfiguration>')));
    const cert = '<Certificate><Type>CAS</Type><CertId>493****-cn-hangzhou</CertId><Status>Enabled</Status></Certificate>';
    const listed = ok(await send('GET', [['cname', '']])).text;
    assert.ok(listed.includes(`<Domain>example.com</Domain>`) && listed.includes(cert), listed);
    // Bound again without a certificate configuration (or with one that does not delete): the certificate stays.
    ok(await send('POST', [['cname', ''], ['comp', 'add']], cname('')));
    ok(await send('POST', [['cname', ''], ['comp', 'add']], cname('<CertificateConfiguration><Force>true</Force></CertificateConfiguration>')));
    const kept = ok(await send('GET', [['cname', '']])).text;
    assert.ok(kept.includes(cert), kept);
    refused(await send('POST', [['cname', ''], ['comp', 'add']], cname('<CertificateConfiguration><DeleteCertificate>yes</DeleteCertificate></CertificateConfiguration>')), 400, 'InvalidArgument');
    refused(await send('POST', [['cname', ''], ['comp', 'add']], '<BucketCnameConfiguration><Cname><Domain>not_a_domain</Domain></Cname></BucketCnameConfiguration>'), 400, 'InvalidArgument');
    assert.equal(ok(await send('GET', [['cname', '']])).text, kept);
    ok(await send('POST', [['cname', ''], ['comp', 'add']], cname('<CertificateConfiguration><DeleteCertificate>true</DeleteCertificate></CertificateConfiguration>')));
    const without = ok(await send('GET', [['cname', '']])).text;
    assert.ok(without.includes('<Domain>example.com</Domain>') && !without.includes('<Certificate>'), without);
    ok(await send('POST', [['cname', ''], ['comp', 'delete']], cname('')));
    // A domain the bucket does not hold: 200, nothing changes (oss2's test_bucket_cname.py and the PHP SDK expect it).
    ok(await send('POST', [['cname', ''], ['comp', 'delete']], cname('')));
    assert.deepEqual(strictTexts(ok(await send('GET', [['cname', '']])).text, 'Domain'), []);
  });

  test('live channel: every field GetLiveChannelInfo publishes round-trips; refusals keep it; status, list, delete', async () => {
    const target = '<Target><Type>HLS</Type><FragDuration>5</FragDuration><FragCount>4</FragCount><PlaylistName>play.m3u8</PlaylistName></Target>';
    const put = `<LiveChannelConfiguration><Description>desc one</Description><Status>enabled</Status>${target}` +
      '<Snapshot><RoleName>role</RoleName><DestBucket>round-trips-dest</DestBucket><NotifyTopic>topic</NotifyTopic><Interval>10</Interval></Snapshot></LiveChannelConfiguration>';
    ok(await send('PUT', [['live', '']], put, 'ch1'));
    const info = `<LiveChannelConfiguration><Description>desc one</Description><Status>enabled</Status>${target}</LiveChannelConfiguration>`;
    assert.equal(body(ok(await send('GET', [['live', '']], '', 'ch1'))), info);
    refused(await send('PUT', [['live', '']], put.replace('<FragCount>4', '<FragCount>0'), 'ch1'), 400, 'InvalidArgument');
    refused(await send('PUT', [['live', '']], put.replace('<Type>HLS', '<Type>DASH'), 'ch1'), 400, 'InvalidArgument');
    refused(await send('PUT', [['live', ''], ['status', 'off']], '', 'ch1'), 400, 'InvalidArgument');
    assert.equal(body(ok(await send('GET', [['live', '']], '', 'ch1'))), info);
    ok(await send('PUT', [['live', ''], ['status', 'disabled']], '', 'ch1'));
    assert.equal(body(ok(await send('GET', [['live', '']], '', 'ch1'))), info.replace('<Status>enabled', '<Status>disabled'));
    const list = ok(await send('GET', [['live', '']])).text;
    assert.deepEqual(strictTexts(list, 'Name'), ['ch1']);
    assert.deepEqual(strictTexts(list, 'Description'), ['desc one']);
    ok(await send('DELETE', [['live', '']], '', 'ch1'), 204);
    refused(await send('GET', [['live', '']], '', 'ch1'), 404, 'NoSuchLiveChannel');
    ok(await send('DELETE', [['live', '']], '', 'ch1'), 204); // a channel that is gone: 204 too (C++ DeleteLiveChannelTest)
  });

  test('data redundancy transition: create, get, list per bucket and account, one per bucket, delete', async () => {
    refused(await send('POST', [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'LRS']]), 400, 'InvalidArgument');
    const created = ok(await send('POST', [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']]));
    const [taskId] = strictTexts(created.text, 'TaskId');
    assert.ok(taskId !== undefined && taskId !== '');
    refused(await send('POST', [['redundancyTransition', ''], ['x-oss-target-redundancy-type', 'ZRS']]), 409, 'BucketDataRedundancyTransitionTaskIsExist');
    const got = ok(await send('GET', [['redundancyTransition', ''], ['x-oss-redundancy-transition-taskid', taskId]])).text;
    assert.deepEqual([strictTexts(got, 'Bucket'), strictTexts(got, 'TaskId'), strictTexts(got, 'Status')], [[BUCKET], [taskId], ['Queueing']]);
    assert.deepEqual(strictTexts(ok(await send('GET', [['redundancyTransition', '']])).text, 'TaskId'), [taskId]);
    assert.deepEqual(strictTexts(ok(await send('GET', [['redundancyTransition', '']], '', null, null)).text, 'TaskId'), [taskId]);
    ok(await send('DELETE', [['redundancyTransition', ''], ['x-oss-redundancy-transition-taskid', taskId]]), 204);
    refused(await send('GET', [['redundancyTransition', ''], ['x-oss-redundancy-transition-taskid', taskId]]), 404, 'BucketDataRedundancyTransitionTaskNotExist');
  });
});
