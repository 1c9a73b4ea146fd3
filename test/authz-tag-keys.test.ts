// oss:ExistingObjectTag/<key> through an access point's policy, and what a refusal's diagnostic says of tags
// (found by a review of the tag condition keys: the access point's policy was decided without them, and a refused
// caller could read every tag of the object from its EncodedDiagnosticMessage).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'tag-keys-review';
interface Reply { status: number; text: string; code: string | undefined }

describe('resource tag condition keys', () => {
  let srv: TestServer;
  let ram: Ram;
  async function send(method: string, bucket: string | null, key: string | null, query: Array<[string, string]> = [], opts: { body?: string; headers?: Record<string, string>; creds?: [string, string] } = {}): Promise<Reply> {
    const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
    const path = `/${bucket === null ? '' : `${bucket}/${key === null ? '' : encodeURIComponent(key)}`}${qs}`;
    const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const [ak, secret] = opts.creds ?? [AK, SECRET];
    headers.authorization = v1Authorization({ method, bucket, key, query, headers }, ak, secret).authorization;
    const res = await rawRequest(srv.port, { method, path, headers, body: opts.body });
    return { status: res.status, text: res.body.toString('utf8'), code: errorOf(res)?.Code };
  }
  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    assert.equal((await send('PUT', BUCKET, null)).status, 200);
    assert.equal((await send('PUT', BUCKET, 'secret.txt', [], { body: 'TOP SECRET', headers: { 'x-oss-tagging': 'class=secret&project=apollo' } })).status, 200);
    assert.equal((await send('PUT', BUCKET, 'public.txt', [], { body: 'hello', headers: { 'x-oss-tagging': 'class=public' } })).status, 200);
  });
  after(() => srv.stop());

  test('an access point\'s policy is decided with the object\'s tags', async () => {
    const r = await send('PUT', BUCKET, null, [['accessPoint', '']], { body: '<CreateAccessPointConfiguration><AccessPointName>ap-tags</AccessPointName><NetworkOrigin>internet</NetworkOrigin></CreateAccessPointConfiguration>' });
    assert.equal(r.status, 200, r.text);
    const alias = /<Alias>([^<]+)<\/Alias>/.exec(r.text)![1]!;
    const u = await ram.userWith('ap-tags-user', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const setPolicy = async (...statements: Array<Record<string, unknown>>): Promise<void> => {
      const p = await send('PUT', BUCKET, null, [['accessPointPolicy', '']], { headers: { 'x-oss-access-point-name': 'ap-tags' }, body: policyDoc(...statements) });
      assert.equal(p.status, 200, p.text);
    };
    const objects = 'acs:oss:*:*:accesspoint/ap-tags/object/*';
    await setPolicy(
      { Effect: 'Allow', Action: 'oss:*', Principal: [u.userId], Resource: ['acs:oss:*:*:accesspoint/ap-tags', objects] },
      { Effect: 'Deny', Action: 'oss:GetObject', Principal: ['*'], Resource: [objects], Condition: { StringEquals: { 'oss:ExistingObjectTag/class': 'secret' } } },
    );
    assert.equal((await send('GET', alias, 'public.txt', [], { creds })).status, 200);
    const denied = await send('GET', alias, 'secret.txt', [], { creds });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.code, 'AccessDenied');
    // An Allow that needs the tag: the tagged object only.
    await setPolicy({ Effect: 'Allow', Action: 'oss:GetObject', Principal: [u.userId], Resource: [objects], Condition: { StringEquals: { 'oss:ExistingObjectTag/class': 'secret' } } });
    assert.equal((await send('GET', alias, 'secret.txt', [], { creds })).status, 200);
    assert.equal((await send('GET', alias, 'public.txt', [], { creds })).status, 403);
    // Straight to the bucket (no access point), the identity policy alone decides.
    assert.equal((await send('GET', BUCKET, 'public.txt', [], { creds })).status, 200);
  });

  test('a refusal\'s diagnostic message does not carry the resource\'s tags', async () => {
    const u = await ram.userWith('tag-diag-user', policyDoc(
      { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*`, Condition: { StringEquals: { 'oss:ExistingObjectTag/class': 'public' } } },
      { Effect: 'Allow', Action: 'ram:DecodeDiagnosticMessage', Resource: '*' },
    ));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    assert.equal((await send('GET', BUCKET, 'public.txt', [], { creds })).status, 200);
    const r = await send('GET', BUCKET, 'secret.txt', [], { creds });
    assert.equal(r.status, 403);
    const enc = /<EncodedDiagnosticMessage>([^<]+)</.exec(r.text)?.[1];
    assert.ok(enc, r.text);
    const decoded = await u.pop().request<Record<string, unknown>>('DecodeDiagnosticMessage', { EncodedDiagnosticMessage: enc }, { method: 'POST' });
    const text = JSON.stringify(decoded);
    assert.match(text, /acs:SourceIp|acs:CurrentTime/i, 'the request\'s own facts are still there');
    assert.doesNotMatch(text, /ExistingObjectTag|apollo|\["secret"\]/i, text);
    // The tags are GetObjectTagging's to give, which this caller may not.
    assert.equal((await send('GET', BUCKET, 'secret.txt', [['tagging', '']], { creds })).status, 403);
  });
});
