// The declared-state suite again with the metadata in PostgreSQL (apply, re-apply, export round trip,
// reset), plus a reset seen by a second process sharing the database.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { reset, stateDir } from './helpers/init.js';
import { testPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./init.test.js');

const STATE = `buckets:
  - name: shared
    objects:
      - key: a.txt
        file: a.txt
users:
  - name: app
    accessKeys:
      - id: LTAI5tSharedShared000001
        secret: SharedSecret000000000000000001
`;

describe('POST /-/reset with two processes on one PostgreSQL database', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('the other process sees the declared state at once (its caches follow the reset)', async () => {
    const dir = await stateDir({ 'alunite.yaml': STATE, 'a.txt': 'declared' });
    const meta = await (await testPostgres()).freshUrl();
    const blobsDir = join(dir, 'blobs');
    const one = await startTestServer({ meta, blobsDir, masterKey: Buffer.alloc(32, 9), init: join(dir, 'alunite.yaml'), allowReset: true });
    servers.push(one);
    const two = await startTestServer({ meta, blobsDir, masterKey: Buffer.alloc(32, 9), init: join(dir, 'alunite.yaml') });
    servers.push(two);
    assert.ok(one.meta instanceof PostgresMetadataStore);

    // Drift made through the second process, read there (so its caches hold it).
    await two.client().putBucket('drift');
    await two.client({ bucket: 'drift' }).put('x.bin', Buffer.alloc(100_000, 2));
    await two.client({ bucket: 'shared' }).put('a.txt', Buffer.from('changed'));
    await two.client().getBucketInfo('drift');
    const app = two.client({ bucket: 'shared', accessKeyId: 'LTAI5tSharedShared000001', accessKeySecret: 'SharedSecret000000000000000001' });
    await two.ram.deleteAccessKey({ principal: { type: 'root', accountId: '1234567890123456', accessKeyId: 'x' } }, { userName: 'app', userAccessKeyId: 'LTAI5tSharedShared000001' });

    const code = async (): Promise<string | undefined> => app.getBucketInfo('shared').then(() => 'ok', (e: { code?: string }) => e.code);
    assert.equal(await code(), 'InvalidAccessKeyId');

    const res = await reset(one.port);
    assert.equal(res.status, 200, res.body.toString());

    await assert.rejects(two.client().getBucketInfo('drift'), (e: { code?: string }) => e.code === 'NoSuchBucket');
    assert.equal((await two.client({ bucket: 'shared' }).get('a.txt')).content.toString(), 'declared');
    // The key deleted in process two is back, and process two knows it again (no stale cache): the
    // request authenticates and meets the user's (empty) permissions.
    assert.equal(await code(), 'AccessDenied');
  });
});
