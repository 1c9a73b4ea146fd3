// Two Alunite servers on one PostgreSQL database (and one blob directory, one master key), as two
// processes would run: the database decides conditional-write races, RPC nonces are shared, and an
// identity or bucket change made through one server is enforced by the other on the next request.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import type { ObjectRecord } from '../src/domain/model.js';
import { AppError } from '../src/errors.js';
import { percentEncode } from '../src/rpc/encoding.js';
import { rpcSignature, rpcStringToSign } from '../src/rpc/signature.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { expectOssError } from './helpers/oss.js';
import { testPostgres } from './helpers/postgres.js';
import { rawRequest, v1Authorization } from './helpers/raw-http.js';
import { denied, MSG, policyDoc, popFails, Ram } from './helpers/ram.js';
import { AK, SECRET, startSharedServers, type TestServer } from './helpers/server.js';
import { assumeRole, ossWith, roleArn, stsClient, TRUST_ACCOUNT, type StsCredentials } from './helpers/sts.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

const BUCKET = 'shared-bucket';

describe('two servers sharing one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  let url: string;
  before(async () => {
    ({ a, b, url } = await startSharedServers());
    await a.client().putBucket(BUCKET);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('both servers are on PostgreSQL and see each other\'s buckets and objects', async () => {
    assert.ok(a.meta instanceof PostgresMetadataStore && b.meta instanceof PostgresMetadataStore);
    await a.client({ bucket: BUCKET }).put('from-a.txt', Buffer.from('written through A'));
    const got = await b.client({ bucket: BUCKET }).get('from-a.txt');
    assert.equal((got.content as Buffer).toString(), 'written through A');
    const listed = (await b.client().listBuckets({})) as unknown as { buckets: Array<{ name: string }> };
    assert.ok(listed.buckets.some((x) => x.name === BUCKET));
  });

  it('concurrent x-oss-forbid-overwrite PUTs of one key through both servers: exactly one 200, the others 409 FileAlreadyExists', async () => {
    const key = 'race/forbid-overwrite.bin';
    const bodies = Array.from({ length: 10 }, (_, i) => Buffer.from(`body ${i} ${'x'.repeat(i * 1000)}`));
    const results = await Promise.allSettled(
      bodies.map((body, i) => (i % 2 === 0 ? a : b).client({ bucket: BUCKET }).put(key, body, { headers: { 'x-oss-forbid-overwrite': 'true' } })),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, `exactly one PUT wins: ${JSON.stringify(results.map((r) => r.status))}`);
    for (const r of results) {
      if (r.status === 'rejected') {
        const err = r.reason as { code: string; status: number };
        assert.equal(err.code, 'FileAlreadyExists');
        assert.equal(err.status, 409);
      }
    }
    // Both servers serve the winner's bytes, nothing else.
    for (const srv of [a, b]) {
      assert.deepEqual((await srv.client({ bucket: BUCKET }).get(key)).content, bodies[won[0]!]);
    }
  });

  it('the database decides a create-if-absent race between two store instances (two pools, as two processes)', async () => {
    const s1 = await PostgresMetadataStore.open({ url, durable: false });
    const s2 = await PostgresMetadataStore.open({ url, durable: false });
    try {
      const template = (await a.meta.getObject(BUCKET, 'from-a.txt'))!;
      const attempts = Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? s1 : s2).putObject(BUCKET, 'race/store-level', (cur): ObjectRecord => {
          if (cur) throw new AppError('FileAlreadyExists');
          return { ...template, key: 'race/store-level', etag: `E${i}` };
        }),
      );
      const results = await Promise.allSettled(attempts);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason instanceof AppError && r.reason.code === 'FileAlreadyExists')));
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  it('racing appends at the same position through both servers: one wins, the other gets PositionNotEqualToLength', async () => {
    const key = 'race/append.log';
    const results = await Promise.allSettled([
      a.client({ bucket: BUCKET }).append(key, Buffer.from('from A'), { position: '0' }),
      b.client({ bucket: BUCKET }).append(key, Buffer.from('from B'), { position: '0' }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((lost.reason as { code: string }).code, 'PositionNotEqualToLength');
    const content = (await b.client({ bucket: BUCKET }).get(key)).content as Buffer;
    assert.ok(['from A', 'from B'].includes(content.toString()), content.toString());
  });

  it('racing CompleteMultipartUpload of one upload through both servers: one completes, the other gets NoSuchUpload', async () => {
    const key = 'race/multipart.bin';
    const part = randomBytes(1000);
    const path = join(a.dataDir, 'part.bin');
    await writeFile(path, part);
    const init = await a.client({ bucket: BUCKET }).initMultipartUpload(key);
    const up = await b.client({ bucket: BUCKET }).uploadPart(key, init.uploadId, 1, path, 0, part.length);
    const parts = [{ number: 1, etag: up.etag }];
    const results = await Promise.allSettled([
      a.client({ bucket: BUCKET }).completeMultipartUpload(key, init.uploadId, parts),
      b.client({ bucket: BUCKET }).completeMultipartUpload(key, init.uploadId, parts),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((lost.reason as { code: string }).code, 'NoSuchUpload');
    assert.deepEqual((await a.client({ bucket: BUCKET }).get(key)).content, part);
  });

  it('a SignatureNonce used on one server is refused on the other', async () => {
    const iso = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const p = new Map<string, string>(Object.entries({
      Action: 'ListUsers', Format: 'JSON', Version: '2015-05-01', AccessKeyId: AK, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
      SignatureNonce: randomUUID(), Timestamp: iso,
    }));
    p.set('Signature', rpcSignature(SECRET, rpcStringToSign('GET', p, 'strict')));
    const path = `/?${[...p].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`;
    const first = await rawRequest(a.port, { method: 'GET', path, headers: { host: `127.0.0.1:${a.port}` } });
    assert.equal(first.status, 200, first.body.toString());
    const replayed = await rawRequest(b.port, { method: 'GET', path, headers: { host: `127.0.0.1:${b.port}` } });
    assert.equal(replayed.status, 400);
    assert.equal((JSON.parse(replayed.body.toString()) as { Code: string }).Code, 'SignatureNonceUsed');
  });

  it('a signed /-/accounts request used on one server is refused on the other (replay)', async () => {
    const body = JSON.stringify({ accountId: '4000000000000007', name: 'shared once' });
    const headers: Record<string, string> = { date: new Date().toUTCString(), host: '127.0.0.1', 'content-type': 'application/json', 'content-md5': createHash('md5').update(body).digest('base64') };
    headers.authorization = v1Authorization({ method: 'POST', bucket: '-', key: 'accounts', headers }, AK, SECRET).authorization;
    const first = await rawRequest(a.port, { method: 'POST', path: '/-/accounts', headers, body });
    assert.equal(first.status, 200, first.body.toString());
    await a.accounts.delete('4000000000000007');
    const replay = await rawRequest(b.port, { method: 'POST', path: '/-/accounts', headers, body });
    assert.equal(replay.status, 403, replay.body.toString());
    assert.equal(await b.accounts.get('4000000000000007'), null);
  });

  it('ExplainRequest of a request the other process answered: 404 saying each process remembers its own', async () => {
    const err = await expectOssError(a.client({ bucket: BUCKET }).get('explain-me.txt'), 'NoSuchKey', 404);
    const explained = await new Ram(a).call('ExplainRequest', { RequestId: err.requestId });
    assert.equal((explained.Request as { Status: number }).Status, 404);
    await popFails(new Ram(b).call('ExplainRequest', { RequestId: err.requestId }), 'EntityNotExist.Request',
      `The request ${err.requestId} is not among the last 10000 requests this server has seen, nor among the refused requests it kept ` +
      'across its last stop. Each server process sharing this database remembers only the requests it answered: ask the process ' +
      "that answered it, or read that process's audit log.", 404);
  });

  it('a RAM change made through one server is enforced by the other on the next request', async () => {
    const ramA = new Ram(a);
    const ramB = new Ram(b);
    const user = await ramA.userWith('shared-reader', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    const asUserOnB = b.client({ bucket: BUCKET, accessKeyId: user.accessKeyId, accessKeySecret: user.accessKeySecret });
    const asUserOnA = a.client({ bucket: BUCKET, accessKeyId: user.accessKeyId, accessKeySecret: user.accessKeySecret });
    // B authenticates the key created through A and caches the user's policies.
    assert.equal(((await asUserOnB.get('from-a.txt')).content as Buffer).toString(), 'written through A');
    await ramA.detachFromUser('shared-reader-policy', 'shared-reader');
    await denied(asUserOnB.get('from-a.txt'), MSG.acl);
    await ramB.attachToUser('shared-reader-policy', 'shared-reader');
    assert.equal((await asUserOnA.get('from-a.txt')).res.status, 200);
    assert.equal((await asUserOnB.get('from-a.txt')).res.status, 200);
    // A new policy version (deny) made default through B applies on A at once.
    await ramB.call('CreatePolicyVersion', {
      PolicyName: 'shared-reader-policy', SetAsDefault: true,
      PolicyDocument: policyDoc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }),
    });
    await denied(asUserOnA.get('from-a.txt'), MSG.policyDeny);
    // A disabled AccessKey is refused by the other server at once.
    await ramA.call('UpdateAccessKey', { UserName: 'shared-reader', UserAccessKeyId: user.accessKeyId, Status: 'Inactive' });
    await expectOssError(asUserOnB.get('from-a.txt'), 'InvalidAccessKeyId', 403);
  });

  it('STS credentials issued by one server and presigned URLs signed for one server are accepted by the other', async () => {
    const ramA = new Ram(a);
    const user = await ramA.userWith('shared-assumer', policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }));
    await ramA.call('CreateRole', { RoleName: 'shared-writer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ramA.call('AttachPolicyToRole', { PolicyType: 'System', PolicyName: 'AliyunOSSFullAccess', RoleName: 'shared-writer' });
    const body = await assumeRole(stsClient(a, user.accessKeyId, user.accessKeySecret), {
      RoleArn: roleArn('shared-writer'), RoleSessionName: 'usr001', DurationSeconds: 900,
      Policy: policyDoc({ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: `acs:oss:*:*:${BUCKET}/usr001/*` }),
    });
    const creds = body.Credentials as StsCredentials;
    // No session is stored anywhere: B opens the token with the shared master key alone.
    await ossWith(b, creds, BUCKET).put('usr001/via-b.txt', Buffer.from('session write through B'));
    assert.equal(((await ossWith(a, creds, BUCKET).get('usr001/via-b.txt')).content as Buffer).toString(), 'session write through B');
    await denied(ossWith(b, creds, BUCKET).get('from-a.txt'), "Access denied by authorizer's policy.");
    // A presigned URL made for A (root key, and with the session's token) is honoured by B.
    const sessionSigner = a.pathClient({ bucket: BUCKET, accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken });
    for (const signer of [a.pathClient({ bucket: BUCKET }), sessionSigner]) {
      const signed = new URL(signer.signatureUrl('usr001/via-b.txt', { expires: 300 }));
      const onB = `${b.url}/${BUCKET}/usr001/via-b.txt${signed.search}`;
      const res = await fetch(onB);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(await res.text(), 'session write through B');
    }
  });

  it('a bucket ACL change made through one server is enforced by the other on the next request', async () => {
    const anonymousGet = async (srv: TestServer): Promise<number> =>
      (await rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/from-a.txt`, headers: { host: `127.0.0.1:${srv.port}` } })).status;
    assert.equal(await anonymousGet(b), 403); // B caches the private bucket row
    await a.client().putBucketACL(BUCKET, 'public-read');
    assert.equal(await anonymousGet(b), 200);
    await a.client().putBucketACL(BUCKET, 'private');
    assert.equal(await anonymousGet(b), 403);
  });
});

describe('two bin/alunite processes on one PostgreSQL database', () => {
  it('--meta and ALUNITE_META select PostgreSQL, --blobs/ALUNITE_BLOBS the shared blob directory: one process reads what the other wrote', async () => {
    const url = await (await testPostgres()).freshUrl();
    const shared = await mkdtemp(join(tmpdir(), 'alunite-shared-'));
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    const procs: SpawnedServer[] = [];
    try {
      procs.push(await spawnServer(['--data', join(shared, 'p1'), '--meta', url, '--blobs', join(shared, 'blobs'), '--no-fsync'], env));
      procs.push(await spawnServer(['--data', join(shared, 'p2'), '--no-fsync'], { ...env, ALUNITE_META: url, ALUNITE_BLOBS: join(shared, 'blobs') }));
      const [p1, p2] = procs as [SpawnedServer, SpawnedServer];
      const client = (p: SpawnedServer): OSS =>
        new OSS({ endpoint: p.url, region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, bucket: 'procs' } as OSS.Options);
      await client(p1).putBucket('procs');
      const big = randomBytes(200_000); // above the inline limit: a blob file in the shared directory
      await client(p1).put('big.bin', big);
      await client(p2).put('small.txt', Buffer.from('from p2'));
      assert.deepEqual((await client(p2).get('big.bin')).content, big);
      assert.equal(((await client(p1).get('small.txt')).content as Buffer).toString(), 'from p2');
      await expectOssError(client(p2).put('big.bin', Buffer.from('x'), { headers: { 'x-oss-forbid-overwrite': 'true' } }), 'FileAlreadyExists', 409);
    } finally {
      for (const p of procs) await kill9(p.child);
      await rm(shared, { recursive: true, force: true });
    }
  });
});
