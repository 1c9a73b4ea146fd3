// Writing a bucket configuration (domain/bucket-config.ts, the stores' updateBucketConfig): a write whose value does
// not depend on the current one never decodes the current document, and the record a write answers is the one a
// fresh read finds, without the store reading and decoding every configuration of the bucket a second time.
// Runs on SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonConfig, putConfig, readConfig, updateConfig, type ConfigKind } from '../src/domain/bucket-config.js';
import type { DomainContext } from '../src/domain/context.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('bucket configuration writes', () => {
  let srv: TestServer;
  let ctx: DomainContext;
  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket('config-writes');
    ctx = { meta: srv.meta, blobs: srv.blobs, clock: () => Date.now(), region: 'cn-hangzhou', log: () => undefined };
  });
  after(async () => {
    await srv?.stop();
  });

  /** A JSON kind that counts how often a stored document is decoded. */
  function counted(name: string): { kind: ConfigKind<{ rules: string[] }>; decodes: () => number } {
    const base = jsonConfig<{ rules: string[] }>(name);
    let n = 0;
    return {
      kind: { ...base, decode: (t) => (n++, base.decode(t)) },
      decodes: () => n,
    };
  }

  it('a replacing write decodes nothing; a read-modify-write decodes the current document once', async () => {
    const { kind, decodes } = counted('test-replace');
    const big = { rules: Array.from({ length: 1000 }, (_, i) => `rule-${i}-${'x'.repeat(200)}`) };
    await putConfig(ctx, 'config-writes', kind, big);
    await putConfig(ctx, 'config-writes', kind, { rules: ['other'] });
    // Before: every put decoded the document it replaced (a 1,000-rule lifecycle: ~1 MiB of JSON, ~50,000 objects).
    assert.equal(decodes(), 0);
    await updateConfig(ctx, 'config-writes', kind, (current) => ({ rules: [...(current?.rules ?? []), 'more'] }));
    assert.equal(decodes(), 1);
  });

  it('the record a write answers is the record a fresh read finds', async () => {
    const a = jsonConfig<{ v: number }>('test-a');
    const b = jsonConfig<{ v: string }>('test-b');
    await putConfig(ctx, 'config-writes', a, { v: 1 });
    const written = await putConfig(ctx, 'config-writes', b, { v: 'x'.repeat(100_000) });
    const fresh = await srv.meta.getBucket('config-writes');
    assert.deepEqual(written, fresh);
    assert.deepEqual(readConfig(written, a), { v: 1 });
    const replaced = await putConfig(ctx, 'config-writes', a, { v: 2 });
    assert.deepEqual(replaced, await srv.meta.getBucket('config-writes'));
    assert.deepEqual(readConfig(replaced, a), { v: 2 });
    assert.equal(readConfig(replaced, b)?.v.length, 100_000);
  });
});
