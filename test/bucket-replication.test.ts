// Bucket replication within one server (docs/replication.md): a rule to a bucket of the server's region makes the
// replication worker copy new writes (PutObject, CopyObject, AppendObject, multipart) under its prefixes, with their
// metadata, tags and ACL, and (Action ALL/DELETE) delete the replicas of deleted objects; historical objects when
// asked; progress reported. Replicas are never replicated again (A→B with B→A), a newer destination object is never
// replaced, and no rule writes where its author could not: another account's bucket without a role, a bucket the
// author may not write, a bucket of the name made since. The worker is driven by RunningServer.replication.runOnce(),
// as the lifecycle and inventory tests drive theirs; one test lets its timer run. ALUNITE_TEST_META=postgres: the
// same on PostgreSQL.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest, succeeds, type SignedReply } from './helpers/signed.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

const B_ACCOUNT = '2000000000000077';
const B_AK = 'LTAI5tReplicationAccountB';
const B_SECRET = 'ReplicationAccountBSecret12345';

interface RuleOpts { id?: string; dest: string; prefixes?: string[]; action?: string; historical?: boolean; location?: string; syncRole?: string }

const ruleXml = (r: RuleOpts): string => '<ReplicationConfiguration><Rule>'
  + (r.id !== undefined ? `<ID>${r.id}</ID>` : '')
  + (r.prefixes !== undefined ? `<PrefixSet>${r.prefixes.map((p) => `<Prefix>${p}</Prefix>`).join('')}</PrefixSet>` : '')
  + `<Action>${r.action ?? 'ALL'}</Action>`
  + `<Destination><Bucket>${r.dest}</Bucket><Location>${r.location ?? 'oss-cn-hangzhou'}</Location></Destination>`
  + `<HistoricalObjectReplication>${r.historical === true ? 'enabled' : 'disabled'}</HistoricalObjectReplication>`
  + (r.syncRole !== undefined ? `<SyncRole>${r.syncRole}</SyncRole>` : '')
  + '</Rule></ReplicationConfiguration>';

const putRule = (srv: TestServer, bucket: string, r: RuleOpts, creds?: [string, string]): Promise<SignedReply> =>
  signedRequest(srv.port, 'POST', bucket, null, [['replication', ''], ['comp', 'add']], { body: ruleXml(r), ...(creds ? { creds } : {}) });

const progress = async (srv: TestServer, bucket: string, id: string): Promise<{ historical: string; newObject: string | undefined; status: string | undefined }> => {
  const text = succeeds(await signedRequest(srv.port, 'GET', bucket, null, [['replicationProgress', ''], ['rule-id', id]])).text;
  return {
    historical: /<HistoricalObject>([^<]*)</.exec(text)?.[1] ?? '',
    newObject: /<NewObject>([^<]*)</.exec(text)?.[1],
    status: /<Status>([^<]*)</.exec(text)?.[1],
  };
};

/** The object's bytes and headers, or null when there is none. */
async function read(srv: TestServer, bucket: string, key: string): Promise<{ body: Buffer; headers: Record<string, string | string[] | undefined> } | null> {
  const r = await signedRequest(srv.port, 'GET', bucket, key, []);
  if (r.status === 404) return null;
  assert.equal(r.status, 200, r.text.slice(0, 300));
  return { body: r.body, headers: r.headers };
}

/** ali-oss calls its type declarations leave out. */
type Extra = {
  getObjectTagging(name: string): Promise<{ tag: Record<string, string> }>;
  putBucketVersioning(name: string, status: string): Promise<unknown>;
  getBucketVersions(q: Record<string, string>): Promise<{ objects?: Array<{ name: string }> }>;
};
const extra = (c: unknown): Extra => c as Extra;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('bucket replication', () => {
  let srv: TestServer;
  let ram: Ram;
  const run = async (): Promise<void> => {
    await srv.replication!.runOnce();
  };

  before(async () => {
    srv = await startTestServer({ replication: { intervalMs: 0, pageSize: 3 } });
    ram = new Ram(srv);
    await srv.accounts.create({ accountId: B_ACCOUNT, name: 'replication-b', accessKeyId: B_AK, accessKeySecret: B_SECRET });
  });
  after(async () => {
    await srv?.stop();
  });

  test('new writes under the prefixes are replicated with metadata, tags and ACL; deletes follow; older objects and other prefixes do not', async () => {
    const client = srv.client();
    await client.putBucket('rep-src');
    await client.putBucket('rep-dst');
    client.useBucket('rep-src');
    await client.put('docs/before.txt', Buffer.from('written before the rule'));
    succeeds(await putRule(srv, 'rep-src', { id: 'r1', dest: 'rep-dst', prefixes: ['docs/', 'img/'] }));
    assert.equal((await progress(srv, 'rep-src', 'r1')).newObject, undefined, 'no pass yet');
    await client.put('docs/a.txt', Buffer.from('alpha'), { headers: { 'x-oss-meta-color': 'blue', 'x-oss-tagging': 'k=v', 'x-oss-object-acl': 'public-read', 'Content-Type': 'text/x-alpha' } });
    await client.copy('img/copied.txt', 'docs/a.txt');
    await client.append('docs/log.txt', Buffer.from('first;'));
    const big = randomBytes(300 * 1024 + 7);
    await client.multipartUpload('img/big.bin', big, { partSize: 100 * 1024 });
    await client.put('other/x.txt', Buffer.from('not under a prefix'));
    // Several pages (pageSize 3) and two prefixes.
    for (let i = 0; i < 5; i++) await client.put(`docs/n${i}.txt`, Buffer.from(`n${i}`));
    await run();

    const a = await read(srv, 'rep-dst', 'docs/a.txt');
    assert.ok(a, 'docs/a.txt replicated');
    assert.equal(a.body.toString(), 'alpha');
    assert.equal(a.headers['x-oss-meta-color'], 'blue');
    assert.equal(a.headers['content-type'], 'text/x-alpha');
    const src = await client.head('docs/a.txt');
    assert.equal(a.headers.etag, (src.res.headers as Record<string, string>).etag, 'the replica keeps the ETag');
    assert.equal(a.headers['last-modified'], (src.res.headers as Record<string, string>)['last-modified'], 'and the Last-Modified');
    const dst = srv.client({ bucket: 'rep-dst' });
    assert.deepEqual((await extra(dst).getObjectTagging('docs/a.txt')).tag, { k: 'v' });
    assert.equal((await dst.getACL('docs/a.txt')).acl, 'public-read');
    assert.equal((await read(srv, 'rep-dst', 'img/copied.txt'))?.body.toString(), 'alpha');
    assert.equal((await read(srv, 'rep-dst', 'docs/log.txt'))?.body.toString(), 'first;');
    assert.equal(sha((await read(srv, 'rep-dst', 'img/big.bin'))!.body), sha(big), 'a multipart object, streamed');
    for (let i = 0; i < 5; i++) assert.equal((await read(srv, 'rep-dst', `docs/n${i}.txt`))?.body.toString(), `n${i}`);
    assert.equal(await read(srv, 'rep-dst', 'docs/before.txt'), null, 'historical replication disabled');
    assert.equal(await read(srv, 'rep-dst', 'other/x.txt'), null, 'outside the prefixes');
    const p = await progress(srv, 'rep-src', 'r1');
    assert.ok(p.newObject !== undefined && !Number.isNaN(Date.parse(p.newObject)), JSON.stringify(p));
    assert.equal(p.status, 'doing');

    // An append and an overwrite are replicated again; a delete removes the replica; an object the destination's
    // owner wrote there (no source) stays; a newer destination object is not replaced by an older source one.
    await client.append('docs/log.txt', Buffer.from('second;'), { position: '6' });
    await client.put('docs/a.txt', Buffer.from('alpha v2'));
    await client.delete('docs/n0.txt');
    await dst.put('docs/mine.txt', Buffer.from('only in the destination'));
    await client.put('docs/race.txt', Buffer.from('older source'));
    await dst.put('docs/race.txt', Buffer.from('newer destination'));
    await run();
    assert.equal((await read(srv, 'rep-dst', 'docs/log.txt'))?.body.toString(), 'first;second;');
    assert.equal((await read(srv, 'rep-dst', 'docs/a.txt'))?.body.toString(), 'alpha v2');
    assert.equal(await read(srv, 'rep-dst', 'docs/n0.txt'), null, 'the delete replicated');
    assert.equal((await read(srv, 'rep-dst', 'docs/mine.txt'))?.body.toString(), 'only in the destination');
    assert.equal((await read(srv, 'rep-dst', 'docs/race.txt'))?.body.toString(), 'newer destination');
  });

  test('Action PUT does not replicate deletes; historical replication copies existing objects and reports 1.00', async () => {
    const client = srv.client();
    await client.putBucket('hist-src');
    await client.putBucket('hist-dst');
    client.useBucket('hist-src');
    for (let i = 0; i < 4; i++) await client.put(`old/${i}`, Buffer.from(`old ${i}`));
    succeeds(await putRule(srv, 'hist-src', { id: 'h', dest: 'hist-dst', action: 'PUT', historical: true }));
    assert.equal((await progress(srv, 'hist-src', 'h')).historical, '0.00');
    await run();
    for (let i = 0; i < 4; i++) assert.equal((await read(srv, 'hist-dst', `old/${i}`))?.body.toString(), `old ${i}`);
    assert.equal((await progress(srv, 'hist-src', 'h')).historical, '1.00');
    await client.delete('old/0');
    await run();
    assert.equal((await read(srv, 'hist-dst', 'old/0'))?.body.toString(), 'old 0', 'PUT only: the delete is not replicated');
  });

  test('A→B and B→A do not loop: replicas are not replicated again (versioned buckets keep one version each)', async () => {
    const client = srv.client();
    await client.putBucket('loop-a');
    await client.putBucket('loop-b');
    for (const b of ['loop-a', 'loop-b']) await extra(client).putBucketVersioning(b, 'Enabled');
    succeeds(await putRule(srv, 'loop-a', { id: 'ab', dest: 'loop-b' }));
    succeeds(await putRule(srv, 'loop-b', { id: 'ba', dest: 'loop-a' }));
    client.useBucket('loop-a');
    await client.put('x', Buffer.from('from a'));
    await srv.client({ bucket: 'loop-b' }).put('y', Buffer.from('from b'));
    for (let i = 0; i < 3; i++) await run();
    assert.equal((await read(srv, 'loop-b', 'x'))?.body.toString(), 'from a');
    assert.equal((await read(srv, 'loop-a', 'y'))?.body.toString(), 'from b');
    for (const [bucket, key] of [['loop-a', 'x'], ['loop-b', 'x'], ['loop-a', 'y']] as const) {
      const versions = (await extra(srv.client({ bucket })).getBucketVersions({ prefix: key })).objects ?? [];
      assert.equal(versions.filter((v) => v.name === key).length, 1, `${bucket}/${key}: one version, nothing written back`);
    }
  });

  test('red team: a source bucket of the name made again neither deletes nor replaces the replicas of the one before', async () => {
    const client = srv.client();
    await client.putBucket('inc-src');
    await client.putBucket('inc-dst');
    succeeds(await putRule(srv, 'inc-src', { id: 'old', dest: 'inc-dst' }));
    const src = srv.client({ bucket: 'inc-src' });
    await src.put('kept.txt', Buffer.from('a backup of the retired bucket'));
    await run();
    assert.equal((await read(srv, 'inc-dst', 'kept.txt'))?.body.toString(), 'a backup of the retired bucket');
    // The source is retired (its rule dropped, emptied, deleted); its replicas stay in the destination as a backup.
    succeeds(await signedRequest(srv.port, 'POST', 'inc-src', null, [['replication', ''], ['comp', 'delete']], { body: '<ReplicationRules><ID>old</ID></ReplicationRules>' }));
    await src.delete('kept.txt');
    await client.deleteBucket('inc-src');
    // A bucket of the name made later, with a rule (Action ALL) into the same destination: its delete pass finds a
    // replica marked with the name, of a key it lacks. That replica is the old bucket's, not its own.
    await client.putBucket('inc-src');
    succeeds(await putRule(srv, 'inc-src', { id: 'new', dest: 'inc-dst' }));
    await src.put('fresh.txt', Buffer.from('new'));
    await run();
    await run();
    assert.equal((await read(srv, 'inc-dst', 'fresh.txt'))?.body.toString(), 'new', 'the new bucket replicates');
    assert.equal((await read(srv, 'inc-dst', 'kept.txt'))?.body.toString(), 'a backup of the retired bucket', 'the old bucket\'s replica stays');
  });

  test('replicas marked with the bucket name only (before marks named the incarnation) are this source\'s when written since it was made', async () => {
    const client = srv.client();
    await client.putBucket('nm-src');
    await client.putBucket('nm-dst');
    succeeds(await putRule(srv, 'nm-src', { id: 'nm', dest: 'nm-dst' }));
    const src = srv.client({ bucket: 'nm-src' });
    await src.put('gone.txt', Buffer.from('deleted at the source later'));
    await src.put('older.txt', Buffer.from('of a bucket of the name before'));
    await run();
    const source = (await srv.meta.getBucket('nm-src'))!;
    // The marks a server before this release wrote (the name only); older.txt as a replica of an earlier bucket of
    // the name would be: written before this bucket was made.
    for (const key of ['gone.txt', 'older.txt']) {
      await srv.meta.updateObjectVersion('nm-dst', key, undefined, (cur) => ({
        ...cur,
        ...(key === 'older.txt' ? { lastModified: source.createdAt - 60_000 } : {}),
        attrs: { ...cur.attrs, replica: { bucket: 'nm-src' } },
      }));
    }
    await src.delete('gone.txt');
    await src.delete('older.txt');
    await run();
    await run();
    assert.equal(await read(srv, 'nm-dst', 'gone.txt'), null, 'a replica of this bucket (name-only mark) is deleted with its source');
    assert.equal((await read(srv, 'nm-dst', 'older.txt'))?.body.toString(), 'of a bucket of the name before', 'an earlier bucket\'s replica stays');
  });

  test('a rule to another region, or to a bucket not on this server, stays stored only', async () => {
    const client = srv.client();
    await client.putBucket('far-src');
    await client.putBucket('far-dst');
    succeeds(await putRule(srv, 'far-src', { id: 'far', dest: 'far-dst', location: 'oss-cn-beijing' }));
    succeeds(await putRule(srv, 'far-src', { id: 'none', dest: 'no-such-bucket-here' }));
    await srv.client({ bucket: 'far-src' }).put('k', Buffer.from('v'));
    await run();
    assert.equal(await read(srv, 'far-dst', 'k'), null);
    for (const id of ['far', 'none']) {
      const p = await progress(srv, 'far-src', id);
      assert.deepEqual([p.historical, p.newObject, p.status], ['0.00', undefined, 'starting']);
    }
    // The bucket created after the rule is not the one its author was authorized for: still nothing.
    await client.putBucket('no-such-bucket-here');
    await run();
    assert.equal(await read(srv, 'no-such-bucket-here', 'k'), null);
  });

  test('red team: no rule writes into another account\'s bucket, a bucket its author may not write, or a bucket of the name made since', async () => {
    const client = srv.client();
    await client.putBucket('rt-src');
    await client.putBucket('rt-mine');
    const clientB = srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET });
    await clientB.putBucket('rt-theirs');
    // Another account's bucket without a role: refused, whatever its policy.
    const refused = await putRule(srv, 'rt-src', { id: 'x1', dest: 'rt-theirs' });
    assert.equal(refused.status, 403, refused.text);
    // A RAM user allowed to configure replication and write the source, not the destination.
    const user = await ram.userWith('rep-author', policyDoc(
      { Effect: 'Allow', Action: ['oss:PutBucketReplication', 'oss:GetBucketReplication', 'oss:PutObject', 'oss:GetObject'], Resource: ['acs:oss:*:*:rt-src', 'acs:oss:*:*:rt-src/*'] },
    ));
    const asUser: [string, string] = [user.accessKeyId, user.accessKeySecret];
    assert.equal((await putRule(srv, 'rt-src', { id: 'u1', dest: 'rt-mine' }, asUser)).status, 403);
    // Allowed to write it by identity, but the destination's bucket policy denies the user.
    await client.putBucketPolicy('rt-mine', {
      Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:PutObject'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-mine/*'] }],
    } as never);
    await ram.createPolicy('rep-author-dest', policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:DeleteObject'], Resource: ['acs:oss:*:*:rt-mine/*'] }));
    await ram.attachToUser('rep-author-dest', 'rep-author');
    assert.equal((await putRule(srv, 'rt-src', { id: 'u2', dest: 'rt-mine' }, asUser)).status, 403);
    await client.deleteBucketPolicy('rt-mine');
    // A SyncRole needs ram:PassRole on it.
    await ram.call('CreateRole', { RoleName: 'rep-role', AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }) });
    assert.equal((await putRule(srv, 'rt-src', { id: 'u3', dest: 'rt-mine', syncRole: 'rep-role' }, asUser)).status, 403);
    // Now allowed: the user's rule replicates into rt-mine.
    succeeds(await putRule(srv, 'rt-src', { id: 'ok', dest: 'rt-mine', prefixes: ['p/'] }, asUser));
    await user.oss('rt-src').put('p/1', Buffer.from('one'));
    await run();
    assert.equal((await read(srv, 'rt-mine', 'p/1'))?.body.toString(), 'one');
    // Each write is decided as the rule's author: a deny on some keys (here the destination's bucket policy) holds.
    await client.putBucketPolicy('rt-mine', {
      Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:PutObject'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-mine/p/secret/*'] }],
    } as never);
    await user.oss('rt-src').put('p/secret/x', Buffer.from('kept out'));
    await user.oss('rt-src').put('p/open', Buffer.from('let in'));
    await run();
    assert.equal(await read(srv, 'rt-mine', 'p/secret/x'), null, 'the bucket policy denies the author that key');
    assert.equal((await read(srv, 'rt-mine', 'p/open'))?.body.toString(), 'let in');
    // Every resource a replica write touches is decided, each with its own Deny: the source object (GetObject), the
    // destination's tags (PutObjectTagging) and ACL (PutObjectAcl); the same writes on other keys still go through.
    await ram.createPolicy('rep-author-more', policyDoc({ Effect: 'Allow', Action: ['oss:PutObjectTagging', 'oss:PutObjectAcl'], Resource: ['acs:oss:*:*:rt-mine/*'] }));
    await ram.attachToUser('rep-author-more', 'rep-author');
    await client.putBucketPolicy('rt-mine', {
      Version: '1', Statement: [
        { Effect: 'Deny', Action: ['oss:PutObject'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-mine/p/secret/*'] },
        { Effect: 'Deny', Action: ['oss:PutObjectTagging'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-mine/p/tagged/*'] },
        { Effect: 'Deny', Action: ['oss:PutObjectAcl'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-mine/p/acl/*'] },
      ],
    } as never);
    await client.putBucketPolicy('rt-src', {
      Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:GetObject'], Principal: [user.userId], Resource: ['acs:oss:*:*:rt-src/p/hidden/*'] }],
    } as never);
    const root = srv.client({ bucket: 'rt-src' });
    const tagged = { headers: { 'x-oss-tagging': 'k=v' } };
    const acl = { headers: { 'x-oss-object-acl': 'private' } };
    await root.put('p/tagged/t', Buffer.from('t'), tagged);
    await root.put('p/tag-ok/t', Buffer.from('t'), tagged);
    await root.put('p/acl/a', Buffer.from('a'), acl);
    await root.put('p/acl-ok/a', Buffer.from('a'), acl);
    await root.put('p/hidden/h', Buffer.from('h'));
    await run();
    assert.equal(await read(srv, 'rt-mine', 'p/tagged/t'), null, 'a Deny on the replica\'s tags');
    assert.equal(await read(srv, 'rt-mine', 'p/acl/a'), null, 'a Deny on the replica\'s ACL');
    assert.equal(await read(srv, 'rt-mine', 'p/hidden/h'), null, 'a Deny on reading the source');
    assert.equal((await read(srv, 'rt-mine', 'p/tag-ok/t'))?.body.toString(), 't');
    assert.equal((await read(srv, 'rt-mine', 'p/acl-ok/a'))?.body.toString(), 'a');
    await client.deleteBucketPolicy('rt-src');
    await srv.client({ bucket: 'rt-mine' }).deleteMulti(['p/tag-ok/t', 'p/acl-ok/a']);
    await srv.client({ bucket: 'rt-mine' }).delete('p/open');
    // rt-mine deleted and made again by account B: the rule never writes into B's bucket.
    await srv.client({ bucket: 'rt-mine' }).delete('p/1');
    await client.deleteBucket('rt-mine');
    await clientB.putBucket('rt-mine');
    await user.oss('rt-src').put('p/2', Buffer.from('two'));
    await run();
    assert.deepEqual((await srv.client({ bucket: 'rt-mine', accessKeyId: B_AK, accessKeySecret: B_SECRET }).list({ 'max-keys': 10 }, {})).objects ?? [], [], 'nothing written into account B\'s bucket');
  });

  test('a SyncRole decides the writes: a role that does not trust OSS, or is not allowed the destination, replicates nothing', async () => {
    const client = srv.client();
    await client.putBucket('role-src');
    await client.putBucket('role-dst');
    await ram.call('CreateRole', { RoleName: 'untrusting', AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }) });
    await ram.call('CreateRole', { RoleName: 'narrow', AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }) });
    await ram.createPolicy('narrow-policy', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: ['acs:oss:*:*:role-src/*', 'acs:oss:*:*:role-dst/allowed/*'] }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'narrow-policy', RoleName: 'narrow' });
    succeeds(await putRule(srv, 'role-src', { id: 'narrow', dest: 'role-dst', syncRole: 'narrow', action: 'PUT' }));
    client.useBucket('role-src');
    await client.put('allowed/1', Buffer.from('in'));
    await client.put('denied/1', Buffer.from('out'));
    await run();
    assert.equal((await read(srv, 'role-dst', 'allowed/1'))?.body.toString(), 'in');
    assert.equal(await read(srv, 'role-dst', 'denied/1'), null, 'the role may not write there');

    await client.putBucket('role-src2');
    succeeds(await putRule(srv, 'role-src2', { id: 'u', dest: 'role-dst', syncRole: 'untrusting' }));
    await srv.client({ bucket: 'role-src2' }).put('allowed/2', Buffer.from('x'));
    await run();
    assert.equal(await read(srv, 'role-dst', 'allowed/2'), null, 'a role that does not trust oss.aliyuncs.com is not used');
  });

  test('red team: a SyncRole rule writes only into the destination bucket checked at Put, not one of the name made since by another account', async () => {
    const client = srv.client();
    await client.putBucket('sq-src');
    await ram.call('CreateRole', { RoleName: 'sq-broad', AssumeRolePolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'sq-broad' });
    const clientB = srv.client({ accessKeyId: B_AK, accessKeySecret: B_SECRET });
    const openToAll = (bucket: string): Promise<unknown> => clientB.putBucketPolicy(bucket, {
      Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:DeleteObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${bucket}/*`] }],
    } as never);
    // Another account's bucket that lets the role in, existing at Put: replicated into (the documented cross-account case).
    await clientB.putBucket('sq-there');
    await openToAll('sq-there');
    succeeds(await putRule(srv, 'sq-src', { id: 'there', dest: 'sq-there', syncRole: 'sq-broad', prefixes: ['a/'] }));
    // A name no bucket has yet: account B takes it afterwards and lets everyone write.
    succeeds(await putRule(srv, 'sq-src', { id: 'later', dest: 'sq-later', syncRole: 'sq-broad', prefixes: ['b/'] }));
    await clientB.putBucket('sq-later');
    await openToAll('sq-later');
    const src = srv.client({ bucket: 'sq-src' });
    await src.put('a/1', Buffer.from('for the checked bucket'));
    await src.put('b/1', Buffer.from('not for a squatter'));
    await run();
    const asB = (bucket: string, key: string): Promise<SignedReply> => signedRequest(srv.port, 'GET', bucket, key, [], { creds: [B_AK, B_SECRET] });
    assert.equal((await asB('sq-there', 'a/1')).text, 'for the checked bucket');
    assert.equal((await asB('sq-later', 'b/1')).status, 404, 'a bucket made after the rule receives nothing');
    // The checked bucket deleted and made again (same account, same open policy): not the bucket checked either.
    await signedRequest(srv.port, 'DELETE', 'sq-there', 'a/1', [], { creds: [B_AK, B_SECRET] });
    await clientB.deleteBucket('sq-there');
    await clientB.putBucket('sq-there');
    await openToAll('sq-there');
    await src.put('a/2', Buffer.from('after the bucket was made again'));
    await run();
    assert.equal((await asB('sq-there', 'a/2')).status, 404);
  });

  test('red team: the destination\'s overwrite rules bind replication as they bind PutObject', async () => {
    const client = srv.client();
    await client.putBucket('ow-src');
    await client.putBucket('ow-dst');
    const dst = srv.client({ bucket: 'ow-dst' });
    await dst.put('keep/k', Buffer.from('protected'));
    await dst.put('free/k', Buffer.from('replaceable'));
    succeeds(await signedRequest(srv.port, 'PUT', 'ow-dst', null, [['overwriteConfig', '']], {
      body: '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Prefix>keep/</Prefix></Rule></OverwriteConfiguration>',
    }));
    assert.equal((await signedRequest(srv.port, 'PUT', 'ow-dst', 'keep/k', [], { body: 'direct' })).status, 409, 'PutObject is refused');
    succeeds(await putRule(srv, 'ow-src', { id: 'ow', dest: 'ow-dst' }));
    const src = srv.client({ bucket: 'ow-src' });
    await src.put('keep/k', Buffer.from('from the source'));
    await src.put('free/k', Buffer.from('from the source'));
    await src.put('keep/new', Buffer.from('nothing to overwrite'));
    await run();
    assert.equal((await read(srv, 'ow-dst', 'keep/k'))?.body.toString(), 'protected', 'the protected object stays');
    assert.equal((await read(srv, 'ow-dst', 'free/k'))?.body.toString(), 'from the source');
    assert.equal((await read(srv, 'ow-dst', 'keep/new'))?.body.toString(), 'nothing to overwrite');
  });

  test('red team: a replica into a destination encrypted with KMS by default needs the writer\'s KMS permissions, as PutObject does', async () => {
    const client = srv.client();
    await client.putBucket('km-src');
    await client.putBucket('km-dst');
    succeeds(await signedRequest(srv.port, 'PUT', 'km-dst', null, [['encryption', '']], {
      body: '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>',
    }));
    const user = await ram.userWith('km-author', policyDoc({ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:km-src', 'acs:oss:*:*:km-src/*', 'acs:oss:*:*:km-dst/*'] }));
    await assert.rejects(user.oss('km-dst').put('direct', Buffer.from('x')), (e: { status?: number }) => e.status === 403, 'PutObject needs the key');
    succeeds(await putRule(srv, 'km-src', { id: 'km', dest: 'km-dst' }, [user.accessKeyId, user.accessKeySecret]));
    await user.oss('km-src').put('k', Buffer.from('secret'));
    await run();
    assert.equal(await read(srv, 'km-dst', 'k'), null, 'no replica encrypted with a key its writer may not use');
    await ram.createPolicy('km-author-kms', policyDoc({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: ['*'] }));
    await ram.attachToUser('km-author-kms', 'km-author');
    await run();
    const replica = await read(srv, 'km-dst', 'k');
    assert.equal(replica?.body.toString(), 'secret');
    assert.equal(replica?.headers['x-oss-server-side-encryption'], 'KMS');
  });

  test('red team: a rule put by an STS session stops when the session is revoked (its parent AccessKey disabled), as the session does', async () => {
    const client = srv.client();
    await client.putBucket('rv-src');
    await client.putBucket('rv-dst');
    await ram.call('CreateRole', { RoleName: 'rv-writer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('rv-writer-p', policyDoc({ Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:rv-src', 'acs:oss:*:*:rv-src/*', 'acs:oss:*:*:rv-dst/*'] }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'rv-writer-p', RoleName: 'rv-writer' });
    const user = await ram.userWith('rv-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    const session = (await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('rv-writer'), RoleSessionName: 'rv' })).Credentials as StsCredentials;
    succeeds(await signedRequest(srv.port, 'POST', 'rv-src', null, [['replication', ''], ['comp', 'add']], {
      body: ruleXml({ id: 'rv', dest: 'rv-dst' }), creds: [session.AccessKeyId, session.AccessKeySecret], headers: { 'x-oss-security-token': session.SecurityToken },
    }));
    await ossWith(srv, session, 'rv-src').put('one', Buffer.from('while the session stands'));
    await run();
    assert.equal((await read(srv, 'rv-dst', 'one'))?.body.toString(), 'while the session stands');
    // The AccessKey that made the session is disabled: the session's own requests are refused, and so its rule's.
    await ram.call('UpdateAccessKey', { UserName: user.userName, UserAccessKeyId: user.accessKeyId, Status: 'Inactive' });
    await assert.rejects(ossWith(srv, session, 'rv-src').put('direct', Buffer.from('x')), (e: { code?: string }) => e.code === 'InvalidSecurityToken');
    await srv.client({ bucket: 'rv-src' }).put('two', Buffer.from('after the revocation'));
    await run();
    assert.equal(await read(srv, 'rv-dst', 'two'), null, 'the revoked session writes nothing more');
  });

  test('a pass cut short goes on after a restart, from its position, without writing anything twice', async () => {
    const dataDir = await tempDir('alunite-repl-restart-');
    const meta = process.env.ALUNITE_TEST_META === 'postgres' ? await (await testPostgres()).freshUrl() : undefined;
    const opts = { dataDir, ...(meta !== undefined ? { meta } : {}), replication: { intervalMs: 0, pageSize: 2, tickBudget: 4 } };
    let first: TestServer | null = await startTestServer(opts);
    try {
      const client = first.client();
      await client.putBucket('rs-src');
      await client.putBucket('rs-dst');
      await extra(client).putBucketVersioning('rs-dst', 'Enabled');
      succeeds(await putRule(first, 'rs-src', { id: 'rs', dest: 'rs-dst' }));
      for (let i = 0; i < 10; i++) await first.client({ bucket: 'rs-src' }).put(`k${i}`, Buffer.from(`v${i}`));
      await first.replication!.runOnce(); // 4 of 10: the budget
      const copied = async (srvNow: TestServer): Promise<string[]> => ((await srvNow.client({ bucket: 'rs-dst' }).list({ 'max-keys': 100 }, {})).objects ?? []).map((o) => o.name);
      assert.deepEqual(await copied(first), ['k0', 'k1', 'k2', 'k3']);
      await first.close(); // the process goes; its data stays
      first = null;
      const second = await startTestServer(opts);
      try {
        await second.replication!.runOnce();
        await second.replication!.runOnce();
        await second.replication!.runOnce();
        assert.deepEqual(await copied(second), Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
        const versions = (await extra(second.client({ bucket: 'rs-dst' })).getBucketVersions({})).objects ?? [];
        assert.equal(versions.length, 10, 'one version per key: nothing copied twice');
        // The pass ends once the destination has been walked for deletes too (10 keys, 4 a tick).
        for (let i = 0; i < 10 && (await progress(second, 'rs-src', 'rs')).newObject === undefined; i++) await second.replication!.runOnce();
        assert.ok((await progress(second, 'rs-src', 'rs')).newObject !== undefined);
        assert.equal(((await extra(second.client({ bucket: 'rs-dst' })).getBucketVersions({})).objects ?? []).length, 10);
      } finally {
        await second.stop();
      }
    } finally {
      await first?.stop();
    }
  });

  test('PostgreSQL: two processes on one database replicate every object once', { skip: process.env.ALUNITE_TEST_META !== 'postgres' }, async () => {
    const dataDir = await tempDir('alunite-repl-two-');
    const meta = await (await testPostgres()).freshUrl();
    const opts = { dataDir, meta, replication: { intervalMs: 0, pageSize: 2, tickBudget: 6 } };
    const one = await startTestServer(opts);
    const two = await startTestServer(opts);
    try {
      const client = one.client();
      await client.putBucket('two-src');
      await client.putBucket('two-dst');
      await extra(client).putBucketVersioning('two-dst', 'Enabled');
      succeeds(await putRule(one, 'two-src', { id: 'two', dest: 'two-dst' }));
      for (let i = 0; i < 12; i++) await one.client({ bucket: 'two-src' }).put(`k${String(i).padStart(2, '0')}`, Buffer.from(`v${i}`));
      for (let i = 0; i < 20 && (await progress(two, 'two-src', 'two')).newObject === undefined; i++) {
        await Promise.all([one.replication!.runOnce(), two.replication!.runOnce()]);
      }
      assert.ok((await progress(two, 'two-src', 'two')).newObject !== undefined, 'the pass finished');
      const versions = (await extra(two.client({ bucket: 'two-dst' })).getBucketVersions({})).objects ?? [];
      assert.deepEqual(versions.map((v) => v.name).sort(), Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`));
    } finally {
      await two.close();
      await one.stop();
    }
  });

  test('the worker runs on its own timer', async () => {
    const own = await startTestServer({ replication: { intervalMs: 50 } });
    try {
      const client = own.client();
      await client.putBucket('timer-src');
      await client.putBucket('timer-dst');
      succeeds(await putRule(own, 'timer-src', { id: 't', dest: 'timer-dst' }));
      await own.client({ bucket: 'timer-src' }).put('k', Buffer.from('by the timer'));
      await eventually(async () => (await read(own, 'timer-dst', 'k'))?.body.toString() === 'by the timer', 'the replica appears', 60_000, 100);
    } finally {
      await own.stop();
    }
  });
});

describe('bucket replication: ticks are shared fairly between rules, in bytes as well as objects', () => {
  test('a rule of large objects uses its share of a tick\'s bytes, and the next tick starts with the rule after it', async () => {
    const KIB = 1024;
    // A rule's turn: up to 150 KiB copied; a tick: up to 150 KiB over all rules.
    const own = await startTestServer({ replication: { intervalMs: 0, pageSize: 10, tickBytes: 150 * KIB, tickBytesTotal: 150 * KIB } });
    try {
      const client = own.client();
      for (const b of ['fair-1', 'fair-2', 'fair-x1', 'fair-x2']) await client.putBucket(b);
      succeeds(await putRule(own, 'fair-1', { id: 'big', dest: 'fair-x1' }));
      succeeds(await putRule(own, 'fair-2', { id: 'small', dest: 'fair-x2' }));
      const body = (i: number): Buffer => Buffer.alloc(100 * KIB, i);
      for (let i = 1; i <= 3; i++) await own.client({ bucket: 'fair-1' }).put(`a/${i}`, body(i));
      await own.client({ bucket: 'fair-2' }).put('b/1', body(9));
      const there = async (bucket: string, keys: string[]): Promise<string[]> => {
        const found: string[] = [];
        for (const k of keys) if ((await read(own, bucket, k)) !== null) found.push(k);
        return found;
      };
      await own.replication!.runOnce();
      // Two objects (200 KiB: the turn ends once past 150 KiB), and the tick's bytes are spent. Before, the tick
      // copied every object of every rule (bytes were not counted at all).
      assert.deepEqual(await there('fair-x1', ['a/1', 'a/2', 'a/3']), ['a/1', 'a/2']);
      assert.deepEqual(await there('fair-x2', ['b/1']), []);
      // The next tick starts with the other rule, not the first rule again.
      await own.replication!.runOnce();
      assert.deepEqual(await there('fair-x2', ['b/1']), ['b/1']);
      await own.replication!.runOnce();
      assert.deepEqual(await there('fair-x1', ['a/1', 'a/2', 'a/3']), ['a/1', 'a/2', 'a/3']);
      assert.equal(sha((await read(own, 'fair-x1', 'a/3'))!.body), sha(body(3)));
    } finally {
      await own.stop();
    }
  });
});
