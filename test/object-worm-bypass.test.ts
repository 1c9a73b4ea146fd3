// Lifting a GOVERNANCE retention (docs/data-protection.md, "Object-level retention"): x-oss-bypass-governance-retention
// needs oss:BypassGovernanceRetention [UNVERIFIED: S3's s3:BypassGovernanceRetention under OSS's prefix] on
// PutObjectRetention and on the deletes of a version (DeleteObject?versionId, DeleteMultipleObjects); COMPLIANCE and a
// legal hold are never lifted; a copy of an object onto its own key is a new version without the old one's lock.
// Requests are sent as the SDK v2s send them (V1 header signatures, XML bodies with Content-MD5), by the account's
// root and by RAM users of the same account.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'worm-bypass';
const BYPASS = { 'x-oss-bypass-governance-retention': 'true' };

describe('GOVERNANCE bypass needs oss:BypassGovernanceRetention; COMPLIANCE and legal holds are never lifted', () => {
  let srv: TestServer;
  let ram: Ram;
  /** May put and delete retentions and versions, but not bypass. */
  let plain: RamUserHandle;
  /** The same, and oss:BypassGovernanceRetention. */
  let bypasser: RamUserHandle;
  /** oss:* with an explicit Deny of oss:BypassGovernanceRetention. */
  let denied: RamUserHandle;
  const later = (ms: number): string => new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString();

  const send = (r: SdkRequest, as?: RamUserHandle): Promise<SdkReply> =>
    sdkSignedRequest(srv.port, r, encodeURIComponent, as === undefined ? undefined : as);
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const fails = (res: SdkReply, status: number, code: string): void => {
    assert.equal(res.status, status, res.text);
    assert.equal(res.err?.Code, code, res.text);
  };
  const xml = (body: string, headers: Record<string, string> = {}): Pick<SdkRequest, 'headers' | 'body'> => ({
    body, headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64'), ...headers },
  });
  const retention = (mode: string, date: string, headers: Record<string, string> = {}) => xml(`<Retention><Mode>${mode}</Mode><RetainUntilDate>${date}</RetainUntilDate></Retention>`, headers);
  const text = (res: SdkReply, name: string): string => strictTexts(res.text, name)[0]!;
  /** A new version of `key` with `mode` retention for an hour; its version id. */
  async function locked(key: string, mode: 'GOVERNANCE' | 'COMPLIANCE', bucket = B): Promise<string> {
    const put = ok(await send({ method: 'PUT', bucket, key, body: key }), 'PutObject');
    ok(await send({ method: 'PUT', bucket, key, query: [['retention', '']], ...retention(mode, later(3_600_000)) }), 'PutObjectRetention');
    return String(put.headers['x-oss-version-id']);
  }
  const versionGone = async (key: string, versionId: string): Promise<boolean> =>
    (await send({ method: 'HEAD', bucket: B, key, query: [['versionId', versionId]] })).status === 404;
  async function wormBucket(name: string, rule = ''): Promise<void> {
    ok(await send({ method: 'PUT', bucket: name }), 'PutBucket');
    ok(await send({ method: 'PUT', bucket: name, query: [['versioning', '']], ...xml('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>') }), 'PutBucketVersioning');
    ok(await send({ method: 'PUT', bucket: name, query: [['objectWorm', '']], ...xml(`<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled>${rule}</ObjectWormConfiguration>`) }), 'PutBucketObjectWormConfiguration');
  }

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await wormBucket(B);
    const actions = ['oss:PutObject', 'oss:GetObject', 'oss:GetObjectVersion', 'oss:PutObjectRetention', 'oss:GetObjectRetention', 'oss:DeleteObject', 'oss:DeleteObjectVersion'];
    plain = await ram.userWith('worm-plain', policyDoc({ Effect: 'Allow', Action: actions, Resource: [`acs:oss:*:*:${B}/*`] }));
    bypasser = await ram.userWith('worm-bypasser', policyDoc({ Effect: 'Allow', Action: [...actions, 'oss:BypassGovernanceRetention'], Resource: [`acs:oss:*:*:${B}/*`] }));
    denied = await ram.userWith('worm-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:BypassGovernanceRetention'], Resource: ['*'] },
    ));
  });
  after(async () => {
    await srv?.stop();
  });

  it('PutObjectRetention loosening GOVERNANCE with the header: 403 without the action (was 200), 200 with it or as the root; extending needs none', async () => {
    await locked('put-gov', 'GOVERNANCE');
    const sooner = later(600_000);
    for (const who of [plain, denied]) {
      fails(await send({ method: 'PUT', bucket: B, key: 'put-gov', query: [['retention', '']], ...retention('GOVERNANCE', sooner, BYPASS) }, who), 403, 'AccessDenied');
    }
    // Extending asks nothing of the header.
    ok(await send({ method: 'PUT', bucket: B, key: 'put-gov', query: [['retention', '']], ...retention('GOVERNANCE', later(7_200_000), BYPASS) }, plain), 'extend');
    ok(await send({ method: 'PUT', bucket: B, key: 'put-gov', query: [['retention', '']], ...retention('GOVERNANCE', sooner, BYPASS) }, bypasser), 'loosen with the action');
    assert.equal(text(ok(await send({ method: 'GET', bucket: B, key: 'put-gov', query: [['retention', '']] }), 'Get'), 'RetainUntilDate'), sooner);
    ok(await send({ method: 'PUT', bucket: B, key: 'put-gov', query: [['retention', '']], ...retention('GOVERNANCE', later(300_000), BYPASS) }), 'loosen as the root');
    // Without the header even the action does not loosen.
    fails(await send({ method: 'PUT', bucket: B, key: 'put-gov', query: [['retention', '']], ...retention('GOVERNANCE', later(120_000)) }, bypasser), 403, 'AccessDenied');
  });

  it('DeleteObject?versionId of a GOVERNANCE version: with the header and the action it goes (was 409 FileImmutable); without either it stays', async () => {
    const v = await locked('del-gov', 'GOVERNANCE');
    fails(await send({ method: 'DELETE', bucket: B, key: 'del-gov', query: [['versionId', v]] }), 409, 'FileImmutable');
    fails(await send({ method: 'DELETE', bucket: B, key: 'del-gov', query: [['versionId', v]], headers: BYPASS }, plain), 403, 'AccessDenied');
    fails(await send({ method: 'DELETE', bucket: B, key: 'del-gov', query: [['versionId', v]], headers: BYPASS }, denied), 403, 'AccessDenied');
    assert.equal(await versionGone('del-gov', v), false);
    assert.equal((await send({ method: 'DELETE', bucket: B, key: 'del-gov', query: [['versionId', v]], headers: BYPASS }, bypasser)).status, 204);
    assert.equal(await versionGone('del-gov', v), true);
    // The root may too.
    const w = await locked('del-gov', 'GOVERNANCE');
    assert.equal((await send({ method: 'DELETE', bucket: B, key: 'del-gov', query: [['versionId', w]], headers: BYPASS })).status, 204);
    assert.equal(await versionGone('del-gov', w), true);
    // An unprotected version needs no bypass permission, header or not.
    const free = String(ok(await send({ method: 'PUT', bucket: B, key: 'del-free', body: 'x' }), 'PutObject').headers['x-oss-version-id']);
    assert.equal((await send({ method: 'DELETE', bucket: B, key: 'del-free', query: [['versionId', free]], headers: BYPASS }, plain)).status, 204);
  });

  it('COMPLIANCE and a legal hold are never lifted, not even by the root with the header', async () => {
    const c = await locked('compliance', 'COMPLIANCE');
    fails(await send({ method: 'DELETE', bucket: B, key: 'compliance', query: [['versionId', c]], headers: BYPASS }), 409, 'FileImmutable');
    fails(await send({ method: 'DELETE', bucket: B, key: 'compliance', query: [['versionId', c]], headers: BYPASS }, bypasser), 409, 'FileImmutable');
    fails(await send({ method: 'PUT', bucket: B, key: 'compliance', query: [['retention', '']], ...retention('COMPLIANCE', later(60_000), BYPASS) }), 403, 'AccessDenied');
    fails(await send({ method: 'PUT', bucket: B, key: 'compliance', query: [['retention', '']], ...retention('GOVERNANCE', later(7_200_000), BYPASS) }), 403, 'AccessDenied');
    const h = await locked('held', 'GOVERNANCE');
    ok(await send({ method: 'PUT', bucket: B, key: 'held', query: [['legalHold', '']], ...xml('<LegalHold><Status>ON</Status></LegalHold>') }), 'PutObjectLegalHold');
    fails(await send({ method: 'DELETE', bucket: B, key: 'held', query: [['versionId', h]], headers: BYPASS }), 409, 'FileImmutable');
    fails(await send({ method: 'DELETE', bucket: B, key: 'held', query: [['versionId', h]], headers: BYPASS }, bypasser), 409, 'FileImmutable');
    assert.equal(await versionGone('compliance', c), false);
    assert.equal(await versionGone('held', h), false);
  });

  it('DeleteMultipleObjects with the header: GOVERNANCE versions go for a caller with the action; one COMPLIANCE version refuses the whole request', async () => {
    const a = await locked('multi-a', 'GOVERNANCE');
    const b = await locked('multi-b', 'GOVERNANCE');
    const c = await locked('multi-c', 'COMPLIANCE');
    const body = (...entries: Array<[string, string]>): string =>
      `<Delete><Quiet>true</Quiet>${entries.map(([k, v]) => `<Object><Key>${k}</Key><VersionId>${v}</VersionId></Object>`).join('')}</Delete>`;
    const del = (entries: Array<[string, string]>, headers: Record<string, string>, as?: RamUserHandle) =>
      send({ method: 'POST', bucket: B, query: [['delete', '']], ...xml(body(...entries), headers) }, as);
    fails(await del([['multi-a', a], ['multi-b', b]], {}), 409, 'FileImmutable');
    fails(await del([['multi-a', a], ['multi-b', b]], BYPASS, plain), 403, 'AccessDenied');
    fails(await del([['multi-a', a], ['multi-b', b], ['multi-c', c]], BYPASS), 409, 'FileImmutable');
    for (const [k, v] of [['multi-a', a], ['multi-b', b], ['multi-c', c]] as const) assert.equal(await versionGone(k, v), false, k);
    ok(await del([['multi-a', a], ['multi-b', b]], BYPASS, bypasser), 'DeleteMultipleObjects with the action');
    assert.equal(await versionGone('multi-a', a), true);
    assert.equal(await versionGone('multi-b', b), true);
  });

  it('a bucket policy may grant the action to a user of the account, and its explicit Deny refuses even the root', async () => {
    const P = 'worm-bypass-policy';
    await wormBucket(P);
    const v = await locked('k', 'GOVERNANCE', P);
    const w = await locked('kept', 'GOVERNANCE', P);
    ok(await send({ method: 'PUT', bucket: P, query: [['policy', '']], body: policyDoc(
      { Effect: 'Allow', Principal: [plain.userId], Action: ['oss:DeleteObjectVersion', 'oss:BypassGovernanceRetention'], Resource: [`acs:oss:*:*:${P}/*`] },
      // A Deny naming the owner's UID binds its root too (docs/policy.md).
      { Effect: 'Deny', Principal: [ACCOUNT_ID], Action: ['oss:BypassGovernanceRetention'], Resource: [`acs:oss:*:*:${P}/kept`] },
    ) }), 'PutBucketPolicy');
    assert.equal((await send({ method: 'DELETE', bucket: P, key: 'k', query: [['versionId', v]], headers: BYPASS }, plain)).status, 204);
    fails(await send({ method: 'DELETE', bucket: P, key: 'kept', query: [['versionId', w]], headers: BYPASS }), 403, 'AccessDenied');
    fails(await send({ method: 'PUT', bucket: P, key: 'kept', query: [['retention', '']], ...retention('GOVERNANCE', later(60_000), BYPASS) }), 403, 'AccessDenied');
  });

  it('a role session may bypass as its role may, narrowed by its session policy (ali-oss DeleteObject with versionId and the header)', async () => {
    await ram.call('CreateRole', { RoleName: 'WormBypasser', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('worm-bypasser-role', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: [`acs:oss:*:*:${B}`, `acs:oss:*:*:${B}/*`] }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'worm-bypasser-role', RoleName: 'WormBypasser' });
    const assumer = await ram.userWith('worm-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('WormBypasser') }));
    const session = async (name: string, policy?: string): Promise<OSS> => {
      const res = await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), { RoleArn: roleArn('WormBypasser'), RoleSessionName: name, ...(policy === undefined ? {} : { Policy: policy }) });
      return ossWith(srv, res.Credentials as StsCredentials, B);
    };
    const narrowed = await session('narrowed', policyDoc({ Effect: 'Allow', Action: ['oss:DeleteObject', 'oss:DeleteObjectVersion'], Resource: [`acs:oss:*:*:${B}/*`] }));
    const full = await session('full');
    const v = await locked('session-gov', 'GOVERNANCE');
    const err = await narrowed.delete('session-gov', { versionId: v, headers: BYPASS } as OSS.RequestOptions).then(() => null, (e: { status?: number; code?: string }) => e);
    assert.equal(err?.status, 403);
    assert.equal(err?.code, 'AccessDenied');
    assert.equal(await versionGone('session-gov', v), false);
    await full.delete('session-gov', { versionId: v, headers: BYPASS } as OSS.RequestOptions);
    assert.equal(await versionGone('session-gov', v), true);
  });

  it('a copy of an object onto its own key is a new version with the bucket default only, not the old version\'s retention or legal hold', async () => {
    const C = 'worm-bypass-copy';
    await wormBucket(C);
    const old = await locked('doc', 'COMPLIANCE', C);
    ok(await send({ method: 'PUT', bucket: C, key: 'doc', query: [['legalHold', '']], ...xml('<LegalHold><Status>ON</Status></LegalHold>') }), 'PutObjectLegalHold');
    // The SDKs' "modify metadata": CopyObject onto itself with REPLACE.
    const copy = ok(await send({ method: 'PUT', bucket: C, key: 'doc', headers: { 'x-oss-copy-source': `/${C}/doc`, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-x': '1' } }), 'CopyObject');
    const fresh = String(copy.headers['x-oss-version-id']);
    assert.notEqual(fresh, old);
    fails(await send({ method: 'GET', bucket: C, key: 'doc', query: [['retention', '']] }), 404, 'NoSuchObjectRetention');
    assert.equal(text(ok(await send({ method: 'GET', bucket: C, key: 'doc', query: [['legalHold', '']] }), 'GetObjectLegalHold'), 'Status'), 'OFF');
    assert.equal((await send({ method: 'DELETE', bucket: C, key: 'doc', query: [['versionId', fresh]] })).status, 204);
    // The old version keeps its own.
    assert.equal(text(ok(await send({ method: 'GET', bucket: C, key: 'doc', query: [['retention', ''], ['versionId', old]] }), 'Get'), 'Mode'), 'COMPLIANCE');
    assert.equal(text(ok(await send({ method: 'GET', bucket: C, key: 'doc', query: [['legalHold', ''], ['versionId', old]] }), 'Get'), 'Status'), 'ON');
    // With a default rule the copy takes the default, counted from its own write.
    ok(await send({ method: 'PUT', bucket: C, query: [['objectWorm', '']], ...xml('<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectWormConfiguration>') }), 'PutBucketObjectWormConfiguration');
    ok(await send({ method: 'PUT', bucket: C, key: 'doc', headers: { 'x-oss-copy-source': `/${C}/doc?versionId=${old}` } }), 'CopyObject of the old version');
    const got = ok(await send({ method: 'GET', bucket: C, key: 'doc', query: [['retention', '']] }), 'GetObjectRetention');
    assert.equal(text(got, 'Mode'), 'GOVERNANCE');
    assert.equal(text(ok(await send({ method: 'GET', bucket: C, key: 'doc', query: [['legalHold', '']] }), 'GetObjectLegalHold'), 'Status'), 'OFF');
  });
});
