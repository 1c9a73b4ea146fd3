import { AppError, type ErrorCode } from '../errors.js';
import type { RamActionName } from '../ram/actions.js';
import type { RamExtras } from '../ram/extras.js';
import type { RamCaller } from '../ram/service.js';
import type { PasswordPolicy } from '../ram/passwords.js';
import type { SecurityPreference } from '../ram/account-settings.js';
import { isoSeconds } from '../util/time.js';
import { boolParam, optParam, tagListParam, tagsToSetParam, type RpcParams } from './encoding.js';
import type { WireObject } from './response.js';

// RAM (2015-05-01) actions of ram/extras.ts over POP RPC (docs/ram.md): parameters → RamExtras call →
// response body, with the shapes of the RAM API reference.

/** Longest list parameter read (ResourceNames ≤ 50, Tag ≤ 20 are checked by the service). */
const MAX_LIST = 100;

class P {
  constructor(private readonly p: RpcParams) {}

  opt(name: string): string | undefined {
    return optParam(this.p, name);
  }

  req(name: string, missing: ErrorCode): string {
    const v = this.opt(name);
    if (v === undefined) throw new AppError(missing);
    return v;
  }

  bool(name: string): boolean | undefined {
    return boolParam(this.p, name);
  }

  /** A list parameter: `Name` as a JSON array (Tea SDKs, `style: json`) or `Name.1`, `Name.2`, … (pop-core). */
  list(name: string): string[] {
    const json = this.opt(name);
    if (json !== undefined) {
      let v: unknown;
      try {
        v = JSON.parse(json);
      } catch {
        throw new AppError('InvalidParameter', `The parameter - "${name}" must be a JSON array of strings.`);
      }
      if (!Array.isArray(v) || v.length > MAX_LIST || !v.every((x) => typeof x === 'string')) {
        throw new AppError('InvalidParameter', `The parameter - "${name}" must be a JSON array of strings.`);
      }
      return v as string[];
    }
    const out: string[] = [];
    for (let i = 1; i <= MAX_LIST; i++) {
      const v = this.opt(`${name}.${i}`);
      if (v === undefined) break;
      out.push(v);
    }
    return out;
  }

  /** `Tag` as a JSON array of {Key, Value} or `Tag.N.Key` / `Tag.N.Value`. */
  tags(): Array<{ key: string; value?: string }> {
    return tagListParam(this.p);
  }

  /** `Tag` of TagResources: tags to set. */
  tagsToSet(): Array<{ key: string; value: string }> {
    return tagsToSetParam(this.p);
  }

  int(name: string, invalid: ErrorCode): number | undefined {
    const v = this.opt(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,9}$/.test(v)) throw new AppError(invalid, `The parameter - "${name}" must be an integer.`);
    return Number(v);
  }
}

function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

type Action = (x: RamExtras, caller: RamCaller, p: P) => Promise<WireObject>;

function loginProfileWire(v: { userName: string; passwordResetRequired: boolean; mfaBindRequired: boolean; createDate: number; updateDate: number }): WireObject {
  return {
    UserName: v.userName, PasswordResetRequired: v.passwordResetRequired, MFABindRequired: v.mfaBindRequired,
    CreateDate: isoSeconds(v.createDate), UpdateDate: isoSeconds(v.updateDate),
  };
}

function passwordPolicyWire(v: PasswordPolicy): WireObject {
  return {
    MinimumPasswordLength: v.minimumPasswordLength, RequireLowercaseCharacters: v.requireLowercaseCharacters,
    RequireUppercaseCharacters: v.requireUppercaseCharacters, RequireNumbers: v.requireNumbers, RequireSymbols: v.requireSymbols,
    HardExpiry: v.hardExpiry, MaxPasswordAge: v.maxPasswordAge, PasswordReusePrevention: v.passwordReusePrevention, MaxLoginAttemps: v.maxLoginAttemps,
  };
}

function securityPreferenceWire(v: SecurityPreference): WireObject {
  return {
    AccessKeyPreference: { AllowUserToManageAccessKeys: v.allowUserToManageAccessKeys },
    LoginProfilePreference: {
      EnableSaveMFATicket: v.enableSaveMFATicket, LoginSessionDuration: v.loginSessionDuration, LoginNetworkMasks: v.loginNetworkMasks,
      AllowUserToChangePassword: v.allowUserToChangePassword,
    },
    MFAPreference: { AllowUserToManageMFADevices: v.allowUserToManageMFADevices },
    PublicKeyPreference: { AllowUserToManagePublicKeys: v.allowUserToManagePublicKeys },
  };
}

const ACTIONS = {
  CreateLoginProfile: async (x, caller, p) => ({
    LoginProfile: loginProfileWire(await x.loginProfiles.create(caller, defined({
      userName: p.opt('UserName'), password: p.req('Password', 'MissingPassword'),
      passwordResetRequired: p.bool('PasswordResetRequired'), mfaBindRequired: p.bool('MFABindRequired'),
    }))),
  }),
  GetLoginProfile: async (x, caller, p) => ({ LoginProfile: loginProfileWire(await x.loginProfiles.get(caller, defined({ userName: p.opt('UserName') }))) }),
  UpdateLoginProfile: async (x, caller, p) => ({
    LoginProfile: loginProfileWire(await x.loginProfiles.update(caller, defined({
      userName: p.opt('UserName'), password: p.opt('Password'), passwordResetRequired: p.bool('PasswordResetRequired'), mfaBindRequired: p.bool('MFABindRequired'),
    }))),
  }),
  DeleteLoginProfile: async (x, caller, p) => {
    await x.loginProfiles.delete(caller, defined({ userName: p.opt('UserName') }));
    return {};
  },
  ChangePassword: async (x, caller, p) => {
    await x.loginProfiles.changePassword(caller, { oldPassword: p.req('OldPassword', 'MissingOldPassword'), newPassword: p.req('NewPassword', 'MissingNewPassword') });
    return {};
  },
  GetAccessKeyLastUsed: async (x, caller, p) => {
    const t = await x.lastUsed.get(caller, defined({ userName: p.opt('UserName'), accessKeyId: p.req('UserAccessKeyId', 'MissingUserAccessKeyId') }));
    return { AccessKeyLastUsed: t === undefined ? {} : { LastUsedDate: isoSeconds(t) } };
  },
  CreateVirtualMFADevice: async (x, caller, p) => {
    const d = await x.mfa.create(caller, p.req('VirtualMFADeviceName', 'MissingVirtualMFADeviceName'));
    return { VirtualMFADevice: { SerialNumber: d.serialNumber, Base32StringSeed: d.base32StringSeed, QRCodePNG: d.qrCodePng.toString('base64') } };
  },
  DeleteVirtualMFADevice: async (x, caller, p) => {
    await x.mfa.delete(caller, p.req('SerialNumber', 'MissingSerialNumber'));
    return {};
  },
  ListVirtualMFADevices: async (x, caller) => ({
    VirtualMFADevices: {
      VirtualMFADevice: (await x.mfa.list(caller)).map((d) => ({
        SerialNumber: d.serialNumber,
        ActivateDate: d.activateDate !== undefined ? isoSeconds(d.activateDate) : undefined,
        User: d.user ? { UserId: d.user.userId, UserName: d.user.userName, DisplayName: d.user.displayName } : undefined,
      })),
    },
  }),
  BindMFADevice: async (x, caller, p) => {
    await x.mfa.bind(caller, defined({
      userName: p.opt('UserName'), serialNumber: p.req('SerialNumber', 'MissingSerialNumber'),
      code1: p.req('AuthenticationCode1', 'MissingAuthenticationCode1'), code2: p.req('AuthenticationCode2', 'MissingAuthenticationCode2'),
    }));
    return {};
  },
  UnbindMFADevice: async (x, caller, p) => ({ MFADevice: { SerialNumber: (await x.mfa.unbind(caller, defined({ userName: p.opt('UserName') }))).serialNumber } }),
  GetUserMFAInfo: async (x, caller, p) => ({
    MFADevice: { SerialNumber: (await x.mfa.userInfo(caller, defined({ userName: p.opt('UserName') }))).serialNumber, Type: 'VMFA' },
  }),
  UpdatePolicyDescription: async (x, caller, p) => {
    const policy = await x.updatePolicyDescription(caller, { policyName: p.req('PolicyName', 'MissingPolicyName'), newDescription: p.req('NewDescription', 'MissingNewDescription') });
    return {
      Policy: {
        PolicyName: policy.policyName, PolicyType: 'Custom', Description: policy.description, DefaultVersion: policy.defaultVersion,
        CreateDate: isoSeconds(policy.createDate), UpdateDate: isoSeconds(policy.updateDate),
      },
    };
  },
  SetAccountAlias: async (x, caller, p) => {
    await x.settings.setAccountAlias(caller, p.req('AccountAlias', 'MissingAccountAlias'));
    return {};
  },
  GetAccountAlias: async (x, caller) => ({ AccountAlias: await x.settings.getAccountAlias(caller) }),
  ClearAccountAlias: async (x, caller) => {
    await x.settings.clearAccountAlias(caller);
    return {};
  },
  SetPasswordPolicy: async (x, caller, p) => ({
    PasswordPolicy: passwordPolicyWire(await x.settings.setPasswordPolicy(caller, defined({
      minimumPasswordLength: p.int('MinimumPasswordLength', 'InvalidParameter.PasswordPolicy'),
      requireLowercaseCharacters: p.bool('RequireLowercaseCharacters'),
      requireUppercaseCharacters: p.bool('RequireUppercaseCharacters'),
      requireNumbers: p.bool('RequireNumbers'),
      requireSymbols: p.bool('RequireSymbols'),
      hardExpiry: p.bool('HardExpiry'),
      maxPasswordAge: p.int('MaxPasswordAge', 'InvalidParameter.PasswordPolicy'),
      passwordReusePrevention: p.int('PasswordReusePrevention', 'InvalidParameter.PasswordPolicy'),
      maxLoginAttemps: p.int('MaxLoginAttemps', 'InvalidParameter.PasswordPolicy'),
    }))),
  }),
  GetPasswordPolicy: async (x, caller) => ({ PasswordPolicy: passwordPolicyWire(await x.settings.getPasswordPolicy(caller)) }),
  SetSecurityPreference: async (x, caller, p) => ({
    SecurityPreference: securityPreferenceWire(await x.settings.setSecurityPreference(caller, defined({
      enableSaveMFATicket: p.bool('EnableSaveMFATicket'),
      allowUserToChangePassword: p.bool('AllowUserToChangePassword'),
      allowUserToManageAccessKeys: p.bool('AllowUserToManageAccessKeys'),
      allowUserToManagePublicKeys: p.bool('AllowUserToManagePublicKeys'),
      allowUserToManageMFADevices: p.bool('AllowUserToManageMFADevices'),
      loginSessionDuration: p.int('LoginSessionDuration', 'InvalidParameter.SecurityPreference'),
      loginNetworkMasks: p.opt('LoginNetworkMasks'),
    }))),
  }),
  GetSecurityPreference: async (x, caller) => ({ SecurityPreference: securityPreferenceWire(await x.settings.getSecurityPreference(caller)) }),
  DecodeDiagnosticMessage: async (x, caller, p) => {
    const f = await x.decodeDiagnosticMessage(caller, p.req('EncodedDiagnosticMessage', 'MissingEncodedDiagnosticMessage'));
    return {
      DecodedDiagnosticMessage: {
        ExplicitDeny: f.explicitDeny,
        NoPermissionPolicyType: f.policyType,
        AuthAction: f.action,
        AuthResource: f.resource,
        AuthPrincipal: { AuthPrincipalType: f.principal.type, AuthPrincipalOwnerId: f.principal.ownerId, AuthPrincipalDisplayName: f.principal.displayName },
        AuthConditions: f.conditions.map((c) => ({ ConditionKey: c.key, ConditionValues: c.values })),
        // Alunite addition: which statements applied (policy names and indexes, never their text).
        MatchedPolicies: f.matched.map((m) => ({ PolicyType: m.policyType, PolicyName: m.policyName, StatementIndex: m.statementIndex, Effect: m.effect })),
      },
    };
  },
  TagResources: async (x, caller, p) => {
    const tags = p.tagsToSet();
    await x.tags.tag(caller, { resourceType: p.req('ResourceType', 'MissingResourceType'), resourceNames: p.list('ResourceNames'), tags });
    return {};
  },
  UntagResources: async (x, caller, p) => {
    await x.tags.untag(caller, {
      resourceType: p.req('ResourceType', 'MissingResourceType'), resourceNames: p.list('ResourceNames'), tagKeys: p.list('TagKeys'), all: p.bool('All') ?? false,
    });
    return {};
  },
  ListTagResources: async (x, caller, p) => {
    const r = await x.tags.list(caller, defined({
      resourceType: p.req('ResourceType', 'MissingResourceType'), resourceNames: p.list('ResourceNames'), tags: p.tags(),
      pageSize: p.int('PageSize', 'InvalidParameter'), nextToken: p.opt('NextToken'),
    }));
    return {
      ...(r.nextToken !== undefined ? { NextToken: r.nextToken } : {}),
      // A plain array, as the published metadata has it (the Tea SDKs' ListTagResourcesResponseBody: `TagResources`
      // is `ListTagResourcesResponseBodyTagResources[]`), not the `{TagResource: [...]}` wrapper of the older lists.
      TagResources: r.rows.map((t) => ({ ResourceType: t.resourceType, ResourceName: t.resourceName, TagKey: t.key, TagValue: t.value })),
    };
  },
} satisfies Record<string, Action>;

export type RamExtraActionName = keyof typeof ACTIONS;
// Every action here has its resources in ram/actions.ts (compile-time check).
const DECLARED: readonly RamActionName[] = Object.keys(ACTIONS) as RamExtraActionName[];
void DECLARED;

export function isRamExtraAction(action: string): action is RamExtraActionName {
  return Object.hasOwn(ACTIONS, action);
}

export function runRamExtraAction(x: RamExtras, caller: RamCaller, action: RamExtraActionName, params: RpcParams): Promise<WireObject> {
  return ACTIONS[action](x, caller, new P(params));
}
