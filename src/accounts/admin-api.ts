// `/-/accounts`: the operator's HTTP API for accounts (docs/accounts.md), signed with the default account's root
// AccessKey like `POST /-/reset` (OSS V1/V4 over bucket `-`, key `accounts[/<id>]`). GET lists, POST creates
// (a JSON body whose Content-MD5 is given and signed), DELETE /-/accounts/<id> deletes. Each signed request
// is accepted once: its signature is claimed as a nonce in the metadata store, so a captured request cannot be
// replayed within its 15-minute window, from any process sharing the store.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MAX_SKEW_MS, type Authenticated } from '../auth/authenticate.js';
import { authenticateInternal } from '../auth/internal-request.js';
import type { CredentialResolver } from '../auth/principal.js';
import { AppError } from '../errors.js';
import { cutShortAsIncomplete, readBoundedBody } from '../http/read-body.js';
import type { OssResponse } from '../oss/context.js';
import type { Clock } from '../util/time.js';
import { AccountError, type AccountInfo, type AccountRegistry, type NewAccount } from './registry.js';

export interface AccountsApiDeps {
  accounts: AccountRegistry;
  credentials: CredentialResolver;
  region: string;
  clock: Clock;
  hostnames: readonly string[];
  /** Where used signatures are claimed (the identity store's replay table, shared by every process). */
  nonces: { claimNonce(nonce: string, expiresAt: number, now: number): Promise<boolean> };
}

const MAX_BODY = 4096;

const json = (status: number, value: unknown): OssResponse => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
const info = (a: AccountInfo): Record<string, unknown> => ({
  accountId: a.accountId, name: a.name, accessKeyId: a.accessKeyId, default: a.isDefault,
  createDate: a.createDate === null ? null : new Date(a.createDate).toISOString(),
});

const readBody = (req: IncomingMessage): Promise<Buffer> => readBoundedBody(req, MAX_BODY, () => new AppError('EntityTooLarge', `An account request body is at most ${MAX_BODY} bytes.`))
  .catch(cutShortAsIncomplete);

/** The fields of a create request: strings only, nothing else. */
function newAccountOf(body: Buffer): NewAccount {
  let doc: unknown;
  try {
    doc = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('InvalidArgument', 'The body must be a JSON object: {"accountId"?, "name"?, "accessKeyId"?, "accessKeySecret"?}.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new AppError('InvalidArgument', 'The body must be a JSON object.');
  const out: NewAccount = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k !== 'accountId' && k !== 'name' && k !== 'accessKeyId' && k !== 'accessKeySecret') throw new AppError('InvalidArgument', `Unknown field ${JSON.stringify(k.slice(0, 64))}.`);
    if (typeof v !== 'string') throw new AppError('InvalidArgument', `${k} must be a string.`);
    out[k] = v;
  }
  if ((out.accessKeyId === undefined) !== (out.accessKeySecret === undefined)) throw new AppError('InvalidArgument', 'accessKeyId and accessKeySecret go together.');
  return out;
}

/**
 * The accounts API takes a signature in the Authorization header only: a signed URL may stay valid for days, a
 * header signature's time lies within 15 minutes of the server's clock. Returns the verified signature.
 */
function headerSignature(req: IncomingMessage, auth: Authenticated): string {
  const { method, signature } = auth;
  if ((method !== 'v1' && method !== 'v2' && method !== 'v4') || req.headers.authorization === undefined || signature === undefined) {
    throw new AppError('AccessDenied', 'The accounts API takes a signature in the Authorization header only (not a signed URL).');
  }
  return signature;
}

/**
 * Refuses a signed change (POST, DELETE) seen before. A header signature's time lies within 15 minutes of the
 * server's clock, so a claim is kept for twice that and then forgotten. The claim is the signature itself, so
 * two requests differ when their method, path, time, Content-MD5 or signed x-oss- headers differ.
 */
async function claimOnce(auth: Authenticated, signature: string, deps: AccountsApiDeps): Promise<void> {
  const now = deps.clock();
  // The verified signature, not the raw header: the parsers ignore spacing, unknown fields and the hex's case.
  const nonce = `accounts-api\n${createHash('sha256').update(`${auth.method}\n${auth.accessKeyId ?? ''}\n${signature}`).digest('hex')}`;
  if (!(await deps.nonces.claimNonce(nonce, now + 2 * MAX_SKEW_MS + 1000, now))) {
    throw new AppError('AccessDenied', 'This signed request was already used: each accounts API request is accepted once. Sign a new one (a later Date, or another signed x-oss- header).');
  }
}

export async function handleAccountsApi(req: IncomingMessage, path: string, deps: AccountsApiDeps): Promise<OssResponse> {
  const method = req.method ?? 'GET';
  const auth = await authenticateInternal(req, deps);
  if (auth.principal.type !== 'root' || auth.principal.accountId !== deps.accounts.defaultAccountId) {
    throw new AppError('AccessDenied', 'Only the server\'s own account root AccessKey can manage accounts.');
  }
  // Changes are accepted once; a listing changes nothing, so the same signed GET may be repeated (the console
  // refreshes its view, possibly twice in one second, with the same Date).
  const signature = headerSignature(req, auth);
  if (method !== 'GET' && method !== 'HEAD') await claimOnce(auth, signature, deps);
  const id = path.startsWith('/-/accounts/') ? path.slice('/-/accounts/'.length) : null;
  try {
    if (id === null && method === 'GET') return json(200, { accounts: (await deps.accounts.list()).map(info) });
    if (id === null && method === 'POST') {
      const body = await readBody(req);
      // V1 signs Content-MD5, not the body: the body counts only when its digest is given, signed and right.
      const md5 = req.headers['content-md5'];
      if (typeof md5 !== 'string' || md5 !== createHash('md5').update(body).digest('base64')) {
        throw new AppError('InvalidDigest', 'POST /-/accounts needs a Content-MD5 header (signed) matching the body.');
      }
      const created = await deps.accounts.create(newAccountOf(body));
      return json(200, { ...info(created), accessKeySecret: created.accessKeySecret });
    }
    if (id !== null && method === 'DELETE') {
      await deps.accounts.delete(id);
      return json(200, { deleted: id });
    }
  } catch (err) {
    if (err instanceof AccountError) throw new AppError('InvalidArgument', err.message);
    throw err;
  }
  throw new AppError('MethodNotAllowed', 'Use GET or POST /-/accounts, or DELETE /-/accounts/<accountId>.');
}
