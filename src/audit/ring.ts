import type { RequestRecord } from './record.js';

/**
 * What ExplainRequest reads of a finished request (audit/explain.ts); `action` is the authorized action,
 * else `<service>:<operation>`. The ring keeps this rather than the record: the record also holds what only
 * the logs needed (access-log facts with their header strings, the arrival clock, byte counts), and every
 * object kept for 10,000 requests is copied twice by V8's young-generation collector before it reaches the
 * old one. GC pauses over 36,000 RAM-user GETs: 223 ms keeping records, 185 ms keeping these, 103 ms keeping
 * nothing (the decision's basis is most of the rest).
 */
export type RecentRequest = Readonly<Pick<RequestRecord, 'requestId' | 'time' | 'principal' | 'sourceIp' | 'action' | 'status' | 'errorCode' | 'message' | 'authz'>>;

export const DEFAULT_RECENT_REQUESTS = 10_000;

/**
 * Characters of an answer's message kept per request. Messages can quote the request: a POP
 * SignatureDoesNotMatch carries the whole string to sign, up to the 1 MiB body percent-encoded, so 300
 * requests with a known AccessKeyId and any Signature kept ~335 MB here (10,000: ~11 GB).
 */
export const RECENT_MESSAGE_CHARS = 1024;

function clipped(message: string | undefined): string | undefined {
  if (message === undefined || message.length <= RECENT_MESSAGE_CHARS) return message;
  return `${detached(message.slice(0, RECENT_MESSAGE_CHARS))}…[${message.length - RECENT_MESSAGE_CHARS} more characters]`;
}

/**
 * A copy of `s` that shares no memory with the string it was cut from. V8 makes `slice()` of 13 characters or
 * more a view of its parent, so a kept cut kept the whole parent alive: the 1,024-character cut of a 900 KB
 * message held all 900 KB. Only for text already over a limit (not the common path).
 */
export function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * The last `capacity` finished requests, for ExplainRequest ("why was this denied?"). In memory only: a
 * restart forgets them. A circular array, looked up by a scan from the newest entry: ExplainRequest is rare
 * and ≤ 10,000 string comparisons take tens of µs, while an index (a Map with an entry added and one deleted
 * per request) cost every request: scavenge pauses over 36,000 GETs 164–190 ms with it, 149–171 without
 * (four alternating runs).
 */
export class RecentRequests {
  private readonly entries: Array<RecentRequest | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number = DEFAULT_RECENT_REQUESTS) {
    this.entries = new Array<RecentRequest | undefined>(capacity).fill(undefined);
  }

  add(rec: RequestRecord): void {
    this.entries[this.next] = {
      requestId: rec.requestId,
      time: rec.time,
      principal: rec.principal,
      sourceIp: rec.sourceIp,
      action: rec.action,
      status: rec.status,
      errorCode: rec.errorCode,
      message: clipped(rec.message),
      authz: rec.authz,
    };
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The newest request with this id (ids are unique; newest first all the same). */
  get(requestId: string): RecentRequest | undefined {
    for (let i = 1; i <= this.count; i++) {
      const e = this.entries[(this.next - i + this.capacity) % this.capacity];
      if (e !== undefined && e.requestId === requestId) return e;
    }
    return undefined;
  }

  get size(): number {
    return this.count;
  }
}
