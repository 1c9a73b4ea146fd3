// Anti-DDoS records (docs/anti-ddos.md) and the other small stored operations (GetBucketEventNotification,
// PutChannel, data lake jobs): signed raw HTTP against a real server, SQLite here and PostgreSQL through
// test/pg-anti-ddos.test.ts. Explicit Deny per operation is also covered for every stored operation by
// test/oss-stored-configs.test.ts; here a Deny of each anti-DDoS action refuses and stores nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { failsWith, signedRequest, succeeds, type SignedReply } from './helpers/signed.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const BUCKETS = ['ddos-a', 'ddos-b', 'ddos-c'];

type Reply = SignedReply;
const send = (srv: TestServer, method: string, bucket: string | null, query: Array<[string, string]>, opts: Parameters<typeof signedRequest>[5] = {}): Promise<Reply> =>
  signedRequest(srv.port, method, bucket, null, query, opts);
const ok = succeeds;
const fails = failsWith;

const cnames = (...domains: string[]): string => `<AntiDDOSConfiguration><Cnames>${domains.map((d) => `<Domain>${d}</Domain>`).join('')}</Cnames></AntiDDOSConfiguration>`;
const all = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);

describe('anti-DDoS and the small stored operations', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    const client = srv.client();
    for (const b of BUCKETS) await client.putBucket(b);
  });
  after(async () => {
    await srv?.stop();
  });

  const initUser = async (creds?: [string, string]): Promise<string> => {
    const r = ok(await send(srv, 'PUT', null, [['antiDDos', '']], { creds }));
    const id = r.headers['x-oss-defender-instance'];
    assert.equal(typeof id, 'string');
    assert.match(id as string, /^[0-9a-f-]{36}$/);
    return id as string;
  };

  test('account instances: Init answers a new id, Get lists them, Update halts one (only HaltDefending)', async () => {
    const first = await initUser();
    const second = await initUser();
    assert.notEqual(first, second);
    const got = ok(await send(srv, 'GET', null, [['antiDDos', '']])).text;
    assert.match(got, /^<\?xml[^>]*>\s*<AntiDDOSListConfiguration>/);
    assert.deepEqual(all(got, 'InstanceId').sort(), [first, second].sort());
    assert.deepEqual(all(got, 'Owner'), [ACCOUNT_ID, ACCOUNT_ID]);
    assert.deepEqual(all(got, 'Status'), ['Init', 'Init']);
    assert.match(all(got, 'Ctime')[0]!, /^\d{10}$/);

    fails(await send(srv, 'POST', null, [['antiDDos', '']], { headers: { 'x-oss-defender-instance': first, 'x-oss-defender-status': 'Defending' } }), 'InvalidArgument', 400, '0038-00000006');
    fails(await send(srv, 'POST', null, [['antiDDos', '']], { headers: { 'x-oss-defender-instance': 'no-such-instance', 'x-oss-defender-status': 'HaltDefending' } }), 'InvalidArgument', 400, '0038-00000004');
    ok(await send(srv, 'POST', null, [['antiDDos', '']], { headers: { 'x-oss-defender-instance': second, 'x-oss-defender-status': 'HaltDefending' } }));
    const after = ok(await send(srv, 'GET', null, [['antiDDos', '']])).text;
    const byId = new Map(all(after, 'InstanceId').map((id, i) => [id, all(after, 'Status')[i]]));
    assert.equal(byId.get(first), 'Init');
    assert.equal(byId.get(second), 'HaltDefending');
  });

  test('bucket protection: Init (type, instance, domains checked), Update through Init/Defending/HaltDefending, listed with paging', async () => {
    const id = await initUser();
    const put = (bucket: string, headers: Record<string, string>, body?: string): Promise<Reply> => send(srv, 'PUT', bucket, [['antiDDos', '']], { headers, body });
    const post = (bucket: string, headers: Record<string, string>, body?: string): Promise<Reply> => send(srv, 'POST', bucket, [['antiDDos', '']], { headers, body });
    const typed = { 'x-oss-defender-instance': id, 'x-oss-defender-type': 'AntiDDosPremimum' };

    // Bad input: nothing stored.
    fails(await put('ddos-a', { ...typed, 'x-oss-defender-type': 'Basic' }, cnames('a.example.com')), 'InvalidArgument', 400);
    fails(await put('ddos-a', { ...typed, 'x-oss-defender-instance': 'cbcac8d2-0000-0000-0000-000000000000' }, cnames('a.example.com')), 'InvalidArgument', 400, '0038-00000004');
    fails(await put('ddos-a', { ...typed, 'x-oss-defender-instance': '' }, cnames('a.example.com')), 'InvalidArgument', 400, '0038-00000003');
    fails(await put('ddos-a', typed, cnames('a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'e.example.com', 'f.example.com')), 'InvalidArgument', 400);
    fails(await put('ddos-a', typed, cnames('not a domain')), 'InvalidArgument', 400);
    fails(await put('ddos-a', typed, '<AntiDDOSConfiguration><Cnames><Host>x</Host></Cnames></AntiDDOSConfiguration>'), 'MalformedXML', 400);
    assert.equal(all(ok(await send(srv, 'GET', null, [['bucketAntiDDos', '']])).text, 'Bucket').length, 0);

    ok(await put('ddos-a', typed, cnames('A.example.com', 'b.example.com')));
    ok(await put('ddos-b', typed));
    ok(await put('ddos-c', typed, cnames('c.example.com')));
    let list = ok(await send(srv, 'GET', null, [['bucketAntiDDos', '']])).text;
    assert.deepEqual(all(list, 'Bucket'), BUCKETS);
    assert.deepEqual(all(list, 'Type'), ['AntiDDosPremimum', 'AntiDDosPremimum', 'AntiDDosPremimum']);
    assert.deepEqual(all(list, 'Status'), ['Init', 'Init', 'Init']);
    assert.ok(list.includes('<Cnames><Domain>a.example.com</Domain><Domain>b.example.com</Domain></Cnames>'), list);
    assert.ok(list.includes('<IsTruncated>false</IsTruncated>'), list);

    // Paging: max-keys 1..100, the marker is the last bucket of the page.
    const page1 = ok(await send(srv, 'GET', null, [['bucketAntiDDos', ''], ['max-keys', '2']])).text;
    assert.deepEqual(all(page1, 'Bucket'), ['ddos-a', 'ddos-b']);
    assert.ok(page1.includes('<IsTruncated>true</IsTruncated>') && page1.includes('<Marker>ddos-b</Marker>'), page1);
    const page2 = ok(await send(srv, 'GET', null, [['bucketAntiDDos', ''], ['max-keys', '2'], ['marker', 'ddos-b']])).text;
    assert.deepEqual(all(page2, 'Bucket'), ['ddos-c']);
    fails(await send(srv, 'GET', null, [['bucketAntiDDos', ''], ['max-keys', '101']]), 'InvalidArgument', 400);
    fails(await send(srv, 'GET', null, [['bucketAntiDDos', ''], ['max-keys', '0']]), 'InvalidArgument', 400);

    // Update: the instance must be the bucket's, the status one of three, Init needs domains.
    const status = (s: string): Record<string, string> => ({ 'x-oss-defender-instance': id, 'x-oss-defender-status': s });
    fails(await post('ddos-a', status('Paused')), 'InvalidArgument', 400, '0038-00000006');
    fails(await post('ddos-a', status('Init')), 'InvalidArgument', 400);
    fails(await post('ddos-a', { ...status('Defending'), 'x-oss-defender-instance': 'other-instance' }), 'InvalidArgument', 400, '0038-00000004');
    ok(await post('ddos-a', status('Defending')));
    ok(await post('ddos-b', status('Defending'), cnames('new.example.com')));
    ok(await post('ddos-c', status('HaltDefending')));
    list = ok(await send(srv, 'GET', null, [['bucketAntiDDos', '']])).text;
    assert.deepEqual(all(list, 'Status'), ['Defending', 'Defending', 'HaltDefending']);
    assert.ok(list.includes('<Cnames><Domain>a.example.com</Domain><Domain>b.example.com</Domain></Cnames>'), 'Defending without a body keeps the domains');
    assert.ok(list.includes('<Cnames><Domain>new.example.com</Domain></Cnames>'), list);
    const active = all(list, 'ActiveTime');
    assert.ok(Number(active[0]) > 0 && Number(active[1]) > 0, list);
    assert.equal(active[2], '0');

    // Another account's instance is unknown here; a halted instance cannot protect a bucket.
    const halted = await initUser();
    ok(await send(srv, 'POST', null, [['antiDDos', '']], { headers: { 'x-oss-defender-instance': halted, 'x-oss-defender-status': 'HaltDefending' } }));
    fails(await put('ddos-c', { ...typed, 'x-oss-defender-instance': halted }), 'InvalidArgument', 400);
  });

  test('an explicit Deny of each anti-DDoS action refuses and changes nothing', async () => {
    const ram = new Ram(srv);
    const id = await initUser();
    const actions = ['InitUserAntiDDosInfo', 'UpdateUserAntiDDosInfo', 'GetUserAntiDDosInfo', 'InitBucketAntiDDosInfo', 'UpdateBucketAntiDDosInfo', 'ListBucketAntiDDosInfo'];
    const user = await ram.userWith('ddos-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: actions.map((a) => `oss:${a}`), Resource: ['acs:oss:*:*:*'] },
    ));
    const creds: [string, string] = [user.accessKeyId, user.accessKeySecret];
    const before = ok(await send(srv, 'GET', null, [['antiDDos', '']])).text;
    fails(await send(srv, 'PUT', null, [['antiDDos', '']], { creds }), 'AccessDenied', 403);
    fails(await send(srv, 'POST', null, [['antiDDos', '']], { creds, headers: { 'x-oss-defender-instance': id, 'x-oss-defender-status': 'HaltDefending' } }), 'AccessDenied', 403);
    fails(await send(srv, 'GET', null, [['antiDDos', '']], { creds }), 'AccessDenied', 403);
    fails(await send(srv, 'PUT', 'ddos-a', [['antiDDos', '']], { creds, headers: { 'x-oss-defender-instance': id, 'x-oss-defender-type': 'AntiDDosPremimum' } }), 'AccessDenied', 403);
    fails(await send(srv, 'POST', 'ddos-a', [['antiDDos', '']], { creds, headers: { 'x-oss-defender-instance': id, 'x-oss-defender-status': 'HaltDefending' } }), 'AccessDenied', 403);
    fails(await send(srv, 'GET', null, [['bucketAntiDDos', '']], { creds }), 'AccessDenied', 403);
    assert.equal(ok(await send(srv, 'GET', null, [['antiDDos', '']])).text, before);
    // Only the denied actions: the same user reaches the bucket's other operations.
    ok(await send(srv, 'GET', 'ddos-a', [['eventNotification', '']], { creds }));
  });

  test('GetBucketEventNotification answers an empty configuration (nothing can set one)', async () => {
    const r = ok(await send(srv, 'GET', 'ddos-a', [['eventNotification', '']]));
    assert.match(r.text, /<NotificationConfiguration\s*\/>|<NotificationConfiguration><\/NotificationConfiguration>/);
    fails(await send(srv, 'GET', 'no-such-bucket-x', [['eventNotification', '']]), 'NoSuchBucket', 404);
  });

  test('PutChannel: the image channel settings are validated and stored', async () => {
    ok(await send(srv, 'PUT', 'ddos-a', [['img', '']], { body: '<Channel><Status>Enabled</Status><OrigPicForbidden>true</OrigPicForbidden><StyleDelimiters>!-</StyleDelimiters></Channel>' }));
    fails(await send(srv, 'PUT', 'ddos-a', [['img', '']], { body: '<Channel><Status>On</Status></Channel>' }), 'InvalidArgument', 400);
    fails(await send(srv, 'PUT', 'ddos-a', [['img', '']], { body: '<Channel><UseStyleOnly>yes</UseStyleOnly></Channel>' }), 'InvalidArgument', 400);
    fails(await send(srv, 'PUT', 'ddos-a', [['img', '']], { body: '<Channel><StyleDelimiters>abc</StyleDelimiters></Channel>' }), 'InvalidArgument', 400);
    fails(await send(srv, 'PUT', 'ddos-a', [['img', '']], { body: '<Channel><Unknown>1</Unknown></Channel>' }), 'MalformedXML', 400);
  });

  test('data lake: a prefetch job is stored (new ID, or updated by ID), Start finishes it; the transfer job list is empty', async () => {
    const job = '<CreateDataLakeCachePrefetchJob><Includes>logs/</Includes><Includes>data/</Includes><Tag>t1</Tag></CreateDataLakeCachePrefetchJob>';
    const made = ok(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', '']], { body: job })).text;
    const id = all(made, 'ID')[0]!;
    assert.match(made, /<DataLakeCachePrefetchJobID><ID>[0-9a-f-]{36}<\/ID><\/DataLakeCachePrefetchJobID>/);
    ok(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', ''], ['x-oss-datalake-job-id', id]], { body: job }));
    fails(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', ''], ['x-oss-datalake-job-id', 'nope']], { body: job }), 'NoSuchDataLakeCachePrefetchJob', 404);
    fails(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', '']], { body: '<CreateDataLakeCachePrefetchJob><Other/></CreateDataLakeCachePrefetchJob>' }), 'MalformedXML', 400);
    ok(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', ''], ['x-oss-datalake-job-start', ''], ['x-oss-datalake-job-id', id]]));
    fails(await send(srv, 'PUT', 'ddos-b', [['x-oss-datalake-cache-prefetch-job', ''], ['x-oss-datalake-job-start', ''], ['x-oss-datalake-job-id', 'missing-job']]), 'NoSuchDataLakeCachePrefetchJob', 404);
    const list = ok(await send(srv, 'GET', 'ddos-b', [['x-oss-datalake-storage-transfer-job', '']])).text;
    assert.ok(list.includes('<DataLakeStorageTransferJobs><Truncated>false</Truncated></DataLakeStorageTransferJobs>'), list);
  });
});
