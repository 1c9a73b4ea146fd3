// Prometheus metrics at /-/metrics: counters move by exactly what a scripted session did, the histogram
// is well formed, each server has its own registry, the optional token is enforced.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DURATION_BUCKETS } from '../src/metrics/metrics.js';
import { parseExposition, sampleValue, type Sample } from './helpers/ops.js';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, popFails, Ram } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { assumeRole, roleArn, stsClient, TRUST_ACCOUNT } from './helpers/sts.js';

const BUCKET = 'metrics-b';

async function scrape(srv: TestServer, headers: Record<string, string> = {}): Promise<{ samples: Sample[]; types: Map<string, string>; res: Response }> {
  const res = await fetch(`${srv.url}/-/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return { ...parseExposition(await res.text()), res };
}

describe('/-/metrics', () => {
  let srv: TestServer;
  let ram: Ram;

  before(async () => {
    srv = await startTestServer();
    ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
  });
  after(async () => srv.stop());

  it('counters move by what a session did; the histogram is complete and cumulative', async () => {
    const user = await ram.userWith('m-user', policyDoc(
      { Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` },
      { Effect: 'Deny', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/secret/*` },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' },
    ));
    await ram.call('CreateRole', { RoleName: 'm-role', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    const before = (await scrape(srv)).samples;

    const root = srv.client({ bucket: BUCKET });
    await root.put('a.bin', Buffer.alloc(4096, 1));
    for (let i = 0; i < 3; i++) await root.get('a.bin');
    await expectOssError(root.get('missing.bin'), 'NoSuchKey', 404);
    await expectOssError(user.oss(BUCKET).get('secret/x'), 'AccessDenied', 403); // explicit deny
    await expectOssError(user.oss(BUCKET).put('b.bin', Buffer.from('x')), 'AccessDenied', 403); // implicit deny
    await expectOssError(srv.client({ bucket: BUCKET, accessKeySecret: 'not-the-secret-not-the-secret-x' }).get('a.bin'), 'SignatureDoesNotMatch', 403);
    const sts = stsClient(srv, user.accessKeyId, user.accessKeySecret);
    await assumeRole(sts, { RoleArn: roleArn('m-role'), RoleSessionName: 's1' });
    await assumeRole(sts, { RoleArn: roleArn('m-role'), RoleSessionName: 's2' });
    await popFails(user.pop().request('NoSuchActionAnywhere', {}, { method: 'POST' }), 'InvalidAction.NotFound');
    // A browser's CORS preflight (the bucket has no CORS rule: 403): unsigned by design, not an authorization error.
    const preflight = await fetch(`${srv.url}/${BUCKET}/a.bin`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
    assert.equal(preflight.status, 403);

    const { samples: afterSamples, types, res } = await scrape(srv);
    const delta = (name: string, labels: Record<string, string> = {}): number => sampleValue(afterSamples, name, labels) - sampleValue(before, name, labels);

    assert.equal(delta('alunite_requests_total', { service: 'oss', operation: 'PutObject', status: '200' }), 1);
    assert.equal(delta('alunite_requests_total', { service: 'oss', operation: 'GetObject', status: '200' }), 3);
    assert.equal(delta('alunite_requests_total', { service: 'oss', operation: 'GetObject', status: '404' }), 1);
    assert.equal(delta('alunite_requests_total', { service: 'oss', operation: 'GetObject', status: '403' }), 2);
    assert.equal(delta('alunite_requests_total', { service: 'oss', operation: 'PutObject', status: '403' }), 1);
    assert.equal(delta('alunite_requests_total', { service: 'sts', operation: 'AssumeRole', status: '200' }), 2);
    // A name the server does not have is counted as Unknown: clients cannot mint label values.
    assert.equal(delta('alunite_requests_total', { service: 'ram', operation: 'Unknown', status: '400' }) + delta('alunite_requests_total', { service: 'ram', operation: 'Unknown', status: '404' }), 1);
    assert.ok(!afterSamples.some((s) => Object.values(s.labels).includes('NoSuchActionAnywhere')));

    assert.equal(delta('alunite_sts_sessions_issued_total'), 2);
    assert.equal(delta('alunite_bytes_in_total', { service: 'oss' }), 4096 + 1); // the PUT, and the refused 1-byte PUT's declared body
    const out = delta('alunite_bytes_out_total', { service: 'oss' });
    assert.ok(out >= 3 * 4096 && out < 3 * 4096 + 5 * 1024, `bytes out ${out}`); // + the error documents (the preflight's too)
    assert.equal(delta('alunite_auth_decisions_total', { result: 'explicit_deny' }), 1);
    assert.equal(delta('alunite_auth_decisions_total', { result: 'implicit_deny' }), 1); // the user's PUT (bucket ACL)
    assert.equal(delta('alunite_auth_decisions_total', { result: 'allow' }), 1 + 3 + 1 + 2);
    // The bad signature and the unknown action never reached authorization.
    assert.equal(delta('alunite_auth_decisions_total', { result: 'error_before_authorization' }), 2);
    assert.equal(delta('alunite_auth_decisions_total', { result: 'cors_preflight' }), 1);

    // Histogram: every bucket, cumulative, +Inf = _count = the number of GetObject requests.
    assert.equal(types.get('alunite_request_duration_seconds'), 'histogram');
    assert.equal(types.get('alunite_requests_total'), 'counter');
    const labels = { service: 'oss', operation: 'GetObject' };
    const buckets = afterSamples.filter((s) => s.name === 'alunite_request_duration_seconds_bucket' && s.labels.operation === 'GetObject' && s.labels.service === 'oss');
    assert.deepEqual(buckets.map((b) => b.labels.le), [...DURATION_BUCKETS.map(String), '+Inf']);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
    const count = sampleValue(afterSamples, 'alunite_request_duration_seconds_count', labels);
    assert.equal(count, 3 + 1 + 2);
    assert.equal(buckets.at(-1)!.value, count);
    const sum = sampleValue(afterSamples, 'alunite_request_duration_seconds_sum', labels);
    assert.ok(sum > 0 && sum < 60, `sum ${sum}`);

    // Default process metrics come along.
    assert.ok(afterSamples.some((s) => s.name === 'process_cpu_user_seconds_total'));
    assert.ok(afterSamples.some((s) => s.name === 'nodejs_heap_size_used_bytes'));
    assert.ok(res.ok);
  });

  it('counts the bytes of downloads of blob files (written with recycled buffers, no data events): whole and ranged', async () => {
    const root = srv.client({ bucket: BUCKET });
    await root.put('big.bin', Buffer.alloc(300 * 1024, 2)); // above the inline limit: a blob file
    const before = (await scrape(srv)).samples;
    assert.equal((await root.get('big.bin')).content.length, 300 * 1024);
    assert.equal((await root.get('big.bin', undefined, { headers: { Range: 'bytes=1000-1999' } })).content.length, 1000);
    const after = (await scrape(srv)).samples;
    const out = sampleValue(after, 'alunite_bytes_out_total', { service: 'oss' }) - sampleValue(before, 'alunite_bytes_out_total', { service: 'oss' });
    assert.equal(out, 300 * 1024 + 1000);
  });

  it('counts the bytes of chunked uploads, which declare no length: in the counter and the access-log size', async () => {
    const before = (await scrape(srv)).samples;
    const data = Buffer.alloc(100_000, 7);
    // ali-oss sends a stream without a length as Transfer-Encoding: chunked.
    await srv.client({ bucket: BUCKET }).putStream('chunked.bin', Readable.from([data.subarray(0, 30_000), data.subarray(30_000)]));
    // Both headers (chunked wins, chunked-length.ts): the chunks' bytes, not the declared 5.
    await srv.client({ bucket: BUCKET }).putStream('both.bin', Readable.from([data.subarray(0, 1000)]), { headers: { 'Content-Length': '5' } } as never).catch(() => undefined);
    const after = (await scrape(srv)).samples;
    assert.equal(sampleValue(after, 'alunite_bytes_in_total', { service: 'oss' }) - sampleValue(before, 'alunite_bytes_in_total', { service: 'oss' }), 100_000 + 1000);
  });

  it('scrapes and health checks are not counted as requests', async () => {
    await fetch(`${srv.url}/-/health`);
    const a = (await scrape(srv)).samples.filter((s) => s.name.startsWith('alunite_requests_total'));
    await fetch(`${srv.url}/-/health`);
    const b = (await scrape(srv)).samples.filter((s) => s.name.startsWith('alunite_requests_total'));
    assert.deepEqual(b, a);
  });

  it('each server has its own registry', async () => {
    const other = await startTestServer();
    try {
      const { samples } = await scrape(other);
      assert.equal(samples.filter((s) => s.name === 'alunite_requests_total').length, 0);
      assert.equal(sampleValue(samples, 'alunite_sts_sessions_issued_total'), 0);
    } finally {
      await other.stop();
    }
  });
});

describe('/-/metrics with --metrics-token', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ metricsToken: 's3cr3t-scrape-token' });
  });
  after(async () => srv.stop());

  it('401 without or with a wrong bearer token, 200 with the right one', async () => {
    const none = await fetch(`${srv.url}/-/metrics`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="alunite metrics"');
    assert.doesNotMatch(await none.text(), /alunite_requests_total/);
    assert.equal((await fetch(`${srv.url}/-/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${srv.url}/-/metrics`, { headers: { authorization: 's3cr3t-scrape-token' } })).status, 401);
    const ok = await scrape(srv, { authorization: 'Bearer s3cr3t-scrape-token' });
    assert.ok(ok.samples.some((s) => s.name === 'alunite_sts_sessions_issued_total'));
    // The health check stays open.
    assert.equal((await fetch(`${srv.url}/-/health`)).status, 200);
  });
});
