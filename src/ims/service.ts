// IMS (Version 2019-08-15) identity providers: OIDC and SAML providers of the account, for role SSO and
// AssumeRoleWithOIDC / AssumeRoleWithSAML. Every call is authorized as `ram:<Action>` on the provider's ARN
// through the RAM hook (ram/authorize.ts) and the IMS table of ram/actions.ts. No HTTP here.
import { AppError } from '../errors.js';
import { IMS_ACTION_RESOURCES, ramProviderArn, type ImsActionName } from '../ram/actions.js';
import type { RamAuthorizer } from '../ram/authorize.js';
import type { Page, Paging, RamCaller } from '../ram/service.js';
import type { ProviderKind, ProviderRecord, ProviderStore } from '../store/meta/providers.js';
import type { Clock } from '../util/time.js';
import {
  checkDescription,
  checkFingerprint,
  checkIssuerUrl,
  checkProviderName,
  DEFAULT_ISSUANCE_LIMIT_HOURS,
  IMS_LIMITS,
  parseClientIds,
  parseFingerprints,
  parseIssuanceLimitTime,
  parseSamlMetadata,
  type OidcProvider,
  type SamlProvider,
} from './model.js';

export interface ImsServiceOptions {
  store: ProviderStore;
  accountId: string;
  clock: Clock;
  authorize: RamAuthorizer;
}

export interface CreateOidcInput {
  name?: string;
  issuerUrl?: string;
  description?: string;
  clientIds?: string;
  fingerprints?: string;
  issuanceLimitTime?: string;
}

export interface UpdateOidcInput {
  name?: string;
  clientIds?: string;
  newDescription?: string;
  issuanceLimitTime?: string;
}

/** A provider with its ARN, as every IMS response shows it. */
export type WithArn<T> = T & { arn: string };

const DEFAULT_MAX_ITEMS = 100;
const MARKER_TAG = 'ims:';

function decodeOidc(r: ProviderRecord): OidcProvider {
  return JSON.parse(r.document) as OidcProvider;
}

function decodeSaml(r: ProviderRecord): SamlProvider {
  return JSON.parse(r.document) as SamlProvider;
}

export class ImsService {
  constructor(private readonly opts: ImsServiceOptions) {}

  private async authorize(caller: RamCaller, action: ImsActionName, name: string): Promise<void> {
    const resources = IMS_ACTION_RESOURCES[action]({ accountId: this.opts.accountId, name });
    await this.opts.authorize({ principal: caller.principal, action: `ram:${action}`, resources, accountId: this.opts.accountId, context: caller.context, trace: caller.trace });
  }

  private withArn<T extends { name: string }>(kind: ProviderKind, p: T): WithArn<T> {
    return { ...p, arn: ramProviderArn[kind](this.opts.accountId, p.name) };
  }

  private required(value: string | undefined, kind: ProviderKind): string {
    if (value === undefined) throw new AppError(kind === 'oidc' ? 'MissingOIDCProviderName' : 'MissingSAMLProviderName');
    return checkProviderName(kind, value);
  }

  // ---- OIDC ----

  async createOidcProvider(caller: RamCaller, input: CreateOidcInput): Promise<WithArn<OidcProvider>> {
    const name = this.required(input.name, 'oidc');
    if (input.issuerUrl === undefined) throw new AppError('MissingIssuerUrl');
    const provider: OidcProvider = {
      name,
      issuerUrl: checkIssuerUrl(input.issuerUrl),
      fingerprints: parseFingerprints(input.fingerprints),
      clientIds: parseClientIds(input.clientIds),
      issuanceLimitTime: parseIssuanceLimitTime(input.issuanceLimitTime) ?? DEFAULT_ISSUANCE_LIMIT_HOURS,
      description: checkDescription(input.description),
      createDate: 0,
      updateDate: 0,
    };
    await this.authorize(caller, 'CreateOIDCProvider', name);
    const now = this.opts.clock();
    provider.createDate = now;
    provider.updateDate = now;
    await this.opts.store.createProvider(
      { kind: 'oidc', name, uniqueKey: provider.issuerUrl, document: JSON.stringify(provider), created: now, updated: now },
      IMS_LIMITS.oidcProviders,
    );
    return this.withArn('oidc', provider);
  }

  async getOidcProvider(caller: RamCaller, nameIn: string | undefined): Promise<WithArn<OidcProvider>> {
    const name = this.required(nameIn, 'oidc');
    await this.authorize(caller, 'GetOIDCProvider', name);
    const r = await this.opts.store.getProvider('oidc', name);
    if (!r) throw new AppError('EntityNotExist.OIDCProvider');
    return this.withArn('oidc', decodeOidc(r));
  }

  /** For AssumeRoleWithOIDC (no caller: the token is the credential). */
  async findOidcProvider(name: string): Promise<OidcProvider | null> {
    const r = await this.opts.store.getProvider('oidc', name);
    return r ? decodeOidc(r) : null;
  }

  async findSamlProvider(name: string): Promise<SamlProvider | null> {
    const r = await this.opts.store.getProvider('saml', name);
    return r ? decodeSaml(r) : null;
  }

  async listOidcProviders(caller: RamCaller, paging: Paging): Promise<Page<WithArn<OidcProvider>>> {
    await this.authorize(caller, 'ListOIDCProviders', '*');
    const page = await this.page('oidc', paging);
    return { ...page, items: page.items.map((r) => this.withArn('oidc', decodeOidc(r))) };
  }

  async updateOidcProvider(caller: RamCaller, input: UpdateOidcInput): Promise<WithArn<OidcProvider>> {
    const name = this.required(input.name, 'oidc');
    const clientIds = input.clientIds !== undefined ? parseClientIds(input.clientIds) : undefined;
    const description = input.newDescription !== undefined ? checkDescription(input.newDescription) : undefined;
    const limit = parseIssuanceLimitTime(input.issuanceLimitTime);
    await this.authorize(caller, 'UpdateOIDCProvider', name);
    return this.updateOidc(name, (p) => ({
      ...p,
      ...(clientIds !== undefined ? { clientIds } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(limit !== undefined ? { issuanceLimitTime: limit } : {}),
    }));
  }

  async addFingerprint(caller: RamCaller, nameIn: string | undefined, fingerprint: string | undefined): Promise<WithArn<OidcProvider>> {
    const name = this.required(nameIn, 'oidc');
    if (fingerprint === undefined) throw new AppError('MissingFingerprint');
    const fp = checkFingerprint(fingerprint);
    await this.authorize(caller, 'AddFingerprintToOIDCProvider', name);
    return this.updateOidc(name, (p) => {
      if (p.fingerprints.includes(fp)) throw new AppError('EntityAlreadyExists.OIDCProvider.Fingerprint');
      if (p.fingerprints.length >= IMS_LIMITS.fingerprints) throw new AppError('LimitExceeded.OIDCProvider.Fingerprint');
      return { ...p, fingerprints: [...p.fingerprints, fp] };
    });
  }

  async removeFingerprint(caller: RamCaller, nameIn: string | undefined, fingerprint: string | undefined): Promise<WithArn<OidcProvider>> {
    const name = this.required(nameIn, 'oidc');
    if (fingerprint === undefined) throw new AppError('MissingFingerprint');
    const fp = checkFingerprint(fingerprint);
    await this.authorize(caller, 'RemoveFingerprintFromOIDCProvider', name);
    return this.updateOidc(name, (p) => {
      if (!p.fingerprints.includes(fp)) throw new AppError('EntityNotExist.OIDCProvider.Fingerprint');
      return { ...p, fingerprints: p.fingerprints.filter((f) => f !== fp) };
    });
  }

  async deleteOidcProvider(caller: RamCaller, nameIn: string | undefined): Promise<void> {
    const name = this.required(nameIn, 'oidc');
    await this.authorize(caller, 'DeleteOIDCProvider', name);
    await this.opts.store.deleteProvider('oidc', name);
  }

  private async updateOidc(name: string, change: (p: OidcProvider) => OidcProvider): Promise<WithArn<OidcProvider>> {
    const now = this.opts.clock();
    let next: OidcProvider | undefined;
    await this.opts.store.updateProvider('oidc', name, (cur) => {
      next = { ...change(decodeOidc(cur)), updateDate: now };
      return { uniqueKey: next.issuerUrl, document: JSON.stringify(next) };
    }, now);
    return this.withArn('oidc', next!);
  }

  // ---- SAML ----

  async createSamlProvider(caller: RamCaller, input: { name?: string; encodedMetadata?: string; description?: string }): Promise<WithArn<SamlProvider>> {
    const name = this.required(input.name, 'saml');
    if (input.encodedMetadata === undefined) throw new AppError('MissingEncodedSAMLMetadataDocument');
    parseSamlMetadata(input.encodedMetadata);
    const description = checkDescription(input.description);
    await this.authorize(caller, 'CreateSAMLProvider', name);
    const now = this.opts.clock();
    const provider: SamlProvider = { name, encodedMetadata: input.encodedMetadata.replace(/\s+/g, ''), description, createDate: now, updateDate: now };
    await this.opts.store.createProvider({ kind: 'saml', name, uniqueKey: null, document: JSON.stringify(provider), created: now, updated: now }, IMS_LIMITS.samlProviders);
    return this.withArn('saml', provider);
  }

  async getSamlProvider(caller: RamCaller, nameIn: string | undefined): Promise<WithArn<SamlProvider>> {
    const name = this.required(nameIn, 'saml');
    await this.authorize(caller, 'GetSAMLProvider', name);
    const r = await this.opts.store.getProvider('saml', name);
    if (!r) throw new AppError('EntityNotExist.SAMLProvider');
    return this.withArn('saml', decodeSaml(r));
  }

  async listSamlProviders(caller: RamCaller, paging: Paging): Promise<Page<WithArn<SamlProvider>>> {
    await this.authorize(caller, 'ListSAMLProviders', '*');
    const page = await this.page('saml', paging);
    return { ...page, items: page.items.map((r) => this.withArn('saml', decodeSaml(r))) };
  }

  async updateSamlProvider(caller: RamCaller, input: { name?: string; newEncodedMetadata?: string; newDescription?: string }): Promise<WithArn<SamlProvider>> {
    const name = this.required(input.name, 'saml');
    if (input.newEncodedMetadata === undefined && input.newDescription === undefined) throw new AppError('InvalidParameter.NewDescription');
    if (input.newEncodedMetadata !== undefined) parseSamlMetadata(input.newEncodedMetadata);
    const description = input.newDescription !== undefined ? checkDescription(input.newDescription) : undefined;
    await this.authorize(caller, 'UpdateSAMLProvider', name);
    const now = this.opts.clock();
    let next: SamlProvider | undefined;
    await this.opts.store.updateProvider('saml', name, (cur) => {
      const p = decodeSaml(cur);
      next = {
        ...p,
        ...(input.newEncodedMetadata !== undefined ? { encodedMetadata: input.newEncodedMetadata.replace(/\s+/g, '') } : {}),
        ...(description !== undefined ? { description } : {}),
        updateDate: now,
      };
      return { uniqueKey: null, document: JSON.stringify(next) };
    }, now);
    return this.withArn('saml', next!);
  }

  async deleteSamlProvider(caller: RamCaller, nameIn: string | undefined): Promise<void> {
    const name = this.required(nameIn, 'saml');
    await this.authorize(caller, 'DeleteSAMLProvider', name);
    await this.opts.store.deleteProvider('saml', name);
  }

  private async page(kind: ProviderKind, paging: Paging): Promise<Page<ProviderRecord>> {
    const limit = paging.maxItems ?? DEFAULT_MAX_ITEMS;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError('InvalidParameter.MaxItems');
    let after: string | undefined;
    if (paging.marker !== undefined) {
      const text = /^[A-Za-z0-9_-]{1,400}$/.test(paging.marker) ? Buffer.from(paging.marker, 'base64url').toString('utf8') : '';
      if (!text.startsWith(MARKER_TAG)) throw new AppError('InvalidParameter.Marker');
      after = text.slice(MARKER_TAG.length);
    }
    const rows = await this.opts.store.listProviders(kind, { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    if (rows.length <= limit) return { items: rows, isTruncated: false };
    const items = rows.slice(0, limit);
    return { items, isTruncated: true, marker: Buffer.from(MARKER_TAG + items[items.length - 1]!.name, 'utf8').toString('base64url') };
  }
}
