// The identity policies a request is decided on are cached per principal (ram/identity.ts) and their tag keys per
// set (authz/authorize.ts): every RAM change still applies to the next request, and to the checks a request makes
// after its body arrived. With ALUNITE_TEST_META=postgres the changes go through one server and the requests through
// another on the same database (two processes' caches).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { expectOssError } from './helpers/oss.js';
import { errorOf, v1Authorization } from './helpers/raw-http.js';
import { denied, MSG, policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'cached-policies';
const allowRead = policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:DeleteObject'], Resource: `acs:oss:*:*:${BUCKET}/*` });

describe('identity policies cached per principal: RAM changes apply to the next request', () => {
  /** Where RAM changes are made. */
  let writer: TestServer;
  /** Where the user's requests go (the writer itself on SQLite). */
  let reader: TestServer;
  let stop: () => Promise<void>;
  let ram: Ram;
  before(async () => {
    if (process.env.ALUNITE_TEST_META === 'postgres') {
      const pair = await startServerPairOnPostgres();
      writer = pair.a;
      reader = pair.b;
      stop = pair.stop;
    } else {
      writer = reader = await startTestServer();
      stop = () => writer.stop();
    }
    ram = new Ram(writer);
    await writer.client().putBucket(BUCKET);
    const root = writer.client({ bucket: BUCKET });
    await root.put('plain.txt', Buffer.from('plain'));
    await root.put('secret.txt', Buffer.from('secret'), { headers: { 'x-oss-tagging': 'secret=yes' } });
  });
  after(async () => {
    await stop?.();
  });

  const get = (u: RamUserHandle, key: string): Promise<unknown> => reader.client({ bucket: BUCKET, accessKeyId: u.accessKeyId, accessKeySecret: u.accessKeySecret }).get(key);

  it('detaching, group membership, a new default version and a disabled key each decide the very next request', async () => {
    const u = await ram.userWith('cache-user', allowRead);
    await get(u, 'plain.txt');
    await get(u, 'plain.txt'); // decided on the cached set
    await ram.detachFromUser('cache-user-policy', 'cache-user');
    await denied(get(u, 'plain.txt'), MSG.acl);
    // Through a group: joining grants, leaving takes it away.
    await ram.call('CreateGroup', { GroupName: 'cache-group' });
    await ram.call('AttachPolicyToGroup', { PolicyType: 'Custom', PolicyName: 'cache-user-policy', GroupName: 'cache-group' });
    await denied(get(u, 'plain.txt'), MSG.acl);
    await ram.call('AddUserToGroup', { GroupName: 'cache-group', UserName: 'cache-user' });
    await get(u, 'plain.txt');
    await ram.call('RemoveUserFromGroup', { GroupName: 'cache-group', UserName: 'cache-user' });
    await denied(get(u, 'plain.txt'), MSG.acl);
    // A new default version of an attached policy.
    await ram.attachToUser('cache-user-policy', 'cache-user');
    await get(u, 'plain.txt');
    await ram.call('CreatePolicyVersion', {
      PolicyName: 'cache-user-policy', SetAsDefault: true,
      PolicyDocument: policyDoc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }),
    });
    await denied(get(u, 'plain.txt'), MSG.policyDeny);
    await ram.call('SetDefaultPolicyVersion', { PolicyName: 'cache-user-policy', VersionId: 'v1' });
    await get(u, 'plain.txt');
    // A disabled AccessKey.
    await ram.call('UpdateAccessKey', { UserName: 'cache-user', UserAccessKeyId: u.accessKeyId, Status: 'Inactive' });
    await expectOssError(get(u, 'plain.txt'), 'InvalidAccessKeyId', 403);
  });

  it('a Deny on an object tag attached to a user whose set was cached applies at once (the set\'s tag keys are its own)', async () => {
    const u = await ram.userWith('tag-user', allowRead);
    await get(u, 'secret.txt');
    await get(u, 'plain.txt');
    await ram.createPolicy('tag-user-deny', policyDoc({
      Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*`,
      Condition: { StringEquals: { 'oss:ExistingObjectTag/secret': 'yes' } },
    }));
    await ram.attachToUser('tag-user-deny', 'tag-user');
    await denied(get(u, 'secret.txt'), MSG.policyDeny);
    await get(u, 'plain.txt');
    await ram.detachFromUser('tag-user-deny', 'tag-user');
    await get(u, 'secret.txt');
  });

  it('a policy detached while a DeleteMultipleObjects body is on its way decides the deletes checked after the body', async () => {
    const u = await ram.userWith('body-user', allowRead);
    await writer.client({ bucket: BUCKET }).put('doomed.txt', Buffer.from('x'));
    await get(u, 'doomed.txt');
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet><Object><Key>doomed.txt</Key></Object></Delete>`);
    const headers: Record<string, string> = {
      'content-md5': createHash('md5').update(body).digest('base64'),
      'content-type': 'application/xml',
      date: new Date().toUTCString(),
    };
    const { authorization } = v1Authorization({ method: 'POST', bucket: BUCKET, key: null, query: [['delete', '']], headers }, u.accessKeyId, u.accessKeySecret);
    const answer = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: reader.port, method: 'POST', path: `/${BUCKET}/?delete`, agent: false,
        headers: { ...headers, host: `127.0.0.1:${reader.port}`, authorization, 'content-length': String(body.length), expect: '100-continue' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      // 100 Continue comes as the request is handed to the listener, which authenticates it and decides its
      // operation-level checks (and so caches the user's set) before it reads the body.
      // The change goes through the server answering the request: another process sees changes as each request
      // arrives (http/shared-state.ts), so one in flight there keeps the state of its arrival, as it always did.
      req.on('continue', () => {
        new Ram(reader).detachFromUser('body-user-policy', 'body-user').then(() => req.end(body), reject);
      });
      req.flushHeaders();
    });
    assert.equal(answer.status, 403, answer.body.toString());
    assert.equal(errorOf({ status: answer.status, headers: {}, body: answer.body })?.Code, 'AccessDenied');
    // Still there.
    assert.equal((await writer.client({ bucket: BUCKET }).head('doomed.txt')).status, 200);
  });
});
