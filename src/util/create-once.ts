import { randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Reads the file at `path`, creating it first with `make()`'s content if it does not exist, so that a
 * crash at any moment leaves either no file or the whole file, durable before anyone uses its content:
 * the content goes to a private temp file beside it, is fsynced, then hard-linked to `path` (which, like
 * `open(…, 'wx')`, never replaces a file another process created meanwhile: then theirs is read) and the
 * directory fsynced. `writeFile(path, …, { flag: 'wx' })` created the name before writing to it: a kill
 * in between left an empty file that every later start refused (master.key, callback-key.pem).
 *
 * An empty file at `path` can only be such a leftover of an earlier version (its content was never
 * used: it was written before anything was sealed or signed with it); it is moved aside as
 * `<name>.empty-<random>`, removed, and the file created anew. Temp files a kill left behind are removed
 * once the file exists.
 */
export async function readOrCreateOnce(path: string, make: () => Promise<string>): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await readIfPresent(path);
    if (existing !== null && existing !== '') {
      await removeTempLeftovers(path);
      // A kill between the link and the directory fsync left the name not yet durable: make it so before use.
      await syncDir(dirname(path));
      return existing;
    }
    if (existing === '') await moveEmptyAside(path);
    const content = await make();
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      // EEXIST: another process created it meanwhile, read theirs; ENOENT: that process, having
      // created it, removed our temp file as a leftover: read it too.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOENT') throw err;
      continue;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    await syncDir(dirname(path));
    return content;
  }
  throw new Error(`${path}: could not be read or created`);
}

/**
 * Temp files of this name left by a kill after the link (or before it: their content was never used).
 * Only called once the file exists, when any temp file of it is useless: one still being written by
 * another process fails its link and that process reads the existing file.
 */
async function removeTempLeftovers(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  for (const name of await readdir(dirname(path))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Renames the empty file away (a file another process created meanwhile is put back, not lost). */
async function moveEmptyAside(path: string): Promise<void> {
  const aside = `${path}.empty-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another process moved it
    throw err;
  }
  if ((await stat(aside)).size > 0) {
    // Between our read and the rename, another process replaced the empty file by a whole one: restore it.
    await link(aside, path);
    await unlink(aside);
    return;
  }
  await unlink(aside);
}

/** fsync of a directory: the entries created, renamed or removed in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
