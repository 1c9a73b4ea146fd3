// Versioning together with WORM retention and archive restores: a restore changes the version it names in
// place (never a new version), and retention protects what a delete would remove for good (a version),
// not the delete marker a versioned bucket adds instead.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { startTestServer, type TestServer } from './helpers/server.js';
import { expectOssError, headersOf, sendVerbatim } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';

const DAY_MS = 60_000;

interface Extra {
  putBucketVersioning(bucket: string, status: string): Promise<unknown>;
  getBucketVersions(query: Record<string, string | number>): Promise<{ objects: Array<{ name: string; versionId: string }>; deleteMarker: Array<{ name: string; versionId: string }> }>;
  initiateBucketWorm(name: string, days: string | number): Promise<{ wormId: string }>;
  completeBucketWorm(name: string, wormId: string): Promise<{ status: number }>;
}
const x = (c: OSS): Extra => c as unknown as Extra;

describe('versioning × retention × restore', () => {
  let srv: TestServer;
  let admin: OSS;
  let offset = 0;

  before(async () => {
    srv = await startTestServer({ clock: () => Date.now() + offset, timing: { retentionDayMs: DAY_MS, restoreDelayMs: 0, restoreDayMs: DAY_MS } });
    admin = srv.client();
  });
  after(async () => {
    await srv?.stop();
  });

  const versionsOf = async (bucket: string, key: string): Promise<string[]> => {
    const list = await x(srv.client({ bucket })).getBucketVersions({ prefix: key });
    return [...(list.objects ?? []), ...(list.deleteMarker ?? [])].filter((o) => o.name === key).map((o) => o.versionId);
  };

  it('RestoreObject changes the named version in place: no new version, the other versions stay frozen', async () => {
    const b = 'pv-restore';
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    const v1 = headersOf(await c.put('cold.bin', Buffer.from('one'), { headers: { 'x-oss-storage-class': 'Archive' } }))['x-oss-version-id']!;
    const v2 = headersOf(await c.put('cold.bin', Buffer.from('two'), { headers: { 'x-oss-storage-class': 'Archive' } }))['x-oss-version-id']!;
    assert.notEqual(v1, v2);
    assert.deepEqual((await versionsOf(b, 'cold.bin')).sort(), [v1, v2].sort());

    // The noncurrent version, by versionId.
    const r = await sendVerbatim(c, srv.port, 'POST', 'cold.bin', { subres: { restore: '', versionId: v1 } });
    assert.equal(r.status, 202, r.body.toString());
    // The answer names the restored version (the Go SDK's TestVersioningRestoreObject).
    assert.equal(r.headers['x-oss-version-id'], v1);
    assert.deepEqual((await versionsOf(b, 'cold.bin')).sort(), [v1, v2].sort(), 'a restore must not add a version');
    const old = (await c.get('cold.bin', { versionId: v1 } as OSS.GetObjectOptions)) as unknown as { content: Buffer };
    assert.equal(old.content.toString(), 'one');
    // The current version was not restored.
    await expectOssError(c.get('cold.bin'), 'InvalidObjectState', 403);

    // The current one, without versionId: still in place.
    const cur = await sendVerbatim(c, srv.port, 'POST', 'cold.bin', { subres: 'restore' });
    assert.equal(cur.status, 202, cur.body.toString());
    assert.equal(cur.headers['x-oss-version-id'], v2, 'the current version');
    assert.deepEqual((await versionsOf(b, 'cold.bin')).sort(), [v1, v2].sort());
    assert.equal(((await c.get('cold.bin')) as unknown as { content: Buffer }).content.toString(), 'two');

    // A version that does not exist, and a delete marker.
    const missing = await sendVerbatim(c, srv.port, 'POST', 'cold.bin', { subres: { restore: '', versionId: 'CAEQNRiBgICb8o6D0BYiIDNjY2E4NDRjNmVmMjQ0NzVhNzg4Y2MwNzBjYzdkMmI3' } });
    assert.equal(missing.status, 404, missing.body.toString());
    const del = await c.delete('cold.bin');
    const marker = headersOf(del)['x-oss-version-id']!;
    const onMarker = await sendVerbatim(c, srv.port, 'POST', 'cold.bin', { subres: { restore: '', versionId: marker } });
    assert.equal(onMarker.status, 405, onMarker.body.toString());
  });

  it('a request naming a version is decided by that version\'s own ACL, not the current one\'s', async () => {
    const b = 'pv-acl';
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    const secret = headersOf(await c.put('doc', Buffer.from('private draft')))['x-oss-version-id']!;
    const published = headersOf(await c.put('doc', Buffer.from('published'), { headers: { 'x-oss-object-acl': 'public-read' } }))['x-oss-version-id']!;
    const anon = (q: string): Promise<Response> => fetch(`${srv.url}/${b}/doc${q}`);
    const current = await anon('');
    assert.equal(current.status, 200);
    assert.equal(await current.text(), 'published');
    assert.equal((await anon(`?versionId=${encodeURIComponent(published)}`)).status, 200);
    // The old version inherits the private bucket ACL: refused, although the current one is public.
    const old = await anon(`?versionId=${encodeURIComponent(secret)}`);
    assert.equal(old.status, 403);
    assert.match(await old.text(), /AccessDenied/);
    // And the other way round: a public old version of a now private object.
    await c.putACL('doc', 'private');
    await c.putACL('doc', 'public-read', { versionId: secret } as OSS.RequestOptions);
    assert.equal((await anon('')).status, 403);
    const reopened = await anon(`?versionId=${encodeURIComponent(secret)}`);
    assert.equal(reopened.status, 200);
    assert.equal(await reopened.text(), 'private draft');
  });

  it('bad input gets the service\'s errors: a versionId that is no header-safe text, a RestoreRequest Days that is no text', async () => {
    const b = 'pv-bad';
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    await c.put('k', Buffer.from('kept'), { headers: { 'x-oss-storage-class': 'Archive' } });
    for (const bad of ['a\r\nx-injected: 1', 'v'.repeat(1025), 'tab\there']) {
      const r = await sendVerbatim(c, srv.port, 'DELETE', 'k', { subres: { versionId: bad } });
      assert.equal(r.status, 400, r.body.toString());
      assert.match(r.body.toString(), /<Code>InvalidArgument<\/Code>/);
      assert.equal(r.headers['x-injected'], undefined);
    }
    assert.equal((await versionsOf(b, 'k')).length, 1, 'nothing deleted');
    const { createHash } = await import('node:crypto');
    for (const body of ['<RestoreRequest><Days><x>1</x></Days></RestoreRequest>', '<RestoreRequest><Days>1</Days><Days>2</Days></RestoreRequest>']) {
      const r = await sendVerbatim(c, srv.port, 'POST', 'k', {
        subres: 'restore', content: Buffer.from(body), headers: { 'Content-MD5': createHash('md5').update(body).digest('base64'), 'Content-Type': 'application/xml' },
      });
      assert.equal(r.status, 400, r.body.toString());
      assert.match(r.body.toString(), /<Code>MalformedXML<\/Code>/);
    }
  });

  it('a locked retention protects versions from removal for good; delete markers and new versions are allowed', async () => {
    const b = 'pv-worm';
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    const v1 = headersOf(await c.put('doc.txt', Buffer.from('v1')))['x-oss-version-id']!;
    const init = await x(admin).initiateBucketWorm(b, 1);
    assert.equal((await x(admin).completeBucketWorm(b, init.wormId)).status, 200);

    // An overwrite keeps v1 as a version: allowed.
    const v2 = headersOf(await c.put('doc.txt', Buffer.from('v2')))['x-oss-version-id']!;
    // Deleting without versionId only adds a marker: allowed.
    const del = await c.delete('doc.txt');
    assert.equal(headersOf(del)['x-oss-delete-marker'], 'true');
    const marker = headersOf(del)['x-oss-version-id']!;
    // Removing a protected version for good: refused, alone or in a batch; nothing removed.
    await expectOssError(c.delete('doc.txt', { versionId: v1 } as OSS.RequestOptions), 'FileImmutable', 409);
    const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet><Object><Key>doc.txt</Key><VersionId>${marker}</VersionId></Object><Object><Key>doc.txt</Key><VersionId>${v2}</VersionId></Object></Delete>`;
    const { createHash } = await import('node:crypto');
    const batch = await sendVerbatim(c, srv.port, 'POST', '', {
      subres: 'delete',
      content: Buffer.from(body),
      headers: { 'Content-MD5': createHash('md5').update(body).digest('base64'), 'Content-Type': 'application/xml' },
    });
    assert.equal(batch.status, 409, batch.body.toString());
    assert.deepEqual((await versionsOf(b, 'doc.txt')).sort(), [v1, v2, marker].sort());
    // The marker itself is not protected data.
    await c.delete('doc.txt', { versionId: marker } as OSS.RequestOptions);
    assert.equal(((await c.get('doc.txt')) as unknown as { content: Buffer }).content.toString(), 'v2');

    // Once the retention has passed, versions go.
    offset += 2 * DAY_MS;
    await c.delete('doc.txt', { versionId: v1 } as OSS.RequestOptions);
    assert.deepEqual(await versionsOf(b, 'doc.txt'), [v2]);
  });

  it('a write that drops the key\'s noncurrent null version (Suspended PutObject, an AppendObject creating the null version) is refused while it is protected', async () => {
    const b = 'pv-null-version';
    await admin.putBucket(b);
    const c = srv.client({ bucket: b });
    // The null version: written before versioning, protected by a locked retention.
    await c.put('k.txt', Buffer.from('protected'));
    const init = await x(admin).initiateBucketWorm(b, 1);
    assert.equal((await x(admin).completeBucketWorm(b, init.wormId)).status, 200);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const v2 = headersOf(await c.put('k.txt', Buffer.from('two')))['x-oss-version-id']!;
    assert.deepEqual((await versionsOf(b, 'k.txt')).sort(), ['null', v2].sort());
    const nullBytes = async (): Promise<string> =>
      ((await c.get('k.txt', { versionId: 'null' } as OSS.GetObjectOptions)) as unknown as { content: Buffer }).content.toString();

    // Enabled: a delete marker on top, then an append that would create (and so replace) the null version.
    await c.delete('k.txt');
    await expectOssError(c.append('k.txt', Buffer.from('appended'), { position: '0' }), 'FileImmutable', 409);
    assert.equal(await nullBytes(), 'protected');

    // Suspended: a PutObject makes the null version current, which would drop the noncurrent protected one.
    await x(admin).putBucketVersioning(b, 'Suspended');
    await expectOssError(c.put('k.txt', Buffer.from('three')), 'FileImmutable', 409);
    assert.equal(await nullBytes(), 'protected');

    // A protected current version that a Suspended write keeps (it has a version id) does not stop the write.
    await x(admin).putBucketVersioning(b, 'Enabled');
    const kept = headersOf(await c.put('kept.txt', Buffer.from('kept')))['x-oss-version-id']!;
    await x(admin).putBucketVersioning(b, 'Suspended');
    await c.put('kept.txt', Buffer.from('over it'));
    const keptBytes = ((await c.get('kept.txt', { versionId: kept } as OSS.GetObjectOptions)) as unknown as { content: Buffer }).content.toString();
    assert.equal(keptBytes, 'kept');
    assert.equal(((await c.get('kept.txt')) as unknown as { content: Buffer }).content.toString(), 'over it');
    // The null version it wrote is protected in turn: overwriting it destroys it, refused.
    await expectOssError(c.put('kept.txt', Buffer.from('again')), 'FileImmutable', 409);

    // Once the retention has passed, the same writes go through.
    offset += 2 * DAY_MS;
    await c.put('k.txt', Buffer.from('three'));
    assert.equal(await nullBytes(), 'three');
  });

  it('a copy of a protected object onto itself (metadata replaced) is a new version on an Enabled bucket, refused where it would replace the protected bytes', async () => {
    const b = 'pv-self-copy';
    await admin.putBucket(b);
    await x(admin).putBucketVersioning(b, 'Enabled');
    const c = srv.client({ bucket: b });
    const v1 = headersOf(await c.put('meta.txt', Buffer.from('bytes'), { mime: 'text/plain' }))['x-oss-version-id']!;
    const init = await x(admin).initiateBucketWorm(b, 1);
    assert.equal((await x(admin).completeBucketWorm(b, init.wormId)).status, 200);

    // Enabled: the rewrite keeps v1 as a version, so retention does not stop it.
    const copied = await c.copy('meta.txt', 'meta.txt', { headers: { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'application/json' } } as OSS.CopyObjectOptions);
    const v2 = headersOf(copied)['x-oss-version-id']!;
    assert.ok(v2 && v2 !== v1);
    assert.equal(headersOf(await c.head('meta.txt'))['content-type'], 'application/json');
    const old = (await c.get('meta.txt', { versionId: v1 } as OSS.GetObjectOptions)) as unknown as { content: Buffer; res: { headers: Record<string, string> } };
    assert.equal(old.content.toString(), 'bytes');
    assert.equal(old.res.headers['content-type'], 'text/plain');
    assert.deepEqual((await versionsOf(b, 'meta.txt')).sort(), [v1, v2].sort());

    // Suspended: the current object is that version v2 (it has an id), kept; the rewrite writes the null version.
    await x(admin).putBucketVersioning(b, 'Suspended');
    await c.copy('meta.txt', 'meta.txt', { headers: { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'text/csv' } } as OSS.CopyObjectOptions);
    assert.deepEqual((await versionsOf(b, 'meta.txt')).sort(), [v1, v2, 'null'].sort());
    // Rewriting that protected null version again would destroy it: refused, nothing changed.
    await expectOssError(c.copy('meta.txt', 'meta.txt', { headers: { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'text/html' } } as OSS.CopyObjectOptions), 'FileImmutable', 409);
    assert.equal(headersOf(await c.head('meta.txt'))['content-type'], 'text/csv');

    // Unversioned bucket: the rewrite replaces the protected object itself: refused.
    const u = 'pv-self-copy-plain';
    await admin.putBucket(u);
    const cu = srv.client({ bucket: u });
    await cu.put('meta.txt', Buffer.from('bytes'), { mime: 'text/plain' });
    const initU = await x(admin).initiateBucketWorm(u, 1);
    assert.equal((await x(admin).completeBucketWorm(u, initU.wormId)).status, 200);
    await expectOssError(cu.copy('meta.txt', 'meta.txt', { headers: { 'x-oss-metadata-directive': 'REPLACE', 'Content-Type': 'application/json' } } as OSS.CopyObjectOptions), 'FileImmutable', 409);
    assert.equal(headersOf(await cu.head('meta.txt'))['content-type'], 'text/plain');
  });
});

describe('writes that touch more than their route says are authorized on each part (explicit Deny)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('PutBucket with encryption headers needs oss:PutBucketEncryption too (a re-create of an owned bucket included)', async () => {
    const admin = srv.client();
    await admin.putBucket('pv-sse-deny');
    const user = await new Ram(srv).userWith('sse-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:PutBucket', 'oss:GetBucketEncryption'], Resource: ['acs:oss:*:*:*'] },
      { Effect: 'Deny', Action: 'oss:PutBucketEncryption', Resource: ['acs:oss:*:*:*'] },
    ));
    const c = user.oss();
    const sse = { headers: { 'x-oss-server-side-encryption': 'AES256' } };
    await expectOssError(c.putBucket('pv-sse-deny', sse as unknown as OSS.PutBucketOptions), 'AccessDenied', 403);
    await expectOssError(c.putBucket('pv-sse-new', sse as unknown as OSS.PutBucketOptions), 'AccessDenied', 403);
    // Nothing was set on the existing bucket; without the headers PutBucket still works.
    const r = await sendVerbatim(srv.client({ bucket: 'pv-sse-deny' }), srv.port, 'GET', '', { subres: 'encryption' });
    assert.equal(r.status, 404, r.body.toString());
    await expectOssError(admin.getBucketInfo('pv-sse-new'), 'NoSuchBucket', 404);
    await c.putBucket('pv-sse-plain');
  });

  it('a copy restoring a version onto its own key keeps the destination\'s PutObjectAcl and PutObjectTagging checks', async () => {
    const admin = srv.client();
    await admin.putBucket('pv-copy-deny');
    await x(admin).putBucketVersioning('pv-copy-deny', 'Enabled');
    const a = srv.client({ bucket: 'pv-copy-deny' });
    const v1 = headersOf(await a.put('k', Buffer.from('one'), { headers: { 'x-oss-tagging': 't=1' } }))['x-oss-version-id']!;
    await a.put('k', Buffer.from('two'));
    const res = 'acs:oss:*:*:pv-copy-deny/*';
    const user = await new Ram(srv).userWith('copy-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:GetObject', 'oss:GetObjectVersion', 'oss:GetObjectVersionTagging', 'oss:PutObject', 'oss:PutObjectVersionAcl', 'oss:PutObjectVersionTagging'], Resource: [res] },
      { Effect: 'Deny', Action: ['oss:PutObjectAcl', 'oss:PutObjectTagging'], Resource: [res] },
    ));
    const c = user.oss('pv-copy-deny');
    // The restored version carries tags onto the destination: PutObjectTagging there, denied.
    await expectOssError(c.copy('k', 'k', { versionId: v1 } as unknown as OSS.CopyObjectOptions), 'AccessDenied', 403);
    // An ACL on the destination: PutObjectAcl there, denied.
    await expectOssError(c.copy('k', 'k', { versionId: v1, headers: { 'x-oss-object-acl': 'public-read', 'x-oss-tagging-directive': 'Replace' } } as unknown as OSS.CopyObjectOptions), 'AccessDenied', 403);
    assert.equal(((await a.get('k')) as unknown as { content: Buffer }).content.toString(), 'two');
  });
});
