import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

// Resumable-upload checkpoints under ~/.alunite/checkpoints/, one JSON file per (endpoint, bucket, key,
// local file). It is rewritten after every completed part (write temp, fsync, rename), synchronously, so
// a SIGKILL at any moment leaves either the previous or the new state, never a torn file.

export interface UploadCheckpoint {
  version: 1;
  endpoint: string;
  bucket: string;
  key: string;
  /** Absolute path of the local file. */
  file: string;
  fileSize: number;
  mtimeMs: number;
  partSize: number;
  uploadId: string;
  doneParts: { number: number; etag: string }[];
}

export function checkpointPath(dir: string, endpoint: string, bucket: string, key: string, file: string): string {
  const id = createHash('sha256').update(JSON.stringify([endpoint, bucket, key, file])).digest('hex').slice(0, 32);
  return join(dir, `${id}.json`);
}

export async function loadCheckpoint(path: string): Promise<UploadCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const c = JSON.parse(text) as Partial<UploadCheckpoint>;
    const ok =
      c.version === 1 && typeof c.uploadId === 'string' && typeof c.partSize === 'number' && typeof c.fileSize === 'number' &&
      typeof c.mtimeMs === 'number' && Array.isArray(c.doneParts) &&
      c.doneParts.every((p) => typeof p?.number === 'number' && typeof p.etag === 'string');
    return ok ? (c as UploadCheckpoint) : null;
  } catch {
    return null; // unreadable: treated as absent, the upload starts over
  }
}

export function saveCheckpointSync(path: string, c: UploadCheckpoint): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
