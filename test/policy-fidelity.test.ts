// Policy decisions that must match Alibaba Cloud's (spec ram-sts §1.7, §3; the OSS RAM-policy reference):
// each case sets policies through @alicloud/pop-core as the account root and acts as a RAM user through
// unchanged ali-oss clients against a real server. Denials are checked for 403 AccessDenied and the exact
// §2.6 message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { denied, MSG, policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

interface VersionList {
  objects: Array<{ name: string; versionId: string }>;
}

interface Extra {
  putBucketVersioning(bucket: string, status: string): Promise<unknown>;
  restore(key: string, options: { versionId?: string; type?: string }): Promise<{ res: { status: number } }>;
  getBucketVersions(query: Record<string, string | number>): Promise<VersionList>;
}

const x = (c: OSS): Extra => c as unknown as Extra;

describe('policy fidelity', () => {
  let srv: TestServer;
  let ram: Ram;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
  });
  after(async () => {
    await srv.stop();
  });

  it('oss:Prefix and oss:Delimiter are set for ListObjectVersions as for ListObjects', async () => {
    const bucket = 'fid-versions';
    const root = srv.client({ bucket });
    await srv.client().putBucket(bucket);
    await x(srv.client()).putBucketVersioning(bucket, 'Enabled');
    await root.put('team/a.txt', Buffer.from('a'));
    await root.put('other/b.txt', Buffer.from('b'));
    const u = await ram.userWith(
      'fid-lister',
      policyDoc({
        Effect: 'Allow',
        Action: ['oss:ListObjects', 'oss:ListObjectVersions'],
        Resource: `acs:oss:*:*:${bucket}`,
        Condition: { StringLike: { 'oss:Prefix': 'team/*' }, StringEquals: { 'oss:Delimiter': '/' } },
      }),
    );
    const oss = u.oss(bucket);
    // The same condition allows both listings under team/ ...
    const listed = await oss.list({ prefix: 'team/', delimiter: '/', 'max-keys': 10 }, {});
    assert.deepEqual(listed.objects?.map((o) => o.name), ['team/a.txt']);
    const versions = await x(oss).getBucketVersions({ prefix: 'team/', delimiter: '/' });
    assert.deepEqual(versions.objects.map((o) => o.name), ['team/a.txt']);
    // ... and neither elsewhere, nor without the delimiter.
    await denied(x(oss).getBucketVersions({ prefix: 'other/', delimiter: '/' }), MSG.acl);
    await denied(x(oss).getBucketVersions({ prefix: 'team/' }), MSG.acl);
    // A Deny on a prefix applies to the version listing as well.
    const d = await ram.userWith(
      'fid-lister-deny',
      policyDoc(
        { Effect: 'Allow', Action: 'oss:ListObjectVersions', Resource: `acs:oss:*:*:${bucket}` },
        { Effect: 'Deny', Action: 'oss:ListObjectVersions', Resource: `acs:oss:*:*:${bucket}`, Condition: { StringLike: { 'oss:Prefix': 'other/*' } } },
      ),
    );
    assert.deepEqual((await x(d.oss(bucket)).getBucketVersions({ prefix: 'team/' })).objects.map((o) => o.name), ['team/a.txt']);
    await denied(x(d.oss(bucket)).getBucketVersions({ prefix: 'other/' }), MSG.policyDeny);
  });

  it('RestoreObject naming a version is authorized as oss:RestoreObjectVersion', async () => {
    const bucket = 'fid-restore';
    const root = srv.client({ bucket });
    await srv.client().putBucket(bucket);
    await x(srv.client()).putBucketVersioning(bucket, 'Enabled');
    const put = await root.put('cold.txt', Buffer.from('cold'), { headers: { 'x-oss-storage-class': 'Archive' } });
    const versionId = (put.res.headers as Record<string, string>)['x-oss-version-id'];
    assert.ok(versionId);
    const plain = await ram.userWith('fid-restorer', policyDoc({ Effect: 'Allow', Action: 'oss:RestoreObject', Resource: `acs:oss:*:*:${bucket}/*` }));
    const versioned = await ram.userWith('fid-restorer-v', policyDoc({ Effect: 'Allow', Action: 'oss:RestoreObjectVersion', Resource: `acs:oss:*:*:${bucket}/*` }));
    // oss:RestoreObject covers the current version only; a named version needs oss:RestoreObjectVersion.
    await denied(x(plain.oss(bucket)).restore('cold.txt', { versionId }), MSG.object);
    await denied(x(versioned.oss(bucket)).restore('cold.txt', {}), MSG.object);
    assert.equal((await x(versioned.oss(bucket)).restore('cold.txt', { versionId })).res.status, 202);
    // A Deny of oss:RestoreObjectVersion applies to it, whatever else allows oss:*.
    const denier = await ram.userWith(
      'fid-restorer-deny',
      policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:RestoreObjectVersion', Resource: `acs:oss:*:*:${bucket}/*` }),
    );
    await denied(x(denier.oss(bucket)).restore('cold.txt', { versionId }), MSG.policyDeny);
  });
});
