import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { StsActionName } from '../sts/actions.js';
import type { AssumeRoleResult, StsRequestFacts, StsService } from '../sts/service.js';
import { optParam, type RpcParams } from './encoding.js';
import { isoSeconds } from '../util/time.js';
import type { WireObject } from './response.js';

// STS (Version 2015-04-01) over POP RPC: parameters → StsService → the exact bodies of spec ram-sts §5.2,
// §5.3 (PascalCase keys, Expiration `YYYY-MM-DDTHH:MM:SSZ`, never a top-level Code on success).

export const STS_VERSION = '2015-04-01';

/** A role session as AssumeRole (and AssumeRoleWithOIDC/SAML) answer it: AssumedRoleUser and Credentials. */
export function sessionWire(r: AssumeRoleResult): WireObject {
  return {
    AssumedRoleUser: { Arn: r.assumedRoleUser.arn, AssumedRoleId: r.assumedRoleUser.assumedRoleId },
    Credentials: {
      AccessKeyId: r.credentials.accessKeyId,
      AccessKeySecret: r.credentials.accessKeySecret,
      SecurityToken: r.credentials.securityToken,
      Expiration: isoSeconds(r.credentials.expiration),
    },
  };
}

type StsAction = (svc: StsService, principal: Principal, params: RpcParams, facts: StsRequestFacts) => Promise<WireObject>;

// Keyed by the STS action table (sts/actions.ts), which declares each action's resources.
const ACTIONS: Record<StsActionName, StsAction> = {
  AssumeRole: async (svc, principal, p, facts) => {
    // Absent parameters are undefined members: assumeRole reads them as absent (no spread of one-member objects).
    const r = await svc.assumeRole(
      principal,
      {
        roleArn: optParam(p, 'RoleArn'),
        roleSessionName: optParam(p, 'RoleSessionName'),
        durationSeconds: optParam(p, 'DurationSeconds'),
        policy: optParam(p, 'Policy'),
        externalId: optParam(p, 'ExternalId'),
      },
      facts,
    );
    return sessionWire(r);
  },
  GetCallerIdentity: async (svc, principal) => {
    const id = svc.getCallerIdentity(principal);
    return {
      IdentityType: id.identityType,
      AccountId: id.accountId,
      ...(id.userId !== undefined ? { UserId: id.userId } : {}),
      ...(id.roleId !== undefined ? { RoleId: id.roleId } : {}),
      PrincipalId: id.principalId,
      Arn: id.arn,
    };
  },
};

/** Whether STS (here) has this action. */
export function isStsAction(action: string): action is StsActionName {
  return Object.hasOwn(ACTIONS, action);
}

/** Runs one STS action; InvalidAction.NotFound for a name STS does not have (here). */
export async function runStsAction(svc: StsService, principal: Principal, action: string, params: RpcParams, facts: StsRequestFacts): Promise<WireObject> {
  if (!isStsAction(action)) throw new AppError('InvalidAction.NotFound');
  return ACTIONS[action](svc, principal, params, facts);
}
