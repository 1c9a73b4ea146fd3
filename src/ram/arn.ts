// RAM resource names (spec ram-sts §1.4, §4.1). Role ARNs carry the lower-cased role name.

export const ramArn = {
  root: (account: string): string => `acs:ram::${account}:root`,
  user: (account: string, userName: string): string => `acs:ram::${account}:user/${userName}`,
  group: (account: string, groupName: string): string => `acs:ram::${account}:group/${groupName}`,
  role: (account: string, roleName: string): string => `acs:ram::${account}:role/${roleName.toLowerCase()}`,
  policy: (account: string, policyType: 'System' | 'Custom', policyName: string): string =>
    `acs:ram::${policyType === 'System' ? '*' : account}:policy/${policyName}`,
  /** Account-wide actions (List*): every resource of the account. */
  any: (account: string): string => `acs:ram::${account}:*`,
};
