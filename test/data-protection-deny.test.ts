// Every data-protection operation (versioning, WORM, archive restore, encryption, lifecycle) is authorized as
// its own RAM action: a user allowed oss:* but with an explicit Deny on that one action is refused with
// AccessDenied, and the same request by a user allowed oss:* without the Deny is not refused (whatever the
// operation itself then answers). Requests naming a version are judged by the …Version actions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { rawBucketRequest, rawObjectRequest, type RawResult } from './helpers/oss.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'dp-deny';


const bucketRequest = (c: OSS, method: string, subres: string | Record<string, string>, body?: string): Promise<RawResult> => rawBucketRequest(c, method, BUCKET, subres, body);

/** The status and error code of a request (ali-oss throws for statuses outside successStatuses). */
async function outcome(call: () => Promise<unknown>): Promise<{ status: number; code: string | undefined }> {
  try {
    const r = (await call()) as { res?: { status: number }; status?: number };
    return { status: r.res?.status ?? r.status ?? 0, code: undefined };
  } catch (err) {
    const e = err as { status?: number; code?: string };
    return { status: e.status ?? 0, code: e.code };
  }
}

describe('data-protection operations: explicit Deny refuses each', () => {
  let srv: TestServer;
  let ram: Ram;
  let versionId = '';
  const cases: Array<{ action: string; request: (c: OSS) => Promise<unknown> }> = [];

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    const root = srv.client({ bucket: BUCKET });
    await root.putBucket(BUCKET);
    await bucketRequest(root, 'PUT', 'versioning', '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
    const put = await root.put('obj', Buffer.from('v1'));
    versionId = (put.res.headers as Record<string, string>)['x-oss-version-id']!;
    assert.ok(versionId);
    await root.put('obj', Buffer.from('v2'));
    await root.put('cold', Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Archive' } });

    const obj = (c: OSS, method: string, subres: Record<string, string>, opts: { headers?: Record<string, string>; content?: Buffer } = {}) =>
      rawObjectRequest(c, method, 'obj', { subres, successStatuses: [200, 204], ...opts });
    cases.push(
      { action: 'oss:GetObjectVersionAcl', request: (c) => obj(c, 'GET', { acl: '', versionId }) },
      { action: 'oss:PutObjectVersionAcl', request: (c) => obj(c, 'PUT', { acl: '', versionId }, { headers: { 'x-oss-object-acl': 'private' } }) },
      { action: 'oss:DeleteObjectVersionTagging', request: (c) => obj(c, 'DELETE', { tagging: '', versionId }) },
      { action: 'oss:GetObjectVersion', request: (c) => obj(c, 'GET', { versionId }) },
      { action: 'oss:PutBucketVersioning', request: (c) => bucketRequest(c, 'PUT', 'versioning', '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>') },
      { action: 'oss:GetBucketVersioning', request: (c) => bucketRequest(c, 'GET', 'versioning') },
      { action: 'oss:InitiateBucketWorm', request: (c) => bucketRequest(c, 'POST', 'worm', '<InitiateWormConfiguration><RetentionPeriodInDays>1</RetentionPeriodInDays></InitiateWormConfiguration>') },
      { action: 'oss:GetBucketWorm', request: (c) => bucketRequest(c, 'GET', 'worm') },
      { action: 'oss:ExtendBucketWorm', request: (c) => bucketRequest(c, 'POST', { wormExtend: '', wormId: 'nope' }, '<ExtendWormConfiguration><RetentionPeriodInDays>2</RetentionPeriodInDays></ExtendWormConfiguration>') },
      { action: 'oss:AbortBucketWorm', request: (c) => bucketRequest(c, 'DELETE', 'worm') },
      { action: 'oss:RestoreObject', request: (c) => rawObjectRequest(c, 'POST', 'cold', { subres: 'restore', successStatuses: [200, 202] }) },
      { action: 'oss:CleanRestoredObject', request: (c) => rawObjectRequest(c, 'POST', 'cold', { subres: 'cleanRestoredObject', successStatuses: [200] }) },
      { action: 'oss:GetBucketEncryption', request: (c) => bucketRequest(c, 'GET', 'encryption') },
      { action: 'oss:PutBucketEncryption', request: (c) => bucketRequest(c, 'PUT', 'encryption', '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>') },
      { action: 'oss:DeleteBucketEncryption', request: (c) => bucketRequest(c, 'DELETE', 'encryption') },
      { action: 'oss:GetBucketLifecycle', request: (c) => bucketRequest(c, 'GET', 'lifecycle') },
      { action: 'oss:DeleteBucketLifecycle', request: (c) => bucketRequest(c, 'DELETE', 'lifecycle') },
      {
        // UploadPartCopy from a source named by versionId reads it as oss:GetObjectVersion.
        action: 'oss:GetObjectVersion',
        request: async (c) => {
          const up = await c.initMultipartUpload('copy-target');
          return rawObjectRequest(c, 'PUT', 'copy-target', {
            subres: { partNumber: '1', uploadId: up.uploadId },
            headers: { 'x-oss-copy-source': `/${BUCKET}/obj?versionId=${encodeURIComponent(versionId)}` },
          });
        },
      },
    );
  });
  after(async () => {
    await srv?.stop();
  });

  test('each action: Denied → 403 AccessDenied; allowed → not refused', async () => {
    // Allowed users get the action they need; the Deny users only lose theirs.
    const allowAll = policyDoc({ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] });
    const allowed: RamUserHandle = await ram.userWith('dp-allowed', allowAll);
    let n = 0;
    for (const { action, request } of cases) {
      const user = await ram.userWith(
        `dp-deny-${n++}`,
        policyDoc({ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] }, { Effect: 'Deny', Action: [action], Resource: ['acs:oss:*:*:*'] }),
      );
      const refused = await outcome(() => request(user.oss(BUCKET)));
      assert.deepEqual(refused, { status: 403, code: 'AccessDenied' }, `${action}: denied user`);
      const ok = await outcome(() => request(allowed.oss(BUCKET)));
      assert.notEqual(ok.code, 'AccessDenied', `${action}: allowed user refused (${ok.status} ${ok.code})`);
    }
  });
});
