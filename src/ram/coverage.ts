import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RAM_ACTION_NAMES } from './actions.js';

/**
 * The RAM coverage section of docs/ram.md: every operation the published metadata lists for RAM
 * 2015-05-01 (test/ram-coverage.test.ts checks this list against test/fixtures/ram-sts-api-operations.json)
 * against the RAM action table (ram/actions.ts). Rewrite it with
 * `node dist/src/ram/coverage.js --write docs/ram.md` after a build; the test keeps the document equal to it.
 */
export const RAM_PUBLISHED_OPERATIONS = [
  'CreateUser', 'GetUser', 'UpdateUser', 'DeleteUser', 'ListUsers', 'CreateLoginProfile', 'GetLoginProfile',
  'UpdateLoginProfile', 'DeleteLoginProfile', 'ChangePassword', 'CreateAccessKey', 'UpdateAccessKey',
  'DeleteAccessKey', 'ListAccessKeys', 'GetAccessKeyLastUsed', 'CreateVirtualMFADevice', 'GetUserMFAInfo',
  'DeleteVirtualMFADevice', 'ListVirtualMFADevices', 'BindMFADevice', 'UnbindMFADevice', 'CreateGroup', 'GetGroup',
  'UpdateGroup', 'DeleteGroup', 'ListGroups', 'ListGroupsForUser', 'ListUsersForGroup', 'AddUserToGroup',
  'RemoveUserFromGroup', 'CreateRole', 'DeleteRole', 'UpdateRole', 'GetRole', 'ListRoles', 'CreatePolicy', 'GetPolicy',
  'UpdatePolicyDescription', 'DeletePolicy', 'ListPolicies', 'CreatePolicyVersion', 'GetPolicyVersion',
  'DeletePolicyVersion', 'ListPolicyVersions', 'SetDefaultPolicyVersion', 'AttachPolicyToUser', 'DetachPolicyFromUser',
  'AttachPolicyToGroup', 'DetachPolicyFromGroup', 'AttachPolicyToRole', 'DetachPolicyFromRole', 'ListPoliciesForUser',
  'ListPoliciesForGroup', 'ListPoliciesForRole', 'ListEntitiesForPolicy', 'SetAccountAlias', 'GetAccountAlias',
  'ClearAccountAlias', 'SetPasswordPolicy', 'GetPasswordPolicy', 'SetSecurityPreference', 'GetSecurityPreference',
  'DecodeDiagnosticMessage', 'TagResources', 'UntagResources', 'ListTagResources',
] as const;

export const BEGIN = '<!-- BEGIN generated: node dist/src/ram/coverage.js --write docs/ram.md -->';
export const END = '<!-- END generated -->';

export function ramCoverageSection(): string {
  const here = new Set<string>(RAM_ACTION_NAMES);
  const published = new Set<string>(RAM_PUBLISHED_OPERATIONS);
  const implemented = RAM_PUBLISHED_OPERATIONS.filter((op) => here.has(op)).length;
  const extensions = RAM_ACTION_NAMES.filter((a) => !published.has(a));
  return [
    BEGIN,
    `RAM ${implemented}/${RAM_PUBLISHED_OPERATIONS.length}: of the ${RAM_PUBLISHED_OPERATIONS.length} operations the metadata publishes, ${implemented} are implemented;`,
    'the others answer `InvalidAction.NotFound`.',
    '',
    '| Operation | Alunite |',
    '|---|---|',
    ...RAM_PUBLISHED_OPERATIONS.map((op) => `| ${op} | ${here.has(op) ? 'implemented' : 'not implemented (`InvalidAction.NotFound`)'} |`),
    '',
    `Alunite extensions (not in the metadata): ${extensions.map((e) => `\`${e}\``).join(', ')}.`,
    END,
  ].join('\n');
}

/** The document with its generated section replaced (the markers must already be there). */
export function withRamCoverage(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END, start);
  if (start < 0 || end < start) throw new Error('the generated-section markers are missing');
  return doc.slice(0, start) + ramCoverageSection() + doc.slice(end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write' && process.argv[3]) {
  const file = process.argv[3];
  writeFileSync(file, withRamCoverage(readFileSync(file, 'utf8')));
}
