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
  putBucketTags(bucket: string, tags: Record<string, string>): Promise<unknown>;
  putObjectTagging(key: string, tags: Record<string, string>): Promise<unknown>;
  getObjectTagging(key: string): Promise<{ tag: Record<string, string> }>;
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

  it('oss:ExistingObjectTag/<key> is the tag of the object read (GetObject, HeadObject, *ObjectTagging)', async () => {
    const bucket = 'fid-object-tags';
    const root = srv.client({ bucket });
    await srv.client().putBucket(bucket);
    await root.put('dev.txt', Buffer.from('dev'), { headers: { 'x-oss-tagging': 'team=dev' } });
    await root.put('ops.txt', Buffer.from('ops'), { headers: { 'x-oss-tagging': 'team=ops' } });
    await root.put('none.txt', Buffer.from('none'));
    await root.put('both.txt', Buffer.from('both'), { headers: { 'x-oss-tagging': 'status=ok&key1=value1' } });
    await root.put('one.txt', Buffer.from('one'), { headers: { 'x-oss-tagging': 'status=ok' } });
    // The reference's example: reads only of objects tagged team=dev.
    const reader = await ram.userWith(
      'fid-tag-reader',
      policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:GetObjectTagging'], Resource: `acs:oss:*:*:${bucket}/*`, Condition: { StringEquals: { 'oss:ExistingObjectTag/team': 'dev' } } }),
    );
    const oss = reader.oss(bucket);
    assert.equal(((await oss.get('dev.txt')) as unknown as { content: Buffer }).content.toString(), 'dev');
    assert.equal((await oss.head('dev.txt')).res.status, 200);
    assert.deepEqual((await x(oss).getObjectTagging('dev.txt')).tag, { team: 'dev' });
    await denied(oss.get('ops.txt'), MSG.acl);
    await denied(oss.get('none.txt'), MSG.acl);
    await denied(oss.head('ops.txt'), MSG.acl);
    await denied(x(oss).getObjectTagging('ops.txt'), MSG.object);
    // The reference's Deny example: both tags must be on the object for the Deny to apply.
    const guarded = await ram.userWith(
      'fid-tag-guarded',
      policyDoc(
        { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
        { Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${bucket}/*`, Condition: { StringEquals: { 'oss:ExistingObjectTag/status': 'ok', 'oss:ExistingObjectTag/key1': 'value1' } } },
      ),
    );
    await denied(guarded.oss(bucket).get('both.txt'), MSG.policyDeny);
    assert.equal(((await guarded.oss(bucket).get('one.txt')) as unknown as { content: Buffer }).content.toString(), 'one');
    // Retagging the object changes the decision at once.
    await x(root).putObjectTagging('ops.txt', { team: 'dev' });
    assert.equal(((await oss.get('ops.txt')) as unknown as { content: Buffer }).content.toString(), 'ops');
    // A bucket policy reads the key as well.
    const viaBucket = await ram.user('fid-tag-bucket-policy');
    const statement = { Effect: 'Allow', Action: ['oss:GetObject'], Principal: [viaBucket.userId], Resource: [`acs:oss:*:*:${bucket}/*`], Condition: { StringEquals: { 'oss:ExistingObjectTag/status': ['ok'] } } };
    await srv.client().putBucketPolicy(bucket, { Version: '1', Statement: [statement] } as unknown as Parameters<OSS['putBucketPolicy']>[1]);
    assert.equal(((await viaBucket.oss(bucket).get('one.txt')) as unknown as { content: Buffer }).content.toString(), 'one');
    await denied(viaBucket.oss(bucket).get('none.txt'), MSG.acl);
  });

  it('oss:BucketTag/<key> is the tag of the bucket the request acts on', async () => {
    await srv.client().putBucket('fid-tag-test');
    await srv.client().putBucket('fid-tag-prod');
    await x(srv.client()).putBucketTags('fid-tag-test', { env: 'test' });
    await x(srv.client()).putBucketTags('fid-tag-prod', { env: 'prod' });
    await srv.client({ bucket: 'fid-tag-test' }).put('k.txt', Buffer.from('t'));
    await srv.client({ bucket: 'fid-tag-prod' }).put('k.txt', Buffer.from('p'));
    const u = await ram.userWith(
      'fid-bucket-tag',
      policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: '*', Condition: { StringEquals: { 'oss:BucketTag/env': 'test' } } }),
    );
    assert.equal(((await u.oss('fid-tag-test').get('k.txt')) as unknown as { content: Buffer }).content.toString(), 't');
    assert.equal((await u.oss('fid-tag-test').list({ 'max-keys': 10 }, {})).objects?.length, 1);
    await denied(u.oss('fid-tag-prod').get('k.txt'), MSG.acl);
    await denied(u.oss('fid-tag-prod').list({ 'max-keys': 10 }, {}), MSG.acl);
    // A Deny on a bucket tag.
    const d = await ram.userWith(
      'fid-bucket-tag-deny',
      policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { StringEquals: { 'oss:BucketTag/env': 'prod' } } }),
    );
    assert.equal(((await d.oss('fid-tag-test').get('k.txt')) as unknown as { content: Buffer }).content.toString(), 't');
    await denied(d.oss('fid-tag-prod').get('k.txt'), MSG.policyDeny);
    await denied(d.oss('fid-tag-prod').getBucketInfo('fid-tag-prod'), MSG.policyDeny);
  });
});
