// `oidcProviders:` and `samlProviders:` of a state file (docs/init.md): the account's IMS identity providers,
// checked with IMS's own rules (ims/model.ts), applied and exported through the account's ImsService as its root.
import { isAppError } from '../errors.js';
import { checkDescription, checkIssuerUrl, checkProviderName, parseClientIds, parseFingerprints, parseIssuanceLimitTime, parseSamlMetadata } from '../ims/model.js';
import type { ImsService } from '../ims/service.js';
import type { RamCaller } from '../ram/service.js';
import type { Checker, Json } from './load.js';
import { applyStep, type InitState, type Where } from './state.js';

export interface DeclaredOidcProvider {
  name: string;
  issuerUrl: string;
  clientIds: string[];
  fingerprints: string[];
  issuanceLimitTime?: number;
  description?: string;
  at: Where;
}

export interface DeclaredSamlProvider {
  name: string;
  /** The IdP's metadata document, Base64-encoded (as CreateSAMLProvider takes it). */
  metadata: string;
  description?: string;
  at: Where;
}

type Path = Array<string | number>;

/** Runs an IMS check; its refusal becomes a fault at `path`. */
function rule<T>(c: Checker, path: Path, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    c.fault(path, isAppError(err) ? err.message : String(err));
    return undefined;
  }
}

function stringList(c: Checker, value: Json | undefined, path: Path): string[] | undefined {
  const out: string[] = [];
  for (const [i, v] of c.list(value, path).entries()) {
    const s = c.string(v, [...path, i], { required: true });
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

/** Validates `oidcProviders:` and `samlProviders:` of one account into `state`. */
export function checkProviders(c: Checker, top: { [k: string]: Json }, state: InitState): void {
  const oidc: DeclaredOidcProvider[] = [];
  const oidcNames = new Set<string>();
  c.list(top.oidcProviders, ['oidcProviders']).forEach((v, i) => {
    const path = ['oidcProviders', i];
    const o = c.object(v, path, ['name', 'issuerUrl', 'clientIds', 'fingerprints', 'issuanceLimitTime', 'description'], 'an OIDC provider');
    if (!o) return;
    const rawName = c.string(o.name, [...path, 'name'], { required: true });
    const name = rawName === undefined ? undefined : rule(c, [...path, 'name'], () => checkProviderName('oidc', rawName));
    if (name !== undefined && oidcNames.has(name)) c.fault([...path, 'name'], `OIDC provider ${name} is declared twice`);
    if (name !== undefined) oidcNames.add(name);
    const rawUrl = c.string(o.issuerUrl, [...path, 'issuerUrl'], { required: true });
    const issuerUrl = rawUrl === undefined ? undefined : rule(c, [...path, 'issuerUrl'], () => checkIssuerUrl(rawUrl));
    const ids = stringList(c, o.clientIds, [...path, 'clientIds']);
    const clientIds = ids === undefined ? undefined : rule(c, [...path, 'clientIds'], () => parseClientIds(ids.join(',')));
    const fps = stringList(c, o.fingerprints, [...path, 'fingerprints']);
    const fingerprints = fps === undefined ? undefined : rule(c, [...path, 'fingerprints'], () => parseFingerprints(fps.join(',')));
    let issuanceLimitTime: number | undefined;
    if (o.issuanceLimitTime !== undefined) issuanceLimitTime = rule(c, [...path, 'issuanceLimitTime'], () => parseIssuanceLimitTime(String(o.issuanceLimitTime)));
    const rawDescription = c.string(o.description, [...path, 'description']);
    const description = rawDescription === undefined ? undefined : rule(c, [...path, 'description'], () => checkDescription(rawDescription));
    if (name === undefined || issuerUrl === undefined || clientIds === undefined || fingerprints === undefined) return;
    oidc.push({
      name, issuerUrl, clientIds, fingerprints,
      ...(issuanceLimitTime !== undefined ? { issuanceLimitTime } : {}),
      ...(description !== undefined ? { description } : {}),
      at: c.where(path),
    });
  });
  const saml: DeclaredSamlProvider[] = [];
  const samlNames = new Set<string>();
  c.list(top.samlProviders, ['samlProviders']).forEach((v, i) => {
    const path = ['samlProviders', i];
    const o = c.object(v, path, ['name', 'metadata', 'description'], 'a SAML provider');
    if (!o) return;
    const rawName = c.string(o.name, [...path, 'name'], { required: true });
    const name = rawName === undefined ? undefined : rule(c, [...path, 'name'], () => checkProviderName('saml', rawName));
    if (name !== undefined && samlNames.has(name)) c.fault([...path, 'name'], `SAML provider ${name} is declared twice`);
    if (name !== undefined) samlNames.add(name);
    const rawMetadata = c.string(o.metadata, [...path, 'metadata'], { required: true });
    const metadata = rawMetadata === undefined ? undefined : rule(c, [...path, 'metadata'], () => {
      const compact = rawMetadata.replace(/\s+/g, '');
      parseSamlMetadata(compact);
      return compact;
    });
    const rawDescription = c.string(o.description, [...path, 'description']);
    const description = rawDescription === undefined ? undefined : rule(c, [...path, 'description'], () => checkDescription(rawDescription));
    if (name === undefined || metadata === undefined) return;
    saml.push({ name, metadata, ...(description !== undefined ? { description } : {}), at: c.where(path) });
  });
  if (oidc.length > 0) state.oidcProviders = oidc;
  if (saml.length > 0) state.samlProviders = saml;
}

const step = applyStep;

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Creates the declared providers that are missing and brings the others to their declared fields. */
export async function applyProviders(state: InitState, ims: ImsService, caller: RamCaller): Promise<string[]> {
  const changes: string[] = [];
  for (const p of state.oidcProviders ?? []) {
    await step(p.at, async () => {
      const current = await ims.findOidcProvider(p.name);
      if (!current) {
        await ims.createOidcProvider(caller, {
          name: p.name, issuerUrl: p.issuerUrl, clientIds: p.clientIds.join(','), fingerprints: p.fingerprints.join(','),
          ...(p.issuanceLimitTime !== undefined ? { issuanceLimitTime: String(p.issuanceLimitTime) } : {}),
          ...(p.description !== undefined ? { description: p.description } : {}),
        });
        changes.push(`created OIDC provider ${p.name}`);
        return;
      }
      if (current.issuerUrl !== p.issuerUrl) throw new Error(`the OIDC provider ${p.name} has issuer ${current.issuerUrl}: an issuer cannot change (delete the provider first)`);
      const changed: string[] = [];
      const clientIds = sameList(current.clientIds, p.clientIds) ? undefined : p.clientIds.join(',');
      const description = p.description !== undefined && p.description !== current.description ? p.description : undefined;
      const limit = p.issuanceLimitTime !== undefined && p.issuanceLimitTime !== current.issuanceLimitTime ? String(p.issuanceLimitTime) : undefined;
      if (clientIds !== undefined || description !== undefined || limit !== undefined) {
        await ims.updateOidcProvider(caller, {
          name: p.name,
          ...(clientIds !== undefined ? { clientIds } : {}),
          ...(description !== undefined ? { newDescription: description } : {}),
          ...(limit !== undefined ? { issuanceLimitTime: limit } : {}),
        });
        if (clientIds !== undefined) changed.push('clientIds');
        if (description !== undefined) changed.push('description');
        if (limit !== undefined) changed.push('issuanceLimitTime');
      }
      if (!sameList(current.fingerprints, p.fingerprints)) {
        for (const fp of current.fingerprints) if (!p.fingerprints.includes(fp)) await ims.removeFingerprint(caller, p.name, fp);
        for (const fp of p.fingerprints) if (!current.fingerprints.includes(fp)) await ims.addFingerprint(caller, p.name, fp);
        changed.push('fingerprints');
      }
      if (changed.length > 0) changes.push(`updated OIDC provider ${p.name}: ${changed.join(', ')}`);
    });
  }
  for (const p of state.samlProviders ?? []) {
    await step(p.at, async () => {
      const current = await ims.findSamlProvider(p.name);
      if (!current) {
        await ims.createSamlProvider(caller, { name: p.name, encodedMetadata: p.metadata, ...(p.description !== undefined ? { description: p.description } : {}) });
        changes.push(`created SAML provider ${p.name}`);
        return;
      }
      const metadata = current.encodedMetadata !== p.metadata ? p.metadata : undefined;
      const description = p.description !== undefined && p.description !== current.description ? p.description : undefined;
      if (metadata === undefined && description === undefined) return;
      await ims.updateSamlProvider(caller, { name: p.name, ...(metadata !== undefined ? { newEncodedMetadata: metadata } : {}), ...(description !== undefined ? { newDescription: description } : {}) });
      changes.push(`updated SAML provider ${p.name}: ${[metadata !== undefined ? 'metadata' : '', description !== undefined ? 'description' : ''].filter((x) => x !== '').join(', ')}`);
    });
  }
  return changes;
}

/** The account's providers in the form `checkProviders` reads (empty lists left out). */
export async function exportProviders(ims: ImsService, caller: RamCaller): Promise<Record<string, unknown>> {
  const oidc: Array<Record<string, unknown>> = [];
  let marker: string | undefined;
  do {
    const page = await ims.listOidcProviders(caller, marker !== undefined ? { marker } : {});
    for (const p of page.items) {
      oidc.push({
        name: p.name, issuerUrl: p.issuerUrl, clientIds: p.clientIds, fingerprints: p.fingerprints, issuanceLimitTime: p.issuanceLimitTime,
        ...(p.description !== '' ? { description: p.description } : {}),
      });
    }
    marker = page.isTruncated ? page.marker : undefined;
  } while (marker !== undefined);
  const saml: Array<Record<string, unknown>> = [];
  marker = undefined;
  do {
    const page = await ims.listSamlProviders(caller, marker !== undefined ? { marker } : {});
    for (const p of page.items) saml.push({ name: p.name, metadata: p.encodedMetadata, ...(p.description !== '' ? { description: p.description } : {}) });
    marker = page.isTruncated ? page.marker : undefined;
  } while (marker !== undefined);
  return { ...(oidc.length > 0 ? { oidcProviders: oidc } : {}), ...(saml.length > 0 ? { samlProviders: saml } : {}) };
}
