// Identity providers (OIDC and SAML, IMS API 2019-08-15) in the identity store: one table on both engines,
// `ram_identity_providers` (kind, name) → JSON document, so a provider field added later needs no migration.
// `unique_key` holds what must be unique per kind besides the name (an OIDC provider's IssuerUrl), or null.
import { AppError, type ErrorCode } from '../../errors.js';
import type { NamePage } from './types.js';

export type ProviderKind = 'oidc' | 'saml';

/** One stored provider: its document is the IMS service's JSON (ims/model.ts), opaque to the store. */
export interface ProviderRecord {
  kind: ProviderKind;
  name: string;
  uniqueKey: string | null;
  document: string;
  created: number;
  updated: number;
}

/** The next state of a provider, from its current one (run inside the store's transaction). */
export type ProviderDecider = (current: ProviderRecord) => { uniqueKey: string | null; document: string };

/**
 * Implemented by the SQLite and PostgreSQL identity stores (sqlite/providers.ts, postgres/providers.ts).
 * `account`: whose providers ('' or omitted: the server's default account; names and issuers are unique per
 * account, docs/accounts.md). An account's view (accounts/scoped-identity.ts scopedProviderStore) fixes it.
 */
export interface ProviderStore {
  /** EntityAlreadyExists.<Kind>Provider (name or unique key taken), LimitExceeded.<Kind>Provider beyond `max`. */
  createProvider(record: ProviderRecord, max: number, account?: string): Promise<void>;
  getProvider(kind: ProviderKind, name: string, account?: string): Promise<ProviderRecord | null>;
  /** EntityNotExist.<Kind>Provider when absent; the decider may throw to refuse (nothing changes). */
  updateProvider(kind: ProviderKind, name: string, decide: ProviderDecider, now: number, account?: string): Promise<ProviderRecord>;
  listProviders(kind: ProviderKind, page: NamePage, account?: string): Promise<ProviderRecord[]>;
  deleteProvider(kind: ProviderKind, name: string, account?: string): Promise<void>;
}

export const PROVIDER_ERRORS: Record<ProviderKind, { missing: ErrorCode; exists: ErrorCode; limit: ErrorCode }> = {
  oidc: { missing: 'EntityNotExist.OIDCProvider', exists: 'EntityAlreadyExists.OIDCProvider', limit: 'LimitExceeded.OIDCProvider' },
  saml: { missing: 'EntityNotExist.SAMLProvider', exists: 'EntityAlreadyExists.SAMLProvider', limit: 'LimitExceeded.SAMLProvider' },
};

export function providerMissing(kind: ProviderKind): AppError {
  return new AppError(PROVIDER_ERRORS[kind].missing);
}

/** The row shape both engines select (numbers may come back as strings from PostgreSQL bigint). */
export interface ProviderRow {
  kind: string;
  name: string;
  unique_key: string | null;
  document: string;
  created: number | string;
  updated: number | string;
}

export function toProvider(r: ProviderRow): ProviderRecord {
  return { kind: r.kind as ProviderKind, name: r.name, uniqueKey: r.unique_key, document: r.document, created: Number(r.created), updated: Number(r.updated) };
}
