import type { RequestRecord } from './record.js';

export const DEFAULT_RECENT_REQUESTS = 10_000;

/**
 * The last `capacity` finished requests by request id, for ExplainRequest ("why was this denied?").
 * In memory only: a restart forgets them. A Map keeps insertion order, so the oldest is the first key.
 */
export class RecentRequests {
  private readonly byId = new Map<string, RequestRecord>();

  constructor(readonly capacity: number = DEFAULT_RECENT_REQUESTS) {}

  add(rec: RequestRecord): void {
    this.byId.set(rec.requestId, rec);
    if (this.byId.size > this.capacity) {
      const oldest = this.byId.keys().next();
      if (!oldest.done) this.byId.delete(oldest.value);
    }
  }

  get(requestId: string): RequestRecord | undefined {
    return this.byId.get(requestId);
  }

  get size(): number {
    return this.byId.size;
  }
}
