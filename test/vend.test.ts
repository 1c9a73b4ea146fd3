// The token vending service (`alunite vend`, src/vend/) in-process against a real Alunite server: log-in,
// /sts/token in users and JWT modes, per-user isolation enforced by the server through ali-oss, grants,
// template injection refused, cache, rate limit, STS failures, the vending user's own (lack of) rights.
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { denied, MSG, popFails } from './helpers/ram.js';
import { ACCOUNT_ID } from './helpers/server.js';
import { ossWith, stsClient, type StsCredentials } from './helpers/sts.js';
import { appWorld, AUTHORIZER, BUCKET, configDoc, makeJwt, startVendFor, USER_TEMPLATE, usersFile, type AppWorld, type Vend } from './helpers/vend.js';

const TOKEN_KEYS = ['AccessKeyId', 'AccessKeySecret', 'Expiration', 'SecurityToken', 'StatusCode'];

function creds(body: Record<string, unknown>): StsCredentials {
  assert.deepEqual(Object.keys(body).sort(), TOKEN_KEYS, JSON.stringify(body));
  assert.equal(body.StatusCode, '200');
  return body as unknown as StsCredentials;
}

function vendError(r: { status: number; body: Record<string, unknown> }, status: number, code: string, message?: RegExp): void {
  assert.deepEqual(Object.keys(r.body).sort(), ['ErrorCode', 'ErrorMessage', 'StatusCode'], JSON.stringify(r.body));
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.StatusCode, String(status));
  assert.equal(r.body.ErrorCode, code, String(r.body.ErrorMessage));
  if (message) assert.match(String(r.body.ErrorMessage), message);
}

/** The policy vend renders for `user` with the default template (same JSON.stringify of the same object). */
const renderedFor = (user: string): string => JSON.stringify(JSON.parse(JSON.stringify(USER_TEMPLATE).replaceAll('${bucket}', BUCKET).replaceAll('${user}', user)));

describe('vend, auth mode users', () => {
  let world: AppWorld;
  let vend: Vend;
  let usersPath: string;

  before(async () => {
    world = await appWorld();
    usersPath = await usersFile(world.dir, { usr001: 'staff', usr002: undefined, usr003: 'other' });
    vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }));
    await world.srv.client({ bucket: BUCKET }).put('usr002/private.txt', Buffer.from('usr002 only'));
  });
  after(async () => {
    await vend.close();
    await world.stop();
  });

  it('POST /login: {token, expiresIn}; wrong password and unknown user get the same 401 answer', async () => {
    const ok = await vend.post('/login', { username: 'usr001', password: 'pw-usr001' });
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['expiresIn', 'token']);
    assert.equal(ok.body.expiresIn, 3600);
    assert.match(String(ok.body.token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const wrongPw = await vend.post('/login', { username: 'usr001', password: 'pw-usr002' });
    const noUser = await vend.post('/login', { username: 'nobody', password: 'pw-usr001' });
    vendError(wrongPw, 401, 'InvalidCredentials');
    assert.deepEqual(noUser, { ...wrongPw, headers: noUser.headers });
    assert.deepEqual(noUser.body, wrongPw.body);
    vendError(await vend.post('/login', { username: 'usr001' }), 401, 'InvalidCredentials');
    const notJson = await fetch(`${vend.url}/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'usr001:pw' });
    assert.equal(notJson.status, 415);
    vendError(await vend.get('/login'), 405, 'MethodNotAllowed');
  });

  it('GET /sts/token: the exact OSSAuthCredentialsProvider JSON, no-store; missing or bad bearer → 401', async () => {
    const token = await vend.login('usr001');
    const r = await vend.get('/sts/token', token);
    assert.equal(r.status, 200);
    const c = creds(r.body);
    assert.match(c.AccessKeyId, /^STS\./);
    assert.match(c.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(c.Expiration) - (Date.now() + 900_000)) < 5000);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const missing = await vend.get('/sts/token');
    vendError(missing, 401, 'MissingToken');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="alunite-vend"');
    vendError(await vend.get('/sts/token', 'not-a-jwt'), 401, 'InvalidToken', /malformed/);
    // A login token with a changed payload (another user) fails the signature.
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ iss: 'alunite-vend', aud: 'alunite-vend', sub: 'usr002', exp: 4e9 })).toString('base64url')}.${s}`;
    vendError(await vend.get('/sts/token', forged), 401, 'InvalidToken', /signature/);
    vendError(await vend.get('/nowhere', token), 404, 'NotFound');
  });

  it('isolation is enforced by the server: usr001 reads and writes usr001/*, gets AccessDenied on usr002/* and outside its prefix', async () => {
    const c = creds((await vend.get('/sts/token', await vend.login('usr001'))).body);
    for (const v4 of [false, true]) {
      const oss = ossWith(world.srv, c, BUCKET, { authorizationV4: v4 });
      assert.equal((await oss.put('usr001/a.txt', Buffer.from('mine'))).res.status, 200);
      assert.equal((await oss.get('usr001/a.txt')).content.toString(), 'mine');
      assert.deepEqual((await oss.list({ prefix: 'usr001/', 'max-keys': 10 }, {})).objects.map((o) => o.name), ['usr001/a.txt']);
      await denied(oss.put('usr002/a.txt', Buffer.from('not mine')), AUTHORIZER);
      await denied(oss.get('usr002/private.txt'), AUTHORIZER);
      await denied(oss.list({ prefix: 'usr002/', 'max-keys': 10 }, {}), AUTHORIZER);
      await denied(oss.list({ 'max-keys': 10 }, {}), AUTHORIZER);
      await denied(oss.put('a.txt', Buffer.from('top level')), AUTHORIZER);
    }
    const root = world.srv.client({ bucket: BUCKET });
    assert.equal((await root.get('usr002/private.txt')).content.toString(), 'usr002 only');
    await assert.rejects(root.head('usr002/a.txt'));
  });

  it('RoleSessionName is the app user id; one JSON log line per issuance, without secrets', async () => {
    const token = await vend.login('usr002');
    const before = vend.logs.length;
    const c = creds((await vend.get('/sts/token', token)).body);
    const who = await stsClient(world.srv, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken).request<Record<string, string>>('GetCallerIdentity', {}, { method: 'POST' });
    assert.equal(who.Arn, `acs:ram::${ACCOUNT_ID}:assumed-role/appuser/usr002`);
    const lines = vend.logs.slice(before);
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.msg, 'vend: credentials issued');
    assert.equal(line.user, 'usr002');
    assert.equal(line.roleSessionName, 'usr002');
    assert.equal(line.grant, 'default');
    assert.equal(line.expiration, c.Expiration);
    assert.equal(line.policySha256, createHash('sha256').update(renderedFor('usr002')).digest('hex'));
    const all = JSON.stringify(vend.logs);
    for (const secret of [c.AccessKeySecret, c.SecurityToken, token, 'pw-usr002', world.vendUser.accessKeySecret]) assert.ok(!all.includes(secret));
  });

  it('grants: ?grant=read-only cannot write; unknown grant → 400 InvalidGrant; group-only grant → 403 GrantNotAllowed', async () => {
    const t1 = await vend.login('usr001');
    const ro = creds((await vend.get('/sts/token?grant=read-only', t1)).body);
    const oss = ossWith(world.srv, ro, BUCKET);
    assert.equal((await oss.get('usr001/a.txt')).content.toString(), 'mine');
    await denied(oss.put('usr001/b.txt', Buffer.from('x')), AUTHORIZER);
    vendError(await vend.get('/sts/token?grant=admin', t1), 400, 'InvalidGrant', /no grant "admin"/);
    // team: ${group} → teams/staff/*, only for group staff.
    const team = creds((await vend.get('/sts/token?grant=team', t1)).body);
    assert.equal((await ossWith(world.srv, team, BUCKET).put('teams/staff/plan.txt', Buffer.from('p'))).res.status, 200);
    await denied(ossWith(world.srv, team, BUCKET).put('teams/other/plan.txt', Buffer.from('p')), AUTHORIZER);
    vendError(await vend.get('/sts/token?grant=team', await vend.login('usr002')), 403, 'GrantNotAllowed');
    vendError(await vend.get('/sts/token?grant=team', await vend.login('usr003')), 403, 'GrantNotAllowed');
  });

  it('cache: the same credentials within half the lifetime, new ones after; concurrent requests share one AssumeRole', async () => {
    await usersFile(world.dir, { usr001: 'staff', usr002: undefined, usr003: 'other', usr004: undefined }); // add usr004 (file re-read)
    const token = await vend.login('usr004');
    const n0 = vend.logs.length;
    const burst = await Promise.all(Array.from({ length: 6 }, () => vend.get('/sts/token', token)));
    const ids = new Set(burst.map((r) => creds(r.body).AccessKeyId));
    assert.equal(ids.size, 1);
    assert.equal(vend.logs.length - n0, 1, 'one issuance for six concurrent requests');
    world.offset += 440_000; // 440 s of 900: still under half
    assert.equal(creds((await vend.get('/sts/token', token)).body).AccessKeyId, [...ids][0]);
    world.offset += 20_000; // 460 s: past half
    const fresh = creds((await vend.get('/sts/token', token)).body);
    assert.notEqual(fresh.AccessKeyId, [...ids][0]);
    assert.equal(vend.logs.length - n0, 2);
    assert.equal((await ossWith(world.srv, fresh, BUCKET).put('usr004/x', Buffer.from('x'))).res.status, 200);
    world.offset = 0;
  });

  it('a user removed from the users file can no longer get credentials with an old login token', async () => {
    const token = await vend.login('usr003');
    assert.equal((await vend.get('/sts/token', token)).status, 200);
    await usersFile(world.dir, { usr001: 'staff', usr002: undefined, usr004: undefined });
    vendError(await vend.get('/sts/token', token), 401, 'InvalidToken', /no longer exists/);
    assert.ok(usersPath.endsWith('users.json'));
  });

  it('POST /oss/post-policy: a V4-signed PostObject form for the user\'s prefix, with the user\'s STS credentials', async () => {
    const token = await vend.login('usr001');
    const r = await vend.post('/oss/post-policy', {}, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['expiration', 'fields', 'url']);
    assert.equal(r.body.url, `${world.srv.url}/${BUCKET}`);
    const f = r.body.fields as Record<string, string>;
    assert.deepEqual(Object.keys(f).sort(), ['key', 'policy', 'success_action_status', 'x-oss-credential', 'x-oss-date', 'x-oss-security-token', 'x-oss-signature', 'x-oss-signature-version']);
    assert.equal(f.key, 'usr001/${filename}');
    assert.equal(f['x-oss-signature-version'], 'OSS4-HMAC-SHA256');
    assert.equal(f.success_action_status, '201');
    const date = f['x-oss-date']!;
    assert.match(date, /^\d{8}T\d{6}Z$/);
    const m = /^(STS\.[A-Za-z0-9]+)\/(\d{8})\/cn-hangzhou\/oss\/aliyun_v4_request$/.exec(f['x-oss-credential']!);
    assert.ok(m, f['x-oss-credential']);
    assert.equal(m[2], date.slice(0, 8));
    // The form is signed with the same credentials /sts/token hands out (the service's cache).
    const c = creds((await vend.get('/sts/token', token)).body);
    assert.equal(m[1], c.AccessKeyId);
    assert.equal(f['x-oss-security-token'], c.SecurityToken);
    const policy = JSON.parse(Buffer.from(f.policy!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    assert.deepEqual(policy.conditions, [
      { bucket: BUCKET },
      ['starts-with', '$key', 'usr001/'],
      ['content-length-range', 0, 1024 * 1024],
      { success_action_status: '201' },
      { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
      { 'x-oss-credential': f['x-oss-credential'] },
      { 'x-oss-date': date },
      { 'x-oss-security-token': c.SecurityToken },
    ]);
    const ttl = Date.parse(policy.expiration) - Date.now();
    assert.ok(ttl > 250_000 && ttl <= 300_000, `expiration ${policy.expiration}`);
    assert.equal(r.body.expiration, policy.expiration);
    // V4 signature computed independently: HMAC chain over the date, region, "oss", "aliyun_v4_request".
    const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
    const signingKey = hmac(hmac(hmac(hmac(`aliyun_v4${c.AccessKeySecret}`, date.slice(0, 8)), 'cn-hangzhou'), 'oss'), 'aliyun_v4_request');
    assert.equal(f['x-oss-signature'], createHmac('sha256', signingKey).update(f.policy!).digest('hex'));

    const named = await vend.post('/oss/post-policy', { name: 'photos/2024/a b.jpg' }, token);
    assert.equal((named.body.fields as Record<string, string>).key, 'usr001/photos/2024/a b.jpg');
    for (const name of ['../usr002/x', 'a/../../b', '/abs', '${filename}', 'a\u0000b', '', 42]) {
      vendError(await vend.post('/oss/post-policy', { name }, token), 400, 'InvalidKey');
    }
    vendError(await vend.post('/oss/post-policy', {}), 401, 'MissingToken');
    vendError(await vend.get('/oss/post-policy', token), 405, 'MethodNotAllowed');
    const notJson = await fetch(`${vend.url}/oss/post-policy`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":' });
    assert.equal(notJson.status, 400);
    const huge = await fetch(`${vend.url}/oss/post-policy`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(20_000) }) });
    assert.equal(huge.status, 413);
  });

  it('the vended form uploads to Alunite (PostObject) under the user\'s prefix only, within the size range', async () => {
    const token = await vend.login('usr001');
    const send = async (fields: Record<string, string>, url: string, data: Buffer, filename = 'form.txt'): Promise<{ status: number; text: string }> => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      fd.append('file', new Blob([new Uint8Array(data)]), filename);
      const res = await fetch(url, { method: 'POST', body: fd, redirect: 'manual' });
      return { status: res.status, text: await res.text() };
    };
    const form = (await vend.post('/oss/post-policy', {}, token)).body as { url: string; fields: Record<string, string> };
    const ok = await send(form.fields, form.url, Buffer.from('posted by a form'), 'form.txt');
    assert.equal(ok.status, 201, ok.text);
    assert.match(ok.text, /<Key>usr001\/form\.txt<\/Key>/);
    const root = world.srv.client({ bucket: BUCKET });
    assert.equal((await root.get('usr001/form.txt')).content.toString(), 'posted by a form');
    // The key field changed to another user's prefix: the policy's starts-with condition refuses it.
    const other = await send({ ...form.fields, key: 'usr002/form.txt' }, form.url, Buffer.from('x'));
    assert.equal(other.status, 403, other.text);
    assert.match(other.text, /<Code>AccessDenied<\/Code>/);
    await assert.rejects(root.head('usr002/form.txt'));
    // Over maxSize (1 MiB): refused, nothing stored.
    const big = await send(form.fields, form.url, Buffer.alloc(1024 * 1024 + 1), 'big.bin');
    assert.equal(big.status, 400, big.text);
    assert.match(big.text, /EntityTooLarge|content-length-range/);
    await assert.rejects(root.head('usr001/big.bin'));
    // A named key under the prefix.
    const named = (await vend.post('/oss/post-policy', { name: 'docs/report.txt' }, token)).body as { url: string; fields: Record<string, string> };
    assert.equal((await send(named.fields, named.url, Buffer.from('r'))).status, 201);
    assert.equal((await root.get('usr001/docs/report.txt')).content.toString(), 'r');
    // read-only grant: the form is signed, but the session policy refuses the upload at the server.
    const ro = (await vend.post('/oss/post-policy?grant=read-only', {}, token)).body as { url: string; fields: Record<string, string> };
    const refused = await send(ro.fields, ro.url, Buffer.from('x'), 'ro.txt');
    assert.equal(refused.status, 403, refused.text);
    assert.ok(refused.text.includes(AUTHORIZER), refused.text);
  });

  it('the vending RAM user has nothing but sts:AssumeRole', async () => {
    const attached = await world.ram.call('ListPoliciesForUser', { UserName: 'vending' });
    const policies = attached.Policies.Policy as Array<{ PolicyName: string; PolicyType: string }>;
    assert.equal(policies.length, 1);
    const version = await world.ram.call('GetPolicy', { PolicyName: policies[0]!.PolicyName, PolicyType: 'Custom' });
    const doc = JSON.parse(version.DefaultPolicyVersion.PolicyDocument as string) as { Statement: Array<{ Action: unknown }> };
    assert.deepEqual(doc.Statement.map((s) => s.Action), ['sts:AssumeRole']);
    assert.deepEqual((await world.ram.call('ListGroupsForUser', { UserName: 'vending' })).Groups.Group, []);
    const oss = world.vendUser.oss(BUCKET);
    await denied(oss.get('usr001/a.txt'), MSG.acl);
    await denied(oss.put('usr001/evil.txt', Buffer.from('x')), MSG.acl);
    await denied(oss.list({ 'max-keys': 1 }, {}), MSG.acl);
    await popFails(world.vendUser.pop().request('ListUsers', {}, { method: 'POST' }), 'NoPermission');
  });
});

describe('vend: rate limit, cache off, STS failures', () => {
  let world: AppWorld;
  before(async () => {
    world = await appWorld();
    await usersFile(world.dir, { usr001: undefined, usr002: undefined });
  });
  after(async () => world.stop());

  it('per-user token bucket: 429 Throttling with Retry-After, other users unaffected, refilled over time', async () => {
    const vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }, { rateLimit: { perMinute: 6, burst: 2 } }));
    try {
      const t1 = await vend.login('usr001');
      const t2 = await vend.login('usr002');
      assert.equal((await vend.get('/sts/token', t1)).status, 200);
      assert.equal((await vend.get('/sts/token', t1)).status, 200);
      const third = await vend.get('/sts/token', t1);
      vendError(third, 429, 'Throttling', /retry in 10 s/);
      assert.equal(third.headers.get('retry-after'), '10');
      assert.equal((await vend.get('/sts/token', t2)).status, 200);
      world.offset += 10_000;
      assert.equal((await vend.get('/sts/token', t1)).status, 200);
      vendError(await vend.get('/sts/token', t1), 429, 'Throttling');
      // Log-in attempts per user name share the limit mechanism.
      assert.equal((await vend.post('/login', { username: 'usr009', password: 'x' })).status, 401);
      assert.equal((await vend.post('/login', { username: 'usr009', password: 'x' })).status, 401);
      vendError(await vend.post('/login', { username: 'usr009', password: 'x' }), 429, 'Throttling', /this user name/);
    } finally {
      world.offset = 0;
      await vend.close();
    }
  });

  it('cache off: every request is a new AssumeRole', async () => {
    const vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }, { cache: { enabled: false } }));
    try {
      const t = await vend.login('usr001');
      const a = creds((await vend.get('/sts/token', t)).body);
      const b = creds((await vend.get('/sts/token', t)).body);
      assert.notEqual(a.AccessKeyId, b.AccessKeyId);
    } finally {
      await vend.close();
    }
  });

  it('STS refusals → 502 StsError with the upstream code; unreachable STS → 502 StsUnavailable; nothing cached', async () => {
    const doc = configDoc(world, { mode: 'users', usersFile: 'users.json' });
    const sts = doc.sts as Record<string, unknown>;
    const noRole = await startVendFor(world, { ...doc, sts: { ...sts, roleArn: 'acs:ram::1234567890123456:role/nosuchrole' } });
    const badKey = await startVendFor(world, { ...doc, sts: { ...sts, accessKeySecret: 'wrong-secret-wrong-secret-wrong' } });
    const down = await startVendFor(world, { ...doc, sts: { ...sts, endpoint: 'http://127.0.0.1:9' } });
    try {
      const r = await noRole.get('/sts/token', await noRole.login('usr001'));
      // The vending user may assume its own role only: another name is refused before it is looked up (docs/sts.md).
      vendError(r, 502, 'StsError', /^STS refused AssumeRole: NoPermission \(HTTP 403, RequestId [0-9A-F-]{36}\): You are not authorized to do this action\. You should be authorized by RAM\.$/);
      vendError(await badKey.get('/sts/token', await badKey.login('usr001')), 502, 'StsError', /SignatureDoesNotMatch/);
      assert.ok(!JSON.stringify(await badKey.get('/sts/token', await badKey.login('usr002'))).includes(world.vendUser.accessKeyId));
      vendError(await down.get('/sts/token', await down.login('usr001')), 502, 'StsUnavailable', /unreachable/);
      vendError(await down.get('/sts/token', await down.login('usr001')), 502, 'StsUnavailable');
    } finally {
      await Promise.all([noRole.close(), badKey.close(), down.close()]);
    }
  });
});

describe('vend, auth mode jwt', () => {
  const ISS = 'https://idp.example.test';
  const AUD = 'alunite-vend-tests';
  const HS_SECRET = randomBytes(32).toString('hex');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let world: AppWorld;
  let hs: Vend;
  let rs: Vend;
  let es: Vend;
  const now = (): number => Math.floor(world.clock() / 1000);
  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: ISS, aud: AUD, sub: 'usr001', exp: now() + 300, iat: now(), ...over });

  before(async () => {
    world = await appWorld();
    const jwks = { keys: [{ ...rsaOther.publicKey.export({ format: 'jwk' }), kid: 'old', use: 'sig' }, { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] };
    await writeFile(join(world.dir, 'jwks.json'), JSON.stringify(jwks));
    await writeFile(join(world.dir, 'ec.pem'), ec.publicKey.export({ format: 'pem', type: 'spki' }));
    const base = { mode: 'jwt', issuer: ISS, audience: AUD, leewaySeconds: 30 };
    hs = await startVendFor(world, configDoc(world, { ...base, secret: HS_SECRET, groupClaim: 'team' }));
    rs = await startVendFor(world, configDoc(world, { ...base, jwksFile: 'jwks.json', userClaim: 'uid' }));
    es = await startVendFor(world, configDoc(world, { ...base, publicKeyFile: join(world.dir, 'ec.pem') }));
  });
  after(async () => {
    await Promise.all([hs.close(), rs.close(), es.close()]);
    await world.stop();
  });

  const hsJwt = (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string => makeJwt('HS256', Buffer.from(HS_SECRET), claims(over), header);

  it('HS256: a valid token gets credentials bound to its sub; the group claim feeds ${group}', async () => {
    const c = creds((await hs.get('/sts/token', hsJwt({ team: 'staff' }))).body);
    const oss = ossWith(world.srv, c, BUCKET);
    assert.equal((await oss.put('usr001/jwt.txt', Buffer.from('j'))).res.status, 200);
    await denied(oss.put('usr002/jwt.txt', Buffer.from('j')), AUTHORIZER);
    const team = creds((await hs.get('/sts/token?grant=team', hsJwt({ team: 'staff' }))).body);
    assert.equal((await ossWith(world.srv, team, BUCKET).put('teams/staff/j.txt', Buffer.from('j'))).res.status, 200);
    vendError(await hs.get('/sts/token?grant=team', hsJwt({ sub: 'usr002' })), 403, 'GrantNotAllowed');
    vendError(await hs.post('/login', { username: 'usr001', password: 'x' }), 404, 'NotFound', /identity provider/);
  });

  it('RS256 through a JWKS file (kid picks the key, userClaim uid); ES256 through a PEM public key', async () => {
    const r = await rs.get('/sts/token', makeJwt('RS256', rsa.privateKey, claims({ uid: 'usr005', sub: 'ignored' }), { kid: 'k1' }));
    const c = creds(r.body);
    assert.equal((await ossWith(world.srv, c, BUCKET).put('usr005/rs.txt', Buffer.from('r'))).res.status, 200);
    // The other JWKS key verifies its own tokens; a token naming kid old but signed with k1's key does not.
    assert.equal((await rs.get('/sts/token', makeJwt('RS256', rsaOther.privateKey, claims({ uid: 'usr006' }), { kid: 'old' }))).status, 200);
    vendError(await rs.get('/sts/token', makeJwt('RS256', rsa.privateKey, claims({ uid: 'usr006' }), { kid: 'old' })), 401, 'InvalidToken', /signature/);
    vendError(await rs.get('/sts/token', makeJwt('RS256', rsa.privateKey, claims())), 401, 'InvalidToken', /no uid claim/);
    const e = creds((await es.get('/sts/token', makeJwt('ES256', ec.privateKey, claims({ sub: 'usr007' })))).body);
    assert.equal((await ossWith(world.srv, e, BUCKET).put('usr007/es.txt', Buffer.from('e'))).res.status, 200);
  });

  it('refused: bad signature, expired, not yet valid, wrong audience, wrong issuer, alg none, HS256 made with the public key, no exp', async () => {
    const cases: Array<[string, Vend, string, RegExp]> = [
      ['bad signature', hs, makeJwt('HS256', Buffer.from(`${HS_SECRET}x`), claims()), /bad token signature/],
      ['expired beyond leeway', hs, hsJwt({ exp: now() - 31 }), /expired/],
      ['not yet valid', hs, hsJwt({ nbf: now() + 60 }), /not valid yet/],
      ['wrong audience', hs, hsJwt({ aud: 'someone-else' }), /audience/],
      ['wrong audience list', hs, hsJwt({ aud: ['a', 'b'] }), /audience/],
      ['wrong issuer', hs, hsJwt({ iss: 'https://evil.example' }), /issuer/],
      ['no exp', hs, hsJwt({ exp: undefined }), /no exp/],
      ['alg none', hs, makeJwt('none', null, claims()), /algorithm "none"/],
      ['alg none on RS256', rs, makeJwt('none', null, claims({ uid: 'usr001' })), /algorithm "none"/],
      ['HS256 with the RSA public key as secret', rs, makeJwt('HS256', Buffer.from(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string), claims({ uid: 'usr001' })), /algorithm "HS256"/],
      ['RS256 token at the ES256 service', es, makeJwt('RS256', rsa.privateKey, claims()), /algorithm "RS256"/],
      ['ES256 signed by another key', es, makeJwt('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, claims()), /bad token signature/],
    ];
    for (const [name, vend, token, re] of cases) {
      const r = await vend.get('/sts/token', token);
      assert.equal(r.status, 401, name);
      vendError(r, 401, 'InvalidToken', re);
    }
    // Inside the leeway: accepted.
    assert.equal((await hs.get('/sts/token', hsJwt({ exp: now() - 10 }))).status, 200);
    assert.equal((await hs.get('/sts/token', hsJwt({ sub: 'usr008', nbf: now() + 10 }))).status, 200);
  });

  it('template injection: user ids and groups that could escape the template are refused with 400 InvalidUser, nothing issued', async () => {
    const n0 = hs.logs.length;
    for (const sub of ['../x', '*', 'a/b', '${user}', '"', 'a"b', 'a\\b', 'usr 1', 'a\nb', '', 'x', 'a?', 'a{b}', '$x', 'ü-user', 'u'.repeat(65), 42, null]) {
      const r = await hs.get('/sts/token', hsJwt({ sub }));
      vendError(r, 400, 'InvalidUser', /cannot be used/);
    }
    for (const team of ['a/b', '*', '..', '${group}']) {
      vendError(await hs.get('/sts/token', hsJwt({ team })), 400, 'InvalidUser', /group/);
    }
    assert.equal(hs.logs.length, n0, 'no credentials were issued');
    // The longest valid id (64 characters) and all allowed characters work.
    const longest = `A.b_c@d-${'z'.repeat(56)}`;
    assert.equal((await hs.get('/sts/token', hsJwt({ sub: longest }))).status, 200);
  });
});
