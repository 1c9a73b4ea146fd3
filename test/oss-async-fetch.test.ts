// Async fetch (docs/async-fetch.md): PutAsyncFetchTask / GetAsyncFetchTask replayed as the SDKs send them (the Go
// SDK v1's SetBucketAsyncTask / GetBucketAsyncTask bodies; the Java SDK's AsyncFetchTaskTest and oss2's
// test_async_fetch_task for the states, IgnoreSameKey and ObjectAlreadyExists), against a real server and a local
// origin this test starts, allowed with the callback allow-list (`127.0.0.1`). Sources the allow-list does not
// allow, redirects, a wrong ContentMD5 fail the task (not the request) and store nothing; RAM users need
// oss:PutAsyncFetchTask and oss:PutObject on the object; a task cut short by a server stop reads Failed after restart;
// a killed process's task settles as Success when its object was committed, else Failed, once its heartbeat lapses.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { headersOf, rawBucketRequest } from './helpers/oss.js';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { kill9, spawnServer } from './helpers/spawn.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { testPostgres } from './helpers/postgres.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { signedRequest } from './helpers/signed.js';
import { incarnationOf } from '../src/store/meta/types.js';

const BUCKET = 'fetch-bucket';
const DATA = randomBytes(1024 * 1024 + 17); // past the inline size and the off-loop threshold
const SMALL = Buffer.from('123');
const md5b64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');

interface Reply {
  status: number;
  text: string;
  err: Record<string, string> | null;
}

async function send(
  srv: { port: number }, method: string, key: string | null, query: Array<[string, string]>,
  opts: { body?: string; headers?: Record<string, string>; creds?: [string, string] } = {},
): Promise<Reply> {
  const qs = query.length > 0 ? `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : '';
  const path = `/${BUCKET}/${key === null ? '' : encodeURIComponent(key)}${qs}`;
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const [ak, secret] = opts.creds ?? [AK, SECRET];
  headers.authorization = v1Authorization({ method, bucket: BUCKET, key, query, headers }, ak, secret).authorization;
  const res = await rawRequest(srv.port, { method, path, headers, body: opts.body });
  return { status: res.status, text: res.body.toString('utf8'), err: errorOf(res) };
}

const tag = (xml: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}>([^<]*)</${name}>|<${name}/>`).exec(xml);
  return m === null ? undefined : (m[1] ?? '');
};
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The Go SDK v1's body (xml.Marshal of AsyncFetchTaskConfiguration: omitempty strings, IgnoreSameKey always). */
function configXml(c: { url?: string; object?: string; host?: string; contentMd5?: string; callback?: string; storageClass?: string; ignoreSameKey?: boolean | null }): string {
  const part = (n: string, v: string | undefined): string => (v === undefined || v === '' ? '' : `<${n}>${escape(v)}</${n}>`);
  return `<AsyncFetchTaskConfiguration>${part('Url', c.url)}${part('Object', c.object)}${part('Host', c.host)}${part('ContentMD5', c.contentMd5)}`
    + `${part('Callback', c.callback)}${part('StorageClass', c.storageClass)}${c.ignoreSameKey === null ? '' : `<IgnoreSameKey>${c.ignoreSameKey ?? false}</IgnoreSameKey>`}</AsyncFetchTaskConfiguration>`;
}

describe('async fetch', () => {
  let srv: TestServer;
  let origin: Server;
  let base = '';
  const callbacks: string[] = [];
  /** Requests for /guarded: a source no server may fetch unless it is switched on with its own allow-list. */
  let guardedHits = 0;
  /** Requests for /slow (a source that sends one byte and then nothing). */
  let slowHits = 0;

  before(async () => {
    origin = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/data') return res.writeHead(200, { 'Content-Type': 'application/x-test', 'Content-Length': String(DATA.length) }).end(DATA);
        if (path === '/small') return res.writeHead(200).end(SMALL);
        if (path === '/guarded') {
          guardedHits += 1;
          return res.writeHead(200).end(SMALL);
        }
        if (path === '/redirect') return res.writeHead(302, { Location: `${base}/data` }).end();
        if (path === '/missing') return res.writeHead(404).end('no');
        if (path === '/upgrade') {
          // A 101 answer, then the connection held open: the task waited forever and kept its slot.
          req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          return;
        }
        if (path === '/slow') {
          slowHits += 1;
          res.writeHead(200, { 'Content-Length': '1000' });
          res.write('x'); // then nothing more
          return;
        }
        if (path === '/cb') {
          callbacks.push(Buffer.concat(chunks).toString('utf8'));
          return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
        }
        if (path === '/cb500') return res.writeHead(500).end('{}');
        if (path === '/big') return res.writeHead(200, { 'Content-Length': String(3 * 1024 * 1024) }).end(Buffer.alloc(3 * 1024 * 1024));
        if (path === '/big-chunked') {
          res.writeHead(200); // no Content-Length: the bound is found while reading
          for (let i = 0; i < 12; i++) res.write(Buffer.alloc(256 * 1024));
          return res.end();
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    srv = await startTestServer({ callbacks: { allowHosts: ['127.0.0.1'] }, asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'], source: { idleTimeoutMs: 60_000, maxBytes: 2 * 1024 * 1024 } } });
    assert.equal((await srv.client().putBucket(BUCKET)).res.status, 200);
  });

  after(async () => {
    await srv.stop();
    origin.closeAllConnections();
    await new Promise<void>((r) => origin.close(() => r()));
  });

  async function submit(body: string, creds?: [string, string], on: TestServer = srv): Promise<Reply> {
    return send(on, 'POST', null, [['asyncFetch', '']], { body, headers: { 'content-type': 'application/xml' }, ...(creds ? { creds } : {}) });
  }

  async function taskId(body: string, on: TestServer = srv): Promise<string> {
    const r = await submit(body, undefined, on);
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /^<\?xml[^>]*>\s*<AsyncFetchTaskResult><TaskId>[0-9A-F]{32}<\/TaskId><\/AsyncFetchTaskResult>$/);
    return tag(r.text, 'TaskId')!;
  }

  /** GetAsyncFetchTask until the task leaves Running. */
  async function finished(id: string, on: TestServer = srv): Promise<string> {
    // A deadline, not a count of tries: a loaded machine may take long over a fetch.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await send(on, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } });
      assert.equal(r.status, 200, r.text);
      if (tag(r.text, 'State') !== 'Running') return r.text;
      assert.ok(Date.now() < deadline, `task ${id} still Running after 60 s`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }


  async function objectStatus(key: string): Promise<number> {
    return (await send(srv, 'HEAD', key, [])).status;
  }

  test('a fetch from an allowed origin stores the object as PutObject would; TaskInfo gives the request back', async () => {
    const key = 'fetched/data.bin';
    const id = await taskId(configXml({ url: `${base}/data`, object: key, contentMd5: md5b64(DATA), ignoreSameKey: false }));
    const info = await finished(id);
    assert.equal(tag(info, 'TaskId'), id);
    assert.equal(tag(info, 'State'), 'Success', info);
    assert.equal(tag(info, 'ErrorMsg'), '');
    assert.equal(tag(info, 'Url'), `${base}/data`);
    assert.equal(tag(info, 'Object'), key);
    assert.equal(tag(info, 'ContentMD5'), md5b64(DATA));
    assert.equal(tag(info, 'IgnoreSameKey'), 'false');
    assert.equal(tag(info, 'Host'), '');
    assert.equal(tag(info, 'Callback'), '');
    assert.match(info, /<AsyncFetchTaskInfo><TaskId>.*<\/TaskId><State>.*<\/State><ErrorMsg>.*<\/ErrorMsg><TaskInfo><Url>.*<\/Url><Object>.*<\/Object><Host>.*<\/Host><ContentMD5>.*<\/ContentMD5><Callback>.*<\/Callback><StorageClass>.*<\/StorageClass><IgnoreSameKey>false<\/IgnoreSameKey><\/TaskInfo><\/AsyncFetchTaskInfo>/);
    const got = await srv.client({ bucket: BUCKET }).get(key);
    assert.ok(Buffer.from(got.content as Buffer).equals(DATA));
    const headers = headersOf(got);
    assert.equal(headers.etag, `"${createHash('md5').update(DATA).digest('hex').toUpperCase()}"`);
    assert.equal(headers['content-type'], 'application/x-test');
  });

  test('left out, IgnoreSameKey is true; an existing object then refuses the task (400 ObjectAlreadyExists), false overwrites it', async () => {
    const key = 'same-key';
    await srv.client({ bucket: BUCKET }).put(key, Buffer.from('old'));
    for (const ignoreSameKey of [true, null]) {
      const r = await submit(configXml({ url: `${base}/small`, object: key, ignoreSameKey }));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.err?.Code, 'ObjectAlreadyExists');
    }
    const info = await finished(await taskId(configXml({ url: `${base}/small`, object: key, ignoreSameKey: false })));
    assert.equal(tag(info, 'State'), 'Success', info);
    assert.equal(String((await srv.client({ bucket: BUCKET }).get(key)).content), '123');
    // Omitted on a new key: Success, and TaskInfo says true.
    const fresh = await finished(await taskId(configXml({ url: `${base}/small`, object: 'fresh-key', ignoreSameKey: null })));
    assert.equal(tag(fresh, 'State'), 'Success', fresh);
    assert.equal(tag(fresh, 'IgnoreSameKey'), 'true');
  });

  test('the bucket\'s overwrite rules bind a task as they bind PutObject: a forbidden overwrite fails the task, the object is unchanged', async () => {
    const rules = '<OverwriteConfiguration><Rule><ID>r</ID><Action>forbid</Action><Prefix>protected/</Prefix></Rule></OverwriteConfiguration>';
    assert.equal((await rawBucketRequest(srv.client(), 'PUT', BUCKET, 'overwriteConfig', rules)).status, 200);
    try {
      await srv.client({ bucket: BUCKET }).put('protected/a.txt', Buffer.from('original'));
      const info = await finished(await taskId(configXml({ url: `${base}/small`, object: 'protected/a.txt', ignoreSameKey: false })));
      assert.equal(tag(info, 'State'), 'Failed', info);
      assert.equal(String((await srv.client({ bucket: BUCKET }).get('protected/a.txt')).content), 'original');
      // A new key under the rule is no overwrite.
      const fresh = await finished(await taskId(configXml({ url: `${base}/small`, object: 'protected/new.txt', ignoreSameKey: false })));
      assert.equal(tag(fresh, 'State'), 'Success', fresh);
    } finally {
      await rawBucketRequest(srv.client(), 'DELETE', BUCKET, 'overwriteConfig');
    }
  });

  test('sources the server may not fetch fail the task with a message and store nothing', async () => {
    const cases: Array<[string, RegExp]> = [
      // `localhost` is not on the allow-list (only 127.0.0.1 is) and resolves to loopback: refused when connecting.
      [`http://localhost:${new URL(base).port}/small`, /not allowed/],
      [`http://10.1.2.3/x`, /not allowed/],
      [`http://[::1]:${new URL(base).port}/small`, /not allowed/],
      [`${base}/redirect`, /redirects are not followed/],
      [`${base}/missing`, /HTTP 404/],
      [`${base}/upgrade`, /HTTP 101/],
      [`${base}/big`, /larger than 2097152 bytes/],
      [`${base}/big-chunked`, /larger than 2097152 bytes/],
      ['invalidUrl', /not a valid http or https URL/],
      ['ftp://127.0.0.1/x', /not a valid http or https URL/],
      // Credentials in the URL would be sent as Basic auth and echoed to whoever reads the task.
      [`http://u:pw@127.0.0.1:${new URL(base).port}/small`, /user name or password/],
    ];
    for (const [url, message] of cases) {
      const key = `refused/${randomBytes(4).toString('hex')}`;
      const info = await finished(await taskId(configXml({ url, object: key })));
      assert.equal(tag(info, 'State'), 'Failed', `${url}: ${info}`);
      assert.match(tag(info, 'ErrorMsg') ?? '', message, url);
      assert.equal(await objectStatus(key), 404, url);
      // A password in the URL is neither kept nor shown back.
      assert.doesNotMatch(info, /pw@/, url);
    }
  });

  test('one account runs at most runningPerAccount fetches and keeps at most perAccount tasks in this process', async () => {
    const other = await startTestServer({ asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'], limits: { runningPerAccount: 1, perAccount: 2 }, source: { idleTimeoutMs: 120_000 } } });
    try {
      await other.client().putBucket(BUCKET);
      const before = slowHits;
      await taskId(configXml({ url: `${base}/slow`, object: 'slow-1' }), other);
      await taskId(configXml({ url: `${base}/slow`, object: 'slow-2' }), other);
      const deadline = Date.now() + 60_000;
      while (slowHits - before < 1) {
        assert.ok(Date.now() < deadline, 'the first fetch started');
        await new Promise((res) => setTimeout(res, 20));
      }
      // A negative: the second must not start. A second in which it could have (a started fetch reaches the source
      // in milliseconds here) makes a broken limit show; a slow machine can only hide one, never fail a good one.
      await new Promise((res) => setTimeout(res, 1000));
      assert.equal(slowHits - before, 1, 'the second waits for the account\'s running fetch');
      const third = await submit(configXml({ url: `${base}/slow`, object: 'slow-3' }), undefined, other);
      assert.equal(third.status, 503, third.text);
      assert.match(third.text, /This account already has 2 async fetch tasks/);
    } finally {
      await other.stop();
    }
  });

  test('another account\'s task does not wait behind an account at its own limit (it waited until one of that account\'s fetches ended)', async () => {
    const other = await startTestServer({ asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'], limits: { runningPerAccount: 1, concurrent: 4 }, source: { idleTimeoutMs: 120_000 } } });
    try {
      await other.client().putBucket(BUCKET);
      const b = await other.accounts.create({ accountId: '5000000000000005', name: 'second' });
      const bCreds: [string, string] = [b.accessKeyId, b.accessKeySecret];
      await other.client({ accessKeyId: b.accessKeyId, accessKeySecret: b.accessKeySecret }).putBucket('fetch-second');
      const before = slowHits;
      // The first account: one fetch running (its limit), one in line.
      await taskId(configXml({ url: `${base}/slow`, object: 'a-1' }), other);
      await taskId(configXml({ url: `${base}/slow`, object: 'a-2' }), other);
      const second = await signedRequest(other.port, 'POST', 'fetch-second', null, [['asyncFetch', '']], {
        body: configXml({ url: `${base}/slow`, object: 'b-1' }), headers: { 'content-type': 'application/xml' }, creds: bCreds,
      });
      assert.equal(second.status, 200, second.text);
      // The second account's fetch reaches the source while the first account's second task still waits.
      const deadline = Date.now() + 60_000;
      while (slowHits - before < 2) {
        assert.ok(Date.now() < deadline, 'the second account\'s fetch started');
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await other.stop();
    }
  });

  test('off unless the operator turns it on; the callback allow-list never allows a source', async () => {
    const variants: Array<[Parameters<typeof startTestServer>[0], RegExp]> = [
      [{ callbacks: { allowHosts: ['127.0.0.1'] } }, /Async fetch is off on this server/],
      [{ callbacks: { allowHosts: ['127.0.0.1'] }, asyncFetch: { enabled: true } }, /not allowed/],
    ];
    for (const [opts, message] of variants) {
      const other = await startTestServer(opts);
      try {
        await other.client().putBucket(BUCKET);
        const info = await finished(await taskId(configXml({ url: `${base}/guarded`, object: 'k' }), other), other);
        assert.equal(tag(info, 'State'), 'Failed', info);
        assert.match(tag(info, 'ErrorMsg') ?? '', message);
        assert.equal(guardedHits, 0, 'the origin was never asked');
      } finally {
        await other.stop();
      }
    }
  });

  test('a ContentMD5 that does not match the bytes fails the task (InvalidDigest) and stores nothing', async () => {
    const key = 'md5-mismatch';
    const info = await finished(await taskId(configXml({ url: `${base}/data`, object: key, contentMd5: md5b64(SMALL) })));
    assert.equal(tag(info, 'State'), 'Failed', info);
    assert.match(tag(info, 'ErrorMsg') ?? '', /InvalidDigest/);
    assert.equal(await objectStatus(key), 404);
  });

  test('the Callback runs after the object is stored; a failing one leaves the object and reads FetchSuccessCallbackFailed', async () => {
    const ok = b64({ callbackUrl: `${base}/cb`, callbackBody: 'etag=${etag}&object=${object}&size=${size}' });
    const info = await finished(await taskId(configXml({ url: `${base}/small`, object: 'cb/ok', callback: ok })));
    assert.equal(tag(info, 'State'), 'Success', info);
    assert.equal(tag(info, 'Callback'), ok);
    assert.ok(callbacks.includes(`etag=${createHash('md5').update(SMALL).digest('hex').toUpperCase()}&object=cb%2Fok&size=3`), callbacks.join('\n'));
    const bad = b64({ callbackUrl: `${base}/cb500`, callbackBody: '${etag}' });
    const failed = await finished(await taskId(configXml({ url: `${base}/small`, object: 'cb/bad', callback: bad })));
    assert.equal(tag(failed, 'State'), 'FetchSuccessCallbackFailed', failed);
    assert.notEqual(tag(failed, 'ErrorMsg'), '');
    assert.equal(await objectStatus('cb/bad'), 200);
  });

  test('bad requests: OSS codes, nothing started', async () => {
    const cases: Array<[string, string]> = [
      ['<AsyncFetchTaskConfiguration><Url>', 'MalformedXML'],
      ['<Other><Url>x</Url></Other>', 'MalformedXML'],
      [configXml({ object: 'k' }), 'InvalidArgument'],
      [configXml({ url: `${base}/small` }), 'InvalidArgument'],
      [configXml({ url: `${base}/small`, object: 'k', callback: 'not-base64-json' }), 'InvalidArgument'],
      [configXml({ url: `${base}/small`, object: 'k', storageClass: 'Gold' }), 'InvalidArgument'],
      [configXml({ url: `${base}/small`, object: 'k', contentMd5: 'abc' }), 'InvalidArgument'],
      [configXml({ url: `${base}/small`, object: 'k', host: 'a b' }), 'InvalidArgument'],
      [`<AsyncFetchTaskConfiguration><Url>${base}/small</Url><Object>k</Object><IgnoreSameKey>maybe</IgnoreSameKey></AsyncFetchTaskConfiguration>`, 'InvalidArgument'],
    ];
    for (const [body, code] of cases) {
      const r = await submit(body);
      assert.equal(r.status, 400, `${body}: ${r.text}`);
      assert.equal(r.err?.Code, code, body);
    }
    assert.equal(await objectStatus('k'), 404);
    const unknown = await send(srv, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': 'A'.repeat(32) } });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.err?.Code, 'NoSuchAsyncFetchTask');
    const malformed = await send(srv, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': 'nope' } });
    assert.equal(malformed.err?.Code, 'NoSuchAsyncFetchTask');
    const missing = await send(srv, 'GET', null, [['asyncFetch', '']]);
    assert.equal(missing.status, 400);
    assert.equal(missing.err?.Code, 'InvalidArgument');
    // Other methods, or an object: 501 as before.
    assert.equal((await send(srv, 'PUT', null, [['asyncFetch', '']], { body: '' })).status, 501);
    assert.equal((await send(srv, 'GET', 'obj', [['asyncFetch', '']])).status, 501);
  });

  test('RAM: oss:PutAsyncFetchTask and oss:PutObject on the object are both needed; oss:GetAsyncFetchTask to read', async () => {
    const ram = new Ram(srv);
    const allow = (...Action: string[]) => ({ Effect: 'Allow', Action, Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/ram/*`] });
    const noTask = await ram.userWith('fetch-no-task', policyDoc(allow('oss:PutObject', 'oss:GetAsyncFetchTask')));
    const noPut = await ram.userWith('fetch-no-put', policyDoc(allow('oss:PutAsyncFetchTask', 'oss:GetAsyncFetchTask')));
    const both = await ram.userWith('fetch-both', policyDoc(allow('oss:PutAsyncFetchTask', 'oss:PutObject')));
    const body = (key: string): string => configXml({ url: `${base}/small`, object: key });
    const creds = (u: { accessKeyId: string; accessKeySecret: string }): [string, string] => [u.accessKeyId, u.accessKeySecret];
    for (const [user, key] of [[noTask, 'ram/a'], [noPut, 'ram/b'], [both, 'outside-prefix']] as const) {
      const r = await submit(body(key), creds(user));
      assert.equal(r.status, 403, `${user.userName} ${key}: ${r.text}`);
      assert.equal(r.err?.Code, 'AccessDenied');
      assert.equal(await objectStatus(key), 404);
    }
    const r = await submit(body('ram/c'), creds(both));
    assert.equal(r.status, 200, r.text);
    const id = tag(r.text, 'TaskId')!;
    assert.equal(tag(await finished(id), 'State'), 'Success');
    // Reading a task needs oss:GetAsyncFetchTask (`both` lacks it, `noPut` has it).
    const read = (u: typeof both) => send(srv, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id }, creds: creds(u) });
    assert.equal((await read(both)).status, 403);
    assert.equal((await read(noPut)).status, 200);
    // An explicit Deny on each action it needs, for a user otherwise allowed oss:*: refused, nothing written.
    for (const [denied, i] of [['oss:PutAsyncFetchTask', 0], ['oss:PutObject', 1]] as const) {
      const u = await ram.userWith(`fetch-deny-${i}`, policyDoc(
        { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
        { Effect: 'Deny', Action: [denied], Resource: ['*'] },
      ));
      const denyR = await submit(body(`ram/deny-${i}`), creds(u));
      assert.equal(denyR.status, 403, `${denied}: ${denyR.text}`);
      assert.equal(await objectStatus(`ram/deny-${i}`), 404);
    }
    const noRead = await ram.userWith('fetch-deny-read', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:GetAsyncFetchTask'], Resource: ['*'] },
    ));
    assert.equal((await read(noRead)).status, 403);
  });

  // A process killed between its object's commit and the task's update, or killed mid-fetch with PostgreSQL: its task
  // row is written here as the killed process left it (Running, another runner, a heartbeat older than the lease).
  type StoredTask = Record<string, unknown> & { id: string; info: Record<string, unknown> };
  async function rewriteTasks(change: (tasks: StoredTask[]) => StoredTask[]): Promise<void> {
    const b = await srv.meta.getBucket(BUCKET);
    assert.ok(b !== null);
    await srv.meta.updateBucketConfig(BUCKET, 'stored.async-fetch', (text) => {
      const doc = JSON.parse(text ?? '{"tasks":[]}') as { tasks: StoredTask[] };
      return JSON.stringify({ tasks: change(doc.tasks) });
    }, incarnationOf(b));
  }
  const killed = (): Record<string, unknown> => ({ state: 'Running', errorMsg: '', runner: randomUUID(), heartbeat: Date.now() - 10 * 60_000 });
  function planted(object: string, over: Record<string, unknown>): StoredTask {
    const now = Date.now();
    return {
      id: randomBytes(16).toString('hex').toUpperCase(), state: 'Running', errorMsg: '', created: now, runner: randomUUID(),
      deadline: now + 3_600_000, heartbeat: now,
      info: { url: `${base}/small`, object, host: '', contentMd5: '', callback: '', storageClass: '', ignoreSameKey: false },
      ...over,
    };
  }
  async function stateOf(id: string): Promise<{ state: string | undefined; msg: string | undefined }> {
    const r = await send(srv, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } });
    assert.equal(r.status, 200, r.text);
    return { state: tag(r.text, 'State'), msg: tag(r.text, 'ErrorMsg') };
  }

  test('a task whose process died after its object was committed reads Success (FetchSuccessCallbackFailed with a Callback), not Failed', async () => {
    const id = await taskId(configXml({ url: `${base}/small`, object: 'crash/committed' }));
    assert.equal(tag(await finished(id), 'State'), 'Success');
    await rewriteTasks((tasks) => tasks.map((t) => (t.id === id ? { ...t, ...killed() } : t)));
    assert.deepEqual(await stateOf(id), { state: 'Success', msg: '' });
    assert.deepEqual(await stateOf(id), { state: 'Success', msg: '' }, 'the settled state is kept');
    // Killed before its callback's answer was recorded: the object is there, the callback perhaps never sent.
    await rewriteTasks((tasks) => tasks.map((t) => (t.id === id ? { ...t, ...killed(), info: { ...t.info, callback: b64({ callbackUrl: `${base}/cb`, callbackBody: 'x' }) } } : t)));
    const cb = await stateOf(id);
    assert.equal(cb.state, 'FetchSuccessCallbackFailed');
    assert.match(cb.msg ?? '', /stored/);
    assert.equal(await objectStatus('crash/committed'), 200);
  });

  test('a dead process\'s Running task whose key another writer stored reads Failed (the object is not the task\'s)', async () => {
    assert.equal((await send(srv, 'PUT', 'crash/other', [], { body: 'not the task\'s' })).status, 200);
    const task = planted('crash/other', killed());
    await rewriteTasks((tasks) => [...tasks, task]);
    const seen = await stateOf(task.id);
    assert.equal(seen.state, 'Failed');
    assert.match(seen.msg ?? '', /interrupted/);
    assert.equal(await objectStatus('crash/other'), 200);
  });

  test('a task whose runner\'s heartbeat lapsed reads Failed at once; one whose runner is alive stays Running (PostgreSQL)', async () => {
    const dead = planted('crash/never', killed());
    const alive = planted('crash/alive', {});
    await rewriteTasks((tasks) => [...tasks, dead, alive]);
    const seen = await stateOf(dead.id);
    assert.equal(seen.state, 'Failed', 'a killed process\'s task read Running for the rest of its hour');
    assert.match(seen.msg ?? '', /interrupted/);
    assert.equal(await objectStatus('crash/never'), 404);
    // SQLite: one process owns the data, so another runner's task is gone; PostgreSQL: its heartbeat is fresh.
    assert.equal((await stateOf(alive.id)).state, process.env.ALUNITE_TEST_META === 'postgres' ? 'Running' : 'Failed');
  });
});

/** An origin that sends one byte of a 100,000-byte body and then nothing. */
async function stallingOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const origin = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': '100000' });
    res.write('x');
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(origin.address() as AddressInfo).port}/slow`,
    close: async () => {
      origin.closeAllConnections();
      await new Promise<void>((r) => origin.close(() => r()));
    },
  };
}

test('a task whose server was killed (SIGKILL) mid-fetch reads Failed after the restart; nothing is stored', async () => {
  const origin = await stallingOrigin();
  const dataDir = await mkdtemp(join(tmpdir(), 'alunite-fetch-kill-'));
  try {
    const child = await spawnServer(['--data', dataDir, '--async-fetch', '--async-fetch-allow-host', '127.0.0.1']);
    try {
      const put = await send(child, 'PUT', null, [], { body: '' });
      assert.equal(put.status, 200, put.text);
      const r = await send(child, 'POST', null, [['asyncFetch', '']], { body: configXml({ url: origin.url, object: 'killed' }) });
      assert.equal(r.status, 200, r.text);
      const id = tag(r.text, 'TaskId')!;
      assert.equal(tag((await send(child, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } })).text, 'State'), 'Running');
      await kill9(child.child);
      // The killed child kept its metadata in the data directory (SQLite), whatever ALUNITE_TEST_META says.
      const second = await startTestServer({ dataDir, meta: undefined });
      try {
        const after = await send(second, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } });
        assert.equal(tag(after.text, 'State'), 'Failed', after.text);
        assert.match(tag(after.text, 'ErrorMsg') ?? '', /interrupted/);
        assert.equal((await send(second, 'HEAD', 'killed', [])).status, 404);
      } finally {
        await second.close();
      }
    } finally {
      await kill9(child.child);
    }
  } finally {
    await origin.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a task cut short by a server stop reads Failed after the restart; nothing is stored', async () => {
  const origin = await stallingOrigin();
  const url = origin.url;
  const dataDir = await mkdtemp(join(tmpdir(), 'alunite-fetch-restart-'));
  // The restarted server reads the first one's database (PostgreSQL: the same one, not a fresh one).
  const meta = process.env.ALUNITE_TEST_META === 'postgres' ? await (await testPostgres()).freshUrl() : undefined;
  try {
    const first = await startTestServer({ dataDir, meta, callbacks: { allowHosts: ['127.0.0.1'] }, asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'] } });
    await first.client().putBucket(BUCKET);
    const r = await send(first, 'POST', null, [['asyncFetch', '']], { body: configXml({ url, object: 'slow' }) });
    assert.equal(r.status, 200, r.text);
    const id = tag(r.text, 'TaskId')!;
    const running = await send(first, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } });
    assert.equal(tag(running.text, 'State'), 'Running', running.text);
    await first.close();
    const second = await startTestServer({ dataDir, meta });
    try {
      const after = await send(second, 'GET', null, [['asyncFetch', '']], { headers: { 'x-oss-task-id': id } });
      assert.equal(tag(after.text, 'State'), 'Failed', after.text);
      assert.notEqual(tag(after.text, 'ErrorMsg'), '');
      assert.equal((await send(second, 'HEAD', 'slow', [])).status, 404);
    } finally {
      await second.close();
    }
  } finally {
    await origin.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('PostgreSQL: a running task\'s process renews its heartbeat (others take a lapsed one for a killed process)', { skip: process.env.ALUNITE_TEST_META !== 'postgres' && 'SQLite: one process owns the data, no heartbeat' }, async () => {
  const origin = await stallingOrigin();
  const srv = await startTestServer({ asyncFetch: { enabled: true, allowHosts: ['127.0.0.1'], limits: { leaseMs: 400 }, source: { idleTimeoutMs: 120_000 } } });
  try {
    await srv.client().putBucket(BUCKET);
    const r = await send(srv, 'POST', null, [['asyncFetch', '']], { body: configXml({ url: origin.url, object: 'beating' }) });
    assert.equal(r.status, 200, r.text);
    const id = tag(r.text, 'TaskId')!;
    // Waits for a renewal (a deadline only against a hang, not a timing assertion).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const b = await srv.meta.getBucket(BUCKET);
      const doc = JSON.parse(b?.configs?.['stored.async-fetch'] ?? '{"tasks":[]}') as { tasks: Array<{ id: string; created: number; heartbeat?: number }> };
      const task = doc.tasks.find((t) => t.id === id);
      assert.ok(task !== undefined);
      if ((task.heartbeat ?? 0) > task.created) break;
      assert.ok(Date.now() < deadline, 'the heartbeat was never renewed');
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await srv.stop();
    await origin.close();
  }
});
