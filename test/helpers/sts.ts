// Helpers for STS tests: AssumeRole through the unchanged SDKs, and ali-oss/pop-core clients signed with
// the temporary credentials it returns.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import type OSS from 'ali-oss';
import { ACCOUNT_ID, type TestServer } from './server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

export interface StsCredentials {
  AccessKeyId: string;
  AccessKeySecret: string;
  SecurityToken: string;
  Expiration: string;
}

export const roleArn = (name: string): string => `acs:ram::${ACCOUNT_ID}:role/${name}`;

/** Trusts every RAM identity of the account (spec ram-sts §2.7). */
export const TRUST_ACCOUNT = JSON.stringify({
  Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { RAM: [`acs:ram::${ACCOUNT_ID}:root`] } }],
  Version: '1',
});

export const EXPIRATION_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** pop-core RPCClient for STS (Version 2015-04-01), optionally itself signed with STS credentials. */
export function stsClient(srv: TestServer, accessKeyId: string, accessKeySecret: string, securityToken?: string): RPCClient {
  return new RPCClient({
    accessKeyId,
    accessKeySecret,
    endpoint: srv.url,
    apiVersion: '2015-04-01',
    ...(securityToken !== undefined ? { securityToken } : {}),
  } as ConstructorParameters<typeof RPCClient>[0]);
}

export async function assumeRole(client: RPCClient, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<Body> {
  return client.request<Body>('AssumeRole', params, { method });
}

/** An ali-oss client acting with STS credentials (`stsToken`). */
export function ossWith(srv: TestServer, creds: StsCredentials, bucket: string, opts: Partial<OSS.Options> = {}): OSS {
  return srv.client({ bucket, accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken, ...opts });
}

/** Checks the exact §5.2 response shape and returns the credentials. */
export function checkAssumeRoleResponse(body: Body, roleName: string, roleId: string, session: string, durationSeconds: number, now = Date.now()): StsCredentials {
  assert.deepEqual(Object.keys(body).sort(), ['AssumedRoleUser', 'Credentials', 'RequestId']);
  assert.match(body.RequestId, /^[0-9A-F-]{36}$/);
  assert.deepEqual({ ...body.AssumedRoleUser }, { Arn: `acs:ram::${ACCOUNT_ID}:role/${roleName.toLowerCase()}/${session}`, AssumedRoleId: `${roleId}:${session}` });
  const c = body.Credentials as StsCredentials;
  assert.deepEqual(Object.keys(c).sort(), ['AccessKeyId', 'AccessKeySecret', 'Expiration', 'SecurityToken']);
  assert.match(c.AccessKeyId, /^STS\.[A-Za-z0-9]{20,25}$/);
  assert.ok(c.AccessKeySecret.length >= 40 && c.AccessKeySecret.length <= 44, c.AccessKeySecret);
  assert.ok(c.SecurityToken.length > 0);
  assert.match(c.Expiration, EXPIRATION_RE);
  const exp = Date.parse(c.Expiration);
  assert.ok(Math.abs(exp - (now + durationSeconds * 1000)) < 5000, `Expiration ${c.Expiration} is not now + ${durationSeconds}s`);
  return c;
}

/**
 * A TLS front for the server (@alicloud/credentials only speaks https): bytes are relayed unchanged to the
 * server's plain-HTTP port. The certificate is a self-signed test fixture.
 */
export async function tlsFront(srv: TestServer): Promise<{ port: number; close(): Promise<void> }> {
  const dir = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
  const [key, cert] = await Promise.all([readFile(`${dir}key.pem`), readFile(`${dir}cert.pem`)]);
  const sockets = new Set<{ destroy(): void }>();
  const server: TlsServer = createTlsServer({ key, cert }, (socket) => {
    const upstream = connect(srv.port, '127.0.0.1');
    sockets.add(socket);
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
