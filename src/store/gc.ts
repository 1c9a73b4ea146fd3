import type { BlobStore } from './blob/types.js';
import type { MetadataStore } from './meta/types.js';

/**
 * Removes what a crash can leave behind: temp files of unfinished writes, and blobs no object or
 * part references (written but never committed, or replaced but not yet deleted). Run at start,
 * before any request, so no in-flight upload can be mistaken for an orphan.
 */
export async function collectGarbage(meta: MetadataStore, blobs: BlobStore): Promise<{ tempFiles: number; orphanBlobs: number }> {
  const tempFiles = await blobs.cleanTemp();
  const referenced = await meta.referencedBlobIds();
  const orphans: string[] = [];
  for await (const id of blobs.list()) if (!referenced.has(id)) orphans.push(id);
  await blobs.delete(orphans);
  return { tempFiles, orphanBlobs: orphans.length };
}
