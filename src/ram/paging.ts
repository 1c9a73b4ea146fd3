import { AppError } from '../errors.js';
import type { NamePage } from '../store/meta/types.js';
import type { Tag, TagFilter } from './tags.js';

// RAM listings' paging (MaxItems, opaque markers), shared by the RamService layers (service-*.ts).

export interface Paging {
  marker?: string;
  maxItems?: number;
}

/** ListRoles / ListPolicies: the paging and the Tag filter (every filter must match). */
export interface TagPaging extends Paging {
  tags?: TagFilter[];
}

/** A listed role or policy with its tags (sorted by key). */
export type Tagged<T> = T & { tags: Tag[] };

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  /** Pass back as `marker` for the next page; present when truncated. */
  marker?: string;
}

// MaxItems bounds as the published metadata gives them: 1–1000 for ListUsers, ListUsersForGroup, ListRoles and
// ListPolicies, 1–100 for ListGroups; 100 by default everywhere.
const MAX_ITEMS_LIMIT = 1000;
export const MAX_GROUP_ITEMS = 100;
const DEFAULT_MAX_ITEMS = 100;

// Markers are opaque to clients: a tagged name, so a made-up value (`Marker=abc`) is refused instead of
// silently answering an empty page.
const MARKER_TAG = 'm1:';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeMarker(s: string): string {
  return Buffer.from(MARKER_TAG + s, 'utf8').toString('base64url');
}

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const bad = new AppError('InvalidParameter.Marker');
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw bad;
  const bytes = Buffer.from(marker, 'base64url');
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw bad;
  }
  if (!text.startsWith(MARKER_TAG) || bytes.toString('base64url') !== marker) throw bad;
  return text.slice(MARKER_TAG.length);
}

export function pageSize(maxItems: number | undefined, max: number = MAX_ITEMS_LIMIT): number {
  if (maxItems === undefined) return DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > max) {
    throw new AppError('InvalidParameter.MaxItems', `The parameter - "MaxItems" must be between 1 and ${max}.`);
  }
  return maxItems;
}

/** Fetches one item more than asked to tell whether the listing goes on. */
export async function paged<T>(paging: Paging, nameOf: (t: T) => string, fetch: (p: NamePage) => Promise<T[]>, max: number = MAX_ITEMS_LIMIT): Promise<Page<T>> {
  const limit = pageSize(paging.maxItems, max);
  const after = decodeMarker(paging.marker);
  const rows = await fetch({ ...(after !== undefined ? { after } : {}), limit: limit + 1 });
  if (rows.length <= limit) return { items: rows, isTruncated: false };
  const items = rows.slice(0, limit);
  return { items, isTruncated: true, marker: encodeMarker(nameOf(items[items.length - 1]!)) };
}
