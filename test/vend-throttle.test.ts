// Log-in throttling of the vending service beyond the per-user-name limit: many names from one client are
// limited per client address (429 Throttling with Retry-After), and password checks (scrypt) run only a
// few at a time with a bounded queue (429 at once beyond it), so a burst cannot queue unbounded hashes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appWorld, configDoc, startVendFor, usersFile, type AppWorld } from './helpers/vend.js';

describe('vend: log-in throttling per client and bounded password checks', () => {
  let world: AppWorld;
  before(async () => {
    // Time stands still unless a test moves it: the limiter's exact retry times must not depend on how long
    // three scrypt checks take on a busy machine.
    world = await appWorld({ frozen: true });
    await usersFile(world.dir, { usr001: undefined });
  });
  after(async () => world.stop());

  it('many user names from one client: 429 Throttling per client address, refilled over time', async () => {
    const vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }, {
      rateLimit: { perMinute: 600, burst: 100, loginsPerClientPerMinute: 6, loginsPerClientBurst: 3 },
    }));
    try {
      for (const name of ['guess1', 'guess2', 'guess3']) {
        assert.equal((await vend.post('/login', { username: name, password: 'x' })).status, 401, name);
      }
      // A fourth name, each name being fresh for the per-name limit: the client's budget is spent.
      const r = await vend.post('/login', { username: 'guess4', password: 'x' });
      assert.equal(r.status, 429);
      assert.equal(r.body.ErrorCode, 'Throttling');
      assert.match(String(r.body.ErrorMessage), /from this client .*retry in 10 s/);
      assert.equal(r.headers.get('retry-after'), '10');
      // The right password does not get past it either (no scrypt is spent on throttled attempts).
      assert.equal((await vend.post('/login', { username: 'usr001', password: 'pw-usr001' })).status, 429);
      world.offset += 10_000;
      assert.equal((await vend.post('/login', { username: 'usr001', password: 'pw-usr001' })).status, 200);
      assert.equal((await vend.post('/login', { username: 'guess5', password: 'x' })).status, 429);
    } finally {
      world.offset = 0;
      await vend.close();
    }
  });

  it('password checks beyond the running and queued bound are refused at once with 429', async () => {
    const vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json', maxConcurrentPasswordChecks: 1, maxQueuedPasswordChecks: 1 }, {
      rateLimit: { perMinute: 10_000, burst: 1000, loginsPerClientPerMinute: 10_000, loginsPerClientBurst: 1000 },
    }));
    try {
      // 48 log-ins at once, each a full scrypt: one runs, one waits, the rest are turned away.
      const answers = await Promise.all(Array.from({ length: 48 }, (_, i) => vend.post('/login', { username: `burst${i}`, password: 'x' })));
      const refused = answers.filter((a) => a.status === 429);
      assert.ok(refused.length > 0, `statuses ${answers.map((a) => a.status).join(',')}`);
      for (const a of refused) {
        assert.equal(a.body.ErrorCode, 'Throttling');
        assert.match(String(a.body.ErrorMessage), /log-ins are being checked right now; retry in 1 s/);
        assert.equal(a.headers.get('retry-after'), '1');
      }
      assert.ok(answers.every((a) => a.status === 401 || a.status === 429));
      assert.ok(answers.some((a) => a.status === 401), 'some were checked');
      // Once the burst is over, log-ins work again.
      assert.equal((await vend.post('/login', { username: 'usr001', password: 'pw-usr001' })).status, 200);
    } finally {
      await vend.close();
    }
  });
});
