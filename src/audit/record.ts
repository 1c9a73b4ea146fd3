import type { Principal } from '../auth/principal.js';
import type { AuthzOutcome, AuthzTrace } from '../authz/outcome.js';
import { ossActionOfOperation } from '../policy/known-actions.js';

export type ServiceName = 'oss' | 'ram' | 'sts';

/** The HTTP facts of an OSS request that the bucket access log needs (plain values, no HTTP objects). */
export interface AccessFacts {
  method: string;
  /** The request target as sent (path and query, still encoded). */
  url: string;
  httpVersion: string;
  host: string;
  referer: string | undefined;
  userAgent: string | undefined;
  bucket: string;
  key: string | null;
  /** Header bytes as received (raw names and values), for the Request Length field. */
  headerBytes: number;
  /** The object's size when the answer says it (GetObject/HeadObject 200, PutObject). */
  objectSize?: number;
  accessKeyId?: string;
}

/**
 * One request as the operations side sees it: filled in by the pipeline as it goes (who, what, the
 * authorization outcome, the answer), then handed to the audit log, the metrics and the ring of recent
 * requests once the response is written. Plain fields, no HTTP objects: nothing here keeps a request alive.
 */
export class RequestRecord implements AuthzTrace {
  /** The id the client sees: `x-oss-request-id` for OSS, the body's RequestId for POP RPC. */
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  readonly time: number;
  /** null: an internal `/-/` endpoint, not recorded. */
  service: ServiceName | null = null;
  /** Operation (OSS) or action (RAM/STS) name; `Unknown` for names the server does not have. */
  operation = 'Unknown';
  /** null until the signature is verified (and for requests refused before that). */
  principal: Principal | null = null;
  authz: AuthzOutcome | undefined = undefined;
  status = 0;
  errorCode: string | undefined = undefined;
  message: string | undefined = undefined;
  bytesIn: number;
  bytesOut = 0;
  latencyMs = 0;
  /** The bucket's user-defined log fields of this request (audit/user-log-fields.ts), when it configured some and the audit log is on. */
  userDefinedLogFields: string | undefined = undefined;
  /** What the bucket access log (audit/access-log.ts) writes about an OSS request; unset for others. */
  access: AccessFacts | undefined = undefined;

  constructor(
    requestId: string,
    readonly sourceIp: string,
    /** process.hrtime.bigint() at arrival, for the latency. */
    readonly started: bigint,
    bytesIn: number,
  ) {
    this.requestId = requestId;
    this.time = Date.now();
    this.bytesIn = bytesIn;
  }

  /**
   * The action for audit lines: the authorized one, else `<service>:<operation>`, an OSS operation by the action it
   * is authorized as (`oss:ListObjects` for ListObjectsV2: the name a policy would need).
   */
  get action(): string {
    if (this.authz !== undefined) return this.authz.action;
    if (this.service === 'oss') return `oss:${ossActionOfOperation(this.operation)?.action ?? this.operation}`;
    return `${this.service ?? 'internal'}:${this.operation}`;
  }

  /** Marks the response as written; `bytesOut` counts body bytes sent. */
  finish(status: number, bytesOut: number): void {
    this.status = status;
    this.bytesOut = bytesOut;
    this.latencyMs = Number(process.hrtime.bigint() - this.started) / 1e6;
  }
}

/** `user:alice`, `session:role/session`, `root:<account>`, `anonymous`; `unauthenticated` before a verified signature. */
export function principalLabel(p: Principal | null): string {
  if (p === null) return 'unauthenticated';
  switch (p.type) {
    case 'anonymous':
      return 'anonymous';
    case 'root':
      return `root:${p.accountId}`;
    case 'user':
      return `user:${p.userName}`;
    case 'session':
      return `session:${p.roleName}/${p.sessionName}`;
  }
}

/** Something that wants every finished request (audit log, metrics, the ring of recent requests). */
export type RequestObserver = (rec: RequestRecord) => void;
