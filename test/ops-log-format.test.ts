// Server log formats: `pretty` (one readable line per event, the default on a terminal) and `json`, chosen
// with --log-format / ALUNITE_LOG_FORMAT; RAM, STS and OSS denials at info with the request id the client
// got, the principal, action, resource and deciding layer. A pseudo-terminal is hard to give a child
// process, so the terminal default is tested on resolveLogFormat and the format itself through the flag.
import assert from 'node:assert/strict';
import OSS from 'ali-oss';
import { after, before, describe, test } from 'node:test';
import { createLogger, formatPrettyLine, redactUrl, resolveLogFormat } from '../src/log.js';
import { Ram, type PopError } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, type TestServer } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';

describe('log format: the formatter', () => {
  test('a request is one line: time, level, method, URL, status, operation, time taken, then the fields', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-12-02T03:40:00.123Z', pid: 7, requestId: 'R1', method: 'GET', url: '/b/k?x=1', op: 'GetObject', status: 200, ms: 3.14159, principal: 'user:alice', msg: 'request' });
    assert.equal(formatPrettyLine(`${line}\n`), '03:40:00.123 INFO  GET /b/k?x=1 → 200 GetObject 3.1ms  requestId=R1 principal=user:alice\n');
  });

  test('other events: the message, then requestId, principal, action, resource, layer first; values quoted only when needed', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-12-02T03:40:00.123Z', pid: 7, msg: 'access denied', message: 'You are not authorized', layer: 'identity', resource: 'acs:ram::1:user/bob', requestId: 'R2', action: 'ram:CreateUser', principal: 'user:alice', empty: '', n: 3, o: { a: 1 }, gone: null });
    assert.equal(
      formatPrettyLine(line),
      '03:40:00.123 WARN  access denied  requestId=R2 principal=user:alice action=ram:CreateUser resource=acs:ram::1:user/bob layer=identity message="You are not authorized" empty="" n=3 o={"a":1}\n',
    );
  });

  test('multi-line values (stack traces) follow the line, indented; colour only when asked; non-JSON passes through', () => {
    const line = JSON.stringify({ level: 'error', time: '2026-12-02T03:40:00Z', msg: 'internal error', requestId: 'R3', err: 'Error: boom\n    at f (x.js:1:1)' });
    assert.equal(formatPrettyLine(line), '03:40:00 ERROR internal error  requestId=R3\n    err: Error: boom\n          at f (x.js:1:1)\n');
    assert.equal(formatPrettyLine(line, true).slice(0, 23), '03:40:00 \x1b[31mERROR\x1b[0m');
    assert.equal(formatPrettyLine('not json'), 'not json\n');
  });

  test('the pretty logger still redacts secrets, writes one line per event, and logs requests at info (json: at debug)', () => {
    const pretty: string[] = [];
    const log = createLogger('info', (l) => pretty.push(l), { format: 'pretty' });
    log.child({ requestId: 'R4' }).info('vend', { accessKeySecret: 'S3CR3T', user: 'a' });
    log.request(() => ({ method: 'PUT', url: '/b/k', status: 200, op: 'PutObject' }));
    assert.equal(pretty.length, 2);
    assert.match(pretty[0]!, /^\d\d:\d\d:\d\d\.\d+ INFO  vend  requestId=R4 accessKeySecret=\[redacted\] user=a\n$/);
    assert.match(pretty[1]!, /INFO  PUT \/b\/k → 200 PutObject\n$/);
    const json: string[] = [];
    const jlog = createLogger('info', (l) => json.push(l), { format: 'json' });
    let built = false;
    jlog.request(() => ((built = true), {}));
    assert.deepEqual([json, built], [[], false], 'at info, JSON logs do not build or write request lines');
    createLogger('debug', (l) => json.push(l), { format: 'json' }).request(() => ({ status: 200 }));
    assert.deepEqual(JSON.parse(json[0]!).msg, 'request');
  });

  test('the format: the flag, else ALUNITE_LOG_FORMAT, else pretty exactly when stderr is a terminal', () => {
    assert.equal(resolveLogFormat(undefined, {}, true), 'pretty');
    assert.equal(resolveLogFormat(undefined, {}, false), 'json');
    assert.equal(resolveLogFormat(undefined, { ALUNITE_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(resolveLogFormat(undefined, { ALUNITE_LOG_FORMAT: 'pretty' }, false), 'pretty');
    assert.equal(resolveLogFormat('json', { ALUNITE_LOG_FORMAT: 'pretty' }, true), 'json');
    assert.throws(() => resolveLogFormat(undefined, { ALUNITE_LOG_FORMAT: 'xml' }, true), /must be one of pretty, json/);
  });
});

/** What a spawned server has logged once `pattern` shows up (the log is read from a pipe, after the answer). */
async function logged(srv: SpawnedServer, pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  while (!pattern.test(srv.stderr())) {
    if (Date.now() > deadline) assert.fail(`no log line matching ${pattern} in:\n${srv.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return srv.stderr().split('\n').filter((l) => l !== '');
}

/** Denials of each service, by a RAM user without policies; returns the request ids the clients got. */
async function denials(srv: SpawnedServer): Promise<{ ram: string; oss: string; sts: string }> {
  const base = { region: 'oss-cn-hangzhou', accessKeyId: AK, accessKeySecret: SECRET, timeout: 120_000 };
  const handle = { url: srv.url, client: (o: Partial<OSS.Options> = {}) => new OSS({ ...base, endpoint: srv.url, ...o } as OSS.Options) } as unknown as TestServer;
  const ram = new Ram(handle);
  await handle.client().putBucket('logs-bucket');
  await ram.call('CreateRole', { RoleName: 'reader', AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }] }) });
  const alice = await ram.user('alice');
  const ramErr = await alice.pop().request('CreateUser', { UserName: 'bob' }, { method: 'POST' }).then(() => assert.fail('CreateUser allowed'), (e: PopError) => e);
  assert.equal(ramErr.code, 'NoPermission');
  const ossErr = await alice.oss('logs-bucket').get('secret.txt').then(() => assert.fail('GetObject allowed'), (e: { code: string; requestId: string }) => e);
  assert.equal(ossErr.code, 'AccessDenied');
  const RPC = (await import('@alicloud/pop-core')).default;
  const sts = new RPC({ accessKeyId: alice.accessKeyId, accessKeySecret: alice.accessKeySecret, endpoint: srv.url, apiVersion: '2015-04-01' });
  const stsErr = await sts.request('AssumeRole', { RoleArn: `acs:ram::${ACCOUNT_ID}:role/reader`, RoleSessionName: 'log-test' }, { method: 'POST' }).then(() => assert.fail('AssumeRole allowed'), (e: PopError) => e);
  assert.equal(stsErr.code, 'NoPermission');
  return { ram: ramErr.data.RequestId, oss: ossErr.requestId, sts: stsErr.data.RequestId };
}

describe('log format: a server started with --log-format', () => {
  let pretty: SpawnedServer;
  let json: SpawnedServer;
  before(async () => {
    pretty = await spawnServer(['--in-memory', '--log-level', 'info', '--log-format', 'pretty']);
    json = await spawnServer(['--in-memory', '--log-level', 'info'], { ALUNITE_LOG_FORMAT: 'json' });
  });
  after(async () => {
    await kill9(pretty.child);
    await kill9(json.child);
  });

  test('pretty: one readable line per request and per denial, with the request id, principal, action, resource and layer', { timeout: 180_000 }, async () => {
    const ids = await denials(pretty);
    const lines = await logged(pretty, new RegExp(`requestId=${ids.sts}`));
    assert.deepEqual(lines.filter((l) => l.startsWith('{')), [], 'no JSON lines');
    const find = (re: RegExp): string => lines.find((l) => re.test(l)) ?? assert.fail(`no line matching ${re} in:\n${lines.join('\n')}`);
    find(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d+ INFO  access denied  requestId=${ids.ram} principal=user:alice action=ram:CreateUser resource=acs:ram::${ACCOUNT_ID}:user/bob decision=ImplicitDeny `));
    find(new RegExp(`INFO  access denied  requestId=${ids.oss} principal=user:alice action=oss:GetObject resource=acs:oss:cn-hangzhou:${ACCOUNT_ID}:logs-bucket/secret.txt .*layer=`));
    find(new RegExp(`INFO  access denied  requestId=${ids.sts} principal=user:alice action=sts:AssumeRole resource=acs:ram::${ACCOUNT_ID}:role/reader decision=ImplicitDeny`));
    find(new RegExp(`INFO  GET /secret\\.txt → 403 GetObject [\\d.]+ms  requestId=${ids.oss} principal=user:alice$`));
    find(new RegExp(`INFO  POST / → 403 pop:CreateUser [\\d.]+ms  requestId=${ids.ram} principal=user:alice$`));
    assert.ok(!pretty.stderr().includes(SECRET), 'no secret in the log');
  });

  test('json (ALUNITE_LOG_FORMAT=json): the same denials as JSON lines at info, and no request lines at info', { timeout: 180_000 }, async () => {
    const ids = await denials(json);
    const lines = await logged(json, new RegExp(`"requestId":"${ids.sts}"`));
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const denial = (rid: string): Record<string, unknown> => events.find((e) => e.msg === 'access denied' && e.requestId === rid) ?? assert.fail(`no denial ${rid}`);
    const ram = denial(ids.ram);
    assert.deepEqual([ram.level, ram.principal, ram.action, ram.resource, ram.decision], ['info', 'user:alice', 'ram:CreateUser', `acs:ram::${ACCOUNT_ID}:user/bob`, 'ImplicitDeny']);
    const oss = denial(ids.oss);
    assert.deepEqual([oss.level, oss.principal, oss.action, oss.resource], ['info', 'user:alice', 'oss:GetObject', `acs:oss:cn-hangzhou:${ACCOUNT_ID}:logs-bucket/secret.txt`]);
    assert.equal(typeof oss.layer, 'string');
    const sts = denial(ids.sts);
    assert.deepEqual([sts.action, sts.resource], ['sts:AssumeRole', `acs:ram::${ACCOUNT_ID}:role/reader`]);
    assert.deepEqual(events.filter((e) => e.msg === 'request'), []);
    assert.ok(!json.stderr().includes(SECRET), 'no secret in the log');
  });
});

describe('logged URLs', () => {
  test('credential parameters of POP GETs and presigned URLs are redacted, other parameters kept', async () => {
    const url = '/?Action=ChangePassword&OldPassword=old-secret&NewPassword=new-secret&AuthenticationCode1=123456&authenticationcode2=654321'
      + '&OIDCToken=eyJhbGciOi.x.y&SAMLAssertion=PHNhbWw%2B&Password=p&Signature=s&SecurityToken=t&UserName=alice';
    const out = redactUrl(url);
    for (const secret of ['old-secret', 'new-secret', '123456', '654321', 'eyJhbGciOi', 'PHNhbWw', '=p&', '=s&', '=t&']) assert.equal(out.includes(secret), false, `${secret} in ${out}`);
    assert.match(out, /UserName=alice/);
    assert.match(out, /OIDCToken=\[redacted\]/);
  });
});
