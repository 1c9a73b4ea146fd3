// RAM resource names (spec ram-sts §1.4, §4.1). Users and roles are the policy engine's ARNs (role
// ARNs carry the lower-cased role name); groups and policies are named only by the RAM API. The region
// is empty, so policies may write it as `*` (the API reference's `acs:ram:*:<account>:user/<name>`)
// or leave it out. System policies belong to the account `system` (`acs:ram:*:system:policy/<name>`).
import { ramRoleArn, ramUserArn } from '../policy/arn.js';

export const ramArn = {
  user: ramUserArn,
  group: (account: string, groupName: string): string => `acs:ram::${account}:group/${groupName}`,
  role: ramRoleArn,
  policy: (account: string, policyType: 'System' | 'Custom', policyName: string): string =>
    `acs:ram::${policyType === 'System' ? 'system' : account}:policy/${policyName}`,
};
