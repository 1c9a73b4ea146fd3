// V4 signatures exactly as the official V2 SDKs (alibabacloud-oss-go-sdk-v2 oss/signer/v4.go,
// alibabacloud-oss-python-sdk-v2 alibabacloud_oss_v2/signer/v4.py) compute them (test/helpers/sdk-v2-signer.ts,
// independent of src/auth), sent to a real server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { Ram, policyDoc } from './helpers/ram.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { dotnetQueryEscape, presign, signHeader, type Creds, type SdkRequest } from './helpers/sdk-v2-signer.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'v2-sdk-v4';

describe('V4 signatures as the V2 SDKs (Go v2, Python v2) compute them', () => {
  let srv: TestServer;
  let sts: StsCredentials;
  const root: Creds = { ak: AK, secret: SECRET };
  const host = (): string => `127.0.0.1:${srv.port}`;

  async function send(r: SdkRequest, c: Creds = root): Promise<RawResponse & { canonical: string }> {
    const s = signHeader(r, c);
    const body = r.body;
    const headers = { ...s.headers, host: host(), ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const res = await rawRequest(srv.port, { method: r.method, path: s.path, headers, body });
    return { ...res, canonical: s.canonical };
  }

  const ok = (res: RawResponse & { canonical?: string }, status = 200): void => {
    assert.equal(res.status, status, `${res.status} ${res.body.toString('utf8').slice(0, 600)}\n--- canonical request (client) ---\n${res.canonical ?? ''}`);
  };

  before(async () => {
    srv = await startTestServer();
    ok(await send({ method: 'PUT', bucket: BUCKET, key: null }));
    const ram = new Ram(srv);
    await ram.call('CreateRole', { RoleName: 'v2sdk', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.createPolicy('v2sdk-oss', policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'v2sdk-oss', RoleName: 'v2sdk' });
    const user = await ram.userWith('v2sdk-user', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('v2sdk') }));
    const body = await assumeRole(stsClient(srv, user.accessKeyId, user.accessKeySecret), { RoleArn: roleArn('v2sdk'), RoleSessionName: 'v2sdk', DurationSeconds: 3600 });
    sts = body.Credentials as StsCredentials;
  });

  after(async () => {
    await srv?.stop();
  });

  const KEYS = [
    'plain.txt',
    'dir/sub dir/file name.txt',
    'a+b=c&d.txt',
    "special !'()*~@$,;:.txt",
    '中文/日本語/ü é.txt',
    'percent%2Fnot-a-slash%25.txt',
    'dir/',
    'q?x#y.txt',
  ];

  for (const key of KEYS) {
    it(`PutObject / GetObject / HeadObject / DeleteObject of ${JSON.stringify(key)}`, async () => {
      const body = `body of ${key}`;
      const md5 = createHash('md5').update(body).digest('base64');
      ok(await send({ method: 'PUT', bucket: BUCKET, key, body, headers: { 'Content-Type': 'text/plain', 'Content-MD5': md5, 'x-oss-meta-Name': '  spaced value  ' } }));
      const got = await send({ method: 'GET', bucket: BUCKET, key });
      ok(got);
      assert.equal(got.body.toString('utf8'), body);
      assert.equal(got.headers['x-oss-meta-name'], 'spaced value');
      ok(await send({ method: 'HEAD', bucket: BUCKET, key }));
      ok(await send({ method: 'DELETE', bucket: BUCKET, key }), 204);
    });
  }

  it('ListObjectsV2 with prefix, delimiter "/", an empty continuation, encoding-type and unicode start-after', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'list/a b/1.txt', body: 'x' }));
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'list/中/2.txt', body: 'x' }));
    const res = await send({ method: 'GET', bucket: BUCKET, key: null, params: [['list-type', '2'], ['prefix', 'list/'], ['delimiter', '/'], ['max-keys', '100'], ['encoding-type', 'url'], ['start-after', 'list/0+0'], ['fetch-owner', 'true']] });
    ok(res);
    assert.match(res.body.toString('utf8'), /<CommonPrefixes><Prefix>list%2Fa%20b%2F<\/Prefix>/);
    // Python v2 sends parameters whose value is '' as k= (urlencode); they sign bare k.
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: null, params: [['prefix', ''], ['delimiter', '/']] }, root);
    const withEquals = s.path.replace('?prefix&', '?prefix=&');
    ok({ ...(await rawRequest(srv.port, { method: 'GET', path: withEquals, headers: { ...s.headers, host: host() } })), canonical: s.canonical });
  });

  it('sub-resources: ?acl (bare), ?tagging, ?uploads, ?uploadId&partNumber, ?versioning, ?objectMeta', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', body: 'x' }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['acl', '']] }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: 'sub/x.txt', params: [['acl', '']] }));
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', params: [['acl', '']], headers: { 'x-oss-object-acl': 'private' } }));
    const tagging = '<Tagging><TagSet><Tag><Key>k</Key><Value>v 1</Value></Tag></TagSet></Tagging>';
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/x.txt', params: [['tagging', '']], body: tagging, headers: { 'Content-MD5': createHash('md5').update(tagging).digest('base64') } }));
    ok(await send({ method: 'HEAD', bucket: BUCKET, key: 'sub/x.txt', params: [['objectMeta', '']] }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['versioning', '']] }));
    const init = await send({ method: 'POST', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploads', ''], ['encoding-type', 'url']], headers: { 'Content-Type': 'application/octet-stream' } });
    ok(init);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString('utf8'))![1]!;
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sub/mp +.bin', params: [['partNumber', '1'], ['uploadId', uploadId]], body: 'part' }));
    ok(await send({ method: 'GET', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploadId', uploadId], ['encoding-type', 'url']] }));
    ok(await send({ method: 'DELETE', bucket: BUCKET, key: 'sub/mp +.bin', params: [['uploadId', uploadId]] }), 204);
  });

  it('response-* overrides with spaces, quotes, + and unicode in the value', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'resp.txt', body: 'x' }));
    const res = await send({ method: 'GET', bucket: BUCKET, key: 'resp.txt', params: [['response-content-disposition', 'attachment; filename="a b+中.txt"'], ['response-content-type', 'text/plain;charset=utf-8']] });
    ok(res);
    assert.equal(res.headers['content-type'], 'text/plain;charset=utf-8');
  });

  it('AdditionalHeaders (Config.AdditionalHeaders): present ones signed and listed sorted, absent and default-signed ones skipped', async () => {
    const res = await send({
      method: 'PUT', bucket: BUCKET, key: 'additional.txt', body: 'x',
      headers: { 'User-Agent': 'aliyun-sdk-go/v1.2.0 (linux/amd64)', 'Cache-Control': 'no-cache', 'x-oss-meta-a': '1' },
      additional: ['User-Agent', 'cache-control', 'x-oss-meta-a', 'content-disposition', 'host'],
    });
    ok(res);
    assert.match(res.canonical, /\ncache-control;user-agent\nUNSIGNED-PAYLOAD$/);
    // A changed signed additional header is refused.
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: 'additional.txt', headers: { 'User-Agent': 'one' }, additional: ['user-agent'] }, root);
    const tampered = await rawRequest(srv.port, { method: 'GET', path: s.path, headers: { ...s.headers, 'user-agent': 'two', host: host() } });
    assert.equal(tampered.status, 403);
    assert.equal(errorOf(tampered)?.Code, 'SignatureDoesNotMatch');
  });

  it('STS credentials: x-oss-security-token header signed as an x-oss-* header', async () => {
    const c: Creds = { ak: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken };
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'sts/中 1.txt', body: 'sts', headers: { 'Content-Type': 'text/plain' } }, c));
    const got = await send({ method: 'GET', bucket: BUCKET, key: 'sts/中 1.txt' }, c);
    ok(got);
    assert.equal(got.body.toString('utf8'), 'sts');
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['prefix', 'sts/'], ['list-type', '2']] }, c));
  });

  it('presigned V4 URLs (Presign): GET of unicode and + keys, PUT with a signed Content-Type and x-oss-meta, STS token, additional headers', async () => {
    ok(await send({ method: 'PUT', bucket: BUCKET, key: 'pre/a+b 中.txt', body: 'presigned' }));
    const get = await rawRequest(srv.port, { method: 'GET', path: presign({ method: 'GET', bucket: BUCKET, key: 'pre/a+b 中.txt' }, root, 900), headers: { host: host() } });
    assert.equal(get.status, 200, get.body.toString('utf8'));
    assert.equal(get.body.toString('utf8'), 'presigned');

    const withResp = presign({ method: 'GET', bucket: BUCKET, key: 'pre/a+b 中.txt', params: [['response-content-disposition', 'attachment; filename="x y.txt"']] }, root, 60);
    const r2 = await rawRequest(srv.port, { method: 'GET', path: withResp, headers: { host: host() } });
    assert.equal(r2.status, 200, r2.body.toString('utf8'));
    assert.equal(r2.headers['content-disposition'], 'attachment; filename="x y.txt"');

    const putHeaders = { 'Content-Type': 'text/plain', 'x-oss-meta-who': 'presign' };
    const put = presign({ method: 'PUT', bucket: BUCKET, key: 'pre/put.txt', headers: putHeaders }, root, 600);
    const p = await rawRequest(srv.port, { method: 'PUT', path: put, headers: { ...putHeaders, host: host(), 'content-length': '3' }, body: 'abc' });
    assert.equal(p.status, 200, p.body.toString('utf8'));
    const wrongType = await rawRequest(srv.port, { method: 'PUT', path: put, headers: { 'content-type': 'text/html', 'x-oss-meta-who': 'presign', host: host(), 'content-length': '3' }, body: 'abc' });
    assert.equal(wrongType.status, 403);

    const c: Creds = { ak: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken };
    const stsGet = await rawRequest(srv.port, { method: 'GET', path: presign({ method: 'GET', bucket: BUCKET, key: 'pre/put.txt' }, c, 300), headers: { host: host() } });
    assert.equal(stsGet.status, 200, stsGet.body.toString('utf8'));

    const addl = presign({ method: 'GET', bucket: BUCKET, key: 'pre/put.txt', headers: { 'User-Agent': 'sdk-ua' }, additional: ['user-agent'] }, root, 300);
    assert.match(addl, /x-oss-additional-headers=user-agent/);
    const a1 = await rawRequest(srv.port, { method: 'GET', path: addl, headers: { host: host(), 'user-agent': 'sdk-ua' } });
    assert.equal(a1.status, 200, a1.body.toString('utf8'));
    const a2 = await rawRequest(srv.port, { method: 'GET', path: addl, headers: { host: host(), 'user-agent': 'other' } });
    assert.equal(a2.status, 403);
    // Sent without the headers it names: 400 InvalidArgument before any signature check (the Go SDK v2's TestPresignExtra).
    const a3 = await rawRequest(srv.port, { method: 'GET', path: addl, headers: { host: host() } });
    assert.equal(a3.status, 400, a3.body.toString('utf8'));
    assert.equal(errorOf(a3)?.Code, 'InvalidArgument');
  });

  it('the .NET SDK v2 signs the query as it sends it (`!*()` unescaped, `~` as %7E): header and presigned requests accepted, a changed value refused', async () => {
    const key = 'dotnet/photo (1)!*~.jpg';
    ok(await send({ method: 'PUT', bucket: BUCKET, key, body: 'dotnet' }));
    const params: Array<[string, string]> = [['prefix', 'dotnet/photo (1)!*~'], ['max-keys', '10'], ['marker', 'dotnet/(0)']];
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: null, params }, root, Date.now(), dotnetQueryEscape);
    assert.match(s.path, /prefix=dotnet%2Fphoto%20\(1\)!\*%7E/);
    const list = await rawRequest(srv.port, { method: 'GET', path: s.path, headers: { ...s.headers, host: host() } });
    ok({ ...list, canonical: s.canonical });
    assert.match(list.body.toString('utf8'), /<Key>dotnet\/photo \(1\)!\*~\.jpg<\/Key>/);
    // The same signature over a changed value (2 for 1) is still refused: the form as sent covers the value too.
    const tampered = await rawRequest(srv.port, { method: 'GET', path: s.path.replace('(1)', '(2)'), headers: { ...s.headers, host: host() } });
    assert.equal(tampered.status, 403);
    assert.equal(errorOf(tampered)?.Code, 'SignatureDoesNotMatch');

    const url = presign({ method: 'GET', bucket: BUCKET, key, params: [['response-content-disposition', 'attachment; filename="photo (1).jpg"']] }, root, 300, Date.now(), dotnetQueryEscape);
    assert.match(url, /filename%3D%22photo%20\(1\)\.jpg%22/);
    const got = await rawRequest(srv.port, { method: 'GET', path: url, headers: { host: host() } });
    assert.equal(got.status, 200, got.body.toString('utf8'));
    assert.equal(got.body.toString('utf8'), 'dotnet');
    assert.equal(got.headers['content-disposition'], 'attachment; filename="photo (1).jpg"');
    const changed = await rawRequest(srv.port, { method: 'GET', path: url.replace('(1)', '(2)'), headers: { host: host() } });
    assert.equal(changed.status, 403);
  });

  it('an Authorization naming an AdditionalHeader the request lacks: 400 InvalidArgument, EC 0002-00000211', async () => {
    const s = signHeader({ method: 'GET', bucket: BUCKET, key: 'additional.txt', headers: { Range: 'bytes=0-0' }, additional: ['range'] }, root);
    assert.match(s.headers.authorization ?? s.headers.Authorization ?? '', /AdditionalHeaders=range/);
    const { range: _r, Range: _R, ...without } = s.headers;
    const res = await rawRequest(srv.port, { method: 'GET', path: s.path, headers: { ...without, host: host() } });
    assert.equal(res.status, 400, res.body.toString('utf8'));
    assert.equal(errorOf(res)?.Code, 'InvalidArgument');
    assert.equal(errorOf(res)?.EC, '0002-00000211');
  });

  it('service-level ListBuckets (canonical URI "/") and bucket-level GetBucketInfo ("/bucket/")', async () => {
    const list = await send({ method: 'GET', bucket: null, key: null, params: [['prefix', 'v2-'], ['max-keys', '10']] });
    ok(list);
    assert.match(list.body.toString('utf8'), /<Name>v2-sdk-v4<\/Name>/);
    ok(await send({ method: 'GET', bucket: BUCKET, key: null, params: [['bucketInfo', '']] }));
  });
});
