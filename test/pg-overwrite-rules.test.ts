// The overwrite rules suite again with the metadata in PostgreSQL, and the rules put through one server process
// refusing an overwrite through another (the rules live in the bucket record each process caches).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { expectOssError, type RawResult } from './helpers/oss.js';
import { assertServersOnPostgres, startServerPairOnPostgres } from './helpers/server.js';

process.env.ALUNITE_TEST_META = 'postgres';
await import('./overwrite-rules.test.js');

it('the overwrite rules suite really runs on PostgreSQL', assertServersOnPostgres);

it('rules put through one process refuse the overwrite through the other; their Delete there lifts them', async () => {
  const pair = await startServerPairOnPostgres();
  try {
    const a = pair.a.client({ bucket: 'ow-pair' });
    const b = pair.b.client({ bucket: 'ow-pair' });
    await a.putBucket('ow-pair');
    await b.put('k.json', Buffer.from('first'));
    const config = async (method: string, body?: string): Promise<number> => {
      const raw = a as unknown as { _bucketRequestParams(m: string, n: string, s: string, o: object): { content?: Buffer; mime?: string; successStatuses?: number[] }; request(p: object): Promise<RawResult> };
      const params = raw._bucketRequestParams(method, 'ow-pair', 'overwriteConfig', {});
      if (body !== undefined) Object.assign(params, { content: Buffer.from(body), mime: 'xml' });
      params.successStatuses = [200, 204];
      return (await raw.request(params)).status;
    };
    assert.equal(await config('PUT', '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Suffix>.json</Suffix></Rule></OverwriteConfiguration>'), 200);
    await expectOssError(b.put('k.json', Buffer.from('second')), 'FileAlreadyExists', 409);
    assert.equal(((await b.get('k.json')).content as Buffer).toString(), 'first');
    assert.equal(await config('DELETE'), 204);
    await b.put('k.json', Buffer.from('second'));
    assert.equal(((await a.get('k.json')).content as Buffer).toString(), 'second');
  } finally {
    await pair.stop();
  }
});
