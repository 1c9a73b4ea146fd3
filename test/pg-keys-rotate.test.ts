// `alunite keys rotate --meta postgres://…`: RAM AccessKey secrets in a shared PostgreSQL database are
// re-sealed under the new master key, with the key in the environment (several processes) or in
// `<data>/master.key`; refused cleanly when a secret opens with no key given, or nothing says which key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PostgresMetadataStore } from '../src/store/meta/postgres/store.js';
import { masterKeyFingerprint } from '../src/util/master-key.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc, Ram, type RamUserHandle } from './helpers/ram.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { BIN } from './helpers/spawn.js';

const run = promisify(execFile);
const BUCKET = 'rotated';
const b64 = (k: Buffer): string => k.toString('base64');

/** Runs `alunite keys rotate …` with exactly these master-key variables. */
async function rotate(args: string[], keys: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = { ...process.env, ...keys };
  if (!('ALUNITE_MASTER_KEY' in keys)) delete env.ALUNITE_MASTER_KEY;
  if (!('ALUNITE_MASTER_KEY_PREVIOUS' in keys)) delete env.ALUNITE_MASTER_KEY_PREVIOUS;
  delete env.ALUNITE_META;
  try {
    const r = await run(process.execPath, [BIN, 'keys', 'rotate', ...args], { env });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** alice's GetObject through `srv`: 200, or the server's error code. */
async function aliceGets(srv: TestServer, alice: RamUserHandle): Promise<string> {
  try {
    const r = await srv.client({ bucket: BUCKET, accessKeyId: alice.accessKeyId, accessKeySecret: alice.accessKeySecret }).get('k.txt');
    return (r.content as Buffer).toString();
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('alunite keys rotate --meta postgres://…', () => {
  it('keys in the environment: after a rolling restart to the new key, the command re-seals every secret under it; servers keep running', async () => {
    const url = await (await testPostgres()).freshUrl();
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const servers: TestServer[] = [];
    try {
      const old = await startTestServer({ meta: url, masterKey: k1 });
      servers.push(old);
      await old.client().putBucket(BUCKET);
      await old.client({ bucket: BUCKET }).put('k.txt', Buffer.from('sealed'));
      const alice = await new Ram(old).userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }));
      // The rolling restart: a process on the new key that still reads the old one starts; one that knows only
      // the new key is refused at start (the database is still under k1: util/key-check.ts).
      const upgraded = await startTestServer({ meta: url, masterKey: k2, previousMasterKeys: [k1] });
      servers.push(upgraded);
      await assert.rejects(startTestServer({ meta: url, masterKey: k2, previousMasterKeys: [] }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MasterKeyMismatch');
        assert.match(err.message, new RegExp(`master key mismatch: .*key fingerprint ${masterKeyFingerprint(k2)}.* is not the master key of the metadata store .*key fingerprint ${masterKeyFingerprint(k1)}`));
        return true;
      });
      assert.equal(await aliceGets(upgraded, alice), 'sealed');

      // A key that sealed nothing: refused, nothing changed.
      const wrong = await rotate(['--meta', url], { ALUNITE_MASTER_KEY: b64(randomBytes(32)), ALUNITE_MASTER_KEY_PREVIOUS: b64(randomBytes(32)) });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, new RegExp(`the secret of AccessKey ${alice.accessKeyId} opens with no known master key: give the key it is sealed under ` +
        '\\(the one the servers use now\\) as a previous key \\(ALUNITE_MASTER_KEY_PREVIOUS, or master.key.previous with --data\\); nothing was changed'));
      assert.equal(await aliceGets(old, alice), 'sealed');

      const ok = await rotate(['--meta', url], { ALUNITE_MASTER_KEY: b64(k2), ALUNITE_MASTER_KEY_PREVIOUS: b64(k1) });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^1 RAM AccessKey secret\(s\) re-sealed in PostgreSQL under ALUNITE_MASTER_KEY/);
      // The check value moved with the re-seal: a process with only the new key now starts and opens alice's
      // secret; the old-key-only process still running no longer does (as docs/postgres.md says), and it
      // could not start again.
      const newOnly = await startTestServer({ meta: url, masterKey: k2, previousMasterKeys: [] });
      servers.push(newOnly);
      assert.equal(await aliceGets(newOnly, alice), 'sealed');
      assert.equal(await aliceGets(upgraded, alice), 'sealed');
      assert.equal(await aliceGets(old, alice), 'InternalError');
      await assert.rejects(startTestServer({ meta: url, masterKey: k1 }), /master key mismatch/);
      // Running it again changes nothing.
      const again = await rotate(['--meta', url], { ALUNITE_MASTER_KEY: b64(k2) });
      assert.match(again.stdout, /^0 RAM AccessKey secret\(s\) re-sealed/);
      assert.equal(await aliceGets(newOnly, alice), 'sealed');
    } finally {
      for (const s of servers) await s.stop();
    }
  });

  it('keys in <data>/master.key: the file is rotated and the database re-sealed; a server on the new files serves the old AccessKey', async () => {
    const url = await (await testPostgres()).freshUrl();
    const first = await startTestServer({ meta: url }); // key created in <data>/master.key
    const dataDir = first.dataDir;
    let alice: RamUserHandle;
    try {
      await first.client().putBucket(BUCKET);
      await first.client({ bucket: BUCKET }).put('k.txt', Buffer.from('file key'));
      alice = await new Ram(first).userWith('alice', policyDoc({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:*:${BUCKET}/*` }));
    } finally {
      await first.close();
    }
    try {
      const r = await rotate(['--meta', url, '--data', dataDir], {});
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /master key rotated in .*: .*1 RAM AccessKey secret\(s\) re-sealed with the new key in PostgreSQL/);
      assert.ok(existsSync(`${dataDir}/master.key.previous`));
      // Recorded in the database, by fingerprint (test/keys-history.test.ts covers the command in depth).
      const rotations = await PostgresMetadataStore.open({ url });
      try {
        const [only, ...rest] = await rotations.listKeyRotations();
        assert.equal(rest.length, 0);
        assert.equal(only?.mode, 'file');
        assert.equal(only?.resealed, 1);
        assert.equal(only?.keyFingerprint, masterKeyFingerprint(Buffer.from(readFileSync(`${dataDir}/master.key`, 'utf8').trim(), 'base64')));
        assert.deepEqual(only?.previousFingerprints, [masterKeyFingerprint(Buffer.from(readFileSync(`${dataDir}/master.key.previous`, 'utf8').trim(), 'base64'))]);
      } finally {
        await rotations.close();
      }
      const next = await startTestServer({ meta: url, dataDir });
      try {
        assert.equal(await aliceGets(next, alice), 'file key');
      } finally {
        await next.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses without a key source, and names an unreachable database without its password', async () => {
    const url = await (await testPostgres()).freshUrl();
    const none = await rotate(['--meta', url], {});
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /set ALUNITE_MASTER_KEY .* or give --data DIR holding master\.key/);
    const down = await rotate(['--meta', 'postgres://u:hunter2@127.0.0.1:1/nope'], { ALUNITE_MASTER_KEY: b64(randomBytes(32)) });
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/nope/);
    assert.doesNotMatch(down.stderr, /hunter2/);
    // Without --meta, the SQLite form still requires --data.
    const sqlite = await rotate([], {});
    assert.notEqual(sqlite.code, 0);
    assert.match(sqlite.stderr, /--data/);
  });
});

