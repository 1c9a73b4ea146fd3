// Objects up to LIMITS.inlineMaxSize live in their metadata row; larger ones in blob files. Both
// sides of the threshold must behave the same through the client.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { LIMITS } from '../src/domain/context.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex').toUpperCase();

async function blobFileCount(dataDir: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(join(dataDir, 'blobs'))) n += (await readdir(join(dataDir, 'blobs', sub))).length;
  return n;
}

describe('inline and blob-backed objects', () => {
  let srv: TestServer;
  let oss: OSS;
  before(async () => {
    srv = await startTestServer();
    oss = srv.client({ bucket: 'inline' });
    await oss.putBucket('inline');
  });
  after(() => srv.stop());

  for (const size of [0, 1, LIMITS.inlineMaxSize, LIMITS.inlineMaxSize + 1, 300 * 1024]) {
    it(`${size} bytes: put, get, range, copy, delete`, async () => {
      const before = await blobFileCount(srv.dataDir);
      const body = randomBytes(size);
      const put = await oss.put(`o-${size}`, body);
      assert.equal((put.res.headers as Record<string, string>).etag, `"${md5(body)}"`);
      assert.equal(await blobFileCount(srv.dataDir), before + (size > LIMITS.inlineMaxSize ? 1 : 0));
      assert.ok(((await oss.get(`o-${size}`)).content as Buffer).equals(body));
      if (size > 10) {
        const part = await oss.get(`o-${size}`, { headers: { Range: 'bytes=3-9' } });
        assert.equal(part.res.status, 206);
        assert.ok((part.content as Buffer).equals(body.subarray(3, 10)));
      }
      await oss.copy(`c-${size}`, `o-${size}`);
      assert.ok(((await oss.get(`c-${size}`)).content as Buffer).equals(body));
      await oss.delete(`o-${size}`);
      await oss.delete(`c-${size}`);
      assert.equal(await blobFileCount(srv.dataDir), before);
    });
  }

  it('overwriting a blob-backed object with a small one removes the blob', async () => {
    const before = await blobFileCount(srv.dataDir);
    await oss.put('swap', randomBytes(200 * 1024));
    assert.equal(await blobFileCount(srv.dataDir), before + 1);
    await oss.put('swap', Buffer.from('tiny'));
    assert.equal(await blobFileCount(srv.dataDir), before);
    assert.equal(((await oss.get('swap')).content as Buffer).toString(), 'tiny');
  });
});
