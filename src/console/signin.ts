import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/principal.js';
import { RequestRecord } from '../audit/record.js';
import { isAppError } from '../errors.js';
import { BodyCutShort, readBoundedBody } from '../http/read-body.js';
import { newRequestId } from '../util/ids.js';
import type { OssResponse } from '../oss/context.js';
import { parseIp, parseIpPattern } from '../policy/ip.js';
import type { RamExtras } from '../ram/extras.js';
import type { IdentityStore } from '../store/meta/types.js';
import type { TokenService } from '../sts/token.js';
import { base32Decode, base32Encode, consecutiveCodesStep } from '../ram/totp.js';
import { open, seal } from '../util/secret-box.js';
import type { Clock } from '../util/time.js';
import { addressKey, HOUR_MS } from './attempts.js';
import { lockedAt, SharedAttempts, type FailureNote, type Failures, type SharedAttemptsStore } from './shared-attempts.js';
import { GuessesInFlight, roomFor } from './guesses-in-flight.js';
import { PasswordCheckSlots } from '../util/password-check-slots.js';
import { CONSOLE_SECURITY_HEADERS } from './serve.js';

// Console sign-in of RAM users with their logon name and password (docs/console.md): JSON over
// POST /-/console/api/signin[/mfa|/bind-mfa|/password], same origin only. The answer is STS-style credentials that act
// as the user itself (sts/token.ts `userId` claim → a `user` principal), so the console signs every later
// request with them and authorization reads exactly the user's own and its groups' policies.
//
// Steps: password → (TOTP code, when a device is bound; or two codes of a new device, when the profile requires
// MFA and none is bound) → (new password, when the profile requires a reset or
// the password is past MaxPasswordAge) → credentials. Between steps the browser holds a ticket: sealed under
// the master key, bound to the user and the step, valid five minutes, used once. Nothing about a ticket is kept
// in the process: any server sharing the database (and the master key) takes the next step, and a spent
// ticket is a nonce in the store (`claimNonce`) until it expires, refused on every server.

export const SIGNIN_PATH = '/-/console/api/signin';
const MFA_PATH = `${SIGNIN_PATH}/mfa`;
const PASSWORD_PATH = `${SIGNIN_PATH}/password`;
const BIND_PATH = `${SIGNIN_PATH}/bind-mfa`;
/** Seed of a device bound at sign-in: 160 bits (RFC 4226's recommendation), 32 base32 characters. */
const BIND_SEED_BYTES = 20;

const MAX_BODY = 4096;
const TICKET_TTL_MS = 5 * 60 * 1000;
const TICKET_BOUND = 'alunite console sign-in ticket v1';
/** Wrong codes one MFA ticket takes before it is void (the user's MaxLoginAttemps counts them too). */
const MAX_CODES_PER_TICKET = 5;
/** Failed sign-ins from one address per window before it is refused for the window. */
export const IP_MAX_FAILURES = 50;
const IP_WINDOW_MS = 15 * 60 * 1000;
/** Spent tickets are store nonces under this prefix (not an AccessKeyId, not the SAML prefix). */
const SPENT_TICKET = 'console-ticket\n';
const MAX_LOGON_NAME = 200;
/**
 * Password hashes (scrypt: 16 MiB and ~50-70 ms of a thread of libuv's pool, which file I/O and the database's
 * syncs share) run at most this many at once, and at most PASSWORD_CHECKS_QUEUED wait; a sign-in beyond is 429.
 * Before, 200 anonymous sign-ins sent at once were 200 hashes: 14 s of both cores of the test machine.
 */
export const PASSWORD_CHECKS_AT_ONCE = 2;
export const PASSWORD_CHECKS_QUEUED = 32;

/** The one answer to a wrong name, password or account: it tells nothing about which (no user enumeration). */
const FAILED = { Code: 'SignInFailed', Message: 'The logon name or the password is incorrect.' } as const;
const LOCKED = { Code: 'LoginLocked', Message: 'Too many failed sign-ins: the user is locked for an hour. Try again later or ask an administrator.' } as const;

/** An account as sign-in sees it: its RAM extras (login profiles, MFA, settings) and its users by name. */
export interface SignInAccount {
  accountId: string;
  extras: RamExtras;
  users: Pick<IdentityStore, 'getUser' | 'getUserById'>;
}

export interface SignInDeps {
  defaultAccountId: string;
  /**
   * The account a logon name's domain names: a 16-digit account id or an account alias (null: the bare user
   * name, the default account). null when no account answers; 'unsupported' for an account that exists but
   * whose login profiles this server does not keep (yet).
   */
  account(domain: string | null): Promise<SignInAccount | 'unsupported' | null>;
  tokens: TokenService;
  /**
   * The metadata store (the server's, whatever account signs in): failed sign-ins per user and wrong codes per
   * ticket, and spent tickets, shared by every process.
   */
  store: SharedAttemptsStore & Pick<IdentityStore, 'claimNonce' | 'nonceLive'>;
  masterKey: Buffer;
  clock: Clock;
  /** Each sign-in step as a request record (audit log, metrics); it never holds a password, code or ticket. */
  record?: (rec: RequestRecord) => void;
  /** Where a sign-in's unexpected failure (a 500) is reported. */
  log?: (msg: string, fields: Record<string, unknown>) => void;
  /** Guesses being checked now, shared with ChangePassword's (console/password-guesses.ts); a new tally by default. */
  guessesInFlight?: GuessesInFlight;
}

interface Ticket {
  a: string;
  u: string;
  /** mfa: a code is due next; bind: two codes of a new device; reset: a new password. */
  s: 'mfa' | 'reset' | 'bind';
  /** bind: the new device's base32 seed and name. */
  k?: string;
  d?: string;
  /** After the code: whether a new password is still due. */
  r: boolean;
  /** The stamp of the login profile whose password was given (ram/login-profiles.ts): the ticket dies with it. */
  p: string;
  /** reset after an MFA code (or a device bound): the session it leads to has acs:MFAPresent true. */
  m?: true;
  e: number;
  id: string;
}

type Json = Record<string, unknown>;

class Answer {
  constructor(readonly status: number, readonly body: Json) {}
}

function respond(a: Answer): OssResponse {
  return {
    status: a.status,
    headers: { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(a.body),
  };
}

const fail = (status: number, body: { Code: string; Message: string }): Answer => new Answer(status, body);

/** `user`, `user@<alias|uid>`, `user@<alias|uid>.onaliyun.com` → user name and domain (null: bare name). */
export function parseLogonName(logonName: string): { userName: string; domain: string | null } | null {
  if (logonName.length === 0 || logonName.length > MAX_LOGON_NAME) return null;
  const at = logonName.lastIndexOf('@');
  const userName = at < 0 ? logonName : logonName.slice(0, at);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(userName)) return null;
  if (at < 0) return { userName, domain: null };
  const domain = logonName.slice(at + 1).toLowerCase().replace(/\.onaliyun\.com$/, '');
  if (!/^[a-z0-9-]{1,64}$/.test(domain)) return null;
  return { userName, domain };
}

/** The request comes from a page of this origin: a JSON body (a cross-site form cannot send one without CORS) and a matching Origin. */
function sameOrigin(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser's cross-origin request (browsers send Origin on POST)
  const scheme = 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http';
  return origin === `${scheme}://${req.headers.host ?? ''}`;
}

/** The body as a JSON object; null when it is too large or not one. */
async function readJson(req: IncomingMessage): Promise<Json | null> {
  const tooLarge = new Error('too large');
  let body: Buffer;
  try {
    body = await readBoundedBody(req, MAX_BODY, () => tooLarge);
  } catch (err) {
    // Too large, or cut short by a client that left: no document (never an internal error).
    if (err === tooLarge || err instanceof BodyCutShort) return null;
    throw err;
  }
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

function str(body: Json, name: string, max = 256): string | null {
  const v = body[name];
  return typeof v === 'string' && v.length <= max ? v : null;
}

/** LoginNetworkMasks: `;`-separated IPv4 CIDR blocks; empty = anywhere. */
function networkAllowed(masks: string, sourceIp: string): boolean {
  if (masks.trim() === '') return true;
  const ip = parseIp(sourceIp);
  if (!ip) return false;
  return masks.split(';').some((m) => parseIpPattern(m.trim())?.matches(ip) === true);
}

/** A source address's key among the shared counts: its `addressKey`, apart from every logon key (`<account>/<name>`) and ticket key. */
const addressOf = (ip: string): string => `#ip/${addressKey(ip)}`;

export class ConsoleSignIn {
  /**
   * Per user, in the store (shared-attempts.ts): `p` failed sign-ins (wrong password or code), `m` wrong MFA codes,
   * which a correct password does not clear (only a full sign-in, or the lock's hour).
   */
  private readonly failures: SharedAttempts;
  /** Guesses being checked now, per counted key: a burst cannot outrun the stored counts. */
  private readonly inFlight: GuessesInFlight;
  private readonly passwordChecks = new PasswordCheckSlots(PASSWORD_CHECKS_AT_ONCE, PASSWORD_CHECKS_QUEUED);

  constructor(private readonly deps: SignInDeps) {
    this.failures = new SharedAttempts(deps.store, deps.masterKey, HOUR_MS);
    this.inFlight = deps.guessesInFlight ?? new GuessesInFlight();
  }

  private userFailure(userKey: string, counter: 'p' | 'm', limit: number): FailureNote {
    return { key: userKey, counter, limit, windowMs: HOUR_MS, lockMs: HOUR_MS };
  }

  /** A failure from a source address: counted in the store (every server), by its `addressKey`. */
  private addressFailure(ip: string): FailureNote {
    return { key: addressOf(ip), counter: 'a', limit: IP_MAX_FAILURES, windowMs: IP_WINDOW_MS, lockMs: IP_WINDOW_MS };
  }

  /** Whether the source address is refused for now (every server's failures count). */
  private async addressLocked(ip: string, now: number): Promise<boolean> {
    return lockedAt(await this.failures.read(addressOf(ip)), 'a', now);
  }

  /** A wrong code on a ticket: counted in the store (every server); the MAX_CODES_PER_TICKET-th spends it. */
  private ticketFailure(ticket: Ticket): FailureNote {
    return { key: `#ticket/${ticket.id}`, counter: 'p', limit: MAX_CODES_PER_TICKET, windowMs: TICKET_TTL_MS, lockMs: TICKET_TTL_MS };
  }

  /** The route for the internal handler: null for paths it does not own. */
  handle(path: string, req: IncomingMessage): Promise<OssResponse> | null {
    if (path !== SIGNIN_PATH && path !== MFA_PATH && path !== PASSWORD_PATH && path !== BIND_PATH) return null;
    return this.answer(path, req).then(respond);
  }

  private async answer(path: string, req: IncomingMessage): Promise<Answer> {
    const sourceIp = req.socket.remoteAddress ?? '';
    const rec = new RequestRecord(newRequestId(), sourceIp, process.hrtime.bigint(), Number(req.headers['content-length'] ?? 0) || 0);
    rec.service = 'ram';
    rec.operation = path === SIGNIN_PATH ? 'ConsoleSignIn' : path === MFA_PATH ? 'ConsoleSignInMFA' : path === BIND_PATH ? 'ConsoleSignInBindMFA' : 'ConsoleSignInChangePassword';
    let principal: Principal | null = null;
    let out: Answer;
    try {
      if (req.method !== 'POST') out = fail(405, { Code: 'MethodNotAllowed', Message: 'Use POST with a JSON body.' });
      else if (!sameOrigin(req)) out = fail(403, { Code: 'InvalidOrigin', Message: 'Sign-in is accepted from the console\'s own origin only, as application/json.' });
      else {
        const body = await readJson(req);
        if (!body) out = fail(400, { Code: 'InvalidParameter', Message: `The body must be a JSON object of at most ${MAX_BODY} bytes.` });
        else {
          const step = path === SIGNIN_PATH ? this.password(body, sourceIp)
            : path === MFA_PATH ? this.code(body, sourceIp)
              : path === BIND_PATH ? this.bind(body, sourceIp)
                : this.newPassword(body);
          const r = await step;
          out = r.answer;
          principal = r.principal ?? null;
        }
      }
    } catch (err) {
      if (isAppError(err) && err.status < 500) out = fail(err.status, { Code: err.code, Message: err.message });
      else {
        this.deps.log?.('console sign-in failed', { requestId: rec.requestId, op: rec.operation, err: err instanceof Error ? err.stack : String(err) });
        out = fail(500, { Code: 'InternalError', Message: `The sign-in failed on the server (request ${rec.requestId}).` });
      }
    }
    rec.principal = principal;
    if (out.status >= 400) {
      rec.errorCode = String(out.body.Code);
      rec.message = String(out.body.Message);
    }
    rec.finish(out.status, 0);
    try {
      this.deps.record?.(rec);
    } catch {
      // the audit trail's own failures are its own to report; the sign-in answer goes out
    }
    return out;
  }

  // ---- step 1: logon name and password

  private async password(body: Json, ip: string): Promise<{ answer: Answer; principal?: Principal }> {
    const logonName = str(body, 'logonName', MAX_LOGON_NAME);
    const password = str(body, 'password', 256);
    if (logonName === null || password === null) {
      return { answer: fail(400, { Code: 'InvalidParameter', Message: 'logonName and password (strings) are required.' }) };
    }
    const now = this.deps.clock();
    const parsed = parseLogonName(logonName.trim());
    const account = parsed ? await this.deps.account(parsed.domain) : null;
    if (account === 'unsupported') {
      return { answer: fail(501, { Code: 'NotImplemented', Message: 'Console sign-in of this account\'s RAM users is not available on this server yet.' }) };
    }
    // Unknown names count and lock like known ones, so locking tells nothing either.
    const userKey = `${account?.accountId ?? parsed?.domain ?? ''}/${(parsed?.userName ?? logonName).toLowerCase()}`;
    const policy = account ? await account.extras.settings.passwordPolicy() : null;
    const maxAttempts = policy?.maxLoginAttemps ?? 5;
    const place = this.inFlight.enter([addressOf(ip), userKey]);
    let failures: Failures | null | undefined;
    let profile: Awaited<ReturnType<RamExtras['loginProfiles']['verifySignIn']>> | null;
    let user: Awaited<ReturnType<SignInAccount['users']['getUser']>> | null;
    try {
      // The address's and the name's counts: one read.
      let fromAddress: Failures | null | undefined;
      [fromAddress, failures] = await this.failures.readMany([addressOf(ip), userKey]);
      if (lockedAt(fromAddress ?? null, 'a', now)) return { answer: this.throttled() };
      if (lockedAt(failures ?? null, 'p', now) || lockedAt(failures ?? null, 'm', now)) {
        await this.failures.fail([this.addressFailure(ip)], now);
        return { answer: fail(403, LOCKED) };
      }
      // The guesses in flight may all fail: one that could not be counted before the limit is not checked.
      if (!roomFor(fromAddress ?? null, 'a', IP_MAX_FAILURES, IP_WINDOW_MS, place.ahead[0]!, now)) return { answer: this.throttled() };
      if (!roomFor(failures ?? null, 'p', maxAttempts, HOUR_MS, place.ahead[1]!, now)) return { answer: this.userBusy() };
      user = account && parsed ? await account.users.getUser(parsed.userName) : null;
      // Always one password hash, with or without a user and profile (same timing).
      const checked = await this.passwordChecks.run(async () => ({
        profile: account
          ? await account.extras.loginProfiles.verifySignIn(user?.userId ?? null, password)
          : await (await this.defaultExtrasForTiming())?.loginProfiles.verifySignIn(null, password) ?? null,
      }));
      if (checked === null) return { answer: this.busy() };
      profile = checked.profile;
      if (!account || !user || !profile) {
        await this.failures.fail([this.userFailure(userKey, 'p', maxAttempts), this.addressFailure(ip)], now);
        return { answer: fail(401, FAILED) };
      }
    } finally {
      place.leave();
    }
    const left = await this.failures.clear(userKey, ['p'], failures ?? null, now);
    const principal: Principal = { type: 'user', accountId: account.accountId, userId: user.userId, userName: user.userName, accessKeyId: '' };
    const pref = await account.extras.settings.securityPreference();
    if (!networkAllowed(pref.loginNetworkMasks, ip)) {
      return { answer: fail(403, { Code: 'LoginNetworkNotAllowed', Message: 'The account\'s security preference does not allow sign-in from this network address.' }), principal };
    }
    let reset = profile.passwordResetRequired;
    if (policy!.maxPasswordAge > 0 && now > profile.passwordSetDate + policy!.maxPasswordAge * 24 * HOUR_MS) {
      if (policy!.hardExpiry) {
        return { answer: fail(403, { Code: 'PasswordExpired', Message: 'The password has expired and the password policy requires an administrator to reset it.' }), principal };
      }
      reset = true;
    }
    if (await account.extras.mfa.bound(user.userId)) {
      return { answer: this.ticketAnswer({ a: account.accountId, u: user.userId, s: 'mfa', r: reset, p: profile.stamp }, now), principal };
    }
    if (profile.mfaBindRequired) {
      // The profile requires MFA and none is bound: the user binds a new virtual device now (as at the cloud's logon).
      const seed = base32Encode(randomBytes(BIND_SEED_BYTES));
      const name = user.userName.replace(/[^A-Za-z0-9.-]/g, '-');
      const a = this.ticketAnswer({ a: account.accountId, u: user.userId, s: 'bind', r: reset, p: profile.stamp, k: seed, d: name }, now);
      if (a.status !== 200) return { answer: a, principal };
      const issuer = 'Alunite';
      const label = encodeURIComponent(`${issuer}:${user.userName}@${account.accountId}`);
      return {
        answer: new Answer(200, {
          ...a.body, Base32StringSeed: seed, SerialNumber: account.extras.mfa.serialOf(name),
          QRCodeUri: `otpauth://totp/${label}?secret=${seed}&issuer=${issuer}&algorithm=SHA1&digits=6&period=30`,
        }),
        principal,
      };
    }
    if (reset) return { answer: this.ticketAnswer({ a: account.accountId, u: user.userId, s: 'reset', r: true, p: profile.stamp }, now), principal };
    return this.issue(account, user.userId, profile.stamp, now, false, left);
  }

  // ---- step 2: the TOTP code

  private async code(body: Json, ip: string): Promise<{ answer: Answer; principal?: Principal }> {
    const code = str(body, 'code', 16);
    const now = this.deps.clock();
    if (await this.addressLocked(ip, now)) return { answer: this.throttled() };
    const t = await this.openTicket(body, 'mfa', now);
    if (!t || code === null) return { answer: this.expiredTicket() };
    const { ticket, account, user } = t;
    const userKey = `${account.accountId}/${user.userName.toLowerCase()}`;
    const principal: Principal = { type: 'user', accountId: account.accountId, userId: user.userId, userName: user.userName, accessKeyId: '' };
    const policy = await account.extras.settings.passwordPolicy();
    const ticketNote = this.ticketFailure(ticket);
    const place = this.inFlight.enter([addressOf(ip), userKey, ticketNote.key]);
    let failures: Failures | null | undefined;
    try {
      let fromAddress: Failures | null | undefined;
      let onTicket: Failures | null | undefined;
      [fromAddress, failures, onTicket] = await this.failures.readMany([addressOf(ip), userKey, ticketNote.key]);
      if (lockedAt(failures ?? null, 'p', now) || lockedAt(failures ?? null, 'm', now)) return { answer: fail(403, LOCKED), principal };
      // Codes in flight count as wrong ones to come (a burst of codes is no more guesses than codes sent one by one).
      if (!roomFor(fromAddress ?? null, 'a', IP_MAX_FAILURES, IP_WINDOW_MS, place.ahead[0]!, now)) return { answer: this.throttled(), principal };
      if (!roomFor(failures ?? null, 'p', policy.maxLoginAttemps, HOUR_MS, place.ahead[1]!, now) || !roomFor(failures ?? null, 'm', policy.maxLoginAttemps, HOUR_MS, place.ahead[1]!, now)) {
        return { answer: this.userBusy(), principal };
      }
      if (lockedAt(onTicket ?? null, 'p', now) || !roomFor(onTicket ?? null, 'p', MAX_CODES_PER_TICKET, TICKET_TTL_MS, place.ahead[2]!, now)) return { answer: this.expiredTicket(), principal };
      if (!(await account.extras.mfa.verifySignInCode(user.userId, code.trim()))) {
        const after = await this.failures.fail([this.userFailure(userKey, 'p', policy.maxLoginAttemps), this.userFailure(userKey, 'm', policy.maxLoginAttemps), ticketNote, this.addressFailure(ip)], now);
        if (lockedAt(after.get(ticketNote.key) ?? null, 'p', now)) await this.spend(ticket, now);
        return { answer: fail(401, { Code: 'InvalidMFACode', Message: 'The MFA code is incorrect, or was already used.' }), principal };
      }
    } finally {
      place.leave();
    }
    // Spent on every server at once; of two steps racing with one ticket (on any servers), one goes on.
    if (!(await this.spend(ticket, now))) return { answer: this.expiredTicket(), principal };
    if (ticket.r) return { answer: this.ticketAnswer({ a: account.accountId, u: user.userId, s: 'reset', r: true, p: ticket.p, m: true }, now), principal };
    return this.issue(account, user.userId, ticket.p, now, true, failures);
  }

  // ---- step 2 when the profile requires MFA and none is bound: two consecutive codes of the new device

  private async bind(body: Json, ip: string): Promise<{ answer: Answer; principal?: Principal }> {
    const code1 = str(body, 'code1', 16);
    const code2 = str(body, 'code2', 16);
    const now = this.deps.clock();
    if (await this.addressLocked(ip, now)) return { answer: this.throttled() };
    const t = await this.openTicket(body, 'bind', now);
    if (!t || code1 === null || code2 === null || t.ticket.k === undefined || t.ticket.d === undefined) return { answer: this.expiredTicket() };
    const { ticket, account, user } = t;
    const principal: Principal = { type: 'user', accountId: account.accountId, userId: user.userId, userName: user.userName, accessKeyId: '' };
    const ticketNote = this.ticketFailure(ticket);
    const place = this.inFlight.enter([addressOf(ip), ticketNote.key]);
    let step: number | null;
    try {
      const [fromAddress, onTicket] = await this.failures.readMany([addressOf(ip), ticketNote.key]);
      if (!roomFor(fromAddress ?? null, 'a', IP_MAX_FAILURES, IP_WINDOW_MS, place.ahead[0]!, now)) return { answer: this.throttled(), principal };
      if (lockedAt(onTicket ?? null, 'p', now) || !roomFor(onTicket ?? null, 'p', MAX_CODES_PER_TICKET, TICKET_TTL_MS, place.ahead[1]!, now)) return { answer: this.expiredTicket(), principal };
      step = consecutiveCodesStep(base32Decode(ticket.k!), code1.trim(), code2.trim(), now);
      if (step === null) {
        const after = await this.failures.fail([ticketNote, this.addressFailure(ip)], now);
        if (lockedAt(after.get(ticketNote.key) ?? null, 'p', now)) await this.spend(ticket, now);
        return { answer: fail(401, { Code: 'InvalidMFACode', Message: 'The two codes are not consecutive codes of the new device.' }), principal };
      }
    } finally {
      place.leave();
    }
    if (!(await this.spend(ticket, now))) return { answer: this.expiredTicket(), principal };
    await account.extras.mfa.createBoundAtSignIn(user.userId, ticket.d!, ticket.k!, step + 1);
    if (ticket.r) return { answer: this.ticketAnswer({ a: account.accountId, u: user.userId, s: 'reset', r: true, p: ticket.p, m: true }, now), principal };
    return this.issue(account, user.userId, ticket.p, now, true);
  }

  // ---- step 3: the new password (ChangePassword as the user itself)

  private async newPassword(body: Json): Promise<{ answer: Answer; principal?: Principal }> {
    const oldPassword = str(body, 'oldPassword', 256);
    const newPassword = str(body, 'newPassword', 256);
    const now = this.deps.clock();
    const t = await this.openTicket(body, 'reset', now);
    if (!t || oldPassword === null || newPassword === null) return { answer: this.expiredTicket() };
    const { ticket, account, user } = t;
    const principal: Principal = { type: 'user', accountId: account.accountId, userId: user.userId, userName: user.userName, accessKeyId: '' };
    let stamp: string;
    try {
      ({ stamp } = await account.extras.loginProfiles.changePassword({ principal }, { oldPassword, newPassword }));
    } catch (err) {
      if (isAppError(err) && err.status < 500) return { answer: fail(err.status, { Code: err.code, Message: err.message }), principal };
      throw err;
    }
    // Spent after the change (a refused new password may be tried again with the same ticket); a step racing
    // with the same ticket on another server finds it spent.
    if (!(await this.spend(ticket, now))) return { answer: this.expiredTicket(), principal };
    return this.issue(account, user.userId, stamp, now, ticket.m === true);
  }

  // ---- tickets and credentials

  private ticketAnswer(t: Omit<Ticket, 'e' | 'id'>, now: number): Answer {
    const full: Ticket = { ...t, e: now + TICKET_TTL_MS, id: randomBytes(12).toString('base64url') };
    const ticket = seal(this.deps.masterKey, JSON.stringify(full), TICKET_BOUND);
    const status = t.s === 'mfa' ? 'MFARequired' : t.s === 'bind' ? 'MFABindRequired' : 'PasswordResetRequired';
    return new Answer(200, { Status: status, Ticket: ticket, ExpiresIn: TICKET_TTL_MS / 1000 });
  }

  private async openTicket(body: Json, stage: Ticket['s'], now: number): Promise<{ ticket: Ticket; account: SignInAccount; user: { userId: string; userName: string } } | null> {
    const text = str(body, 'ticket', 2048);
    if (text === null) return null;
    let ticket: Ticket;
    try {
      ticket = JSON.parse(open(this.deps.masterKey, text, TICKET_BOUND)) as Ticket;
    } catch {
      return null;
    }
    if (ticket.s !== stage || typeof ticket.id !== 'string' || typeof ticket.e !== 'number' || now >= ticket.e) return null;
    // Spent (on any server sharing the database): refused.
    if (await this.deps.store.nonceLive(SPENT_TICKET + ticket.id, now)) return null;
    const account = await this.deps.account(ticket.a);
    if (!account || account === 'unsupported') return null;
    const user = await account.users.getUserById(ticket.u);
    // The password proved when the ticket was made must still be the profile's: a profile deleted or given a
    // new password since (an administrator revoking console access) voids the sign-in half done.
    if (!user || typeof ticket.p !== 'string' || (await account.extras.loginProfiles.stampOf(user.userId)) !== ticket.p) return null;
    return { ticket, account, user };
  }

  /**
   * Marks the ticket spent in the store until it expires (pruned with the other nonces after that), for every
   * server; false when it already was (another step with it won).
   */
  private spend(ticket: Ticket, now: number): Promise<boolean> {
    return this.deps.store.claimNonce(SPENT_TICKET + ticket.id, ticket.e, now);
  }

  /**
   * Credentials bound to the login profile stamp `loginStamp` (sts/credentials.ts refuses them once it changes).
   * `mfa`: the sign-in proved an MFA code (the session's acs:MFAPresent). `failures`: the user's failures as this
   * request read them (undefined: not read yet).
   */
  private async issue(account: SignInAccount, userId: string, loginStamp: string, now: number, mfa: boolean, failures?: Failures | null): Promise<{ answer: Answer; principal?: Principal }> {
    const user = await account.users.getUserById(userId);
    if (!user) return { answer: fail(401, FAILED) };
    const hours = (await account.extras.settings.securityPreference()).loginSessionDuration;
    const expiration = now + hours * HOUR_MS;
    const c = this.deps.tokens.issue({ accountId: account.accountId, roleId: '', roleName: '', sessionName: user.userName, sessionPolicy: null, issuedAt: now, expiration, userId: user.userId, loginStamp, ...(mfa ? { mfa: true as const } : {}) });
    const principal: Principal = { type: 'user', accountId: account.accountId, userId: user.userId, userName: user.userName, accessKeyId: c.accessKeyId };
    // A full sign-in forgets wrong codes (a write only when there are some).
    const userKey = `${account.accountId}/${user.userName.toLowerCase()}`;
    await this.failures.clear(userKey, ['m'], failures !== undefined ? failures : await this.failures.read(userKey), now);
    return {
      answer: new Answer(200, {
        Status: 'OK',
        Credentials: { AccessKeyId: c.accessKeyId, AccessKeySecret: c.accessKeySecret, SecurityToken: c.securityToken, Expiration: new Date(expiration).toISOString().replace(/\.\d{3}Z$/, 'Z') },
        User: { UserName: user.userName, UserId: user.userId, AccountId: account.accountId },
      }),
      principal,
    };
  }

  private throttled(): Answer {
    return fail(429, { Code: 'Throttling', Message: 'Too many failed sign-ins from this address. Try again later.' });
  }

  /** The guesses for this user already being checked would reach its MaxLoginAttemps: not one more at once. */
  private userBusy(): Answer {
    return fail(429, { Code: 'Throttling', Message: 'Too many sign-ins for this user are being checked at once. Try again later.' });
  }

  /** All PASSWORD_CHECKS_AT_ONCE slots and the queue behind them are taken. */
  private busy(): Answer {
    return fail(429, { Code: 'Throttling', Message: 'The server is checking too many sign-ins at once. Try again later.' });
  }

  private expiredTicket(): Answer {
    return fail(401, { Code: 'InvalidTicket', Message: 'The sign-in step expired or was already completed. Sign in again.' });
  }

  private async defaultExtrasForTiming(): Promise<RamExtras | null> {
    const a = await this.deps.account(null);
    return a && a !== 'unsupported' ? a.extras : null;
  }
}
