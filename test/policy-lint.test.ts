// policy/lint.ts (what `alunite policy validate` reports): every grammar fault with its place, and the
// warnings for what is valid but cannot do what it says. Also keeps the generated RAM/STS action table
// true to its fixture, and the validator's tables true to the actions the server authorizes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CATALOG } from '../src/oss/catalog.js';
import { canMatch, lintPolicy, type LintFinding } from '../src/policy/lint.js';
import { knownActions, ossActionOfOperation } from '../src/policy/known-actions.js';
import { jsonSyntaxErrorAt, locateElements } from '../src/policy/locate.js';
import { parsePolicy, parsePolicyAll } from '../src/policy/parse.js';
import { RAM_ACTION_NAMES, ramActionResources, type RamActionInput, type RamActionName } from '../src/ram/actions.js';
import { STS_ACTION_RESOURCES } from '../src/sts/actions.js';

const root = join(fileURLToPath(import.meta.url), '../../..');

function doc(...statements: unknown[]): string {
  return JSON.stringify({ Version: '1', Statement: statements }, null, 2);
}
const allow = (Action: unknown, Resource: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ Effect: 'Allow', Action, Resource, ...extra });
const codes = (fs: readonly LintFinding[]): string[] => fs.map((f) => `${f.code} ${f.path}`);

describe('policy lint: errors', () => {
  test('every grammar fault is reported, in text order, with statement, Sid, field and line:column', () => {
    const text = [
      '{',
      '  "Version": "2",',
      '  "Statement": [',
      '    {"Sid": "one", "Effect": "allow", "Action": ["oss:GetObject", "Oss: GetObject", 3], "Resource": "bucket"},',
      '    {"Effect": "Allow", "Action": "oss:GetObject", "Condition": {"StringEqual": {"oss:Prefix": "a"}, "IpAddress": {"acs:SourceIp": "not-an-ip"}}},',
      '    "not a statement"',
      '  ],',
      '  "Extra": 1',
      '}',
    ].join('\n');
    const r = lintPolicy(text, 'identity');
    assert.equal(r.valid, false);
    assert.deepEqual(codes(r.errors), [
      'Grammar Version',
      'Grammar Statement[0].Effect',
      'Grammar Statement[0].Action[1]',
      'Grammar Statement[0].Action[2]',
      'Grammar Statement[0].Resource',
      'Grammar Statement[1]',
      'Grammar Statement[1].Condition.StringEqual',
      'Grammar Statement[1].Condition.IpAddress["acs:SourceIp"]',
      'Grammar Statement[2]',
      'Grammar Extra',
    ]);
    const effect = r.errors[1]!;
    assert.equal(effect.statement, 0);
    assert.equal(effect.sid, 'one');
    assert.equal(effect.field, 'Effect');
    assert.deepEqual([effect.line, effect.column], [4, 20]);
    const action = r.errors[2]!;
    assert.deepEqual([action.line, action.column, action.field], [4, 67, "Action"]);
    assert.match(action.message, /"Oss: GetObject" is not of the form service:action/);
    const ip = r.errors[7]!;
    assert.deepEqual([ip.line, ip.statement, ip.field], [5, 1, 'Condition']);
    assert.equal(r.errors[9]!.line, 8);
    assert.deepEqual(r.warnings, [], 'an action that is a grammar error is not warned about again');
  });

  test('the first fault is what the server answers (parsePolicy), so CreatePolicy answers as before', () => {
    const text = doc({ Effect: 'Alow', Action: 'oss:GetObject', Resource: '*' }, { Effect: 'Allow', Action: 'x', Resource: '*' });
    const all = parsePolicyAll(text, 'identity');
    assert.equal(all.ok, false);
    assert.equal(all.errors.length, 2);
    const first = parsePolicy(text, 'identity');
    assert.equal(first.ok, false);
    assert.deepEqual(!first.ok && first.error, all.errors[0]);
  });

  test('an over-long document: the length fault first, then the others; the server still refuses it unread', () => {
    const text = doc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: '*', Sid: 'x'.repeat(7000) }, { Effect: 'Nope', Action: 'oss:GetObject', Resource: '*' });
    assert.deepEqual(codes(lintPolicy(text, 'identity').errors), ['Length ', 'Grammar Statement[1].Effect']);
    const one = parsePolicy(text, 'identity');
    assert.equal(!one.ok && one.error.reason, 'length');
  });

  test('not JSON: one error at the line and column where parsing stopped', () => {
    const r = lintPolicy('{\n  "Version": "1",\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}', 'identity');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.code, 'Json');
    assert.deepEqual([r.errors[0]!.line, r.errors[0]!.column], [4, 24]);
    assert.deepEqual(jsonSyntaxErrorAt('{"a": 1'), { line: 1, column: 8 });
    assert.equal(jsonSyntaxErrorAt('{"a": [1, {"b": null}]}'), null);
  });

  test('locateElements finds members, items and condition keys written either way', () => {
    const text = '{\n "A": [1, {"b c": {"k:x": ["v", "w"]}}]\n}';
    const at = locateElements(text);
    assert.deepEqual(at('A'), { line: 2, column: 2 });
    assert.deepEqual(at("A[1]"), { line: 2, column: 11 });
    assert.deepEqual(at('A[1].b c["k:x"][1]'), { line: 2, column: 33 });
    assert.equal(at('A[2]'), null);
  });
});

describe('policy lint: warnings', () => {
  test('oss:GetObjekt: an unknown action, with the nearest known one', () => {
    const r = lintPolicy(doc(allow(['oss:GetObjekt', 'oss:GetObject'], 'acs:oss:*:*:b/*')), 'identity');
    assert.equal(r.valid, true);
    assert.deepEqual(codes(r.warnings), ['UnknownAction Statement[0].Action[0]']);
    assert.match(r.warnings[0]!.message, /"oss:GetObjekt" matches no oss action \(did you mean "oss:GetObject"\?\)/);
  });

  test('a grammar error elsewhere does not hide a misspelt action: both come in one pass', () => {
    const text = JSON.stringify({ Version: '1', Statement: [
      { Effect: 'Allow', Action: ['oss:GetObjet'], Resource: ['acs:oss:*:*:b/*'], Condition: { IpAdress: { 'acs:SourceIp': '10.0.0.0/8' } } },
      { Effect: 'Deny', NotAction: 'ram:CreateUsr', Resource: '*' },
    ] }, null, 2);
    const r = lintPolicy(text, 'identity');
    assert.equal(r.valid, false);
    assert.deepEqual(codes(r.errors), ['Grammar Statement[0].Condition.IpAdress']);
    assert.deepEqual(codes(r.warnings), ['UnknownAction Statement[0].Action[0]', 'UnknownAction Statement[1].NotAction[0]']);
    assert.match(r.warnings[0]!.message, /did you mean "oss:GetObject"/);
    assert.equal(r.warnings[1]!.line, text.split('\n').findIndex((l) => l.includes('"NotAction"')) + 1);
    // A lone string that is itself the grammar error is not warned about again.
    const lone = lintPolicy(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'Oss: GetObject', Resource: '*', Condition: { IpAdress: {} } }] }), 'identity');
    assert.deepEqual(codes(lone.errors), ['Grammar Statement[0].Action', 'Grammar Statement[0].Condition.IpAdress']);
    assert.deepEqual(lone.warnings, []);
  });

  test('kms: the actions an SSE-KMS key is checked for are known, on KMS key ARNs', () => {
    const ok = lintPolicy(doc(allow(['kms:GenerateDataKey', 'kms:Decrypt'], 'acs:kms:*:*:key/alunite/oss-default')), 'identity');
    assert.deepEqual(ok.warnings, []);
    const r = lintPolicy(doc(allow(['kms:Decrpyt'], 'acs:kms:*:*:key/*')), 'identity');
    assert.deepEqual(codes(r.warnings), ['UnknownAction Statement[0].Action[0]']);
    assert.match(r.warnings[0]!.message, /did you mean "kms:Decrypt"/);
    const wrong = lintPolicy(doc(allow(['kms:Decrypt'], 'acs:oss:*:*:b/*')), 'identity');
    assert.deepEqual(codes(wrong.warnings), ['ResourceTypeMismatch Statement[0].Resource[0]']);
    assert.match(wrong.warnings[0]!.message, /KMS keys \(acs:kms:<region>:<account>:key\/<key id>\)/);
  });

  test('an operation that is authorized as another action says which', () => {
    const r = lintPolicy(doc(allow(['oss:HeadObject', 'oss:CopyObject', 'oss:UploadPart'], 'acs:oss:*:*:b/*')), 'identity');
    assert.deepEqual(r.warnings.map((w) => /authorized as "(oss:\w+)"/.exec(w.message)?.[1]), ['oss:GetObject', 'oss:PutObject', 'oss:PutObject']);
  });

  test('wildcards are fine when they match a known action; case does not matter (actions match case-insensitively)', () => {
    const r = lintPolicy(doc(allow(['oss:Get*', 'oss:*Tagging', 'ram:list*', 'sts:AssumeRole', 'OSS:getobject', 'o?s:PutObject', '*'], '*')), 'identity');
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(codes(lintPolicy(doc(allow(['oss:Frob*', 'ram:*Bucket'], '*')), 'identity').warnings), [
      'UnknownAction Statement[0].Action[0]',
      'UnknownAction Statement[0].Action[1]',
    ]);
  });

  test('unknown services are a warning; their resources are not checked', () => {
    const r = lintPolicy(doc(allow(['ecs:DescribeInstances'], 'acs:ecs:*:*:instance/*')), 'identity');
    assert.deepEqual(codes(r.warnings), ['UnknownService Statement[0].Action[0]']);
  });

  test('NotAction entries are checked for unknown actions too', () => {
    const r = lintPolicy(doc({ Effect: 'Deny', NotAction: ['oss:GetObjekt'], Resource: '*' }), 'identity');
    assert.deepEqual(codes(r.warnings), ['UnknownAction Statement[0].NotAction[0]']);
  });

  test('resources no action of the statement can act on', () => {
    const cases: Array<[unknown, string, boolean]> = [
      ['oss:GetObject', 'acs:oss:*:*:mybucket', false],
      ['oss:GetObject', 'acs:oss:*:*:mybucket/*', true],
      ['oss:GetObject', 'acs:oss:*:*:mybucket*', true],
      ['oss:GetObject', 'acs:oss:*:*:*', true],
      ['oss:GetObject', 'acs:oss:*', true],
      ['oss:ListObjects', 'acs:oss:*:*:mybucket/*', false],
      ['oss:ListObjects', 'acs:oss:*:*:mybucket', true],
      ['oss:ListBuckets', 'acs:oss:*:*:b/k', false],
      ['oss:ListBuckets', 'acs:oss:*:1234567890123456:*', true],
      // An empty region or account (S3's ARN form) matches no OSS request: such a Deny would never apply.
      ['oss:GetObject', 'acs:oss::*:mybucket/*', false],
      ['oss:GetObject', 'acs:oss:*::mybucket/*', false],
      ['oss:ListBuckets', 'acs:oss:::*', false],
      ['oss:GetObject', 'acs:oss:cn-hangzhou:*:mybucket/*', true],
      ['ram:CreateUser', 'acs:oss:*:*:*', false],
      ['ram:CreateUser', 'acs:ram:*:*:user/*', true],
      ['ram:CreateUser', 'acs:ram::123:group/admins', false],
      ['ram:AttachPolicyToUser', 'acs:ram:*:*:policy/ReadOnly', true],
      ['sts:AssumeRole', 'acs:ram:*:123:role/reader', true],
      ['sts:AssumeRole', 'acs:oss:*:*:b', false],
      [['oss:GetObject', 'oss:ListObjects'], 'acs:oss:*:*:mybucket', true],
      ['oss:*', 'acs:ram:*:*:user/x', false],
      ['*', 'acs:ram:*:*:user/x', true],
    ];
    for (const [action, resource, fits] of cases) {
      const r = lintPolicy(doc(allow(action, resource)), 'identity');
      assert.deepEqual(codes(r.warnings), fits ? [] : ['ResourceTypeMismatch Statement[0].Resource[0]'], `${JSON.stringify(action)} on ${resource}`);
    }
    const msg = lintPolicy(doc(allow('oss:GetObject', 'acs:oss:*:*:mybucket')), 'identity').warnings[0]!.message;
    assert.match(msg, /"acs:oss:\*:\*:mybucket" cannot match .*\(oss:GetObject acts on objects \(acs:oss:\*:<account>:<bucket>\/<key>\)/);
  });

  test('segment wildcards stay in their segment, as the engine matches them', () => {
    assert.equal(canMatch('acs:oss:*:*:b', { service: 'oss', kind: 'bucket' }), true);
    assert.equal(canMatch('acs:*:*:*:b', { service: 'oss', kind: 'bucket' }), true);
    assert.equal(canMatch('acs:o*:*:*:b/k', { service: 'ram', kind: 'user' }), false);
    assert.equal(canMatch('acs:ram:cn-hangzhou:*:user/x', { service: 'ram', kind: 'user' }), false, 'RAM request ARNs have no region');
    assert.equal(canMatch('acs:oss:cn-hangzhou:*:b', { service: 'oss', kind: 'bucket' }), true);
  });

  test('condition keys unknown for their service (where the list is known)', () => {
    const r = lintPolicy(doc(allow(['oss:ListObjects', 'oss:GetObject'], 'acs:oss:*:*:b', {
      Condition: {
        StringEquals: { 'oss:Prefx': 'a', 'oss:Prefix': 'a', 'acs:SourceIP': '1.2.3.4', 'oss:ExistingObjectTag/team': 'x', 'ecs:tag': 'x' },
        IpAddress: { 'acs:SourceIpp': '10.0.0.0/8' },
      },
    })), 'identity');
    assert.deepEqual(codes(r.warnings), [
      'UnknownConditionKey Statement[0].Condition.StringEquals["oss:Prefx"]',
      'UnknownConditionKey Statement[0].Condition.IpAddress["acs:SourceIpp"]',
    ]);
    // Line 13 of the pretty-printed document (the two actions take four lines).
    assert.equal(r.warnings[0]!.line, 13);
  });

  test('bucket and trust policies are checked the same way', () => {
    const bucket = lintPolicy(doc({ Effect: 'Allow', Principal: ['*'], Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b' }), 'bucket');
    assert.deepEqual(codes(bucket.warnings), ['ResourceTypeMismatch Statement[0].Resource[0]']);
    const trust = lintPolicy(doc({ Effect: 'Allow', Principal: { RAM: ['acs:ram::123:root'] }, Action: 'sts:AssumeRol' }), 'trust');
    assert.deepEqual(codes(trust.warnings), ['UnknownAction Statement[0].Action[0]']);
  });

  test("a trust policy's RAM principal that is not an ARN (a user's name, a bare account id) warns: it admits no caller", () => {
    const trust = (RAM: unknown): string => doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM } });
    const name = lintPolicy(trust(['ci-bot']), 'trust');
    assert.equal(name.valid, true);
    assert.deepEqual(codes(name.warnings), ['PrincipalFormat Statement[0].Principal.RAM[0]']);
    assert.match(name.warnings[0]!.message, /"ci-bot" is not an ARN: it admits no caller; a RAM user is "acs:ram::<account id>:user\/ci-bot"/);
    assert.ok(name.warnings[0]!.line !== undefined);
    const account = lintPolicy(trust('1000000000000001'), 'trust');
    assert.deepEqual(codes(account.warnings), ['PrincipalFormat Statement[0].Principal.RAM[0]']);
    assert.match(account.warnings[0]!.message, /write "acs:ram::1000000000000001:root"/);
    assert.deepEqual(codes(lintPolicy(trust(['user/ci-bot', 'ci-*']), 'trust').warnings), [
      'PrincipalFormat Statement[0].Principal.RAM[0]',
      'PrincipalFormat Statement[0].Principal.RAM[1]',
    ]);
    // The forms callers are matched as, with or without wildcards.
    const fine = ['acs:ram::1000000000000001:root', 'acs:ram::1000000000000001:user/ci-bot', 'acs:ram::1000000000000001:role/Admin', 'acs:ram::*:root', 'acs:ram::1000000000000001:user/*', '*'];
    assert.deepEqual(codes(lintPolicy(trust(fine), 'trust').warnings), []);
  });

  test('oss:ExistingObjectTag in a statement none of whose actions carries it warns: the statement never applies', () => {
    const tagged = (Effect: string, Action: unknown, Resource = 'acs:oss:*:*:b/*'): string =>
      doc({ Effect, Action, Resource, Condition: { StringEquals: { 'oss:ExistingObjectTag/team': 'red' } } });
    // A Deny on deletes of red objects: DeleteObject carries no object tag (red-team wave 15), so it never applies.
    const deny = lintPolicy(tagged('Deny', ['oss:DeleteObject', 'oss:PutObject']), 'identity');
    assert.equal(deny.valid, true);
    assert.deepEqual(codes(deny.warnings), ['ConditionKeyNotCarried Statement[0].Condition.StringEquals["oss:ExistingObjectTag/team"]']);
    assert.match(deny.warnings[0]!.message, /only object reads .* and the object-tagging actions carry; none of the statement's actions does, so the condition never holds/);
    assert.deepEqual(codes(lintPolicy(tagged('Allow', 'oss:ListObjects', 'acs:oss:*:*:b'), 'identity').warnings), ['ConditionKeyNotCarried Statement[0].Condition.StringEquals["oss:ExistingObjectTag/team"]']);
    // Actions that carry it, alone, in a list or through a wildcard, and a wildcard over unknown services: no warning.
    for (const action of ['oss:GetObject', ['oss:DeleteObject', 'oss:GetObjectTagging'], 'oss:Get*', 'oss:*', '*', '*:Delete*']) {
      assert.deepEqual(codes(lintPolicy(tagged('Deny', action), 'identity').warnings), [], JSON.stringify(action));
    }
  });

  test('oss:object-remaining-retention-days warns: no request carries it here, so a Deny on it never applies', () => {
    const retention = (op: string): string => doc({ Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:b/*', Condition: { [op]: { 'oss:object-remaining-retention-days': '30' } } });
    const lt = lintPolicy(retention('NumericLessThan'), 'identity');
    assert.equal(lt.valid, true);
    assert.deepEqual(codes(lt.warnings), ['ConditionKeyNotCarried Statement[0].Condition.NumericLessThan["oss:object-remaining-retention-days"]']);
    assert.match(lt.warnings[0]!.message, /no request carries .* the condition never holds and the statement never applies/);
    assert.match(lintPolicy(retention('NumericNotEquals'), 'identity').warnings[0]!.message, /the key is absent, so the condition always holds/);
  });

  test('a bucket policy Allow without Principal warns that it allows everyone (anonymous too); a Deny or an identity policy does not', () => {
    const open = lintPolicy(doc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b/*' }), 'bucket');
    assert.equal(open.valid, true);
    assert.deepEqual(codes(open.warnings), ['NoPrincipal Statement[0]']);
    assert.match(open.warnings[0]!.message, /anonymous/);
    assert.deepEqual(codes(lintPolicy(doc({ Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b/*' }), 'bucket').warnings), []);
    assert.deepEqual(codes(lintPolicy(doc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:b/*' }), 'identity').warnings), []);
  });
});

describe('policy lint: tables', () => {
  test('the generated RAM/STS table is what the generator makes of its fixture', async () => {
    const gen = (await import(pathToFileURL(join(root, 'scripts/gen-policy-actions.mjs')).href)) as { tableSource(r: unknown): string; FIXTURE: string; TABLE: string };
    const fixture: unknown = JSON.parse(await readFile(gen.FIXTURE, 'utf8'));
    assert.equal(await readFile(gen.TABLE, 'utf8'), gen.tableSource(fixture));
  });

  test('every action the server authorizes is known, and its request ARNs fit its resource types', () => {
    const known = knownActions();
    // OSS: every action the routing table checks (implemented operations) and every operation's own name.
    const routed = ['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject', 'oss:ListObjects', 'oss:ListBuckets', 'oss:PutObjectTagging', 'oss:GetObjectTagging', 'oss:PutObjectAcl', 'oss:AbortMultipartUpload', 'oss:ListParts', 'oss:ListMultipartUploads'];
    for (const a of routed) assert.ok(known.oss.has(a.slice(4)), a);
    for (const op of CATALOG) {
      const as = ossActionOfOperation(op.name);
      if (as?.action === null) continue; // the CORS preflight: no authorization
      assert.ok(known.oss.has(as?.action ?? op.name), op.name);
    }
    // 162 operations, less the 17 authorized as another action (or none), plus the three …BucketTagging actions
    // and the 51 that are no published operation's name (versioned variants, PostProcessTask, GetService,
    // GetProcessConfiguration, DeleteBucketTransferAcceleration, the eight QoS actions of docs/qos.md, the two
    // async fetch actions of docs/async-fetch.md, the two storage capacity actions of docs/storage-capacity.md,
    // the three bucket callback policy actions, the three overwrite configuration, three storage quota and five metadata table actions,
    // the six object-level retention actions and oss:BypassGovernanceRetention, the five batch job actions of
    // docs/batch-operations.md, the two agentic bucket actions without a general bucket's counterpart of
    // docs/agentic-buckets.md).
    assert.equal(known.oss.size, 162 - 17 + 3 + 52 + 7 + 1); // + the seven resource pool actions of docs/qos.md, + ListUserRegions
    assert.ok(known.oss.has('GetProcessConfiguration'));
    assert.ok(known.oss.has('DeleteBucketTransferAcceleration'));
    for (const a of ['GetUserQoSInfo', 'PutBucketQoSInfo', 'GetBucketQoSInfo', 'DeleteBucketQoSInfo', 'PutBucketRequesterQoSInfo', 'GetBucketRequesterQoSInfo', 'ListBucketRequesterQoSInfo', 'DeleteBucketRequesterQoSInfo', 'PutAsyncFetchTask', 'GetAsyncFetchTask', 'PutBucketStorageCapacity', 'GetBucketStorageCapacity', 'PutBucketCallbackPolicy', 'GetBucketCallbackPolicy', 'DeleteBucketCallbackPolicy', 'PutBucketOverwriteConfig', 'GetBucketOverwriteConfig', 'DeleteBucketOverwriteConfig', 'PutBucketStorageQuota', 'GetBucketStorageQuota', 'DeleteBucketStorageQuota', 'CreateBucketMetadataConfiguration', 'UpdateBucketMetadataJournalTableConfiguration', 'PutBucketObjectWormConfiguration', 'PutObjectRetention', 'GetObjectLegalHold', 'BypassGovernanceRetention', 'CreateJob', 'DescribeJob', 'ListJobs', 'UpdateJobPriority', 'UpdateJobStatus', 'PutAgenticBucketStatus', 'ListBucketSpaces', 'ListResourcePools', 'DeleteResourcePoolRequesterQoSInfo']) {
      assert.ok(known.oss.has(a), a);
    }
    assert.equal(known.oss.has('HeadObject'), false);
    const sample: Record<string, string> = { userName: 'alice', groupName: 'devs', roleName: 'Reader', policyName: 'P1', principalName: 'alice', requestId: 'REQ', newUserName: 'bob', newGroupName: 'ops' };
    for (const name of RAM_ACTION_NAMES) {
      const types = known.ram.get(name);
      assert.ok(types, `ram:${name}`);
      // Tag actions name their resources as a list of one type (roles here).
      const input = { ...sample, policyType: 'Custom', resourceType: 'role', resourceNames: ['Reader'] } as unknown as RamActionInput<RamActionName>;
      for (const arn of ramActionResources('1234567890123456', name, input)) {
        assert.ok(types.some((t) => canMatch(arn, t)), `ram:${name} on ${arn}`);
      }
    }
    for (const name of Object.keys(STS_ACTION_RESOURCES)) assert.ok(known.sts.has(name), `sts:${name}`);
    assert.ok(known.sts.get('AssumeRole')!.some((t) => canMatch('acs:ram::1234567890123456:role/reader', t)));
  });
});
