import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform, type TransformCallback } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { FetchFailure, type FetchedSource, type FetchSource } from '../domain/async-fetch.js';
import { LIMITS } from '../domain/context.js';
import { guardedLookup, hostAllowed, refusedLiteral } from './callback.js';

// The outbound side of async fetch (docs/async-fetch.md): a GET of the task's URL, guarded like upload callbacks
// (oss/callback.ts, docs/callbacks.md): loopback, private and other internal addresses only for hosts the operator
// allows (`--async-fetch-allow-host`, its own list), checked when connecting (DNS rebinding), no redirects followed, bounded in
// time (no byte for `idleTimeoutMs`, the whole fetch by the task's deadline) and size (`maxBytes`), at most
// `concurrent` at once (domain/async-fetch.ts). Every refusal is a FetchFailure: the task fails, not the request.

export interface FetchSourceOptions {
  /** Hosts that may be loopback or private addresses (`*`: any): `--async-fetch-allow-host`. */
  allowHosts?: readonly string[];
  /** PEM certificates trusted for https sources besides Node's CA store (the callbacks' `ca`). */
  ca?: string;
  /** Longest wait for a byte (connecting included), ms; default 30 s. */
  idleTimeoutMs?: number;
  /** Largest source, bytes; default the PutObject limit (5 GiB). */
  maxBytes?: number;
}

const NOT_ALLOWED = 'The source URL is not allowed by this server (its host is internal and not on the async fetch allow-list).';

/** Async fetch switched off (the default): every task fails, and nothing is ever requested. */
export class DisabledFetchSource implements FetchSource {
  open(): Promise<FetchedSource> {
    return Promise.reject(new FetchFailure('Async fetch is off on this server: its operator starts it with --async-fetch (docs/async-fetch.md).'));
  }

  close(): void {}
}

export class HttpFetchSource implements FetchSource {
  private readonly allow: ReadonlySet<string>;
  private readonly ca: string[] | undefined;
  private readonly idleTimeoutMs: number;
  private readonly maxBytes: number;
  private readonly open_ = new Set<ClientRequest>();

  constructor(opts: FetchSourceOptions = {}) {
    this.allow = new Set((opts.allowHosts ?? []).map((h) => h.toLowerCase()));
    this.ca = opts.ca === undefined ? undefined : [...rootCertificates, opts.ca];
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.maxBytes = Math.min(opts.maxBytes ?? LIMITS.maxObjectSize, LIMITS.maxObjectSize);
  }

  close(): void {
    for (const req of this.open_) req.destroy(new FetchFailure('The server stopped during the fetch.'));
    this.open_.clear();
  }

  open(urlText: string, host: string, timeLimitMs: number): Promise<FetchedSource> {
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      return Promise.reject(new FetchFailure('The Url is not a valid http or https URL.'));
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      return Promise.reject(new FetchFailure('The Url is not a valid http or https URL.'));
    }
    // Credentials in the URL would be sent as Basic auth and echoed by GetAsyncFetchTask: refused, as for callbacks.
    if (url.username !== '' || url.password !== '') return Promise.reject(new FetchFailure('The Url must not carry a user name or password.'));
    const allowed = hostAllowed(this.allow, url.hostname);
    if (refusedLiteral(allowed, url.hostname)) return Promise.reject(new FetchFailure(NOT_ALLOWED));
    const secure = url.protocol === 'https:';
    const hostHeader = host !== '' ? host : url.host;
    return new Promise<FetchedSource>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'GET',
        headers: { Host: hostHeader, 'User-Agent': 'aliyun-oss-async-fetch' },
        lookup: guardedLookup(allowed),
        agent: false,
        ...(secure ? { servername: hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), ...(this.ca ? { ca: this.ca } : {}) } : {}),
      });
      this.open_.add(req);
      const fail = (message: string): void => {
        req.destroy(new FetchFailure(message));
      };
      const wholeTimer = setTimeout(() => fail('The fetch took longer than the task may take.'), Math.min(Math.max(0, timeLimitMs), 2 ** 31 - 1));
      wholeTimer.unref();
      req.setTimeout(this.idleTimeoutMs, () => fail(`The source sent nothing for ${Math.round(this.idleTimeoutMs / 1000)} s.`));
      let settled = false;
      const done = (): void => {
        clearTimeout(wholeTimer);
        this.open_.delete(req);
      };
      req.on('close', () => {
        done();
        // Closed with neither an answer nor an error (an upgrade, below, ends that way): the task must still end and
        // give back its slot; it waited forever before.
        if (!settled) {
          settled = true;
          reject(new FetchFailure('The source closed the connection without an answer.'));
        }
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        done();
        if (settled) return;
        settled = true;
        if (err instanceof FetchFailure) return reject(err);
        reject(new FetchFailure(err.code === 'ENOTALLOWED' ? NOT_ALLOWED : `The source could not be reached (${err.code ?? err.message}).`));
      });
      // A `101 Switching Protocols` answer is no object: Node then emits 'upgrade' (not 'response') and, with no
      // listener, only closes the socket.
      req.on('upgrade', (res: IncomingMessage, socket) => {
        socket.destroy();
        if (settled) return;
        settled = true;
        reject(new FetchFailure(`The source answered HTTP ${res.statusCode ?? 101}.`));
      });
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          fail(status >= 300 && status < 400 ? `The source answered ${status}: redirects are not followed.` : `The source answered HTTP ${status}.`);
          return;
        }
        const declared = res.headers['content-length'];
        const length = declared !== undefined && /^\d{1,16}$/.test(declared) ? Number(declared) : undefined;
        if (length !== undefined && length > this.maxBytes) {
          fail(`The source is larger than ${this.maxBytes} bytes.`);
          return;
        }
        const type = res.headers['content-type'];
        const body = res.pipe(new SizeBound(this.maxBytes));
        // Errors of the response (a reset, a timeout's destroy) reach the body its reader holds.
        res.on('error', (err) => body.destroy(err instanceof FetchFailure ? err : new FetchFailure('The source connection failed during the fetch.')));
        req.on('error', (err) => body.destroy(err instanceof FetchFailure ? err : new FetchFailure('The source connection failed during the fetch.')));
        res.on('aborted', () => body.destroy(new FetchFailure('The source closed the connection before the end of the body.')));
        body.on('close', () => {
          if (!res.complete) req.destroy();
        });
        // Nobody reads the body until the write starts (checks and admission come first): an error in between
        // must not go unheard (an 'error' with no listener ends the process). The reader sees the stream destroyed.
        body.on('error', () => {});
        settled = true;
        resolve({ body, length, contentType: typeof type === 'string' && type.length <= 256 ? type : undefined });
      });
      req.end();
    });
  }
}

/** Passes bytes through until more than `max` came: then fails. */
class SizeBound extends Transform {
  private seen = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) return cb(new FetchFailure(`The source is larger than ${this.max} bytes.`));
    cb(null, chunk);
  }
}
