// Helpers for driving RAM through the unchanged @alicloud/pop-core RPCClient and acting as RAM users
// through ali-oss (test/ram-enforcement*.test.ts).
import assert from 'node:assert/strict';
import RPCClient from '@alicloud/pop-core';
import type OSS from 'ali-oss';
import { expectOssError, type OssError } from './oss.js';
import { AK, SECRET, type TestServer } from './server.js';

export interface PopError extends Error {
  code: string;
  data: { RequestId: string; HostId: string; Code: string; Message: string; Recommend: string };
  entry?: { response: { statusCode: number } };
}

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

export interface RamUserHandle {
  userName: string;
  userId: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** ali-oss client (IP endpoint) signed with this user's AccessKey. */
  oss(bucket?: string, opts?: Partial<OSS.Options>): OSS;
  /** pop-core RPCClient signed with this user's AccessKey. */
  pop(): RPCClient;
}

/** A policy document with the given statements. */
export const policyDoc = (...Statement: object[]): string => JSON.stringify({ Version: '1', Statement });

export class Ram {
  constructor(private readonly srv: Pick<TestServer, 'url' | 'client'>) {}

  popClient(accessKeyId = AK, accessKeySecret = SECRET): RPCClient {
    return new RPCClient({ accessKeyId, accessKeySecret, endpoint: this.srv.url, apiVersion: '2015-05-01' });
  }

  /** A RAM API call as the account root. */
  async call(action: string, params: Record<string, unknown> = {}): Promise<Body> {
    return this.popClient().request<Body>(action, params, { method: 'POST' });
  }

  /** CreateUser + CreateAccessKey (the secret is only returned here). */
  async user(userName: string): Promise<RamUserHandle> {
    const created = await this.call('CreateUser', { UserName: userName });
    const key = await this.call('CreateAccessKey', { UserName: userName });
    const accessKeyId = key.AccessKey.AccessKeyId as string;
    const accessKeySecret = key.AccessKey.AccessKeySecret as string;
    assert.equal(key.AccessKey.Status, 'Active');
    const srv = this.srv;
    return {
      userName,
      userId: created.User.UserId as string,
      accessKeyId,
      accessKeySecret,
      oss: (bucket, opts = {}) => srv.client({ ...(bucket !== undefined ? { bucket } : {}), accessKeyId, accessKeySecret, ...opts }),
      pop: () => this.popClient(accessKeyId, accessKeySecret),
    };
  }

  async createPolicy(name: string, document: string): Promise<void> {
    await this.call('CreatePolicy', { PolicyName: name, PolicyDocument: document });
  }

  async attachToUser(policyName: string, userName: string, type: 'System' | 'Custom' = 'Custom'): Promise<void> {
    await this.call('AttachPolicyToUser', { PolicyType: type, PolicyName: policyName, UserName: userName });
  }

  async detachFromUser(policyName: string, userName: string, type: 'System' | 'Custom' = 'Custom'): Promise<void> {
    await this.call('DetachPolicyFromUser', { PolicyType: type, PolicyName: policyName, UserName: userName });
  }

  /** A user with a fresh custom policy attached. */
  async userWith(userName: string, document: string): Promise<RamUserHandle> {
    const u = await this.user(userName);
    await this.createPolicy(`${userName}-policy`, document);
    await this.attachToUser(`${userName}-policy`, userName);
    return u;
  }
}

/** A call that must fail with 403 AccessDenied and exactly `message`. */
export async function denied(call: Promise<unknown> | (() => Promise<unknown>), message: string): Promise<OssError> {
  const err = await expectOssError(call, 'AccessDenied', 403);
  assert.equal(err.message, message);
  return err;
}

/** A pop-core call that must fail with `code` (and `message`, HTTP `status` when given). */
export async function popFails(call: Promise<unknown>, code: string, message?: string, status?: number): Promise<PopError> {
  let caught: PopError | undefined;
  try {
    await call;
  } catch (err) {
    caught = err as PopError;
  }
  assert.ok(caught, `expected ${code} but the call succeeded`);
  assert.equal(caught.code, code, caught.message);
  if (message !== undefined) assert.equal(caught.data.Message, message);
  if (status !== undefined) assert.equal(caught.entry?.response.statusCode, status);
  return caught;
}

/** The §2.6 AccessDenied messages. */
export const MSG = {
  acl: 'You have no right to access this object because of bucket acl.',
  policyDeny: 'Access denied by bucket policy.',
  object: 'You have no right to access this object.',
  bucket: 'The bucket you access does not belong to you.',
  listBuckets: 'You are forbidden to list buckets.',
  anonymousObject: 'Anonymous user has no right to access this object.',
  writeAcl: 'You do not have write acl permission on this object.',
} as const;
