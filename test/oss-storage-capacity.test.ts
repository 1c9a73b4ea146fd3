// A bucket's storage capacity (docs/storage-capacity.md): PutBucketStorageCapacity / GetBucketStorageCapacity
// (`?qos`, <BucketUserQos><StorageCapacity>, in GB) as the SDKs' own tests use them (the PHP SDK's
// OssClientBucketStorageCapacityTest, the C# SDK's BucketStorageCapacityTest, the Java SDK's BucketUserQosTest),
// enforced on every write that adds bytes (PutObject declared and chunked, AppendObject, CopyObject, PostObject,
// UploadPart, UploadPartCopy, CompleteMultipartUpload) with nothing stored on refusal; RAM authorization, explicit
// Deny included; other uses of `?qos` still 501. Against a real server.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parseErrorXml } from './helpers/raw-http.js';
import { failsWith, signedRequest, succeeds, type SignedReply } from './helpers/signed.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { chunkedPart, declaredOnly, postForm } from './helpers/storage-writes.js';

const EXCEEDED = 'Bucket storage exceed max storage capacity.';
const GB = 2 ** 30;

const capacityXml = (n: number | string): string => `<?xml version="1.0" encoding="utf-8"?>\n<BucketUserQos><StorageCapacity>${n}</StorageCapacity></BucketUserQos>\n`;
const text = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

interface OssError {
  code?: string;
  status?: number;
  message?: string;
}

async function refusedByCapacity(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (err: OssError) => {
    assert.equal(err.code, 'StorageCapacityExceeded');
    assert.equal(err.status, 403);
    assert.equal(err.message, EXCEEDED);
    return true;
  });
}

function exceeded(r: SignedReply): void {
  failsWith(r, 'StorageCapacityExceeded', 403);
  assert.equal(r.err?.Message, EXCEEDED);
}

describe('bucket storage capacity', () => {
  let srv: TestServer;
  let n = 0;
  const send = (method: string, bucket: string | null, key: string | null, query: Array<[string, string]>, opts: Parameters<typeof signedRequest>[5] = {}) =>
    signedRequest(srv.port, method, bucket, key, query, opts);
  const getCapacity = async (bucket: string): Promise<number> => Number(text(succeeds(await send('GET', bucket, null, [['qos', '']])).text, 'StorageCapacity'));
  const putCapacity = (bucket: string, value: number | string, creds?: [string, string]) =>
    send('PUT', bucket, null, [['qos', '']], { body: capacityXml(value), ...(creds ? { creds } : {}) });
  const storage = async (bucket: string): Promise<number> => Number(text(succeeds(await send('GET', bucket, null, [['stat', '']])).text, 'Storage'));
  const freshBucket = async (): Promise<string> => {
    const name = `capacity-${++n}`;
    await srv.client().putBucket(name);
    return name;
  };

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('the PHP SDK\'s testBucket: -1 on a new bucket, 1000 read back, 0 refuses a PutObject, -2 is InvalidArgument', async () => {
    const bucket = await freshBucket();
    assert.equal(await getCapacity(bucket), -1);
    const answer = succeeds(await send('GET', bucket, null, [['qos', '']]));
    assert.match(answer.text, /^<\?xml[^>]*>\s*<BucketUserQos><StorageCapacity>-1<\/StorageCapacity><\/BucketUserQos>$/);
    succeeds(await putCapacity(bucket, 1000));
    assert.equal(await getCapacity(bucket), 1000);
    succeeds(await putCapacity(bucket, 0));
    assert.equal(await getCapacity(bucket), 0);
    const c = srv.client({ bucket });
    await refusedByCapacity(c.put('test-storage-capacity', Buffer.from('test-content')));
    await assert.rejects(c.head('test-storage-capacity'), (err: OssError) => err.status === 404);
    assert.equal(await storage(bucket), 0);
    failsWith(await putCapacity(bucket, -2), 'InvalidArgument', 400);
    assert.equal(await getCapacity(bucket), 0);
  });

  test('the C# and Java SDKs\' tests: 10240 read back; -1 set explicitly reads -1; -2 and -3 refused', async () => {
    const bucket = await freshBucket();
    succeeds(await putCapacity(bucket, 10240));
    assert.equal(await getCapacity(bucket), 10240);
    succeeds(await putCapacity(bucket, -1));
    assert.equal(await getCapacity(bucket), -1);
    succeeds(await putCapacity(bucket, 10000));
    assert.equal(await getCapacity(bucket), 10000);
    for (const bad of [-2, -3]) {
      const r = failsWith(await putCapacity(bucket, bad), 'InvalidArgument', 400);
      assert.equal(r.err?.ArgumentName, 'StorageCapacity');
    }
    assert.equal(await getCapacity(bucket), 10000);
  });

  test('a malformed request is refused and changes nothing', async () => {
    const bucket = await freshBucket();
    succeeds(await putCapacity(bucket, 7));
    for (const bad of ['abc', '1.5', '', '99999999999999999999']) failsWith(await putCapacity(bucket, bad), 'InvalidArgument', 400);
    for (const body of [
      '<BucketUserQos></BucketUserQos>',
      '<BucketUserQos><StorageCapacity>1</StorageCapacity><TotalQps>1</TotalQps></BucketUserQos>',
      '<BucketUserQos><StorageCapacity>1</StorageCapacity><StorageCapacity>2</StorageCapacity></BucketUserQos>',
      '<QoSConfiguration><StorageCapacity>1</StorageCapacity></QoSConfiguration>',
      'not xml',
    ]) {
      failsWith(await send('PUT', bucket, null, [['qos', '']], { body }), 'MalformedXML', 400);
    }
    assert.equal(await getCapacity(bucket), 7);
    failsWith(await send('GET', 'no-such-capacity-bucket', null, [['qos', '']]), 'NoSuchBucket', 404);
  });

  test('every write that adds bytes is refused over the capacity, nothing stored; metadata writes and deletes still work', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    await c.put('a', Buffer.from('hello'));
    const upload = (await c.initMultipartUpload('mp')) as { uploadId: string };
    const part1 = succeeds(await send('PUT', bucket, 'mp', [['partNumber', '1'], ['uploadId', upload.uploadId]], { body: 'part-one' }));
    const before = await storage(bucket);
    assert.equal(before, 5 + 8);
    succeeds(await putCapacity(bucket, 0));

    await refusedByCapacity(c.put('b', Buffer.from('x')));
    await refusedByCapacity(c.put('empty', Buffer.alloc(0))); // the bucket is over its capacity already
    await refusedByCapacity(c.putStream('chunked', Readable.from([Buffer.from('chunked body')])));
    await refusedByCapacity(c.append('appended', Buffer.from('x')));
    await refusedByCapacity(c.copy('copy-of-a', 'a'));
    exceeded(await send('PUT', bucket, 'mp', [['partNumber', '2'], ['uploadId', upload.uploadId]], { body: 'part-two' }));
    exceeded(await send('PUT', bucket, 'mp', [['partNumber', '3'], ['uploadId', upload.uploadId]], { headers: { 'x-oss-copy-source': `/${bucket}/a` } }));
    await refusedByCapacity(c.completeMultipartUpload('mp', upload.uploadId, [{ number: 1, etag: String(part1.headers.etag) }]));
    const posted = await postForm(srv.url, bucket, 'form/f.txt', 'form body');
    assert.equal(posted.status, 403, posted.text);
    assert.equal(parseErrorXml(posted.text).Code, 'StorageCapacityExceeded');

    // Nothing of any of them was kept.
    assert.equal(await storage(bucket), before);
    for (const key of ['b', 'empty', 'chunked', 'appended', 'copy-of-a', 'form/f.txt']) {
      await assert.rejects(c.head(key), (err: OssError) => err.status === 404, key);
    }
    const parts = succeeds(await send('GET', bucket, 'mp', [['uploadId', upload.uploadId]])).text;
    assert.deepEqual([...parts.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => m[1]), ['1']);

    // Writes that add no bytes: an ACL, tags, a copy onto itself; deletes always.
    await c.putACL('a', 'public-read');
    succeeds(await send('PUT', bucket, 'a', [['tagging', '']], { body: '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>' }));
    succeeds(await send('PUT', bucket, 'a', [], { headers: { 'x-oss-copy-source': `/${bucket}/a`, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-m': '1' } }));
    succeeds(await send('DELETE', bucket, 'mp', [['uploadId', upload.uploadId]]), 204);
    await c.delete('a');
    assert.equal(await storage(bucket), 0);
    // Empty again: a write that adds nothing fits in 0 GB, one byte does not.
    await c.put('empty', Buffer.alloc(0));
    await refusedByCapacity(c.put('one', Buffer.from('1')));
    // Bodies of unknown length pass the first check (nothing over yet) and are refused once in, nothing kept: a
    // chunked PutObject, a form's file, a chunked UploadPart.
    await refusedByCapacity(c.putStream('chunked-late', Readable.from([Buffer.from('chunked body')])));
    const late = await postForm(srv.url, bucket, 'form/late.txt', 'form body');
    assert.equal(late.status, 403, late.text);
    assert.equal(parseErrorXml(late.text).Code, 'StorageCapacityExceeded');
    const upload2 = (await c.initMultipartUpload('mp2')) as { uploadId: string };
    exceeded(await chunkedPart(srv.port, bucket, 'mp2', upload2.uploadId, 'chunked part'));
    assert.equal(await storage(bucket), 0);
    for (const key of ['chunked-late', 'form/late.txt']) await assert.rejects(c.head(key), (err: OssError) => err.status === 404, key);
    assert.ok(!succeeds(await send('GET', bucket, 'mp2', [['uploadId', upload2.uploadId]])).text.includes('<Part>'));
    // Without a capacity (-1) writes are taken again.
    succeeds(await putCapacity(bucket, -1));
    await c.put('one', Buffer.from('1'));
    await c.putStream('chunked', Readable.from([Buffer.from('chunked body')]));
    assert.equal(await storage(bucket), 1 + 12);
  });

  test('a write that would go over a capacity the bucket is under: refused from its declared length before its body is read', async () => {
    const bucket = await freshBucket();
    succeeds(await putCapacity(bucket, 1));
    const c = srv.client({ bucket });
    await c.put('small', Buffer.from('fits in 1 GB'));
    // 1 GB + 1 byte declared; the body is never sent: the answer comes from the headers alone.
    for (const [key, query] of [['big', []], ['big-part', [['partNumber', '1'], ['uploadId', ((await c.initMultipartUpload('big-part')) as { uploadId: string }).uploadId]]]] as Array<[string, Array<[string, string]>]>) {
      const r = await declaredOnly(srv.port, bucket, key, query, GB + 1);
      assert.equal(r.status, 403, r.text);
      assert.equal(parseErrorXml(r.text).Code, 'StorageCapacityExceeded');
    }
    assert.equal(await storage(bucket), 12);
  });

  test('a copy onto itself in a versioned bucket is one more version holding the bytes: refused over the capacity (a review found it unchecked)', async () => {
    const bucket = await freshBucket();
    const c = srv.client({ bucket });
    succeeds(await send('PUT', bucket, null, [['versioning', '']], { body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' }));
    await c.put('src', Buffer.alloc(1000, 1));
    succeeds(await putCapacity(bucket, 0));
    const before = await storage(bucket);
    for (let i = 0; i < 2; i++) {
      exceeded(await send('PUT', bucket, 'src', [], { headers: { 'x-oss-copy-source': `/${bucket}/src`, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-m': String(i) } }));
    }
    assert.equal(await storage(bucket), before, 'no version added');
  });

  test('authorization: oss:PutBucketStorageCapacity / oss:GetBucketStorageCapacity, owner and policies only; an explicit Deny refuses', async () => {
    const bucket = await freshBucket();
    const ram = new Ram(srv);
    const reader = await ram.userWith('capacity-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetBucketStorageCapacity'], Resource: [`acs:oss:*:*:${bucket}`] }));
    const readerCreds: [string, string] = [reader.accessKeyId, reader.accessKeySecret];
    assert.equal(Number(text(succeeds(await send('GET', bucket, null, [['qos', '']], { creds: readerCreds })).text, 'StorageCapacity')), -1);
    failsWith(await putCapacity(bucket, 5, readerCreds), 'AccessDenied', 403);
    const writer = await ram.userWith('capacity-writer', policyDoc({ Effect: 'Allow', Action: ['oss:PutBucketStorageCapacity'], Resource: [`acs:oss:*:*:${bucket}`] }));
    const writerCreds: [string, string] = [writer.accessKeyId, writer.accessKeySecret];
    succeeds(await putCapacity(bucket, 5, writerCreds));
    failsWith(await send('GET', bucket, null, [['qos', '']], { creds: writerCreds }), 'AccessDenied', 403);
    assert.equal(await getCapacity(bucket), 5);

    // oss:* allowed, each action denied explicitly: that operation is refused and nothing changes.
    for (const [action, method] of [['oss:PutBucketStorageCapacity', 'PUT'], ['oss:GetBucketStorageCapacity', 'GET']] as const) {
      const u = await ram.userWith(`capacity-deny-${method.toLowerCase()}`, policyDoc(
        { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
        { Effect: 'Deny', Action: [action], Resource: ['*'] },
      ));
      const creds: [string, string] = [u.accessKeyId, u.accessKeySecret];
      const r = method === 'PUT' ? await putCapacity(bucket, 9, creds) : await send('GET', bucket, null, [['qos', '']], { creds });
      failsWith(r, 'AccessDenied', 403);
      // The other of the two is let through by oss:*.
      if (method === 'PUT') assert.equal(Number(text(succeeds(await send('GET', bucket, null, [['qos', '']], { creds })).text, 'StorageCapacity')), 5);
      else succeeds(await putCapacity(bucket, 5, creds));
    }
    assert.equal(await getCapacity(bucket), 5);
    // An ACL grants neither: public-read-write lets anonymous callers write objects, not the capacity.
    succeeds(await send('PUT', bucket, null, [['acl', '']], { headers: { 'x-oss-acl': 'public-read-write' } }));
    const anon = await fetch(`${srv.url}/${bucket}/?qos`, { method: 'PUT', body: capacityXml(1) });
    assert.equal(anon.status, 403, await anon.text());
    assert.equal(await getCapacity(bucket), 5);
  });

  test('other uses of ?qos stay 501; the QoS operations are unchanged', async () => {
    const bucket = await freshBucket();
    await srv.client({ bucket }).put('obj', Buffer.from('x'));
    failsWith(await send('DELETE', bucket, null, [['qos', '']]), 'NotImplemented', 501);
    failsWith(await send('GET', bucket, 'obj', [['qos', '']]), 'NotImplemented', 501);
    failsWith(await send('PUT', bucket, 'obj', [['qos', '']], { body: capacityXml(1) }), 'NotImplemented', 501);
    failsWith(await send('GET', null, null, [['qos', '']]), 'NotImplemented', 501);
    failsWith(await send('PUT', bucket, null, [['qos', ''], ['acl', '']], { body: capacityXml(1) }), 'NotImplemented', 501);
    failsWith(await send('GET', bucket, null, [['qos', ''], ['qosInfo', '']]), 'NotImplemented', 501);
    assert.equal(await getCapacity(bucket), -1);
    failsWith(await send('GET', bucket, null, [['qosInfo', '']]), 'NoSuchQoSConfiguration', 404);
    succeeds(await send('PUT', bucket, null, [['qosInfo', '']], { body: '<QoSConfiguration><TotalQps>100</TotalQps></QoSConfiguration>' }));
    assert.equal(text(succeeds(await send('GET', bucket, null, [['qosInfo', '']])).text, 'TotalQps'), '100');
    assert.equal(await getCapacity(bucket), -1);
  });
});
