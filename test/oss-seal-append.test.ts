// SealAppendObject (docs/traffic-limit-seal.md): `POST /<key>?seal&position=<n>` makes an Appendable object
// take no more appends (AppendSealedObjectNotAllowed), shows x-oss-sealed-time (the first seal's) on HEAD and GET,
// checks `position` against the length, refuses other object types, and is authorized as oss:SealAppendObject.
// Runs on SQLite, and on PostgreSQL through test/pg-seal-append.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { expectOssError, rawObjectRequest } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'seal-bucket';

describe('SealAppendObject', () => {
  let srv: TestServer;
  let client: OSS;
  let now = Date.now();

  before(async () => {
    srv = await startTestServer({ clock: () => now });
    client = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv?.stop();
  });

  // Signed V4 (every query parameter signed): `seal` is not in the V1 sub-resource list, ali-oss would sign it anyway.
  const seal = (key: string, position?: number, c: OSS = srv.client({ bucket: BUCKET, authorizationV4: true } as Partial<OSS.Options>)) =>
    rawObjectRequest(c, 'POST', key, { subres: position === undefined ? { seal: '' } : { seal: '', position: String(position) } });

  test('sealed: appends refused, x-oss-sealed-time on HEAD/GET, the first time kept', async () => {
    await client.append('log.txt', Buffer.from('abc'));
    await client.append('log.txt', Buffer.from('def'), { position: '3' });
    const sealedAt = now;
    const res = await seal('log.txt', 6);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-oss-sealed-time'], new Date(sealedAt).toUTCString());
    const err = await expectOssError(client.append('log.txt', Buffer.from('g'), { position: '6' }), 'AppendSealedObjectNotAllowed', 409);
    assert.match(err.message, /sealed/);
    const head = await client.head('log.txt');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-sealed-time'], new Date(sealedAt).toUTCString());
    const get = await client.get('log.txt');
    assert.equal(get.content.toString(), 'abcdef', 'the bytes are unchanged');
    assert.equal((get.res.headers as Record<string, string>)['x-oss-sealed-time'], new Date(sealedAt).toUTCString());
    now += 5 * 60_000; // within the signature clock skew
    const again = await seal('log.txt');
    assert.equal(again.headers['x-oss-sealed-time'], new Date(sealedAt).toUTCString(), 'sealing again keeps the first time');
  });

  test('an unsealed appendable object shows no x-oss-sealed-time', async () => {
    await client.append('open.txt', Buffer.from('x'));
    const head = await client.head('open.txt');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-sealed-time'], undefined);
  });

  test('position must be the length; other types and missing objects are refused', async () => {
    await client.append('pos.txt', Buffer.from('12345'));
    await expectOssError(seal('pos.txt', 4), 'PositionNotEqualToLength', 409);
    await client.append('pos.txt', Buffer.from('6'), { position: '5' }); // still appendable
    await client.put('normal.txt', Buffer.from('n'));
    await expectOssError(seal('normal.txt'), 'AppendSealedObjectNotAllowed', 409);
    await expectOssError(seal('missing.txt'), 'NoSuchKey', 404);
    await expectOssError(rawObjectRequest(srv.client({ bucket: BUCKET, authorizationV4: true } as Partial<OSS.Options>), 'POST', 'pos.txt', { subres: { seal: '', position: 'x' } }), 'InvalidArgument', 400);
  });

  test('an explicit Deny on oss:SealAppendObject refuses it; appends still work', async () => {
    await client.append('denied.txt', Buffer.from('d'));
    const ram = new Ram(srv);
    const user = await ram.userWith('seal-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: ['oss:SealAppendObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`] },
    ));
    await expectOssError(seal('denied.txt', undefined, user.oss(BUCKET, { authorizationV4: true } as Partial<OSS.Options>)), 'AccessDenied', 403);
    await user.oss(BUCKET).append('denied.txt', Buffer.from('e'), { position: '1' });
    const head = await client.head('denied.txt');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-sealed-time'], undefined);
  });
});
