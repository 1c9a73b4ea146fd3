// What one client can make the server keep across requests (rings, caches, pools): each bound measured on a
// real server child process, its heap read after a full collection (test/helpers/heap-probe.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import OSS from 'ali-oss';
import { AK, SECRET } from './helpers/server.js';
import { eventually } from './helpers/eventually.js';
import { heapProbeFlags, heapUsedMb, spawnServer, type SpawnedServer } from './helpers/spawn.js';

/** Each test runs thousands of requests through one process: ~5-20 s alone, 10x that on a machine at load 16. The timeout is for a hang. */
const HANG = 600_000;

async function withServer(fn: (srv: SpawnedServer) => Promise<void>): Promise<void> {
  const srv = await spawnServer(['--in-memory'], {}, heapProbeFlags());
  try {
    await fn(srv);
  } finally {
    srv.child.kill('SIGKILL');
  }
}

/** The heap the server keeps after `count` calls of `send` (a few warm-up calls first), in MB. */
async function kept(srv: SpawnedServer, count: number, send: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await send(1_000_000 + i);
  const before = await heapUsedMb(srv);
  for (let i = 0; i < count; i++) await send(i);
  return (await heapUsedMb(srv)) - before;
}


/** ali-oss as the root of the default account, on `bucket` if given. */
const rootOss = (srv: { url: string }, bucket?: string): OSS =>
  new OSS({ region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, endpoint: srv.url, ...(bucket !== undefined ? { bucket } : {}) });

type PopCall = (c: RPCClient, action: string, params: object) => Promise<Record<string, Record<string, string>>>;

/** A role `r` any user of the account may assume, and an STS client of a user allowed sts:AssumeRole. */
async function assumer(srv: { url: string }): Promise<{ pop: (apiVersion: string, accessKeyId: string, accessKeySecret: string, securityToken?: string) => RPCClient; call: PopCall; sts: RPCClient; roleArn: (name: string) => string; agent: { destroy(): void } }> {
  const { Agent } = await import('node:http');
  const { TRUST_ACCOUNT, roleArn } = await import('./helpers/sts.js');
  const agent = new Agent({ keepAlive: true });
  const pop = (apiVersion: string, accessKeyId: string, accessKeySecret: string, securityToken?: string): RPCClient =>
    new RPCClient({ endpoint: srv.url, apiVersion, accessKeyId, accessKeySecret, ...(securityToken !== undefined ? { securityToken } : {}) });
  const call: PopCall = (c, action, params) => c.request(action, params, { method: 'POST', agent } as object) as Promise<Record<string, Record<string, string>>>;
  const ram = pop('2015-05-01', AK, SECRET);
  await call(ram, 'CreateRole', { RoleName: 'r', AssumeRolePolicyDocument: TRUST_ACCOUNT });
  await call(ram, 'CreateUser', { UserName: 'assumer' });
  await call(ram, 'AttachPolicyToUser', { UserName: 'assumer', PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess' });
  const key = (await call(ram, 'CreateAccessKey', { UserName: 'assumer' })).AccessKey!;
  return { pop, call, sts: pop('2015-04-01', key.AccessKeyId!, key.AccessKeySecret!), roleArn, agent };
}

describe('The ring of recent requests (ExplainRequest)', () => {
  it('keeps the cut of a long message, not the message: 100 SignatureDoesNotMatch quoting 900 KB keep < 10 MB', { timeout: HANG }, async () => {
    // The ring cut messages to 1,024 characters with slice(), a view of the whole string in V8: every cut kept
    // its ~0.9 MB message alive (100 requests: +86 MB of heap; the ring's 10,000: ~9 GB), for anyone knowing an
    // AccessKeyId (presigned URLs carry them).
    await withServer(async (srv) => {
      const grown = await kept(srv, 100, async (i) => {
        const body = new URLSearchParams({
          Action: 'GetCallerIdentity', Version: '2015-04-01', Format: 'JSON', AccessKeyId: AK, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
          Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), SignatureNonce: `n${i}`, Signature: 'x', Junk: `${'j'.repeat(900_000)}${i}`,
        }).toString();
        const r = await fetch(`${srv.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        assert.equal(((await r.json()) as { Code: string }).Code, 'SignatureDoesNotMatch');
      });
      assert.ok(grown < 10, `the server kept ${grown.toFixed(1)} MB after 100 requests`);
    });
  });
});

describe('The ring of recent requests keeps ~20 MB at most, whatever the requests carry', () => {
  it('60 anonymous DeleteMultipleObjects of 1 MB keep < 20 MB (the authorization record kept apart from its body)', { timeout: HANG }, async () => {
    // Each kept record's resource ARN (and its check's) was built from a key parsed out of the body: a view of the
    // whole 1 MB body in V8, so every request kept its body alive (60: ~+60 MB; the ring's 10,000: gigabytes),
    // while the ring weighed only the key. Answered 200 here; the 503s past the held-answers bound kept as much.
    await withServer(async (srv) => {
      await rootOss(srv).putBucket('ring-del');
      await rootOss(srv, 'ring-del').putBucketACL('ring-del', 'public-read-write');
      const { createHash } = await import('node:crypto');
      const grown = await kept(srv, 60, async (i) => {
        const body = `<Delete><Quiet>false</Quiet>${Array.from({ length: 1000 }, (_, j) => `<Object><Key>${i}-${String(j).padStart(4, '0')}${'x'.repeat(1000)}</Key></Object>`).join('')}</Delete>`;
        const r = await fetch(`${srv.url}/ring-del/?delete`, { method: 'POST', headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') }, body });
        await r.arrayBuffer();
        assert.equal(r.status, 200);
      });
      assert.ok(grown < 20, `kept ${grown.toFixed(1)} MB`);
    });
  });

  it('600 anonymous PUTs with 3,500 tags each (condition keys) keep < 30 MB; the newest is still explained', { timeout: HANG }, async () => {
    // Each tag of x-oss-tagging is a condition key (oss:RequestObjectTag/<k>) kept with the decision: a 16 KiB
    // header of 3,500 empty tags kept ~190 KB per request (600: +113 MB; the ring's 10,000: ~1.9 GB), for anyone.
    await withServer(async (srv) => {
      const root = rootOss(srv);
      await root.putBucket('rt-tags');
      await root.putBucketPolicy('rt-tags', { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: ['acs:oss:*:*:rt-tags/pub/*'] }] });
      const tagging = Array.from({ length: 3500 }, (_, i) => `${i.toString(36)}=`).join('&');
      let lastId = '';
      const grown = await kept(srv, 600, async (i) => {
        const r = await fetch(`${srv.url}/rt-tags/k${i}`, { method: 'PUT', headers: { 'x-oss-tagging': tagging }, body: 'x' });
        assert.match(await r.text(), /<Code>AccessDenied<\/Code>/);
        lastId = r.headers.get('x-oss-request-id')!;
      });
      assert.ok(grown < 30, `the server kept ${grown.toFixed(1)} MB after 600 requests`);
      const ram = new RPCClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
      const explained = (await ram.request('ExplainRequest', { RequestId: lastId }, { method: 'POST' })) as { Request: { Decision: string; Trace?: unknown } };
      assert.equal(explained.Request.Decision, 'ImplicitDeny');
      assert.ok(explained.Request.Trace !== undefined, 'the newest request is explained with its trace');
    });
  });
});

describe('STS sessions with their own policies: the caches keep tens of MB at most', () => {
  it('7,000 sessions, each with a distinct 2 KB policy and used once, keep < 60 MB (the verified-token, compiled-policy and pool caches bounded by bytes)', { timeout: HANG }, async () => {
    // A caller allowed sts:AssumeRole chooses each session's policy: the verified-token cache (holding the token,
    // which carries the policy), the compiled-policy cache (keyed by the text) and the statement pools each kept
    // up to 10,000 entries of ~2-6 KB: 7,000 such sessions kept ~110 MB, 10,000 ~150 MB.
    await withServer(async (srv) => {
      const { pop, call, sts, roleArn, agent } = await assumer(srv);
      const grown = await kept(srv, 7000, async (i) => {
        const Policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:b${i}/${'p'.repeat(1850)}*`] }] });
        const c = (await call(sts, 'AssumeRole', { RoleArn: roleArn('r'), RoleSessionName: `s${i}`, Policy })).Credentials!;
        const who = await call(pop('2015-04-01', c.AccessKeyId!, c.AccessKeySecret!, c.SecurityToken!), 'GetCallerIdentity', {});
        assert.equal(who.IdentityType as unknown, 'AssumedRoleUser');
      });
      agent.destroy();
      assert.ok(grown < 60, `the server kept ${grown.toFixed(1)} MB after 7,000 sessions`);
    });
  });
});

describe('Bucket access logging holds ~1 MiB of lines per logged bucket before writing them, 16 MiB in all', () => {
  it('900 anonymous requests with 15 KB URLs to a logged bucket keep < 6 MB until the next flush', { timeout: HANG }, async () => {
    // Lines were written every 1,000 requests (or every minute): each quotes the URL, Referer and User-Agent,
    // so 900 anonymous requests with 15 KB URLs kept ~14 MB until the minute was up (1,000 lines of ~16-50 KB,
    // and 10 times that behind a slow target, per logged bucket). Now a batch is written once it holds 1 MiB.
    await withServer(async (srv) => {
      const root = rootOss(srv, 'rt-log');
      await root.putBucket('rt-log');
      await root.putBucketLogging('rt-log', 'logs/');
      const pad = 'q'.repeat(15_000);
      const grown = await kept(srv, 900, async (i) => {
        const r = await fetch(`${srv.url}/rt-log/k${i}?x=${pad}${i}`);
        assert.equal(r.status, 403);
        await r.arrayBuffer();
      });
      assert.ok(grown < 6, `the server kept ${grown.toFixed(1)} MB after 900 requests`);
      // The lines were written (log objects in the bucket), not dropped.
      await eventually(async () => ((await root.list({ prefix: 'logs/', 'max-keys': 100 }, {})).objects ?? []).length >= 5, 'at least 5 log objects written');
    });
  });
});

describe('Response header names remembered as valid are short', () => {
  it('GETs of 2,000 objects each with one 8,000-character metadata name keep < 6 MB', { timeout: HANG }, async () => {
    // The set of names node accepted (4,096) took any name, and a metadata name is its writer's choice (up to the
    // 8 KB of user metadata): 2,000 such objects read once kept ~16 MB (4,096: ~32 MB) for the life of the process.
    await withServer(async (srv) => {
      const oss = rootOss(srv, 'rt-names');
      await oss.putBucket('rt-names');
      await oss.putBucketACL('rt-names', 'public-read');
      const name = (i: number): string => `${'n'.repeat(8000)}${i}`;
      for (let i = 0; i < 2010; i++) await oss.put(`o${i}`, Buffer.from('x'), { meta: { [name(i)]: 'v' } as never });
      const get = async (i: number): Promise<void> => {
        const r = await fetch(`${srv.url}/rt-names/o${i}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get(`x-oss-meta-${name(i)}`), 'v');
        await r.arrayBuffer();
      };
      for (let i = 2000; i < 2010; i++) await get(i);
      await oss.put('flush', Buffer.from('x')); // a write empties the cache of object records (measured apart)
      await oss.head('flush');
      const before = await heapUsedMb(srv);
      for (let i = 0; i < 2000; i++) await get(i);
      await oss.put('flush', Buffer.from('y'));
      await oss.head('flush'); // the next read lets the emptied cache go
      const grown = (await heapUsedMb(srv)) - before;
      assert.ok(grown < 6, `the server kept ${grown.toFixed(1)} MB after 2,000 GETs`);
    });
  });
});

describe('The cache of object records counts their metadata, not only their inline bytes', () => {
  it('anonymous GETs of 3,000 public objects with 8 KB of metadata each keep < 14 MB', { timeout: HANG }, async () => {
    // The cache (4,096 records until the next write) counted inline bytes only: records of 8 KB user metadata
    // (the writer's choice) kept ~9 KB each, 3,000 of them +27 MB (4,096: ~34 MB), read by anyone.
    await withServer(async (srv) => {
      const oss = rootOss(srv, 'rt-meta');
      await oss.putBucket('rt-meta');
      await oss.putBucketACL('rt-meta', 'public-read');
      for (let i = 0; i < 3010; i++) await oss.put(`o${i}`, Buffer.from('x'), { meta: { m: `${'v'.repeat(8000)}${i}` } as never });
      const get = async (i: number): Promise<void> => {
        const r = await fetch(`${srv.url}/rt-meta/o${i}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-oss-meta-m')?.length, 8000 + String(i).length);
        await r.arrayBuffer();
      };
      const grown = await kept(srv, 3000, (i) => get(i < 1_000_000 ? i : 3000 + (i - 1_000_000)));
      assert.ok(grown < 14, `the server kept ${grown.toFixed(1)} MB after 3,000 GETs`);
      // Cached records are still served (a second read of the first objects).
      for (let i = 0; i < 10; i++) await get(i);
    });
  });
});

describe('Unknown AccessKeyIds of a valid shape are remembered as copies, not as slices of their header', () => {
  it('3,000 anonymous requests with unknown ids and 15 KB signatures keep < 10 MB', { timeout: HANG }, async () => {
    // The id is cut from `Authorization: OSS <id>:<signature>`, and V8 keeps a cut's whole parent alive: both
    // credential caches (10,000 entries each) kept ~15 KB per unknown id, 3,000 requests +45 MB (10,000: ~150 MB).
    await withServer(async (srv) => {
      const signature = 's'.repeat(15_000);
      const grown = await kept(srv, 3000, async (i) => {
        const id = `A${i}`.padEnd(64, 'Z');
        // ListBuckets: a request on a bucket that does not exist would be answered NoSuchBucket (missing-bucket-first.ts).
        const r = await fetch(`${srv.url}/`, { headers: { date: new Date().toUTCString(), authorization: `OSS ${id}:${signature}` } });
        assert.match(await r.text(), /<Code>InvalidAccessKeyId<\/Code>/);
      });
      assert.ok(grown < 10, `the server kept ${grown.toFixed(1)} MB after 3,000 requests`);
    });
  });
});

describe('Verified STS tokens are remembered as copies, not as slices of the request that carried them', () => {
  it('100 sessions, each used once by a POP request with a 900 KB body, keep < 15 MB', { timeout: HANG }, async () => {
    // The verified-token cache is keyed by the SecurityToken, a cut of the POP body (parseQuery), and V8 keeps a
    // cut's whole parent alive: each session kept its first request's ~0.9 MB body (100: +86 MB; 10,000: ~9 GB).
    await withServer(async (srv) => {
      const { pop, call, sts, roleArn, agent } = await assumer(srv);
      const grown = await kept(srv, 100, async (i) => {
        const c = (await call(sts, 'AssumeRole', { RoleArn: roleArn('r'), RoleSessionName: `s${i}` })).Credentials!;
        const who = await call(pop('2015-04-01', c.AccessKeyId!, c.AccessKeySecret!, c.SecurityToken!), 'GetCallerIdentity', { Junk: `${'j'.repeat(900_000)}${i}` });
        assert.equal(who.IdentityType as unknown, 'AssumedRoleUser');
      });
      agent.destroy();
      assert.ok(grown < 15, `the server kept ${grown.toFixed(1)} MB after 100 sessions`);
    });
  });
});

describe('Request parameters are copied out of a long query or POP body', () => {
  it('100 GetUser calls with a 900 KB body from a user allowed nothing keep < 15 MB', { timeout: HANG }, async () => {
    // The denial's resource, acs:ram::<uid>:user/<UserName>, was built on a cut of the body, and the ring of recent
    // requests kept it, so the whole body: +86 MB for 100 calls (the ring's 10,000: ~9 GB), for any credential.
    await withServer(async (srv) => {
      const ram = new RPCClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: AK, accessKeySecret: SECRET });
      await ram.request('CreateUser', { UserName: 'nobody' }, { method: 'POST' });
      const key = ((await ram.request('CreateAccessKey', { UserName: 'nobody' }, { method: 'POST' })) as { AccessKey: { AccessKeyId: string; AccessKeySecret: string } }).AccessKey;
      const u = new RPCClient({ endpoint: srv.url, apiVersion: '2015-05-01', accessKeyId: key.AccessKeyId, accessKeySecret: key.AccessKeySecret });
      const grown = await kept(srv, 100, async (i) => {
        const err = await u.request('GetUser', { UserName: `someone-with-a-long-name-${i}`, Junk: `${'j'.repeat(900_000)}${i}` }, { method: 'POST' }).then(() => null, (e: { code?: string }) => e);
        assert.equal(err?.code, 'NoPermission');
      });
      assert.ok(grown < 15, `the server kept ${grown.toFixed(1)} MB after 100 calls`);
    });
  });
});
