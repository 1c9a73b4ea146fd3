import { AppError } from '../../errors.js';
import { principalIsOpen } from '../../domain/public-access.js';
import { parsePolicy } from '../../policy/index.js';
import type { Handler } from '../context.js';
import type { Doc } from './schema.js';
import { bucketOf, respond } from './common.js';

// Answers computed from what the server knows: the bucket policy's public status, the region list.

/**
 * A bucket policy is public when one of its Allow statements is for every principal without a Condition: `*`, or no
 * principal at all (absent or `[]`, which the evaluator reads as everyone, docs/policy.md; the Python SDK v2's
 * test_bucket_policy expects a Principal-less Allow to be public), or a pattern (`*` or `?` in it: `????????????????`
 * names every account): the Principal rule Block Public Access applies (principalIsOpen). Read with the evaluator's
 * own parser, so the status says what authorization does (docs/stored-configurations.md).
 */
export function policyIsPublic(policy: string | null): boolean {
  if (policy === null) return false;
  const parsed = parsePolicy(policy, 'bucket');
  if (!parsed.ok) return false;
  return parsed.policy.statements.some((st) => {
    if (st.effect !== 'Allow' || st.condition.length > 0 || st.principal?.type !== 'bucket') return false;
    return principalIsOpen(st.principal.values);
  });
}

export const getBucketPolicyStatus: Handler = async (req) => {
  const { bucket } = await req.services.stored.get(bucketOf(req), 'bucket-tags');
  return respond('GetBucketPolicyStatus', { IsPublic: String(policyIsPublic(bucket.policy)) });
};

/** Alibaba Cloud's public OSS regions (DescribeRegions lists them besides the server's own --region). */
export const PUBLIC_REGIONS: readonly string[] = [
  'cn-hangzhou', 'cn-shanghai', 'cn-nanjing', 'cn-fuzhou', 'cn-wuhan-lr', 'cn-qingdao', 'cn-beijing', 'cn-zhangjiakou',
  'cn-huhehaote', 'cn-wulanchabu', 'cn-shenzhen', 'cn-heyuan', 'cn-guangzhou', 'cn-chengdu', 'cn-hongkong',
  'us-west-1', 'us-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-3', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'eu-central-1', 'eu-west-1', 'me-east-1', 'me-central-1',
];

/**
 * The regions this server knows, sorted by id as OSS lists them (oss-ap-northeast-1, oss-ap-northeast-2, ...: the
 * C++ SDK v2's DescribeRegions_normal reads those two first): the public ones and the server's own --region.
 * DescribeRegions answers them, and GetBucketReplicationLocation offers them as destinations.
 */
export function knownRegions(serverRegion: string): string[] {
  return [...new Set([serverRegion, ...PUBLIC_REGIONS])].sort();
}

function regionInfo(region: string): Doc {
  return {
    Region: `oss-${region}`,
    InternetEndpoint: `oss-${region}.aliyuncs.com`,
    InternalEndpoint: `oss-${region}-internal.aliyuncs.com`,
    AccelerateEndpoint: 'oss-accelerate.aliyuncs.com',
  };
}

export const describeRegions: Handler = async (req) => {
  const all = knownRegions(req.services.stored.region);
  const asked = req.query.get('regions') ?? '';
  if (asked === '') return respond('DescribeRegions', { RegionInfo: all.map(regionInfo) });
  // Only a region's OSS name (`oss-cn-hangzhou`) names it: the Swift SDK v2's testDescribeRegionsFail asks for
  // `cn-hangzhou` and reads 404 NoSuchRegion. OSS's message is the name as asked (that test and the Java SDK v2's
  // ClientRegionsTest compare it), cut here so a long parameter is not echoed whole.
  const id = asked.startsWith('oss-') ? asked.slice(4) : null;
  if (id === null || !all.includes(id)) throw new AppError('NoSuchRegion', asked.slice(0, 64), { Region: asked.slice(0, 64) });
  return respond('DescribeRegions', { RegionInfo: [regionInfo(id)] });
};
