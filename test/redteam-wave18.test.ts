// Red-team wave 18 (an outsider, another account's tenant and a narrowly-scoped RAM user against a running server):
// each finding reproduced against a real server the test starts, failing on the code before its fix. Runs on
// SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres.
//
// Found and fixed:
// - The budgets of bodies read before anything authenticated them (DeleteMultipleObjects bodies, PostObject form
//   fields, RAM/STS bodies: 64 MiB each for the process) had no share per client, unlike those read after
//   authorization (wave 17). Measured on the old code (`bin/alunite server`, /tmp script): 33 anonymous connections
//   from one address, each sending a 2 MiB DeleteMultipleObjects body less a byte and going silent, made another
//   address's 46-byte DeleteMultipleObjects 503 ServiceUnavailable, for as long as they trickled (60 s deadline, then
//   again). Now one client (its address, an IPv6 one by its /64) holds at most 16 MiB of each (PRE_AUTH_SHARE,
//   http/held-bytes.ts; docs/limits.md).
// - Writes the server makes that take no encryption from their request were KMS-checked as if they did: sys/saveas and
//   async fetch ran kms:GenerateDataKey/Decrypt on the key the request's `x-oss-server-side-encryption` headers named,
//   while their write used the target bucket's default. A RAM user allowed oss:* but no KMS key sent
//   `x-oss-server-side-encryption: AES256` with a sys/saveas into a bucket whose default is KMS, passed with no KMS check
//   and had the image written under the owner's key (200; without the header, 403 as for PutObject). PostVodPlaylist
//   had no KMS check at all (wave 17 had reported it): its playlist was written under the bucket's default key by a
//   caller allowed oss:PostVodPlaylist alone. Now these three check the bucket default's key only (AuthzCheck.kms
//   'bucketDefault', oss/operations.ts; docs/encryption.md).
// - SimulatePrincipalPolicy evaluated an OSS Resource as written, while authorization decides every request on an
//   agentic bucket on `acs:oss:*:*:agenticbucket/<name>` (authz/authorize.ts resourceName): a user allowed oss:* on
//   the bucket's plain ARN was answered Allow for GetBucketAcl, which real requests refuse (403), and a user allowed
//   it on agenticbucket/<name> was answered ImplicitDeny for the plain ARN though its requests succeed; written as
//   agenticbucket/<name>, no bucket was found (identity policies only). Now the simulator finds the bucket either way
//   and evaluates the resource authorization would (ram/simulate.ts ossTargetOf; docs/agentic-buckets.md).
//
// Found and not changed (reported):
// - ObjectWorm's default-rule history (wave 17's lead): it keeps every rule whose window could hold a protected
//   version, at most 1,000, and refuses a Put beyond (rather than forget a COMPLIANCE rule). A rule protects only the
//   versions written while it was in force, but the history does not know whether any was: 1,000 Puts alternating
//   two 100-year rules, with no object written between, still freeze the configuration for a century for everyone
//   (whoever may put it could also set a 100-year COMPLIANCE default: a denial of change, not of data). Merging
//   neighbours into the stronger rule would lock versions written under a weaker (or no) rule retroactively; the
//   root fix is to stamp the default's retention on each version when it is written, as OSS does.
// - Agentic buckets marked Disabled still take attribute writes and object operations (docs/agentic-buckets.md
//   lists it as not implemented: the Go test says disabling "breaks the attribute calls", without a code).
//
// Tried and held:
// - UpdateJobStatus / UpdateJobPriority are authorized on the account (oss:UpdateJobStatus, as OSS names them and as
//   S3 Batch Operations does: confirming a job is the two-person step ConfirmationRequired exists for). A confirmer
//   changes only the status (Ready, Cancelled) or the priority, never the manifest, operation, report or RoleArn that
//   the creator's ram:PassRole was checked on; the worker reads the role's policies again before each page (wave 17),
//   and another account's job id is NoSuchJob. So a job gives its confirmer no action of its choice.
// - Malformed input on the newest endpoints against `bin/alunite server` (V1-signed as the root): ObjectWorm Days
//   `1e3`, two Rules, RetainUntilDate `+275760-…` and `…999999999+23:59`, two LegalHold Statuses, CreateJob nested
//   5,000 deep, UpdateJobPriority with a 5,000-character id and a 14-digit priority, job ids `__proto__` and
//   `constructor`, batchJobStatuses `,,,,__proto__`, NUL and U+FFFF in continuation-token, VOD times `-1e309`,
//   23 digits, 2^53+1 and `0x10`, user log fields named `__proto__`/`constructor`/`toString`, a Range of 3,000
//   parts, a 26-digit StorageCapacity, a symlink target `%ff%fe`, RestoreRequest Days `1e400`, a DoMetaQuery JSON
//   3,000 `[` deep: each a 4xx (or served), never 5xx; /-/health 200 after.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { UNAUTHORIZED_BODY_BOUNDS } from '../src/oss/handlers/common.js';
import { FORM_BOUNDS } from '../src/oss/post-form.js';
import { RPC_BODY_BOUNDS } from '../src/rpc/request.js';
import type { HeldBytes } from '../src/http/held-bytes.js';
import sharp from 'sharp';
import type OSS from 'ali-oss';
import { eventually } from './helpers/eventually.js';
import { rawObjectRequest } from './helpers/oss.js';
import { signedRequest } from './helpers/signed.js';
import { denied, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const MiB = 1024 * 1024;

describe('redteam wave 18: one client cannot take the whole budget of bodies read before authentication', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('w18-prw', { acl: 'public-read-write' } as never);
  });
  after(async () => {
    await srv?.stop();
  });

  /** `count` connections from 127.0.0.1, each sending `head` and then `sent` bytes of its body, then silence. */
  const stall = (count: number, head: string, sent: Buffer): Socket[] => Array.from({ length: count }, () => {
    const s = connect(srv.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(head);
    s.write(sent);
    return s;
  });
  const answered = (socks: Socket[]): number => socks.filter((s) => s.bytesRead > 0).length;

  /**
   * With the process budget at 20 MiB, ten stalled bodies of ~2 MiB (`per` bytes counted each) from one client; then
   * another client's small request must be read and answered for what it is, not 503.
   */
  async function oneClientCannotFill(budget: HeldBytes, count: number, per: number, open: () => Socket[], other: () => Promise<RawResponse>): Promise<void> {
    const saved = budget.limit;
    budget.limit = 20 * MiB;
    let held: Socket[] = [];
    try {
      held = open();
      assert.equal(held.length, count);
      // Every stalled body is either held whole or refused (and its bytes given back).
      await eventually(() => budget.inUse === (count - answered(held)) * per, 'the stalled bodies held or refused');
      const r = await other();
      assert.notEqual(r.status, 503, r.body.toString().slice(0, 300));
      // One client held no more than its share.
      assert.ok(budget.inUse <= 16 * MiB + 64 * 1024, String(budget.inUse));
    } finally {
      for (const s of held) s.destroy();
      budget.limit = saved;
    }
    await eventually(() => budget.inUse === 0, 'given back when the client left');
  }

  it('DeleteMultipleObjects bodies (read before the keys are authorized)', async () => {
    const per = 2 * MiB - 1;
    const head = `POST /w18-prw/?delete HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/xml\r\nContent-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\nContent-Length: ${2 * MiB}\r\n\r\n`;
    const body = '<Delete><Quiet>true</Quiet><Object><Key>absent</Key></Object></Delete>';
    const md5 = (await import('node:crypto')).createHash('md5').update(body).digest('base64');
    await oneClientCannotFill(UNAUTHORIZED_BODY_BOUNDS.budget, 10, per, () => stall(10, head, Buffer.alloc(per, 'a')), () => rawRequest(srv.port, {
      method: 'POST', path: '/w18-prw/?delete', localAddress: '127.0.0.2', body,
      headers: { host: `127.0.0.1:${srv.port}`, 'content-type': 'application/xml', 'content-md5': md5, 'content-length': String(body.length) },
    }));
  });

  it('RAM/STS bodies (read before their signature is checked)', async () => {
    const per = MiB - 1;
    const head = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${MiB}\r\n\r\n`;
    const sent = Buffer.from('Action=GetCallerIdentity&Version=2015-04-01&pad=' + 'p'.repeat(per - 48));
    const body = 'Action=GetCallerIdentity&Version=2015-04-01';
    await oneClientCannotFill(RPC_BODY_BOUNDS.budget, 20, per, () => stall(20, head, sent), () => rawRequest(srv.port, {
      method: 'POST', path: '/', localAddress: '127.0.0.2', body,
      headers: { host: '127.0.0.1', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
    }));
  });

  it('PostObject form fields (read before the form\'s signature is checked)', async () => {
    const boundary = 'w18boundary';
    const fields = `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--${boundary}\r\nContent-Disposition: form-data; name="pad"\r\n\r\n`;
    const per = 2 * MiB - 4096;
    const sent = Buffer.concat([Buffer.from(fields), Buffer.alloc(per - fields.length, 'a')]);
    const head = `POST /w18-prw/ HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${per + 100_000}\r\n\r\n`;
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nsmall\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nabc\r\n--${boundary}--\r\n`;
    await oneClientCannotFill(FORM_BOUNDS.held, 10, per, () => stall(10, head, sent), () => rawRequest(srv.port, {
      method: 'POST', path: '/w18-prw/', localAddress: '127.0.0.2', body: form,
      headers: { host: `127.0.0.1:${srv.port}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(form.length) },
    }));
  });
});

describe('redteam wave 18: writes the server makes are KMS-checked on the key they are written with', () => {
  const PLAIN = 'w18-plain';
  const KMS_DEFAULT = 'w18-kms-default';
  const KMS = 'This request is forbidden by kms.';
  const OSS_ALL = { Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:*' };
  let srv: TestServer;
  let ossOnly: RamUserHandle;
  let withKey: RamUserHandle;
  type Vod = OSS & { createVod(id: string, name: string, time: { startTime: number; endTime: number }, options?: object): Promise<unknown> };
  type Encryptable = OSS & { putBucketEncryption(name: string, opts: { SSEAlgorithm: string; KMSMasterKeyID?: string }): Promise<unknown> };

  before(async () => {
    srv = await startTestServer({ kmsKeys: ['app-key'] });
    const ram = new Ram(srv);
    await srv.client().putBucket(PLAIN);
    await srv.client().putBucket(KMS_DEFAULT);
    await (srv.client({ bucket: KMS_DEFAULT }) as Encryptable).putBucketEncryption(KMS_DEFAULT, { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'app-key' });
    await srv.client({ bucket: PLAIN }).put('img.png', await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer());
    const channel = { Description: 'w18', Status: 'enabled', Target: { Type: 'HLS', FragDuration: '10', FragCount: '5', PlaylistName: 'playlist.m3u8' } };
    for (const b of [PLAIN, KMS_DEFAULT]) await (srv.client({ bucket: b }) as OSS & { putChannel(id: string, conf: object): Promise<unknown> }).putChannel('chan', channel);
    for (const b of [PLAIN, KMS_DEFAULT]) await srv.client({ bucket: b }).put('chan/seg-0.ts', Buffer.from('segment'));
    ossOnly = await ram.userWith('w18-oss-only', policyDoc(OSS_ALL));
    withKey = await ram.userWith('w18-with-key', policyDoc(OSS_ALL, { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `acs:kms:*:${ACCOUNT_ID}:key/app-key` }));
  });
  after(async () => {
    await srv?.stop();
  });

  const absent = async (key: string): Promise<void> => {
    await assert.rejects(srv.client({ bucket: KMS_DEFAULT }).head(key), (e: { status?: number }) => e.status === 404);
  };
  const saveAs = (user: RamUserHandle, target: string, headers: Record<string, string> = {}) => rawObjectRequest(user.oss(PLAIN), 'POST', 'img.png', {
    subres: 'x-oss-process', headers, mime: 'application/x-www-form-urlencoded',
    content: Buffer.from(`x-oss-process=${encodeURIComponent(`image/resize,w_2|sys/saveas,o_${Buffer.from(target).toString('base64url')},b_${Buffer.from(KMS_DEFAULT).toString('base64url')}`)}`),
  });
  const now = Math.floor(Date.now() / 1000);
  const vod = (user: RamUserHandle, name: string, headers: Record<string, string> = {}) =>
    (user.oss(KMS_DEFAULT) as Vod).createVod('chan', name, { startTime: now - 3600, endTime: now + 3600 }, { headers });

  it('sys/saveas into a bucket whose default is KMS: an encryption header of the request does not skip the key check', async () => {
    await denied(saveAs(ossOnly, 'thumb.png'), KMS);
    // Before: 200, the thumbnail written under app-key.
    await denied(saveAs(ossOnly, 'thumb-aes.png', { 'x-oss-server-side-encryption': 'AES256' }), KMS);
    await absent('thumb.png');
    await absent('thumb-aes.png');
    assert.equal((await saveAs(withKey, 'thumb-ok.png')).status, 200);
    const head = await srv.client({ bucket: KMS_DEFAULT }).head('thumb-ok.png');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-server-side-encryption'], 'KMS');
  });

  it('PostVodPlaylist into a bucket whose default is KMS needs the key', async () => {
    // Before: 200, the playlist written under app-key.
    await denied(vod(ossOnly, 'list.m3u8'), KMS);
    await denied(vod(ossOnly, 'list-aes.m3u8', { 'x-oss-server-side-encryption': 'AES256' }), KMS);
    await absent('chan/list.m3u8');
    await absent('chan/list-aes.m3u8');
    await vod(withKey, 'ok.m3u8');
    const head = await srv.client({ bucket: KMS_DEFAULT }).head('chan/ok.m3u8');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-server-side-encryption'], 'KMS');
    // A bucket without KMS default: no key to check, oss:PostVodPlaylist alone will do.
    await (ossOnly.oss(PLAIN) as Vod).createVod('chan', 'plain.m3u8', { startTime: now - 3600, endTime: now + 3600 });
  });
});

describe('redteam wave 18: the policy simulator decides an agentic bucket on the resource requests are decided on', () => {
  const AGENTIC = `w18sim-${ACCOUNT_ID}-cn-hangzhou-ab-apsr`;
  let srv: TestServer;
  let ram: Ram;
  let plainArn: RamUserHandle;
  let agenticArn: RamUserHandle;
  type Result = { Decision: string; IdentityDecision: string };
  const simulate = async (user: RamUserHandle, resource: string): Promise<Result> =>
    (await ram.call('SimulatePrincipalPolicy', { UserName: user.userName, ActionName: 'oss:GetBucketAcl', Resource: resource })).EvaluationResult as Result;
  const real = async (user: RamUserHandle): Promise<number> =>
    (await signedRequest(srv.port, 'GET', AGENTIC, null, [['acl', '']], { creds: [user.accessKeyId, user.accessKeySecret] })).status;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    const created = await signedRequest(srv.port, 'PUT', AGENTIC, null, [['agenticBucket', '']]);
    assert.equal(created.status, 200, created.text.slice(0, 300));
    plainArn = await ram.userWith('w18-plain-arn', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: `acs:oss:*:*:${AGENTIC}` }));
    agenticArn = await ram.userWith('w18-agentic-arn', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: `acs:oss:*:*:agenticbucket/${AGENTIC}` }));
  });
  after(async () => {
    await srv?.stop();
  });

  it('answers as the request is decided, whichever way the Resource names the bucket', async () => {
    assert.equal(await real(plainArn), 403);
    assert.equal(await real(agenticArn), 200);
    for (const resource of [`acs:oss:*:*:${AGENTIC}`, `acs:oss:*:${ACCOUNT_ID}:agenticbucket/${AGENTIC}`]) {
      // Before: Allow for the plain ARN (the request is 403).
      const p = await simulate(plainArn, resource);
      assert.deepEqual([p.Decision, p.IdentityDecision], ['ImplicitDeny', 'ImplicitDeny'], resource);
      // Before: ImplicitDeny for the plain ARN (the request is 200).
      const a = await simulate(agenticArn, resource);
      assert.deepEqual([a.Decision, a.IdentityDecision], ['Allow', 'Allow'], resource);
    }
  });
});
