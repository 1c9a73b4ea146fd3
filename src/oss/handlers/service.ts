import { isoDate } from '../../util/time.js';
import type { Bucket } from '../../domain/model.js';
import { AppError, invalidArgument } from '../../errors.js';
import { isAliyunHost } from '../address.js';
import type { Handler, OssRequest } from '../context.js';
import { bucketTags } from '../stored/tags.js';
import { DEFAULT_RESOURCE_GROUP, resourceGroupOf } from '../stored/bucket-info.js';
import { header } from '../headers.js';
import { storedKind } from '../../domain/stored-configs.js';
import { el, type XmlNode } from '../xml.js';
import { limitParam, owner, xmlResponse } from './common.js';

/**
 * The page of buckets, filtered by tag-key (and tag-value) when asked: the account's buckets (at most 100,
 * LIMITS.maxBucketsPerAccount) are read from `marker` on, page after page until maxKeys + 1 match (or none is
 * left), filtered by their stored tags, then paged.
 */
/**
 * ListBuckets' `tagging` filter: `"k1":"v1","k2":"v2"` (the members of a JSON object without its braces, as
 * ali-oss's own bucket test sends it): buckets with every one of these tags. Null when absent.
 */
function taggingFilter(raw: string | undefined): Map<string, string> | null {
  if (raw === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(`{${raw}}`);
  } catch {
    parsed = null;
  }
  const entries = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.entries(parsed as Record<string, unknown>) : [];
  if (entries.length === 0 || entries.some(([k, v]) => k === '' || typeof v !== 'string')) {
    throw invalidArgument('The tagging parameter of ListBuckets must be "key":"value" pairs separated by commas, e.g. "env":"prod","team":"a".', 'tagging', raw.slice(0, 256));
  }
  return new Map(entries as Array<[string, string]>);
}

/** The configurations ListBuckets reads: the buckets' tags (its tag filters, and the tags it answers with them) and resource groups. */
const TAGS_CONFIG = storedKind('bucket-tags').name;
const GROUP_CONFIG = storedKind('resource-group').name;

/**
 * ListBuckets' `x-oss-resource-group-id` header: only the buckets of that resource group, the default group for
 * an empty value or `rg-default-id` (OSS's ListBuckets documentation); undefined without the header (every bucket).
 */
function resourceGroupFilter(req: OssRequest): string | undefined {
  const group = header(req.headers, 'x-oss-resource-group-id')?.trim();
  return group === '' ? DEFAULT_RESOURCE_GROUP : group;
}

async function listFiltered(req: OssRequest, q: { prefix: string; marker: string; maxKeys: number }): Promise<{ buckets: Bucket[]; truncated: boolean }> {
  const tagKey = req.query.get('tag-key');
  const tagValue = req.query.get('tag-value');
  const tagging = taggingFilter(req.query.get('tagging'));
  const group = resourceGroupFilter(req);
  // A listing reads no configuration but the buckets' tags and groups (a bucket's may take megabytes: a 1,000-rule
  // lifecycle, 1,000 inventories; read and parsed for each of 100 buckets, one ListBuckets held the event loop for seconds).
  if (tagKey === undefined && tagValue === undefined && tagging === null && group === undefined) return req.services.buckets.list(req.accountId, { ...q, configs: [] });
  if (tagValue !== undefined && (tagKey === undefined || tagKey === '')) throw invalidArgument('tag-value needs tag-key.', 'tag-key', '');
  if (tagKey === '') throw invalidArgument('tag-key must not be empty.', 'tag-key', '');
  const matching: Bucket[] = [];
  for (let marker = q.marker; matching.length <= q.maxKeys; ) {
    const page = await req.services.buckets.list(req.accountId, { ...q, marker, maxKeys: 1000, configs: [TAGS_CONFIG, GROUP_CONFIG] });
    for (const b of page.buckets) {
      const tags = bucketTags(req.services.stored.valueOf(b, 'bucket-tags'));
      const byKey = tagKey === undefined || (tags.has(tagKey) && (tagValue === undefined || tags.get(tagKey) === tagValue));
      const byTagging = tagging === null || [...tagging].every(([k, v]) => tags.get(k) === v);
      const byGroup = group === undefined || resourceGroupOf(req.services.stored, b) === group;
      if (byKey && byTagging && byGroup) matching.push(b);
    }
    if (!page.truncated || page.buckets.length === 0) break;
    marker = page.buckets[page.buckets.length - 1]!.name;
  }
  return { buckets: matching.slice(0, q.maxKeys), truncated: matching.length > q.maxKeys };
}

/**
 * A prefix or marker of ListBuckets is compared with bucket names, so OSS accepts only the characters of bucket
 * names: lower-case letters, digits and hyphens (EC 0017-00000290 for prefix, 0017-00000291 for marker). The Go
 * SDK's own IsBucketExist test expects `prefix=BucketNameInvalid` to be refused, and an ali-oss maintainer describes
 * a prefix with `/` as refused the same way. A longer one than a bucket name is not refused (it matches nothing):
 * oss2's tests list with `<their bucket>-test-`, which passes 63 characters for a long bucket name.
 */
function bucketNamePart(req: OssRequest, name: 'prefix' | 'marker', ec: string): string {
  const value = req.query.get(name) ?? '';
  if (value.length > 1024 || !/^[a-z0-9-]*$/.test(value)) {
    throw new AppError(
      'InvalidArgument',
      `The ${name} of ListBuckets is compared with bucket names: it may hold only lower-case letters, digits and hyphens.`,
      { ArgumentName: name, ArgumentValue: value.slice(0, 256) },
      ec,
    );
  }
  return value;
}

/**
 * ListUserRegions (the Java SDK's listUserRegions(), `ListUserRegionsResult` as the Tea gateway models it): the
 * regions where the account has buckets, here this server's one region ([UNVERIFIED] the `oss-` form, as
 * DescribeRegions and ListBuckets' Location write regions; docs/compatibility.md).
 */
export const listUserRegions: Handler = async (req) =>
  xmlResponse(el('ListUserRegionsResult', [el('Regions', [el('Region', `oss-${req.services.stored.region}`)])]));

export const listBuckets: Handler = async (req) => {
  const prefix = bucketNamePart(req, 'prefix', '0017-00000290');
  const marker = bucketNamePart(req, 'marker', '0017-00000291');
  const maxKeys = limitParam(req.query, 'max-keys', 100, 1000);
  const { buckets, truncated } = await listFiltered(req, { prefix, marker, maxKeys });
  // The filter is echoed only when the request named one and something was listed: a prefix that matches no
  // bucket is answered with no Prefix, Marker, MaxKeys or IsTruncated (the Kotlin SDK v2's ServiceTest
  // `testListBucketsWithPrefix` reads them as null from OSS) [UNVERIFIED: OSS's rule beyond that case].
  const echo = (req.query.has('prefix') || req.query.has('marker') || req.query.has('max-keys')) && buckets.length > 0;
  // Filtered by tags, each bucket comes with its tags (ali-oss reads them as `tag` from Tagging/TagSet/Tag).
  const byTags = req.query.has('tag-key') || req.query.has('tagging');
  const byGroup = resourceGroupFilter(req) !== undefined;
  const tagsOf = (b: Bucket): XmlNode | false => byTags && el('Tagging', [
    el('TagSet', [...bucketTags(req.services.stored.valueOf(b, 'bucket-tags'))].map(([k, v]) => el('Tag', [el('Key', k), el('Value', v)]))),
  ]);
  // The endpoints a client reaches each bucket on. Asked on an OSS host name, OSS's; asked on another host (this
  // server's own address), that address with its scheme: the Go and Python SDK v2 test suites clean up each
  // listed bucket through a client on its ExtranetEndpoint unless it matches the endpoint they use, and
  // `oss-cn-hangzhou.aliyuncs.com` sent that clean-up to the cloud. GetBucketInfo keeps OSS's names (the SDKs'
  // tests check them there).
  const { scheme, host } = req.endpoint;
  const onOssHost = isAliyunHost(host);
  const endpoints = (b: Bucket): { extranet: string; intranet: string } => onOssHost
    ? { extranet: `oss-${b.region}.aliyuncs.com`, intranet: `oss-${b.region}-internal.aliyuncs.com` }
    : { extranet: `${scheme}://${host}`, intranet: `${scheme}://${host}` };
  return xmlResponse(
    el('ListAllMyBucketsResult', [
      echo && el('Prefix', prefix),
      echo && el('Marker', marker),
      echo && el('MaxKeys', maxKeys),
      echo && el('IsTruncated', truncated),
      truncated && el('NextMarker', buckets[buckets.length - 1]!.name),
      owner(req.accountId),
      el(
        'Buckets',
        buckets.map((b) => {
          const ep = endpoints(b);
          return el('Bucket', [
            el('CreationDate', isoDate(b.createdAt)),
            el('ExtranetEndpoint', ep.extranet),
            el('IntranetEndpoint', ep.intranet),
            el('Location', `oss-${b.region}`),
            el('Name', b.name),
            el('Region', b.region),
            el('StorageClass', b.storageClass),
            // Listed by resource group, each bucket names its group (the Java SDK's CreateBucketTest reads it then
            // and expects none otherwise).
            byGroup && el('ResourceGroupId', resourceGroupOf(req.services.stored, b)),
            tagsOf(b),
          ]);
        }),
      ),
    ]),
  );
};
