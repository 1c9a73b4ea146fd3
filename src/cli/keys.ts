import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { isPostgresUrl } from '../store/meta/open.js';
import type { KeyRotation, KeyRotationAudit, KeyRotationMode } from '../store/meta/types.js';
import { masterKeyFingerprint, resolveMasterKeyRing, rotateMasterKeyFile } from '../util/master-key.js';
import { open, seal } from '../util/secret-box.js';
import { rotationKeyCheck } from '../util/key-check.js';
import { KEY_CHECK_DOC, type IdentityStore } from '../store/meta/types.js';
import { formatTable, printJson, run, UsageError } from './output.js';

export interface RotateResult {
  /** RAM AccessKey secrets re-sealed under the new key. */
  resealed: number;
}

/** The `key_rotations` row this process appends: fingerprints of the keys, never the keys. */
function rotationAudit(mode: KeyRotationMode, current: Buffer, older: Buffer[]): KeyRotationAudit {
  return {
    keyFingerprint: masterKeyFingerprint(current),
    previousFingerprints: older.map(masterKeyFingerprint),
    mode,
    host: hostname(),
    pid: process.pid,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `alunite keys rotate --data DIR` (server stopped: the data directory's database is opened exclusively):
 * `master.key` joins the front of `master.key.previous` (every older key stays there), a new `master.key` is generated, and every RAM AccessKey
 * secret is re-sealed under the new key. STS tokens issued under the old key stay valid until they
 * expire, because the server verifies with the current and the previous key. The re-seal transaction
 * also appends the rotation to `key_rotations` (`alunite keys history`) and moves the master-key check value
 * (util/key-check.ts); without a metadata.sqlite there is nothing to re-seal and nowhere to record it. With
 * ALUNITE_MASTER_KEY set nothing is generated: the database is re-sealed under it (opened with it or
 * ALUNITE_MASTER_KEY_PREVIOUS), as `rotatePostgresKeys` does.
 */
export async function rotateKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<RotateResult & { rotatedFile: boolean }> {
  if (env.ALUNITE_MASTER_KEY !== undefined && env.ALUNITE_MASTER_KEY !== '') {
    // The key is configured elsewhere (changed there, the old one given as ALUNITE_MASTER_KEY_PREVIOUS):
    // nothing is generated; the database is re-sealed under ALUNITE_MASTER_KEY, as with PostgreSQL.
    const dbPath = join(dataDir, 'metadata.sqlite');
    if (!(await exists(dbPath))) throw new Error(`${dbPath} does not exist: nothing to re-seal under ALUNITE_MASTER_KEY.`);
    const ring = await resolveMasterKeyRing({ dataDir: '', inMemory: true, env });
    const { SqliteMetadataStore } = await import('../store/meta/sqlite/store.js');
    const store = new SqliteMetadataStore({ path: dbPath });
    try {
      const resealed = await store.resealAccessKeySecrets(
        resealer(ring.current, ring.previous),
        rotationAudit('environment', ring.current, ring.previous),
        rotationKeyCheck(ring.current, ring.previous),
      );
      return { resealed, rotatedFile: false };
    } finally {
      await store.close();
    }
  }
  const keyFile = join(dataDir, 'master.key');
  if (!(await exists(keyFile))) throw new Error(`${keyFile} does not exist: nothing to rotate.`);
  // Every key that may have sealed a secret, read before the files change.
  const ring = await resolveMasterKeyRing({ dataDir, inMemory: false, env: {} });
  const oldKeys = [ring.current, ...ring.previous];
  const dbPath = join(dataDir, 'metadata.sqlite');
  // Opening first fails while a server owns the directory, before anything is changed.
  const { SqliteMetadataStore } = await import('../store/meta/sqlite/store.js');
  const store = (await exists(dbPath)) ? new SqliteMetadataStore({ path: dbPath }) : null;
  try {
    if (store) await assertStoreKeyGiven(store, ring.current, ring.previous);
    const { current } = await rotateMasterKeyFile(dataDir);
    if (!store) return { resealed: 0, rotatedFile: true };
    const resealed = await store.resealAccessKeySecrets(resealer(current, oldKeys), rotationAudit('file', current, oldKeys), rotationKeyCheck(current, oldKeys));
    return { resealed, rotatedFile: true };
  } finally {
    await store?.close();
  }
}

/**
 * Before a key file changes: the database's master-key check value (util/key-check.ts) must name one of the
 * keys read from the files, else the files would rotate away from a database they do not belong to.
 */
async function assertStoreKeyGiven(store: Pick<IdentityStore, 'readIdentityDocs'>, current: Buffer, previous: Buffer[]): Promise<void> {
  const doc = (await store.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).get(KEY_CHECK_DOC.id);
  rotationKeyCheck(current, previous)(doc ?? null);
}

/**
 * A re-sealing function for resealAccessKeySecrets: a secret that opens with `current` is kept as it is,
 * one that opens with an older key is sealed again under `current`; one that opens with none fails the
 * whole transaction, naming the AccessKey (nothing is changed).
 */
function resealer(current: Buffer, older: Buffer[]): (accessKeyId: string, sealed: string) => string {
  return (accessKeyId, sealed) => {
    for (const key of [current, ...older]) {
      let plain: string;
      try {
        plain = open(key, sealed, accessKeyId);
      } catch {
        continue;
      }
      return key === current ? sealed : seal(current, plain, accessKeyId);
    }
    // Usually the key the servers run with now was not given as a previous one (docs/postgres.md).
    throw new Error(`the secret of AccessKey ${accessKeyId} opens with no known master key: give the key it is sealed under (the one the servers use now) ` +
      'as a previous key (ALUNITE_MASTER_KEY_PREVIOUS, or master.key.previous with --data); nothing was changed');
  };
}

export interface PostgresRotateResult extends RotateResult {
  /** Whether `<data>/master.key` was rotated (file mode), or the keys came from the environment. */
  rotatedFile: boolean;
}

/**
 * `alunite keys rotate --meta postgres://…`: the RAM secrets in the shared database.
 * - With ALUNITE_MASTER_KEY (how several processes share a key): nothing is generated; every secret is
 *   re-sealed under ALUNITE_MASTER_KEY, opened with it or ALUNITE_MASTER_KEY_PREVIOUS. Run it after every
 *   process was restarted with the new key as ALUNITE_MASTER_KEY and the old one as _PREVIOUS; the servers
 *   may keep running (the write bumps the identity counter, so their caches reload).
 * - Else with `--data DIR`: `DIR/master.key` is rotated as for SQLite, then the database is re-sealed;
 *   every process must then use the new key files (stop them first, as for SQLite).
 * Either way the re-seal transaction appends the rotation to `key_rotations` (`alunite keys history`).
 */
export async function rotatePostgresKeys(url: string, dataDir: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<PostgresRotateResult> {
  const fromEnv = env.ALUNITE_MASTER_KEY !== undefined && env.ALUNITE_MASTER_KEY !== '';
  if (!fromEnv && (dataDir === undefined || dataDir === '')) {
    throw new Error('with --meta postgres://…, set ALUNITE_MASTER_KEY (and ALUNITE_MASTER_KEY_PREVIOUS) as the servers have them, or give --data DIR holding master.key.');
  }
  let keyFile = '';
  if (!fromEnv) {
    keyFile = join(dataDir!, 'master.key');
    if (!(await exists(keyFile))) throw new Error(`${keyFile} does not exist: nothing to rotate.`);
  }
  // Opened (and the URL checked) before any file changes.
  const { PostgresMetadataStore } = await import('../store/meta/postgres/store.js');
  const store = await PostgresMetadataStore.open({ url });
  try {
    if (fromEnv) {
      const ring = await resolveMasterKeyRing({ dataDir: '', inMemory: true, env });
      const resealed = await store.resealAccessKeySecrets(
        resealer(ring.current, ring.previous),
        rotationAudit('environment', ring.current, ring.previous),
        rotationKeyCheck(ring.current, ring.previous),
      );
      return { resealed, rotatedFile: false };
    }
    const ring = await resolveMasterKeyRing({ dataDir: dataDir!, inMemory: false, env: {} });
    await assertStoreKeyGiven(store, ring.current, ring.previous);
    const { current } = await rotateMasterKeyFile(dataDir!);
    const older = [ring.current, ...ring.previous];
    return {
      resealed: await store.resealAccessKeySecrets(resealer(current, older), rotationAudit('file', current, older), rotationKeyCheck(current, older)),
      rotatedFile: true,
    };
  } finally {
    await store.close();
  }
}

/**
 * `alunite keys history`: the recorded rotations, newest first. SQLite: `<data>/metadata.sqlite`, which the
 * server holds exclusively (stop it first); it is never created here. PostgreSQL: any time.
 */
export async function keyHistory(opts: { data?: string; meta?: string }): Promise<KeyRotation[]> {
  if (isPostgresUrl(opts.meta)) {
    const { PostgresMetadataStore } = await import('../store/meta/postgres/store.js');
    const store = await PostgresMetadataStore.open({ url: opts.meta });
    try {
      return await store.listKeyRotations();
    } finally {
      await store.close();
    }
  }
  if (opts.meta !== undefined && opts.meta !== '' && opts.meta !== 'sqlite') throw new UsageError('--meta must be "sqlite" or a postgres:// URL');
  if (opts.data === undefined || opts.data === '') throw new UsageError("required option '--data <dir>' (or --meta postgres://…) not specified");
  const dbPath = join(opts.data, 'metadata.sqlite');
  if (!(await exists(dbPath))) throw new Error(`${dbPath} does not exist: no metadata store in ${opts.data}.`);
  const { SqliteMetadataStore } = await import('../store/meta/sqlite/store.js');
  const store = new SqliteMetadataStore({ path: dbPath });
  try {
    return await store.listKeyRotations();
  } finally {
    await store.close();
  }
}

/** The JSON form of one rotation (`keys history --json`): the time as ISO 8601. */
function rotationJson(r: KeyRotation): Record<string, unknown> {
  return { ...r, rotatedAt: new Date(r.rotatedAt).toISOString() };
}

function rotationTable(all: KeyRotation[]): string {
  return formatTable(
    all.map((r) => [
      String(r.id),
      new Date(r.rotatedAt).toISOString(),
      r.keyFingerprint,
      r.previousFingerprints.join(',') || '-',
      String(r.resealed),
      r.mode,
      `${r.host}:${r.pid}`,
    ]),
    ['ID', 'ROTATED AT', 'KEY', 'PREVIOUS KEYS', 'RESEALED', 'MODE', 'HOST:PID'],
  );
}

export function keysCommand(): Command {
  const cmd = new Command('keys').description('manage the master key (seals RAM secrets, signs STS tokens)');
  cmd
    .command('rotate')
    .description('make the current master key the previous one and generate a new one (stop the server first)')
    .option('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA)
    .option('--meta <url>', 'a postgres:// metadata store: re-seal its RAM secrets (env ALUNITE_META; see docs/postgres.md)', process.env.ALUNITE_META)
    .action(async (o: { data?: string; meta?: string; json?: boolean }) => {
      if (isPostgresUrl(o.meta)) {
        const r = await rotatePostgresKeys(o.meta, o.data);
        if (o.json) return printJson({ store: 'postgres', resealed: r.resealed, rotatedFile: r.rotatedFile, ...(r.rotatedFile ? { dataDir: o.data } : {}) });
        process.stdout.write(
          r.rotatedFile
            ? `master key rotated in ${o.data}: the previous key is kept in master.key.previous; ${r.resealed} RAM AccessKey secret(s) re-sealed with the new key in PostgreSQL; give every process the new key files\n`
            : `${r.resealed} RAM AccessKey secret(s) re-sealed in PostgreSQL under ALUNITE_MASTER_KEY; the others were already sealed under it\n`,
        );
        return;
      }
      if (o.meta !== undefined && o.meta !== '' && o.meta !== 'sqlite') throw new UsageError('--meta must be "sqlite" or a postgres:// URL');
      if (o.data === undefined || o.data === '') throw new UsageError("required option '--data <dir>' (or --meta postgres://…) not specified");
      const r = await rotateKeys(o.data);
      if (o.json) return printJson({ store: 'sqlite', resealed: r.resealed, rotatedFile: r.rotatedFile, dataDir: o.data });
      if (!r.rotatedFile) {
        process.stdout.write(`${r.resealed} RAM AccessKey secret(s) re-sealed in ${o.data}/metadata.sqlite under ALUNITE_MASTER_KEY; the others were already sealed under it\n`);
        return;
      }
      process.stdout.write(
        `master key rotated in ${o.data}: the previous key is kept in master.key.previous (STS tokens it issued stay valid until they expire); ` +
          `${r.resealed} RAM AccessKey secret(s) re-sealed with the new key\n`,
      );
    });
  cmd
    .command('history')
    .description('list the master-key rotations recorded in the metadata store, newest first (key fingerprints, never keys)')
    .option('--data <dir>', 'data directory holding metadata.sqlite (env ALUNITE_DATA; stop the server first)', process.env.ALUNITE_DATA)
    .option('--meta <url>', 'a postgres:// metadata store (env ALUNITE_META)', process.env.ALUNITE_META)
    .option('--json', 'machine-readable output on stdout')
    .action(
      run(async (o: { data?: string; meta?: string; json?: boolean }) => {
        const all = await keyHistory(o);
        if (o.json) printJson({ rotations: all.map(rotationJson) });
        else if (all.length === 0) process.stdout.write('no master-key rotation recorded\n');
        else process.stdout.write(rotationTable(all));
      }),
    );
  return cmd;
}
