import { relative, resolve, sep } from 'node:path';
import { CliError } from './output.js';

// Where the objects of a recursive download (`oss cp -r`, `oss sync` to a directory) land. A key is a path
// under the destination only if it names a file there by itself: one that would land outside it (`../x`, `/x`)
// is never written, and of keys that name the same file (`a//b`, `a/./b` beside `a/b`) only one is, or each
// would overwrite the others in turn (and a sync would count the file as missing and download it every time).

export interface DownloadTarget<T> {
  obj: T;
  /** The file's path under the destination, with `/` between names (`a/b` for the key suffix `a//b`). */
  rel: string;
  target: string;
}

export interface DownloadPlan<T> {
  jobs: DownloadTarget<T>[];
  /** Keys that would be written outside the destination. */
  outside: string[];
  /** Keys that name the same file as a key kept in `jobs`. */
  clashing: string[];
}

/**
 * The files the objects (listed under `prefix`) become under `root`. Folder markers (`…/`) are no file. Of keys
 * that name one file, the key spelled as the file is kept (`a/b` before `a//b`), else the first listed.
 */
export function downloadTargets<T extends { name: string }>(objects: readonly T[], prefix: string, root: string): DownloadPlan<T> {
  const byRel = new Map<string, DownloadTarget<T>>();
  const outside: string[] = [];
  const clashing: string[] = [];
  for (const obj of objects) {
    const suffix = obj.name.slice(prefix.length);
    if (suffix === '' || suffix.endsWith('/')) continue;
    const target = resolve(root, suffix);
    if (suffix.split('/').includes('..') || suffix.startsWith('/') || !target.startsWith(root + sep)) {
      outside.push(obj.name);
      continue;
    }
    const rel = relative(root, target).split(sep).join('/');
    const kept = byRel.get(rel);
    if (kept === undefined) {
      byRel.set(rel, { obj, rel, target });
    } else if (suffix === rel && kept.obj.name.slice(prefix.length) !== rel) {
      clashing.push(kept.obj.name);
      byRel.set(rel, { obj, rel, target });
    } else {
      clashing.push(obj.name);
    }
  }
  return { jobs: [...byRel.values()], outside, clashing };
}

/** The command's error for keys not written (`UnsafeKey`), or undefined when every key was. */
export function skippedKeysError(plan: { outside: readonly string[]; clashing: readonly string[] }, root: string): CliError | undefined {
  const n = plan.outside.length + plan.clashing.length;
  if (n === 0) return undefined;
  if (plan.clashing.length === 0) {
    return new CliError('UnsafeKey', `skipped ${n} object(s) whose keys would be written outside ${root}: ${plan.outside.slice(0, 5).join(', ')}`);
  }
  const why = [
    plan.outside.length > 0 ? `${plan.outside.length} would be written outside ${root}` : '',
    plan.clashing.length > 0 ? `${plan.clashing.length} name the same file as another key (such as a//b beside a/b), which was written instead` : '',
  ].filter((s) => s !== '').join('; ');
  return new CliError('UnsafeKey', `skipped ${n} object(s) whose keys cannot be written as their own file (${why}): ${[...plan.outside, ...plan.clashing].slice(0, 5).join(', ')}`);
}
