// Red-team wave 4: each finding reproduced against a real server with unchanged clients (ali-oss,
// @alicloud/pop-core) or raw HTTP, failing on the code before its fix.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { cpuMs } from './helpers/cpu-time.js';

describe('Policy globs: a `?` in a StringLike pattern costs one pass over the value, not one per start', () => {
  let srv: TestServer;
  const BUCKET = 'w4-glob';

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
    const owner = srv.client({ bucket: BUCKET });
    await owner.put('k', Buffer.from('public'));
    await owner.putBucketACL(BUCKET, 'public-read');
  });
  after(async () => {
    await srv.stop();
  });

  /** A ~14 KB bucket policy denying anonymous reads whose User-Agent matches one of `patterns(i)`. */
  // ali-oss types its statements without Condition.
  const policyOf = (pattern: (i: number) => string): never => {
    const patterns: string[] = [];
    for (let i = 0, size = 0; size < 13_500; i++) {
      patterns.push(pattern(i));
      size += patterns[i]!.length + 3;
    }
    return {
      Version: '1',
      Statement: [{
        Effect: 'Deny', Principal: ['*'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${BUCKET}/*`],
        Condition: { StringLike: { 'acs:UserAgent': patterns } },
      }],
    } as never;
  };
  const get = (userAgent: string) => rawRequest(srv.port, { method: 'GET', path: `/${BUCKET}/k`, headers: { Host: `127.0.0.1:${srv.port}`, 'User-Agent': userAgent } });
  /** Milliseconds the server takes for `n` anonymous GETs with a 15 KB User-Agent that matches no pattern. */
  const timeLongAgents = async (n: number): Promise<number> => {
    const agent = 'a'.repeat(15_000);
    const start = cpuMs();
    for (let i = 0; i < n; i++) assert.equal((await get(agent)).status, 200);
    return cpuMs() - start;
  };

  it('an anonymous GET with a 15 KB User-Agent against 45 `*???…?x*` patterns is about as cheap as against literal ones', async () => {
    const owner = srv.client({ bucket: BUCKET });
    // Baseline: the same policy with literal characters where the `?`s are (no `?`: one indexOf per pattern).
    await owner.putBucketPolicy(BUCKET, policyOf((i) => `*${'y'.repeat(300)}x${i}*`));
    await timeLongAgents(1);
    const baseline = await timeLongAgents(3);
    await owner.putBucketPolicy(BUCKET, policyOf((i) => `*${'?'.repeat(300)}x${i}*`));
    // The patterns still mean what they say: 300 characters of anything, then x<i>.
    assert.equal((await get(`${'b'.repeat(300)}x7`)).status, 403);
    assert.equal((await get(`${'b'.repeat(299)}x7`)).status, 200);
    assert.equal((await get(`${'c'.repeat(5000)}x0${'c'.repeat(5000)}`)).status, 403);
    await timeLongAgents(1);
    const attack = await timeLongAgents(3);
    // Before: each `?` segment was compared at every start (300 × 15,000 per pattern), ~1 s of event loop per
    // request, for anyone, against a bucket whose owner wrote such a policy. Generous bound over the baseline.
    assert.ok(attack < 10 * baseline + 600, `3 requests took ${attack.toFixed(0)} ms of CPU against a baseline of ${baseline.toFixed(0)} ms`);
  });

  it('1,500 `*a…ab*` patterns against a 15 KB User-Agent: the matching one request may do is bounded, and past it the request is refused', async () => {
    const owner = srv.client({ bucket: BUCKET });
    /** Milliseconds for `n` anonymous GETs with a 15 KB User-Agent. */
    const timed = async (n: number): Promise<number> => {
      const agent = 'a'.repeat(15_000);
      const start = cpuMs();
      for (let i = 0; i < n; i++) await get(agent);
      return cpuMs() - start;
    };
    // Baseline: patterns whose first character the value lacks (V8's search skips the value at once).
    await owner.putBucketPolicy(BUCKET, policyOf((i) => `*x${'a'.repeat(1 + (i % 7))}b${i.toString(36)}*`));
    await timed(1);
    const baseline = await timed(6);
    // Each pattern scans the whole value: 1,500 × 15,000 characters. Before, ~0.7 s of event loop per request.
    await owner.putBucketPolicy(BUCKET, policyOf((i) => `*${'a'.repeat(1 + (i % 7))}b${i.toString(36)}*`));
    // Short values are decided as before: no pattern matches a browser's agent, `aab0` matches pattern 0.
    assert.equal((await get('Mozilla/5.0 (X11; Linux x86_64)')).status, 200);
    assert.equal((await get('xxaab0yy')).status, 403);
    await timed(1);
    const attack = await timed(6);
    // Measured: before, ~1,600 ms against a ~55 ms baseline; now about the baseline.
    assert.ok(attack < 4 * baseline + 300, `6 requests took ${attack.toFixed(0)} ms of CPU against a baseline of ${baseline.toFixed(0)} ms`);
    // Past the bound (2,000,000 characters matched for one request) the request is refused, as if denied.
    const refused = await get('a'.repeat(15_000));
    assert.equal(refused.status, 403);
    assert.match(refused.body.toString(), /<Code>AccessDenied<\/Code>/);
  });
});

describe('Policy matching: the checks of one request share one bound', () => {
  let srv: TestServer;
  const BUCKET = 'w4-delete-many';

  before(async () => {
    srv = await startTestServer();
    await srv.client().putBucket(BUCKET);
  });
  after(async () => {
    await srv.stop();
  });

  it('DeleteMultipleObjects of 1,000 1 KB keys against 443 `…/*aab*` Resource patterns costs about what it costs without them', async () => {
    const owner = srv.client({ bucket: BUCKET });
    const keys = Array.from({ length: 1000 }, (_, i) => `${'a'.repeat(1000)}${i}`);
    /** Milliseconds for `n` DeleteMultipleObjects of the keys, and the error code of the last (null: none). */
    const timed = async (n: number): Promise<{ ms: number; code: string | null }> => {
      let code: string | null = null;
      const start = cpuMs();
      for (let i = 0; i < n; i++) {
        code = await owner.deleteMulti(keys, { quiet: true }).then(() => null, (err: { code?: string }) => err.code ?? 'unknown');
      }
      return { ms: cpuMs() - start, code };
    };
    await timed(1);
    const baseline = await timed(3);
    assert.equal(baseline.code, null);
    const patterns: string[] = [];
    for (let i = 0, size = 0; size < 15_000; i++) {
      patterns.push(`acs:oss:*:*:${BUCKET}/*${'a'.repeat(1 + (i % 5))}b${i.toString(36)}*`);
      size += patterns[i]!.length + 3;
    }
    // No key matches a pattern (each needs a b): the Deny never applies, but every key is matched against all of them.
    await owner.putBucketPolicy(BUCKET, {
      Version: '1', Statement: [{ Effect: 'Deny', Principal: ['*'], Action: ['oss:DeleteObject'], Resource: patterns }],
    } as never);
    await timed(1);
    const attack = await timed(3);
    // Before: each key was matched against every pattern on its own (1,000 × 443 passes over 1 KB): 3.2-3.6 s of
    // event loop per request, against ~0.3 s for the delete itself. Generous bound over the baseline.
    assert.ok(attack.ms < 3 * baseline.ms + 1000, `3 requests took ${attack.ms.toFixed(0)} ms of CPU against a baseline of ${baseline.ms.toFixed(0)} ms`);
    // Past the request's bound (2,000,000 characters + 2,048 per further key) it is refused, nothing deleted.
    assert.equal(attack.code, 'AccessDenied');
    // Keys as clients name them are decided as before.
    await owner.put('short/one', Buffer.from('1'));
    await owner.deleteMulti(['short/one', 'short/two'], { quiet: true });
    await assert.rejects(owner.head('short/one'), { status: 404 });
  });
});
