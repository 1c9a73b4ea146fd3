// The bucket's overwrite rules (PutBucketOverwriteConfig, `?overwriteConfig`; docs/stored-configurations.md) refuse
// the overwrite of an existing object whose key matches a rule's Prefix and Suffix, by a caller among its
// Principals (none listed: everyone), with 409 FileAlreadyExists, the answer of `x-oss-forbid-overwrite: true`.
// Each covered write (PutObject, CopyObject, CompleteMultipartUpload, AppendObject, PutSymlink, PostObject, image
// save-as) is
// refused on an existing matching key and allowed on a new or non-matching key, through ali-oss (and a signed form
// for PostObject) against a real server; RAM users and an STS role session are matched as a bucket policy matches
// them; DeleteBucketOverwriteConfig lifts the rules; a bucket with versioning is not subject. With
// ALUNITE_TEST_META=postgres the same runs on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import sharp from 'sharp';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';
import { expectOssError, rawBucketRequest, rawObjectRequest, type RawResult } from './helpers/oss.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { parseErrorXml } from './helpers/raw-http.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';

/** The bucket's overwrite configuration (`?overwriteConfig`), which ali-oss has no method for. */
const bucketRequest = (c: OSS, bucket: string, method: string, body?: string): Promise<RawResult> => rawBucketRequest(c, method, bucket, 'overwriteConfig', body);

const B = 'overwrite-rules';
const VERSIONED = 'overwrite-rules-versioned';
const MESSAGE = 'The object you specified already exists and can not be overwritten.';
const allowOss = { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] };


interface RuleSpec {
  id: string;
  prefix?: string;
  suffix?: string;
  principals?: string[];
}

const rulesXml = (rules: RuleSpec[]): string => `<?xml version="1.0" encoding="UTF-8"?><OverwriteConfiguration>${rules.map((r) => [
  `<Rule><ID>${r.id}</ID><Action>forbid</Action>`,
  r.prefix !== undefined ? `<Prefix>${r.prefix}</Prefix>` : '',
  r.suffix !== undefined ? `<Suffix>${r.suffix}</Suffix>` : '',
  r.principals !== undefined ? `<Principals>${r.principals.map((p) => `<Principal>${p}</Principal>`).join('')}</Principals>` : '',
  '</Rule>',
].join('')).join('')}</OverwriteConfiguration>`;

/** The refusal every covered write answers: the x-oss-forbid-overwrite one, code, status, message and EC. */
async function refused(call: Promise<unknown>): Promise<void> {
  const e = await expectOssError(call, 'FileAlreadyExists', 409);
  assert.equal(e.message.split('\n')[0], MESSAGE);
  assert.equal((e as unknown as { ecCode?: string }).ecCode, '0026-00000014');
}

describe('overwrite rules refuse overwrites of matching existing objects', () => {
  let srv: TestServer;
  let root: OSS;
  let writer: RamUserHandle;
  let other: RamUserHandle;
  let creds: StsCredentials;
  const text = async (c: OSS, key: string): Promise<string> => ((await c.get(key)).content as Buffer).toString();
  const putRules = async (rules: RuleSpec[], bucket = B): Promise<void> => {
    assert.equal((await bucketRequest(root, bucket, 'PUT', rulesXml(rules))).status, 200);
  };

  before(async () => {
    srv = await startTestServer();
    root = srv.client({ bucket: B });
    await root.putBucket(B);
    const ram = new Ram(srv);
    writer = await ram.userWith('ow-writer', policyDoc(allowOss));
    other = await ram.userWith('ow-other', policyDoc(allowOss));
    const assumer = await ram.userWith('ow-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('ow-role') }));
    await ram.call('CreateRole', { RoleName: 'ow-role', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('ow-role-oss', policyDoc(allowOss));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'ow-role-oss', RoleName: 'ow-role' });
    creds = (await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), { RoleArn: roleArn('ow-role'), RoleSessionName: 'ow-session' })).Credentials as StsCredentials;
    // Everyone is refused on prod/*.json; the rules below on other prefixes name their principals.
    await putRules([{ id: 'prod-json', prefix: 'prod/', suffix: '.json' }]);
  });
  after(async () => srv?.stop());

  it('PutObject: an existing matching key is refused, the object unchanged; new keys and keys outside Prefix or Suffix are written', async () => {
    await root.put('prod/a.json', Buffer.from('first'));
    await refused(root.put('prod/a.json', Buffer.from('second')));
    assert.equal(await text(root, 'prod/a.json'), 'first');
    // A RAM user with oss:* is refused too (no Principals: everyone).
    await refused(writer.oss(B).put('prod/a.json', Buffer.from('third')));
    for (const key of ['prod/a.txt', 'dev/a.json', 'prod.json']) {
      await root.put(key, Buffer.from('1'));
      await root.put(key, Buffer.from('2'));
      assert.equal(await text(root, key), '2');
    }
    // A deleted object may be written again: the rules protect what exists.
    await root.delete('prod/a.json');
    await root.put('prod/a.json', Buffer.from('again'));
    assert.equal(await text(root, 'prod/a.json'), 'again');
  });

  it('racing PutObjects of a new protected key: exactly one lands, the others are refused', async () => {
    const bodies = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
    const results = await Promise.allSettled(bodies.map((b) => root.put('prod/race.json', Buffer.from(b))));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [bodies[i]] : []));
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'FileAlreadyExists');
    assert.equal(await text(root, 'prod/race.json'), won[0]);
  });

  it('CopyObject onto an existing matching destination is refused; onto a new one it is not', async () => {
    await root.put('src.txt', Buffer.from('source'));
    await root.put('prod/copy.json', Buffer.from('kept'));
    await refused(root.copy('prod/copy.json', 'src.txt'));
    assert.equal(await text(root, 'prod/copy.json'), 'kept');
    await root.copy('prod/new-copy.json', 'src.txt');
    assert.equal(await text(root, 'prod/new-copy.json'), 'source');
    // A copy of the object onto itself changes its metadata only: not an overwrite (as for x-oss-forbid-overwrite).
    await root.copy('prod/copy.json', 'prod/copy.json', { meta: { changed: 'yes' } } as unknown as OSS.CopyObjectOptions);
    assert.equal((await root.head('prod/copy.json')).meta?.changed, 'yes');
    assert.equal(await text(root, 'prod/copy.json'), 'kept');
  });

  it('CompleteMultipartUpload onto an existing matching key is refused (the upload stays, abortable); onto a new key it completes', async () => {
    await root.put('prod/mp.json', Buffer.from('kept'));
    const { uploadId } = await root.initMultipartUpload('prod/mp.json');
    const part = await root.uploadPart('prod/mp.json', uploadId, 1, Buffer.from('part'), 0, 4);
    await refused(root.completeMultipartUpload('prod/mp.json', uploadId, [{ number: 1, etag: part.etag }]));
    assert.equal(await text(root, 'prod/mp.json'), 'kept');
    await root.abortMultipartUpload('prod/mp.json', uploadId);
    const fresh = await root.initMultipartUpload('prod/mp-new.json');
    const p = await root.uploadPart('prod/mp-new.json', fresh.uploadId, 1, Buffer.from('part'), 0, 4);
    assert.equal((await root.completeMultipartUpload('prod/mp-new.json', fresh.uploadId, [{ number: 1, etag: p.etag }])).res.status, 200);
    assert.equal(await text(root, 'prod/mp-new.json'), 'part');
  });

  it('AppendObject: the append that creates a matching object passes, a later append to it is refused; other keys append on', async () => {
    await root.append('prod/log.json', Buffer.from('one'));
    await refused(root.append('prod/log.json', Buffer.from('two'), { position: '3' }));
    assert.equal(await text(root, 'prod/log.json'), 'one');
    await root.append('prod/log.txt', Buffer.from('one'));
    await root.append('prod/log.txt', Buffer.from('two'), { position: '3' });
    assert.equal(await text(root, 'prod/log.txt'), 'onetwo');
  });

  it('PutSymlink over an existing matching key is refused; a new symlink is written', async () => {
    await root.put('prod/link.json', Buffer.from('kept'));
    await refused(root.putSymlink('prod/link.json', 'src.txt'));
    assert.equal(await text(root, 'prod/link.json'), 'kept');
    await root.putSymlink('prod/new-link.json', 'src.txt');
    assert.equal(await text(root, 'prod/new-link.json'), 'source');
  });

  it('PostObject over an existing matching key is refused; a new key is written', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [] })).toString('base64');
    const post = async (key: string, data: string): Promise<{ status: number; body: string }> => {
      const fd = new FormData();
      for (const [k, v] of [['key', key], ['OSSAccessKeyId', AK], ['policy', policy], ['Signature', signPostPolicyV1(SECRET, policy)]]) fd.append(k!, v!);
      fd.append('file', new Blob([data]), 'f');
      const res = await fetch(`${srv.url}/${B}/`, { method: 'POST', body: fd });
      return { status: res.status, body: await res.text() };
    };
    assert.equal((await post('prod/form.json', 'first')).status, 204);
    const r = await post('prod/form.json', 'second');
    assert.equal(r.status, 409, r.body);
    assert.deepEqual([parseErrorXml(r.body).Code, parseErrorXml(r.body).EC], ['FileAlreadyExists', '0026-00000014']);
    assert.equal(await text(root, 'prod/form.json'), 'first');
    assert.equal((await post('prod/form.txt', 'x')).status, 204);
    assert.equal((await post('prod/form.txt', 'y')).status, 204);
  });

  it('image save-as (sys/saveas) onto an existing matching key is refused; onto a new key it is saved', async () => {
    await root.put('img.png', await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer());
    const saveAs = (target: string): Promise<RawResult> => rawObjectRequest(root, 'POST', 'img.png', {
      subres: 'x-oss-process',
      content: Buffer.from(`x-oss-process=${encodeURIComponent(`image/resize,w_2|sys/saveas,o_${Buffer.from(target).toString('base64url')}`)}`),
      mime: 'application/x-www-form-urlencoded',
    });
    assert.equal((await saveAs('prod/thumb.json')).status, 200);
    await root.put('prod/thumb-kept.json', Buffer.from('kept'));
    await refused(saveAs('prod/thumb-kept.json'));
    assert.equal(await text(root, 'prod/thumb-kept.json'), 'kept');
  });

  it('Principals: only the callers listed are refused (RAM user UID, role session ARN glob, account UID for its root, *)', async () => {
    await putRules([
      { id: 'prod-json', prefix: 'prod/', suffix: '.json' },
      { id: 'user', prefix: 'u/', principals: [writer.userId] },
      { id: 'role', prefix: 'r/', principals: [`arn:sts::${ACCOUNT_ID}:assumed-role/ow-role/*`] },
      { id: 'root', prefix: 'a/', principals: [ACCOUNT_ID] },
      { id: 'all', prefix: 's/', principals: ['*'] },
    ]);
    const session = ossWith(srv, creds, B);
    const clients: Record<string, OSS> = { root, writer: writer.oss(B), other: other.oss(B), session };
    const refusedFor: Record<string, string[]> = { 'u/': ['writer'], 'r/': ['session'], 'a/': ['root'], 's/': ['root', 'writer', 'other', 'session'] };
    for (const [prefix, who] of Object.entries(refusedFor)) {
      for (const [name, c] of Object.entries(clients)) {
        const key = `${prefix}${name}.bin`;
        await c.put(key, Buffer.from('first'));
        if (who.includes(name)) await refused(c.put(key, Buffer.from('second')));
        else await c.put(key, Buffer.from('second'));
        assert.equal(await text(root, key), who.includes(name) ? 'first' : 'second', `${name} on ${prefix}`);
      }
    }
    // The listed user is refused on what another caller wrote as well: the rule is on the key, not the writer.
    await other.oss(B).put('u/shared.bin', Buffer.from('by other'));
    await refused(writer.oss(B).put('u/shared.bin', Buffer.from('by writer')));
    // Anonymous callers of a public-read-write bucket: refused by `*` (and by a rule without Principals), not by a
    // rule naming someone else.
    await root.putBucketACL(B, 'public-read-write');
    try {
      const anonymous = async (key: string, body: string): Promise<number> => {
        const res = await fetch(`${srv.url}/${B}/${key}`, { method: 'PUT', body });
        await res.arrayBuffer();
        return res.status;
      };
      for (const prefix of ['s/', 'prod/']) {
        const key = `${prefix}anonymous.json`;
        assert.equal(await anonymous(key, 'first'), 200);
        assert.equal(await anonymous(key, 'second'), 409);
        assert.equal(await text(root, key), 'first');
      }
      assert.equal(await anonymous('u/anonymous.bin', 'first'), 200);
      assert.equal(await anonymous('u/anonymous.bin', 'second'), 200);
      assert.equal(await text(root, 'u/anonymous.bin'), 'second');
    } finally {
      await root.putBucketACL(B, 'private');
    }
  });

  it('DeleteBucketOverwriteConfig lifts the rules; a Put with other rules replaces them', async () => {
    await root.put('prod/lift.json', Buffer.from('first'));
    await refused(root.put('prod/lift.json', Buffer.from('second')));
    await putRules([{ id: 'only-other', prefix: 'elsewhere/' }]);
    await root.put('prod/lift.json', Buffer.from('second'));
    assert.equal((await bucketRequest(root, B, 'DELETE')).status, 204);
    await root.put('elsewhere/x', Buffer.from('1'));
    await root.put('elsewhere/x', Buffer.from('2'));
    assert.equal(await text(root, 'elsewhere/x'), '2');
  });

  it('a bucket with versioning is not subject to the rules (a new version is written)', async () => {
    const v = srv.client({ bucket: VERSIONED });
    await v.putBucket(VERSIONED);
    await (v as unknown as { putBucketVersioning(name: string, status: string): Promise<unknown> }).putBucketVersioning(VERSIONED, 'Enabled');
    await putRules([{ id: 'all' }], VERSIONED);
    await v.put('k.json', Buffer.from('1'));
    await v.put('k.json', Buffer.from('2'));
    assert.equal(await text(v, 'k.json'), '2');
  });
});
