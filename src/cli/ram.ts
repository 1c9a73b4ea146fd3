import { Command, Option } from 'commander';
import type { PopParams } from '../client/pop.js';
import { parsePositiveInt, printableLines, printJson, printRecord, printTable, remote, run, UsageError } from './output.js';
import { warnPolicyLint } from './policy-file.js';
import { listAllPages, popContext, RAM_VERSION, readDocument, readStdin, type PopContext } from './pop.js';
import type { ConnectionFlags } from './profile.js';

// `alunite ram user|accesskey|group|role|policy …` over the RAM API (POP RPC, Version 2015-05-01).
// --json prints: the entity for create/get (User, Group, Role, AccessKey, Policy, PolicyVersion), an
// array for list commands, and {"requestId"} for deletes, attachments and membership changes.

type Row = Record<string, unknown>;
interface Common extends ConnectionFlags {
  json?: boolean;
}

function leaf(parent: Command, name: string, description: string): Command {
  return remote(parent.command(name).description(description));
}

/** Defines the action of a leaf: its options, a RAM client, then the positional arguments. */
function act<A extends string[]>(cmd: Command, fn: (o: Common & Row, ram: PopContext, ...args: A) => Promise<void>): void {
  cmd.action(
    run(async (...args: unknown[]) => {
      const o = cmd.opts<Common & Row>();
      const ram = await popContext(o, RAM_VERSION);
      await fn(o, ram, ...(args.slice(0, cmd.registeredArguments.length) as A));
    }),
  );
}

function show(o: Common, record: Row | undefined, document?: string): void {
  if (o.json) return printJson(record ?? {});
  const { PolicyDocument: _p, AssumeRolePolicyDocument: _a, ...rest } = record ?? {};
  printRecord(rest);
  if (document !== undefined) process.stdout.write(`${printableLines(pretty(document))}\n`);
}

function pretty(doc: string): string {
  try {
    return JSON.stringify(JSON.parse(doc), null, 2);
  } catch {
    return doc;
  }
}

function showList(o: Common, rows: Row[], columns: [header: string, key: string][]): void {
  if (o.json) return printJson(rows);
  printTable(rows.map((r) => columns.map(([, k]) => (r[k] === undefined || r[k] === null ? '' : String(r[k])))), columns.map(([h]) => h));
}

function done(o: Common, body: Row, message: string): void {
  if (o.json) printJson({ requestId: body.RequestId });
  else process.stdout.write(`${message}\n`);
}

const arr = <T = Row>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : v === undefined || v === null ? [] : [v as T]);
const inner = (body: Row, outer: string, item: string): Row[] => arr((body[outer] as Row | undefined)?.[item]);
const opt = (name: string, v: unknown): PopParams => (v === undefined ? {} : { [name]: String(v) });

const policyType = (): Option => new Option('--type <type>', 'policy type (default: the one that exists, custom or system)').choices(['Custom', 'System']);

/**
 * The policy's type when --type is not given. RAM keeps custom and system policies in two namespaces
 * (a custom policy cannot take a system policy's name on Alunite or on the cloud, but the API does not
 * promise it), so both are looked up at once: the one that exists is used, both is an error asking for
 * --type, neither leaves it to the service to answer (EntityNotExist.Policy for the custom name).
 * Needs ram:GetPolicy as well as the action itself.
 */
async function resolvePolicyType(c: PopContext, name: string, given: unknown): Promise<'Custom' | 'System'> {
  if (given === 'Custom' || given === 'System') return given;
  const exists = (type: string): Promise<boolean> =>
    c.call('GetPolicy', { PolicyName: name, PolicyType: type }).then(
      () => true,
      (e: { code?: unknown }) => {
        if (e.code === 'EntityNotExist.Policy') return false;
        throw e;
      },
    );
  const [custom, system] = await Promise.all([exists('Custom'), exists('System')]);
  if (custom && system) throw new UsageError(`both a custom and a system policy are named ${name}: give --type Custom or --type System`);
  if (!custom && !system) await suggestPolicyName(c, name);
  return system ? 'System' : 'Custom';
}

/**
 * Policy names are case-sensitive (AliyunOSSReadOnlyAccess, not AliyunOssReadOnlyAccess): when no policy has
 * the name but one has it in other case, a usage error names it. Nothing is said (the service answers
 * EntityNotExist.Policy) when there is none, or when the caller may not list policies.
 */
async function suggestPolicyName(c: PopContext, name: string): Promise<void> {
  const all = await listAllPages(c, 'ListPolicies', {}, (b) => inner(b, 'Policies', 'Policy')).catch(() => [] as Row[]);
  const near = all.find((p) => typeof p.PolicyName === 'string' && p.PolicyName.toLowerCase() === name.toLowerCase());
  if (near !== undefined) {
    throw new UsageError(`no policy is named ${name} (names are case-sensitive): did you mean ${String(near.PolicyName)} (${String(near.PolicyType)})?`);
  }
}

function userCommands(ram: Command): void {
  const user = ram.command('user').description('RAM users');
  const create = leaf(user, 'create', 'create a user')
    .argument('<name>', 'user name')
    .option('--display-name <name>')
    .option('--email <email>')
    .option('--mobile-phone <phone>', 'e.g. 86-18600008888')
    .option('--comments <text>');
  act(create, async (o, c, name: string) => {
    const b = await c.call('CreateUser', { UserName: name, ...opt('DisplayName', o.displayName), ...opt('Email', o.email), ...opt('MobilePhone', o.mobilePhone), ...opt('Comments', o.comments) });
    show(o, b.User as Row);
  });
  const list = leaf(user, 'list', 'list users');
  act(list, async (o, c) => showList(o, await listAllPages(c, 'ListUsers', {}, (b) => inner(b, 'Users', 'User')), [['NAME', 'UserName'], ['ID', 'UserId'], ['DISPLAY NAME', 'DisplayName'], ['CREATED', 'CreateDate']]));
  const get = leaf(user, 'get', 'show a user').argument('<name>', 'user name');
  act(get, async (o, c, name: string) => show(o, (await c.call('GetUser', { UserName: name })).User as Row));
  const update = leaf(user, 'update', 'change a user')
    .argument('<name>', 'user name')
    .option('--new-name <name>')
    .option('--display-name <name>')
    .option('--email <email>')
    .option('--mobile-phone <phone>')
    .option('--comments <text>');
  act(update, async (o, c, name: string) => {
    const b = await c.call('UpdateUser', {
      UserName: name, ...opt('NewUserName', o.newName), ...opt('NewDisplayName', o.displayName), ...opt('NewEmail', o.email),
      ...opt('NewMobilePhone', o.mobilePhone), ...opt('NewComments', o.comments),
    });
    show(o, b.User as Row);
  });
  const del = leaf(user, 'delete', 'delete a user (detach its policies, leave its groups and delete its AccessKeys first)').argument('<name>', 'user name');
  act(del, async (o, c, name: string) => done(o, await c.call('DeleteUser', { UserName: name }), `deleted user ${name}`));
  const groups = leaf(user, 'groups', "list a user's groups").argument('<name>', 'user name');
  act(groups, async (o, c, name: string) => showList(o, inner(await c.call('ListGroupsForUser', { UserName: name }), 'Groups', 'Group'), [['GROUP', 'GroupName'], ['JOINED', 'JoinDate'], ['COMMENTS', 'Comments']]));
  loginProfileCommands(user);
}

/**
 * The console password of a user (the login profile): without it a RAM user can sign in to the console only
 * with an AccessKey pair. The password comes from stdin (never a flag: it would sit in the shell history).
 */
function loginProfileCommands(user: Command): void {
  const lp = user.command('login-profile').description("a user's console password (login profile): sign in at /-/console/ with the user name and it");
  const create = leaf(lp, 'create', 'give a user a console password, read from stdin (checked against the password policy)')
    .argument('<name>', 'user name')
    .requiredOption('--password-stdin', 'read the password from standard input (one line)')
    .option('--password-reset-required', 'the user must choose a new password at the first sign-in')
    .option('--mfa-bind-required', 'the user must bind a virtual MFA device at the first sign-in');
  act(create, async (o, c, name: string) => {
    const password = (await readStdin()).replace(/\r?\n$/, '');
    if (password === '') throw new UsageError('no password on standard input (e.g. --password-stdin <<< \'…\')');
    const b = await c.call('CreateLoginProfile', {
      UserName: name, Password: password,
      ...(o.passwordResetRequired === true ? { PasswordResetRequired: 'true' } : {}),
      ...(o.mfaBindRequired === true ? { MFABindRequired: 'true' } : {}),
    });
    show(o, b.LoginProfile as Row);
    if (!o.json) process.stderr.write(`sign in at ${c.endpoint}/-/console/ as ${name} with that password\n`);
  });
  const get = leaf(lp, 'get', "show a user's login profile (not the password)").argument('<name>', 'user name');
  act(get, async (o, c, name: string) => show(o, (await c.call('GetLoginProfile', { UserName: name })).LoginProfile as Row));
  const del = leaf(lp, 'delete', "remove a user's console password (its console sessions end)").argument('<name>', 'user name');
  act(del, async (o, c, name: string) => done(o, await c.call('DeleteLoginProfile', { UserName: name }), `deleted the login profile of ${name}`));
}

function accessKeyCommands(ram: Command): void {
  const ak = ram.command('accesskey').description('AccessKeys of a user (or, without --user, of the caller)');
  const userOpt = (cmd: Command): Command => cmd.option('--user <name>', 'the user (default: the caller itself)');
  const create = userOpt(leaf(ak, 'create', 'create an AccessKey; the secret is printed now and never again'));
  act(create, async (o, c) => {
    const b = await c.call('CreateAccessKey', opt('UserName', o.user));
    show(o, b.AccessKey as Row);
    if (!o.json) process.stderr.write('store the AccessKeySecret now: it cannot be retrieved again\n');
  });
  const list = userOpt(leaf(ak, 'list', 'list AccessKeys (ids and status, never secrets)'));
  act(list, async (o, c) => showList(o, inner(await c.call('ListAccessKeys', opt('UserName', o.user)), 'AccessKeys', 'AccessKey'), [['ACCESS KEY ID', 'AccessKeyId'], ['STATUS', 'Status'], ['CREATED', 'CreateDate']]));
  const update = userOpt(leaf(ak, 'update', 'activate or deactivate an AccessKey').argument('<access-key-id>', 'AccessKeyId'))
    .addOption(new Option('--status <status>').choices(['Active', 'Inactive']).makeOptionMandatory());
  act(update, async (o, c, id: string) => done(o, await c.call('UpdateAccessKey', { UserAccessKeyId: id, Status: String(o.status), ...opt('UserName', o.user) }), `AccessKey ${id} is ${String(o.status)}`));
  const del = userOpt(leaf(ak, 'delete', 'delete an AccessKey').argument('<access-key-id>', 'AccessKeyId'));
  act(del, async (o, c, id: string) => done(o, await c.call('DeleteAccessKey', { UserAccessKeyId: id, ...opt('UserName', o.user) }), `deleted AccessKey ${id}`));
}

function groupCommands(ram: Command): void {
  const group = ram.command('group').description('RAM groups');
  const create = leaf(group, 'create', 'create a group').argument('<name>', 'group name').option('--comments <text>');
  act(create, async (o, c, name: string) => show(o, (await c.call('CreateGroup', { GroupName: name, ...opt('Comments', o.comments) })).Group as Row));
  const list = leaf(group, 'list', 'list groups');
  act(list, async (o, c) => showList(o, await listAllPages(c, 'ListGroups', {}, (b) => inner(b, 'Groups', 'Group')), [['NAME', 'GroupName'], ['ID', 'GroupId'], ['COMMENTS', 'Comments'], ['CREATED', 'CreateDate']]));
  const get = leaf(group, 'get', 'show a group').argument('<name>', 'group name');
  act(get, async (o, c, name: string) => show(o, (await c.call('GetGroup', { GroupName: name })).Group as Row));
  const del = leaf(group, 'delete', 'delete a group (remove its members and detach its policies first)').argument('<name>', 'group name');
  act(del, async (o, c, name: string) => done(o, await c.call('DeleteGroup', { GroupName: name }), `deleted group ${name}`));
  const add = leaf(group, 'add-user', 'add a user to a group').argument('<group>', 'group name').argument('<user>', 'user name');
  act(add, async (o, c, g: string, u: string) => done(o, await c.call('AddUserToGroup', { GroupName: g, UserName: u }), `added ${u} to ${g}`));
  const remove = leaf(group, 'remove-user', 'remove a user from a group').argument('<group>', 'group name').argument('<user>', 'user name');
  act(remove, async (o, c, g: string, u: string) => done(o, await c.call('RemoveUserFromGroup', { GroupName: g, UserName: u }), `removed ${u} from ${g}`));
  const users = leaf(group, 'users', "list a group's members").argument('<group>', 'group name');
  act(users, async (o, c, g: string) => showList(o, await listAllPages(c, 'ListUsersForGroup', { GroupName: g }, (b) => inner(b, 'Users', 'User')), [['USER', 'UserName'], ['DISPLAY NAME', 'DisplayName'], ['JOINED', 'JoinDate']]));
}

function roleCommands(ram: Command): void {
  const role = ram.command('role').description('RAM roles (assumed with alunite sts assume-role)');
  const create = leaf(role, 'create', 'create a role with a trust policy')
    .argument('<name>', 'role name')
    .requiredOption('--trust-policy <file>', 'trust policy JSON file (who may assume the role; - for stdin)')
    .option('--description <text>')
    .option('--max-session-duration <seconds>', '3600-43200', parsePositiveInt);
  act(create, async (o, c, name: string) => {
    const doc = await readDocument(String(o.trustPolicy), 'trust policy');
    await warnPolicyLint(String(o.trustPolicy), doc, 'trust');
    const b = await c.call('CreateRole', { RoleName: name, AssumeRolePolicyDocument: doc, ...opt('Description', o.description), ...opt('MaxSessionDuration', o.maxSessionDuration) });
    const r = b.Role as Row;
    show(o, r, r.AssumeRolePolicyDocument as string | undefined);
  });
  const list = leaf(role, 'list', 'list roles');
  act(list, async (o, c) => showList(o, await listAllPages(c, 'ListRoles', {}, (b) => inner(b, 'Roles', 'Role')), [['NAME', 'RoleName'], ['ARN', 'Arn'], ['MAX SESSION', 'MaxSessionDuration'], ['DESCRIPTION', 'Description']]));
  const get = leaf(role, 'get', 'show a role and its trust policy').argument('<name>', 'role name');
  act(get, async (o, c, name: string) => {
    const r = (await c.call('GetRole', { RoleName: name })).Role as Row;
    show(o, r, r.AssumeRolePolicyDocument as string | undefined);
  });
  const update = leaf(role, 'update', "change a role's trust policy, description or maximum session")
    .argument('<name>', 'role name')
    .option('--trust-policy <file>', 'new trust policy JSON file')
    .option('--description <text>')
    .option('--max-session-duration <seconds>', '3600-43200', parsePositiveInt);
  act(update, async (o, c, name: string) => {
    const doc = o.trustPolicy !== undefined ? await readDocument(String(o.trustPolicy), 'trust policy') : undefined;
    if (doc !== undefined) await warnPolicyLint(String(o.trustPolicy), doc, 'trust');
    const b = await c.call('UpdateRole', { RoleName: name, ...opt('NewAssumeRolePolicyDocument', doc), ...opt('NewDescription', o.description), ...opt('NewMaxSessionDuration', o.maxSessionDuration) });
    const r = b.Role as Row;
    show(o, r, r.AssumeRolePolicyDocument as string | undefined);
  });
  const del = leaf(role, 'delete', 'delete a role (detach its policies first)').argument('<name>', 'role name');
  act(del, async (o, c, name: string) => done(o, await c.call('DeleteRole', { RoleName: name }), `deleted role ${name}`));
}

const POLICY_COLUMNS: [string, string][] = [['NAME', 'PolicyName'], ['TYPE', 'PolicyType'], ['DEFAULT VERSION', 'DefaultVersion'], ['ATTACHED', 'AttachmentCount'], ['DESCRIPTION', 'Description']];

/** Exactly one of --user, --group, --role. */
function principal(o: Row): { kind: 'User' | 'Group' | 'Role'; name: string } {
  const given = (['user', 'group', 'role'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --user, --group, --role');
  const k = given[0]!;
  return { kind: k === 'user' ? 'User' : k === 'group' ? 'Group' : 'Role', name: String(o[k]) };
}

function policyCommands(ram: Command): void {
  const policy = ram.command('policy').description('RAM policies: documents, versions, attachments');
  const create = leaf(policy, 'create', 'create a custom policy').argument('<name>', 'policy name').requiredOption('--document <file>', 'policy JSON file (- for stdin)').option('--description <text>');
  act(create, async (o, c, name: string) => {
    const doc = await readDocument(String(o.document), 'policy document');
    await warnPolicyLint(String(o.document), doc, 'identity');
    show(o, (await c.call('CreatePolicy', { PolicyName: name, PolicyDocument: doc, ...opt('Description', o.description) })).Policy as Row);
  });
  const list = leaf(policy, 'list', 'list policies, or those attached to a user, group or role')
    .addOption(new Option('--type <type>', 'only this type').choices(['Custom', 'System']))
    .option('--user <name>', 'policies attached to this user')
    .option('--group <name>', 'policies attached to this group')
    .option('--role <name>', 'policies attached to this role');
  act(list, async (o, c) => {
    if (o.user === undefined && o.group === undefined && o.role === undefined) {
      return showList(o, await listAllPages(c, 'ListPolicies', opt('PolicyType', o.type), (b) => inner(b, 'Policies', 'Policy')), POLICY_COLUMNS);
    }
    const p = principal(o);
    const rows = inner(await c.call(`ListPoliciesFor${p.kind}`, { [`${p.kind}Name`]: p.name }), 'Policies', 'Policy');
    showList(o, rows, [['NAME', 'PolicyName'], ['TYPE', 'PolicyType'], ['DEFAULT VERSION', 'DefaultVersion'], ['ATTACHED', 'AttachDate']]);
  });
  const get = leaf(policy, 'get', 'show a policy and its default document').argument('<name>', 'policy name').addOption(policyType());
  act(get, async (o, c, name: string) => {
    const b = await c.call('GetPolicy', { PolicyName: name, PolicyType: await resolvePolicyType(c, name, o.type) });
    const dv = b.DefaultPolicyVersion as Row | undefined;
    if (o.json) return printJson({ ...(b.Policy as Row), DefaultPolicyVersion: dv });
    show(o, b.Policy as Row, dv?.PolicyDocument as string | undefined);
  });
  const del = leaf(policy, 'delete', 'delete a custom policy (detach it and delete its other versions first)').argument('<name>', 'policy name');
  act(del, async (o, c, name: string) => done(o, await c.call('DeletePolicy', { PolicyName: name }), `deleted policy ${name}`));
  const entities = leaf(policy, 'entities', 'users, groups and roles a policy is attached to').argument('<name>', 'policy name').addOption(policyType());
  act(entities, async (o, c, name: string) => {
    const b = await c.call('ListEntitiesForPolicy', { PolicyName: name, PolicyType: await resolvePolicyType(c, name, o.type) });
    const rows = [
      ...inner(b, 'Users', 'User').map((u) => ({ Kind: 'User', Name: u.UserName, AttachDate: u.AttachDate })),
      ...inner(b, 'Groups', 'Group').map((g) => ({ Kind: 'Group', Name: g.GroupName, AttachDate: g.AttachDate })),
      ...inner(b, 'Roles', 'Role').map((r) => ({ Kind: 'Role', Name: r.RoleName, AttachDate: r.AttachDate })),
    ];
    showList(o, rows, [['KIND', 'Kind'], ['NAME', 'Name'], ['ATTACHED', 'AttachDate']]);
  });
  for (const verb of ['attach', 'detach'] as const) {
    const cmd = leaf(policy, verb, `${verb} a policy ${verb === 'attach' ? 'to' : 'from'} a user, group or role`)
      .argument('<name>', 'policy name')
      .option('--user <name>')
      .option('--group <name>')
      .option('--role <name>')
      .addOption(policyType());
    act(cmd, async (o, c, name: string) => {
      const p = principal(o);
      const action = verb === 'attach' ? `AttachPolicyTo${p.kind}` : `DetachPolicyFrom${p.kind}`;
      const type = await resolvePolicyType(c, name, o.type);
      const b = await c.call(action, { PolicyName: name, PolicyType: type, [`${p.kind}Name`]: p.name });
      done(o, b, `${verb === 'attach' ? 'attached' : 'detached'} ${type} policy ${name} ${verb === 'attach' ? 'to' : 'from'} ${p.kind.toLowerCase()} ${p.name}`);
    });
  }

  const version = policy.command('version').description('versions of a custom policy');
  const vcreate = leaf(version, 'create', 'add a version')
    .argument('<policy>', 'policy name')
    .requiredOption('--document <file>', 'policy JSON file (- for stdin)')
    .option('--set-default', 'make it the default version')
    .option('--rotate', 'delete the oldest non-default version when the policy already has 5 (RotateStrategy DeleteOldestNonDefaultVersionWhenLimitExceeded)');
  act(vcreate, async (o, c, name: string) => {
    const doc = await readDocument(String(o.document), 'policy document');
    await warnPolicyLint(String(o.document), doc, 'identity');
    const b = await c.call('CreatePolicyVersion', {
      PolicyName: name, PolicyDocument: doc, ...(o.setDefault ? { SetAsDefault: 'true' } : {}),
      ...(o.rotate ? { RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded' } : {}),
    });
    const v = b.PolicyVersion as Row;
    show(o, v, v.PolicyDocument as string | undefined);
  });
  const vlist = leaf(version, 'list', 'list versions').argument('<policy>', 'policy name').addOption(policyType());
  act(vlist, async (o, c, name: string) =>
    showList(o, inner(await c.call('ListPolicyVersions', { PolicyName: name, PolicyType: await resolvePolicyType(c, name, o.type) }), 'PolicyVersions', 'PolicyVersion'), [['VERSION', 'VersionId'], ['DEFAULT', 'IsDefaultVersion'], ['CREATED', 'CreateDate']]),
  );
  const vget = leaf(version, 'get', 'show a version and its document').argument('<policy>', 'policy name').argument('<version-id>', 'e.g. v2').addOption(policyType());
  act(vget, async (o, c, name: string, id: string) => {
    const v = (await c.call('GetPolicyVersion', { PolicyName: name, VersionId: id, PolicyType: await resolvePolicyType(c, name, o.type) })).PolicyVersion as Row;
    show(o, v, v.PolicyDocument as string | undefined);
  });
  const vdefault = leaf(version, 'set-default', 'make a version the default').argument('<policy>', 'policy name').argument('<version-id>', 'version, e.g. v2');
  act(vdefault, async (o, c, name: string, id: string) => done(o, await c.call('SetDefaultPolicyVersion', { PolicyName: name, VersionId: id }), `${name}: default version is ${id}`));
  const vdel = leaf(version, 'delete', 'delete a non-default version').argument('<policy>', 'policy name').argument('<version-id>', 'version, e.g. v2');
  act(vdel, async (o, c, name: string, id: string) => done(o, await c.call('DeletePolicyVersion', { PolicyName: name, VersionId: id }), `${name}: deleted version ${id}`));
}

export function ramCommand(): Command {
  const ram = new Command('ram').description('RAM: users, AccessKeys, groups, roles, policies');
  userCommands(ram);
  accessKeyCommands(ram);
  groupCommands(ram);
  roleCommands(ram);
  policyCommands(ram);
  return ram;
}
