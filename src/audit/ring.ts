import type { Principal } from '../auth/principal.js';
import type { AuthzOutcome } from '../authz/outcome.js';
import type { RequestRecord } from './record.js';

/**
 * What ExplainRequest reads of a finished request (audit/explain.ts). The ring keeps this rather than the
 * record: the record also holds what only the logs needed (access-log facts with their header strings, the
 * arrival clock, byte counts), and every object kept for 10,000 requests is copied twice by V8's young-
 * generation collector before it reaches the old one. GC pauses over 36,000 RAM-user GETs: 223 ms keeping
 * records, 185 ms keeping these, 103 ms keeping nothing (the decision's basis is most of the rest).
 */
export interface RecentRequest {
  readonly requestId: string;
  readonly time: number;
  readonly principal: Principal | null;
  readonly sourceIp: string;
  /** The authorized action, else `<service>:<operation>` (RequestRecord.action). */
  readonly action: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly message: string | undefined;
  readonly authz: AuthzOutcome | undefined;
}

export const DEFAULT_RECENT_REQUESTS = 10_000;

/**
 * The last `capacity` finished requests by request id, for ExplainRequest ("why was this denied?").
 * In memory only: a restart forgets them. A circular array says which id to forget next (finding the
 * oldest key of a Map that keeps deleting its first entries would walk the deleted slots every time).
 */
export class RecentRequests {
  private readonly byId = new Map<string, RecentRequest>();
  private readonly order: Array<string | undefined>;
  private next = 0;

  constructor(readonly capacity: number = DEFAULT_RECENT_REQUESTS) {
    this.order = new Array<string | undefined>(capacity).fill(undefined);
  }

  add(rec: RequestRecord): void {
    const evicted = this.order[this.next];
    if (evicted !== undefined) this.byId.delete(evicted);
    this.order[this.next] = rec.requestId;
    this.next = (this.next + 1) % this.capacity;
    this.byId.set(rec.requestId, {
      requestId: rec.requestId,
      time: rec.time,
      principal: rec.principal,
      sourceIp: rec.sourceIp,
      action: rec.action,
      status: rec.status,
      errorCode: rec.errorCode,
      message: rec.message,
      authz: rec.authz,
    });
  }

  get(requestId: string): RecentRequest | undefined {
    return this.byId.get(requestId);
  }

  get size(): number {
    return this.byId.size;
  }
}
