import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isPasswordHash } from './password.js';
import { showName, unsafeNameReason } from './names.js';

// The users file (auth mode `users`): JSON `{"users": {"<id>": {"password": "scrypt$…", "group"?: "<g>"}}}`,
// mode 0600. It is re-read when it changes (inode, size, mtime or ctime), so `alunite vend add-user` takes effect
// without a restart and a removed user can no longer get credentials with an old login token.

export interface UserRecord {
  readonly password: string;
  readonly group?: string;
}

export type UserTable = ReadonlyMap<string, UserRecord>;

export class UsersFileError extends Error {}

/** Parses and checks a users file's text; every fault names the user and field. */
export function parseUsers(text: string, file: string): Map<string, UserRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsersFileError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (doc === null || typeof doc !== 'object' || users === null || typeof users !== 'object' || Array.isArray(users)) {
    throw new UsersFileError(`${file}: expected {"users": {"<user id>": {"password": "scrypt$…", "group": "…"}}}`);
  }
  const out = new Map<string, UserRecord>();
  for (const [id, rec] of Object.entries(users as Record<string, unknown>)) {
    const why = unsafeNameReason(id);
    if (why !== null) throw new UsersFileError(`${file}: users[${showName(id)}]: the user id ${why}`);
    const r = rec as { password?: unknown; group?: unknown } | null;
    if (r === null || typeof r !== 'object') throw new UsersFileError(`${file}: users.${id}: must be an object`);
    if (!isPasswordHash(r.password)) throw new UsersFileError(`${file}: users.${id}.password: must be a scrypt hash written by \`alunite vend add-user\``);
    if (r.group !== undefined) {
      const g = unsafeNameReason(r.group);
      if (g !== null) throw new UsersFileError(`${file}: users.${id}.group: ${g}`);
    }
    out.set(id, r.group === undefined ? { password: r.password } : { password: r.password, group: r.group as string });
  }
  return out;
}

/** What says the users file changed: a replaced file (new inode) or an edit (size, times) (docs/vend.md). */
interface FileVersion {
  ino: number;
  dev: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

function versionOf(s: Stats): FileVersion {
  return { ino: s.ino, dev: s.dev, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
}

function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

export class UsersFile {
  private table: Map<string, UserRecord> = new Map();
  private version: FileVersion | null = null;

  constructor(readonly path: string) {}

  /** Loads the file (start-up: errors are fatal). The version is the stat of the very file read (one open). */
  async load(): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      const s = await fh.stat();
      this.table = parseUsers(await fh.readFile('utf8'), this.path);
      this.version = versionOf(s);
    } finally {
      await fh.close();
    }
  }

  /**
   * The current table; re-read when the file changed: another inode (a file renamed over it, as `add-user` and
   * editors do, even with the same size and modification time), or another size, mtime or ctime. A file that
   * became invalid keeps the last good table.
   */
  async current(): Promise<UserTable> {
    try {
      const s = await stat(this.path);
      if (this.version === null || !sameVersion(versionOf(s), this.version)) await this.load();
    } catch {
      // Keep serving the last good table; the operator sees the error on the next start.
    }
    return this.table;
  }
}

/** Adds a user to the file (created 0600 when missing), refusing duplicates and unsafe names. */
export async function addUser(path: string, id: string, passwordHash: string, group?: string): Promise<void> {
  const why = unsafeNameReason(id);
  if (why !== null) throw new UsersFileError(`user id ${showName(id)} ${why}`);
  if (group !== undefined) {
    const g = unsafeNameReason(group);
    if (g !== null) throw new UsersFileError(`group ${showName(group)} ${g}`);
  }
  let users = new Map<string, UserRecord>();
  try {
    users = parseUsers(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (users.has(id)) throw new UsersFileError(`user ${showName(id)} already exists in ${path}`);
  users.set(id, group === undefined ? { password: passwordHash } : { password: passwordHash, group });
  const text = `${JSON.stringify({ users: Object.fromEntries(users) }, null, 2)}\n`;
  // Write a private temp file next to the target, then rename: readers never see half a file.
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
