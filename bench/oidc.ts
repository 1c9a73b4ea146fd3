/**
 * AssumeRoleWithOIDC calls/s with the issuer's keys cached (target ≥ 1,000/s): the server in its own process
 * (`--oidc-ca` trusting the fixture certificate), a local HTTPS issuer here, an OIDC provider pinned to the
 * issuer's certificate, a role trusting it with an `oidc:sub` condition; `--concurrency` anonymous POP callers
 * send RS256 tokens (a pool of distinct tokens). Reports the server's CPU per call and how busy the host was.
 *
 *   node dist/bench/oidc.js [--calls 3000] [--rounds 3] [--concurrency 8] [--meta postgres://…] [--cpu-prof DIR]
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { cpuSeconds, hostBusySeconds, startProcess } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CREDS = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
const ACCOUNT_ID = '1234567890123456';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}
const calls = Number(arg('--calls', '3000'));
const rounds = Number(arg('--rounds', '3'));
const concurrency = Number(arg('--concurrency', '8'));
const meta = arg('--meta', '');
/** `--cpu-prof DIR`: the server runs under node --cpu-prof (a .cpuprofile lands in DIR when it stops). */
const profDir = arg('--cpu-prof', '');

const certFile = join(ROOT, 'test', 'fixtures', 'tls', 'cert.pem');
const cert = readFileSync(certFile, 'utf8');
const key = readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'key.pem'), 'utf8');
const fingerprint = createHash('sha1').update(new X509Certificate(cert).raw).digest('hex');

// The issuer: discovery + JWKS over HTTPS.
const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
let jwksHits = 0;
let issuerUrl = '';
const issuer = createServer({ key, cert }, (req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/jwks') {
    jwksHits++;
    res.end(JSON.stringify({ keys: [jwk] }));
  } else res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks` }));
});
await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
issuerUrl = `https://127.0.0.1:${(issuer.address() as { port: number }).port}`;

const dir = mkdtempSync(join(tmpdir(), 'alunite-oidc-bench-'));
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
env.ALUNITE_ROOT_ACCESS_KEY_ID = CREDS.accessKeyId;
env.ALUNITE_ROOT_ACCESS_KEY_SECRET = CREDS.accessKeySecret;
env.ALUNITE_ACCOUNT_ID = ACCOUNT_ID;
const server = await startProcess('alunite', [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), join(ROOT, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data'),
  '--log-level', 'warn', '--oidc-ca', certFile, ...(meta ? ['--meta', meta] : [])], env, ROOT);
try {
  const pop = (version: string) => new RPCClient({ ...CREDS, endpoint: server.url, apiVersion: version });
  await pop('2019-08-15').request('CreateOIDCProvider', { OIDCProviderName: 'bench', IssuerUrl: issuerUrl, ClientIds: 'bench-client', Fingerprints: fingerprint }, { method: 'POST' });
  await pop('2015-05-01').request('CreateRole', {
    RoleName: 'BenchOidc',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Federated: [`acs:ram::${ACCOUNT_ID}:oidc-provider/bench`] }, Condition: { StringLike: { 'oidc:sub': 'repo:bench/*' } } }] }),
  }, { method: 'POST' });
  const now = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(Array.from({ length: 64 }, (_, i) =>
    new SignJWT({ iss: issuerUrl, sub: `repo:bench/app${i}:ref:refs/heads/main`, aud: 'bench-client', iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' }).sign(privateKey)));
  const query = `${server.url}/?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON`;
  let n = 0;
  const one = async (): Promise<void> => {
    const i = n++;
    const body = new URLSearchParams({
      OIDCProviderArn: `acs:ram::${ACCOUNT_ID}:oidc-provider/bench`, RoleArn: `acs:ram::${ACCOUNT_ID}:role/BenchOidc`, OIDCToken: tokens[i % tokens.length]!, RoleSessionName: `s${i}`,
    });
    const res = await fetch(query, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`AssumeRoleWithOIDC answered ${res.status}: ${text}`);
  };
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await one();
      }
    }));
  };
  await run(Math.min(calls, 500));
  const rows: Array<Record<string, number>> = [];
  for (let r = 0; r < rounds; r++) {
    const srv0 = cpuSeconds(server.pid);
    const host0 = hostBusySeconds();
    const t0 = process.hrtime.bigint();
    await run(calls);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push({
      callsPerSec: Math.round(calls / s),
      serverCpuUsPerCall: Math.round(((cpuSeconds(server.pid) - srv0) * 1e6) / calls),
      hostBusyCores: Number(((hostBusySeconds() - host0) / s).toFixed(2)),
    });
  }
  const median = (k: string): number => rows.map((x) => x[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  console.log(JSON.stringify({
    op: `AssumeRoleWithOIDC x${concurrency} (cached JWKS)`, meta: meta ? 'postgres' : 'sqlite', calls, rounds, cpus: availableParallelism(),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))), jwksFetches: jwksHits, target: 1000,
    median: Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, median(k)])), rounds_: rows,
  }));
} finally {
  await server.stop();
  issuer.close();
  rmSync(dir, { recursive: true, force: true });
}
