import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { chmod, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

// Everything under the data directory is private to the server's user: small objects live in
// metadata.sqlite (and its WAL), larger ones in blob files, secrets in master.key. Modes are set
// explicitly, whatever the umask, and tightened at start when an older release or an operator left
// them looser.

/** A failure about a path, as one line naming it; `code` keeps the errno code (ENOSPC stays recognisable). */
export class StoragePathError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
};

function notWritable(path: string, err: unknown): StoragePathError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new StoragePathError(`the directory ${path} is not writable: ${reason}${code && REASONS[code] ? ` (${code})` : ''}`, code);
}

/** Creates `dir` (and missing parents) with mode 0700, or tightens an existing one to 0700. */
export async function privateDir(dir: string): Promise<void> {
  try {
    await mkdirRecursive(dir);
    await tighten(dir, 0o700);
  } catch (err) {
    throw notWritable(dir, err);
  }
}

/**
 * mkdir -p with the real reason on failure: node reports ENOENT from a recursive mkdir whatever stopped
 * it (a read-only filesystem, permissions), so the first missing directory is created alone to learn why.
 */
async function mkdirRecursive(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = resolve(dir);
    while (dirname(missing) !== missing && !(await exists(dirname(missing)))) missing = dirname(missing);
    await mkdir(missing, { mode: 0o700 });
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Tightens an existing file to 0600 (absent: nothing to do). */
export async function privateFile(path: string): Promise<void> {
  await tighten(path, 0o600);
}

/** Creates the file empty with mode 0600 unless it exists (SQLite then gives its WAL the same mode), and tightens it. */
export async function createPrivateFile(path: string): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  await fh.close();
  await tighten(path, 0o600);
}

async function tighten(path: string, mode: number): Promise<void> {
  let current: number;
  try {
    current = (await stat(path)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((current & ~mode) !== 0) await chmod(path, current & mode);
}

/**
 * Proves the directory takes new files by creating and removing one: a mode check alone says nothing to
 * root, nor about a read-only mount.
 */
export async function assertWritable(dir: string): Promise<void> {
  const probe = join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, 'wx', 0o600);
    await fh.close();
    await unlink(probe);
  } catch (err) {
    // A full disk must not keep the server from starting: deletes are how space comes back.
    if (isDiskFullCode(err)) return;
    throw notWritable(dir, err);
  }
}

function isDiskFullCode(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** privateFile and createPrivateFile for synchronous callers (the SQLite store opens synchronously). */
export function createPrivateFileSync(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  tightenSync(path, 0o600);
}

export function privateFileSync(path: string): void {
  tightenSync(path, 0o600);
}

function tightenSync(path: string, mode: number): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((current & ~mode) !== 0) chmodSync(path, current & mode);
}
