import type { Bucket } from '../../domain/model.js';
import type { StoredConfigService } from '../../domain/stored-configs.js';
import { asDoc } from './common.js';
import { textOf } from './schema.js';
import { hasActiveRule } from './replication.js';
import { accelerationEnabled } from '../../domain/transfer-acceleration.js';

// What GetBucketInfo shows of the stored configurations, so it agrees with their own Get operations.

export interface StoredBucketInfo {
  accessMonitor: string;
  crossRegionReplication: string;
  resourceGroupId: string;
  transferAcceleration: string;
}

/**
 * The resource group a bucket is in until PutBucketResourceGroup moves it: OSS names the default group
 * `rg-default-id` (GetBucketResourceGroup's and ListBuckets' documentation), and takes that ID for it in requests.
 */
export const DEFAULT_RESOURCE_GROUP = 'rg-default-id';

/** The resource group a bucket is in (the stored `resource-group` configuration, else the default group). */
export function resourceGroupOf(stored: StoredConfigService, b: Bucket): string {
  const group = asDoc(stored.valueOf(b, 'resource-group'));
  return (group && textOf(group, 'ResourceGroupId')) ?? DEFAULT_RESOURCE_GROUP;
}

export function storedBucketInfo(stored: StoredConfigService, b: Bucket): StoredBucketInfo {
  const monitor = asDoc(stored.valueOf(b, 'access-monitor'));
  return {
    accessMonitor: (monitor && textOf(monitor, 'Status')) ?? 'Disabled',
    crossRegionReplication: hasActiveRule(stored.valueOf(b, 'replication')) ? 'Enabled' : 'Disabled',
    resourceGroupId: resourceGroupOf(stored, b),
    transferAcceleration: accelerationEnabled(b) ? 'Enabled' : 'Disabled',
  };
}
