import { isoDate } from '../../util/time.js';
import type { Bucket } from '../../domain/model.js';
import { invalidArgument } from '../../errors.js';
import type { Handler, OssRequest } from '../context.js';
import { bucketTags } from '../stored/tags.js';
import { el } from '../xml.js';
import { limitParam, owner, xmlResponse } from './common.js';

/**
 * The page of buckets, filtered by tag-key (and tag-value) when asked: the account's buckets (at most 100,
 * LIMITS.maxBucketsPerAccount) are read from `marker` on, page after page until maxKeys + 1 match (or none is
 * left), filtered by their stored tags, then paged.
 */
async function listFiltered(req: OssRequest, q: { prefix: string; marker: string; maxKeys: number }): Promise<{ buckets: Bucket[]; truncated: boolean }> {
  const tagKey = req.query.get('tag-key');
  const tagValue = req.query.get('tag-value');
  if (tagKey === undefined && tagValue === undefined) return req.services.buckets.list(req.accountId, q);
  if (tagKey === undefined || tagKey === '') throw invalidArgument('tag-value needs tag-key.', 'tag-key', '');
  const matching: Bucket[] = [];
  for (let marker = q.marker; matching.length <= q.maxKeys; ) {
    const page = await req.services.buckets.list(req.accountId, { ...q, marker, maxKeys: 1000 });
    for (const b of page.buckets) {
      const tags = bucketTags(req.services.stored.valueOf(b, 'bucket-tags'));
      if (tags.has(tagKey) && (tagValue === undefined || tags.get(tagKey) === tagValue)) matching.push(b);
    }
    if (!page.truncated || page.buckets.length === 0) break;
    marker = page.buckets[page.buckets.length - 1]!.name;
  }
  return { buckets: matching.slice(0, q.maxKeys), truncated: matching.length > q.maxKeys };
}

export const listBuckets: Handler = async (req) => {
  const prefix = req.query.get('prefix') ?? '';
  const marker = req.query.get('marker') ?? '';
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const filtered = req.query.has('prefix') || req.query.has('marker') || req.query.has('max-keys');
  const { buckets, truncated } = await listFiltered(req, { prefix, marker, maxKeys });
  return xmlResponse(
    el('ListAllMyBucketsResult', [
      filtered && el('Prefix', prefix),
      filtered && el('Marker', marker),
      filtered && el('MaxKeys', maxKeys),
      filtered && el('IsTruncated', truncated),
      truncated && el('NextMarker', buckets[buckets.length - 1]!.name),
      owner(req.accountId),
      el(
        'Buckets',
        buckets.map((b) =>
          el('Bucket', [
            el('CreationDate', isoDate(b.createdAt)),
            el('ExtranetEndpoint', `oss-${b.region}.aliyuncs.com`),
            el('IntranetEndpoint', `oss-${b.region}-internal.aliyuncs.com`),
            el('Location', `oss-${b.region}`),
            el('Name', b.name),
            el('Region', b.region),
            el('StorageClass', b.storageClass),
          ]),
        ),
      ),
    ]),
  );
};
