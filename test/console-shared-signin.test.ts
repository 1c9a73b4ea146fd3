// Console sign-in with several server processes on one PostgreSQL database (docs/console.md, docs/postgres.md):
// the per-user lockout (MaxLoginAttemps) counts failures on every server together, exactly under concurrent
// failures, for known and unknown names alike, and within a bounded number of store documents whatever names
// are tried. The same suite runs on one SQLite server (both "servers" are the same one), where nothing changes.
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
import { startTestServer, type TestServer } from './helpers/server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const PASSWORD = 'Console-Pass-1';
const LIMIT = 4;

async function post(srv: TestServer, path: string, body: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${srv.url}/-/console/api/signin${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: srv.url },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

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
  });
}

suite('shared sign-in state (one SQLite server)', async () => {
  const srv = await startTestServer();
  return { a: srv, b: srv, stop: () => srv.stop() };
});

suite('shared sign-in state (two servers on one PostgreSQL database)', async () => {
  const url = await (await testPostgres()).freshUrl();
  const masterKey = randomBytes(32);
  const a = await startTestServer({ meta: url, masterKey });
  const b = await startTestServer({ meta: url, masterKey, blobsDir: a.dataDir });
  return { a, b, stop: async () => { await b.stop(); await a.stop(); } };
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
