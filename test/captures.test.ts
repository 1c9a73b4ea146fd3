// Replays real ali-oss 6.23 requests (test/fixtures/ali-oss-captures.jsonl) against a real server and
// checks that every signature verifies. The fixture holds the lines of the spec's
// captures/ali-oss.jsonl that this test uses (request line, raw headers, body; no responses); the two
// OSS.STS AssumeRole lines are left out because STS is not an OSS endpoint here yet.
// Also: unit tests of the V1/V4 signature functions against the spec's worked examples.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { authenticate, type AuthMethod } from '../src/auth/authenticate.js';
import type { Credential, CredentialResolver } from '../src/auth/principal.js';
import type { SignableRequest } from '../src/auth/signature/request.js';
import { signV1, stringToSignV1 } from '../src/auth/signature/v1.js';
import { canonicalRequestV4, scopeOf, signingKeyV4, signV4, stringToSignV4 } from '../src/auth/signature/v4.js';
import { AppError } from '../src/errors.js';
import { parseQuery, resolveAddress } from '../src/oss/address.js';
import { signPostPolicyV1, signPostPolicyV4 } from '../src/oss/post-policy.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';

const CAP_AK = 'LTAI5tFAKEFAKEFAKE';
const CAP_SECRET = 'FakeSecretFakeSecretFakeSecret12';
const CAP_TOKEN = 'FakeSTSToken';
const REGION = 'cn-hangzhou';

interface CaptureBody {
  length: number;
  md5Base64: string;
  text?: string;
  headBase64?: string;
}

interface Capture {
  index: number;
  scenario: string;
  inputs: {
    credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string | null };
    clientOptions: { bucket?: string; cname?: boolean; sldEnable?: boolean; authorizationV4?: boolean; stsToken?: string; endpoint?: string };
    call?: string;
    region?: string;
    date?: string;
  };
  request: { method: string; url: string; rawHeaders: string[]; body?: CaptureBody } | null;
  computed?: Record<string, string>;
}

const captures: Capture[] = readFileSync(new URL('../../test/fixtures/ali-oss-captures.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l, index) => ({ index, ...(JSON.parse(l) as Omit<Capture, 'index'>) }));

/** Test-only resolver: the capture key, with or without the capture STS token (real STS comes later). */
class CaptureCredentials implements CredentialResolver {
  async resolve(accessKeyId: string, securityToken: string | undefined): Promise<Credential> {
    if (accessKeyId !== CAP_AK) throw new AppError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
    if (securityToken !== undefined && securityToken !== CAP_TOKEN) throw new AppError('InvalidSecurityToken');
    return { accessKeyId, secret: CAP_SECRET, principal: { type: 'root', accountId: ACCOUNT_ID, accessKeyId } };
  }
}

function rawHeader(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** Lower-case header object, as node's parser hands it to the server. */
function lowerHeaders(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    out[k] = out[k] === undefined ? raw[i + 1]! : `${out[k]}, ${raw[i + 1]!}`;
  }
  return out;
}

function isoBasic(v: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  assert.ok(m, `not an ISO 8601 basic date: ${v}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** How the capture is signed, and the server time at which it was signed. */
function signing(cap: Capture): { method: AuthMethod; time: number } {
  const req = cap.request!;
  const auth = rawHeader(req.rawHeaders, 'authorization');
  const q = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
  if (auth?.startsWith('OSS ')) {
    const date = rawHeader(req.rawHeaders, 'x-oss-date') ?? rawHeader(req.rawHeaders, 'date');
    assert.ok(date, 'V1 capture without a date');
    return { method: 'v1', time: Date.parse(date) };
  }
  if (auth?.startsWith('OSS4-HMAC-SHA256 ')) return { method: 'v4', time: isoBasic(rawHeader(req.rawHeaders, 'x-oss-date')!) };
  // ali-oss signatureUrl: Expires = signing time + 1800 s by default; a minute before expiry is inside.
  if (q.has('Expires')) return { method: 'v1-url', time: (Number(q.get('Expires')) - 60) * 1000 };
  if (q.has('x-oss-signature')) return { method: 'v4-url', time: isoBasic(q.get('x-oss-date')!) };
  assert.fail(`capture #${cap.index} carries no signature`);
}

/**
 * The exact body bytes. Big binary bodies are stored as their first 64 bytes only; ali-oss's
 * multipart scenario uploads a buffer whose byte i is i % 251, so the part is rebuilt from its first
 * byte (the offset) and checked against the captured MD5.
 */
function bodyOf(b: CaptureBody | undefined): Buffer | undefined {
  if (b === undefined) return undefined;
  let buf: Buffer;
  if (b.text !== undefined) {
    buf = Buffer.from(b.text, 'utf8');
  } else {
    const head = Buffer.from(b.headBase64!, 'base64');
    buf = Buffer.alloc(b.length);
    for (let i = 0; i < b.length; i++) buf[i] = (head[0]! + i) % 251;
    assert.deepEqual(buf.subarray(0, head.length), head, 'rebuilt body does not start with the captured head');
  }
  assert.equal(buf.length, b.length);
  assert.equal(createHash('md5').update(buf).digest('base64'), b.md5Base64, 'body bytes differ from the capture');
  return buf;
}

/** Every error that means "your signature/credentials were not accepted". */
const AUTH_CODES = new Set([
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'RequestTimeTooSkewed',
  'AccessDenied',
  'InvalidSecurityToken',
  'SecurityTokenExpired',
  'AccessKeyIdAndSecurityTokenNotMatch',
]);
const AUTH_ARGUMENTS = new Set([
  'Authorization', 'Credential', 'AdditionalHeaders', 'x-oss-date', 'x-oss-expires', 'x-oss-signature-version',
  'x-oss-content-sha256', 'security-token', 'OSSAccessKeyId', 'Signature', 'Expires',
]);

function assertNotAuthError(res: RawResponse, what: string): void {
  const err = errorOf(res);
  if (err === null) return;
  assert.ok(!AUTH_CODES.has(err.Code!), `${what}: ${res.status} ${err.Code} ${err.Message}\n${err.StringToSign ?? ''}`);
  if (err.Code === 'InvalidArgument') {
    assert.ok(!AUTH_ARGUMENTS.has(err.ArgumentName ?? ''), `${what}: auth InvalidArgument ${err.ArgumentName}: ${err.Message}`);
  }
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** A cname:true capture as the same request sent path style to the same host (`/<bucket>` + path). */
function pathStyleUrl(cap: Capture): string {
  const bucket = cap.inputs.clientOptions.bucket!;
  const { path, query } = splitUrl(cap.request!.url);
  return `/${bucket}${path}${query === '' ? '' : `?${query}`}`;
}

/**
 * Runs the repo's own authenticate() on a capture, addressed the way the listener addresses it (or, for
 * CNAME captures, the way an explicit CNAME → bucket mapping would), to prove the signature verifies
 * even where the server answers a routing error (e.g. NotImplemented for x-oss-process) before auth.
 */
async function authenticateCapture(cap: Capture, now: number): Promise<AuthMethod> {
  const req = cap.request!;
  const headers = lowerHeaders(req.rawHeaders);
  const { path, query } = splitUrl(cap.inputs.clientOptions.cname ? pathStyleUrl(cap) : req.url);
  const address = resolveAddress(headers.host, path, { hostnames: [] });
  const signable: SignableRequest = { method: req.method, bucket: address.bucket, key: address.key, query: parseQuery(query), headers };
  const auth = await authenticate(signable, { credentials: new CaptureCredentials(), region: REGION, now });
  return auth.method;
}

describe('ali-oss captures replayed as raw HTTP', () => {
  let server: TestServer;
  let now = 0;
  const outcomes = new Map<string, number>();

  before(async () => {
    server = await startTestServer({
      rootAccessKeyId: CAP_AK,
      rootAccessKeySecret: CAP_SECRET,
      clock: () => now,
      credentials: new CaptureCredentials(),
    });
  });
  after(async () => {
    await server.stop();
  });

  test('the fixture holds the whole ali-oss session (159 requests + 2 PostObject computations)', () => {
    assert.equal(captures.length, 161);
    assert.equal(captures.filter((c) => c.request !== null).length, 159);
    assert.equal(captures[0]!.scenario, 'V1 putBucket (IP endpoint)');
  });

  test('every captured request verifies, replayed in session order against one server', async (t) => {
    const verified: Record<AuthMethod, number> = { anonymous: 0, v1: 0, 'v1-url': 0, v2: 0, 'v2-url': 0, v4: 0, 'v4-url': 0, 'post-v1': 0, 'post-v4': 0 };
    let cnamesPathStyle = 0;
    const record = (cap: Capture, res: RawResponse): void => {
      const code = errorOf(res)?.Code;
      const outcome = `${res.status}${code ? ` ${code}` : ''}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (res.status >= 300) t.diagnostic(`#${cap.index} ${cap.scenario}: ${outcome}`);
    };
    for (const cap of captures) {
      if (cap.request === null) continue; // computed-only PostObject signatures: see the test below
      await t.test(`#${cap.index} ${cap.scenario}`, async () => {
        const req = cap.request!;
        const { method, time } = signing(cap);
        now = time;
        // 1. The repo's authenticate() accepts the signature.
        assert.equal(await authenticateCapture(cap, now), method);
        // 2. The server, sent the captured bytes, answers no authentication error.
        const body = bodyOf(req.body);
        if (cap.inputs.clientOptions.cname) {
          // cname:true sends `/<key>` to the endpoint host itself (`localhost`). Spec §1.3: such a CNAME is
          // indistinguishable from path style and must be explicit configuration, which Alunite does not
          // have yet — so the captured request is read path style (bucket = first path segment) and its
          // signature, made for /examplebucket/…, does not match.
          const asIs = await rawRequest(server.port, { method: req.method, path: req.url, headers: req.rawHeaders, body });
          assert.equal(errorOf(asIs)?.Code, 'SignatureDoesNotMatch');
          // The same request (same headers, same signature) addressed path style verifies: ali-oss signs
          // the logical bucket regardless of addressing (spec §3.4).
          const res = await rawRequest(server.port, { method: req.method, path: pathStyleUrl(cap), headers: req.rawHeaders, body });
          assertNotAuthError(res, `#${cap.index} path style`);
          cnamesPathStyle++;
          record(cap, res);
        } else {
          const res = await rawRequest(server.port, { method: req.method, path: req.url, headers: req.rawHeaders, body });
          assertNotAuthError(res, `#${cap.index}`);
          record(cap, res);
        }
        verified[method]++;
      });
    }
    t.diagnostic(`verified: ${JSON.stringify(verified)}; cname captures verified path style: ${cnamesPathStyle}`);
    t.diagnostic(`server answers: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    // 73 + 74 header-signed (spec §3, §6) and 6 + 6 presigned URLs (spec §4, §7).
    assert.deepEqual(verified, { anonymous: 0, v1: 73, 'v1-url': 6, v2: 0, 'v2-url': 0, v4: 74, 'v4-url': 6, 'post-v1': 0, 'post-v4': 0 });
    assert.equal(cnamesPathStyle, 6);
  });

  test('the session left the objects it wrote (replay really reached the store)', async () => {
    const objects = await server.meta.listObjects('examplebucket', { prefix: '', limit: 1000 });
    const keys = objects.map((o) => o.key);
    // (big.bin is not among them: the captured UploadPart/Complete requests carry the capture server's
    // upload ids, which this server never issued, so they answer NoSuchUpload after verifying.)
    for (const k of ['dir/a.txt', 'dir/put.txt', 'dir/put v4.txt', 'append.txt', 'a b/c?d#e&f=g~!*\'().txt', 'link.txt']) {
      assert.ok(keys.includes(k), `missing ${k} in ${JSON.stringify(keys)}`);
    }
  });
});

describe('PostObject signatures (computed-only captures)', () => {
  // Checked against the signature primitives and against src/oss/post-policy.ts, which PostObject verifies
  // with (spec §9): V1 = HMAC-SHA1 over the base64 policy, V4 = HMAC-SHA256 with the §6 signing key over
  // the base64 policy.
  test('V1 calculatePostSignature = base64(HMAC-SHA1(secret, policyBase64))', () => {
    const cap = captures.find((c) => c.scenario === 'V1 PostObject calculatePostSignature')!;
    assert.equal(cap.request, null);
    assert.equal(signV1(CAP_SECRET, cap.computed!.policy!), cap.computed!.Signature);
    assert.equal(signPostPolicyV1(CAP_SECRET, cap.computed!.policy!), cap.computed!.Signature);
  });
  test('V4 signPostObjectPolicyV4 = hex(HMAC-SHA256(signingKey, policyBase64))', () => {
    const cap = captures.find((c) => c.scenario === 'V4 PostObject signPostObjectPolicyV4')!;
    assert.equal(cap.request, null);
    const date = cap.inputs.date!.slice(0, 8);
    assert.equal(signV4(signingKeyV4(CAP_SECRET, date, cap.inputs.region!), cap.computed!.policyBase64!), cap.computed!.signature);
    assert.equal(signPostPolicyV4({ secret: CAP_SECRET, date, region: cap.inputs.region!, policyBase64: cap.computed!.policyBase64! }), cap.computed!.signature);
  });
});

describe('signature functions: worked examples', () => {
  test('V1 header: spec §3.5 "V1 put" string-to-sign and signature', () => {
    const req: SignableRequest = {
      method: 'PUT',
      bucket: 'examplebucket',
      key: 'dir/hello world+中文.txt',
      query: [],
      headers: {
        host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
        'user-agent': 'aliyun-sdk-nodejs/6.23.0 Node.js 20.20.2 on Linux 64-bit',
        'content-md5': '8PGMLGauHdUSvc1DZvdtow==',
        'content-type': 'text/plain',
        'x-oss-date': 'Sun, 22 Nov 2026 04:21:11 GMT',
        'x-oss-storage-class': 'Standard',
        'x-oss-object-acl': 'private',
        'x-oss-meta-author': 'alice',
        'x-oss-forbid-overwrite': 'false',
      },
    };
    const sts = stringToSignV1(req, 'Sun, 22 Nov 2026 04:21:11 GMT', false);
    assert.equal(
      sts,
      'PUT\n8PGMLGauHdUSvc1DZvdtow==\ntext/plain\nSun, 22 Nov 2026 04:21:11 GMT\n' +
        'x-oss-date:Sun, 22 Nov 2026 04:21:11 GMT\nx-oss-forbid-overwrite:false\nx-oss-meta-author:alice\n' +
        'x-oss-object-acl:private\nx-oss-storage-class:Standard\n/examplebucket/dir/hello world+中文.txt',
    );
    assert.equal(signV1(CAP_SECRET, sts), 'PuyMEkyHxR1/vAJ8lYGjIHnq3PU=');
  });

  test('V1 header: OSS API doc example (secret OtxrzxIsfp… → 26NBxoKdsyly4EDv6inkoDft/yA=)', () => {
    // The spec quotes only the secret and the result. The request is the OSS API reference example as
    // reproduced in SDK test suites (PUT /nelson on bucket oss-example, Date Thu, 17 Nov 2005 18:49:58 GMT);
    // the HMAC matching the published signature confirms it is the same string.
    const req: SignableRequest = {
      method: 'PUT',
      bucket: 'oss-example',
      key: 'nelson',
      query: [],
      headers: {
        'content-md5': 'ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=',
        'content-type': 'text/html',
        date: 'Thu, 17 Nov 2005 18:49:58 GMT',
        'x-oss-meta-author': 'foo@bar.com',
        'x-oss-magic': 'abracadabra',
        host: 'oss-example.oss-cn-hangzhou.aliyuncs.com',
      },
    };
    const sts = stringToSignV1(req, 'Thu, 17 Nov 2005 18:49:58 GMT', false);
    assert.equal(
      sts,
      'PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\n' +
        'x-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson',
    );
    assert.equal(signV1('OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV', sts), '26NBxoKdsyly4EDv6inkoDft/yA=');
  });

  test('V1 presigned URL: spec §4 example signs Expires and security-token, not the auth params', () => {
    const cap = captures.find((c) => c.scenario === 'V1 signatureUrl GET +STS')!;
    const { query } = splitUrl(cap.request!.url);
    const pairs = parseQuery(query);
    const req: SignableRequest = { method: 'GET', bucket: 'examplebucket', key: 'dir/a.txt', query: pairs, headers: { host: 'localhost:37815' } };
    const sts = stringToSignV1(req, '1795324876', true);
    assert.equal(sts, 'GET\n\n\n1795324876\n/examplebucket/dir/a.txt?security-token=FakeSTSToken');
    assert.equal(signV1(CAP_SECRET, sts), new Map(pairs).get('Signature'));
  });

  test('V1 canonical resource: sub-resources sorted, decoded, bare when empty; others unsigned', () => {
    const req: SignableRequest = {
      method: 'GET',
      bucket: 'examplebucket',
      key: 'dir/a.txt',
      query: [['response-content-disposition', 'attachment; filename=a.txt'], ['prefix', 'x'], ['acl', ''], ['x-oss-process', 'image/resize,w_10']],
      headers: {},
    };
    assert.equal(
      stringToSignV1(req, 'D', false),
      'GET\n\n\nD\n/examplebucket/dir/a.txt?acl&response-content-disposition=attachment; filename=a.txt&x-oss-process=image/resize,w_10',
    );
    assert.equal(stringToSignV1({ ...req, bucket: null, key: null, query: [] }, 'D', false), 'GET\n\n\nD\n/');
    assert.equal(stringToSignV1({ ...req, key: null, query: [['uploads', '']] }, 'D', false), 'GET\n\n\nD\n/examplebucket/?uploads');
  });

  test('V4 header: spec §6 worked example (additionalHeaders range)', () => {
    const req: SignableRequest = {
      method: 'GET',
      bucket: 'examplebucket',
      key: 'dir/hello world+中文.txt',
      query: [],
      headers: {
        'x-oss-date': '20261122T042113Z',
        'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        'user-agent': 'aliyun-sdk-nodejs/6.23.0 Node.js 20.20.2 on Linux 64-bit',
        range: 'bytes=0-3',
        'content-type': 'text/plain',
        host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com',
      },
    };
    const canonical = canonicalRequestV4(req, { additionalHeaders: ['range'], payloadHash: 'UNSIGNED-PAYLOAD' });
    assert.equal(
      canonical,
      'GET\n/examplebucket/dir/hello%20world%2B%E4%B8%AD%E6%96%87.txt\n\n' +
        'content-type:text/plain\nrange:bytes=0-3\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20261122T042113Z\n\n' +
        'range\nUNSIGNED-PAYLOAD',
    );
    const scope = scopeOf('20261122', REGION);
    assert.equal(scope, '20261122/cn-hangzhou/oss/aliyun_v4_request');
    const sts = stringToSignV4('20261122T042113Z', scope, canonical);
    assert.equal(sts.split('\n').slice(0, 3).join('\n'), 'OSS4-HMAC-SHA256\n20261122T042113Z\n20261122/cn-hangzhou/oss/aliyun_v4_request');
    assert.equal(signV4(signingKeyV4(CAP_SECRET, '20261122', REGION), sts), '586075b1759d0285a89643105628d4ec5aafb1760834d85e59fed16c1b5dbd4d');
  });

  test('V4 canonical query: every parameter, RFC 3986 encoded, sorted, bare key when empty (ali-oss `k=` fallback optional)', () => {
    const req: SignableRequest = { method: 'GET', bucket: 'b', key: null, query: [['prefix', ''], ['list-type', '2'], ['delimiter', '/'], ['uploads', '']], headers: {} };
    const lines = (emptyAsEquals: boolean): string =>
      canonicalRequestV4(req, { additionalHeaders: [], payloadHash: 'UNSIGNED-PAYLOAD', emptyAsEquals }).split('\n')[2]!;
    assert.equal(lines(false), 'delimiter=%2F&list-type=2&prefix&uploads');
    assert.equal(lines(true), 'delimiter=%2F&list-type=2&prefix=&uploads');
  });
});
