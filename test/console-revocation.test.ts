// Revoking a RAM user's console access (docs/console.md "Ending console sessions"): DeleteLoginProfile and a new
// password (UpdateLoginProfile by an administrator, ChangePassword) end the sessions signed in with the old one,
// and void a sign-in half done (an MFA or bind ticket got with the old password), on the next request, on this
// server and on another one sharing the PostgreSQL database. Real servers, real HTTP, ali-oss and pop-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectOssError } from './helpers/oss.js';
import { policyDoc, Ram } from './helpers/ram.js';
import { signInPost } from './helpers/console-signin.js';
import { startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { totpAt } from './helpers/totp.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
interface Creds { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string }

const BUCKET = 'console-revoke';
const PASSWORD = 'Console-Pass-1';
const NEW_PASSWORD = 'Console-Pass-2';

const post = (srv: TestServer, path: string, body: unknown) => signInPost(srv.url, path, body);

function credsOf(r: { status: number; body: Body }): Creds {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.Status, 'OK', JSON.stringify(r.body));
  return r.body.Credentials as Creds;
}

const read = (srv: TestServer, c: Creds) =>
  srv.client({ bucket: BUCKET, accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken }).get('o.txt');

function suite(name: string, start: () => Promise<{ admin: TestServer; other: TestServer; stop(): Promise<void> }>): void {
  describe(name, { timeout: 120_000 }, () => {
    let admin: TestServer;
    let other: TestServer;
    let stop: () => Promise<void>;
    let ram: Ram;
    let n = 0;
    /** A user who may read the bucket, with a login profile; signed in on both servers. */
    const signedIn = async (): Promise<{ user: string; onAdmin: Creds; onOther: Creds }> => {
      const user = `console-user-${++n}`;
      await ram.call('CreateUser', { UserName: user });
      await ram.call('CreateLoginProfile', { UserName: user, Password: PASSWORD });
      await ram.call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'read-it', UserName: user });
      const onAdmin = credsOf(await post(admin, '', { logonName: user, password: PASSWORD }));
      const onOther = credsOf(await post(other, '', { logonName: user, password: PASSWORD }));
      // Both sessions work, and both servers have verified (and cached) both tokens.
      for (const srv of [admin, other]) for (const c of [onAdmin, onOther]) assert.equal((await read(srv, c)).res.status, 200);
      return { user, onAdmin, onOther };
    };
    const ended = async (s: { onAdmin: Creds; onOther: Creds }): Promise<void> => {
      for (const srv of [admin, other]) for (const c of [s.onAdmin, s.onOther]) await expectOssError(read(srv, c), 'InvalidSecurityToken', 403);
    };

    before(async () => {
      ({ admin, other, stop } = await start());
      ram = new Ram(admin);
      await admin.client().putBucket(BUCKET);
      await admin.client({ bucket: BUCKET }).put('o.txt', Buffer.from('x'));
      await ram.call('CreatePolicy', { PolicyName: 'read-it', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }) });
    });
    after(async () => stop());

    it('DeleteLoginProfile ends the user\'s console sessions on the next request, on every server', async () => {
      const s = await signedIn();
      await ram.call('DeleteLoginProfile', { UserName: s.user });
      await ended(s);
      // A new profile (even with the same password) does not bring the old sessions back.
      await ram.call('CreateLoginProfile', { UserName: s.user, Password: PASSWORD });
      await ended(s);
      assert.equal((await read(other, credsOf(await post(other, '', { logonName: s.user, password: PASSWORD })))).res.status, 200);
    });

    it('a new password set by an administrator ends the sessions signed in with the old one', async () => {
      const s = await signedIn();
      await ram.call('UpdateLoginProfile', { UserName: s.user, Password: NEW_PASSWORD });
      await ended(s);
      const fresh = credsOf(await post(admin, '', { logonName: s.user, password: NEW_PASSWORD }));
      for (const srv of [admin, other]) assert.equal((await read(srv, fresh)).res.status, 200);
      // Changing only the flags is not a new password: the session stays.
      await ram.call('UpdateLoginProfile', { UserName: s.user, PasswordResetRequired: false });
      for (const srv of [admin, other]) assert.equal((await read(srv, fresh)).res.status, 200);
    });

    it('an MFA ticket got with the password is void once the profile is deleted or the password changed', async () => {
      const user = `console-mfa-${++n}`;
      await ram.call('CreateUser', { UserName: user });
      await ram.call('CreateLoginProfile', { UserName: user, Password: PASSWORD });
      const dev = await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: `${user}-phone` });
      const seed = dev.VirtualMFADevice.Base32StringSeed as string;
      const now = Date.now();
      await ram.call('BindMFADevice', { UserName: user, SerialNumber: dev.VirtualMFADevice.SerialNumber as string, AuthenticationCode1: totpAt(seed, now, -1), AuthenticationCode2: totpAt(seed, now) });
      const ticketOf = async (srv: TestServer): Promise<string> => {
        const r = await post(srv, '', { logonName: user, password: PASSWORD });
        assert.equal(r.body.Status, 'MFARequired', JSON.stringify(r.body));
        return r.body.Ticket as string;
      };
      // Profile deleted between the password and the code: the code step refuses the ticket.
      let ticket = await ticketOf(other);
      await ram.call('DeleteLoginProfile', { UserName: user });
      let r = await post(other, '/mfa', { ticket, code: totpAt(seed, Date.now(), 1) });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.Code, 'InvalidTicket', JSON.stringify(r.body));
      // Password reset by an administrator between the password and the code: likewise.
      await ram.call('CreateLoginProfile', { UserName: user, Password: PASSWORD });
      ticket = await ticketOf(other);
      await ram.call('UpdateLoginProfile', { UserName: user, Password: NEW_PASSWORD });
      r = await post(other, '/mfa', { ticket, code: totpAt(seed, Date.now(), 2) });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.Code, 'InvalidTicket', JSON.stringify(r.body));
    });
  });
}

suite('console sessions end with the login profile (one SQLite server)', async () => {
  const srv = await startTestServer();
  return { admin: srv, other: srv, stop: () => srv.stop() };
});

suite('console sessions end with the login profile (two servers on one PostgreSQL database)', async () => {
  const { a, b, stop } = await startServerPairOnPostgres();
  return { admin: a, other: b, stop };
});
