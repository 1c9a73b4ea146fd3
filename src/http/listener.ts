import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { authenticate } from '../auth/authenticate.js';
import type { CredentialResolver } from '../auth/principal.js';
import { AccessDeniedError, authorize, type AuthzDeps } from '../authz/authorize.js';
import { asIfMissing } from '../authz/as-missing.js';
import { signedBody } from '../domain/ingest.js';
import { assertBucketName, assertObjectKey } from '../domain/names.js';
import { AppError, isAppError, ossWireForm } from '../errors.js';
import { redactUrl, type Logger } from '../log.js';
import { cnameAddress, endpointOf, misdirectedHostError, parseQuery, resolveAddress } from '../oss/address.js';
import { assertBucketRegion, assertCreatedHere } from '../oss/wrong-region.js';
import { cameAbsolute, toOriginForm } from './request-target.js';
import { assertThroughAlias, managesAccessPoint, throughAccessPoint } from '../oss/access-point-route.js';
import { header, textOfWire } from '../oss/headers.js';
import type { OssResponse, OssServices } from '../oss/context.js';
import { addActualCorsHeaders, answerPreflight } from '../oss/cors.js';
import { addCommonHeaders } from '../oss/common-headers.js';
import { missingBucketFirst, onMissingBucket } from '../oss/missing-bucket-first.js';
import { ossErrorResponse } from '../oss/error-response.js';
import { answersBusy, countedResponse } from './held-answers.js';
import { clientOf } from './held-bytes.js';
import { handlers } from '../oss/handlers/index.js';
import type { Handler } from '../oss/context.js';
import { route, type AuthzCheck, type Operation } from '../oss/operations.js';
import { authenticatePostObject } from '../oss/post-object.js';
import { formWasRead } from '../oss/post-form.js';
import { callbackFormFieldsOf, callbackOf, callbackPolicyNameOf, callbackVarOf, type UploadCallbacks } from '../oss/callback.js';
import { namedCallback } from '../oss/callback-policy.js';
import { opensFirst } from '../util/opens-first.js';
import { isRecyclingSource } from '../util/recycling-source.js';
import { directSinkOf } from './direct-sink.js';
import { throttledBody, throttledResponse, trafficLimitOf, withQosDelay } from '../oss/traffic-limit.js';
import { isRpcRequest } from '../rpc/request.js';
import { mayBeWebsiteRequest, serveWebsite, websiteOfBucket } from '../oss/website.js';
import { principalLabel, RequestRecord, type AccessFacts, type RequestObserver } from '../audit/record.js';
import { encodeUserLogFields } from '../audit/user-log-fields.js';
import { userLogFieldsOf } from '../domain/user-log-fields.js';
import { guardChunkedLength } from './chunked-length.js';
import { connectionTls } from './connection-tls.js';
import { assertTlsAccepted } from '../oss/bucket-tls.js';
import { refuseRepeatedSingletons } from './single-headers.js';
import { closeWithError } from './close-with-error.js';
import { observeResponse } from './observe.js';
import { newRequestId } from '../util/ids.js';
import type { Clock } from '../util/time.js';
import type { DiagnosticCodec } from '../ram/diagnostic.js';
import { el } from '../oss/xml.js';
import { styleByDelimiter } from '../oss/image-access.js';

/**
 * Requests whose handler is still running (an upload still streaming into its temp file, a write waiting for its
 * commit). A graceful stop closes the connections, then waits for these to end before it closes the stores, so
 * an upload cut by the stop removes its temp file and drops its blob instead of leaving them for the next
 * start's collection (with PostgreSQL, for the grace period: an hour by default).
 */
export class HandlersInFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  started(): void {
    this.count++;
  }

  ended(): void {
    if (--this.count > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once no handler runs, or after `timeoutMs` (true: all ended). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

export interface ListenerDeps {
  /** Counts running handlers, for a graceful stop (absent: not counted). */
  inFlight?: HandlersInFlight;
  services: OssServices;
  authz: AuthzDeps;
  credentials: CredentialResolver;
  clock: Clock;
  region: string;
  accountId: string;
  hostnames: readonly string[];
  log: Logger;
  /** POP RPC requests (RAM and STS), recognised before OSS routing; see `rpc/dispatch.ts`. */
  rpc: (req: IncomingMessage, rawQuery: string, rec: RequestRecord) => Promise<{ response: OssResponse; action: string }>;
  /** Internal endpoints under `/-/` (health, later console and metrics). */
  internal: (path: string, req: IncomingMessage) => OssResponse | Promise<OssResponse> | null;
  /** Every finished OSS/RPC request (audit log, metrics, recent requests); internal endpoints are not observed. */
  observe?: RequestObserver;
  /** True when an audit log is written: requests on a bucket with user-defined log fields carry them (audit/user-log-fields.ts). */
  userLogFields?: boolean;
  /** False when a bucket's requests are known not to be access-logged (audit/access-log.ts mayLog): no facts gathered. */
  mayLog?: (bucket: string) => boolean;
  /** A store whose commits are visible before durable: answers wait for those made before the request came (types.ts). */
  durability?: { commitMark(): number; settled(mark: number): Promise<void> | null };
  /** Upload callbacks (oss/callback.ts); without it a request asking for one is answered NotImplemented. */
  callbacks?: UploadCallbacks;
  /** Seals a denial's EncodedDiagnosticMessage (AccessDeniedDetail, docs/ram.md); absent: no detail. */
  diagnostics?: DiagnosticCodec;
}

/**
 * Headers as the signer saw them. Node delivers header bytes as latin1 text; signatures are computed
 * over text, so decode. Handlers keep the raw latin1 form, so stored values (x-oss-meta-*,
 * Content-Disposition, …) are echoed back byte for byte, as OSS does.
 */
function utf8Headers(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  let needs = false;
  // for…in rather than Object.values: no array of the values per request.
  for (const k in headers) {
    const v = headers[k];
    if (typeof v === 'string' && beyondAscii(v)) {
      needs = true;
      break;
    }
  }
  if (!needs) return headers;
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = typeof v === 'string' ? textOfWire(v) : v;
  }
  return out;
}

const NOT_ASCII = /[\x80-\xff]/;

/**
 * Whether a header value (latin1 text, as node gives it) has a byte beyond ASCII. The regex walks the value a
 * character at a time (~10 instructions each): an STS SecurityToken (~650 characters, in every request of a
 * session) cost 6.3 k instructions. A long value is first measured in UTF-8 by node (one native call, ~1.4 k
 * instructions, ~1.9 k for a token): the same length as in UTF-16 means every character is ASCII; only a value
 * that differs is tested by the regex. Below ~100 characters the regex is the cheaper of the two.
 */
function beyondAscii(v: string): boolean {
  if (v.length < 96) return NOT_ASCII.test(v);
  return Buffer.byteLength(v, 'utf8') !== v.length && NOT_ASCII.test(v);
}

/** Node writes header strings as latin1 bytes; a character beyond U+00FF can only go out as UTF-8. */
function wireValue(v: string): string {
  return /[^\x00-\xff]/.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;
}

/**
 * The HostId of an error answer: the Host the client used, as it sent it, a port included (OSS's clients never
 * send one; the C++ SDK's EndpointTest.CnameTest compares HostId with its endpoint's authority, `<bucket>.host:port`
 * for a server on another port).
 */
function hostIdOf(req: IncomingMessage): string {
  return req.headers.host ?? '';
}

/** The request pipeline: route → authenticate → authorize → handler → serialize. */
export function createListener(deps: ListenerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    toOriginForm(req);
    if (guardChunkedLength(req, res)) return;
    if (refuseRepeatedSingletons(req, res)) return;
    // handle() answers every error itself; this is the last line for a bug in that answering, so that
    // no request can end the process (an unhandled rejection would).
    const requestId = newRequestId();
    const inFlight = deps.inFlight;
    if (inFlight === undefined) {
      handle(deps, req, res, requestId).catch((err: unknown) => lastResort(deps.log, req, res, err, requestId));
      return;
    }
    inFlight.started();
    // One reaction either way, as the catch alone was: counting costs no promise per request.
    handle(deps, req, res, requestId).then(
      () => inFlight.ended(),
      (err: unknown) => {
        inFlight.ended();
        lastResort(deps.log, req, res, err, requestId);
      },
    );
  };
}

async function handle(deps: ListenerDeps, req: IncomingMessage, res: ServerResponse, ossRequestId: string): Promise<void> {
  const started = process.hrtime.bigint();
  const commitMark = deps.durability?.commitMark();
  let requestId = ossRequestId;
  const rec = new RequestRecord(requestId, req.socket.remoteAddress ?? '', started, Number(req.headers['content-length'] ?? 0) || 0);
  if (req.headers['transfer-encoding'] !== undefined) countChunkedBody(req, rec);
  const method = req.method ?? 'GET';
  let opName = 'Unknown';
  let response: OssResponse;
  let pop = false;
  let corsBucket: string | null = null;
  try {
    const rawUrl = req.url ?? '/';
    const qmark = rawUrl.indexOf('?');
    const rawPath = qmark < 0 ? rawUrl : rawUrl.slice(0, qmark);
    const rawQuery = qmark < 0 ? '' : rawUrl.slice(qmark + 1);
    const headers = req.headers;
    let address = resolveAddress(headers.host, rawPath, { hostnames: deps.hostnames });
    // A Host that is a domain bound to a bucket (docs/stored-configurations.md#cnames-implemented): the request is that bucket's.
    const viaCname = cnameAddress(headers.host, rawPath, address, { hostnames: deps.hostnames }, deps.services.cnames.bindings);
    if (viaCname !== null) address = (await viaCname) ?? address;
    const internal = (address.style === 'path' || address.style === 'service') && rawPath.startsWith('/-/') && !cameAbsolute(req) ? await deps.internal(rawPath, req) : null;
    const pairs = internal ? [] : parseQuery(rawQuery);
    const query = new Map(pairs);
    if (internal) {
      response = internal;
    } else if (isRpcRequest(method, rawPath, query, headers, address.bucket !== null)) {
      pop = true;
      const out = await deps.rpc(req, rawQuery, rec);
      requestId = rec.requestId; // the POP request id the client sees
      response = out.response;
      opName = `pop:${out.action}`;
    } else if (method === 'OPTIONS' && address.bucket !== null) {
      opName = 'Preflight';
      rec.service = 'oss';
      rec.operation = 'Preflight';
      response = await answerPreflight(address, headers, (n) => deps.authz.getBucket(n));
    } else {
      rec.service = 'oss';
      const misdirected = misdirectedHostError(headers.host, address, { hostnames: deps.hostnames });
      if (misdirected !== null) throw misdirected;
      if (address.bucket !== null) assertBucketName(address.bucket);
      const elsewhere = assertBucketRegion(headers.host, address, (n) => deps.authz.getBucket(n));
      if (elsewhere !== undefined) await elsewhere;
      // An access point alias: the request acts on its bucket, under its policy (docs/access-points.md).
      const alias = throughAccessPoint(address, deps.services.accessPoints);
      const via = alias === null ? null : await alias;
      const target = via?.address ?? address;
      corsBucket = target.bucket;
      if (address.key !== null) assertObjectKey(address.key);
      if (target.bucket !== null && deps.mayLog?.(target.bucket) !== false) rec.access = accessFacts(req, target.bucket, target.key);
      let op: Operation = route({
        method,
        address: target,
        query,
        copySource: headers['x-oss-copy-source'] as string | undefined,
        contentType: headers['content-type'],
        callback: headers['x-oss-callback'] !== undefined,
        objectAcl: headers['x-oss-object-acl'] !== undefined,
        taggingDirective: headers['x-oss-tagging-directive'] as string | undefined,
        tagging: headers['x-oss-tagging'] !== undefined,
        hasHeader: (name) => headers[name] !== undefined,
      });
      assertCreatedHere(headers.host, op, deps.region);
      // `<key>!<style>` on a bucket with style delimiters: that style's processing of <key> (oss/image-access.ts).
      const styled = styleByDelimiter(op, query, (n) => deps.authz.getBucket(n), (b, k) => deps.authz.getObject(b, k));
      if (styled !== null) op = (styled instanceof Promise ? await styled : styled) ?? op;
      opName = op.name === 'Unimplemented' ? op.params.operation : op.name;
      rec.operation = opName;
      const now = deps.clock();
      // PostObject: key, credentials and policy are form fields, read (streaming) up to the file part (spec §9).
      const post = op.name === 'PostObject' ? await authenticatePostObject(op, req, { credentials: deps.credentials, region: deps.region, now }) : null;
      if (post) op = post.op;
      const auth = post?.auth ?? await authenticate(
        { method, bucket: address.bucket, key: address.key, query: pairs, rawQuery, headers: utf8Headers(headers) },
        { credentials: deps.credentials, region: deps.region, now },
      ).catch(async (err: unknown) => {
        throw await missingBucketFirst(err, opName, target.bucket, (n) => deps.authz.getBucket(n));
      });
      const facts = {
        sourceIp: req.socket.remoteAddress ?? '',
        secureTransport: 'encrypted' in req.socket && req.socket.encrypted === true,
        now,
        headers: post?.headers ?? headers,
        query,
        accessKeyId: auth.accessKeyId,
        authMethod: auth.method,
        // The access point policy applies to what goes through the alias, not to the management of the access point.
        ...(via !== null && !managesAccessPoint(op) ? { accessPoint: via.accessPoint } : {}),
      };
      if (via !== null) assertThroughAlias(op, via.accessPoint, header(headers, 'x-oss-access-point-name'));
      rec.principal = auth.principal;
      if (rec.access && auth.accessKeyId !== undefined) rec.access.accessKeyId = auth.accessKeyId;
      // Authorizes an operation, then runs its handler.
      const run = async (op: Operation): Promise<OssResponse> => {
        await authorize(auth.principal, op, deps.authz, facts, op.checks, rec);
        // The bucket's TLS versions and cipher suites (PutBucketHttpsConfig), once the caller is known to be allowed.
        const tlsChecked = assertTlsAccepted(op.bucket, connectionTls(req.socket), (n) => deps.authz.getBucket(n));
        if (tlsChecked !== undefined) await tlsChecked;
        // Upload callbacks and traffic limits: validated before any byte of the body is read or stored.
        let callback = callbackOf(op, headers, query);
        // A callback parameter naming one of the bucket's callback policies instead (docs/callbacks.md).
        const policyName = callback === null && op.bucket !== null ? callbackPolicyNameOf(op, headers, query) : null;
        if (policyName !== null) callback = await namedCallback(deps.services.stored, op.bucket!, policyName, callbackVarOf(op, headers, query), callbackFormFieldsOf(op));
        if (callback !== null) {
          if (deps.callbacks === undefined) throw new AppError('NotImplemented', 'Upload callbacks are not enabled on this server.');
          deps.callbacks.assertCallable(callback);
        }
        const traffic = trafficLimitOf(op.name, headers, query);
        const body = throttledBody(req, traffic);
        const handler = handlers[op.name] as Handler;
        let answer = await handler({
          op,
          headers,
          query,
          body: auth.payloadSha256 === undefined ? body : signedBody(body, auth.payloadSha256),
          principal: auth.principal,
          // The caller's account owns the buckets it creates and lists its own (docs/accounts.md).
          accountId: auth.principal.type === 'anonymous' ? deps.accountId : auth.principal.accountId,
          endpoint: { scheme: facts.secureTransport ? 'https' : 'http', ...endpointOf(headers.host, address, `oss-${deps.region}.aliyuncs.com`) },
          services: deps.services,
          clientGone: () => req.socket.destroyed || !req.socket.writable,
          authorize: async (checks, body) => {
            await authorize(auth.principal, op, deps.authz, body === undefined ? facts : { ...facts, requestTags: body.requestTags }, checks, rec);
          },
        });
        answer = withQosDelay(throttledResponse(answer, traffic), traffic, body);
        // A callback named in the request body (TriggerCallback) is the handler's to read and check.
        const sent = callback ?? answer.callback?.spec ?? null;
        if (sent !== null) {
          if (deps.callbacks === undefined) throw new AppError('NotImplemented', 'Upload callbacks are not enabled on this server.');
          answer = await deps.callbacks.apply(sent, answer, {
            clientIp: facts.sourceIp,
            requestId,
            operation: answer.callback?.operation ?? op.name,
            publicKeyUrl: deps.callbacks.publicKeyUrl(headers.host, address.bucket, facts.secureTransport, localAddressOf(req)),
            failed: (err) => ossErrorResponse(err, requestId, hostIdOf(req), method),
            client: clientOf(req.socket.remoteAddress),
          });
          if (answer.status === 203) rec.errorCode = 'CallbackFailed';
        }
        return answer;
      };
      // Static website hosting: anonymous GET/HEAD on a bucket with a website configuration (oss/website.ts).
      const site = mayBeWebsiteRequest(op, auth.principal, query) ? await websiteOfBucket(op.bucket!, (n) => deps.authz.getBucket(n)) : null;
      if (site !== null) {
        const bucket = op.bucket!;
        response = await serveWebsite(site, {
          // The key read: `<key>` of a `<key>!<style>` request (styleByDelimiter above), else the one addressed.
          key: op.key ?? address.key ?? '',
          headers,
          rawQuery,
          origin: { protocol: facts.secureTransport ? 'https' : 'http', host: headers.host ?? '', bucketPath: address.style === 'path' ? `/${bucket}/` : '/' },
        }, {
          fetch: async (key, page) => {
            assertObjectKey(key);
            const read = method === 'HEAD' ? 'HeadObject' : 'GetObject';
            rec.operation = read; // what was served (a website `GET /` is not a listing)
            const checks: AuthzCheck[] = [{ action: 'oss:GetObject', bucket, key, acl: 'read' }];
            // A delimiter's style applies to the key asked for, never to an index or error document served instead.
            const style = read === 'GetObject' && page !== true && key === op.key && op.name === 'GetObject' ? op.params?.style : undefined;
            const asRead: Operation = read === 'GetObject' && page === true ? { name: read, bucket, key, checks, params: { websitePage: true } }
              : style !== undefined ? { name: 'GetObject', bucket, key, checks, params: { style } } : { name: read, bucket, key, checks };
            // Decided first as if the key were missing (docs/website.md): where a missing key is refused (a
            // private bucket) every key is, existing or not. A private object in a readable bucket is then
            // AccessDenied, as OSS answers it (its existence is no secret there: the bucket can be listed).
            await authorize(auth.principal, asRead, asIfMissing(deps.authz, bucket, key), facts, asRead.checks, rec);
            return run(asRead);
          },
          // Type 0's `key/` check: an object the caller may not read counts as missing.
          exists: async (key) => {
            if ((await deps.authz.getObject(bucket, key)) === null) return false;
            const probe: Operation = { name: 'GetObject', bucket, key, checks: [{ action: 'oss:GetObject', bucket, key, acl: 'read' }] };
            return authorize(auth.principal, probe, deps.authz, facts).then(
              () => true,
              (err: unknown) => {
                if (err instanceof AccessDeniedError) return false;
                throw err;
              },
            );
          },
        });
      } else {
        try {
          response = await run(op);
        } catch (err) {
          // A try/catch, not .catch: no extra promise on every request's hot path.
          throw onMissingBucket(err, opName);
        }
      }
    }
  } catch (err) {
    let appErr: AppError;
    if (err instanceof AccessDeniedError) {
      // "Why was this denied?": the request id in the client's error leads to this line.
      deps.log.info('access denied', { requestId, op: opName, resource: rec.authz?.resource, ...err.explain() });
      appErr = err;
    } else if (isAppError(err)) {
      // A library's own text behind an error (image decoding, ...) is for the operator, never the client.
      if (err.cause !== undefined && deps.log.enabled('debug')) deps.log.debug('error cause', { requestId, op: opName, code: err.code, cause: err.cause instanceof Error ? err.cause.message : String(err.cause) });
      appErr = err;
    } else {
      deps.log.error('internal error', { requestId, op: opName, err: err instanceof Error ? err.stack : String(err) });
      appErr = new AppError('InternalError');
    }
    // Only a denial pays for the diagnostic message (encoded here, never on allowed requests).
    const denied = err instanceof AccessDeniedError && deps.diagnostics && rec.authz && rec.principal ? deps.diagnostics.accessDeniedDetail(rec.authz, rec.principal, deps.clock()) : null;
    const more = denied ? [el('AccessDeniedDetail', Object.entries(denied).map(([k, v]) => el(k, v)))] : [];
    response = ossErrorResponse(appErr, requestId, hostIdOf(req), method, more);
    if (rec.service === 'oss') {
      const wire = ossWireForm(appErr);
      rec.errorCode = wire.code;
      rec.message = wire.message;
    }
  }
  if (rec.access && response.status === 200 && (opName === 'GetObject' || opName === 'HeadObject' || opName === 'PutObject')) {
    const size = opName === 'PutObject' ? rec.bytesIn : Number(response.headers['Content-Length'] ?? Number.NaN);
    if (Number.isFinite(size)) rec.access.objectSize = size;
  }
  if (deps.userLogFields === true && rec.service === 'oss' && corsBucket !== null) await noteUserLogFields(deps, req, corsBucket, rec);
  // Bucket CORS on actual requests; nothing at all without an Origin header.
  const origin = req.headers.origin;
  if (origin !== undefined && corsBucket !== null) await addActualCorsHeaders(response, corsBucket, origin, method, (n) => deps.authz.getBucket(n));
  // The bucket's common headers on its object reads (oss/common-headers.ts).
  const common = corsBucket === null ? undefined : addCommonHeaders(response, opName, corsBucket, (n) => deps.authz.getBucket(n));
  if (common) await common;
  // A stream body can fail before it is piped (a blob file gone missing while the answer was prepared);
  // the listener keeps that from being an unhandled 'error', and the check below answers InternalError.
  if (response.body instanceof Readable) response.body.on('error', () => undefined);
  const checked: HeaderCheck = response.body instanceof Readable && response.body.errored ? 'body' : checkHeaders(response.headers);
  const bad = typeof checked === 'string' ? checked : null;
  if (bad !== null) {
    // A value that cannot go on the wire (e.g. metadata with a newline stored before such values were
    // refused): this request answers InternalError, and the log says which header.
    deps.log.error('response not sendable', { requestId, op: opName, header: bad });
    if (response.body instanceof Readable) response.body.destroy();
    response = ossErrorResponse(new AppError('InternalError'), requestId, hostIdOf(req), method);
    if (rec.service === 'oss') rec.errorCode = 'InternalError';
  }
  // A write's own answer already waited for its fsync, which covers every earlier commit: only reads wait here.
  const unsettled = commitMark === undefined ? null : deps.durability!.settled(commitMark);
  if (unsettled !== null) {
    const prepared = response.body;
    // A failed sync refuses the read (lastResort answers InternalError). The body it had prepared is let go
    // here, as nothing else would: an open blob file, and a gzip stream with its zlib state and its place
    // among GZIP_MAX_IN_FLIGHT.
    await unsettled.catch((err: unknown) => {
      if (prepared instanceof Readable) prepared.destroy();
      throw err;
    });
  }
  // A large answer built whole waits for its client counted against HELD_ANSWERS (http/held-answers.ts).
  if (!pop && rec.service === 'oss') response = heldOrBusy(req, response, requestId, rec);
  // The error answer that replaced an unsendable one was not checked: wireValue applies to each of its values.
  const promised = write(req, res, response, pop ? null : requestId, started, bad === null && checked === true, (err, answered) => {
    // The object deleted meanwhile by another process: answered with its error before the head, nothing lost.
    if (answered && isAppError(err)) {
      if (rec.service === 'oss') rec.errorCode = ossWireForm(err).code;
      return;
    }
    // A blob file missing or unreadable: answered InternalError when found before the head (`answered`),
    // else the connection was cut mid-body. Either way the operator learns which file and which request.
    deps.log.error(answered ? 'internal error' : 'response body failed after its head was sent', {
      requestId, op: opName, err: err.stack ?? String(err),
    });
    if (answered && rec.service === 'oss') rec.errorCode = 'InternalError';
  });
  if (deps.observe && rec.service !== null) {
    try {
      observeResponse(rec, req, res, response, promised, deps.observe);
    } catch (err) {
      // The answer is already on its way: an observer failure is logged, never turned into a cut connection.
      deps.log.error('request observer failed', { requestId, op: opName, err: err instanceof Error ? err.stack : String(err) });
    }
  }
  deps.log.request(() => ({
    requestId, method, url: redactUrl(req.url ?? '/'), op: opName, status: response.status,
    ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100, principal: principalLabel(rec.principal),
  }));
}

/**
 * An OSS answer built whole: one larger than HELD_ANSWERS.countedOver becomes a body counted until its client has it, or,
 * for a GET, a 503 ServiceUnavailable when the answers held would go past the bound (a client that asks and never reads
 * holds its answer until the idle timeout; XML escaping makes a listing of 1,000 keys up to ~5 MB).
 */
function heldOrBusy(req: IncomingMessage, response: OssResponse, requestId: string, rec: RequestRecord): OssResponse {
  if (req.method === 'HEAD' || response.headOnly === true) return response;
  // Only a read is refused: what another request did is done, and a 503 would have its client do it again (a write
  // whose answer may be large takes its room before it acts: DeleteMultipleObjects, upload callbacks). DoMetaQuery is
  // a read sent as POST (a page of 100 files, each with its key, metadata and tags escaped: megabytes).
  const counted = countedResponse(response, clientOf(req.socket.remoteAddress), req.method !== 'GET' && rec.operation !== 'DoMetaQuery');
  if (counted !== null) return counted;
  const busy = answersBusy();
  rec.errorCode = busy.code;
  rec.message = busy.message;
  return ossErrorResponse(busy, requestId, hostIdOf(req), req.method ?? 'GET');
}

/** The request's facts for the bucket access log (audit/access-log.ts). */
function accessFacts(req: IncomingMessage, bucket: string, key: string | null): AccessFacts {
  let headerBytes = 0;
  for (const part of req.rawHeaders) headerBytes += part.length + 2;
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    httpVersion: req.httpVersion,
    host: req.headers.host ?? '',
    referer: one(req.headers.referer),
    userAgent: one(req.headers['user-agent']),
    bucket,
    key,
    headerBytes,
  };
}

/** The address a request reached, as a URL authority (`ip:port`, IPv6 in brackets). */
function localAddressOf(req: IncomingMessage): string {
  const ip = req.socket.localAddress ?? '127.0.0.1';
  return `${ip.includes(':') ? `[${ip}]` : ip}:${req.socket.localPort ?? 80}`;
}

/**
 * Writes the answer; returns the body bytes it promised (Content-Length; for a stream, what the stream sends
 * is counted where it ends). `ossRequestId` null: a POP response, which carries its own request id and no
 * OSS headers. The head goes out in one writeHead with a flat list: node's per-header bookkeeping
 * (setHeader's lowercased map) costs a few µs per request, and checkHeaders() checked every value already.
 */
function write(
  req: IncomingMessage, res: ServerResponse, response: OssResponse, ossRequestId: string | null, started: bigint,
  plainHeaders: boolean, bodyFailed: (err: Error, answered: boolean) => void,
): number {
  // A client gone mid-answer makes writes fail; the connection is already over, nothing to do.
  res.on('error', () => undefined);
  const body = response.body;
  const bodyless = body === undefined || req.method === 'HEAD' || response.headOnly === true;
  // A body in one piece: its bytes, and their count is the Content-Length (a HEAD says what a GET would send).
  const bytes = body === undefined || body instanceof Readable ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let length = bytes === undefined ? undefined : String(bytes.length);
  const head: string[] = [];
  // The lower-cased name of each pair in `head`, in order: names differing only in case are one header, the last
  // one set wins (as res.setHeader would have it). An answer has a few dozen at most: a scan, no Set per answer.
  const lowers: string[] = [];
  const set = (name: string, value: string): void => {
    const lower = lowerName(name);
    const at = lowers.indexOf(lower);
    if (at >= 0) {
      lowers.splice(at, 1);
      head.splice(at * 2, 2);
    }
    lowers.push(lower);
    head.push(name, value);
  };
  // Date: node adds it (res.sendDate), formatted once per second.
  if (ossRequestId !== null) {
    set('Server', 'AliyunOSS');
    set('x-oss-request-id', ossRequestId);
    set('x-oss-server-time', String(Number((process.hrtime.bigint() - started) / 1_000_000n)));
  }
  const headers = response.headers;
  let chunked = false;
  // An HTTP/1.0 client knows no chunked coding (RFC 9112 §6.1: a server must not send Transfer-Encoding to it):
  // a body of unknown length goes to it as it is, ended by the connection's close (node does that unasked).
  const http10 = req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1);
  for (const k in headers) {
    const lower = lowerName(k);
    // checkHeaders() found every value printable ASCII: wireValue would return each unchanged.
    const value = plainHeaders ? headers[k]! : wireValue(headers[k]!);
    if (lower === 'content-length') length ??= headers[k];
    else if (lower === 'transfer-encoding') {
      chunked = true;
      if (!http10) set(k, value);
    } else set(k, value);
  }
  // A body of unknown length goes out chunked. An answer that says it is chunked (a gzip-compressed object,
  // oss/compression.ts) has no length, for a HEAD too, which says what the GET would send.
  if (!chunked && (length !== undefined || bodyless)) set('Content-Length', length ?? '0');
  const openFirst = !bodyless && body instanceof Readable && opensFirst(body) && ossRequestId !== null ? body.openFirst.bind(body) : undefined;
  if (openFirst !== undefined && ossRequestId !== null && body instanceof Readable) {
    // A blob file is opened (and measured, or its first encrypted chunk read) before the head goes out: the first
    // read would open it anyway, and node sends the head with the first bytes. One missing, short or undecryptable
    // is an InternalError answer, not a 200 head and a cut connection (util/opens-first.ts).
    const first = body;
    res.on('close', () => first.destroy());
    openFirst((err) => {
      if (err === null) return void sendHead(req, res, response, head, set, bodyless, bytes, bodyFailed);
      first.destroy();
      bodyFailed(err, true);
      // The error document replaces the answer in place: the request's record reads its status from it. An object
      // deleted by another process since its record was read is answered as a GET after the delete (NoSuchKey).
      const failed = ossErrorResponse(isAppError(err) ? err : new AppError('InternalError'), ossRequestId, hostIdOf(req), req.method ?? 'GET');
      response.status = failed.status;
      response.headers = failed.headers;
      response.body = failed.body;
      delete response.headOnly;
      write(req, res, response, ossRequestId, started, false, bodyFailed);
    });
    return 0;
  }
  return sendHead(req, res, response, head, set, bodyless, bytes, bodyFailed);
}

/** write()'s second half: the head (with the Connection header decided now), then the body. */
function sendHead(
  req: IncomingMessage, res: ServerResponse, response: OssResponse, head: string[], set: (name: string, value: string) => void,
  bodyless: boolean, bytes: Buffer | undefined, bodyFailed: (err: Error, answered: boolean) => void,
): number {
  const body = response.body;
  if (drainOrClose(req, res)) set('Connection', 'close');
  else if (response.headOnly === true && req.method !== 'HEAD') closeAfterHead(req, res, set);
  res.writeHead(response.status, head);
  if (bodyless) {
    if (body instanceof Readable) body.destroy();
    res.end();
    return 0;
  }
  if (!(body instanceof Readable)) {
    const sent = bytes ?? Buffer.alloc(0);
    res.end(sent);
    return sent.length;
  }
  body.on('error', (err: Error) => {
    // Bytes were already promised; the only honest signal left is to cut the connection.
    res.destroy();
    bodyFailed(err, false);
  });
  // A client that left while the answer was prepared: its 'close' is past, so nothing would stop the body.
  if (res.destroyed) {
    body.destroy();
    return 0;
  }
  res.on('close', () => body.destroy());
  // A file body writes itself with reused buffers (no new external memory per read: see util/recycling-source.ts).
  // On a plain TCP socket, cached file bytes may go to it with sendfile (http/direct-sink.ts).
  if (isRecyclingSource(body)) body.pumpTo(res, directSinkOf(res));
  else body.pipe(res);
  return 0;
}

/** The most of an unread request body drained to keep its connection; beyond it the connection closes. */
export const DRAIN_MAX_BYTES = 1024 * 1024;

/**
 * A request body the handler did not read to its end (refused early, or a reader that stopped at its
 * limit): the connection can serve the next request only once the rest of this body is consumed. A
 * small declared rest is drained; a big or chunked one, or one whose reader destroyed the request
 * (nothing can drain it then), ends the connection with `Connection: close` after this answer.
 */
function drainOrClose(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.complete && req.readableEnded) return false;
  const declared = Number(req.headers['content-length'] ?? '0');
  // A PostObject form's rest is not drained (oss/post-form.ts formWasRead): its client may trickle it forever.
  const drainable = !req.destroyed && req.headers['transfer-encoding'] === undefined && declared <= DRAIN_MAX_BYTES && !formWasRead(req);
  const close = !req.complete && !drainable;
  if (close) {
    // Node ends the connection after an answer saying `Connection: close`; destroying the socket as
    // well makes sure unread bytes are not parsed as a next request. Taken now: req/res detach from it.
    const socket = res.socket ?? req.socket;
    res.on('finish', () => socket?.destroy());
  }
  if (!req.destroyed) {
    req.unpipe();
    req.resume();
  }
  return close;
}

/**
 * An answer whose Content-Length promises bytes it does not send (OssResponse.headOnly on a GET): `Connection:
 * close`, and the socket destroyed once the head is out, so nothing after it on the connection is read as those
 * bytes or answered.
 */
function closeAfterHead(req: IncomingMessage, res: ServerResponse, set: (name: string, value: string) => void): void {
  set('Connection', 'close');
  const socket = res.socket ?? req.socket;
  res.on('finish', () => socket?.destroy());
}

/** Printable ASCII and tab: a value node sends as is (and wireValue leaves alone). */
const PLAIN_HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/**
 * Response header names node already accepted (a small set: the answers' own names and x-oss-meta-*), each with
 * its lower-cased form (write() compares names case-insensitively; a lower-casing per name and answer cost more
 * than the lookup), at most 4,096 of at most 128 characters: a name is an object's metadata name, which its
 * writer chooses (up to the 8 KB of user metadata), so remembering any name let 4,096 objects' names keep ~32 MB.
 * A longer name is validated each time, as an unseen one is.
 */
const acceptedNames = new Map<string, string>(
  // The names write() sets itself.
  ['Server', 'x-oss-request-id', 'x-oss-server-time', 'Content-Length', 'Connection'].map((n) => [n, n.toLowerCase()]),
);
const ACCEPTED_NAME_MAX_CHARS = 128;

/** A response header name lower-cased (remembered for the names node accepted). */
function lowerName(name: string): string {
  return acceptedNames.get(name) ?? name.toLowerCase();
}

/**
 * What the listener found of an answer's headers: `true` when every value is printable ASCII (sent as is: write()
 * skips wireValue's scan of each), `null` when all can be sent but some need wireValue, else the first header
 * node would refuse to send (name or value).
 */
type HeaderCheck = true | null | string;

function checkHeaders(headers: Record<string, string>): HeaderCheck {
  let plain = true;
  // for…in rather than Object.entries: no array of pairs per answer.
  for (const k in headers) {
    const v = headers[k]!;
    // The common case, checked once per request rather than through node's validators.
    if (acceptedNames.has(k) && PLAIN_HEADER_VALUE.test(v)) continue;
    plain = false;
    try {
      validateHeaderName(k);
      validateHeaderValue(k, wireValue(v));
    } catch {
      return k;
    }
    if (acceptedNames.size < 4096 && k.length <= ACCEPTED_NAME_MAX_CHARS) acceptedNames.set(k, k.toLowerCase());
  }
  return plain ? true : null;
}

/**
 * An exception that escaped handle() itself: answer 500 if nothing was sent yet, else cut the
 * connection; log it with the request's id (the one the answer carries, when it went out).
 */
function lastResort(log: Logger, req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string): void {
  try {
    log.error('internal error outside the request pipeline', { requestId, url: redactUrl(req.url ?? '/'), err: err instanceof Error ? err.stack : String(err) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    closeWithError(req, res, new AppError('InternalError'), requestId);
  } catch {
    res.destroy();
  }
}

/**
 * Requests node's HTTP parser refuses before any handler runs (headers over the size limit, a
 * malformed Content-Length, …) still get an OSS error document instead of a bare status line.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const answering = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (answering) {
    // Bad bytes pipelined behind complete requests: their answers go out whole first (node keeps sending
    // them), then this one in its place. Written now, it would land inside an answer's body.
    if (answering.req.complete) {
      answering.once('close', () => setImmediate(() => answerClientError(err, socket)));
      return;
    }
    // The request being answered is itself cut (its body ended early, e.g. the client half-closed): its
    // handler waits for bytes that will not come. An answer already begun cannot take another one inside it:
    // the connection is cut; else the 400 below goes out and ends it, which ends that request too.
    if (answering.headersSent) {
      socket.destroy();
      return;
    }
  }
  const message = err.code === 'HPE_HEADER_OVERFLOW'
    ? 'The request headers are larger than the server accepts (16 KiB in all).'
    : 'The request is not valid HTTP/1.1.';
  const requestId = newRequestId();
  // A HEAD's answer has no body: one after its head is garbage to the client ("Data after Connection: close"), so
  // its error goes in x-oss-err as for any HEAD. node hands the bytes it failed on (rawPacket, the socket read
  // holding them); when they do not begin with the request's line the method is unknown and the body is sent.
  const method = isHeadRequest(err) ? 'HEAD' : 'GET';
  const response = ossErrorResponse(new AppError('InvalidRequest', message), requestId, '', method);
  const body = Buffer.from(typeof response.body === 'string' ? response.body : '', 'utf8');
  const head = [
    `HTTP/1.1 ${response.status} Bad Request`,
    'Server: AliyunOSS',
    `x-oss-request-id: ${requestId}`,
    ...Object.entries(response.headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`,
    'Connection: close',
  ];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}

const HEAD_LINE = Buffer.from('HEAD ', 'latin1');

/** Whether the bytes node's parser failed on begin with a HEAD request line. */
function isHeadRequest(err: Error): boolean {
  const raw = (err as Error & { rawPacket?: unknown }).rawPacket;
  return Buffer.isBuffer(raw) && raw.length >= HEAD_LINE.length && raw.subarray(0, HEAD_LINE.length).equals(HEAD_LINE);
}

/**
 * A chunked body declares no length (or one the chunks override: chunked-length.ts): count the bytes node's parser
 * hands the request (decoded chunk payloads, what a reader gets), whoever reads them, so metrics, the audit line and
 * the access log carry the real size. Only such requests pay for it; otherwise the declared Content-Length stands.
 */
function countChunkedBody(req: IncomingMessage, rec: RequestRecord): void {
  rec.bytesIn = 0;
  const push = req.push;
  req.push = function countedPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined && typeof (chunk as { length?: unknown }).length === 'number') rec.bytesIn += (chunk as { length: number }).length;
    return push.call(this, chunk, encoding);
  };
}

/** The bucket's user-defined log fields of this request, for its audit line (PutUserDefinedLogFieldsConfig). */
async function noteUserLogFields(deps: ListenerDeps, req: IncomingMessage, bucketName: string, rec: RequestRecord): Promise<void> {
  try {
    const bucket = await deps.authz.getBucket(bucketName);
    const fields = bucket === null ? null : userLogFieldsOf(bucket);
    if (fields === null) return;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    rec.userDefinedLogFields = encodeUserLogFields(fields, req.headers, new Map(q < 0 ? [] : parseQuery(url.slice(q + 1))));
  } catch {
    // a bucket that cannot be read now (gone, store error): the line goes without the fields
  }
}
