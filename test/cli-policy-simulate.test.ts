// `alunite policy simulate`: a role's policies with a session policy are their intersection (from files),
// and a named user / role (+ session policy) is simulated against a running server's state; both print
// the same layered trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliHome, fails, json, ok, type CliHome, type CliResult } from './helpers/cli.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { ACCOUNT_ID, AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { TRUST_ACCOUNT } from './helpers/sts.js';
import { BIN } from './helpers/spawn.js';
import { formatTable, printable, printJson, selfCommand, shellQuote } from '../src/cli/output.js';

type Out = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const BUCKET = 'sim-b';
const obj = (key: string): string => `acs:oss:cn-hangzhou:${ACCOUNT_ID}:${BUCKET}/${key}`;
const layer = (o: Out, name: string): Out => (o.trace.layers as Out[]).find((l) => l.layer === name)!;

describe('alunite policy simulate', () => {
  let cli: CliHome;
  let srv: TestServer;
  let alice: RamUserHandle;
  const file = (name: string): string => join(cli.home, name);
  const conn = (): string[] => ['--endpoint', srv.url, '--access-key-id', AK, '--access-key-secret', SECRET];

  before(async () => {
    cli = await cliHome();
    await writeFile(file('role.json'), policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }));
    await writeFile(file('session.json'), policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/uploads/*` }));
    srv = await startTestServer();
    const ram = new Ram(srv);
    await srv.client().putBucket(BUCKET);
    await srv.client({ bucket: BUCKET }).putBucketPolicy(BUCKET, {
      Version: '1',
      Statement: [{ Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:${ACCOUNT_ID}:${BUCKET}/private/*`] }],
    } as never);
    alice = await ram.userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }));
    await ram.call('CreateRole', { RoleName: 'reader', AssumeRolePolicyDocument: TRUST_ACCOUNT });
    await ram.call('CreatePolicy', { PolicyName: 'reader-all', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }) });
    await ram.call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'reader-all', RoleName: 'reader' });
  });
  after(async () => {
    await srv?.stop();
    await rm(cli.home, { recursive: true, force: true });
  });

  it('from files: acs:MFAPresent is false unless --context says so, as the server sets it for every signed caller', async () => {
    // The cloud's "require MFA" guard. Before: the key was missing offline (and --context could not set it), so the
    // Deny never applied here while the server refuses every AccessKey request with it.
    await writeFile(file('mfa.json'), policyDoc(
      { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
      { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'false' } } },
    ));
    const base = ['policy', 'simulate', '--policy', file('mfa.json'), '--action', 'oss:GetObject', '--resource', obj('a'), '--json'];
    assert.equal(json<Out>(await cli.run(base)).decision, 'ExplicitDeny');
    assert.equal(json<Out>(await cli.run([...base, '--context', 'acs:MFAPresent=true'])).decision, 'Allow');
    const bob = await new Ram(srv).userWith('mfa-bob', await (await import('node:fs/promises')).readFile(file('mfa.json'), 'utf8'));
    await assert.rejects(bob.oss(BUCKET).get('a'), (e: { status?: number }) => e.status === 403);
  });

  it('a `*` in --resource is warned about: it is a character of the one resource asked for, not a wildcard', async () => {
    const base = ['policy', 'simulate', '--policy', file('role.json'), '--action', 'oss:GetObject', '--json'];
    const starred = await cli.run([...base, '--resource', obj('*')]);
    assert.equal(json<Out>(starred).decision, 'Allow');
    assert.match(starred.stderr, /^warning: --resource names one resource: its "\*" is a literal character of that name, not a wildcard;/m);
    const plain = await cli.run([...base, '--resource', obj('a')]);
    assert.equal(json<Out>(plain).decision, 'Allow');
    assert.doesNotMatch(plain.stderr, /wildcard/);
  });

  it('from files: a role\'s policies with a session policy are their intersection (no misleading Allow)', async () => {
    const base = ['policy', 'simulate', '--policy', file('role.json'), '--action', 'oss:GetObject', '--resource', obj('uploads/a')];
    const alone = json<Out>(await cli.run(base));
    assert.equal(alone.decision, 'Allow');
    const narrowed = json<Out>(await cli.run([...base, '--session-policy', file('session.json')]));
    assert.equal(narrowed.decision, 'ImplicitDeny');
    assert.equal(narrowed.trace.decidingLayer, 'session');
    assert.equal(layer(narrowed, 'session').verdict, 'NoMatch');
    assert.equal(layer(narrowed, 'session').policies[0].statements[0].failed, 'Action');
    assert.equal(layer(narrowed, 'identity').verdict, 'NotConsulted');
    assert.match(narrowed.reasons[0], /^session: /);
    const put = json<Out>(await cli.run(['policy', 'simulate', '--policy', file('role.json'), '--session-policy', file('session.json'), '--action', 'oss:PutObject', '--resource', obj('uploads/a')]));
    assert.equal(put.decision, 'Allow');
    assert.deepEqual(put.trace.layers.map((l: Out) => [l.layer, l.verdict]), [['session', 'Allow'], ['identity', 'Allow']]);
    const outside = json<Out>(await cli.run(['policy', 'simulate', '--policy', file('role.json'), '--session-policy', file('session.json'), '--action', 'oss:PutObject', '--resource', obj('other/a')]));
    assert.equal(outside.decision, 'ImplicitDeny');
    assert.equal(layer(outside, 'session').policies[0].statements[0].failed, 'Resource');
  });

  it('a named user against the server: its policies, the failing condition, the live bucket policy', async () => {
    const far = json<Out>(await cli.run(['policy', 'simulate', '--user', 'alice', '--action', 'oss:GetObject', '--resource', obj('a.txt'), '--context', 'acs:SourceIp=192.168.1.1', ...conn()]));
    assert.equal(far.decision, 'ImplicitDeny');
    const st = layer(far, 'identity').policies[0].statements[0];
    assert.equal(st.failed, 'Condition');
    assert.deepEqual(st.conditions, [{ key: 'acs:SourceIp', operator: 'IpAddress', expected: ['10.0.0.0/8'], actual: ['192.168.1.1'] }]);
    const near = json<Out>(await cli.run(['policy', 'simulate', '--user', 'alice', '--action', 'oss:GetObject', '--resource', obj('a.txt'), '--context', 'acs:SourceIp=10.1.1.1', ...conn()]));
    assert.equal(near.decision, 'Allow');
    const locked = json<Out>(await cli.run(['policy', 'simulate', '--user', 'alice', '--action', 'oss:GetObject', '--resource', obj('private/a'), '--context', 'acs:SourceIp=10.1.1.1', ...conn()]));
    assert.equal(locked.decision, 'ExplicitDeny');
    assert.equal(locked.identityDecision, 'Allow');
    assert.equal(locked.trace.decidingLayer, 'bucket');
    assert.deepEqual(locked.trace.layers.map((l: Out) => l.layer), ['session', 'identity', 'bucket', 'owner', 'acl']);
  });

  it('a named role with a session policy file against the server: the intersection', async () => {
    const base = ['policy', 'simulate', '--role', 'reader', '--action', 'oss:GetObject', '--resource', obj('uploads/a'), ...conn()];
    assert.equal(json<Out>(await cli.run(base)).decision, 'Allow');
    const narrowed = json<Out>(await cli.run([...base, '--session-policy', file('session.json')]));
    assert.equal(narrowed.decision, 'ImplicitDeny');
    assert.equal(narrowed.identityDecision, 'Allow');
    assert.equal(narrowed.trace.decidingLayer, 'session');
  });

  it('the "why:" hint names the command as the user can run it again', () => {
    assert.equal(selfCommand('/repo/bin/alunite', '/repo', '/usr/bin:/bin'), 'bin/alunite');
    assert.equal(selfCommand('/repo/bin/alunite', '/repo/bin', '/usr/bin'), './alunite');
    assert.equal(selfCommand('/usr/local/bin/alunite', '/home/me', '/usr/local/bin:/usr/bin'), 'alunite');
    assert.equal(selfCommand('/repo/bin/alunite', '/elsewhere', '/usr/bin'), '/repo/bin/alunite');
    assert.equal(selfCommand('/some/test-runner.js', '/repo', ''), 'alunite');
    assert.equal(selfCommand(undefined, '/repo', ''), 'alunite');
  });

  it('a refusal prints "why: alunite policy explain <RequestId>", and that command shows the server\'s decision layer by layer', async () => {
    // alice may read only from 10.0.0.0/8; the CLI connects from 127.0.0.1.
    const denied = fails(await cli.run(['oss', 'cat', `oss://${BUCKET}/a.txt`, '--endpoint', srv.url, '--access-key-id', alice.accessKeyId, '--access-key-secret', alice.accessKeySecret]), 1, 'AccessDenied');
    const rid = /\(RequestId: ([0-9A-F]+)\)$/m.exec(denied)?.[1];
    assert.ok(rid !== undefined, denied);
    // The command as it was started (the test spawns bin/alunite by its absolute path, not from PATH).
    assert.ok(denied.split('\n').includes(`why: ${BIN} policy explain ${rid}`), denied);
    const why = json<Out>(await cli.run(['policy', 'explain', rid, ...conn()]));
    assert.equal(why.requestId, rid);
    assert.equal(why.principal, 'user:alice');
    assert.equal(why.action, 'oss:GetObject');
    assert.equal(why.resource, obj('a.txt'));
    assert.equal(why.decision, 'ImplicitDeny');
    assert.equal(why.status, 403);
    assert.equal(why.errorCode, 'AccessDenied');
    const st = layer(why, 'identity').policies[0].statements[0];
    assert.equal(st.failed, 'Condition');
    assert.deepEqual(st.conditions, [{ key: 'acs:SourceIp', operator: 'IpAddress', expected: ['10.0.0.0/8'], actual: ['127.0.0.1'] }]);
    // A RAM/STS refusal too (the root cannot assume roles), and an id the server does not hold.
    const noPerm = fails(await cli.run(['sts', 'assume-role', '--role-arn', `acs:ram::${ACCOUNT_ID}:role/reader`, '--session-name', 'root', ...conn()]), 1, 'NoPermission');
    const hint = `why: ${BIN} policy explain `;
    assert.ok(noPerm.split('\n').some((l) => l.startsWith(hint) && /^[0-9A-F-]{36}$/.test(l.slice(hint.length))), noPerm);
    fails(await cli.run(['policy', 'explain', 'NOSUCHID', ...conn()]), 1, 'EntityNotExist.Request');
    // Errors that are not refusals get no such line.
    assert.doesNotMatch(fails(await cli.run(['oss', 'ls', 'oss://no-such-bucket-here', ...conn()]), 1, 'NoSuchBucket'), /^why:/m);
  });

  it('on a terminal, simulate and explain print readable text (piped, and with --json, the same JSON as before)', async () => {
    // script(1) (util-linux, Debian's essential bsdutils) gives the command a pseudo-terminal as stdout.
    const tty = async (args: string[]): Promise<CliResult> => {
      // Its stdout carries the command's stdout and stderr together.
      const line = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
      const child = spawn('script', ['-qec', line, '/dev/null'], { env: cli.env, cwd: cli.home, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout: stdout.replace(/\r\n/g, '\n'), stderr };
    };
    const simArgs = ['policy', 'simulate', '--policy', file('role.json'), '--session-policy', file('session.json'), '--action', 'oss:PutObject', '--resource', obj('other/a')];
    const text = ok(await tty(simArgs));
    const lines = text.split('\n');
    assert.equal(lines[0], `ImplicitDeny: oss:PutObject on ${obj('other/a')}`, text);
    assert.ok(lines.includes('  policy "session.json": no match'), text);
    assert.ok(lines.includes('    Statement[0] Allow: the resource does not match'), text);
    assert.ok(lines.some((l) => l.startsWith('session: no match (this layer decided). ')), text);
    assert.ok(lines.includes('identity: not consulted. The session policy refused first.'), text);
    assert.doesNotMatch(text, /^\{/m);
    // --json on a terminal, and a pipe without it: the JSON document.
    assert.equal(JSON.parse(ok(await tty([...simArgs, '--json']))).decision, 'ImplicitDeny');
    assert.equal(json<Out>(await cli.run(simArgs)).decision, 'ImplicitDeny');

    // A named user's failing condition, from the server.
    const user = ok(await tty(['policy', 'simulate', '--user', 'alice', '--action', 'oss:GetObject', '--resource', obj('a.txt'), '--context', 'acs:SourceIp=192.168.1.1', ...conn()]));
    assert.ok(user.split('\n').includes('      IpAddress acs:SourceIp "10.0.0.0/8": the request has "192.168.1.1"'), user);

    // explain: who asked what, the answer, the decision, then the layers. The key holds an escape sequence (ESC [2J
    // clears a terminal), which the operator sees written out.
    const denied = fails(await cli.run(['oss', 'cat', `oss://${BUCKET}/a\u001b[2J.txt`, '--endpoint', srv.url, '--access-key-id', alice.accessKeyId, '--access-key-secret', alice.accessKeySecret]), 1, 'AccessDenied');
    const rid = /\(RequestId: ([0-9A-F]+)\)$/m.exec(denied)![1]!;
    const why = ok(await tty(['policy', 'explain', rid, ...conn()]));
    const row = (k: string): string | undefined => why.split('\n').find((l) => l.startsWith(`${k}  `))?.slice(k.length).trim();
    assert.equal(row('request'), rid, why);
    assert.equal(row('principal'), 'user:alice', why);
    assert.equal(row('action'), 'oss:GetObject', why);
    assert.equal(row('resource'), obj('a\\u001b[2J.txt'), why);
    assert.ok(!why.includes('\u001b'), why);
    assert.equal(row('answer'), '403 AccessDenied', why);
    assert.match(row('decision') ?? '', /^ImplicitDeny/, why);
    assert.ok(why.split('\n').includes('      IpAddress acs:SourceIp "10.0.0.0/8": the request has "127.0.0.1"'), why);
    // Answered before authorization (no such bucket, as the root): said so, with the action a policy would name.
    const missing = fails(await cli.run(['oss', 'ls', 'oss://no-such-bucket-here', ...conn()]), 1, 'NoSuchBucket');
    const mid = /\(RequestId: ([0-9A-F]+)\)$/m.exec(missing)![1]!;
    const pre = ok(await tty(['policy', 'explain', mid, ...conn()]));
    const preRow = (k: string): string | undefined => pre.split('\n').find((l) => l.startsWith(`${k}  `))?.slice(k.length).trim();
    assert.equal(preRow('decision'), 'none: answered before authorization (NoSuchBucket), so no policy was consulted', pre);
    assert.equal(preRow('action'), 'oss:ListObjects', pre);
    // alice may not explain: a hint says who may, and no second "why:" line sends her round again.
    const self = await cli.run(['policy', 'explain', rid, '--endpoint', srv.url, '--access-key-id', alice.accessKeyId, '--access-key-secret', alice.accessKeySecret]);
    fails(self, 1, 'NoPermission');
    assert.match(self.stderr, /^hint: explaining a request needs ram:ExplainRequest: run it as the account's root or a RAM user allowed it/m);
    assert.doesNotMatch(self.stderr, /^why:/m);
    // A policy file that does not compile: one error line on stderr, exit 1, nothing on stdout.
    await writeFile(file('broken.json'), '{"Version": "1", "Statement": [{"Effect": "Maybe", "Action": "oss:*", "Resource": "*"}]}');
    const broken = await tty(['policy', 'simulate', '--policy', file('broken.json'), '--action', 'oss:GetObject', '--resource', obj('a')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, new RegExp(`^error: ${file('broken.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*Effect`, 'm'), broken.stdout);
  });

  it('text for a terminal writes control characters out (escape sequences from keys, resources, messages)', () => {
    assert.equal(printable('a\u001b[31mb\u0007c\u009bd\te\u007f'), 'a\\u001b[31mb\\u0007c\\u009bd\\u0009e\\u007f');
    assert.equal(printable('plain ünïcode ✓ key/with spaces'), 'plain ünïcode ✓ key/with spaces');
    assert.equal(formatTable([['k\u001b]0;title\u0007', 'v']], ['KEY', 'VALUE']), `${'KEY'.padEnd(21)}  VALUE\nk\\u001b]0;title\\u0007  v\n`);
    // JSON: DEL and C1 escaped too (JSON.stringify leaves them), and the document reads back the same.
    let written = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => ((written += chunk), true)) as typeof process.stdout.write;
    try {
      printJson({ key: 'a\u009b2Jb\u007f\u001b' });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(written, '{\n  "key": "a\\u009b2Jb\\u007f\\u001b"\n}\n');
    assert.deepEqual(JSON.parse(written), { key: 'a\u009b2Jb\u007f\u001b' });
  });

  it('usage errors: --user with --role, --policy with a principal, --session-policy with a user (exit 2)', async () => {
    const base = ['policy', 'simulate', '--action', 'oss:GetObject', '--resource', obj('a'), ...conn()];
    fails(await cli.run([...base, '--user', 'alice', '--role', 'reader']), 2);
    fails(await cli.run([...base, '--user', 'alice', '--policy', file('role.json')]), 2);
    fails(await cli.run([...base, '--user', 'alice', '--session-policy', file('session.json')]), 2);
    fails(await cli.run(['policy', 'simulate', '--action', 'oss:GetObject', '--resource', obj('a')]), 2);
  });

  it('a resource that is not an ARN, or an action without its service, is a usage error naming the form (it was a silent ImplicitDeny)', async () => {
    const files = ['policy', 'simulate', '--policy', file('role.json')];
    const notArn = fails(await cli.run([...files, '--action', 'oss:GetObject', '--resource', `${BUCKET}/a`]), 2);
    assert.match(notArn, /--resource expects an ARN, acs:<service>:<region>:<account>:<resource>, e\.g\. acs:oss:cn-hangzhou:\d{16}:my-bucket\/key/);
    assert.match(notArn, /got "sim-b\/a"/);
    const bare = fails(await cli.run([...files, '--action', 'GetObject', '--resource', obj('a')]), 2);
    assert.match(bare, /--action expects one action as service:Name, e\.g\. oss:GetObject, got "GetObject"/);
    // Against a server too, before anything is sent.
    fails(await cli.run(['policy', 'simulate', '--user', 'alice', '--action', 'oss:GetObject', '--resource', 'sim-b/a', ...conn()]), 2);
    // An action Alunite does not know still runs (a policy may name it), with a warning and a suggestion.
    const typo = await cli.run([...files, '--action', 'oss:GetObjects', '--resource', obj('a')]);
    assert.equal(json<Out>(typo).decision, 'Allow'); // role.json allows oss:*
    assert.match(typo.stderr, /^warning: "oss:GetObjects" is no oss action \(did you mean "oss:GetObject"\?\)$/m);
    const known = await cli.run([...files, '--action', 'oss:GetObject', '--resource', obj('a')]);
    assert.equal(known.stderr, '');
  });

  it('a bucket policy file given without --kind: the Principal error, then a hint naming --kind bucket', async () => {
    await writeFile(file('bucket.json'), policyDoc({ Effect: 'Allow', Principal: ['*'], Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    const args = ['policy', 'simulate', '--policy', file('bucket.json'), '--action', 'oss:GetObject', '--resource', obj('a')];
    const r = await cli.run(args);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).error, /Principal is not allowed in a RAM policy/);
    assert.equal(r.stderr, `hint: ${file('bucket.json')} is a valid bucket policy: give --kind bucket (without --kind, --policy files are RAM identity policies)\n`);
    assert.equal(json<Out>(await cli.run([...args, '--kind', 'bucket'])).decision, 'Allow');
    assert.doesNotMatch((await cli.run([...args, '--kind', 'identity'])).stderr, /hint:/);
  });
});
