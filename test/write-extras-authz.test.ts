// Writes that also set tags or an object ACL need the actions of those (spec ram-sts §2.3, §3), checked
// at the one authorization call site like the write itself: CopyObject moving tags (Copy: Get on the
// source + Put on the destination; Replace: Put), x-oss-tagging / x-oss-object-acl on PutObject,
// AppendObject, InitiateMultipartUpload, PutSymlink, CopyObject. RAM users act through unchanged ali-oss.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError, statusOf } from './helpers/oss.js';
import { denied, MSG, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const BUCKET = 'extras';
const AUTHORIZER = "Access denied by authorizer's policy.";

type Tagged = OSS & { getObjectTagging(n: string): Promise<{ tag: Record<string, string> }> };

describe('tags and ACLs written with an object need their own actions', () => {
  let srv: TestServer;
  let ram: Ram;
  let root: Tagged;
  let user: RamUserHandle;
  let oss: OSS;

  const tagsOf = async (key: string): Promise<Record<string, string>> => (await root.getObjectTagging(key)).tag;
  const absent = (key: string): Promise<unknown> => expectOssError(root.head(key), 'NoSuchKey', 404);

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    root = srv.client({ bucket: BUCKET }) as Tagged;
    await root.put('src/tagged', Buffer.from('tagged source'), { headers: { 'x-oss-tagging': 'team=blue&level=secret' } });
    await root.put('src/plain', Buffer.from('plain source'));
    await root.putSymlink('src/link', 'src/tagged');
    // Reads and writes objects, nothing more.
    user = await ram.userWith('copier', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: `acs:oss:*:*:${BUCKET}/*` }));
    oss = user.oss(BUCKET);
  });
  after(() => srv.stop());

  it('CopyObject of an untagged source needs no tagging permission', async () => {
    assert.equal(statusOf(await oss.copy('dst/plain', `/${BUCKET}/src/plain`)), 200);
    assert.equal((await root.get('dst/plain')).content.toString(), 'plain source');
  });

  it('CopyObject copying tags (default Copy directive) without Get/PutObjectTagging: denied, nothing written', async () => {
    await denied(oss.copy('dst/t1', `/${BUCKET}/src/tagged`), MSG.object);
    await absent('dst/t1');
    // Through a symlink the target's tags would be copied: the same.
    await denied(oss.copy('dst/t2', `/${BUCKET}/src/link`), MSG.object);
    await absent('dst/t2');
    // An explicit Copy directive is the default.
    await denied(oss.copy('dst/t3', `/${BUCKET}/src/tagged`, { headers: { 'x-oss-tagging-directive': 'Copy' } }), MSG.object);
    await absent('dst/t3');
  });

  it('an explicit Deny on each resource a tag-copying write touches refuses it, the symlink target included', async () => {
    const full = { Effect: 'Allow', Action: 'oss:*', Resource: `acs:oss:*:*:${BUCKET}/*` };
    const deny = (action: string, key: string) => ({ Effect: 'Deny', Action: action, Resource: `acs:oss:*:*:${BUCKET}/${key}` });
    // Reading the source's tags: denied on the object itself, and on a link's target (the tags a copy moves).
    const noSourceTags = (await ram.userWith('deny-src-tags', policyDoc(full, deny('oss:GetObjectTagging', 'src/tagged')))).oss(BUCKET);
    await denied(noSourceTags.copy('deny/d1', `/${BUCKET}/src/tagged`), MSG.policyDeny);
    await denied(noSourceTags.copy('deny/d2', `/${BUCKET}/src/link`), MSG.policyDeny);
    // Writing them at the destination.
    const noDestTags = (await ram.userWith('deny-dst-tags', policyDoc(full, deny('oss:PutObjectTagging', 'deny/*')))).oss(BUCKET);
    await denied(noDestTags.copy('deny/d3', `/${BUCKET}/src/link`), MSG.policyDeny);
    await denied(noDestTags.put('deny/d4', Buffer.from('x'), { headers: { 'x-oss-tagging': 'a=b' } }), MSG.policyDeny);
    // Writing an ACL.
    const noAcl = (await ram.userWith('deny-acl', policyDoc(full, deny('oss:PutObjectAcl', 'deny/*')))).oss(BUCKET);
    await denied(noAcl.put('deny/d5', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'private' } }), MSG.policyDeny);
    for (const k of ['deny/d1', 'deny/d2', 'deny/d3', 'deny/d4', 'deny/d5']) await absent(k);
    // Without the header or the tags, the same users write (so the Denies above are what refused).
    assert.equal(statusOf(await noSourceTags.copy('deny/ok1', `/${BUCKET}/src/plain`)), 200);
    assert.equal(statusOf(await noDestTags.put('deny/ok2', Buffer.from('x'))), 200);
    assert.equal(statusOf(await noAcl.put('deny/ok3', Buffer.from('x'))), 200);
  });

  it('CopyObject with Replace tags without PutObjectTagging: denied, nothing written', async () => {
    const replace = { headers: { 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'team=red' } };
    await denied(oss.copy('dst/r1', `/${BUCKET}/src/plain`, replace), MSG.acl);
    await absent('dst/r1');
    // Replace without tags still writes the destination's tag set (empty).
    await denied(oss.copy('dst/r2', `/${BUCKET}/src/tagged`, { headers: { 'x-oss-tagging-directive': 'Replace' } }), MSG.acl);
    await absent('dst/r2');
  });

  it('x-oss-tagging on PutObject, AppendObject, InitiateMultipartUpload and PutSymlink without PutObjectTagging: denied', async () => {
    // A fresh options object per call: ali-oss writes its sub-resources (uploads, append…) into the one it is given.
    const tagging = () => ({ headers: { 'x-oss-tagging': 'team=red' } });
    await denied(oss.put('w/put', Buffer.from('x'), tagging()), MSG.acl);
    await denied(oss.append('w/append', Buffer.from('x'), tagging()), MSG.acl);
    await denied(oss.initMultipartUpload('w/mp', tagging()), MSG.object);
    await denied(oss.putSymlink('w/link', 'src/plain', tagging()), MSG.acl);
    for (const k of ['w/put', 'w/append', 'w/link']) await absent(k);
    assert.equal((await root.listUploads({ prefix: 'w/' }, {})).uploads.length, 0);
  });

  it('x-oss-object-acl on PutObject, AppendObject, PutSymlink and CopyObject without PutObjectAcl: denied', async () => {
    const acl = () => ({ headers: { 'x-oss-object-acl': 'public-read' } });
    await denied(oss.put('a/put', Buffer.from('x'), acl()), MSG.writeAcl);
    await denied(oss.append('a/append', Buffer.from('x'), acl()), MSG.writeAcl);
    await denied(oss.putSymlink('a/link', 'src/plain', acl()), MSG.writeAcl);
    await denied(oss.copy('a/copy', `/${BUCKET}/src/plain`, acl()), MSG.writeAcl);
    for (const k of ['a/put', 'a/append', 'a/link', 'a/copy']) await absent(k);
    assert.equal((await root.listUploads({ prefix: 'a/' }, {})).uploads.length, 0);
  });

  it('InitiateMultipartUpload ignores x-oss-object-acl (as OSS): allowed without PutObjectAcl, and the ACL is not set', async () => {
    const init = await oss.initMultipartUpload('a/mp', { headers: { 'x-oss-object-acl': 'public-read' } });
    const part = await oss.uploadPart('a/mp', init.uploadId, 1, Buffer.from('x') as never, 0, 1);
    await oss.completeMultipartUpload('a/mp', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await root.getACL('a/mp')).acl, 'default');
  });

  it('CompleteMultipartUpload with x-oss-object-acl (it sets the object ACL) without PutObjectAcl: denied, the upload kept', async () => {
    const init = await oss.initMultipartUpload('a/mp-complete');
    const part = await oss.uploadPart('a/mp-complete', init.uploadId, 1, Buffer.from('x'), 0, 1);
    const parts = [{ number: 1, etag: part.etag }];
    await denied(oss.completeMultipartUpload('a/mp-complete', init.uploadId, parts, { headers: { 'x-oss-object-acl': 'public-read' } }), MSG.writeAcl);
    await absent('a/mp-complete');
    // Without the header the same user completes it.
    assert.equal(statusOf(await oss.completeMultipartUpload('a/mp-complete', init.uploadId, parts)), 200);
    assert.equal((await root.getACL('a/mp-complete')).acl, 'default');
  });

  it('a later append with x-oss-object-acl needs PutObjectAcl as the first does: denied, nothing appended', async () => {
    const first = await oss.append('a/later', Buffer.from('abc'));
    assert.equal(String(first.nextAppendPosition), '3');
    await denied(oss.append('a/later', Buffer.from('def'), { position: '3', headers: { 'x-oss-object-acl': 'public-read' } }), MSG.writeAcl);
    assert.equal((await root.get('a/later')).content.toString(), 'abc');
    assert.equal((await root.getACL('a/later')).acl, 'default');
    // Without the header the same user appends.
    assert.equal(String((await oss.append('a/later', Buffer.from('def'), { position: '3' })).nextAppendPosition), '6');
  });

  it('allowed once granted: tags are copied or replaced, the ACL is set', async () => {
    await ram.createPolicy('copier-get-tags', policyDoc({ Effect: 'Allow', Action: 'oss:GetObjectTagging', Resource: `acs:oss:*:*:${BUCKET}/src/*` }));
    await ram.attachToUser('copier-get-tags', user.userName);
    // Reading the source's tags is not enough: they are written on the destination too.
    await denied(oss.copy('dst/t1', `/${BUCKET}/src/tagged`), MSG.acl);
    await absent('dst/t1');
    await ram.createPolicy('copier-put-tags', policyDoc({ Effect: 'Allow', Action: 'oss:PutObjectTagging', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    await ram.attachToUser('copier-put-tags', user.userName);
    assert.equal(statusOf(await oss.copy('dst/t1', `/${BUCKET}/src/tagged`)), 200);
    assert.deepEqual(await tagsOf('dst/t1'), { team: 'blue', level: 'secret' });
    assert.equal(statusOf(await oss.copy('dst/r1', `/${BUCKET}/src/tagged`, { headers: { 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'team=red' } })), 200);
    assert.deepEqual(await tagsOf('dst/r1'), { team: 'red' });
    assert.equal(statusOf(await oss.put('w/put', Buffer.from('x'), { headers: { 'x-oss-tagging': 'team=red' } })), 200);
    assert.deepEqual(await tagsOf('w/put'), { team: 'red' });

    await ram.createPolicy('copier-acl', policyDoc({ Effect: 'Allow', Action: 'oss:PutObjectAcl', Resource: `acs:oss:*:*:${BUCKET}/a/*` }));
    await ram.attachToUser('copier-acl', user.userName);
    assert.equal(statusOf(await oss.put('a/put', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } })), 200);
    assert.equal((await root.getACL('a/put')).acl, 'public-read');
    assert.equal(statusOf(await oss.copy('a/copy', `/${BUCKET}/src/plain`, { headers: { 'x-oss-object-acl': 'private' } })), 200);
    assert.equal((await root.getACL('a/copy')).acl, 'private');
    // A later append sets the object's ACL once PutObjectAcl is granted.
    assert.equal(String((await oss.append('a/later', Buffer.from('ghi'), { position: '6', headers: { 'x-oss-object-acl': 'public-read' } })).nextAppendPosition), '9');
    assert.equal((await root.getACL('a/later')).acl, 'public-read');
  });

  it('a role session whose session policy lacks the tagging actions: "Access denied by authorizer\'s policy."', async () => {
    await ram.call('CreateRole', { RoleName: 'Copier', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('copier-role', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'copier-role', RoleName: 'Copier' });
    const assumer = await ram.userWith('assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('copier') }));
    const body = await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), {
      RoleArn: roleArn('Copier'),
      RoleSessionName: 'narrow',
      Policy: policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: `acs:oss:*:*:${BUCKET}/*` }),
    });
    const session = ossWith(srv, body.Credentials as StsCredentials, BUCKET);
    assert.equal(statusOf(await session.copy('s/plain', `/${BUCKET}/src/plain`)), 200);
    await denied(session.copy('s/tagged', `/${BUCKET}/src/tagged`), AUTHORIZER);
    await denied(session.put('s/acl', Buffer.from('x'), { headers: { 'x-oss-object-acl': 'public-read' } }), AUTHORIZER);
    await denied(session.put('s/tag', Buffer.from('x'), { headers: { 'x-oss-tagging': 'a=b' } }), AUTHORIZER);
    for (const k of ['s/tagged', 's/acl', 's/tag']) await absent(k);
  });
});
