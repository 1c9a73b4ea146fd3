import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { el } from '../xml.js';
import { limitParam, owner, xmlResponse } from './common.js';

export const listBuckets: Handler = async (req) => {
  const prefix = req.query.get('prefix') ?? '';
  const marker = req.query.get('marker') ?? '';
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const filtered = req.query.has('prefix') || req.query.has('marker') || req.query.has('max-keys');
  const { buckets, truncated } = await req.services.buckets.list(req.accountId, { prefix, marker, maxKeys });
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
