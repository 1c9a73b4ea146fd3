// Resource pools (docs/qos.md "Resource pools"): an account here has none, so ListResourcePools answers an empty
// list and every operation naming a pool 404 "The specified resource pool does not exist." — what oss2's own
// tests/test_qos_and_resource_pool.py (sync and async) assert. oss2 is Python and not installed here, so signed raw
// requests send what oss2's Service methods send. RAM authorization as for other account-level operations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const POOL = 'test';
const QOS = '<QoSConfiguration><TotalUploadBandwidth>200</TotalUploadBandwidth><TotalQps>400</TotalQps></QoSConfiguration>';
const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>|<${name}/>`).exec(xml)?.[1] ?? (xml.includes(`<${name}/>`) ? '' : undefined);

/** Every operation naming a pool, as oss2 sends it: [action, method, query, body]. */
const NAMING: Array<[string, string, Array<[string, string]>, string | undefined]> = [
  ['GetResourcePoolInfo', 'GET', [['resourcePoolInfo', ''], ['resourcePool', POOL]], undefined],
  ['ListResourcePoolBuckets', 'GET', [['resourcePoolBuckets', ''], ['resourcePool', POOL]], undefined],
  ['PutResourcePoolRequesterQoSInfo', 'PUT', [['requesterQosInfo', ''], ['resourcePool', POOL], ['qosRequester', ACCOUNT_ID]], QOS],
  ['GetResourcePoolRequesterQoSInfo', 'GET', [['requesterQosInfo', ''], ['resourcePool', POOL], ['qosRequester', ACCOUNT_ID]], undefined],
  ['ListResourcePoolRequesterQoSInfos', 'GET', [['requesterQosInfo', ''], ['resourcePool', POOL]], undefined],
  ['DeleteResourcePoolRequesterQoSInfo', 'DELETE', [['requesterQosInfo', ''], ['resourcePool', POOL], ['qosRequester', ACCOUNT_ID]], undefined],
];

describe('resource pools', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('ListResourcePools: 200, the region and the owner, no pools, not truncated, empty tokens', async () => {
    const r = succeeds(await signedRequest(srv.port, 'GET', null, null, [['resourcePool', ''], ['continuation-token', ''], ['max-keys', '100']]));
    assert.match(r.text, /^<\?xml[^>]*>\s*<ListResourcePoolsResult>/);
    assert.equal(tag(r.text, 'Region'), 'cn-hangzhou');
    assert.equal(tag(r.text, 'Owner'), ACCOUNT_ID);
    assert.equal(tag(r.text, 'ContinuationToken'), '');
    assert.equal(tag(r.text, 'NextContinuationToken'), '');
    assert.equal(tag(r.text, 'IsTruncated'), 'false');
    assert.doesNotMatch(r.text, /<ResourcePool>/);
  });

  test('every operation naming a pool: 404 NoSuchResourcePool, "The specified resource pool does not exist."', async () => {
    for (const [, method, query, body] of NAMING) {
      const r = failsWith(await signedRequest(srv.port, method, null, null, query, body === undefined ? {} : { body }), 'NoSuchResourcePool', 404);
      assert.equal(r.err?.Message, 'The specified resource pool does not exist.', `${method} ${query.map(([k]) => k).join('&')}`);
    }
  });

  test('a pool name or requester left empty is refused 400; other shapes stay 501', async () => {
    const empty = failsWith(await signedRequest(srv.port, 'GET', null, null, [['resourcePoolInfo', ''], ['resourcePool', '']]), 'InvalidArgument', 400);
    assert.equal(empty.err?.Message, 'Resource pool name is empty');
    failsWith(await signedRequest(srv.port, 'GET', null, null, [['resourcePoolBuckets', '']]), 'InvalidArgument', 400);
    failsWith(await signedRequest(srv.port, 'DELETE', null, null, [['requesterQosInfo', ''], ['resourcePool', POOL]]), 'InvalidArgument', 400);
    // On a bucket, with another sub-resource, or with a method the operation does not take: not a resource pool
    // operation (unpublished sub-resources answer 501, as before).
    await srv.client().putBucket('pool-bucket');
    failsWith(await signedRequest(srv.port, 'GET', 'pool-bucket', null, [['resourcePool', '']]), 'NotImplemented', 501);
    failsWith(await signedRequest(srv.port, 'GET', null, null, [['resourcePool', ''], ['acl', '']]), 'NotImplemented', 501);
    failsWith(await signedRequest(srv.port, 'GET', null, null, [['resourcePoolInfo', ''], ['resourcePoolBuckets', ''], ['resourcePool', POOL]]), 'NotImplemented', 501);
  });

  test('authorization: anonymous refused; a RAM user needs each action; an explicit Deny wins', async () => {
    const anon = await rawRequest(srv.port, { method: 'GET', path: '/?resourcePool', headers: { host: `localhost:${srv.port}` } });
    assert.equal(anon.status, 403);
    const ram = new Ram(srv);
    const none = await ram.userWith('pool-none', policyDoc({ Effect: 'Allow', Action: ['oss:GetUserQoSInfo'], Resource: ['*'] }));
    const noneCreds: [string, string] = [none.accessKeyId, none.accessKeySecret];
    failsWith(await signedRequest(srv.port, 'GET', null, null, [['resourcePool', '']], { creds: noneCreds }), 'AccessDenied', 403);
    for (const [action, method, query, body] of NAMING) {
      failsWith(await signedRequest(srv.port, method, null, null, query, { ...(body === undefined ? {} : { body }), creds: noneCreds }), 'AccessDenied', 403);
      const deny = await ram.userWith(`pool-deny-${action.toLowerCase()}`.slice(0, 60), policyDoc(
        { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
        { Effect: 'Deny', Action: [`oss:${action}`], Resource: ['*'] },
      ));
      failsWith(await signedRequest(srv.port, method, null, null, query, { ...(body === undefined ? {} : { body }), creds: [deny.accessKeyId, deny.accessKeySecret] }), 'AccessDenied', 403);
    }
    const all = await ram.userWith('pool-all', policyDoc({
      Effect: 'Allow', Action: ['oss:ListResourcePools', ...NAMING.map(([a]) => `oss:${a}`)], Resource: ['acs:oss:*:*:*'],
    }));
    const allCreds: [string, string] = [all.accessKeyId, all.accessKeySecret];
    assert.equal(tag(succeeds(await signedRequest(srv.port, 'GET', null, null, [['resourcePool', '']], { creds: allCreds })).text, 'Owner'), ACCOUNT_ID);
    for (const [, method, query, body] of NAMING) {
      failsWith(await signedRequest(srv.port, method, null, null, query, { ...(body === undefined ? {} : { body }), creds: allCreds }), 'NoSuchResourcePool', 404);
    }
  });
});
