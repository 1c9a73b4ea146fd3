// PutUserDefinedLogFieldsConfig takes effect: each audit line of a request on the bucket carries OSS's
// user_defined_log_fields value (Base64 of {"truncated","headers","querys"}), the configured headers and query
// parameters the request carried, within 1,024 bytes; credentials never, whatever the configuration names.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type OSS from 'ali-oss';
import { rawBucketRequest, type RawResult } from './helpers/oss.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BUCKET = 'udlf-b';
const OTHER = 'udlf-other';

const configure = (c: OSS, method: 'PUT' | 'DELETE', body?: string): Promise<RawResult> => rawBucketRequest(c, method, BUCKET, 'userDefinedLogFieldsConfig', body);

type Line = Record<string, unknown>;
const decode = (v: unknown): { truncated: boolean; headers: Record<string, string>; querys: Record<string, string> } =>
  JSON.parse(Buffer.from(String(v), 'base64').toString('utf8'));
const idOf = (r: { res: { headers: object } }): string => (r.res.headers as Record<string, string>)['x-oss-request-id']!;

describe('user-defined log fields in the audit log', () => {
  let dir: string;
  let auditFile: string;
  let srv: TestServer;
  let root: OSS;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alunite-udlf-'));
    auditFile = join(dir, 'audit.log');
    srv = await startTestServer({ auditLog: auditFile });
    await srv.client().putBucket(BUCKET);
    await srv.client().putBucket(OTHER);
    root = srv.client({ bucket: BUCKET });
  });
  after(async () => {
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function lines(): Promise<Map<string, Line>> {
    // The audit log is written asynchronously: wait until the lines asked for are there.
    const text = await readFile(auditFile, 'utf8');
    return new Map(text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).map((l) => [String(l.requestId), l]));
  }
  async function lineOf(id: string): Promise<Line> {
    for (let i = 0; i < 200; i++) {
      const l = (await lines()).get(id);
      if (l !== undefined) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no audit line for ${id}`);
  }

  it('carries the configured headers and query parameters, not others; a bucket without a configuration carries none', async () => {
    await configure(root, 'PUT', '<UserDefinedLogFieldsConfiguration><HeaderSet><header>X-Trace-Id</header><header>User-Agent-Extra</header><header>Authorization</header></HeaderSet><ParamSet><parameter>campaign</parameter><parameter>Signature</parameter></ParamSet></UserDefinedLogFieldsConfiguration>');
    const put = await root.put('a.txt', Buffer.from('x'), { headers: { 'x-trace-id': 'trace-42', 'x-other': 'not logged' } });
    const putLine = await lineOf(idOf(put));
    const fields = decode(putLine.userDefinedLogFields);
    assert.deepEqual(fields, { truncated: false, headers: { 'x-trace-id': 'trace-42' }, querys: {} }, 'the Authorization header is never logged');

    // A presigned URL: the query parameter is logged, the URL's Signature never.
    // Path style on `localhost` (ali-oss presigns no URL for an IP endpoint).
    const pathClient = srv.client({ bucket: BUCKET, endpoint: `http://localhost:${srv.port}`, sldEnable: true } as Partial<OSS.Options>);
    const url = pathClient.signatureUrl('a.txt', { expires: 600 }) + '&campaign=winter%20sale';
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const getFields = decode((await lineOf(res.headers.get('x-oss-request-id')!)).userDefinedLogFields);
    assert.deepEqual(getFields.querys, { campaign: 'winter sale' });
    assert.deepEqual(getFields.headers, {});

    const other = await srv.client({ bucket: OTHER }).put('b.txt', Buffer.from('y'), { headers: { 'x-trace-id': 'trace-43' } });
    assert.equal((await lineOf(idOf(other))).userDefinedLogFields, undefined);
  });

  it('keys and values together stay within 1,024 bytes: the rest is cut and truncated says so', async () => {
    await configure(root, 'PUT', '<UserDefinedLogFieldsConfiguration><HeaderSet><header>x-trace-id</header><header>x-big</header></HeaderSet></UserDefinedLogFieldsConfiguration>');
    const put = await root.put('c.txt', Buffer.from('x'), { headers: { 'x-trace-id': 't', 'x-big': 'v'.repeat(2000) } });
    const fields = decode((await lineOf(idOf(put))).userDefinedLogFields);
    assert.equal(fields.truncated, true);
    assert.equal(fields.headers['x-trace-id'], 't');
    const total = Object.entries(fields.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    assert.equal(total, 1024);
  });

  it('a Delete of the configuration stops it', async () => {
    await configure(root, 'DELETE');
    const put = await root.put('d.txt', Buffer.from('x'), { headers: { 'x-trace-id': 'trace-44' } });
    assert.equal((await lineOf(idOf(put))).userDefinedLogFields, undefined);
  });
});
