import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicy, type ParseResult } from '../src/policy/parse.js';
import { SYSTEM_POLICIES } from '../src/ram/system-policies.js';
import type { PolicyKind } from '../src/policy/types.js';

const doc = (statement: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ Version: '1', Statement: [statement], ...extra });
const st = (over: Record<string, unknown>): Record<string, unknown> => ({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', ...over });

function rejects(text: string, kind: PolicyKind, message: string, path: string, reason: 'length' | 'json' | 'grammar' = 'grammar'): void {
  const r: ParseResult = parsePolicy(text, kind);
  assert.equal(r.ok, false, `expected rejection of ${text}`);
  if (r.ok) return;
  assert.equal(r.error.message, message);
  assert.equal(r.error.path, path);
  assert.equal(r.error.reason, reason);
}

function accepts(text: string, kind: PolicyKind): ParseResult & { ok: true } {
  const r = parsePolicy(text, kind);
  if (!r.ok) assert.fail(`expected acceptance, got: ${r.error.message}`);
  return r;
}

describe('policy validation rejects (spec ram-sts §1.1/§1.2)', () => {
  const cases: Array<{ name: string; text: string; kind?: PolicyKind; message: string; path: string; reason?: 'length' | 'json' | 'grammar' }> = [
    { name: '§1.2 not JSON', text: '{"Version": "1",', message: 'The policy document is not valid JSON: ', path: '', reason: 'json' },
    { name: '§1.2 top level is an array', text: '[]', message: 'The policy document must be a JSON object, got an array', path: '' },
    { name: '§1.1 Version missing', text: JSON.stringify({ Statement: [st({})] }), message: 'Version is required and must be "1"', path: 'Version' },
    { name: '§1.1 Version "2012-10-17"', text: doc(st({}), { Version: '2012-10-17' }), message: 'Version must be "1", got "2012-10-17"', path: 'Version' },
    { name: '§1.1 Version as a number', text: doc(st({}), { Version: 1 }), message: 'Version must be "1", got 1', path: 'Version' },
    { name: '§1.1 unknown top-level key', text: doc(st({}), { Id: 'x' }), message: 'Id is not a valid element (expected one of Version, Statement)', path: 'Id' },
    { name: '§1.1 case-sensitive top-level key', text: JSON.stringify({ version: '1', Statement: [st({})] }), message: 'version is not a valid element; element names are case-sensitive (did you mean "Version"?)', path: 'version' },
    { name: '§1.1 Statement missing', text: '{"Version":"1"}', message: 'Statement is required', path: 'Statement' },
    { name: '§1.1 Statement as an object', text: JSON.stringify({ Version: '1', Statement: st({}) }), message: 'Statement must be an array of statements, got an object', path: 'Statement' },
    { name: '§1.1 Statement empty', text: '{"Version":"1","Statement":[]}', message: 'Statement must contain at least one statement', path: 'Statement' },
    { name: '§1.1 statement not an object', text: '{"Version":"1","Statement":["x"]}', message: 'Statement[0] must be an object, got "x"', path: 'Statement[0]' },
    { name: '§1.2 Effect "allow " (trailing space)', text: doc(st({ Effect: 'allow ' })), message: 'Statement[0].Effect must be "Allow" or "Deny", got "allow "', path: 'Statement[0].Effect' },
    { name: '§1.2 Effect "Alow"', text: doc(st({ Effect: 'Alow' })), message: 'Statement[0].Effect must be "Allow" or "Deny", got "Alow"', path: 'Statement[0].Effect' },
    { name: '§1.2 Effect "ALLOW"', text: doc(st({ Effect: 'ALLOW' })), message: 'Statement[0].Effect must be "Allow" or "Deny", got "ALLOW"', path: 'Statement[0].Effect' },
    { name: '§1.2 Effect missing', text: doc({ Action: 'oss:*', Resource: '*' }), message: 'Statement[0].Effect is required ("Allow" or "Deny")', path: 'Statement[0].Effect' },
    { name: '§1.1 case-sensitive element "effect"', text: doc({ effect: 'Allow', Action: 'oss:*', Resource: '*' }), message: 'Statement[0].effect is not a valid element; element names are case-sensitive (did you mean "Effect"?)', path: 'Statement[0].effect' },
    { name: '§1.2 no Action nor NotAction', text: doc({ Effect: 'Allow', Resource: '*' }), message: 'Statement[0]: Add an Action or NotAction element to the policy statement.', path: 'Statement[0]' },
    { name: '§1.2 both Action and NotAction', text: doc(st({ NotAction: 'oss:PutObject' })), message: 'Statement[0] has both Action and NotAction; use only one', path: 'Statement[0]' },
    { name: '§1.2 Action "Oss: GetObject"', text: doc(st({ Action: ['oss:PutObject', 'Oss: GetObject'] })), message: 'Statement[0].Action[1] "Oss: GetObject" is not of the form service:action', path: 'Statement[0].Action[1]' },
    { name: '§1.2 Action without colon', text: doc(st({ Action: 'GetObject' })), message: 'Statement[0].Action "GetObject" is not of the form service:action', path: 'Statement[0].Action' },
    { name: '§1.2 Action empty array', text: doc(st({ Action: [] })), message: 'Statement[0].Action must not be an empty array', path: 'Statement[0].Action' },
    { name: '§1.1 Action element a number', text: doc(st({ Action: ['oss:GetObject', 3] })), message: 'Statement[0].Action[1] must be a string, got 3', path: 'Statement[0].Action[1]' },
    { name: '§1.1 Action an object', text: doc(st({ Action: { a: 1 } })), message: 'Statement[0].Action must be a string or an array of strings, got an object', path: 'Statement[0].Action' },
    { name: '§1.1 identity needs Resource', text: doc({ Effect: 'Allow', Action: 'oss:*' }), message: 'Statement[0]: Add a Resource element to the policy statement (required in a RAM policy).', path: 'Statement[0]' },
    { name: '§1.1 session needs Resource', kind: 'session', text: doc({ Effect: 'Allow', Action: 'oss:*' }), message: 'Statement[0]: Add a Resource element to the policy statement (required in a session policy).', path: 'Statement[0]' },
    { name: '§1.2 both Resource and NotResource', text: doc(st({ NotResource: 'acs:oss:*:*:b' })), message: 'Statement[0] has both Resource and NotResource; use only one', path: 'Statement[0]' },
    { name: '§1.4 Resource not an ARN', text: doc(st({ Resource: ['*', 'mybucket/*'] })), message: 'Statement[0].Resource[1] "mybucket/*" is not "*" or an ARN of the form acs:<service>:<region>:<account>:<resource>', path: 'Statement[0].Resource[1]' },
    { name: '§1.1 identity policy with Principal', text: doc(st({ Principal: ['*'] })), message: 'Statement[0].Principal is not allowed in a RAM policy', path: 'Statement[0].Principal' },
    { name: '§1.1 session policy with Principal', kind: 'session', text: doc(st({ Principal: ['*'] })), message: 'Statement[0].Principal is not allowed in a session policy', path: 'Statement[0].Principal' },
    { name: '§2.4 bucket Principal object form', kind: 'bucket', text: doc(st({ Principal: { RAM: ['*'] } })), message: 'Statement[0].Principal must be a string or an array of strings, got an object', path: 'Statement[0].Principal' },
    { name: '§2.4 bucket Principal empty string', kind: 'bucket', text: doc(st({ Principal: ['123', ''] })), message: 'Statement[0].Principal[1] must not be an empty string', path: 'Statement[0].Principal[1]' },
    { name: '§1.1 trust policy with Resource', kind: 'trust', text: doc(st({ Principal: { RAM: ['acs:ram::1:root'] } })), message: 'Statement[0].Resource is not allowed in a trust policy', path: 'Statement[0].Resource' },
    { name: '§2.7 trust Principal list form', kind: 'trust', text: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: ['*'] }), message: 'Statement[0].Principal must be an object such as {"RAM": ["acs:ram::<uid>:root"]}, got an array', path: 'Statement[0].Principal' },
    { name: '§2.7 trust Principal unknown type', kind: 'trust', text: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Ram: ['x'] } }), message: 'Statement[0].Principal.Ram is not a valid element; element names are case-sensitive (did you mean "RAM"?)', path: 'Statement[0].Principal.Ram' },
    { name: '§2.7 trust Principal empty object', kind: 'trust', text: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: {} }), message: 'Statement[0].Principal must name at least one of RAM, Service, Federated', path: 'Statement[0].Principal' },
    { name: '§2.7 trust Principal missing', kind: 'trust', text: doc({ Effect: 'Allow', Action: 'sts:AssumeRole' }), message: 'Statement[0].Principal is required in a trust policy', path: 'Statement[0].Principal' },
    { name: '§1.6 unknown operator StringEqual', text: doc(st({ Condition: { StringEqual: { 'oss:Prefix': 'a' } } })), message: 'Statement[0].Condition.StringEqual is not a supported condition operator', path: 'Statement[0].Condition.StringEqual' },
    { name: '§1.6 operator case-sensitive', text: doc(st({ Condition: { stringequals: { 'oss:Prefix': 'a' } } })), message: 'Statement[0].Condition.stringequals is not a supported condition operator; operator names are case-sensitive (did you mean "StringEquals"?)', path: 'Statement[0].Condition.stringequals' },
    { name: '§1.6 IfExists not supported', text: doc(st({ Condition: { StringEqualsIfExists: { 'oss:Prefix': 'a' } } })), message: 'Statement[0].Condition.StringEqualsIfExists is not a supported condition operator', path: 'Statement[0].Condition.StringEqualsIfExists' },
    { name: '§1.6 Null not supported', text: doc(st({ Condition: { Null: { 'acs:SourceVpc': 'true' } } })), message: 'Statement[0].Condition.Null is not a supported condition operator', path: 'Statement[0].Condition.Null' },
    { name: '§1.6 Condition not an object', text: doc(st({ Condition: [] })), message: 'Statement[0].Condition must be an object of condition operators, got an array', path: 'Statement[0].Condition' },
    { name: '§1.6 operator block not an object', text: doc(st({ Condition: { StringEquals: 'x' } })), message: 'Statement[0].Condition.StringEquals must be an object of condition keys, got "x"', path: 'Statement[0].Condition.StringEquals' },
    { name: '§1.6 operator block empty', text: doc(st({ Condition: { StringEquals: {} } })), message: 'Statement[0].Condition.StringEquals must name at least one condition key', path: 'Statement[0].Condition.StringEquals' },
    { name: '§1.7 condition key without prefix', text: doc(st({ Condition: { StringEquals: { Prefix: 'a' } } })), message: 'Statement[0].Condition.StringEquals["Prefix"] is not a condition key of the form <prefix>:<name>', path: 'Statement[0].Condition.StringEquals["Prefix"]' },
    { name: '§1.1 numeric value not a string', text: doc(st({ Condition: { NumericLessThan: { 'oss:max-keys': 10 } } })), message: 'Statement[0].Condition.NumericLessThan["oss:max-keys"] must be a string or an array of strings, got 10', path: 'Statement[0].Condition.NumericLessThan["oss:max-keys"]' },
    { name: '§1.6 numeric value not a number', text: doc(st({ Condition: { NumericEquals: { 'oss:max-keys': ['1', 'ten'] } } })), message: 'Statement[0].Condition.NumericEquals["oss:max-keys"][1] "ten" is not a decimal number', path: 'Statement[0].Condition.NumericEquals["oss:max-keys"][1]' },
    { name: '§1.6 date without zone', text: doc(st({ Condition: { DateLessThan: { 'acs:CurrentTime': '2019-08-12T17:00:00' } } })), message: 'Statement[0].Condition.DateLessThan["acs:CurrentTime"] "2019-08-12T17:00:00" is not an ISO 8601 time with a zone, e.g. 2019-08-12T17:00:00+08:00', path: 'Statement[0].Condition.DateLessThan["acs:CurrentTime"]' },
    { name: '§1.6 bool value', text: doc(st({ Condition: { Bool: { 'acs:SecureTransport': 'yes' } } })), message: 'Statement[0].Condition.Bool["acs:SecureTransport"] "yes" is not "true" or "false"', path: 'Statement[0].Condition.Bool["acs:SecureTransport"]' },
    { name: '§1.6 IP out of range', text: doc(st({ Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '10.0.0.300'] } } })), message: 'Statement[0].Condition.IpAddress["acs:SourceIp"][1] "10.0.0.300" is not an IP address, CIDR block or IPv4 pattern with * octets', path: 'Statement[0].Condition.IpAddress["acs:SourceIp"][1]' },
    { name: '§1.6 IPv4 prefix too long', text: doc(st({ Condition: { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/33' } } })), message: 'Statement[0].Condition.NotIpAddress["acs:SourceIp"] "10.0.0.0/33" is not an IP address, CIDR block or IPv4 pattern with * octets', path: 'Statement[0].Condition.NotIpAddress["acs:SourceIp"]' },
    { name: '§1.6 empty condition value list', text: doc(st({ Condition: { StringLike: { 'oss:Prefix': [] } } })), message: 'Statement[0].Condition.StringLike["oss:Prefix"] must not be an empty array', path: 'Statement[0].Condition.StringLike["oss:Prefix"]' },
    { name: '§1.1 Sid not a string', text: doc(st({ Sid: 1 })), message: 'Statement[0].Sid must be a string, got 1', path: 'Statement[0].Sid' },
    { name: '§1.2 fault in second statement', text: JSON.stringify({ Version: '1', Statement: [st({}), st({ Effect: 'Permit' })] }), message: 'Statement[1].Effect must be "Allow" or "Deny", got "Permit"', path: 'Statement[1].Effect' },
    { name: '§1.8 empty document', text: '', message: 'The policy document is empty.', path: '', reason: 'length' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.reason === 'json') {
        const r = parsePolicy(c.text, c.kind ?? 'identity');
        assert.ok(!r.ok && r.error.reason === 'json' && r.error.message.startsWith(c.message) && r.error.path === '', JSON.stringify(r));
        return;
      }
      rejects(c.text, c.kind ?? 'identity', c.message, c.path, c.reason);
    });
  }

  it('§1.8 length limits: 6144 for RAM policies, 2048 for session policies, configurable', () => {
    const pad = (n: number): string => {
      const base = doc(st({ Sid: '' }));
      return doc(st({ Sid: 'x'.repeat(n - base.length) }));
    };
    assert.equal(pad(6144).length, 6144);
    accepts(pad(6144), 'identity');
    rejects(pad(6145), 'identity', 'The policy document is 6145 characters long; the limit is 6144.', '', 'length');
    accepts(pad(2048), 'session');
    rejects(pad(2049), 'session', 'The policy document is 2049 characters long; the limit is 2048.', '', 'length');
    const r = parsePolicy(pad(1024), 'session', { maxLength: 1023 });
    assert.ok(!r.ok && r.error.reason === 'length');
    assert.ok(parsePolicy(pad(7000), 'identity', { maxLength: Infinity }).ok);
  });

  it('§1.1 NotResource can be switched off', () => {
    const text = doc({ Effect: 'Deny', Action: 'oss:*', NotResource: 'acs:oss:*:*:b/*' });
    accepts(text, 'identity');
    const r = parsePolicy(text, 'identity', { allowNotResource: false });
    assert.ok(!r.ok && r.error.message === 'Statement[0].NotResource is not supported');
  });
});

describe('policy validation accepts (spec ram-sts §1.1)', () => {
  it('string or array values, Sid, NotAction/NotResource, every operator family', () => {
    const text = JSON.stringify({
      Version: '1',
      Statement: [
        { Sid: 'ReadPhotos', Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:photos/*' },
        { Effect: 'Deny', NotAction: ['oss:Get*', 'oss:List*'], NotResource: ['acs:oss:*:*:photos', 'acs:oss:*:*:photos/*'] },
        {
          Effect: 'Allow',
          Action: ['oss:ListObjects', '*:Get?bject'],
          Resource: ['acs:oss:*:1234567890123456:photos', 'acs:oss:*'],
          Condition: {
            StringLike: { 'oss:Prefix': ['a/*', ''] },
            StringEqualsIgnoreCase: { 'acs:UserAgent': 'X' },
            NumericLessThanEquals: { 'oss:max-keys': '100' },
            DateGreaterThan: { 'acs:CurrentTime': ['2019-08-12T17:00:00+08:00', '2019-08-12T09:00:00.5Z'] },
            Bool: { 'acs:SecureTransport': 'TRUE' },
            IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '101.*.*.100', '2001:db8::/32', '::1'] },
            NotIpAddress: { 'acs:SourceIp': '192.168.0.1' },
            IpAddressIncludeBorder: { 'acs:SourceIp': '172.16.0.0/12' },
            StringEquals: { 'oss:BucketTag/team': 'a b' },
          },
        },
        { Effect: 'Allow', Action: '*', Resource: '*', Condition: {} },
      ],
    });
    const r = accepts(text, 'identity');
    assert.equal(r.policy.statements.length, 4);
    const [a, b, c] = r.policy.statements;
    assert.deepEqual(a?.action, ['oss:GetObject']);
    assert.equal(a?.sid, 'ReadPhotos');
    assert.deepEqual(b?.notAction, ['oss:Get*', 'oss:List*']);
    assert.equal(b?.action, undefined);
    assert.deepEqual(b?.notResource, ['acs:oss:*:*:photos', 'acs:oss:*:*:photos/*']);
    assert.equal(c?.condition.length, 9);
    assert.deepEqual(c?.condition[0], { operator: 'StringLike', key: 'oss:Prefix', values: ['a/*', ''] });
  });

  it('§2.4 bucket policy principals: list, single string, empty list', () => {
    for (const principal of [['*'], '*', [], ['1234567890123456', 'arn:sts::1234567890123456:assumed-role/reader/*']]) {
      const r = accepts(doc(st({ Principal: principal, Resource: ['acs:oss:*:1234567890123456:photos/*'] })), 'bucket');
      assert.equal(r.policy.statements[0]?.principal?.type, 'bucket');
    }
  });

  it('§2.4 a bucket-policy statement without Principal is accepted and means everyone, as [] does (oss2 puts one)', () => {
    const r = accepts(doc(st({ Resource: ['acs:oss:*:1234567890123456:photos/*'] })), 'bucket');
    assert.deepEqual(r.policy.statements[0]?.principal, { type: 'bucket', values: [] });
  });

  it('§2.7 trust policy principals: RAM, Service, Federated; no Resource', () => {
    const r = accepts(
      JSON.stringify({
        Version: '1',
        Statement: [
          { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::1234567890123456:root'] } },
          { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ecs.aliyuncs.com' } },
          { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Federated: ['acs:ram::1234567890123456:saml-provider/idp'] }, Condition: { StringEquals: { 'saml:recipient': 'https://signin.aliyun.com/saml-role/sso' } } },
        ],
      }),
      'trust',
    );
    assert.deepEqual(r.policy.statements[1]?.principal, { type: 'trust', ram: [], service: ['ecs.aliyuncs.com'], federated: [] });
  });

  it('§4.5 every system policy is a valid RAM policy', () => {
    assert.deepEqual(
      SYSTEM_POLICIES.map((p) => p.policyName).sort(),
      ['AdministratorAccess', 'AliyunOSSFullAccess', 'AliyunOSSReadOnlyAccess', 'AliyunRAMFullAccess', 'AliyunRAMReadOnlyAccess', 'AliyunSTSAssumeRoleAccess'],
    );
    for (const p of SYSTEM_POLICIES) {
      accepts(p.document, 'identity');
      assert.ok(p.description.length > 0 && p.description.length <= 1024);
    }
  });
});
