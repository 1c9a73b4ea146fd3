// Helpers for the federation tests: a local OIDC issuer on loopback HTTPS (the fixture certificate), its
// signing keys (jose), IMS calls through the unchanged pop-core client, and anonymous STS calls.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { ACCOUNT_ID, AK, SECRET, type TestServer } from './server.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

const TLS_DIR = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
export const TLS_CERT = readFileSync(`${TLS_DIR}cert.pem`, 'utf8');
export const TLS_KEY = readFileSync(`${TLS_DIR}key.pem`, 'utf8');
/** SHA-1 of the fixture certificate (DER), as IMS Fingerprints are written. */
export const TLS_FINGERPRINT = createHash('sha1').update(new X509Certificate(TLS_CERT).raw).digest('hex');

export const oidcProviderArn = (name: string): string => `acs:ram::${ACCOUNT_ID}:oidc-provider/${name}`;
export const samlProviderArn = (name: string): string => `acs:ram::${ACCOUNT_ID}:saml-provider/${name}`;

/** pop-core for IMS (Version 2019-08-15), as the root unless another key is given. */
export function imsClient(srv: TestServer, accessKeyId = AK, accessKeySecret = SECRET): RPCClient {
  return new RPCClient({ accessKeyId, accessKeySecret, endpoint: srv.url, apiVersion: '2019-08-15' });
}

export async function ims(srv: TestServer, action: string, params: Record<string, unknown> = {}): Promise<Body> {
  return imsClient(srv).request<Body>(action, params, { method: 'POST' });
}

/** An anonymous POP call (no AccessKey, no signature), as the OIDC credential provider sends it. */
export async function anonymousSts(srv: TestServer, action: string, params: Record<string, string>): Promise<{ status: number; body: Body }> {
  const query = new URLSearchParams({ Action: action, Version: '2015-04-01', Format: 'JSON', Timestamp: new Date().toISOString() });
  const res = await fetch(`${srv.url}/?${query.toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

export async function expectStsError(call: Promise<{ status: number; body: Body }>, code: string, status: number, message?: string): Promise<Body> {
  const r = await call;
  assert.equal(r.body.Code, code, JSON.stringify(r.body));
  assert.equal(r.status, status);
  if (message !== undefined) assert.equal(r.body.Message, message);
  return r.body;
}

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A local OIDC issuer: `/.well-known/openid-configuration` and `/jwks` over HTTPS on 127.0.0.1. */
export class TestIssuer {
  readonly keys: SigningKey[] = [];
  jwksHits = 0;
  discoveryHits = 0;
  private server: Server | undefined;
  url = '';

  async start(keys: SigningKey[]): Promise<this> {
    this.keys.push(...keys);
    this.server = createServer({ key: TLS_KEY, cert: TLS_CERT }, (req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        this.discoveryHits++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }));
      } else if (req.url === '/jwks') {
        this.jwksHits++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    assert.ok(address !== null && typeof address === 'object');
    this.url = `https://127.0.0.1:${address.port}`;
    return this;
  }

  async token(claims: Record<string, unknown>, key: SigningKey = this.keys[0]!, opts: { iatOffset?: number; expIn?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000) + (opts.iatOffset ?? 0);
    return new SignJWT({ iss: this.url, iat: now, exp: now + (opts.expIn ?? 600), ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

/** Trust policy admitting one federated provider, with optional conditions. */
export function federatedTrust(providerArn: string, condition?: Record<string, Record<string, string | string[]>>): string {
  return JSON.stringify({
    Version: '1',
    Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Federated: [providerArn] }, ...(condition ? { Condition: condition } : {}) }],
  });
}
