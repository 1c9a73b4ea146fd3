// OSS Batch Operations (docs/batch-operations.md): CreateJob, DescribeJob, ListJobs, UpdateJobPriority and
// UpdateJobStatus as the Go SDK v2 sends them (oss/api_op_batch_operations.go: service-level, V4-signed, XML bodies
// with Content-MD5), and the worker that runs the jobs as their RoleArn's role. The worker runs only when the test
// calls runOnce (intervalMs 0), so every status asserted is the one the test put the job in. The Go SDK v2's
// TestBatchOperations (client_integration_batch_operations_test.go) read `createResult.JobId` after a 501 and panicked,
// ending its whole `go test` run. Also on PostgreSQL (ALUNITE_TEST_META=postgres).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { TRUST_ACCOUNT } from './helpers/sts.js';
import { signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { batchJobOptions } from '../src/cli/batch-options.js';
import { ACCOUNT_ID, AK, SECRET, startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'batch-ops-bucket';
const ROLE = `acs:ram::${ACCOUNT_ID}:role/oss-sdk-batch-test`;
const WEAK_ROLE = `acs:ram::${ACCOUNT_ID}:role/batch-list-only`;

interface JobXml {
  operation: string;
  prefix?: { bucket: string; prefix: string };
  manifest?: { bucket: string; object: string; etag: string; fields?: string };
  report?: { bucket: string; prefix?: string; scope?: string };
  role?: string;
  token?: string;
  priority?: number;
  confirm?: boolean;
}

/** A CreateJobRequest as the SDK marshals CreateJobConfig (fields in the struct's order, nil ones left out). */
function createJobXml(j: JobXml): string {
  return '<CreateJobRequest>'
    + (j.confirm !== undefined ? `<ConfirmationRequired>${j.confirm}</ConfirmationRequired>` : '')
    + `<Operation>${j.operation}</Operation>`
    + (j.report ? `<Report><Bucket>${j.report.bucket}</Bucket><Enabled>true</Enabled>${j.report.prefix !== undefined ? `<Prefix>${j.report.prefix}</Prefix>` : ''}${j.report.scope ? `<ReportScope>${j.report.scope}</ReportScope>` : ''}</Report>` : '')
    + (j.token !== undefined ? `<ClientRequestToken>${j.token}</ClientRequestToken>` : '')
    + (j.manifest ? `<Manifest><Location><ETag>${j.manifest.etag}</ETag><Bucket>${j.manifest.bucket}</Bucket><Object>${j.manifest.object}</Object></Location><Spec><Fields>${j.manifest.fields ?? 'Bucket,Key'}</Fields><Format>OSS_BatchOperations_CSV</Format></Spec></Manifest>` : '')
    + (j.prefix ? `<KeyPrefixManifestGenerator><SourceBucket>${j.prefix.bucket}</SourceBucket><Prefix>${j.prefix.prefix}</Prefix></KeyPrefixManifestGenerator>` : '')
    + `<Priority>${j.priority ?? 10}</Priority>`
    + `<RoleArn>${j.role ?? ROLE}</RoleArn>`
    + '</CreateJobRequest>';
}

const TRUST_OSS = policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } });

/** A role trusting OSS with one custom policy of these statements attached (`ram` may act as another account's root). */
async function roleWith(ram: Pick<Ram, 'call' | 'createPolicy'>, name: string, ...statements: object[]): Promise<void> {
  await ram.call('CreateRole', { RoleName: name, AssumeRolePolicyDocument: TRUST_OSS });
  await ram.createPolicy(name, policyDoc(...statements));
  await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: name, RoleName: name });
}

/** A request as the SDK sends it: its XML content type, the body's Content-MD5 (updateContentMd5), V4-signed. */
function sendTo(to: TestServer, r: SdkRequest, c: Creds): Promise<RawResponse> {
  const body = r.body;
  const headers: Record<string, string> = { 'content-type': 'application/xml', ...(body !== undefined ? { 'content-md5': createHash('md5').update(body).digest('base64') } : {}) };
  const s = signHeader({ ...r, headers: { ...headers, ...(r.headers ?? {}) } }, c);
  return rawRequest(to.port, { method: r.method, path: s.path, headers: { ...s.headers, host: `127.0.0.1:${to.port}`, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, body });
}

const ALL_OF_B = { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`] };
const ACL_PRIVATE = '<PutObjectAcl><ObjectAcl>private</ObjectAcl></PutObjectAcl>';
const ACL_PUBLIC = '<PutObjectAcl><ObjectAcl>public-read</ObjectAcl></PutObjectAcl>';
const TAGS = '<PutObjectTagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></PutObjectTagging>';

describe('OSS Batch Operations', () => {
  let srv: TestServer;
  const root: Creds = { ak: AK, secret: SECRET };
  const nobody: Creds = { ak: 'ak', secret: 'sk' };

  const send = (r: SdkRequest, c: Creds = root): Promise<RawResponse> => sendTo(srv, r, c);
  const text = (res: RawResponse): string => res.body.toString('utf8');
  const status = (res: RawResponse, expected: number, what: string): RawResponse => {
    assert.equal(res.status, expected, `${what}: ${text(res).slice(0, 400)}`);
    return res;
  };
  const one = (xml: string, name: string): string => {
    const all = strictTexts(xml, name);
    assert.equal(all.length, 1, `${name} in ${xml.slice(0, 300)}`);
    return all[0]!;
  };

  const createJob = (j: JobXml, c: Creds = root): Promise<RawResponse> => send({ method: 'POST', bucket: null, key: null, params: [['batchJob', '']], body: createJobXml(j) }, c);
  const describeJob = (id: string, c: Creds = root): Promise<RawResponse> => send({ method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ['batchJobId', id]] }, c);
  const listJobs = (params: Array<[string, string]> = [], c: Creds = root): Promise<RawResponse> => send({ method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ...params] }, c);
  const updatePriority = (id: string, p: string, c: Creds = root): Promise<RawResponse> => send({ method: 'POST', bucket: null, key: null, params: [['batchJobPriority', ''], ['batchJobId', id], ['targetPriority', p]] }, c);
  const updateStatus = (id: string, s: string, c: Creds = root, reason?: string): Promise<RawResponse> =>
    send({ method: 'POST', bucket: null, key: null, params: [['batchJobStatus', ''], ['batchJobId', id], ['requestedJobStatus', s], ...(reason !== undefined ? [['statusUpdateReason', reason] as [string, string]] : [])] }, c);

  async function created(j: JobXml): Promise<string> {
    const id = one(text(status(await createJob(j), 200, 'CreateJob')), 'JobId');
    assert.match(id, /^[A-Za-z0-9=]{44}$/);
    return id;
  }
  async function job(id: string): Promise<string> {
    return text(status(await describeJob(id), 200, 'DescribeJob'));
  }
  /** Status, TotalNumberOfTasks, NumberOfTasksSucceeded, NumberOfTasksFailed of a DescribeJob answer. */
  const summary = (xml: string): string[] => ['Status', 'TotalNumberOfTasks', 'NumberOfTasksSucceeded', 'NumberOfTasksFailed'].map((n) => one(xml, n));
  const put = async (key: string, body = 'x', bucket = B): Promise<void> => {
    status(await send({ method: 'PUT', bucket, key, body, headers: { 'content-type': 'text/plain' } }), 200, `PutObject ${key}`);
  };
  const objectAcl = async (key: string): Promise<string> => one(text(status(await send({ method: 'GET', bucket: B, key, params: [['acl', '']] }), 200, 'GetObjectAcl')), 'Grant');
  const objectTags = async (key: string): Promise<string[]> => strictTexts(text(status(await send({ method: 'GET', bucket: B, key, params: [['tagging', '']] }), 200, 'GetObjectTagging')), 'Key');
  const getText = async (key: string): Promise<string> => text(status(await send({ method: 'GET', bucket: B, key }), 200, `GetObject ${key}`));

  before(async () => {
    srv = await startTestServer({ batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 10 } });
    status(await send({ method: 'PUT', bucket: B, key: null }), 200, 'PutBucket');
    const ram = new Ram(srv);
    await roleWith(ram, 'oss-sdk-batch-test', ALL_OF_B);
    // May list and read (the manifest) and write the report, but not change ACLs or tags.
    await roleWith(ram, 'batch-list-only', { Effect: 'Allow', Action: ['oss:ListObjects', 'oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`] });
  });
  after(async () => {
    await srv?.stop();
  });

  it('TestBatchOperations: CreateJob, DescribeJob 200, ListJobs max-keys=1 lists a job, UpdateJobPriority 200, UpdateJobStatus Cancelled 200; an unknown AccessKey is 403 InvalidAccessKeyId (EC 0002-00000902) for each', async () => {
    const spec: JobXml = { operation: ACL_PRIVATE, token: 'abcdefghij', report: { bucket: B }, prefix: { bucket: B, prefix: 'batch-manifests/' }, priority: 10 };
    const res = status(await createJob(spec), 200, 'CreateJob');
    assert.match(text(res), /^<\?xml[^>]*\?>\n?<CreateJobResult><JobId>[A-Za-z0-9=]{44}<\/JobId><\/CreateJobResult>/);
    const id = one(text(res), 'JobId');
    const described = status(await describeJob(id), 200, 'DescribeJob');
    assert.ok(described.headers['x-oss-request-id']);
    const d = text(described);
    assert.equal(one(d, 'Status'), 'New');
    assert.equal(one(d, 'Priority'), '10');
    assert.equal(one(d, 'RoleArn'), ROLE);
    assert.equal(one(d, 'ObjectAcl'), 'private');
    assert.equal(one(d, 'SourceBucket'), B);
    assert.equal(one(d, 'ConfirmationRequired'), 'false');
    assert.match(one(d, 'CreationTime'), /^\d{10}$/);
    const listed = status(await listJobs([['max-keys', '1']]), 200, 'ListJobs');
    assert.ok(listed.headers['x-oss-request-id']);
    assert.equal(strictTexts(text(listed), 'JobListDescriptor').length, 1);
    const prio = text(status(await updatePriority(id, '1'), 200, 'UpdateJobPriority'));
    assert.equal(one(prio, 'JobId'), id);
    assert.equal(one(prio, 'Priority'), '1');
    const cancelled = text(status(await updateStatus(id, 'Cancelled'), 200, 'UpdateJobStatus'));
    assert.equal(one(cancelled, 'Status'), 'Cancelled');
    assert.equal(one(await job(id), 'Priority'), '1');
    for (const [what, res2] of [
      ['CreateJob', await createJob({ ...spec, token: 'klmnopqrst' }, nobody)],
      ['DescribeJob', await describeJob(id, nobody)],
      ['ListJobs', await listJobs([['max-keys', '1']], nobody)],
      ['UpdateJobPriority', await updatePriority(id, '1', nobody)],
      ['UpdateJobStatus', await updateStatus(id, 'Cancelled', nobody)],
    ] as const) {
      const e = errorOf(status(res2, 403, `${what} with an unknown AccessKey`));
      assert.equal(e?.Code, 'InvalidAccessKeyId', what);
      assert.equal(e?.Message, 'The OSS Access Key Id you provided does not exist in our records.', what);
      assert.equal(e?.EC, '0002-00000902', what);
      assert.ok(e?.RequestId, what);
    }
    // A cancelled job is never run: no report is written for it.
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(id), 'Status'), 'Cancelled');
    assert.equal(strictTexts(text(await send({ method: 'GET', bucket: B, key: null, params: [['prefix', `job-${id}`]] })), 'Key').length, 0);
  });

  it('a job over a key prefix sets the ACL of each object under it, reaches Complete with the counts, and writes its report', async () => {
    for (const k of ['acl/a', 'acl/b', 'acl/c', 'other/x']) await put(k);
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'acl/' }, report: { bucket: B, prefix: 'reports', scope: 'AllTasks' } });
    await srv.batchJobs!.runOnce();
    const d = await job(id);
    assert.deepEqual(summary(d), ['Complete', '3', '3', '0']);
    assert.match(one(d, 'TerminationDate'), /^\d{10}$/);
    assert.equal(strictTexts(d, 'JobFailure').length, 0);
    for (const k of ['acl/a', 'acl/b', 'acl/c']) assert.equal(await objectAcl(k), 'public-read', k);
    assert.equal(await objectAcl('other/x'), 'default');
    const report = await getText(`reports/job-${id}/results/000000.csv`);
    assert.deepEqual(report.trim().split('\n'), ['a', 'b', 'c'].map((k) => `"${B}","acl%2F${k}","","succeeded","","200","Successful"`));
    const manifest = JSON.parse(await getText(`reports/job-${id}/manifest.json`)) as { JobId: string; Status: string; Results: string[] };
    assert.equal(manifest.JobId, id);
    assert.equal(manifest.Status, 'Complete');
    assert.deepEqual(manifest.Results, ['results/000000.csv']);
    const listed = text(await listJobs([['batchJobStatuses', 'Complete']]));
    assert.ok(strictTexts(listed, 'JobId').includes(id));
    assert.ok(strictTexts(listed, 'Operation').includes('PutObjectAcl'));
  });

  it('a key prefix job runs on the objects there when it was prepared: its own report files written under the prefix, and objects written later, are no tasks', async () => {
    for (let i = 0; i < 12; i++) await put(`self/${String(i).padStart(2, '0')}`);
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'self/' }, report: { bucket: B, prefix: 'self/reports' }, confirm: true });
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(id), 'Status'), 'Suspended');
    await put('self/zz-later');
    status(await updateStatus(id, 'Ready'), 200, 'Ready');
    await srv.batchJobs!.runOnce();
    assert.deepEqual(summary(await job(id)), ['Complete', '12', '12', '0']);
    assert.equal(await objectAcl('self/zz-later'), 'default');
    assert.equal(await objectAcl(`self/reports/job-${id}/results/000000.csv`), 'default');
  });

  it('a CSV manifest (ETag checked) tags its objects; a role without oss:PutObjectTagging fails every task, counted and reported (FailedTasksOnly)', async () => {
    for (const k of ['tag/1', 'tag/2']) await put(k);
    const csv = `${B},tag/1\n${B},tag%2F2\n`;
    const res = status(await send({ method: 'PUT', bucket: B, key: 'manifests/tags.csv', body: csv, headers: { 'content-type': 'text/csv' } }), 200, 'PutObject manifest');
    const etag = String(res.headers.etag).replace(/"/g, '');
    const manifest = { bucket: B, object: 'manifests/tags.csv', etag };
    const weak = await created({ operation: TAGS, manifest, role: WEAK_ROLE, report: { bucket: B, prefix: 'reports/', scope: 'FailedTasksOnly' } });
    await srv.batchJobs!.runOnce();
    const w = await job(weak);
    assert.deepEqual(summary(w), ['Complete', '2', '0', '2']);
    assert.deepEqual(await objectTags('tag/1'), []);
    const lines = (await getText(`reports/job-${weak}/results/000000.csv`)).trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^"batch-ops-bucket","tag%2F[12]","","failed","AccessDenied","403",/);

    const good = await created({ operation: TAGS, manifest });
    await srv.batchJobs!.runOnce();
    const g = await job(good);
    assert.equal(one(g, 'Status'), 'Complete');
    assert.equal(one(g, 'NumberOfTasksSucceeded'), '2');
    assert.deepEqual(await objectTags('tag/1'), ['team']);
    assert.deepEqual(await objectTags('tag/2'), ['team']);

    // A manifest whose ETag is not the one named fails the job, with its reason, and changes nothing.
    await put('tag/3');
    const stale = await created({ operation: '<DeleteObjectTagging></DeleteObjectTagging>', manifest: { ...manifest, etag: '0123456789ABCDEF0123456789ABCDEF' } });
    await srv.batchJobs!.runOnce();
    const s = await job(stale);
    assert.equal(one(s, 'Status'), 'Failed');
    assert.equal(one(s, 'FailureCode'), 'ManifestETagMismatch');
    assert.deepEqual(await objectTags('tag/1'), ['team']);
  });

  it('a job whose role does not exist fails with FailureReasons; ConfirmationRequired waits Suspended until Ready; a Suspended job cancelled changes nothing', async () => {
    await put('conf/a');
    const missing = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'conf/' }, role: `acs:ram::${ACCOUNT_ID}:role/no-such-role` });
    const held = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'conf/' }, confirm: true });
    const dropped = await created({ operation: TAGS, prefix: { bucket: B, prefix: 'conf/' }, confirm: true });
    await srv.batchJobs!.runOnce();
    const m = await job(missing);
    assert.equal(one(m, 'Status'), 'Failed');
    assert.equal(one(m, 'FailureCode'), 'RoleNotFound');
    assert.equal(one(await job(held), 'Status'), 'Suspended');
    assert.equal(one(await job(held), 'TotalNumberOfTasks'), '1');
    assert.equal(await objectAcl('conf/a'), 'default');
    assert.equal(one(text(status(await updateStatus(held, 'Ready', root, 'checked'), 200, 'Ready')), 'Status'), 'Ready');
    assert.equal(one(text(status(await updateStatus(dropped, 'Cancelled', root, 'not wanted'), 200, 'Cancelled')), 'StatusUpdateReason'), 'not wanted');
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(held), 'Status'), 'Complete');
    assert.equal(one(await job(held), 'StatusUpdateReason'), 'checked');
    assert.equal(await objectAcl('conf/a'), 'public-read');
    assert.equal(one(await job(dropped), 'Status'), 'Cancelled');
    assert.deepEqual(await objectTags('conf/a'), []);
    // Ended jobs take no other status.
    for (const [id, s] of [[held, 'Cancelled'], [dropped, 'Cancelled'], [held, 'Ready']] as const) {
      assert.equal(errorOf(status(await updateStatus(id, s), 400, `${s} of an ended job`))?.Code, 'InvalidRequest');
    }
  });

  it('cancelling an Active job stops it after its page: Cancelled, the remaining objects untouched', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => put(k)));
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'many/' } });
    // Ten objects a page: the job is Active for 30 saves, and a cancel sent once it is Active lands between two.
    const running = srv.batchJobs!.runOnce();
    let seen = '';
    for (let i = 0; i < 10_000 && seen !== 'Active'; i++) {
      seen = one(await job(id), 'Status');
      if (seen === 'Complete') break;
    }
    assert.equal(seen, 'Active', 'the job was seen Active');
    assert.equal(one(text(status(await updateStatus(id, 'Cancelled'), 200, 'cancel')), 'Status'), 'Cancelling');
    await running;
    const d = await job(id);
    assert.equal(one(d, 'Status'), 'Cancelled');
    const done = Number(one(d, 'NumberOfTasksSucceeded'));
    assert.ok(done < 300, `${done} of 300 done`);
    assert.equal(await objectAcl(keys[299]!), 'default');
  });

  it('AddObjectTagging merges into the tags an object has, DeleteObjectTagging removes them, RestoreObject restores archived objects (a Standard one fails its task)', async () => {
    status(await send({ method: 'PUT', bucket: B, key: 'ops/a', body: 'x', headers: { 'content-type': 'text/plain', 'x-oss-tagging': 'keep=1&team=red' } }), 200, 'PutObject with tags');
    const add = await created({ operation: TAGS.replace(/PutObjectTagging/g, 'AddObjectTagging'), prefix: { bucket: B, prefix: 'ops/a' } });
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(add), 'NumberOfTasksSucceeded'), '1');
    const tagged = text(await send({ method: 'GET', bucket: B, key: 'ops/a', params: [['tagging', '']] }));
    assert.deepEqual(strictTexts(tagged, 'Key'), ['keep', 'team']);
    assert.deepEqual(strictTexts(tagged, 'Value'), ['1', 'blue']);
    const del = await created({ operation: '<DeleteObjectTagging></DeleteObjectTagging>', prefix: { bucket: B, prefix: 'ops/a' } });
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(del), 'Status'), 'Complete');
    assert.deepEqual(await objectTags('ops/a'), []);

    status(await send({ method: 'PUT', bucket: B, key: 'ops/cold', body: 'x', headers: { 'content-type': 'text/plain', 'x-oss-storage-class': 'Archive' } }), 200, 'PutObject Archive');
    const restore = await created({ operation: '<RestoreObject><Days>2</Days></RestoreObject>', prefix: { bucket: B, prefix: 'ops/' }, report: { bucket: B, prefix: 'restore', scope: 'FailedTasksOnly' } });
    await srv.batchJobs!.runOnce();
    const r = await job(restore);
    assert.deepEqual(summary(r), ['Complete', '2', '1', '1']);
    assert.equal(one(r, 'Days'), '2');
    const head = await send({ method: 'HEAD', bucket: B, key: 'ops/cold' });
    assert.match(String(head.headers['x-oss-restore']), /ongoing-request/);
    assert.match(await getText(`restore/job-${restore}/results/000000.csv`), /^"batch-ops-bucket","ops%2Fa","","failed","[A-Za-z]+","4\d\d",/);
  });

  it('a job held by a process that went silent 10 minutes ago is taken over and finished; one held by a live process is left alone on PostgreSQL, taken at once on SQLite (a restart: one process owns the file)', async () => {
    await put('held/a');
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'held/' } });
    const key = `${ACCOUNT_ID}/${Buffer.from(id, 'base64').toString('latin1')}`;
    const hold = async (heartbeat: number): Promise<void> => {
      await srv.meta.updateIndexEntry('batch-job', key, (cur) => JSON.stringify({ ...JSON.parse(cur!), status: 'Active', activeSince: Date.now(), holder: 'another-process', heartbeat }));
    };
    await hold(Date.now());
    await srv.batchJobs!.runOnce();
    if (process.env.ALUNITE_TEST_META !== 'postgres') {
      assert.equal(one(await job(id), 'Status'), 'Complete');
      assert.equal(await objectAcl('held/a'), 'public-read');
      return;
    }
    assert.equal(one(await job(id), 'Status'), 'Active');
    assert.equal(await objectAcl('held/a'), 'default');
    await hold(Date.now() - 11 * 60 * 1000);
    await srv.batchJobs!.runOnce();
    assert.equal(one(await job(id), 'Status'), 'Complete');
    assert.equal(await objectAcl('held/a'), 'public-read');
  });

  it('an explicit Deny in the role\'s policies refuses the task it names, the job goes on with the others', async () => {
    await roleWith(new Ram(srv), 'batch-deny-one', ALL_OF_B, { Effect: 'Deny', Action: 'oss:PutObjectAcl', Resource: `acs:oss:*:*:${B}/deny/b` });
    for (const k of ['deny/a', 'deny/b', 'deny/c']) await put(k);
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'deny/' }, role: `acs:ram::${ACCOUNT_ID}:role/batch-deny-one` });
    await srv.batchJobs!.runOnce();
    const d = await job(id);
    assert.deepEqual(summary(d), ['Complete', '3', '2', '1']);
    assert.deepEqual([await objectAcl('deny/a'), await objectAcl('deny/b'), await objectAcl('deny/c')], ['public-read', 'default', 'public-read']);
  });

  it('a task is decided with what its request would carry: Block Public Access refuses a public ACL, a Deny on oss:x-oss-object-acl applies, a Deny on oss:Prefix stops a prefix job', async () => {
    const C = 'batch-facts';
    status(await send({ method: 'PUT', bucket: C, key: null }), 200, 'PutBucket');
    for (const k of ['pub/a', 'secret/a']) status(await send({ method: 'PUT', bucket: C, key: k, body: 'top secret', headers: { 'content-type': 'text/plain' } }), 200, `PutObject ${k}`);
    const allOfC = { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${C}`, `acs:oss:*:*:${C}/*`] };
    const ram = new Ram(srv);
    await roleWith(ram, 'batch-facts-all', allOfC);
    await roleWith(ram, 'batch-facts-no-public', allOfC, { Effect: 'Deny', Action: 'oss:PutObjectAcl', Resource: '*', Condition: { StringEquals: { 'oss:x-oss-object-acl': 'public-read' } } });
    await roleWith(ram, 'batch-facts-no-secret', allOfC, { Effect: 'Deny', Action: 'oss:ListObjects', Resource: '*', Condition: { StringLike: { 'oss:Prefix': 'secret/*' } } });
    const acl = async (key: string): Promise<string> => one(text(status(await send({ method: 'GET', bucket: C, key, params: [['acl', '']] }), 200, 'GetObjectAcl')), 'Grant');
    const roleArnOf = (name: string): string => `acs:ram::${ACCOUNT_ID}:role/${name}`;

    // The condition key: refused by the role's own Deny (was applied: the task had no x-oss-object-acl).
    const denied = await created({ operation: ACL_PUBLIC, prefix: { bucket: C, prefix: 'pub/' }, role: roleArnOf('batch-facts-no-public') });
    await srv.batchJobs!.runOnce();
    assert.deepEqual(summary(await job(denied)), ['Complete', '1', '0', '1']);
    assert.equal(await acl('pub/a'), 'default');

    // Block Public Access on the bucket: a public ACL is refused to the job as to the API (was made public).
    const block = '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>';
    status(await send({ method: 'PUT', bucket: C, key: null, params: [['publicAccessBlock', '']], body: block }), 200, 'PutBucketPublicAccessBlock');
    const blocked = await created({ operation: ACL_PUBLIC, prefix: { bucket: C, prefix: 'pub/' }, role: roleArnOf('batch-facts-all') });
    await srv.batchJobs!.runOnce();
    assert.deepEqual(summary(await job(blocked)), ['Complete', '1', '0', '1']);
    assert.equal(await acl('pub/a'), 'default');

    // oss:Prefix of the listing: a job over secret/ fails as the listing would (was listed and run).
    const listed = await created({ operation: TAGS, prefix: { bucket: C, prefix: 'secret/' }, role: roleArnOf('batch-facts-no-secret') });
    await srv.batchJobs!.runOnce();
    const d = await job(listed);
    assert.equal(one(d, 'Status'), 'Failed');
    assert.equal(one(d, 'FailureCode'), 'SourceBucketAccessDenied');
  });

  it('a KMS-encrypted manifest is read only by a role allowed kms:Decrypt on its key, as GetObject would need (its rows were leaked into the report before)', async () => {
    await put('kms/1');
    const csv = `${B},kms/1\n`;
    const res = status(await send({ method: 'PUT', bucket: B, key: 'manifests/kms.csv', body: csv, headers: { 'content-type': 'text/csv', 'x-oss-server-side-encryption': 'KMS' } }), 200, 'PutObject KMS manifest');
    const manifest = { bucket: B, object: 'manifests/kms.csv', etag: String(res.headers.etag).replace(/"/g, '') };
    // ALL_OF_B: every oss: action on the bucket, no kms: action.
    const refused = await created({ operation: TAGS, manifest });
    await srv.batchJobs!.runOnce();
    const r = await job(refused);
    assert.equal(one(r, 'Status'), 'Failed');
    assert.equal(one(r, 'FailureCode'), 'ManifestAccessDenied');
    assert.deepEqual(await objectTags('kms/1'), []);
    await roleWith(new Ram(srv), 'batch-kms', ALL_OF_B, { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' });
    const allowed = await created({ operation: TAGS, manifest, role: `acs:ram::${ACCOUNT_ID}:role/batch-kms` });
    await srv.batchJobs!.runOnce();
    assert.deepEqual(summary(await job(allowed)), ['Complete', '1', '1', '0']);
  });

  it('a bucket\'s Referer whitelist (no empty Referer) does not refuse the job\'s tasks: they are the service\'s header-signed requests', async () => {
    const referer = (allowEmpty: boolean, list: string): Promise<RawResponse> => send({ method: 'PUT', bucket: B, key: null, params: [['referer', '']], body: `<RefererConfiguration><AllowEmptyReferer>${allowEmpty}</AllowEmptyReferer><RefererList>${list}</RefererList></RefererConfiguration>` });
    status(await referer(false, '<Referer>http://www.example.com</Referer>'), 200, 'PutBucketReferer');
    try {
      await put('ref/a');
      const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'ref/' }, report: { bucket: B, prefix: 'ref-report' } });
      await srv.batchJobs!.runOnce();
      assert.deepEqual(summary(await job(id)), ['Complete', '1', '1', '0']);
      assert.equal(await objectAcl('ref/a'), 'public-read');
    } finally {
      status(await referer(true, ''), 200, 'PutBucketReferer back');
    }
  });

  it('each operation is authorized as oss:<Operation> on the account: a RAM user allowed only ListJobs and DescribeJob reads jobs and may not create, reprioritize or cancel them', async () => {
    const id = await created({ operation: ACL_PRIVATE, prefix: { bucket: B, prefix: 'authz/' } });
    const ram = new Ram(srv);
    const u = await ram.userWith('batch-reader', policyDoc({ Effect: 'Allow', Action: ['oss:ListJobs', 'oss:DescribeJob'], Resource: `acs:oss:*:${ACCOUNT_ID}:*` }));
    const reader: Creds = { ak: u.accessKeyId, secret: u.accessKeySecret };
    assert.ok(strictTexts(text(status(await listJobs([], reader), 200, 'ListJobs as the reader')), 'JobId').includes(id));
    assert.equal(one(text(status(await describeJob(id, reader), 200, 'DescribeJob as the reader')), 'JobId'), id);
    for (const [what, res] of [
      ['CreateJob', await createJob({ operation: ACL_PRIVATE, prefix: { bucket: B, prefix: 'authz/' } }, reader)],
      ['UpdateJobPriority', await updatePriority(id, '5', reader)],
      ['UpdateJobStatus', await updateStatus(id, 'Cancelled', reader)],
    ] as const) {
      assert.equal(errorOf(status(res, 403, `${what} as the reader`))?.Code, 'AccessDenied', what);
    }
    const d = await job(id);
    assert.equal(one(d, 'Priority'), '10');
    assert.equal(one(d, 'Status'), 'New');
  });

  it('CreateJob hands over its role: a RAM user allowed oss:CreateJob needs ram:PassRole on that role\'s ARN, else 403 and no job (or it could act with any role of the account)', async () => {
    const ram = new Ram(srv);
    const count = async (): Promise<number> => strictTexts(text(await listJobs([['max-keys', '1000']])), 'JobId').length;
    const create = { Effect: 'Allow', Action: ['oss:CreateJob', 'oss:ListJobs'], Resource: `acs:oss:*:${ACCOUNT_ID}:*` };
    const without = await ram.userWith('batch-creator', policyDoc(create));
    const other = await ram.userWith('batch-creator-other-role', policyDoc(create, { Effect: 'Allow', Action: 'ram:PassRole', Resource: `acs:ram::${ACCOUNT_ID}:role/batch-list-only` }));
    const passer = await ram.userWith('batch-passer', policyDoc(create, { Effect: 'Allow', Action: 'ram:PassRole', Resource: ROLE }));
    const spec: JobXml = { operation: ACL_PRIVATE, prefix: { bucket: B, prefix: 'passrole/' } };
    const before = await count();
    for (const u of [without, other]) {
      const refused = await createJob(spec, { ak: u.accessKeyId, secret: u.accessKeySecret });
      assert.equal(errorOf(status(refused, 403, 'CreateJob without ram:PassRole on the role'))?.Code, 'AccessDenied');
    }
    assert.equal(await count(), before, 'nothing created');
    const made = await createJob(spec, { ak: passer.accessKeyId, secret: passer.accessKeySecret });
    assert.ok(one(text(status(made, 200, 'CreateJob with ram:PassRole')), 'JobId').length > 0);
  });

  it('a role whose trust policy does not admit the OSS service fails the job (RoleNotTrusted): a role made for people is not the service\'s to use', async () => {
    const ram = new Ram(srv);
    // Allowed everything on the bucket, but trusted only by the account's people.
    await ram.call('CreateRole', { RoleName: 'batch-people-role', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', { PolicyName: 'batch-people-all', PolicyDocument: policyDoc(ALL_OF_B) });
    await ram.call('AttachPolicyToRole', { RoleName: 'batch-people-role', PolicyType: 'Custom', PolicyName: 'batch-people-all' });
    await put('trust/a');
    const id = await created({ operation: ACL_PUBLIC, prefix: { bucket: B, prefix: 'trust/' }, role: `acs:ram::${ACCOUNT_ID}:role/batch-people-role` });
    await srv.batchJobs!.runOnce();
    const d = await job(id);
    assert.equal(one(d, 'Status'), 'Failed');
    assert.equal(one(d, 'FailureCode'), 'RoleNotTrusted');
    assert.equal(await objectAcl('trust/a'), 'default');
  });

  it('bad input is refused with nothing stored; unknown and malformed job ids; idempotent ClientRequestToken; paging', async () => {
    const count = async (): Promise<number> => strictTexts(text(await listJobs([['max-keys', '1000']])), 'JobId').length;
    const before = await count();
    const post = (body: string): Promise<RawResponse> => send({ method: 'POST', bucket: null, key: null, params: [['batchJob', '']], body });
    const base: JobXml = { operation: ACL_PRIVATE, prefix: { bucket: B, prefix: 'x/' } };
    assert.equal(errorOf(status(await post('not xml'), 400, 'not XML'))?.Code, 'MalformedXML');
    assert.equal(errorOf(status(await post('<Other/>'), 400, 'wrong root'))?.Code, 'MalformedXML');
    assert.equal(errorOf(status(await post(createJobXml(base).replace('<Priority>', '<Unknown>1</Unknown><Priority>')), 400, 'unknown field'))?.Code, 'MalformedXML');
    assert.equal(errorOf(status(await post(createJobXml(base).replace(/<RoleArn>.*<\/RoleArn>/, '')), 400, 'no RoleArn'))?.Code, 'MalformedXML');
    for (const [what, spec] of [
      ['two operations', { ...base, operation: ACL_PRIVATE + TAGS }],
      ['manifest and prefix', { ...base, manifest: { bucket: B, object: 'm.csv', etag: 'x' } }],
      ['neither', { operation: ACL_PRIVATE }],
      ['a bad RoleArn', { ...base, role: 'acs:ram::x:user/y' }],
      ['a priority out of range', { ...base, priority: 2147483648 }],
      ['an unknown ACL', { ...base, operation: '<PutObjectAcl><ObjectAcl>everyone</ObjectAcl></PutObjectAcl>' }],
      ['a bad ReportScope', { ...base, report: { bucket: B, scope: 'Some' } }],
    ] as Array<[string, JobXml]>) {
      assert.equal(errorOf(status(await createJob(spec), 400, what))?.Code, 'InvalidArgument', what);
    }
    assert.equal(errorOf(status(await createJob({ ...base, operation: '<PutObjectTagging><TagSet><Tag><Key>a b*</Key><Value>v</Value></Tag></TagSet></PutObjectTagging>' }), 400, 'bad tag'))?.Code, 'InvalidTag');
    assert.equal(errorOf(status(await createJob({ ...base, prefix: { bucket: 'no-such-bucket-here', prefix: '' } }), 404, 'missing bucket'))?.Code, 'NoSuchBucket');
    assert.equal(await count(), before, 'nothing stored');

    const unknown = Buffer.from('0123456789abcdef0123456789abcdef', 'latin1').toString('base64');
    for (const res of [await describeJob(unknown), await updatePriority(unknown, '3'), await updateStatus(unknown, 'Cancelled')]) {
      assert.equal(errorOf(status(res, 404, 'unknown job'))?.Code, 'NoSuchJob');
    }
    assert.equal(errorOf(status(await describeJob('short'), 400, 'malformed id'))?.Code, 'InvalidArgument');
    const id = await created({ ...base, token: 'same-token' });
    assert.equal(await created({ ...base, token: 'same-token' }), id, 'the same token answers the same job');
    assert.equal(await count(), before + 1);
    assert.equal(errorOf(status(await updatePriority(id, '-1'), 400, 'negative priority'))?.Code, 'InvalidArgument');
    assert.equal(errorOf(status(await updateStatus(id, 'Active'), 400, 'not Ready or Cancelled'))?.Code, 'InvalidArgument');
    assert.equal(errorOf(status(await updateStatus(id, 'Ready'), 400, 'Ready of a New job'))?.Code, 'InvalidRequest');
    assert.equal(errorOf(status(await listJobs([['max-keys', '0']]), 400, 'max-keys 0'))?.Code, 'InvalidArgument');
    assert.equal(errorOf(status(await listJobs([['batchJobStatuses', 'Sleeping']]), 400, 'unknown status'))?.Code, 'InvalidArgument');
    // Paging: one job per page, NextToken to the next, every job once, in creation order.
    const seen: string[] = [];
    let token = '';
    for (;;) {
      const page = text(status(await listJobs([['max-keys', '1'], ...(token ? [['continuation-token', token] as [string, string]] : [])]), 200, 'ListJobs page'));
      seen.push(...strictTexts(page, 'JobId'));
      const next = strictTexts(page, 'NextToken');
      if (next.length === 0) break;
      token = next[0]!;
    }
    assert.equal(seen.length, before + 1);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(seen[seen.length - 1], id);
    // On a bucket the sub-resource is still refused (as before: no POST of a bucket takes it), never another operation.
    status(await send({ method: 'POST', bucket: B, key: null, params: [['batchJob', '']], body: createJobXml(base) }), 405, 'CreateJob on a bucket');
    assert.equal(await count(), before + 1);
  });
});

describe('Batch Operations on PostgreSQL, two processes: both workers run at once and each task is done once', { skip: process.env.ALUNITE_TEST_META !== 'postgres' }, () => {
  it('one process takes the job (in its entry\'s transaction), the other leaves it: 30 tasks, 30 successes, Complete', async () => {
    const pair = await startServerPairOnPostgres({ batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 5 } });
    try {
      const root: Creds = { ak: AK, secret: SECRET };
      const { a, b } = pair;
      assert.equal((await sendTo(a, { method: 'PUT', bucket: B, key: null }, root)).status, 200);
      await roleWith(new Ram(a), 'oss-sdk-batch-test', ALL_OF_B);
      await Promise.all(Array.from({ length: 30 }, (_, i) => sendTo(a, { method: 'PUT', bucket: B, key: `two/${i}`, body: 'x', headers: { 'content-type': 'text/plain' } }, root)));
      const res = await sendTo(a, { method: 'POST', bucket: null, key: null, params: [['batchJob', '']], body: createJobXml({ operation: TAGS.replace(/PutObjectTagging/g, 'AddObjectTagging'), prefix: { bucket: B, prefix: 'two/' }, report: { bucket: B, prefix: 'two-report' } }) }, root);
      assert.equal(res.status, 200, res.body.toString());
      const id = strictTexts(res.body.toString(), 'JobId')[0]!;
      await Promise.all([a.batchJobs!.runOnce(), b.batchJobs!.runOnce()]);
      const d = (await sendTo(b, { method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ['batchJobId', id]] }, root)).body.toString();
      assert.deepEqual(['Status', 'TotalNumberOfTasks', 'NumberOfTasksSucceeded', 'NumberOfTasksFailed'].map((n) => strictTexts(d, n)[0]), ['Complete', '30', '30', '0']);
      const manifest = JSON.parse((await sendTo(b, { method: 'GET', bucket: B, key: `two-report/job-${id}/manifest.json` }, root)).body.toString()) as { Results: string[] };
      assert.equal(manifest.Results.length, 6, 'one report file per page of 5, written once');
    } finally {
      await pair.stop();
    }
  });
});

describe('Batch Operations: fairness across accounts, the per-account cap, expiry of ended and Suspended jobs, one RoleArn rule', () => {
  const OTHER = '2000000000000002';
  const other: Creds = { ak: 'LTAI5tBatchOtherAccount0', secret: 'BatchOtherAccountSecret0000000' };
  const root: Creds = { ak: AK, secret: SECRET };
  const FA = 'batch-fair-a';
  const FB = 'batch-fair-b';
  const ROLE_B = `acs:ram::${OTHER}:role/batch-fair-b`;
  const RETENTION_MS = 5 * 60_000;
  const SUSPENDED_MS = 2 * 60_000;
  let srv: TestServer;
  // The server's clock: `ahead` of the machine's and strictly increasing, so the times the worker writes (a report's
  // ReportCreationDate) say in which order it did things, without the test timing anything.
  let ahead = 0;
  let last = 0;
  const clock = (): number => (last = Math.max(Date.now() + ahead, last + 1));
  const send = (r: SdkRequest, c: Creds = root): Promise<RawResponse> => sendTo(srv, r, c);
  const text = (res: RawResponse): string => res.body.toString('utf8');
  const ok = (res: RawResponse, what: string): string => {
    assert.equal(res.status, 200, `${what}: ${text(res).slice(0, 400)}`);
    return text(res);
  };
  const createJob = (j: JobXml, c: Creds = root): Promise<RawResponse> => send({ method: 'POST', bucket: null, key: null, params: [['batchJob', '']], body: createJobXml(j) }, c);
  const created = async (j: JobXml, c: Creds = root): Promise<string> => strictTexts(ok(await createJob(j, c), 'CreateJob'), 'JobId')[0]!;
  const describeJob = (id: string, c: Creds = root): Promise<RawResponse> => send({ method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ['batchJobId', id]] }, c);
  const statusOf = async (id: string, c: Creds = root): Promise<string> => strictTexts(ok(await describeJob(id, c), 'DescribeJob'), 'Status')[0]!;
  const cancel = async (id: string, c: Creds = root): Promise<void> => {
    ok(await send({ method: 'POST', bucket: null, key: null, params: [['batchJobStatus', ''], ['batchJobId', id], ['requestedJobStatus', 'Cancelled']] }, c), 'UpdateJobStatus');
  };
  /** When the job's report manifest was written: the worker's clock when the job ended. */
  const endedAt = async (bucket: string, id: string, c: Creds = root): Promise<number> =>
    Date.parse((JSON.parse(ok(await send({ method: 'GET', bucket, key: `rep/job-${id}/manifest.json` }, c), 'report manifest')) as { ReportCreationDate: string }).ReportCreationDate);

  before(async () => {
    srv = await startTestServer({ clock, batchJobs: { intervalMs: 0, startDelayMs: 0, pageSize: 2, maxJobsPerAccount: 3, retentionMs: RETENTION_MS, suspendedMs: SUSPENDED_MS } });
    await srv.accounts.create({ accountId: OTHER, name: 'batch-other', accessKeyId: other.ak, accessKeySecret: other.secret });
    const ramA = new Ram(srv);
    const ramB = new Ram(srv);
    ramB.popClient = (accessKeyId = other.ak, accessKeySecret = other.secret) => Ram.prototype.popClient.call(ramB, accessKeyId, accessKeySecret);
    ok(await send({ method: 'PUT', bucket: FA, key: null }), 'PutBucket A');
    ok(await send({ method: 'PUT', bucket: FB, key: null }, other), 'PutBucket B');
    await roleWith(ramA, 'batch-fair-a', { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${FA}`, `acs:oss:*:*:${FA}/*`] });
    await roleWith(ramB, 'batch-fair-b', { Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${FB}`, `acs:oss:*:*:${FB}/*`] });
    for (let i = 0; i < 6; i++) ok(await send({ method: 'PUT', bucket: FA, key: `f/${i}`, body: 'x', headers: { 'content-type': 'text/plain' } }), 'PutObject');
    ok(await send({ method: 'PUT', bucket: FB, key: 'f/0', body: 'x', headers: { 'content-type': 'text/plain' } }, other), 'PutObject');
  });
  after(async () => {
    await srv?.stop();
  });

  it('one account\'s top-priority job runs a slice at a time: another account\'s job of priority 0, created after it, ends first (was: after it); within an account priority still orders', async () => {
    const a1 = await created({ operation: ACL_PUBLIC, prefix: { bucket: FA, prefix: 'f/' }, report: { bucket: FA, prefix: 'rep' }, priority: 2147483647, role: `acs:ram::${ACCOUNT_ID}:role/batch-fair-a` });
    const a2 = await created({ operation: ACL_PRIVATE, prefix: { bucket: FA, prefix: 'f/' }, report: { bucket: FA, prefix: 'rep' }, priority: 0, role: `acs:ram::${ACCOUNT_ID}:role/batch-fair-a` });
    const b1 = await created({ operation: ACL_PUBLIC, prefix: { bucket: FB, prefix: 'f/' }, report: { bucket: FB, prefix: 'rep' }, priority: 0, role: ROLE_B }, other);
    await srv.batchJobs!.runOnce();
    for (const [id, c] of [[a1, root], [a2, root], [b1, other]] as const) assert.equal(await statusOf(id, c), 'Complete');
    const [endA1, endA2, endB1] = [await endedAt(FA, a1), await endedAt(FA, a2), await endedAt(FB, b1, other)];
    assert.ok(endB1 < endA1, `B's job ended at ${endB1}, A's top job at ${endA1}`);
    assert.ok(endA1 < endA2, 'A\'s priority 2147483647 job before its priority 0 one');
  });

  it('an account has at most --batch-max-jobs jobs not ended: CreateJob beyond is 400 TooManyJobs (EC 0017-00001003), nothing stored; an ended one frees a place; other accounts are not counted', async () => {
    const spec: JobXml = { operation: ACL_PRIVATE, prefix: { bucket: FA, prefix: 'none/' }, confirm: true, role: `acs:ram::${ACCOUNT_ID}:role/batch-fair-a` };
    const ids = [await created({ ...spec, token: 'cap-1' }), await created(spec), await created(spec)];
    const refused = await createJob(spec);
    assert.equal(refused.status, 400, text(refused));
    assert.equal(errorOf(refused)?.Code, 'TooManyJobs');
    assert.equal(errorOf(refused)?.EC, '0017-00001003');
    // A token used before still answers its job at the cap.
    assert.equal(await created({ ...spec, token: 'cap-1' }), ids[0]);
    // Another account is not held by this one's jobs.
    const theirs = await created({ operation: ACL_PRIVATE, prefix: { bucket: FB, prefix: 'none/' }, confirm: true, role: ROLE_B }, other);
    await cancel(ids[1]!);
    const again = await created(spec);
    assert.equal(errorOf(await createJob(spec))?.Code, 'TooManyJobs');
    for (const id of [ids[0]!, ids[2]!, again]) await cancel(id);
    await cancel(theirs, other);
  });

  it('a Suspended job never confirmed fails after --batch-suspended-days (SuspendedTimeout); an ended job is forgotten after --batch-retention-days, with its ClientRequestToken', async () => {
    const spec: JobXml = { operation: ACL_PRIVATE, prefix: { bucket: FA, prefix: 'f/' }, confirm: true, role: `acs:ram::${ACCOUNT_ID}:role/batch-fair-a` };
    const held = await created({ ...spec, token: 'kept-then-forgotten' });
    await srv.batchJobs!.runOnce();
    assert.equal(await statusOf(held), 'Suspended');
    ahead += SUSPENDED_MS - 30_000;
    await srv.batchJobs!.runOnce();
    assert.equal(await statusOf(held), 'Suspended');
    ahead += 60_000;
    await srv.batchJobs!.runOnce();
    const d = ok(await describeJob(held), 'DescribeJob');
    assert.equal(strictTexts(d, 'Status')[0], 'Failed');
    assert.equal(strictTexts(d, 'FailureCode')[0], 'SuspendedTimeout');
    // Kept for the retention, counted from its end; then DescribeJob is NoSuchJob, ListJobs leaves it out, and its
    // token makes a new job.
    ahead += RETENTION_MS - 30_000;
    await srv.batchJobs!.runOnce();
    assert.equal(await statusOf(held), 'Failed');
    ahead += 60_000;
    await srv.batchJobs!.runOnce();
    const gone = await describeJob(held);
    assert.equal(gone.status, 404, text(gone));
    assert.equal(errorOf(gone)?.Code, 'NoSuchJob');
    const listed = ok(await send({ method: 'GET', bucket: null, key: null, params: [['batchJob', ''], ['max-keys', '1000']] }), 'ListJobs');
    assert.ok(!strictTexts(listed, 'JobId').includes(held));
    const fresh = await created({ ...spec, token: 'kept-then-forgotten' });
    assert.notEqual(fresh, held);
    await cancel(fresh);
  });

  it('a RoleArn is read by the rule STS reads one by (16-digit account, letters, digits, "." and "-"), for CreateJob as for AssumeRole', async () => {
    const spec: JobXml = { operation: ACL_PRIVATE, prefix: { bucket: FA, prefix: 'none/' } };
    for (const role of [`acs:ram::${ACCOUNT_ID}:role/under_score`, `ACS:RAM::${ACCOUNT_ID}:role/batch-fair-a`, `acs:ram::123456789012345:role/batch-fair-a`, `acs:ram::${ACCOUNT_ID}:ROLE/batch-fair-a`]) {
      const res = await createJob({ ...spec, role });
      assert.equal(res.status, 400, `${role}: ${text(res)}`);
      assert.equal(errorOf(res)?.Code, 'InvalidArgument', role);
    }
  });

  it('the worker\'s settings from alunite server flags, else ALUNITE_BATCH_* variables', () => {
    assert.deepEqual(batchJobOptions({}, {}), {});
    assert.deepEqual(batchJobOptions({ batchInterval: 0, batchPageSize: 50, batchMaxJobs: 7 }, { ALUNITE_BATCH_PAGE_SIZE: '9', ALUNITE_BATCH_RETENTION_DAYS: '30', ALUNITE_BATCH_SUSPENDED_DAYS: '1', ALUNITE_BATCH_START_DELAY: '2' }), {
      batchJobs: { intervalMs: 0, startDelayMs: 2000, pageSize: 50, maxJobsPerAccount: 7, retentionMs: 30 * 86_400_000, suspendedMs: 86_400_000 },
    });
    assert.throws(() => batchJobOptions({}, { ALUNITE_BATCH_MAX_JOBS: '0' }), /ALUNITE_BATCH_MAX_JOBS/);
    assert.throws(() => batchJobOptions({}, { ALUNITE_BATCH_PAGE_SIZE: '1.5' }), /ALUNITE_BATCH_PAGE_SIZE/);
  });
});
