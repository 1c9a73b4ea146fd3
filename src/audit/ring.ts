import type { RequestRecord } from './record.js';
import type { AuthzOutcome } from '../authz/outcome.js';
import type { TraceBasis } from '../policy/explain.js';
import type { ConditionContext } from '../policy/types.js';
import { detached } from '../util/detached.js';

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
 * What the ring may keep in all, as estimated by weightOf: ~20 MB. Beyond it the oldest requests are let go, so
 * the ring then holds fewer than `capacity` of them. A request's condition values come from its headers (16 KiB)
 * or its body, and one `x-oss-tagging` header of 3,500 empty tags became 3,500 condition keys: 300 anonymous PUTs
 * refused by a bucket policy kept +57 MB (the ring's 10,000: ~1.9 GB), and 16 KiB User-Agents ~16 KB each
 * (10,000: ~160 MB). A request as clients send them weighs ~1-2 KB: 10,000 fit.
 */
export const RECENT_REQUESTS_MAX_BYTES = 20 * 1024 * 1024;

/**
 * Request bodies larger than this have their authorization record copied apart before the ring keeps it. A key
 * parsed from a DeleteMultipleObjects body, a POP parameter or a form field is a view of the whole body (V8 slices of
 * 13 characters or more point into their parent; util/detached.ts), and so is the resource ARN and condition value
 * built from it: one kept record pinned its 1 MB body, 60 DeleteMultipleObjects of 1 MB kept +63 MB of heap after
 * GC (10,000: gigabytes), weightOf counting only the slices. Smaller requests' strings come from their headers and
 * URL, bounded at 16 KiB and weighed as they are; copying every record would cost each small GET allocations the
 * ring was tuned to avoid (see RecentRequest).
 */
export const DETACH_ABOVE_BODY_BYTES = 16 * 1024;

function detachedContext(ctx: ConditionContext | undefined): ConditionContext | undefined {
  if (ctx === undefined) return undefined;
  const out: Record<string, string | readonly string[] | undefined> = {};
  for (const k in ctx) {
    const v = ctx[k];
    out[detached(k)] = typeof v === 'string' ? detached(v) : v === undefined ? undefined : v.map(detached);
  }
  return out;
}

function detachedBasis(b: TraceBasis): TraceBasis {
  switch (b.kind) {
    case 'oss': {
      const { check, context } = b.input;
      return { kind: 'oss', input: { ...b.input, check: { ...check, action: detached(check.action), resource: detached(check.resource) }, context: detachedContext(context) } };
    }
    case 'ram':
      return { kind: 'ram', input: { ...b.input, action: detached(b.input.action), resource: detached(b.input.resource), accountId: detached(b.input.accountId), context: detachedContext(b.input.context) } };
    case 'assumeRole':
      return { kind: 'assumeRole', input: { ...b.input, roleArn: detached(b.input.roleArn), action: b.input.action === undefined ? undefined : detached(b.input.action), context: detachedContext(b.input.context) } };
  }
}

/**
 * The outcome with every string the request made copied apart from the request (the compiled policies, caller and
 * ACL it refers to come from the stores and caches, and are shared as they are).
 */
export function detachedOutcome(a: AuthzOutcome): AuthzOutcome {
  return { ...a, action: detached(a.action), resource: detached(a.resource), basis: a.basis === undefined ? undefined : detachedBasis(a.basis) };
}

/** Bytes estimated for a record's own objects (entry, outcome, basis, context object) besides its strings. */
const RECORD_BYTES = 512;
/** Bytes estimated per condition key beyond its characters: the property, its key string, its lower-cased copy (policy/evaluate.ts). */
const CONTEXT_ENTRY_BYTES = 64;
/** A session's policy is kept compiled too (statements, matchers): counted at this many times its text. */
const SESSION_POLICY_FACTOR = 4;

/**
 * The bytes a record keeps, estimated from the lengths of what a client chooses: its message, the resource and the
 * condition values of its decision, a session's policy. A few length reads per condition key (a request has ~6-8).
 */
export function weightOf(rec: RecentRequest): number {
  let w = RECORD_BYTES + rec.requestId.length + rec.sourceIp.length + (rec.message?.length ?? 0);
  const a = rec.authz;
  if (a !== undefined) {
    w += a.resource.length;
    const ctx = a.basis?.input.context;
    if (ctx !== undefined) {
      for (const k in ctx) {
        const v = ctx[k];
        w += CONTEXT_ENTRY_BYTES + k.length;
        if (typeof v === 'string') w += v.length;
        else if (v !== undefined) for (const x of v) w += CONTEXT_ENTRY_BYTES + x.length;
      }
    }
  }
  const p = rec.principal;
  if (p !== null && p.type === 'session' && p.sessionPolicy !== null) w += p.sessionPolicy.length * SESSION_POLICY_FACTOR;
  return w;
}

/**
 * The last `capacity` finished requests, for ExplainRequest ("why was this denied?"). In memory; a graceful
 * stop keeps the refusals among them (kept-refusals.ts). A circular array, looked up by a scan from the newest entry: ExplainRequest is rare
 * and ≤ 10,000 string comparisons take tens of µs, while an index (a Map with an entry added and one deleted
 * per request) cost every request: scavenge pauses over 36,000 GETs 164–190 ms with it, 149–171 without
 * (four alternating runs).
 */
export class RecentRequests {
  private readonly entries: Array<RecentRequest | undefined>;
  private readonly weights: Float64Array;
  private next = 0;
  private count = 0;
  private total = 0;

  constructor(
    readonly capacity: number = DEFAULT_RECENT_REQUESTS,
    readonly maxBytes: number = RECENT_REQUESTS_MAX_BYTES,
  ) {
    this.entries = new Array<RecentRequest | undefined>(capacity).fill(undefined);
    this.weights = new Float64Array(capacity);
  }

  add(rec: RequestRecord): void {
    const entry: RecentRequest = {
      requestId: rec.requestId,
      time: rec.time,
      principal: rec.principal,
      sourceIp: rec.sourceIp,
      action: rec.action,
      status: rec.status,
      errorCode: rec.errorCode,
      message: clipped(rec.message),
      authz: rec.authz !== undefined && rec.bytesIn > DETACH_ABOVE_BODY_BYTES ? detachedOutcome(rec.authz) : rec.authz,
    };
    const w = weightOf(entry);
    // The slot written is the oldest when the ring is full.
    this.total += w - this.weights[this.next]!;
    this.entries[this.next] = entry;
    this.weights[this.next] = w;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    while (this.total > this.maxBytes && this.count > 1) {
      const oldest = (this.next - this.count + this.capacity) % this.capacity;
      this.total -= this.weights[oldest]!;
      this.weights[oldest] = 0;
      this.entries[oldest] = undefined;
      this.count--;
    }
  }

  /** What the ring keeps now, as estimated by weightOf. */
  get bytes(): number {
    return this.total;
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

  /** Every request kept, newest first. */
  *newestFirst(): IterableIterator<RecentRequest> {
    for (let i = 1; i <= this.count; i++) {
      const e = this.entries[(this.next - i + this.capacity) % this.capacity];
      if (e !== undefined) yield e;
    }
  }
}
