import type { IncomingMessage } from 'node:http';
import type { CredentialResolver } from '../auth/principal.js';
import { globalConditionKeys } from '../authz/context.js';
import { AppError, isAppError, popWireForm } from '../errors.js';
import type { RequestExplainer } from '../audit/explain.js';
import { principalLabel, type RequestRecord } from '../audit/record.js';
import { EXPLAIN_ACTION, runExplainRequest } from './explain-action.js';
import type { Logger } from '../log.js';
import type { OssResponse } from '../oss/context.js';
import type { RamService } from '../ram/service.js';
import type { StsService } from '../sts/service.js';
import type { Clock } from '../util/time.js';
import { authenticateRpc, type NonceRegistry } from './authenticate.js';
import { isRamAction, RAM_VERSION, runRamAction } from './ram-actions.js';
import { formatOf, readRpcRequest, type RpcRequest } from './request.js';
import { newPopRequestId, popError, popSuccess } from './response.js';
import { isStsAction, runStsAction, STS_VERSION } from './sts-actions.js';
import type { RamExtras } from '../ram/extras.js';
import { isRamExtraAction, runRamExtraAction } from './ram-extra-actions.js';
import type { WireObject } from './response.js';
// federation: IMS identity providers and AssumeRoleWithOIDC/SAML
import type { ImsService } from '../ims/service.js';
import type { FederationService } from '../sts/federation.js';
import { IMS_VERSION, isImsAction, runImsAction } from './ims-actions.js';
import { isFederationAction, runFederationAction } from './federation-actions.js';
import { ANONYMOUS } from '../auth/principal.js';
import { answersBusy, countedResponse } from '../http/held-answers.js';
import { clientOfBody } from '../http/held-bytes.js';
import { ERROR_ECHO_LIMITS } from '../oss/error-response.js';

export interface RpcDeps {
  ram: RamService;
  sts: StsService;
  credentials: CredentialResolver;
  nonces: NonceRegistry;
  clock: Clock;
  log: Logger;
  /** ExplainRequest (Alunite extension of RAM); absent: the action does not exist. */
  explain?: RequestExplainer;
  /** Login profiles, MFA, account settings, DecodeDiagnosticMessage, … (docs/ram.md); absent: those actions do not exist. */
  extras?: RamExtras;
  /** IMS (Version 2019-08-15) identity providers; absent: that Version is unknown. */
  ims?: ImsService;
  /** AssumeRoleWithOIDC / AssumeRoleWithSAML; absent: those actions do not exist. */
  federation?: FederationService;
  /** Several accounts (docs/accounts.md): the RamService of the caller's own account. */
  ramFor?: (accountId: string) => RamService;
  /** Several accounts: the caller's own account's login profiles, MFA, settings, tags, diagnostics (else `extras`). */
  extrasFor?: (accountId: string) => RamExtras;
  /** Several accounts: the caller's own account's identity providers (else `ims`). */
  imsFor?: (accountId: string) => ImsService;
}

/** The POP product a Version belongs to: its error-page name and its public host (HostId). */
function productOf(version: string): { product: string; host: string } {
  if (version === STS_VERSION) return { product: 'Sts', host: 'sts.aliyuncs.com' };
  if (version === IMS_VERSION) return { product: 'Ims', host: 'ims.aliyuncs.com' };
  return { product: 'Ram', host: 'ram.aliyuncs.com' };
}

/**
 * One POP RPC request end to end: parse → authenticate (signature, Timestamp, nonce) → Version → action →
 * JSON/XML response. Every failure becomes a POP error body; the OSS pipeline is not involved.
 */
export async function handleRpc(deps: RpcDeps, req: IncomingMessage, rawQuery: string, rec?: RequestRecord): Promise<{ response: OssResponse; action: string }> {
  const requestId = newPopRequestId();
  if (rec) {
    rec.requestId = requestId;
    rec.service = 'ram';
  }
  // The asked-for format, read from the query alone only if the request cannot be parsed (URLSearchParams costs).
  let format: 'JSON' | 'XML' | undefined;
  let rpc: RpcRequest | undefined;
  try {
    rpc = await readRpcRequest(req, rawQuery);
    format = rpc.format;
    if (rec) {
      rec.service = rpc.version === STS_VERSION ? 'sts' : 'ram';
      rec.operation = knownAction(rpc.version, rpc.action);
    }
    if (rpc.action === '') throw new AppError('MissingAction');
    if (rpc.version === '') throw new AppError('MissingVersion');
    const now = deps.clock();
    // federation: the identity provider's token is the credential of these STS actions (anonymous requests).
    if (rpc.version === STS_VERSION && isFederationAction(rpc.action) && deps.federation) {
      if (rec) rec.principal = ANONYMOUS;
      const facts = { sourceIp: req.socket.remoteAddress ?? '', secureTransport: 'encrypted' in req.socket && req.socket.encrypted === true, trace: rec };
      const result = await runFederationAction(deps.federation, rpc.action, rpc.params, facts);
      return { response: held(popSuccess(rpc.action, format, requestId, result), rpc.action, req), action: rpc.action };
    }
    const auth = await authenticateRpc(rpc, { credentials: deps.credentials, nonces: deps.nonces, now });
    if (rec) rec.principal = auth.principal;
    const facts = {
      sourceIp: req.socket.remoteAddress ?? '',
      secureTransport: 'encrypted' in req.socket && req.socket.encrypted === true,
      accessKeyId: auth.accessKeyId,
    };
    if (rpc.version === STS_VERSION) {
      const result = await runStsAction(deps.sts, auth.principal, rpc.action, rpc.params, { ...facts, trace: rec });
      allowedWithoutPolicy(rec, `sts:${rpc.action}`);
      return { response: held(popSuccess(rpc.action, format, requestId, result), rpc.action, req), action: rpc.action };
    }
    // Every RAM and IMS action acts on the caller's own account (docs/accounts.md).
    const own = auth.principal.type !== 'anonymous' ? auth.principal.accountId : undefined;
    if (rpc.version === IMS_VERSION && deps.ims) {
      const context = globalConditionKeys({ ...facts, now, userAgent: rpc.headers.get('user-agent'), referer: rpc.headers.get('referer') });
      const ims = own !== undefined && deps.imsFor ? deps.imsFor(own) : deps.ims;
      const result = await runImsAction(ims, { principal: auth.principal, context, trace: rec }, rpc.action, rpc.params);
      return { response: held(popSuccess(rpc.action, format, requestId, result), rpc.action, req), action: rpc.action };
    }
    if (rpc.version !== RAM_VERSION) throw new AppError('InvalidVersion');
    const context = globalConditionKeys({ ...facts, now, userAgent: rpc.headers.get('user-agent'), referer: rpc.headers.get('referer') });
    const caller = { principal: auth.principal, context, trace: rec };
    const result = rpc.action === EXPLAIN_ACTION && deps.explain
      ? await runExplainRequest(deps.explain, caller, rpc.params)
      : deps.extras && isRamExtraAction(rpc.action)
        ? await runRamExtraAction(own !== undefined && deps.extrasFor ? deps.extrasFor(own) : deps.extras, caller, rpc.action, rpc.params)
        : await runRamAction(deps.ramFor && own !== undefined ? deps.ramFor(own) : deps.ram, caller, rpc.action, rpc.params);
    return { response: held(popSuccess(rpc.action, format, requestId, result), rpc.action, req), action: rpc.action };
  } catch (err) {
    if (format === undefined) {
      const query = new URLSearchParams(rawQuery);
      format = formatOf(query.get('Format') ?? undefined, query.has('Action'));
    }
    let appErr: AppError;
    if (isAppError(err)) {
      appErr = err;
      if (appErr.code === 'NoPermission') logDenial(deps.log, requestId, rpc, rec, appErr.message);
    } else {
      deps.log.error('internal error', { requestId, action: rpc?.action, err: err instanceof Error ? err.stack : String(err) });
      appErr = new AppError('InternalError');
    }
    if (rec) {
      const wire = popWireForm(appErr);
      rec.errorCode = wire.code;
      rec.message = wire.message;
    }
    const { product, host } = productOf(rpc?.version ?? '');
    const detail = appErr.code === 'NoPermission' ? accessDeniedDetail(deps, rec) : undefined;
    // An error can quote the request whole: SignatureDoesNotMatch quotes the string to sign, the body percent-encoded
    // twice (a raw 3-byte character becomes 15 bytes), so a 1 MiB body with a known AccessKeyId (every presigned URL
    // shows one) and any signature was a 5 MB answer that nothing counted: 300 connections that sent it and never read
    // took the server from 112 MB to 917 MB. Counted as a read's answer is; past the bound the message is cut as OSS
    // error documents cut their echoes, so the client still learns what went wrong.
    const whole = popError(appErr, format, requestId, host, product, detail);
    const response = countedResponse(whole, clientOfBody(req), false) ?? popError(appErr, format, requestId, host, product, detail, ERROR_ECHO_LIMITS.bodyValueChars);
    return { response, action: rpc?.action || 'Unknown' };
  }
}

/**
 * A large answer counted among the held answers until sent (http/held-answers.ts), as OSS answers are: a page of 1,000
 * policies whose descriptions are 1,024 `<` is ~4 MB as XML, and any tenant could ask it on many connections and never
 * read. A read's answer past the bound is 503 (thrown, so answered as a POP error); a write's is done and sent.
 */
function held(response: OssResponse, action: string, req: IncomingMessage): OssResponse {
  const counted = countedResponse(response, clientOfBody(req), !/^(List|Get|Simulate|Explain|Decode)/.test(action));
  if (counted === null) throw answersBusy();
  return counted;
}

/**
 * "Why was this denied?" for RAM and STS, as the OSS pipeline logs its AccessDenied: the request id the
 * client got, who asked, the action and resource, and what decided (never parameters: they hold secrets).
 */
function logDenial(log: Logger, requestId: string, rpc: RpcRequest | undefined, rec: RequestRecord | undefined, message: string): void {
  const service = rpc?.version === STS_VERSION ? 'sts' : 'ram';
  const a = rec?.authz;
  log.info('access denied', {
    requestId,
    principal: principalLabel(rec?.principal ?? null),
    action: a?.action ?? `${service}:${rpc?.action ?? 'Unknown'}`,
    resource: a?.resource,
    decision: a?.decision,
    layer: a?.layer,
    policy: a?.policy,
    statement: a !== undefined && a.statementIndex >= 0 ? a.statementIndex : undefined,
    message,
  });
}

/** The action name for metrics and audit: only names the server has, so clients cannot mint label values. */
function knownAction(version: string, action: string): string {
  if (version === STS_VERSION) return isStsAction(action) || isFederationAction(action) ? action : 'Unknown';
  if (version === IMS_VERSION) return isImsAction(action) ? action : 'Unknown';
  return isRamAction(action) || isRamExtraAction(action) || action === EXPLAIN_ACTION ? action : 'Unknown';
}

/** A denial's AccessDeniedDetail with its EncodedDiagnosticMessage (only when a policy decision refused). */
function accessDeniedDetail(deps: RpcDeps, rec: RequestRecord | undefined): WireObject | undefined {
  const a = rec?.authz;
  if (!deps.extras || !a || a.decision === 'Allow' || !rec?.principal) return undefined;
  const detail = deps.extras.diagnostics.accessDeniedDetail(a, rec.principal, deps.clock());
  return detail === null ? undefined : { AccessDeniedDetail: detail };
}

/** Actions that succeed without a policy decision (GetCallerIdentity is never denied) still count as allowed. */
function allowedWithoutPolicy(rec: RequestRecord | undefined, action: string): void {
  if (rec && rec.authz === undefined) rec.authz = { action, resource: '', decision: 'Allow', statementIndex: -1 };
}
