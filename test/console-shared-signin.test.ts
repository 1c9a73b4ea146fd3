// Console sign-in with several server processes on one PostgreSQL database (docs/console.md, docs/postgres.md):
// the per-user lockout (MaxLoginAttemps) counts failures on every server together, exactly under concurrent
// failures, for known and unknown names alike, and within a bounded number of store documents whatever names
// are tried; a multi-step sign-in (MFA code, MFA bind, new password) started on one server is finished on
// another, its ticket used once across all of them; the per-address budget (50 failures per 15 minutes) is one
// budget on all servers. The same suite runs on one SQLite server (both "servers"
// are the same one), where nothing changes.
// Real servers, real HTTP; the counter mechanism itself on the real stores of both engines.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FAILURES_DOC, SharedAttempts } from '../src/console/shared-attempts.js';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { SqliteMetadataStore } from '../src/store/meta/sqlite/store.js';
import type { IdentityStore } from '../src/store/meta/types.js';
import { Ram } from './helpers/ram.js';
import { testPostgres } from './helpers/postgres.js';
import { signInPost } from './helpers/console-signin.js';
import { startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { totpAt } from './helpers/totp.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const PASSWORD = 'Console-Pass-1';
const LIMIT = 4;

const post = (srv: TestServer, path: string, body: unknown) => signInPost(srv.url, path, body);

const signIn = (srv: TestServer, logonName: string, password: string) => post(srv, '', { logonName, password });

function expect(r: { status: number; body: Body }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(status === 200 ? r.body.Status : r.body.Code, code, JSON.stringify(r.body));
}

function suite(name: string, start: () => Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }>): void {
  describe(name, { timeout: 180_000 }, () => {
    let a: TestServer;
    let b: TestServer;
    let stop: () => Promise<void>;
    let ram: Ram;
    let n = 0;
    const user = async (): Promise<string> => {
      const u = `shared-user-${++n}`;
      await ram.call('CreateUser', { UserName: u });
      await ram.call('CreateLoginProfile', { UserName: u, Password: PASSWORD });
      return u;
    };

    before(async () => {
      ({ a, b, stop } = await start());
      ram = new Ram(a);
      await ram.call('SetPasswordPolicy', { MaxLoginAttemps: LIMIT });
    });
    after(async () => stop());

    it('MaxLoginAttemps counts the failures on every server together', async () => {
      const u = await user();
      // Failures spread over both servers: LIMIT - 1 leave the user free…
      for (let i = 0; i < LIMIT - 1; i++) expect(await signIn(i % 2 === 0 ? a : b, u, `Wrong-${i}`), 401, 'SignInFailed');
      // …the LIMIT-th, on either server, locks it on both, even with the right password.
      expect(await signIn(b, u, 'Wrong-last'), 401, 'SignInFailed');
      expect(await signIn(a, u, PASSWORD), 403, 'LoginLocked');
      expect(await signIn(b, u, PASSWORD), 403, 'LoginLocked');
    });

    it('concurrent failures on both servers are all counted', async () => {
      const u = await user();
      const wrong = await Promise.all(Array.from({ length: LIMIT }, (_, i) => signIn(i % 2 === 0 ? a : b, u, `Wrong-${i}`)));
      for (const r of wrong) expect(r, 401, 'SignInFailed');
      expect(await signIn(a, u, PASSWORD), 403, 'LoginLocked');
      expect(await signIn(b, u, PASSWORD), 403, 'LoginLocked');
    });

    it('an unknown name is counted and locked the same way, on every server', async () => {
      const ghost = `ghost-${randomBytes(4).toString('hex')}`;
      for (let i = 0; i < LIMIT; i++) expect(await signIn(i % 2 === 0 ? b : a, ghost, `Wrong-${i}`), 401, 'SignInFailed');
      expect(await signIn(a, ghost, PASSWORD), 403, 'LoginLocked');
    });

    it('a correct password on one server forgets the failures counted on the other', async () => {
      const u = await user();
      for (let i = 0; i < LIMIT - 1; i++) expect(await signIn(b, u, `Wrong-${i}`), 401, 'SignInFailed');
      expect(await signIn(a, u, PASSWORD), 200, 'OK');
      // LIMIT - 1 more failures do not lock: the count started again.
      for (let i = 0; i < LIMIT - 1; i++) expect(await signIn(i % 2 === 0 ? a : b, u, `Wrong-again-${i}`), 401, 'SignInFailed');
      expect(await signIn(b, u, PASSWORD), 200, 'OK');
    });

    /** A user with a bound virtual MFA device (codes of steps -1 and 0 spent by the binding). */
    const mfaUser = async (): Promise<{ u: string; seed: string; now: number }> => {
      const u = await user();
      const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: `${u}-phone` });
      const seed = dev.VirtualMFADevice.Base32StringSeed as string;
      const now = Date.now();
      await ram.call('BindMFADevice', { UserName: u, SerialNumber: dev.VirtualMFADevice.SerialNumber as string, AuthenticationCode1: totpAt(seed, now, -1), AuthenticationCode2: totpAt(seed, now) });
      return { u, seed, now };
    };
    const ticketOf = (r: { status: number; body: Body }, status: string): string => {
      expect(r, 200, status);
      return r.body.Ticket as string;
    };

    it('an MFA ticket from one server is completed on the other, then refused on both', async () => {
      const { u, seed, now } = await mfaUser();
      const ticket = ticketOf(await signIn(a, u, PASSWORD), 'MFARequired');
      expect(await post(b, '/mfa', { ticket, code: totpAt(seed, now, 1) }), 200, 'OK');
      // Spent: refused before any code is looked at, on either server.
      expect(await post(a, '/mfa', { ticket, code: '000000' }), 401, 'InvalidTicket');
      expect(await post(b, '/mfa', { ticket, code: '000000' }), 401, 'InvalidTicket');
    });

    it('a ticket voided by a new password on one server is refused on the other', async () => {
      const { u, seed, now } = await mfaUser();
      const ticket = ticketOf(await signIn(a, u, PASSWORD), 'MFARequired');
      await ram.call('UpdateLoginProfile', { UserName: u, Password: 'Console-Pass-2' });
      expect(await post(b, '/mfa', { ticket, code: totpAt(seed, now, 1) }), 401, 'InvalidTicket');
    });

    it('binding a device: the ticket and seed from one server, the codes on the other; wrong codes on both count towards the ticket', async () => {
      const u = `shared-bind-${++n}`;
      await ram.call('CreateUser', { UserName: u });
      await ram.call('CreateLoginProfile', { UserName: u, Password: PASSWORD, MFABindRequired: true });
      // Five wrong pairs spread over both servers spend the ticket, even for the right codes after.
      let r = await signIn(a, u, PASSWORD);
      let ticket = ticketOf(r, 'MFABindRequired');
      let seed = r.body.Base32StringSeed as string;
      for (let i = 0; i < 5; i++) expect(await post(i % 2 === 0 ? b : a, '/bind-mfa', { ticket, code1: '000000', code2: '000000' }), 401, 'InvalidMFACode');
      let now = Date.now();
      expect(await post(a, '/bind-mfa', { ticket, code1: totpAt(seed, now, -1), code2: totpAt(seed, now) }), 401, 'InvalidTicket');
      // A new sign-in; the device is bound through the other server; the ticket is then spent everywhere.
      r = await signIn(b, u, PASSWORD);
      ticket = ticketOf(r, 'MFABindRequired');
      seed = r.body.Base32StringSeed as string;
      now = Date.now();
      expect(await post(a, '/bind-mfa', { ticket, code1: totpAt(seed, now, -1), code2: totpAt(seed, now) }), 200, 'OK');
      expect(await post(b, '/bind-mfa', { ticket, code1: totpAt(seed, now, -1), code2: totpAt(seed, now) }), 401, 'InvalidTicket');
      expect(await post(a, '/bind-mfa', { ticket, code1: totpAt(seed, now, -1), code2: totpAt(seed, now) }), 401, 'InvalidTicket');
    });

    it('a password reset started on one server is finished on the other, its ticket then refused on both', async () => {
      const u = `shared-reset-${++n}`;
      await ram.call('CreateUser', { UserName: u });
      await ram.call('CreateLoginProfile', { UserName: u, Password: PASSWORD, PasswordResetRequired: true });
      const ticket = ticketOf(await signIn(b, u, PASSWORD), 'PasswordResetRequired');
      // A refused new password leaves the ticket usable (on either server).
      expect(await post(a, '/password', { ticket, oldPassword: PASSWORD, newPassword: 'x' }), 400, 'InvalidParameter.Password');
      expect(await post(a, '/password', { ticket, oldPassword: PASSWORD, newPassword: 'Console-Pass-New-1' }), 200, 'OK');
      expect(await post(b, '/password', { ticket, oldPassword: 'Console-Pass-New-1', newPassword: 'Console-Pass-New-2' }), 401, 'InvalidTicket');
      expect(await post(a, '/password', { ticket, oldPassword: 'Console-Pass-New-1', newPassword: 'Console-Pass-New-2' }), 401, 'InvalidTicket');
      expect(await signIn(b, u, 'Console-Pass-New-1'), 200, 'OK');
    });

    // Last: it refuses this test's address for the window (15 minutes) on both servers.
    it('the per-address budget counts the failures on every server together', async () => {
      const u = await user();
      // Distinct unknown names (no user lock gets there first), all on one server, until it throttles.
      let k = 0;
      let last: { status: number; body: Body } | undefined;
      while (k < 60) {
        last = await signIn(a, `flood-${randomBytes(4).toString('hex')}`, 'Wrong-Pass-1');
        if (last.status === 429) break;
        k++;
      }
      expect(last!, 429, 'Throttling');
      assert.ok(k <= 50, `${k} failures before the address was refused`);
      // The other server refuses the address too, even the right password of a user it never saw fail.
      expect(await signIn(b, u, PASSWORD), 429, 'Throttling');
      expect(await signIn(a, u, PASSWORD), 429, 'Throttling');
    });
  });
}

suite('shared sign-in state (one SQLite server)', async () => {
  const srv = await startTestServer();
  return { a: srv, b: srv, stop: () => srv.stop() };
});

suite('shared sign-in state (two servers on one PostgreSQL database)', async () => {
  return startServerPairOnPostgres();
});

// The counter mechanism on the real stores: two stores on one PostgreSQL database stand for two processes.
function mechanism(name: string, open: () => Promise<{ one: IdentityStore; two: IdentityStore; close(): Promise<void> }>): void {
  describe(name, { timeout: 120_000 }, () => {
    const key = randomBytes(32);
    const note = (k: string, limit: number) => ({ key: k, counter: 'p' as const, limit, windowMs: 3_600_000, lockMs: 3_600_000 });

    it('concurrent failures of one key through two stores are each counted once', async () => {
      const { one, two, close } = await open();
      const x = new SharedAttempts(one, key, 3_600_000);
      const y = new SharedAttempts(two, key, 3_600_000);
      const now = Date.now();
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? x : y).fail([note('acct/victim', 100)], now + i)));
      assert.equal((await x.read('acct/victim'))?.p?.times.length, 30);
      // The 40th failure locks (limit 40), seen through the other store.
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? y : x).fail([note('acct/victim', 40)], now + 100 + i)));
      assert.ok(((await x.read('acct/victim'))?.p?.lockedUntil ?? 0) > now + 200);
      await close();
    });

    it('whatever names are tried, the store holds a bounded number of documents and entries', async () => {
      const { one, close } = await open();
      const shards = 4;
      const perShard = 10;
      const x = new SharedAttempts(one, key, 3_600_000, shards, perShard);
      const now = Date.now();
      for (let i = 0; i < 200; i++) await x.fail([note(`acct/name-${i}`, 5)], now);
      const docs = await one.listIdentityDocs(FAILURES_DOC);
      assert.ok(docs.size <= shards, `${docs.size} documents`);
      let entries = 0;
      for (const doc of docs.values()) {
        const n = (JSON.parse(doc) as unknown[]).length;
        assert.ok(n <= perShard, `${n} entries in one document`);
        entries += n;
      }
      assert.ok(entries > 0 && entries <= shards * perShard, `${entries} entries`);
      // The newest name is still counted.
      assert.equal((await x.read('acct/name-199'))?.p?.times.length, 1);
      await close();
    });
  });
}

mechanism('shared failure counters (SQLite store)', async () => {
  const s = new SqliteMetadataStore({ path: ':memory:' });
  return { one: s, two: s, close: async () => s.close() };
});

mechanism('shared failure counters (two stores on one PostgreSQL database)', async () => {
  const url = await (await testPostgres()).freshUrl();
  const one = await PostgresMetadataStore.open({ url, durable: false });
  const two = await PostgresMetadataStore.open({ url, durable: false });
  return { one, two, close: async () => { await two.close(); await one.close(); } };
});
