// Red-team wave 11: the changes of the session after 8f80cf9 (bucket callback policies and uploads naming one, the
// authenticated-read ACL, delimited listings that step over CommonPrefix keys, console sign-in guesses in flight,
// image jobs' shared budget, replication's closing rules) attacked against a real server.
//
// Held (each checked below, or by test/listing-reference.test.ts for listings):
// - A named callback policy's URL goes through the same send-time checks as an upload's own callbackUrl: loopback,
//   link-local (169.254.169.254) and a name resolving to loopback are refused, nothing reached (a literal address up
//   front, 400 InvalidArgument "Private address is forbidden to callback." since the ninth SDK reading; a name when
//   sent, 203 CallbackFailed).
// - An upload names only its own bucket's policies: another bucket's name is 400 InvalidArgument, nothing stored; a
//   bucket deleted and made again by another account keeps no policy of the old one.
// - ?policy&comp=callback is signed: a presigned GetBucketPolicy URL with comp=callback appended, and a presigned
//   GetBucketCallbackPolicy URL with comp removed, are SignatureDoesNotMatch (comp is a V1 sub-resource).
// - PutBucketCallbackPolicy's XML: a field twice, elements in text, over 100 items, names over 128 characters, control
//   characters and lone surrogates by reference, DOCTYPE entities, blank or repeated names, unknown fields: all 400.
// - Put/Get/DeleteBucketCallbackPolicy are never granted by an ACL (anonymous on public-read-write: 403) and
//   need their own actions (oss:PutBucketPolicy alone is 403).
// - authenticated-read: anonymous reads refused (bucket listing and an object whose own ACL says it, under a
//   public-read bucket), signed writes of other identities refused, an STS session whose session policy does not
//   allow the read refused, another account's root reads, bucket and account Block Public Access refuse setting it;
//   SimulatePrincipalPolicy's decision and deciding layer agree with the requests. A multipart upload cannot carry
//   it past the block: InitiateMultipartUpload ignores x-oss-object-acl, CompleteMultipartUpload's is refused.
// - PutBucketReplication cannot carry the internal ClosingSince field (refused as not in the schema).
// - Console sign-in: a burst beyond the password-check queue (429) and clients hanging up mid-burst leave no place
//   taken: afterwards the right password signs in.
// - Listings: ListObjects, V2, versions and uploads pages equal a naive reference (test/listing-reference.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Ram, policyDoc } from './helpers/ram.js';
import { rawRequest, v1UrlParams } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import { signInPost } from './helpers/console-signin.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';
import { IP_MAX_FAILURES, PASSWORD_CHECKS_AT_ONCE, PASSWORD_CHECKS_QUEUED } from '../src/console/signin.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const CB_Q: Array<[string, string]> = [['policy', ''], ['comp', 'callback']];
const policyXml = (items: Array<[string, string]>): string =>
  `<BucketCallbackPolicy>${items.map(([n, cb]) => `<PolicyItem><PolicyName>${n}</PolicyName><Callback>${b64(cb)}</Callback><CallbackVar></CallbackVar></PolicyItem>`).join('')}</BucketCallbackPolicy>`;

describe('redteam wave 11: bucket callback policies', () => {
  let srv: TestServer;
  let target: Server;
  let hits = 0;
  let port = 0;
  const B = 'rt11-cb';
  const OTHER = 'rt11-cb-other';

  before(async () => {
    // Callbacks on, no allow-list: public addresses only (the server's default).
    srv = await startTestServer();
    target = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    port = (target.address() as { port: number }).port;
    succeeds(await signedRequest(srv.port, 'PUT', B, null, []));
    succeeds(await signedRequest(srv.port, 'PUT', OTHER, null, []));
  });
  after(async () => {
    await srv?.stop();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  it("a named policy's callback to loopback, link-local or a name of loopback is refused when sent, as an upload's own is", async () => {
    const urls = [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`, `http://[::ffff:127.0.0.1]:${port}/x`, 'http://169.254.169.254/latest/meta-data/', `127.0.0.1:${port}/bare`];
    const items = urls.map((u, i): [string, string] => [`p${i}`, JSON.stringify({ callbackUrl: u, callbackBody: 'bucket=${bucket}' })]);
    succeeds(await signedRequest(srv.port, 'PUT', B, null, CB_Q, { body: policyXml(items) }));
    for (let i = 0; i < urls.length; i++) {
      const put = await signedRequest(srv.port, 'PUT', B, `o${i}`, [], { body: 'x', headers: { 'x-oss-callback': b64(JSON.stringify({ callbackPolicy: `p${i}` })) } });
      if (urls[i]!.includes('localhost')) {
        failsWith(put, 'CallbackFailed', 203);
        assert.match(put.err?.Message ?? '', /not allowed/, urls[i]);
      } else {
        failsWith(put, 'InvalidArgument', 400);
        assert.equal(put.err?.Message, 'Private address is forbidden to callback.', urls[i]);
      }
    }
    assert.equal(hits, 0);
  });

  it("an upload cannot name another bucket's policy: 400 InvalidArgument, nothing stored", async () => {
    succeeds(await signedRequest(srv.port, 'PUT', OTHER, null, CB_Q, { body: policyXml([['theirs', JSON.stringify({ callbackUrl: 'http://example.com/', callbackBody: 'a=b' })]]) }));
    // B's own policy has no 'theirs'.
    failsWith(await signedRequest(srv.port, 'PUT', B, 'named-other', [], { body: 'x', headers: { 'x-oss-callback': b64('{"callbackPolicy":"theirs"}') } }), 'InvalidArgument', 400);
    failsWith(await signedRequest(srv.port, 'HEAD', B, 'named-other', []), 'NoSuchKey', 404);
  });

  it('?policy&comp=callback is signed: presigned GetBucketPolicy and GetBucketCallbackPolicy URLs do not turn into each other', async () => {
    const expires = Math.floor(Date.now() / 1000) + 600;
    const send = async (query: Array<[string, string]>): Promise<{ status: number; text: string }> => {
      const qs = query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
      const res = await rawRequest(srv.port, { method: 'GET', path: `/${B}/?${qs}`, headers: { host: `localhost:${srv.port}` } });
      return { status: res.status, text: res.body.toString('utf8') };
    };
    const forPolicy = v1UrlParams({ method: 'GET', bucket: B, key: null, query: [['policy', '']] }, AK, SECRET, expires);
    // Sanity: the URL as signed reaches GetBucketPolicy (none put: 404).
    assert.equal((await send([['policy', ''], ...forPolicy])).status, 404);
    const swapped = await send([['policy', ''], ['comp', 'callback'], ...forPolicy]);
    assert.equal(swapped.status, 403, swapped.text);
    assert.match(swapped.text, /SignatureDoesNotMatch/);
    const forCallback = v1UrlParams({ method: 'GET', bucket: B, key: null, query: CB_Q }, AK, SECRET, expires);
    assert.equal((await send([...CB_Q, ...forCallback])).status, 200);
    const dropped = await send([['policy', ''], ...forCallback]);
    assert.equal(dropped.status, 403, dropped.text);
    assert.match(dropped.text, /SignatureDoesNotMatch/);
  });

  it("a bucket deleted and made again (by another account) does not keep the old bucket's callback policy", async () => {
    const GONE = 'rt11-cb-gone';
    succeeds(await signedRequest(srv.port, 'PUT', GONE, null, []));
    succeeds(await signedRequest(srv.port, 'PUT', GONE, null, CB_Q, { body: policyXml([['old', JSON.stringify({ callbackUrl: 'http://example.com/', callbackBody: 'a=b' })]]) }));
    succeeds(await signedRequest(srv.port, 'DELETE', GONE, null, []), 204);
    const other = await srv.accounts.create({ name: 'rt11-cb-taker' });
    const creds: [string, string] = [other.accessKeyId, other.accessKeySecret];
    succeeds(await signedRequest(srv.port, 'PUT', GONE, null, [], { creds }));
    failsWith(await signedRequest(srv.port, 'GET', GONE, null, CB_Q, { creds }), 'BucketCallbackPolicyNotExist', 404);
    failsWith(await signedRequest(srv.port, 'PUT', GONE, 'k', [], { body: 'x', headers: { 'x-oss-callback': b64('{"callbackPolicy":"old"}') }, creds }), 'InvalidArgument', 400);
  });

  it('XML edge cases of PutBucketCallbackPolicy are refused, 100 items taken, and a CDATA name read back escaped', async () => {
    const item = (n: string, extra = ''): string => `<PolicyItem><PolicyName>${n}</PolicyName><Callback>e30=</Callback><CallbackVar></CallbackVar>${extra}</PolicyItem>`;
    const doc = (inner: string): string => `<BucketCallbackPolicy>${inner}</BucketCallbackPolicy>`;
    const cases: Array<[string, string, number, string]> = [
      ['a PolicyName twice in one item', doc('<PolicyItem><PolicyName>a</PolicyName><PolicyName>b</PolicyName></PolicyItem>'), 400, 'MalformedXML'],
      ['an element inside PolicyName', doc('<PolicyItem><PolicyName><x>a</x></PolicyName></PolicyItem>'), 400, 'MalformedXML'],
      ['101 items', doc(Array.from({ length: 101 }, (_, i) => item(`n${i}`)).join('')), 400, 'InvalidArgument'],
      ['a name of 129 characters', doc(item('x'.repeat(129))), 400, 'MalformedXML'],
      ['a control character by reference', doc(item('a&#1;b')), 400, 'InvalidArgument'],
      ['a lone surrogate by reference', doc(item('a&#xD800;b')), 400, 'MalformedXML'],
      ['a DOCTYPE with an entity', `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "xxxxxxxx">]>${doc(item('&e;'))}`, 400, 'MalformedXML'],
      ['text for an item', doc('<PolicyItem>abc</PolicyItem>'), 400, 'MalformedXML'],
      ['a blank name', doc(item('   ')), 400, 'InvalidArgument'],
      ['a name twice', doc(item('a') + item('a')), 400, 'InvalidArgument'],
      ['another root', `<Other>${item('a')}</Other>`, 400, 'MalformedXML'],
      ['an unknown field', doc(item('a', '<Extra/>')), 400, 'MalformedXML'],
    ];
    for (const [what, body, status, code] of cases) {
      const r = await signedRequest(srv.port, 'PUT', OTHER, null, CB_Q, { body });
      assert.deepEqual([r.status, r.err?.Code], [status, code], what);
    }
    succeeds(await signedRequest(srv.port, 'PUT', OTHER, null, CB_Q, { body: doc(Array.from({ length: 100 }, (_, i) => item(`n${i}`)).join('')) }));
    succeeds(await signedRequest(srv.port, 'PUT', OTHER, null, CB_Q, { body: doc(item('<![CDATA[c<d]]>')) }));
    assert.match(succeeds(await signedRequest(srv.port, 'GET', OTHER, null, CB_Q)).text, /<PolicyName>c&lt;d<\/PolicyName>/);
  });

  it('never granted by an ACL (anonymous on a public-read-write bucket), and not by oss:PutBucketPolicy/GetBucketPolicy', async () => {
    const PUB = 'rt11-cb-public';
    succeeds(await signedRequest(srv.port, 'PUT', PUB, null, [], { headers: { 'x-oss-acl': 'public-read-write' } }));
    for (const method of ['PUT', 'GET', 'DELETE']) {
      const res = await rawRequest(srv.port, { method, path: `/${PUB}/?policy&comp=callback`, headers: { host: `localhost:${srv.port}` }, ...(method === 'PUT' ? { body: policyXml([['x', '{}']]) } : {}) });
      assert.equal(res.status, 403, `${method} ${res.body.toString('utf8')}`);
    }
    const ram = new Ram(srv);
    const u = await ram.userWith('rt11-policy-admin', policyDoc({ Effect: 'Allow', Action: ['oss:PutBucketPolicy', 'oss:GetBucketPolicy', 'oss:DeleteBucketPolicy'], Resource: [`acs:oss:*:*:${B}`] }));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    failsWith(await signedRequest(srv.port, 'PUT', B, null, CB_Q, { creds, body: policyXml([['x', '{}']]) }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', B, null, CB_Q, { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'DELETE', B, null, CB_Q, { creds }), 'AccessDenied', 403);
    // The policy put in the first test is still there.
    assert.match(succeeds(await signedRequest(srv.port, 'GET', B, null, CB_Q)).text, /<PolicyName>p0<\/PolicyName>/);
  });

  it('an explicit Deny on each callback-policy action wins over oss:* and leaves the stored policy as it was', async () => {
    const D = 'rt11-cb-deny';
    succeeds(await signedRequest(srv.port, 'PUT', D, null, []));
    succeeds(await signedRequest(srv.port, 'PUT', D, null, CB_Q, { body: policyXml([['kept', '{}']]) }));
    const ram = new Ram(srv);
    const actions = ['oss:PutBucketCallbackPolicy', 'oss:GetBucketCallbackPolicy', 'oss:DeleteBucketCallbackPolicy'];
    const u = await ram.userWith('rt11-cb-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: actions, Resource: [`acs:oss:*:*:${D}`] },
    ));
    const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
    const stored = succeeds(await signedRequest(srv.port, 'GET', D, null, CB_Q)).text;
    assert.match(stored, /<PolicyName>kept<\/PolicyName>/);
    failsWith(await signedRequest(srv.port, 'PUT', D, null, CB_Q, { creds, body: policyXml([['hijack', '{}']]) }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', D, null, CB_Q, { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'DELETE', D, null, CB_Q, { creds }), 'AccessDenied', 403);
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', D, null, CB_Q)).text, stored);
    // The Allow is real: the same user writes objects in that bucket.
    succeeds(await signedRequest(srv.port, 'PUT', D, 'by-denied-user', [], { creds, body: 'x' }));
  });
});

describe('redteam wave 11: the authenticated-read ACL', () => {
  let srv: TestServer;
  const B = 'rt11-authread';
  const OTHER_ACCOUNT = '2234567890123456';
  const OTHER_AK = 'LTAI5tOtherAccountKey11';
  const OTHER_SECRET = 'OtherSecretOtherSecretOtherSe1';

  before(async () => {
    srv = await startTestServer();
    await srv.accounts.create({ accountId: OTHER_ACCOUNT, name: 'rt11-other', accessKeyId: OTHER_AK, accessKeySecret: OTHER_SECRET });
    succeeds(await signedRequest(srv.port, 'PUT', B, null, [], { headers: { 'x-oss-acl': 'authenticated-read' } }));
    succeeds(await signedRequest(srv.port, 'PUT', B, 'o', [], { body: 'data' }));
  });
  after(() => srv?.stop());

  it('anonymous callers read nothing: not the listing, not an object, not one whose own ACL says it under a public-read bucket', async () => {
    assert.equal((await rawRequest(srv.port, { method: 'GET', path: `/${B}/`, headers: { host: `localhost:${srv.port}` } })).status, 403);
    assert.equal((await rawRequest(srv.port, { method: 'GET', path: `/${B}/o`, headers: { host: `localhost:${srv.port}` } })).status, 403);
    const PUB = 'rt11-authread-pub';
    succeeds(await signedRequest(srv.port, 'PUT', PUB, null, [], { headers: { 'x-oss-acl': 'public-read' } }));
    succeeds(await signedRequest(srv.port, 'PUT', PUB, 'k', [], { body: 'k', headers: { 'x-oss-object-acl': 'authenticated-read' } }));
    succeeds(await signedRequest(srv.port, 'PUT', PUB, 'open', [], { body: 'k' }));
    assert.equal((await rawRequest(srv.port, { method: 'GET', path: `/${PUB}/k`, headers: { host: `localhost:${srv.port}` } })).status, 403);
    assert.equal((await rawRequest(srv.port, { method: 'GET', path: `/${PUB}/open`, headers: { host: `localhost:${srv.port}` } })).status, 200);
    // Signed by another account's root: the object ACL grants the read.
    succeeds(await signedRequest(srv.port, 'GET', PUB, 'k', [], { creds: [OTHER_AK, OTHER_SECRET] }));
  });

  it("another account's root reads and lists, but writes nothing, reads no ACL and no bucket configuration", async () => {
    const creds: [string, string] = [OTHER_AK, OTHER_SECRET];
    assert.equal(succeeds(await signedRequest(srv.port, 'GET', B, 'o', [], { creds })).text, 'data');
    succeeds(await signedRequest(srv.port, 'GET', B, null, [], { creds }));
    failsWith(await signedRequest(srv.port, 'PUT', B, 'w', [], { creds, body: 'x' }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'DELETE', B, 'o', [], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'PUT', B, 'o', [['acl', '']], { creds, headers: { 'x-oss-object-acl': 'public-read-write' } }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['acl', '']], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', B, 'o', [['acl', '']], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['policy', '']], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'POST', B, 'w', [['uploads', '']], { creds }), 'AccessDenied', 403);
  });

  it("an STS session whose session policy does not allow the read is refused; a RAM user's explicit Deny is too", async () => {
    const ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'rt11-reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    // Root keys cannot assume roles: a user allowed to.
    const assumer = await ram.userWith('rt11-assumer', policyDoc({ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }));
    const session = (await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), {
      RoleArn: roleArn('rt11-reader'), RoleSessionName: 'rt11-s', Policy: policyDoc({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['*'] }),
    })).Credentials as { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string };
    const headers = { 'x-oss-security-token': session.SecurityToken };
    const creds: [string, string] = [session.AccessKeyId, session.AccessKeySecret];
    failsWith(await signedRequest(srv.port, 'GET', B, 'o', [], { creds, headers }), 'AccessDenied', 403);
    // A session whose session policy allows the read: the ACL grants it (the role itself has no policy).
    const reading = (await assumeRole(stsClient(srv, assumer.accessKeyId, assumer.accessKeySecret), {
      RoleArn: roleArn('rt11-reader'), RoleSessionName: 'rt11-r', Policy: policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['*'] }),
    })).Credentials as { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string };
    succeeds(await signedRequest(srv.port, 'GET', B, 'o', [], { creds: [reading.AccessKeyId, reading.AccessKeySecret], headers: { 'x-oss-security-token': reading.SecurityToken } }));
    failsWith(await signedRequest(srv.port, 'PUT', B, 'w', [], { body: 'x', creds: [reading.AccessKeyId, reading.AccessKeySecret], headers: { 'x-oss-security-token': reading.SecurityToken } }), 'AccessDenied', 403);
    const denied = await ram.userWith('rt11-denied', policyDoc({ Effect: 'Deny', Action: ['oss:GetObject'], Resource: ['*'] }));
    failsWith(await signedRequest(srv.port, 'GET', B, 'o', [], { creds: [denied.accessKeyId, denied.accessKeySecret] }), 'AccessDenied', 403);
    // A user with no policy at all reads, as the ACL says.
    const plain = await ram.user('rt11-plain');
    succeeds(await signedRequest(srv.port, 'GET', B, 'o', [], { creds: [plain.accessKeyId, plain.accessKeySecret] }));
  });

  it('SimulatePrincipalPolicy agrees with the requests: a user without policies reads (the ACL decides), writes nothing; a narrowing session policy refuses', async () => {
    const ram = new Ram(srv);
    const u = await ram.user('rt11-sim');
    type Sim = { Decision: string; Trace: { DecidingLayer?: string } };
    const sim = async (p: Record<string, string>): Promise<Sim> => (await ram.call('SimulatePrincipalPolicy', p)).EvaluationResult as Sim;
    const read = await sim({ UserName: u.userName, ActionName: 'oss:GetObject', Resource: `acs:oss:*:*:${B}/o` });
    assert.deepEqual([read.Decision, read.Trace.DecidingLayer], ['Allow', 'acl']);
    succeeds(await signedRequest(srv.port, 'GET', B, 'o', [], { creds: [u.accessKeyId, u.accessKeySecret] }));
    const write = await sim({ UserName: u.userName, ActionName: 'oss:PutObject', Resource: `acs:oss:*:*:${B}/o` });
    assert.deepEqual([write.Decision, write.Trace.DecidingLayer], ['ImplicitDeny', 'acl']);
    failsWith(await signedRequest(srv.port, 'PUT', B, 'o', [], { body: 'x', creds: [u.accessKeyId, u.accessKeySecret] }), 'AccessDenied', 403);
    await ram.call('CreateRole', { RoleName: 'rt11-sim-role', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    const narrowed = await sim({ RoleName: 'rt11-sim-role', ActionName: 'oss:GetObject', Resource: `acs:oss:*:*:${B}/o`, SessionPolicy: policyDoc({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['*'] }) });
    assert.deepEqual([narrowed.Decision, narrowed.Trace.DecidingLayer], ['ImplicitDeny', 'session']);
  });

  it('Block Public Access: the bucket refuses setting it and then counts it as private; the account refuses it on PutBucket', async () => {
    const BPA = 'rt11-authread-bpa';
    succeeds(await signedRequest(srv.port, 'PUT', BPA, null, [], { headers: { 'x-oss-acl': 'authenticated-read' } }));
    succeeds(await signedRequest(srv.port, 'PUT', BPA, 'o', [], { body: 'x', headers: { 'x-oss-object-acl': 'authenticated-read' } }));
    const creds: [string, string] = [OTHER_AK, OTHER_SECRET];
    succeeds(await signedRequest(srv.port, 'GET', BPA, 'o', [], { creds }));
    succeeds(await signedRequest(srv.port, 'PUT', BPA, null, [['publicAccessBlock', '']], { body: '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>' }));
    failsWith(await signedRequest(srv.port, 'GET', BPA, 'o', [], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', BPA, null, [], { creds }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'PUT', BPA, null, [['acl', '']], { headers: { 'x-oss-acl': 'authenticated-read' } }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'PUT', BPA, 'o', [['acl', '']], { headers: { 'x-oss-object-acl': 'authenticated-read' } }), 'AccessDenied', 403);
    // A multipart upload: InitiateMultipartUpload ignores x-oss-object-acl (as OSS does); the completion's is refused.
    const init = succeeds(await signedRequest(srv.port, 'POST', BPA, 'm', [['uploads', '']], { headers: { 'x-oss-object-acl': 'authenticated-read' } }));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = succeeds(await signedRequest(srv.port, 'PUT', BPA, 'm', [['partNumber', '1'], ['uploadId', uploadId]], { body: 'part' }));
    const complete = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers.etag)}</ETag></Part></CompleteMultipartUpload>`;
    failsWith(await signedRequest(srv.port, 'POST', BPA, 'm', [['uploadId', uploadId]], { body: complete, headers: { 'x-oss-object-acl': 'authenticated-read' } }), 'AccessDenied', 403);
    succeeds(await signedRequest(srv.port, 'POST', BPA, 'm', [['uploadId', uploadId]], { body: complete }));
    assert.match(succeeds(await signedRequest(srv.port, 'GET', BPA, 'm', [['acl', '']])).text, /<Grant>default<\/Grant>/);
    // The account's own block: a new bucket cannot be created authenticated-read.
    succeeds(await signedRequest(srv.port, 'PUT', null, null, [['publicAccessBlock', '']], { body: '<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></PublicAccessBlockConfiguration>' }));
    failsWith(await signedRequest(srv.port, 'PUT', 'rt11-authread-acct', null, [], { headers: { 'x-oss-acl': 'authenticated-read' } }), 'AccessDenied', 403);
    failsWith(await signedRequest(srv.port, 'GET', B, 'o', [], { creds }), 'AccessDenied', 403);
    succeeds(await signedRequest(srv.port, 'DELETE', null, null, [['publicAccessBlock', '']]), 204);
    succeeds(await signedRequest(srv.port, 'GET', B, 'o', [], { creds }));
  });
});

describe('redteam wave 11: replication rules cannot carry the internal closing time', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    succeeds(await signedRequest(srv.port, 'PUT', 'rt11-repl', null, []));
  });
  after(() => srv?.stop());

  it('PutBucketReplication with a ClosingSince element is refused, so a rule cannot be made to vanish or read closing', async () => {
    const body = (extra: string): string => `<ReplicationConfiguration><Rule><ID>r1</ID>${extra}<Destination><Bucket>rt11-dest</Bucket><Location>oss-cn-hangzhou</Location></Destination></Rule></ReplicationConfiguration>`;
    const put = await signedRequest(srv.port, 'POST', 'rt11-repl', null, [['replication', ''], ['comp', 'add']], { body: body('<ClosingSince>0</ClosingSince>') });
    assert.equal(put.status, 400, put.text);
    assert.match(put.text, /ClosingSince/);
    const status = await signedRequest(srv.port, 'POST', 'rt11-repl', null, [['replication', ''], ['comp', 'add']], { body: body('<Status>closing</Status>') });
    if (status.status === 200) assert.match(succeeds(await signedRequest(srv.port, 'GET', 'rt11-repl', null, [['replication', '']])).text, /<Status>starting<\/Status>/);
  });
});

describe('redteam wave 11: console sign-in gives back every place it takes', () => {
  let srv: TestServer;
  const PASSWORD = 'Rt11-Correct-Passw0rd!';
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv?.stop());

  it('after a burst beyond the password-check queue (429s) and clients hanging up mid-burst, the right password signs in', async () => {
    const ram = new Ram(srv);
    await ram.user('rt11-signer');
    await ram.call('CreateLoginProfile', { UserName: 'rt11-signer', Password: PASSWORD });
    // Unknown names from one address: each takes an address place, a name place and a hash slot or a place in the
    // queue. 44 at once: 34 checked (2 + 32 queued), 10 answered 429; 37 failures with the hang-ups, under the
    // address's 50, so the right password from the same address must be checked afterwards.
    const n = PASSWORD_CHECKS_AT_ONCE + PASSWORD_CHECKS_QUEUED + 10;
    assert.ok(n + 3 < IP_MAX_FAILURES);
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => signInPost(srv.url, '', { logonName: `rt11-nobody-${i}`, password: 'wrong' })));
    assert.ok(answers.some((a) => a.status === 429), 'the queue overflowed');
    // Clients that hang up right after sending.
    await Promise.all(Array.from({ length: 3 }, async (_, i) => {
      const ac = new AbortController();
      const p = fetch(`${srv.url}/-/console/api/signin`, {
        method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json', origin: srv.url },
        body: JSON.stringify({ logonName: `rt11-gone-${i}`, password: 'wrong' }),
      }).catch(() => null);
      setImmediate(() => ac.abort());
      await p;
    }));
    // Two at once, so both hash slots must be free again (a leaked slot would queue or refuse one).
    const ok = await Promise.all([0, 1].map(() => signInPost(srv.url, '', { logonName: 'rt11-signer', password: PASSWORD })));
    for (const a of ok) assert.equal(a.status, 200, JSON.stringify(a));
  });
});
