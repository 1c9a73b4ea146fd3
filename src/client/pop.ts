import { randomUUID } from 'node:crypto';
import { percentEncode } from '../rpc/encoding.js';
import { rpcSignature, rpcStringToSign } from '../rpc/signature.js';
import { isoSeconds } from '../util/time.js';
import { certificateHint } from './tls-hint.js';

// A small POP RPC client (HMAC-SHA1, POST form body, JSON answers) for RAM and STS, shared by the CLI,
// the token vending service and the console's server-side helpers. It speaks the protocol the cloud
// speaks (sts-rpc §3), so it works against Alunite and, unchanged, against the real endpoints.

export interface PopCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS session token, sent as `SecurityToken`. */
  securityToken?: string;
}

export interface PopClientOptions extends PopCredentials {
  /** `http(s)://host[:port]`; the path is ignored (RPC APIs live at `/`). */
  endpoint: string;
  /** `2015-05-01` for RAM, `2015-04-01` for STS. */
  apiVersion: string;
  /** Milliseconds before a request is abandoned (default 30 s). */
  timeoutMs?: number;
}

/** A service's error answer, or a transport failure (`code` `NetworkError`, `status` 0). */
export class PopError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'PopError';
  }
}

export type PopParams = Record<string, string | number | boolean | undefined>;

export class PopClient {
  private readonly url: string;
  constructor(private readonly opts: PopClientOptions) {
    const u = new URL(opts.endpoint);
    this.url = `${u.protocol}//${u.host}/`;
  }

  /** Calls `action`; resolves with the parsed JSON body, rejects with PopError. */
  async request<T = Record<string, unknown>>(action: string, params: PopParams = {}): Promise<T> {
    const all = new Map<string, string>([
      ['Action', action],
      ['Format', 'JSON'],
      ['Version', this.opts.apiVersion],
      ['AccessKeyId', this.opts.accessKeyId],
      ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureVersion', '1.0'],
      ['SignatureNonce', randomUUID()],
      ['Timestamp', isoSeconds(Date.now())],
    ]);
    if (this.opts.securityToken) all.set('SecurityToken', this.opts.securityToken);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) all.set(k, String(v));
    all.set('Signature', rpcSignature(this.opts.accessKeySecret, rpcStringToSign('POST', all)));
    const body = [...all].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');

    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-acs-action': action },
        body,
        // Never followed: the signed form (a SecurityToken, a Password parameter) would go to whatever host
        // the Location names. POP answers are never redirects.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new PopError('InvalidResponse', `${this.url} answered ${res.status} (a redirect${res.headers.get('location') ? ` to ${res.headers.get('location')!.slice(0, 200)}` : ''}), which is not followed: the request carries its signature and parameters`, res.status, undefined);
      }
      text = await boundedText(res, MAX_ANSWER_BYTES, this.url);
    } catch (err) {
      if (err instanceof PopError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      const what = `${err instanceof Error ? err.message : String(err)}${cause}`;
      throw new PopError('NetworkError', `cannot reach ${this.url} (${what})${certificateHint(what)}`, 0, undefined);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new PopError('InvalidResponse', `${this.url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.status, undefined);
    }
    const requestId = typeof json.RequestId === 'string' ? json.RequestId : undefined;
    if (!res.ok) {
      const code = typeof json.Code === 'string' ? json.Code : `HTTP${res.status}`;
      const message = typeof json.Message === 'string' ? json.Message : text.slice(0, 200);
      throw new PopError(code, message, res.status, requestId);
    }
    return json as T;
  }
}

/** The largest POP answer read (the biggest real ones, a page of 1,000 RAM entities, are well under 1 MiB). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The body as text, refused past `max` bytes (an endpoint that never ends its answer must not fill memory). */
async function boundedText(res: Response, max: number, url: string): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.byteLength;
    // Throwing leaves the loop, which cancels the body.
    if (n > max) {
      throw new PopError('InvalidResponse', `${url} answered more than ${max} bytes: not a POP answer`, res.status, undefined);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
