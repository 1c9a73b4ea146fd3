/**
 * RAM benchmark: 4 KiB GET as a RAM user with 10 attached policies of 10 statements each, against the
 * root account's GET in the same run (alternating rounds), plus evaluator decisions/s.
 */
import { LeanRpc } from './rpc-client.js';
import RPCClient from '@alicloud/pop-core';

export interface RamUserKeys {
  accessKeyId: string;
  accessKeySecret: string;
}

/** Creates a user with `policies` custom policies of `statements` statements (the last one grants reads). */
export async function setUpRamUser(url: string, root: RamUserKeys, bucket: string, policies = 10, statements = 10): Promise<RamUserKeys> {
  const ram = new RPCClient({ accessKeyId: root.accessKeyId, accessKeySecret: root.accessKeySecret, endpoint: url, apiVersion: '2015-05-01' });
  const call = (action: string, params: Record<string, string>): Promise<unknown> => ram.request(action, params, { method: 'POST', timeout: 120_000 });
  await call('CreateUser', { UserName: 'bench-user' });
  for (let p = 0; p < policies; p++) {
    const stmts = Array.from({ length: statements }, (_, s) => ({
      Effect: 'Allow',
      Action: ['oss:GetObject', 'oss:ListObjects'],
      Resource: [`acs:oss:*:*:${bucket}-other-${p}-${s}/*`],
      Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } },
    }));
    if (p === policies - 1) stmts[statements - 1] = { ...stmts[statements - 1]!, Resource: [`acs:oss:*:*:${bucket}/*`] };
    await call('CreatePolicy', { PolicyName: `bench-${p}`, PolicyDocument: JSON.stringify({ Version: '1', Statement: stmts }) });
    await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: `bench-${p}`, UserName: 'bench-user' });
  }
  const res = (await call('CreateAccessKey', { UserName: 'bench-user' })) as { AccessKey: { AccessKeyId: string; AccessKeySecret: string } };
  return { accessKeyId: res.AccessKey.AccessKeyId, accessKeySecret: res.AccessKey.AccessKeySecret };
}

export interface StsKeys extends RamUserKeys {
  securityToken: string;
}

/**
 * A role trusting the account with the last 5 of the bench user's policies (RAM allows 5 custom
 * policies per role; the last one holds the grant), and the bench user allowed to assume it.
 * Returns a function calling AssumeRole as that user.
 */
export async function setUpRole(url: string, root: RamUserKeys, user: RamUserKeys, accountId: string, policies = 10): Promise<(session: string) => Promise<StsKeys>> {
  const ram = new RPCClient({ accessKeyId: root.accessKeyId, accessKeySecret: root.accessKeySecret, endpoint: url, apiVersion: '2015-05-01' });
  const call = (action: string, params: Record<string, string>): Promise<unknown> => ram.request(action, params, { method: 'POST', timeout: 120_000 });
  const trust = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${accountId}:root`] } }] };
  await call('CreateRole', { RoleName: 'bench-role', AssumeRolePolicyDocument: JSON.stringify(trust) });
  for (let p = Math.max(0, policies - 5); p < policies; p++) await call('AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: `bench-${p}`, RoleName: 'bench-role' });
  await call('AttachPolicyToUser', { PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess', UserName: 'bench-user' });
  const sts = new RPCClient({ accessKeyId: user.accessKeyId, accessKeySecret: user.accessKeySecret, endpoint: url, apiVersion: '2015-04-01' });
  return async (session) => {
    const res = (await sts.request('AssumeRole', { RoleArn: `acs:ram::${accountId}:role/bench-role`, RoleSessionName: session, DurationSeconds: '3600' }, { method: 'POST', timeout: 120_000 })) as {
      Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string };
    };
    return { accessKeyId: res.Credentials.AccessKeyId, accessKeySecret: res.Credentials.AccessKeySecret, securityToken: res.Credentials.SecurityToken };
  };
}

/**
 * The same AssumeRole call as setUpRole's, sent by the lean caller (bench/rpc-client.ts) instead of pop-core:
 * what the server sustains when the caller costs little CPU on the shared cores.
 */
export function leanAssumer(url: string, user: RamUserKeys, accountId: string, concurrency: number): { assume: (session: string) => Promise<void>; close: () => void } {
  const rpc = new LeanRpc(url, user, '2015-04-01', concurrency);
  return {
    assume: async (session) => {
      const res = (await rpc.call('AssumeRole', { RoleArn: `acs:ram::${accountId}:role/bench-role`, RoleSessionName: session, DurationSeconds: '3600' })) as { Credentials?: { AccessKeyId?: string } };
      if (!res.Credentials?.AccessKeyId?.startsWith('STS.')) throw new Error(`AssumeRole answered without credentials: ${JSON.stringify(res).slice(0, 200)}`);
    },
    close: () => rpc.close(),
  };
}
