import { openSync } from 'node:fs';
import { pino } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log.js';
import type { RequestRecord } from './record.js';
import { traceOf } from '../authz/outcome.js';
import type { DecisionTrace, LayerTrace } from '../policy/index.js';

/** `allow`, `deny`, `error-before-authorization` (bad signature, unknown key, malformed request, …), or `cors-preflight` (unsigned OPTIONS). */
export type AuditDecision = 'allow' | 'deny' | 'error-before-authorization' | 'cors-preflight';

/** One audit line (JSON). Never secrets: no signatures, tokens, AccessKey secrets or request bodies. */
export interface AuditLine {
  time: string;
  requestId: string;
  service: string;
  operation: string;
  principal: AuditPrincipal | null;
  sourceIp: string;
  action: string;
  resource: string | undefined;
  decision: AuditDecision;
  /** ExplicitDeny or ImplicitDeny, for denials. */
  noPermissionType: string | undefined;
  layer: string | undefined;
  policy: string | undefined;
  statement: number | undefined;
  /** Denials only: every layer of the decision (bounded: see boundedTrace). */
  trace: AuditTrace | undefined;
  status: number;
  errorCode: string | undefined;
  bytesIn: number;
  bytesOut: number;
  latencyMs: number;
  /** Base64 JSON of the headers and query parameters the bucket configured (PutUserDefinedLogFieldsConfig). */
  userDefinedLogFields: string | undefined;
}

export type AuditPrincipal =
  | { type: 'anonymous' }
  | { type: 'root'; accountId: string; accessKeyId: string }
  | { type: 'user'; accountId: string; userName: string; userId: string; accessKeyId: string }
  | { type: 'session'; accountId: string; roleName: string; roleId: string; sessionName: string; accessKeyId: string };

/** The principal without what must never be logged (an STS session's policy stays out too: it is verbose). */
function auditPrincipal(p: Principal | null): AuditPrincipal | null {
  if (p === null) return null;
  switch (p.type) {
    case 'anonymous':
      return { type: 'anonymous' };
    case 'root':
      return { type: 'root', accountId: p.accountId, accessKeyId: p.accessKeyId };
    case 'user':
      return { type: 'user', accountId: p.accountId, userName: p.userName, userId: p.userId, accessKeyId: p.accessKeyId };
    case 'session':
      return { type: 'session', accountId: p.accountId, roleName: p.roleName, roleId: p.roleId, sessionName: p.sessionName, accessKeyId: p.accessKeyId };
  }
}

export function auditLineOf(rec: RequestRecord): AuditLine {
  const a = rec.authz;
  // Keys in reading order; undefined values are left out by JSON.stringify.
  return {
    time: new Date(rec.time).toISOString(),
    requestId: rec.requestId,
    service: rec.service ?? 'internal',
    operation: rec.operation,
    principal: auditPrincipal(rec.principal),
    sourceIp: rec.sourceIp,
    action: rec.action,
    resource: a === undefined || a.resource === '' ? undefined : a.resource,
    decision: rec.operation === 'Preflight' ? 'cors-preflight' : a === undefined ? 'error-before-authorization' : a.decision === 'Allow' ? 'allow' : 'deny',
    noPermissionType: a === undefined || a.decision === 'Allow' ? undefined : a.decision,
    layer: a?.layer,
    policy: a?.policy,
    statement: a !== undefined && a.statementIndex >= 0 ? a.statementIndex : undefined,
    // Computed here, for denials only: allowed requests (the hot path) never build a trace.
    trace: a !== undefined && a.decision !== 'Allow' ? boundedTrace(traceOf(a)) : undefined,
    status: rec.status,
    errorCode: rec.errorCode,
    bytesIn: rec.bytesIn,
    bytesOut: rec.bytesOut,
    latencyMs: Math.round(rec.latencyMs * 1000) / 1000,
    userDefinedLogFields: rec.userDefinedLogFields,
  };
}

/** A trace as the audit line carries it; `truncated` when statements were left out to stay under the bound. */
export interface AuditTrace {
  decision: string;
  decidingLayer: string | undefined;
  layers: readonly LayerTrace[];
  truncated?: true;
}

/** The most a trace may add to one audit line (policies can hold hundreds of statements). */
export const AUDIT_TRACE_MAX_CHARS = 8192;

/**
 * The trace within AUDIT_TRACE_MAX_CHARS: whole if it fits; else only the statements that applied or
 * failed on a Principal or Condition (the ones that say why, not those for other actions/resources);
 * else the layers' verdicts and reasons alone.
 */
export function boundedTrace(t: DecisionTrace | undefined, max = AUDIT_TRACE_MAX_CHARS): AuditTrace | undefined {
  if (t === undefined) return undefined;
  const full: AuditTrace = { decision: t.decision, decidingLayer: t.decidingLayer, layers: t.layers };
  if (JSON.stringify(full).length <= max) return full;
  const telling: AuditTrace = {
    ...full,
    truncated: true,
    layers: t.layers.map((l) => ({ ...l, policies: l.policies.map((p) => ({ ...p, statements: p.statements.filter((s) => s.applied || s.failed === 'Principal' || s.failed === 'Condition') })) })),
  };
  if (JSON.stringify(telling).length <= max) return telling;
  return { ...full, truncated: true, layers: t.layers.map((l) => ({ ...l, policies: [] })) };
}

/**
 * The audit log: one JSON line per OSS and RAM/STS request, appended to a file. Writes are buffered and
 * asynchronous (pino's SonicBoom: lines written while a write is in flight go out together), so the
 * request path only serializes a line; close() flushes what is left. The file is opened at start-up
 * (mode 0600 when created), so a bad path fails start-up with a message naming it.
 */
export class AuditLog {
  private readonly dest: ReturnType<typeof pino.destination>;
  private failed = false;

  constructor(readonly file: string, log: Logger) {
    let fd: number;
    try {
      fd = openSync(file, 'a', 0o600);
    } catch (err) {
      throw new Error(`cannot open the audit log ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.dest = pino.destination({ fd, sync: false });
    this.dest.on('error', (err: Error) => {
      // Keep serving; say once that the audit trail has a gap.
      if (!this.failed) log.error('audit log write failed', { file, err: err.message });
      this.failed = true;
    });
  }

  write(rec: RequestRecord): void {
    this.dest.write(`${JSON.stringify(auditLineOf(rec))}\n`);
  }

  /** Writes out what is buffered and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.dest.once('close', () => resolve());
      this.dest.once('error', () => resolve());
      this.dest.end();
    });
  }
}
