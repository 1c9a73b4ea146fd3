import { statementText, traceOf } from '../authz/outcome.js';
import { AppError } from '../errors.js';
import type { Decision, DecisionTrace } from '../policy/index.js';
import { ramActionResources } from '../ram/actions.js';
import type { RamAuthorizer } from '../ram/authorize.js';
import type { RamCaller } from '../ram/service.js';
import { principalLabel } from './record.js';
import type { KeptRefusal } from './kept-refusals.js';
import type { RecentRequest, RecentRequests } from './ring.js';

/** A recent request's authorization outcome, as ExplainRequest answers it. */
export interface RequestExplanation {
  requestId: string;
  /** Epoch milliseconds. */
  time: number;
  principal: string;
  sourceIp: string;
  action: string;
  resource?: string;
  /** Absent when the request was refused before authorization (signature, unknown key, bad request). */
  decision?: Decision;
  layer?: string;
  policy?: string;
  statementIndex: number;
  statement?: string;
  status: number;
  errorCode?: string;
  message?: string;
  /** Every layer of the decision, computed now from what the authorizer recorded (policy/explain.ts). */
  trace?: DecisionTrace;
}

/**
 * ExplainRequest (an Alunite extension of the RAM API): the recorded authorization outcome of one of the
 * last N requests. Authorized as `ram:ExplainRequest` on `acs:ram::<account>:request/<RequestId>`
 * through the same hook as every RAM action. A caller sees only requests of its own account; an
 * unknown id and another account's request get the same answer.
 */
/** Longest RequestId ExplainRequest takes (the server's ids are 24 or 36 characters). */
export const MAX_REQUEST_ID_CHARS = 64;

export class RequestExplainer {
  /** Refusals a previous run of the server kept across its stop (kept-refusals.ts), by request id. */
  private kept = new Map<string, KeptRefusal>();
  /** Whether this server keeps refusals across a stop (it has a data directory): said in the not-found message. */
  private keeping = false;

  constructor(
    private readonly recent: RecentRequests,
    private readonly authorize: RamAuthorizer,
    private readonly accountId: string,
    /** The metadata is shared with other processes (PostgreSQL): a request may have been answered by another one. */
    private readonly sharedMeta = false,
  ) {}

  /** What the previous run kept: explained like recent requests when the ring does not have the id. */
  restore(kept: Map<string, KeptRefusal>): void {
    this.kept = kept;
    this.keeping = true;
  }

  /**
   * What to keep across a stop, newest first (built one by one as the writer asks, so none past its bounds is
   * explained): the ring's refused and failed requests (status ≥ 400), then the refusals restored at start that
   * are younger than `maxAgeMs`. A message is kept only for a refusal by a decision (the service's fixed texts):
   * others can quote the request (a POP SignatureDoesNotMatch carries its whole string to sign, passwords and
   * tokens included), and a file on disk must not (the audit log keeps no message either).
   */
  *refusalsToKeep(now: number, maxAgeMs: number): IterableIterator<KeptRefusal> {
    const fromRing = new Set<string>();
    for (const rec of this.recent.newestFirst()) {
      if (rec.status < 400) continue;
      fromRing.add(rec.requestId);
      const explanation = explanationOf(rec);
      if (explanation.decision === undefined || explanation.decision === 'Allow') delete explanation.message;
      yield { accounts: [...this.accountsOf(rec)], explanation };
    }
    const restored = [...this.kept.values()].sort((x, y) => y.explanation.time - x.explanation.time);
    for (const k of restored) {
      if (!fromRing.has(k.explanation.requestId) && now - k.explanation.time <= maxAgeMs) yield k;
    }
  }

  async explain(caller: RamCaller, requestId: string | undefined): Promise<RequestExplanation> {
    if (requestId === undefined || requestId === '') throw new AppError('MissingRequestId');
    // Ids this server gives are 24 (OSS) or 36 (POP) characters. A longer one is refused before authorization,
    // whose resource (`…:request/<id>`) every denial logs and the ring of recent requests keeps: any credential,
    // one allowed nothing included, made each refused call with a 900 KB id cost ~1 MB of log and ~2 MB of memory.
    if (requestId.length > MAX_REQUEST_ID_CHARS) throw new AppError('InvalidParameter.RequestId.Length');
    // Each account explains its own requests (docs/accounts.md): authorized within the caller's account.
    const account = caller.principal.type === 'anonymous' ? this.accountId : caller.principal.accountId;
    await this.authorize({
      principal: caller.principal,
      action: 'ram:ExplainRequest',
      resources: ramActionResources(account, 'ExplainRequest', { requestId }),
      accountId: account,
      context: caller.context,
      trace: caller.trace,
    });
    const rec = this.recent.get(requestId);
    const kept = rec === undefined ? this.kept.get(requestId) : undefined;
    const callerAccount = caller.principal.type === 'anonymous' ? null : caller.principal.accountId;
    // Only a request wholly within the caller's account: the principal's and the resource owner's. Another
    // account's bucket policy, ACL or trust policy is never explained to this one (anonymous requests count as
    // the resource owner's).
    const accounts = rec !== undefined ? [...this.accountsOf(rec)] : kept?.accounts;
    if (accounts === undefined || callerAccount === null || accounts.some((a) => a !== callerAccount)) {
      throw new AppError(
        'EntityNotExist.Request',
        `The request ${requestId} is not among the last ${this.recent.capacity} requests this server has seen${this.keeping ? ', nor among the refused requests it kept across its last stop' : ''}.` +
          // Each process remembers only what it answered; behind a balancer the next call may reach another one.
          (this.sharedMeta ? ' Each server process sharing this database remembers only the requests it answered: ask the process that answered it, or read that process\'s audit log.' : ''),
      );
    }
    return rec !== undefined ? explanationOf(rec) : kept!.explanation;
  }

  /**
   * The accounts a request involves: its principal's and the owner of the resource its decision was about (the
   * account field of the ARN: a bucket's owner, a role's account); the default account when neither is known.
   */
  private accountsOf(rec: RecentRequest): Set<string> {
    const out = new Set<string>();
    const p = rec.principal;
    if (p !== null && p.type !== 'anonymous') out.add(p.accountId);
    const owner = /^acs:[a-z]+:[^:]*:(\d+):/.exec(rec.authz?.resource ?? '')?.[1];
    if (owner !== undefined) out.add(owner);
    if (out.size === 0) out.add(this.accountId);
    return out;
  }
}

function explanationOf(rec: RecentRequest): RequestExplanation {
  const a = rec.authz;
  const out: RequestExplanation = {
    requestId: rec.requestId,
    time: rec.time,
    principal: principalLabel(rec.principal),
    sourceIp: rec.sourceIp,
    action: rec.action,
    statementIndex: a?.statementIndex ?? -1,
    status: rec.status,
  };
  if (a !== undefined) {
    if (a.resource !== '') out.resource = a.resource;
    out.decision = a.decision;
    if (a.layer !== undefined) out.layer = a.layer;
    if (a.policy !== undefined) out.policy = a.policy;
    const statement = statementText(a.policyText, a.statementIndex);
    if (statement !== undefined) out.statement = statement;
    const trace = traceOf(a);
    if (trace !== undefined) out.trace = trace;
  }
  if (rec.errorCode !== undefined) out.errorCode = rec.errorCode;
  if (rec.message !== undefined) out.message = rec.message;
  return out;
}
