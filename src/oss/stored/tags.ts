import { AppError } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler } from '../context.js';
import { empty } from '../handlers/common.js';
import { child, listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketOf } from './common.js';

// Bucket tags: OSS's limits, partial delete, and the tag filter ListBuckets reads.

/** OSS bucket tags: at most 20; key 1–64 characters, not starting with aliyun, acs:, http:// or https://; value ≤ 128. */
export const BUCKET_TAG_LIMITS = { maxTags: 20, maxKey: 64, maxValue: 128 } as const;

/**
 * A tag key or value holding a control character XML 1.0 cannot carry (`&#1;`): InvalidTag, the code OSS
 * documents for a PutBucketTags Key or Value that does not meet its requirements (EC 0010-00000219).
 */
export const notXmlTag = (path: string): AppError =>
  new AppError('InvalidTag', `A tag ${path.endsWith('.Value') ? 'value' : 'key'} may not hold a control character other than tab, LF or CR.`);

export function checkTags(doc: Doc): void {
  const seen = new Set<string>();
  for (const tag of listOf(child(doc, 'TagSet') ?? {}, 'Tag')) {
    const t = tag as Doc;
    const key = textOf(t, 'Key') ?? '';
    const value = textOf(t, 'Value') ?? '';
    if (key === '' || key.length > BUCKET_TAG_LIMITS.maxKey) throw new AppError('InvalidTag', `A tag key must be 1 to ${BUCKET_TAG_LIMITS.maxKey} characters long.`);
    if (/^(aliyun|acs:|https?:\/\/)/i.test(key)) throw new AppError('InvalidTag', 'A tag key may not start with aliyun, acs:, http:// or https://.');
    if (value.length > BUCKET_TAG_LIMITS.maxValue) throw new AppError('InvalidTag', `A tag value must be at most ${BUCKET_TAG_LIMITS.maxValue} characters long.`);
    if (seen.has(key)) throw new AppError('InvalidTag', `The tag key ${key} occurs twice.`);
    seen.add(key);
  }
}

/** The bucket's tags as key → value (ListBuckets' tag filter reads them from the bucket record). */
export function bucketTags(value: Json | null): Map<string, string> {
  const doc = asDoc(value);
  const out = new Map<string, string>();
  if (doc === null) return out;
  for (const tag of listOf(child(doc, 'TagSet') ?? {}, 'Tag')) out.set(textOf(tag as Doc, 'Key') ?? '', textOf(tag as Doc, 'Value') ?? '');
  return out;
}

export const deleteBucketTags: Handler = async (req) => {
  // `?tagging=k1,k2` removes only those keys (OSS); a bare `?tagging` removes them all.
  const only = (req.query.get('tagging') ?? '').split(',').filter((k) => k !== '');
  await req.services.stored.update(bucketOf(req), 'bucket-tags', (current) => {
    const doc = asDoc(current);
    if (only.length === 0 || doc === null) return null;
    const kept = listOf(child(doc, 'TagSet') ?? {}, 'Tag').filter((t) => !only.includes(textOf(t as Doc, 'Key') ?? ''));
    return kept.length === 0 ? null : asJson({ TagSet: { Tag: kept } });
  }, true);
  return empty(204);
};
