// GetAccessKeyLastUsed survives a restart: the notes taken in memory are written on shutdown (and every
// flush interval), and a new server on the same data directory reads them back (SQLite).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ram, policyDoc } from './helpers/ram.js';
import { startTestServer } from './helpers/server.js';

test('a use noted before a clean shutdown is read back after the restart, to the second', { skip: process.env.ALUNITE_TEST_META === 'postgres' }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'alunite-last-used-'));
  try {
    // A long flush interval: only the shutdown writes the note.
    const first = await startTestServer({ dataDir, lastUsedFlushMs: 3_600_000 });
    const ram = new Ram(first);
    const u = await ram.userWith('restart-user', policyDoc({ Effect: 'Allow', Action: 'ram:GetUser', Resource: '*' }));
    const before = Date.now();
    await u.pop().request('GetUser', { UserName: 'restart-user' }, { method: 'POST' });
    assert.equal((await first.meta.readIdentityDocs('ak-last-used', [u.accessKeyId])).size, 0, 'not written on the request path');
    await first.close();

    const second = await startTestServer({ dataDir, lastUsedFlushMs: 3_600_000 });
    try {
      const res = await new Ram(second).call('GetAccessKeyLastUsed', { UserName: 'restart-user', UserAccessKeyId: u.accessKeyId });
      const t = Date.parse(res.AccessKeyLastUsed.LastUsedDate as string);
      assert.ok(t >= Math.floor(before / 1000) * 1000 && t <= Date.now(), `${res.AccessKeyLastUsed.LastUsedDate}`);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
