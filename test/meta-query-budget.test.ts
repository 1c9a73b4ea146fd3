// DoMetaQuery evaluation budget (docs/meta-query.md#bounds): a query of 256 nodes over thousands of long keys is
// answered in bounded, paged requests that yield to the event loop every `yieldEvery` objects; the work of one
// request (nodes × objects read) is cut at `evaluationBudget` like the scan limit cuts it. Real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetaQueryService, META_QUERY_LIMITS, nodeCount, parseQuery, type MetaQueryLimits, type MetaQueryRequest } from '../src/domain/meta-query.js';
import { AppError } from '../src/errors.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import { MemoryBlobStore } from '../src/store/blob/memory.js';
import type { DomainContext } from '../src/domain/context.js';
import { countTurns } from './helpers/loop-turns.js';

const KEYS = 3000;
const keyOf = (i: number): string => String(i).padStart(6, '0') + 'k'.repeat(994);

async function storeWithKeys(): Promise<SqliteMetadataStore> {
  const meta = new SqliteMetadataStore({ path: ':memory:' });
  await meta.createBucket({ name: 'b', ownerAccountId: '1', createdAt: 0, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} });
  await meta.updateBucketConfig('b', 'stored.meta-query', () => JSON.stringify({ State: 'Running' }));
  for (let i = 0; i < KEYS; i++) {
    const key = keyOf(i);
    await meta.putObject('b', key, () => ({
      bucket: 'b', key, size: i, etag: 'E', crc64: '0', contentMd5: null, type: 'Normal', storageClass: 'Standard', acl: 'default',
      lastModified: 1, headers: { contentType: 'x/y' }, userMeta: {}, tags: [], segments: [], inline: null, symlinkTarget: null,
    }));
  }
  return meta;
}

const ctx = (meta: SqliteMetadataStore): DomainContext => ({ meta, blobs: new MemoryBlobStore(), clock: () => Date.now(), region: 'cn-hangzhou', log: () => {} });

/** 256 nodes (the limit): or of three ors holding 252 match leaves; one leaf (upper case) matches keys `…5k…`. */
function bigQuery(): string {
  const miss = { Field: 'Filename', Operation: 'match', Value: 'zz' };
  const leaves = Array.from({ length: 252 }, (_, i) => (i === 200 ? { Field: 'Filename', Operation: 'match', Value: '5K' } : miss));
  return JSON.stringify({ Operation: 'or', SubQueries: [{ Operation: 'or', SubQueries: leaves.slice(0, 100) }, { Operation: 'or', SubQueries: leaves.slice(100, 200) }, { Operation: 'or', SubQueries: leaves.slice(200) }] });
}
const expected = Array.from({ length: KEYS }, (_, i) => i).filter((i) => i % 10 === 5).map(keyOf);

/** Pages through a query, counting requests and the setImmediate ticks the loop ran meanwhile. */
async function pageAll(svc: MetaQueryService, over: Partial<MetaQueryRequest> = {}): Promise<{ files: string[]; sizes: number[]; ticks: number }> {
  const turning = countTurns();
  const files: string[] = [];
  const sizes: number[] = [];
  let token: string | undefined;
  try {
    do {
      const r = await svc.query('b', { query: bigQuery(), aggregations: [], ...over, ...(token !== undefined ? { nextToken: token } : {}) });
      files.push(...r.files.map((f) => f.filename));
      sizes.push(r.files.length);
      token = r.nextToken;
      assert.ok(sizes.length <= 50, 'paging must end');
    } while (token !== undefined);
  } finally {
    turning.stop();
  }
  return { files, sizes, ticks: turning.count };
}

describe('DoMetaQuery evaluation budget (a real SQLite store)', () => {
  test('a 256-node query reads at most budget / nodes objects per request (default limits: 19,531)', () => {
    const tree = parseQuery(bigQuery());
    assert.equal(nodeCount(tree), 256);
    const svc = new MetaQueryService(ctx(new SqliteMetadataStore({ path: ':memory:' })));
    assert.equal(svc.scanLimitFor(tree), Math.floor(5_000_000 / 256));
    assert.equal(svc.scanLimitFor(parseQuery(JSON.stringify({ Field: 'Size', Operation: 'gt', Value: '1' }))), META_QUERY_LIMITS.scanLimit);
    // Too many nodes is still refused at parse time.
    const tooMany = JSON.stringify({ Operation: 'or', SubQueries: [{ Operation: 'or', SubQueries: JSON.parse(bigQuery()).SubQueries }, { Field: 'Filename', Operation: 'match', Value: 'x' }] });
    assert.throws(() => parseQuery(tooMany), (e: unknown) => e instanceof AppError && e.code === 'InvalidArgument');
  });

  test('default limits: 256-node match query over 3000 long keys answers every match (case-insensitively), yielding to the loop', async () => {
    const meta = await storeWithKeys();
    const svc = new MetaQueryService(ctx(meta));
    const r = await pageAll(svc);
    assert.deepEqual(r.files, expected);
    assert.deepEqual(r.sizes, [100, 100, 100]);
    // The three requests evaluate the 3000 objects once between them and yield every 100: the loop ran other
    // callbacks at least ~30 times (counted, not timed). Without those yields only the store pages (one per 1000
    // objects) would let it tick, about 5 times.
    assert.ok(r.ticks >= 25, `ticks ${r.ticks}`);
    await meta.close();
  });

  test('past the budget the default order answers a short page with a NextToken; other orders are refused', async () => {
    const meta = await storeWithKeys();
    const limits: MetaQueryLimits = { ...META_QUERY_LIMITS, evaluationBudget: 256 * 1000 };
    const svc = new MetaQueryService(ctx(meta), limits);
    assert.equal(svc.scanLimitFor(parseQuery(bigQuery())), 1000);
    // Each request may read only 1000 objects (100 matches among them): every page ends at the budget with a
    // NextToken, the last one after the final object, so a fourth request answers none.
    const r = await pageAll(svc, { maxResults: '100' });
    assert.deepEqual(r.files, expected);
    assert.deepEqual(r.sizes, [100, 100, 100, 0]);
    const cut = await svc.query('b', { query: bigQuery(), maxResults: '100', aggregations: [] });
    assert.equal(cut.files.length, 100);
    assert.ok(cut.nextToken !== undefined);
    // The next page resumes right after the last object read.
    const sparse = await svc.query('b', { query: bigQuery(), maxResults: '100', nextToken: cut.nextToken, aggregations: [] });
    assert.equal(sparse.files[0]!.filename, keyOf(1005));
    await assert.rejects(svc.query('b', { query: bigQuery(), sort: 'Size', aggregations: [] }), (e: unknown) => e instanceof AppError && e.code === 'NotImplemented');
    await assert.rejects(svc.query('b', { query: bigQuery(), aggregations: [{ field: 'Size', operation: 'count' }] }), (e: unknown) => e instanceof AppError && e.code === 'NotImplemented');
    // A small query under the same budget reads every object and may sort.
    const small = await svc.query('b', { query: JSON.stringify({ Field: 'Filename', Operation: 'match', Value: '5K' }), sort: 'Size', order: 'asc', aggregations: [{ field: 'Size', operation: 'count' }] });
    assert.equal(small.aggregations[0]!.value, expected.length);
    await meta.close();
  });
});
