// AssumeRoleWithOIDC / AssumeRoleWithSAML (STS Version 2015-04-01) over POP RPC: anonymous requests (the
// provider's token is the credential), parameters → FederationService → the API reference's bodies
// (Credentials, AssumedRoleUser, OIDCTokenInfo / SAMLAssertionInfo).
import type { FederationService } from '../sts/federation.js';
import type { StsRequestFacts } from '../sts/service.js';
import { sessionWire } from './sts-actions.js';
import { optParam, type RpcParams } from './encoding.js';
import type { WireObject } from './response.js';

export const FEDERATION_ACTIONS = ['AssumeRoleWithOIDC', 'AssumeRoleWithSAML'] as const;
export type FederationAction = (typeof FEDERATION_ACTIONS)[number];

export function isFederationAction(action: string): action is FederationAction {
  return (FEDERATION_ACTIONS as readonly string[]).includes(action);
}


/** Runs one federation action (the caller is anonymous: no signature is read). */
export async function runFederationAction(svc: FederationService, action: FederationAction, p: RpcParams, facts: StsRequestFacts): Promise<WireObject> {
  const o = (name: string) => optParam(p, name);
  if (action === 'AssumeRoleWithOIDC') {
    // An empty OIDCToken is the token's own error (AuthenticationFail.OIDCToken.Invalid), so it is passed as given.
    const r = await svc.assumeRoleWithOidc({
      oidcProviderArn: o('OIDCProviderArn'), roleArn: o('RoleArn'), oidcToken: p.get('OIDCToken') ?? '', policy: o('Policy'),
      durationSeconds: o('DurationSeconds'), roleSessionName: o('RoleSessionName'),
    }, facts);
    const i = r.oidcTokenInfo;
    return {
      ...sessionWire(r),
      OIDCTokenInfo: {
        Subject: i.subject, Issuer: i.issuer, ClientIds: i.clientIds, ExpirationTime: i.expirationTime, IssuanceTime: i.issuanceTime, VerificationInfo: i.verificationInfo,
      },
    };
  }
  const r = await svc.assumeRoleWithSaml({
    samlProviderArn: o('SAMLProviderArn'), roleArn: o('RoleArn'), samlAssertion: o('SAMLAssertion'), policy: o('Policy'), durationSeconds: o('DurationSeconds'),
  }, facts);
  const i = r.samlAssertionInfo;
  return { ...sessionWire(r), SAMLAssertionInfo: { SubjectType: i.subjectType, Subject: i.subject, Issuer: i.issuer, Recipient: i.recipient } };
}
