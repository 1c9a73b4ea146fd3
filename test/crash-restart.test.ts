// A server killed (SIGKILL) at any moment must start again on the same data directory. These cases kill
// it at the points where files it creates on first start appear.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AK, ACCOUNT_ID, SECRET } from './helpers/server.js';
import { BIN, kill9, spawnServer } from './helpers/spawn.js';

const KEY_FILES = ['master.key', 'callback-key.pem'];

/** Starts a server on `dir` and SIGKILLs it as soon as `file` appears in `dir` (inotify); resolves when it is gone. */
async function killWhenCreated(dir: string, file: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--log-level', 'warn', '--data', dir], {
    env: { ...process.env, ALUNITE_ROOT_ACCESS_KEY_ID: AK, ALUNITE_ROOT_ACCESS_KEY_SECRET: SECRET, ALUNITE_ACCOUNT_ID: ACCOUNT_ID },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const watcher = watch(dir, (_event, name) => {
    if (name === file) child.kill('SIGKILL');
  });
  try {
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  } finally {
    watcher.close();
  }
}

async function assertKeyFilesWhole(dir: string): Promise<void> {
  const master = await readFile(join(dir, 'master.key'), 'utf8');
  assert.equal(Buffer.from(master.trim(), 'base64').length, 32);
  assert.match(await readFile(join(dir, 'callback-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
  assert.deepEqual((await readdir(dir)).filter((f) => /\.tmp$|\.empty-/.test(f)), []);
}

describe('restart after a kill during first start', () => {
  for (const file of KEY_FILES) {
    it(`killed the moment ${file} appears: the next start succeeds and the key is whole`, async () => {
      for (let round = 0; round < 3; round++) {
        const dir = await mkdtemp(join(tmpdir(), 'alunite-killkey-'));
        try {
          await killWhenCreated(dir, file);
          const srv = await spawnServer(['--data', dir]);
          await kill9(srv.child);
          await assertKeyFilesWhole(dir);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    });

    it(`an empty ${file} (left by such a kill in an earlier version) is created anew at start`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'alunite-emptykey-'));
      try {
        await writeFile(join(dir, file), '', { mode: 0o600 });
        const srv = await spawnServer(['--data', dir]);
        await kill9(srv.child);
        await assertKeyFilesWhole(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('a key created once is kept across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alunite-keepkey-'));
    try {
      await kill9((await spawnServer(['--data', dir])).child);
      const before = await Promise.all(KEY_FILES.map((f) => readFile(join(dir, f), 'utf8')));
      await kill9((await spawnServer(['--data', dir])).child);
      assert.deepEqual(await Promise.all(KEY_FILES.map((f) => readFile(join(dir, f), 'utf8'))), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
