import type { RequestExplainer } from '../audit/explain.js';
import type { RamCaller } from '../ram/service.js';
import { optParam, type RpcParams } from './encoding.js';
import type { WireObject } from './response.js';
import { traceWire } from './trace-wire.js';

/** Alunite extension of RAM (Version 2015-05-01), documented in docs/policy.md. */
export const EXPLAIN_ACTION = 'ExplainRequest';

/**
 * ExplainRequest: `RequestId` → `{Request: {RequestId, Time, Principal, SourceIp, Action, Resource,
 * Decision, Layer, Policy, StatementIndex, Statement, Status, ErrorCode, Message}}`; fields that do not
 * apply are left out (StatementIndex is always there, -1 when no statement decided). `Trace` holds every
 * layer in evaluation order with each policy's statements and what failed (rpc/trace-wire.ts); absent
 * when the request was refused before authorization.
 */
export async function runExplainRequest(explainer: RequestExplainer, caller: RamCaller, params: RpcParams): Promise<WireObject> {
  const e = await explainer.explain(caller, optParam(params, 'RequestId'));
  return {
    Request: {
      RequestId: e.requestId,
      Time: new Date(e.time).toISOString(),
      Principal: e.principal,
      SourceIp: e.sourceIp,
      Action: e.action,
      Resource: e.resource,
      Decision: e.decision,
      Layer: e.layer,
      Policy: e.policy,
      StatementIndex: e.statementIndex,
      Statement: e.statement,
      Status: e.status,
      ErrorCode: e.errorCode,
      Message: e.message,
      Trace: e.trace === undefined ? undefined : traceWire(e.trace),
    },
  };
}
