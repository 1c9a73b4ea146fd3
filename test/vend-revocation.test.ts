// Revoking vend login tokens through the users file (docs/vend.md "Users file"): a login token is bound to the
// user's stored password hash, so a password edited in the file ends the user's live tokens at the next reload;
// and a users file replaced by another with the same size and modification time (a new inode) is reloaded.
// Real Alunite server, real vend service, real HTTP.
import assert from 'node:assert/strict';
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../src/vend/password.js';
import { appWorld, configDoc, startVendFor, type AppWorld, type Vend } from './helpers/vend.js';

/** Writes `path` with these users → password hash (same ids give the same file size: hashes have one length). */
async function writeUsers(path: string, users: Record<string, string>): Promise<void> {
  const out: Record<string, { password: string }> = {};
  for (const [id, hash] of Object.entries(users)) out[id] = { password: hash };
  await writeFile(path, JSON.stringify({ users: out }), { mode: 0o600 });
}

function invalidToken(r: { status: number; body: Record<string, unknown> }, message: RegExp): void {
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.ErrorCode, 'InvalidToken', JSON.stringify(r.body));
  assert.match(String(r.body.ErrorMessage), message);
}

describe('vend: login tokens end with the password in the users file', { timeout: 120_000 }, () => {
  let world: AppWorld;
  let vend: Vend;
  let usersPath: string;
  const hash: Record<string, string> = {};

  before(async () => {
    world = await appWorld();
    usersPath = join(world.dir, 'users.json');
    for (const pw of ['pw-usr001', 'pw-usr002', 'pw-usr001-new', 'pw-usr00X']) hash[pw] = await hashPassword(pw);
    await writeUsers(usersPath, { usr001: hash['pw-usr001']!, usr002: hash['pw-usr002']! });
    vend = await startVendFor(world, configDoc(world, { mode: 'users', usersFile: 'users.json' }));
  });
  after(async () => {
    await vend.close();
    await world.stop();
  });

  it('a new password hash for the user in the file revokes its live login tokens; the new password logs in', async () => {
    const token = await vend.login('usr001');
    const other = await vend.login('usr002');
    assert.equal((await vend.get('/sts/token', token)).status, 200);
    // The operator sets a new password for usr001 (file edited in place: same inode).
    await writeUsers(usersPath, { usr001: hash['pw-usr001-new']!, usr002: hash['pw-usr002']! });
    invalidToken(await vend.get('/sts/token', token), /password was changed/);
    invalidToken(await vend.post('/oss/post-policy', {}, token), /password was changed/);
    // usr002's hash is unchanged: its token goes on working.
    assert.equal((await vend.get('/sts/token', other)).status, 200);
    await assert.rejects(vend.login('usr001'), /401/);
    const fresh = await vend.login('usr001', 'pw-usr001-new');
    assert.equal((await vend.get('/sts/token', fresh)).status, 200);
  });

  it('a users file replaced by one of the same size and modification time (new inode) is reloaded', async () => {
    const old = await vend.login('usr002');
    assert.equal((await vend.get('/sts/token', old)).status, 200);
    // Pin the current file's times to a whole second, and let the service see that version.
    const t = Math.floor(Date.now() / 1000) - 60;
    await utimes(usersPath, t, t);
    assert.equal((await vend.get('/sts/token', old)).status, 200);
    const before = await stat(usersPath);
    // A new file, same ids and password lengths (same size), same mtime, renamed over the old one: usr002
    // gets a new password hash.
    const next = join(world.dir, 'users.json.next');
    await writeUsers(next, { usr001: hash['pw-usr001-new']!, usr002: hash['pw-usr00X']! });
    await utimes(next, t, t);
    await rename(next, usersPath);
    const after = await stat(usersPath);
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.notEqual(after.ino, before.ino);
    invalidToken(await vend.get('/sts/token', old), /password was changed/);
    assert.equal((await vend.get('/sts/token', await vend.login('usr002', 'pw-usr00X'))).status, 200);
  });
});
