// IMS (Version 2019-08-15) identity providers over POP RPC: parameters → ImsService → the bodies of the IMS API
// reference ({RequestId, OIDCProvider: {...}}, lists as {OIDCProviders: {OIDCProvider: [...]}}, IsTruncated/Marker).
import { AppError } from '../errors.js';
import type { ImsActionName } from '../ram/actions.js';
import type { Page, RamCaller } from '../ram/service.js';
import type { ImsService, WithArn } from '../ims/service.js';
import type { OidcProvider, SamlProvider } from '../ims/model.js';
import { isoSeconds } from '../util/time.js';
import { optParam, type RpcParams } from './encoding.js';
import type { WireObject } from './response.js';

export const IMS_VERSION = '2019-08-15';

function oidcWire(p: WithArn<OidcProvider>): WireObject {
  return {
    OIDCProviderName: p.name,
    Arn: p.arn,
    IssuerUrl: p.issuerUrl,
    Fingerprints: p.fingerprints.join(','),
    ClientIds: p.clientIds.join(','),
    IssuanceLimitTime: p.issuanceLimitTime,
    Description: p.description,
    CreateDate: isoSeconds(p.createDate),
    UpdateDate: isoSeconds(p.updateDate),
    GmtCreate: String(p.createDate),
    GmtModified: String(p.updateDate),
  };
}

function samlWire(p: WithArn<SamlProvider>, withMetadata: boolean): WireObject {
  return {
    SAMLProviderName: p.name,
    Arn: p.arn,
    Description: p.description,
    ...(withMetadata ? { EncodedSAMLMetadataDocument: p.encodedMetadata } : {}),
    CreateDate: isoSeconds(p.createDate),
    UpdateDate: isoSeconds(p.updateDate),
  };
}

function paging(p: RpcParams): { marker?: string; maxItems?: number } {
  const marker = optParam(p, 'Marker');
  const max = optParam(p, 'MaxItems');
  if (max !== undefined && !/^\d{1,4}$/.test(max)) throw new AppError('InvalidParameter.MaxItems');
  return { ...(marker !== undefined ? { marker } : {}), ...(max !== undefined ? { maxItems: Number(max) } : {}) };
}

function pageWire<T>(page: Page<T>, wrap: (items: T[]) => WireObject): WireObject {
  return { IsTruncated: page.isTruncated, ...(page.marker !== undefined ? { Marker: page.marker } : {}), ...wrap(page.items) };
}

type Action = (svc: ImsService, caller: RamCaller, p: RpcParams) => Promise<WireObject>;
const o = optParam;

// Keyed by the IMS table of ram/actions.ts, which declares each action's resources.
const ACTIONS: Record<ImsActionName, Action> = {
  CreateOIDCProvider: async (svc, caller, p) => ({
    OIDCProvider: oidcWire(await svc.createOidcProvider(caller, {
      name: o(p, 'OIDCProviderName'), issuerUrl: o(p, 'IssuerUrl'), description: o(p, 'Description'),
      clientIds: o(p, 'ClientIds'), fingerprints: o(p, 'Fingerprints'), issuanceLimitTime: o(p, 'IssuanceLimitTime'),
    })),
  }),
  GetOIDCProvider: async (svc, caller, p) => ({ OIDCProvider: oidcWire(await svc.getOidcProvider(caller, o(p, 'OIDCProviderName'))) }),
  ListOIDCProviders: async (svc, caller, p) => pageWire(await svc.listOidcProviders(caller, paging(p)), (items) => ({ OIDCProviders: { OIDCProvider: items.map(oidcWire) } })),
  UpdateOIDCProvider: async (svc, caller, p) => ({
    OIDCProvider: oidcWire(await svc.updateOidcProvider(caller, {
      name: o(p, 'OIDCProviderName'), clientIds: o(p, 'ClientIds'), newDescription: o(p, 'NewDescription'), issuanceLimitTime: o(p, 'IssuanceLimitTime'),
    })),
  }),
  DeleteOIDCProvider: async (svc, caller, p) => {
    await svc.deleteOidcProvider(caller, o(p, 'OIDCProviderName'));
    return {};
  },
  AddFingerprintToOIDCProvider: async (svc, caller, p) => ({ OIDCProvider: oidcWire(await svc.addFingerprint(caller, o(p, 'OIDCProviderName'), o(p, 'Fingerprint'))) }),
  RemoveFingerprintFromOIDCProvider: async (svc, caller, p) => ({ OIDCProvider: oidcWire(await svc.removeFingerprint(caller, o(p, 'OIDCProviderName'), o(p, 'Fingerprint'))) }),
  CreateSAMLProvider: async (svc, caller, p) => ({
    SAMLProvider: samlWire(await svc.createSamlProvider(caller, { name: o(p, 'SAMLProviderName'), encodedMetadata: o(p, 'EncodedSAMLMetadataDocument'), description: o(p, 'Description') }), false),
  }),
  GetSAMLProvider: async (svc, caller, p) => ({ SAMLProvider: samlWire(await svc.getSamlProvider(caller, o(p, 'SAMLProviderName')), true) }),
  ListSAMLProviders: async (svc, caller, p) => pageWire(await svc.listSamlProviders(caller, paging(p)), (items) => ({ SAMLProviders: { SAMLProvider: items.map((i) => samlWire(i, false)) } })),
  UpdateSAMLProvider: async (svc, caller, p) => ({
    SAMLProvider: samlWire(await svc.updateSamlProvider(caller, {
      name: o(p, 'SAMLProviderName'), newEncodedMetadata: o(p, 'NewEncodedSAMLMetadataDocument'), newDescription: o(p, 'NewDescription'),
    }), false),
  }),
  DeleteSAMLProvider: async (svc, caller, p) => {
    await svc.deleteSamlProvider(caller, o(p, 'SAMLProviderName'));
    return {};
  },
};

export function isImsAction(action: string): action is ImsActionName {
  return Object.hasOwn(ACTIONS, action);
}

/** Runs one IMS action; InvalidAction.NotFound for a name not implemented here. */
export async function runImsAction(svc: ImsService, caller: RamCaller, action: string, params: RpcParams): Promise<WireObject> {
  if (!isImsAction(action)) throw new AppError('InvalidAction.NotFound');
  return ACTIONS[action](svc, caller, params);
}
