import type { Bucket } from '../../domain/model.js';
import type { StoredConfigService } from '../../domain/stored-configs.js';
import { asDoc } from './common.js';
import { listOf, textOf } from './schema.js';

// What GetBucketInfo shows of the stored configurations, so it agrees with their own Get operations.

export interface StoredBucketInfo {
  accessMonitor: string;
  crossRegionReplication: string;
  resourceGroupId: string;
  transferAcceleration: string;
}

/** The resource group a bucket is in until PutBucketResourceGroup moves it (GetBucketResourceGroup says the same). */
export const DEFAULT_RESOURCE_GROUP = 'rg-default';

export function storedBucketInfo(stored: StoredConfigService, b: Bucket): StoredBucketInfo {
  const monitor = asDoc(stored.valueOf(b, 'access-monitor'));
  const replication = asDoc(stored.valueOf(b, 'replication'));
  const group = asDoc(stored.valueOf(b, 'resource-group'));
  const accel = asDoc(stored.valueOf(b, 'transfer-acceleration'));
  return {
    accessMonitor: (monitor && textOf(monitor, 'Status')) ?? 'Disabled',
    crossRegionReplication: replication !== null && listOf(replication, 'Rule').length > 0 ? 'Enabled' : 'Disabled',
    resourceGroupId: (group && textOf(group, 'ResourceGroupId')) ?? DEFAULT_RESOURCE_GROUP,
    transferAcceleration: accel !== null && textOf(accel, 'Enabled') === 'true' ? 'Enabled' : 'Disabled',
  };
}
