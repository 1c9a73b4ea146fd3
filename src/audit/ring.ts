import type { RequestRecord } from './record.js';

export const DEFAULT_RECENT_REQUESTS = 10_000;

/**
 * The last `capacity` finished requests by request id, for ExplainRequest ("why was this denied?").
 * In memory only: a restart forgets them. A circular array says which id to forget next (finding the
 * oldest key of a Map that keeps deleting its first entries would walk the deleted slots every time).
 */
export class RecentRequests {
  private readonly byId = new Map<string, RequestRecord>();
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
    this.byId.set(rec.requestId, rec);
  }

  get(requestId: string): RequestRecord | undefined {
    return this.byId.get(requestId);
  }

  get size(): number {
    return this.byId.size;
  }
}
