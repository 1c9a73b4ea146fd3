// System policies (spec ram-sts §4.5): exist from the start, cannot be created, changed or deleted, and
// are attached with PolicyType=System. Each has the single version v1.

export interface SystemPolicy {
  readonly policyName: string;
  readonly description: string;
  readonly document: string;
  readonly createDate: number;
}

const CREATED = Date.UTC(2015, 3, 28, 16, 12, 0);

function doc(action: string | string[]): string {
  return JSON.stringify({ Statement: [{ Action: action, Effect: 'Allow', Resource: '*' }], Version: '1' });
}

const LIST: readonly SystemPolicy[] = [
  { policyName: 'AdministratorAccess', description: 'Provides full access to Alibaba Cloud services and resources.', document: doc('*'), createDate: CREATED },
  { policyName: 'AliyunOSSFullAccess', description: 'Provides full access to Object Storage Service (OSS) via Management Console.', document: doc('oss:*'), createDate: CREATED },
  {
    policyName: 'AliyunOSSReadOnlyAccess', description: 'Provides read-only access to Object Storage Service (OSS) via Management Console.',
    document: doc(['oss:Get*', 'oss:List*']), createDate: CREATED,
  },
  { policyName: 'AliyunRAMFullAccess', description: 'Provides full access to Resource Access Management (RAM).', document: doc('ram:*'), createDate: CREATED },
  {
    policyName: 'AliyunRAMReadOnlyAccess', description: 'Provides read-only access to Resource Access Management (RAM).',
    document: doc(['ram:Get*', 'ram:List*']), createDate: CREATED,
  },
  {
    policyName: 'AliyunSTSAssumeRoleAccess', description: 'Provides access to call the Security Token Service (STS) AssumeRole API.',
    document: doc('sts:AssumeRole'), createDate: CREATED,
  },
];

/** Sorted by name, as ListPolicies returns them. */
export const SYSTEM_POLICIES: readonly SystemPolicy[] = [...LIST].sort((a, b) => (a.policyName < b.policyName ? -1 : 1));

const BY_NAME = new Map(SYSTEM_POLICIES.map((p) => [p.policyName, p]));

export function systemPolicy(name: string): SystemPolicy | undefined {
  return BY_NAME.get(name);
}
