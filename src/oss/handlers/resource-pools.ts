import { AppError } from '../../errors.js';
import type { Handler, OssRequest } from '../context.js';
import { poolOf } from '../resource-pool-route.js';
import { el } from '../xml.js';
import { xmlResponse } from './common.js';

// The resource pool operations (docs/qos.md "Resource pools", routed by oss/resource-pool-route.ts). Pools are
// created by Alibaba Cloud support, never by an API, so an account here has none: the list is empty and every
// operation naming a pool answers that it does not exist.

export const listResourcePools: Handler = async (req) =>
  xmlResponse(el('ListResourcePoolsResult', [
    el('Region', req.services.stored.region),
    el('Owner', req.accountId),
    // Empty rather than left out: oss2 reads both as '' [UNVERIFIED: the metadata spells them ContionuationToken].
    el('ContinuationToken', ''),
    el('NextContinuationToken', ''),
    el('IsTruncated', false),
  ]));

/** Every operation naming a pool: 404, the pool does not exist. */
export const noSuchResourcePool: Handler = async (req: OssRequest) => {
  throw new AppError('NoSuchResourcePool', undefined, { ResourcePool: poolOf(req.query) });
};
