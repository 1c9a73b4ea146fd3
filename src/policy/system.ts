/** System policies the RAM service seeds (spec ram-sts §4.5). Documents are kept verbatim. */

export interface SystemPolicy {
  readonly name: string;
  readonly description: string;
  readonly document: string;
}

export const SYSTEM_POLICIES: readonly SystemPolicy[] = [
  {
    name: 'AdministratorAccess',
    description: 'Provides full access to Alibaba Cloud services and resources.',
    document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
  },
  {
    name: 'AliyunOSSFullAccess',
    description: 'Provides full access to Object Storage Service (OSS).',
    document: '{"Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"*"}],"Version":"1"}',
  },
  {
    name: 'AliyunOSSReadOnlyAccess',
    description: 'Provides read-only access to Object Storage Service (OSS).',
    document: '{"Statement":[{"Action":["oss:Get*","oss:List*"],"Effect":"Allow","Resource":"*"}],"Version":"1"}',
  },
  {
    name: 'AliyunSTSAssumeRoleAccess',
    description: 'Provides access to assume RAM roles through Security Token Service (STS).',
    document: '{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"*"}],"Version":"1"}',
  },
  {
    name: 'AliyunRAMFullAccess',
    description: 'Provides full access to Resource Access Management (RAM).',
    document: '{"Statement":[{"Action":"ram:*","Effect":"Allow","Resource":"*"}],"Version":"1"}',
  },
  {
    name: 'AliyunRAMReadOnlyAccess',
    description: 'Provides read-only access to Resource Access Management (RAM).',
    document: '{"Statement":[{"Action":["ram:Get*","ram:List*"],"Effect":"Allow","Resource":"*"}],"Version":"1"}',
  },
];

const BY_NAME = new Map(SYSTEM_POLICIES.map((p) => [p.name, p]));

/** System policy names are matched exactly, as RAM does for PolicyName. */
export function systemPolicy(name: string): SystemPolicy | undefined {
  return BY_NAME.get(name);
}
