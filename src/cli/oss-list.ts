import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ListedObject, OssClient } from './oss-client.js';
import { advancing } from './output.js';

// Listing both sides of a transfer (`oss cp -r`, `oss sync`): objects under a prefix, files under a directory.

/** Every object under a prefix (recursive), page by page. */
export async function* listAll(client: OssClient, bucket: string, prefix: string, delimiter?: string): AsyncGenerator<{ objects: ListedObject[]; prefixes: string[] }> {
  client.useBucket(bucket);
  let token: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await client.listV2({
      'max-keys': 1000,
      ...(prefix !== '' ? { prefix } : {}),
      ...(delimiter !== undefined ? { delimiter } : {}),
      ...(token !== undefined ? { 'continuation-token': token } : {}),
    });
    yield { objects: page.objects ?? [], prefixes: page.prefixes ?? [] };
    if (!page.isTruncated || !page.nextContinuationToken) return;
    token = advancing(seen, page.nextContinuationToken, 'listing (continuation token)');
  }
}

/** Runs `fn` over items with at most `limit` in flight; stops scheduling after the first failure. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}

/** Regular files under a directory (symlinked files followed, symlinked directories not, to avoid loops). */
export async function walk(root: string): Promise<{ abs: string; rel: string; size: number }[]> {
  const out: { abs: string; rel: string; size: number }[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) await visit(abs);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = await stat(abs).catch(() => null);
        if (st?.isFile()) out.push({ abs, rel: relative(root, abs).split(sep).join('/'), size: st.size });
      }
    }
  };
  await visit(root);
  return out;
}

/** `dir/` for a non-empty prefix without a trailing slash: `-r` works on folders, not on name prefixes. */
export const folder = (key: string): string => (key === '' || key.endsWith('/') ? key : `${key}/`);
