import type { IncomingMessage } from 'node:http';
import type { CredentialResolver } from '../auth/principal.js';
import { globalConditionKeys } from '../authz/context.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OssResponse } from '../oss/context.js';
import type { RamService } from '../ram/service.js';
import type { StsService } from '../sts/service.js';
import type { Clock } from '../util/time.js';
import { authenticateRpc, type NonceRegistry } from './authenticate.js';
import { RAM_VERSION, runRamAction } from './ram-actions.js';
import { formatOf, readRpcRequest, type RpcRequest } from './request.js';
import { newPopRequestId, popError, popSuccess } from './response.js';
import { runStsAction, STS_VERSION } from './sts-actions.js';

export interface RpcDeps {
  ram: RamService;
  sts: StsService;
  credentials: CredentialResolver;
  nonces: NonceRegistry;
  clock: Clock;
  log: Logger;
}

/** The POP product a Version belongs to: its error-page name and its public host (HostId). */
function productOf(version: string): { product: string; host: string } {
  if (version === STS_VERSION) return { product: 'Sts', host: 'sts.aliyuncs.com' };
  return { product: 'Ram', host: 'ram.aliyuncs.com' };
}

/**
 * One POP RPC request end to end: parse → authenticate (signature, Timestamp, nonce) → Version → action →
 * JSON/XML response. Every failure becomes a POP error body; the OSS pipeline is not involved.
 */
export async function handleRpc(deps: RpcDeps, req: IncomingMessage, rawQuery: string): Promise<{ response: OssResponse; action: string }> {
  const requestId = newPopRequestId();
  let format: 'JSON' | 'XML' = formatOf(new URLSearchParams(rawQuery).get('Format') ?? undefined);
  let rpc: RpcRequest | undefined;
  try {
    rpc = await readRpcRequest(req, rawQuery);
    format = rpc.format;
    if (rpc.action === '') throw new AppError('MissingAction');
    if (rpc.version === '') throw new AppError('MissingVersion');
    const now = deps.clock();
    const auth = await authenticateRpc(rpc, { credentials: deps.credentials, nonces: deps.nonces, now });
    const facts = {
      sourceIp: req.socket.remoteAddress ?? '',
      secureTransport: 'encrypted' in req.socket && req.socket.encrypted === true,
      accessKeyId: auth.accessKeyId,
    };
    if (rpc.version === STS_VERSION) {
      const result = await runStsAction(deps.sts, auth.principal, rpc.action, rpc.params, facts);
      return { response: popSuccess(rpc.action, format, requestId, result), action: rpc.action };
    }
    if (rpc.version !== RAM_VERSION) throw new AppError('InvalidVersion');
    const context = globalConditionKeys({ ...facts, now, userAgent: rpc.headers.get('user-agent'), referer: rpc.headers.get('referer') });
    const result = await runRamAction(deps.ram, { principal: auth.principal, context }, rpc.action, rpc.params);
    return { response: popSuccess(rpc.action, format, requestId, result), action: rpc.action };
  } catch (err) {
    let appErr: AppError;
    if (isAppError(err)) {
      appErr = err;
    } else {
      deps.log.error('internal error', { requestId, action: rpc?.action, err: err instanceof Error ? err.stack : String(err) });
      appErr = new AppError('InternalError');
    }
    const { product, host } = productOf(rpc?.version ?? '');
    return { response: popError(appErr, format, requestId, host, product), action: rpc?.action || 'Unknown' };
  }
}
