import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
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
import { callbackFormFieldsOf, callbackOf, callbackPolicyNameOf, callbackVarOf, type UploadCallbacks } from '../oss/callback.js';
import { namedCallback } from '../oss/callback-policy.js';
import { checkHeaders, hostIdOf, write, type HeaderCheck } from './response-write.js';
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
