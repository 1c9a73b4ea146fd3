// Findings of the security review, each reproduced against a real server with unchanged clients.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import type OSS from 'ali-oss';
import { expectOssError } from './helpers/oss.js';
import { denied, MSG, policyDoc, Ram } from './helpers/ram.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { signPostPolicyV1 } from '../src/oss/post-policy.js';

const BUCKET = 'review-sym';
const PUBLIC = 'review-sym-public';

describe('symlinks: reading through a link needs oss:GetObject on the target too (OSS checks both)', () => {
  let srv: TestServer;
  let ram: Ram;
  let root: OSS;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    root = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(PUBLIC);
    await srv.client().putBucketACL(PUBLIC, 'public-read');
    await root.put('bob/secret', Buffer.from('bob only'));
    await root.put('alice/own', Buffer.from('alice data'));
  });
  after(async () => {
    await srv.stop();
  });

  it('a user limited to alice/* cannot read bob/secret through a link under alice/ (GET, HEAD, objectMeta, copy, part copy)', async () => {
    const alice = await ram.userWith(
      'review-alice',
      policyDoc({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:*:${BUCKET}/alice/*`] }),
    );
    const oss = alice.oss(BUCKET);
    await oss.putSymlink('alice/link', 'bob/secret');
    await oss.putSymlink('alice/ok-link', 'alice/own');
    // A link to her own data still works.
    assert.equal((await oss.get('alice/ok-link')).content.toString(), 'alice data');
    await denied(oss.get('alice/link'), MSG.acl);
    await denied(oss.head('alice/link'), MSG.acl);
    await denied((oss as unknown as { getObjectMeta(k: string): Promise<unknown> }).getObjectMeta('alice/link'), MSG.acl);
    await denied(oss.copy('alice/stolen', 'alice/link'), MSG.acl);
    const up = await oss.initMultipartUpload('alice/stolen-part');
    await denied(oss.uploadPartCopy('alice/stolen-part', up.uploadId, 1, '', { sourceKey: 'alice/link', sourceBucketName: BUCKET }, {}), MSG.acl);
    await expectOssError(root.head('alice/stolen'), 'NoSuchKey', 404);
    // The link itself is hers to read.
    assert.equal((await oss.getSymlink('alice/link')).targetName, 'bob/secret');
  });

  it('anonymous readers of a public-read bucket cannot read a private object through a link', async () => {
    const pub = srv.client({ bucket: PUBLIC });
    await pub.put('hidden', Buffer.from('private bytes'));
    await pub.putACL('hidden', 'private');
    await pub.putSymlink('open-link', 'hidden');
    const anonGet = async (key: string): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${srv.url}/${PUBLIC}/${key}`);
      return { status: res.status, text: await res.text() };
    };
    assert.equal((await anonGet('hidden')).status, 403);
    const viaLink = await anonGet('open-link');
    assert.equal(viaLink.status, 403, viaLink.text);
    assert.match(viaLink.text, /<Code>AccessDenied<\/Code>/);
    // The owner reads through the link as before.
    assert.equal((await pub.get('open-link')).content.toString(), 'private bytes');
  });
});

describe('PostObject form limits', () => {
  let srv: TestServer;
  const boundary = 'review-boundary';
  const part = (name: string, value: string, filename?: string): string =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
  const send = async (body: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${srv.url}/${PUBLIC}/`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(PUBLIC);
    await srv.client().putBucketACL(PUBLIC, 'public-read-write');
  });
  after(async () => {
    await srv.stop();
  });

  it('more than 1,000 fields before the file → InvalidArgument, nothing stored; 1,000 are accepted', async () => {
    const many = (n: number): string => Array.from({ length: n }, (_, i) => part(`x-f${i}`, '')).join('');
    let r = await send(`${part('key', 'count/over')}${many(1000)}${part('file', 'data', 'f.txt')}--${boundary}--\r\n`);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /<Code>InvalidArgument<\/Code>/);
    assert.match(r.text, /more than 1000 fields before the file/);
    await expectOssError(srv.client({ bucket: PUBLIC }).head('count/over'), 'NoSuchKey', 404);
    r = await send(`${part('key', 'count/ok')}${many(999)}${part('file', 'data', 'f.txt')}--${boundary}--\r\n`);
    assert.equal(r.status, 204, r.text);
  });

  it('x-oss-content-type cannot slip past a Content-Type condition', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$Content-Type', 'image/']] })).toString('base64');
    const signed = `${part('key', 'ct/page.html')}${part('OSSAccessKeyId', AK)}${part('policy', policy)}${part('Signature', signPostPolicyV1(SECRET, policy))}`;
    let r = await send(`${signed}${part('Content-Type', 'image/png')}${part('x-oss-content-type', 'text/html')}${part('file', '<script>x</script>', 'page.html')}--${boundary}--\r\n`);
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /Invalid according to Policy: Policy Condition failed: \["starts-with", "\$Content-Type", "image\/"\]/);
    await expectOssError(srv.client({ bucket: PUBLIC }).head('ct/page.html'), 'NoSuchKey', 404);
    // An override that satisfies the condition is stored as given.
    r = await send(`${signed}${part('x-oss-content-type', 'image/webp')}${part('file', 'img', 'page.html')}--${boundary}--\r\n`);
    assert.equal(r.status, 204, r.text);
    const head = await srv.client({ bucket: PUBLIC }).head('ct/page.html');
    assert.equal((head.res.headers as Record<string, string>)['content-type'], 'image/webp');
  });
});

test('a connection silent for longer than idleTimeoutMs is closed, and the server goes on serving', { timeout: 60_000 }, async () => {
  const { createConnection } = await import('node:net');
  const srv = await startTestServer({ idleTimeoutMs: 300 });
  try {
    await srv.client().putBucket('idle-bucket');
    const port = srv.port;
    // A PostObject form that announces 1 MiB and then stalls after its first bytes.
    const sock = createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(
      'POST /idle-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\n' +
        'Content-Length: 1048576\r\n\r\n--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nstall',
    );
    sock.resume();
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    assert.equal(sock.destroyed, true);
    // Nothing was stored, and the next client is served.
    assert.equal((await srv.client({ bucket: 'idle-bucket' }).list({ 'max-keys': 10 }, {})).objects?.length ?? 0, 0);
  } finally {
    await srv.close();
  }
});
