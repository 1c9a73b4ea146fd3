// POP RPC protocol over raw HTTP: signature algorithms checked against real SDK captures (pop-core RPC
// HMAC-SHA1, openapi-core ACS3-HMAC-SHA256), then signature failures, Timestamp skew, nonce replay,
// Format=XML, GET vs POST form, ACS3 requests, and the master key that seals AccessKey secrets.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { percentEncode } from '../src/rpc/encoding.js';
import {
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  parseAcs3Authorization,
  rpcSignature,
  rpcStringToSign,
  sha256Hex,
} from '../src/rpc/signature.js';
import { resolveMasterKey } from '../src/util/master-key.js';
import { open, seal } from '../src/util/secret-box.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures');

interface Capture {
  scenario: string;
  inputs: { credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string | null } };
  request: { method: string; url: string; headers: Record<string, string>; body: { length: number; text?: string } };
}

async function captures(file: string): Promise<Capture[]> {
  const text = await readFile(join(FIXTURES, file), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Capture);
}

function formParams(text: string): Map<string, string> {
  return new Map([...new URLSearchParams(text)]);
}

function captureParams(c: Capture): Map<string, string> {
  const q = c.request.url.indexOf('?');
  const params = formParams(q < 0 ? '' : c.request.url.slice(q + 1));
  if (c.request.body.text) for (const [k, v] of formParams(c.request.body.text)) params.set(k, v);
  return params;
}

const CAPTURE_TIME = Date.parse('2026-11-22T04:17:15Z');
const FAKE_AK = 'LTAI5tFAKEFAKEFAKE';
const FAKE_SECRET = 'FakeSecretFakeSecretFakeSecret12';

describe('signature algorithms against SDK captures', () => {
  test('pop-core RPC HMAC-SHA1 (GET and POST) signatures recompute', async () => {
    const list = await captures('pop-core-captures.jsonl');
    assert.ok(list.length >= 4);
    for (const c of list) {
      const params = captureParams(c);
      const provided = params.get('Signature');
      assert.ok(provided, c.scenario);
      const sts = rpcStringToSign(c.request.method, params);
      assert.equal(rpcSignature(c.inputs.credentials.accessKeySecret, sts), provided, c.scenario);
    }
    // The spec's worked example (§3.2).
    const get = list.find((c) => c.scenario === 'AssumeRole RPC HMAC-SHA1 GET')!;
    const sts = rpcStringToSign('GET', captureParams(get));
    assert.ok(sts.startsWith('GET&%2F&AccessKeyId%3DLTAI5tFAKEFAKEFAKE%26Action%3DAssumeRole%26DurationSeconds%3D3600%26Format%3DJSON%26Policy%3D%257B%2522Version%2522%253A%25221%2522'));
    assert.ok(sts.includes('%252A'), '* inside the policy is double-encoded');
    assert.equal(rpcSignature(FAKE_SECRET, sts), '8YOsoRF2Y3SuJEQh68cz5pjZu04=');
  });

  test('openapi-core ACS3-HMAC-SHA256 signatures recompute', async () => {
    const list = (await captures('sts20150401-acs3-captures.jsonl')).filter((c) => (c.request.headers.authorization ?? '').startsWith('ACS3-'));
    assert.ok(list.length >= 2);
    for (const c of list) {
      const auth = parseAcs3Authorization(c.request.headers.authorization!)!;
      const q = c.request.url.indexOf('?');
      const canonical = acs3CanonicalRequest({
        method: c.request.method,
        path: '/',
        query: formParams(q < 0 ? '' : c.request.url.slice(q + 1)),
        headers: new Map(Object.entries(c.request.headers)),
        signedHeaders: auth.signedHeaders,
        payloadSha256: c.request.headers['x-acs-content-sha256']!,
      });
      assert.equal(acs3Signature(c.inputs.credentials.accessKeySecret, acs3StringToSign(canonical)), auth.signature, c.scenario);
    }
  });

  test('percentEncode follows the POP rules', () => {
    assert.equal(percentEncode("a b*c~d!e'(f)"), 'a%20b%2Ac~d%21e%27%28f%29');
    assert.equal(percentEncode('é/'), '%C3%A9%2F');
  });

  test('the string to sign is the method, %2F and the encoded canonical query, for any names and values (both encodings)', () => {
    // The definition (spec sts-rpc §3.1), written out: the canonical query encoded a second time as a whole.
    const reference = (method: string, params: Map<string, string>, enc: (s: string) => string): string => {
      const canonical = [...params.keys()].sort().filter((k) => k !== 'Signature').map((k) => `${enc(k)}=${enc(params.get(k)!)}`).join('&');
      return `${method}&${enc('/')}&${enc(canonical)}`;
    };
    const alphabet = ['a', 'Z', '0', '-', '_', '.', '~', '%', '=', '&', '+', ' ', '*', '!', "'", '(', ')', '/', ':', 'é', '中', '😀', '%25', '\u0000'];
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const text = (): string => Array.from({ length: next(12) }, () => alphabet[next(alphabet.length)]!).join('');
    for (let i = 0; i < 2000; i++) {
      const params = new Map<string, string>([['Signature', text()]]);
      for (let j = next(8); j > 0; j--) params.set(text() || 'k', text());
      for (const [encoding, enc] of [['strict', percentEncode], ['sts-sdk', encodeURIComponent]] as const) {
        for (const method of ['GET', 'POST']) assert.equal(rpcStringToSign(method, params, encoding), reference(method, params, enc), JSON.stringify([...params]));
      }
    }
  });
});

describe('captured SDK requests replayed against the server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ rootAccessKeyId: FAKE_AK, rootAccessKeySecret: FAKE_SECRET, clock: () => CAPTURE_TIME });
  });
  after(async () => {
    await server.stop();
  });

  async function replay(c: Capture): Promise<RawResponse> {
    const headers: Record<string, string> = { ...c.request.headers };
    delete headers.connection;
    return rawRequest(server.port, { method: c.request.method, path: c.request.url, headers, body: c.request.body.text ?? '' });
  }

  test('signatures verify (STS then answers NoPermission: the captures are signed with the root key, which may assume no role), and a replay is refused', async () => {
    const all = [...await captures('pop-core-captures.jsonl'), ...await captures('sts20150401-acs3-captures.jsonl')]
      .filter((c) => c.inputs.credentials.securityToken === null && !c.scenario.includes('error'));
    assert.ok(all.length >= 3);
    for (const c of all) {
      const res = await replay(c);
      const body = JSON.parse(res.body.toString('utf8')) as Record<string, string>;
      // A root caller is refused before the role (example-role, absent) is looked up (docs/sts.md).
      assert.equal(body.Code, 'NoPermission', `${c.scenario}: ${body.Message}`);
      assert.equal(body.Message, 'You are not authorized to do this action. You should be authorized by RAM.');
      assert.equal(res.status, 403);
      assert.equal(body.HostId, 'sts.aliyuncs.com');
      assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
      const again = await replay(c);
      const body2 = JSON.parse(again.body.toString('utf8')) as Record<string, string>;
      assert.equal(body2.Code, 'SignatureNonceUsed', c.scenario);
      assert.equal(body2.Message, 'Specified signature nonce was used already.');
      assert.equal(again.status, 400);
    }
  });

  test('a security token with a permanent key is refused', async () => {
    const c = (await captures('pop-core-captures.jsonl')).find((x) => x.inputs.credentials.securityToken !== null)!;
    const res = await replay(c);
    const body = JSON.parse(res.body.toString('utf8')) as Record<string, string>;
    assert.equal(body.Code, 'InvalidSecurityToken.Malformed');
  });
});

describe('RPC requests over raw HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

  interface Signed {
    method?: 'GET' | 'POST';
    params?: Record<string, string>;
    secret?: string;
    time?: number;
    nonce?: string;
    /** Change the parameters after signing. */
    tamper?: (p: Map<string, string>) => void;
    encoding?: 'strict' | 'sts-sdk';
  }

  function signedParams(o: Signed): Map<string, string> {
    const p = new Map<string, string>(Object.entries({
      Format: 'JSON', Version: '2015-05-01', AccessKeyId: AK, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
      SignatureNonce: o.nonce ?? randomUUID(), Timestamp: iso(o.time ?? Date.now()), ...o.params,
    }));
    p.set('Signature', rpcSignature(o.secret ?? SECRET, rpcStringToSign(o.method ?? 'GET', p, o.encoding ?? 'strict')));
    o.tamper?.(p);
    return p;
  }

  async function send(o: Signed): Promise<{ res: RawResponse; text: string; json: Record<string, any> | null }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const method = o.method ?? 'GET';
    const p = signedParams(o);
    const encoded = [...p].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    const res = method === 'GET'
      ? await rawRequest(server.port, { method, path: `/?${encoded}`, headers: { host: `127.0.0.1:${server.port}` } })
      : await rawRequest(server.port, {
        method, path: '/', body: encoded,
        headers: { host: `127.0.0.1:${server.port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(encoded)) },
      });
    const text = res.body.toString('utf8');
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = null;
    }
    return { res, text, json };
  }

  test('GET query and POST form both work; responses are JSON with x-acs-request-id', async () => {
    const created = await send({ method: 'POST', params: { Action: 'CreateUser', UserName: 'raw-user' } });
    assert.equal(created.res.status, 200, created.text);
    assert.equal(created.json!.User.UserName, 'raw-user');
    assert.equal(created.res.headers['content-type'], 'application/json;charset=utf-8');
    assert.equal(created.res.headers['x-acs-request-id'], created.json!.RequestId);
    assert.equal(created.res.headers['x-oss-request-id'], undefined, 'no OSS headers on POP responses');
    const got = await send({ method: 'GET', params: { Action: 'GetUser', UserName: 'raw-user' } });
    assert.equal(got.res.status, 200);
    assert.equal(got.json!.User.UserName, 'raw-user');
  });

  test('Format=XML renders success and errors as XML (case-insensitive)', async () => {
    await send({ params: { Action: 'CreateUser', UserName: 'xml-user' } });
    const ok = await send({ params: { Action: 'ListUsers', Format: 'XML' } });
    assert.equal(ok.res.status, 200);
    assert.equal(ok.res.headers['content-type'], 'text/xml;charset=utf-8');
    assert.match(ok.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListUsersResponse><RequestId>[0-9A-F-]{36}<\/RequestId><IsTruncated>false<\/IsTruncated><Users><User><UserId>/);
    assert.match(ok.text, /<UserName>xml-user<\/UserName>/);
    const err = await send({ params: { Action: 'GetUser', UserName: 'nobody', Format: 'xml' } });
    assert.equal(err.res.status, 404);
    assert.match(err.text, /<Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>ram.aliyuncs.com<\/HostId><Code>EntityNotExist.User<\/Code><Message>The user does not exist.<\/Message><Recommend>/);
  });

  test('signature failures', async () => {
    const wrong = await send({ params: { Action: 'ListUsers' }, secret: 'not-the-secret' });
    assert.equal(wrong.res.status, 400);
    assert.equal(wrong.json!.Code, 'SignatureDoesNotMatch');
    assert.match(wrong.json!.Message, /^Specified signature is not matched with our calculation\. server string to sign is:GET&%2F&AccessKeyId%3D/);
    assert.equal(wrong.json!.HostId, 'ram.aliyuncs.com');
    assert.match(wrong.json!.Recommend, /^https:\/\/api\.aliyun\.com\/troubleshoot\?q=SignatureDoesNotMatch&product=Ram&requestId=/);

    const tampered = await send({ params: { Action: 'GetUser', UserName: 'a' }, tamper: (p) => p.set('UserName', 'b') });
    assert.equal(tampered.json!.Code, 'SignatureDoesNotMatch');

    const methodSwap = await send({ method: 'POST', params: { Action: 'ListUsers' }, tamper: (p) => p.set('Signature', rpcSignature(SECRET, rpcStringToSign('GET', p))) });
    assert.equal(methodSwap.json!.Code, 'SignatureDoesNotMatch', 'the method is signed');

    const missing = await send({ params: { Action: 'ListUsers' }, tamper: (p) => p.delete('Signature') });
    assert.equal(missing.json!.Code, 'MissingSignature');
    assert.equal(missing.res.status, 400);

    const sha256 = await send({ params: { Action: 'ListUsers', SignatureMethod: 'HMAC-SHA256' } });
    assert.equal(sha256.json!.Code, 'InvalidSignatureMethod');

    // SignatureMethod and SignatureVersion are required common parameters: a request correctly signed without one is
    // 400 Missing<Param> "<Param> is mandatory for this action." (it was accepted).
    for (const name of ['SignatureMethod', 'SignatureVersion']) {
      const without = await send({ params: { Action: 'ListUsers' }, tamper: (p) => {
        p.delete(name);
        p.delete('Signature');
        p.set('Signature', rpcSignature(SECRET, rpcStringToSign('GET', p)));
      } });
      assert.equal(without.res.status, 400, name);
      assert.equal(without.json!.Code, `Missing${name}`);
      assert.equal(without.json!.Message, `${name} is mandatory for this action.`);
    }

    const unknownKey = await send({ params: { Action: 'ListUsers', AccessKeyId: 'LTAIunknownunknown' } });
    assert.equal(unknownKey.res.status, 404);
    assert.equal(unknownKey.json!.Code, 'InvalidAccessKeyId.NotFound');
  });

  test('the @alicloud/sts-sdk encoding variant verifies', async () => {
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] });
    const res = await send({ method: 'POST', params: { Action: 'CreatePolicy', PolicyName: 'sdk-variant', PolicyDocument: policy }, encoding: 'sts-sdk' });
    assert.equal(res.res.status, 200, res.text);
  });

  test('Timestamp skew over 15 minutes and malformed Timestamps are refused', async () => {
    const old = await send({ params: { Action: 'ListUsers' }, time: Date.now() - 16 * 60_000 });
    assert.equal(old.res.status, 400);
    assert.equal(old.json!.Code, 'InvalidTimeStamp.Expired');
    assert.equal(old.json!.Message, 'Specified time stamp or date value is expired.');
    const future = await send({ params: { Action: 'ListUsers' }, time: Date.now() + 16 * 60_000 });
    assert.equal(future.json!.Code, 'InvalidTimeStamp.Expired');
    const near = await send({ params: { Action: 'ListUsers' }, time: Date.now() - 14 * 60_000 });
    assert.equal(near.res.status, 200);
    const millis = await send({ params: { Action: 'ListUsers', Timestamp: new Date().toISOString() } });
    assert.equal(millis.res.status, 200, 'milliseconds are accepted');
    const bad = await send({ params: { Action: 'ListUsers', Timestamp: '2026/11/22 04:17:15' } });
    assert.equal(bad.json!.Code, 'InvalidTimeStamp.Format');
  });

  test('a SignatureNonce is accepted once', async () => {
    const nonce = randomUUID();
    const first = await send({ params: { Action: 'ListUsers' }, nonce });
    assert.equal(first.res.status, 200);
    const second = await send({ params: { Action: 'ListGroups' }, nonce });
    assert.equal(second.res.status, 400);
    assert.equal(second.json!.Code, 'SignatureNonceUsed');
    assert.equal(second.json!.Message, 'Specified signature nonce was used already.');
    // A failed signature does not burn the nonce.
    const n2 = randomUUID();
    const bad = await send({ params: { Action: 'ListUsers' }, nonce: n2, secret: 'wrong' });
    assert.equal(bad.json!.Code, 'SignatureDoesNotMatch');
    const good = await send({ params: { Action: 'ListUsers' }, nonce: n2 });
    assert.equal(good.res.status, 200);
  });

  test('a long SignatureNonce is remembered by a fixed-size digest: nonces cannot fill the database', async () => {
    // Before, each nonce was stored as sent: ten requests with a 900 KB nonce (any credential will do, even a
    // session allowed nothing: GetCallerIdentity) grew metadata.sqlite by ~17 MB, kept for up to half an hour
    // and never given back by the file.
    const dbBytes = async (): Promise<number> => {
      let n = 0;
      for (const f of ['metadata.sqlite', 'metadata.sqlite-wal']) n += await stat(join(server.dataDir, f)).then((st) => st.size, () => 0);
      return n;
    };
    const long = (): string => randomBytes(450_000).toString('hex');
    const before = await dbBytes();
    for (let i = 0; i < 10; i++) {
      const r = await send({ method: 'POST', params: { Action: 'GetCallerIdentity', Version: '2015-04-01' }, nonce: long() });
      assert.equal(r.res.status, 200, r.text.slice(0, 300));
    }
    const grown = (await dbBytes()) - before;
    assert.ok(grown < 2_000_000, `the database grew by ${grown} bytes for ten nonces`);
    // Still accepted once.
    const nonce = long();
    assert.equal((await send({ method: 'POST', params: { Action: 'ListUsers' }, nonce })).res.status, 200);
    assert.equal((await send({ method: 'POST', params: { Action: 'ListGroups' }, nonce })).json!.Code, 'SignatureNonceUsed');
  });

  test('missing Action / Version', async () => {
    const noAction = await send({ method: 'POST', params: { UserName: 'x' } });
    assert.equal(noAction.json!.Code, 'MissingAction');
    assert.equal(noAction.res.status, 400);
    const noVersion = await send({ method: 'POST', params: { Action: 'ListUsers' }, tamper: (p) => p.delete('Version') });
    assert.equal(noVersion.json!.Code, 'MissingVersion');
  });

  /** An ACS3-HMAC-SHA256 request as openapi-core builds it: business params in the query, x-acs-* headers. */
  async function acs3(action: string, query: Record<string, string>, o: { secret?: string; body?: string; bodyHash?: string; nonce?: string } = {}): Promise<{ res: RawResponse; json: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const body = o.body ?? '';
    const headers = new Map<string, string>([
      ['host', `127.0.0.1:${server.port}`],
      ['x-acs-action', action],
      ['x-acs-version', '2015-05-01'],
      ['x-acs-date', iso(Date.now())],
      ['x-acs-signature-nonce', o.nonce ?? randomBytes(32).toString('hex')],
      ['x-acs-content-sha256', o.bodyHash ?? sha256Hex(body)],
    ]);
    const signedHeaders = [...headers.keys()].sort();
    const q = new Map(Object.entries(query));
    const canonical = acs3CanonicalRequest({ method: 'POST', path: '/', query: q, headers, signedHeaders, payloadSha256: headers.get('x-acs-content-sha256')! });
    const signature = acs3Signature(o.secret ?? SECRET, acs3StringToSign(canonical));
    const wire: Record<string, string> = Object.fromEntries(headers);
    wire.accept = 'application/json';
    wire.authorization = `ACS3-HMAC-SHA256 Credential=${AK},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`;
    wire['content-length'] = String(Buffer.byteLength(body));
    // A body is a form (RAM and STS read no other type: InvalidParameter.ContentType).
    if (body !== '') wire['content-type'] = 'application/x-www-form-urlencoded';
    // Like openapi-core: `*` stays raw in the URL; the server re-encodes decoded values.
    const path = `/?${[...q].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
    const res = await rawRequest(server.port, { method: 'POST', path, headers: wire, body });
    return { res, json: JSON.parse(res.body.toString('utf8')) as Record<string, unknown> };
  }

  test('ACS3-HMAC-SHA256 requests', async () => {
    const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:bucket/*' }] });
    const created = await acs3('CreatePolicy', { PolicyName: 'acs3-policy', PolicyDocument: policy });
    assert.equal(created.res.status, 200, JSON.stringify(created.json));
    assert.equal(created.json.Policy.PolicyName, 'acs3-policy');
    const got = await acs3('GetPolicy', { PolicyName: 'acs3-policy', PolicyType: 'Custom' });
    assert.equal(got.json.DefaultPolicyVersion.PolicyDocument, policy);

    const wrong = await acs3('ListUsers', {}, { secret: 'wrong' });
    assert.equal(wrong.res.status, 400);
    assert.equal(wrong.json.Code, 'SignatureDoesNotMatch');
    assert.match(wrong.json.Message, /server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);

    const hash = await acs3('ListUsers', {}, { body: 'x', bodyHash: sha256Hex('') });
    assert.equal(hash.json.Code, 'SignatureDoesNotMatch');

    const nonce = randomBytes(32).toString('hex');
    assert.equal((await acs3('ListUsers', {}, { nonce })).res.status, 200);
    assert.equal((await acs3('ListUsers', {}, { nonce })).json.Code, 'SignatureNonceUsed');
  });
});

describe('secrets at rest', () => {
  test('seal/open round-trips, is bound to the AccessKeyId and refuses another key', () => {
    const key = randomBytes(32);
    const sealed = seal(key, 'TheSecret', 'LTAIabc');
    assert.ok(!sealed.includes('TheSecret'));
    assert.equal(open(key, sealed, 'LTAIabc'), 'TheSecret');
    assert.throws(() => open(key, sealed, 'LTAIother'));
    assert.throws(() => open(randomBytes(32), sealed, 'LTAIabc'));
  });

  test('master key: generated into <data>/master.key (0600) once, from ALUNITE_MASTER_KEY, random in memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-mk-'));
    try {
      const k1 = await resolveMasterKey({ dataDir: dir, inMemory: false, env: {} });
      assert.equal(k1.length, 32);
      assert.equal((await stat(join(dir, 'master.key'))).mode & 0o777, 0o600);
      const k2 = await resolveMasterKey({ dataDir: dir, inMemory: false, env: {} });
      assert.deepEqual(k2, k1);
      const fromEnv = randomBytes(32);
      assert.deepEqual(await resolveMasterKey({ dataDir: dir, inMemory: false, env: { ALUNITE_MASTER_KEY: fromEnv.toString('base64') } }), fromEnv);
      await assert.rejects(resolveMasterKey({ dataDir: dir, inMemory: true, env: { ALUNITE_MASTER_KEY: 'c2hvcnQ=' } }), /32 bytes/);
      const m1 = await resolveMasterKey({ dataDir: dir, inMemory: true, env: {} });
      const m2 = await resolveMasterKey({ dataDir: dir, inMemory: true, env: {} });
      assert.notDeepEqual(m1, m2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('AccessKey secrets are stored sealed and survive a restart with the same master key', async () => {
    const server = await startTestServer();
    const caller = { principal: { type: 'root' as const, accountId: server.ram.accountId, accessKeyId: AK } };
    await server.ram.createUser(caller, { userName: 'sealed' });
    const { key, secret } = await server.ram.createAccessKey(caller, { userName: 'sealed' });
    const stored = await server.meta.getAccessKey(key.accessKeyId);
    assert.ok(stored && !stored.sealedSecret.includes(secret));
    const db = await readFile(join(server.dataDir, 'metadata.sqlite')).catch(() => Buffer.alloc(0));
    assert.ok(!db.includes(Buffer.from(secret)), 'the plain secret is not in the database file');
    await server.close();
    // Restart on the same data directory: master.key is read back and the secret opens.
    const { startServer } = await import('../src/server.js');
    const again = await startServer({
      host: '127.0.0.1', port: 0, dataDir: server.dataDir, inMemory: false, region: 'cn-hangzhou', accountId: server.ram.accountId,
      rootAccessKeyId: AK, rootAccessKeySecret: SECRET, logLevel: 'silent', durable: false,
    });
    try {
      assert.equal((await again.ram.resolveAccessKey(key.accessKeyId))?.secret, secret);
    } finally {
      await again.close();
      await rm(server.dataDir, { recursive: true, force: true });
    }
  });
});
