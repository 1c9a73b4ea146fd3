/**
 * Instructions per OSS authorization (`authz/authorize.ts` authorize) of a 4 KiB GET, in one process: the bench's RAM
 * user with 10 policies × 10 statements (bench/ram.ts's documents), or root, on a private bucket without a policy.
 * The request path around it (HTTP, signature, object read) is left out, so a change to the decision shows
 * without the ±5–10 k that a server's count moves between runs (operations.md, nineteenth pass). Each call gets a
 * new facts object and trace, as each request does in the listener. Re-runs itself under `valgrind --tool=callgrind`.
 *
 *   node dist/bench/icount-authz.js [--who ram|root] [--n 20000] [--time] [--keep FILE]
 *     --time: no valgrind, ns per call. --keep FILE: the main thread's dump kept as FILE and the JIT map as FILE.map
 *     (`node dist/bench/icount-names.js FILE FILE.map --n N` names the JIT code; two dumps side by side).
 * Not a test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Principal } from '../src/auth/principal.js';
import type { AuthzDeps } from '../src/authz/authorize.js';
import type { RequestFacts } from '../src/authz/context.js';
import type { Bucket } from '../src/domain/model.js';
import type { Operation } from '../src/oss/operations.js';
import type { IdentityStore } from '../src/store/meta/types.js';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt; };
const who = arg('--who', 'ram');
const n = Number(arg('--n', '20000'));
const keep = arg('--keep', '');
const timed = process.argv.includes('--time');

if (!timed && process.env.ICOUNT_CHILD === undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'alunite-icount-authz-'));
  const r = spawnSync('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'cg.out')}`, process.execPath, ...(keep !== '' ? ['--perf-basic-prof'] : []), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, ICOUNT_CHILD: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr.slice(-2000));
  const dumps = readdirSync(dir).map((f) => /^cg\.out\.(\d+)-(\d+)$/.exec(f)).filter((m) => m !== null);
  const last = Math.max(...dumps.map((m) => Number(m[1])));
  let total = 0;
  let main = 0;
  for (const m of dumps) {
    if (Number(m[1]) !== last) continue;
    const ir = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, m[0]), 'utf8'))![1]);
    total += ir;
    if (Number(m[2]) === 1) {
      main = ir;
      if (keep !== '') copyFileSync(join(dir, m[0]), keep);
    }
  }
  // --perf-basic-prof: the child's JIT map (/tmp/perf-<pid>.map; valgrind runs node in its own pid).
  if (keep !== '' && existsSync(`/tmp/perf-${r.pid}.map`)) copyFileSync(`/tmp/perf-${r.pid}.map`, `${keep}.map`);
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ op: `authorize GET as ${who}`, n, instructionsPerOp: Math.round(total / n), mainThreadInstructionsPerOp: Math.round(main / n), check: r.stdout.trim() }));
} else {
  const { authorize } = await import('../src/authz/authorize.js');
  const { IdentityPolicies } = await import('../src/ram/identity.js');
  const ACCOUNT = '1234567890123456';
  const BUCKET = 'icount';
  // bench/ram.ts's user: 10 custom policies of 10 statements, the last statement of the last one granting the bucket.
  const docs = new Map<string, string>();
  for (let p = 0; p < 10; p++) {
    const stmts = Array.from({ length: 10 }, (_, s) => ({
      Effect: 'Allow',
      Action: ['oss:GetObject', 'oss:ListObjects'],
      Resource: [`acs:oss:*:*:${p === 9 && s === 9 ? BUCKET : `${BUCKET}-other-${p}-${s}`}/*`],
      Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } },
    }));
    docs.set(`bench-${p}`, JSON.stringify({ Version: '1', Statement: stmts }));
  }
  // The few reads IdentityPolicies makes, from memory; the generation never moves (a steady state of cache hits).
  const store = {
    identityGeneration: () => 1,
    listAttachments: async (kind: string) => (kind === 'User' ? [...docs.keys()].map((policyName) => ({ policyType: 'Custom', policyName })) : []),
    listGroupsForUser: async () => [],
    getPolicy: async (name: string) => (docs.has(name) ? { defaultVersion: 'v1' } : null),
    getPolicyVersion: async (name: string) => ({ document: docs.get(name)! }),
  } as unknown as IdentityStore;
  const bucket: Bucket = { name: BUCKET, ownerAccountId: ACCOUNT, createdAt: 0, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard', redundancyType: 'LRS', policy: null, cors: null, configs: {} };
  const deps: AuthzDeps = {
    getBucket: (name) => (name === BUCKET ? bucket : null),
    getObject: async () => null,
    getObjectVersion: async () => null,
    identity: new IdentityPolicies(store),
    region: 'cn-hangzhou',
  };
  const principal: Principal = who === 'root'
    ? { type: 'root', accountId: ACCOUNT, accessKeyId: 'LTAI5tBenchAccessKey01' }
    : { type: 'user', accountId: ACCOUNT, userId: '2000000000000001', userName: 'bench-user', accessKeyId: 'LTAI5tUserKey0000000001' };
  const headers = { host: '127.0.0.1:8930', date: new Date().toUTCString(), authorization: 'OSS x:y', 'user-agent': 'bench', connection: 'keep-alive' };
  const ops: Operation[] = Array.from({ length: 100 }, (_, i) => {
    const key = `k${i}`;
    return { name: 'GetObject', bucket: BUCKET, key, params: {}, checks: [{ action: 'oss:GetObject', bucket: BUCKET, key, acl: 'read' }] } as unknown as Operation;
  });
  const query: ReadonlyMap<string, string> = new Map();
  const one = async (i: number): Promise<number> => {
    const op = ops[i % 100]!;
    const facts: RequestFacts = { sourceIp: '127.0.0.1', secureTransport: false, now: Date.now(), headers, query, accessKeyId: principal.accessKeyId, authMethod: 'v1' };
    const trace: { authz?: unknown } = {};
    await authorize(principal, op, deps, facts, op.checks, trace as never);
    return trace.authz === undefined ? 0 : 1;
  };
  let sink = 0;
  for (let i = 0; i < n; i++) sink += await one(i); // warm-up: the JIT settles
  if (timed) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += await one(i);
    console.log(JSON.stringify({ op: `authorize GET as ${who}`, n, nsPerOp: Number(process.hrtime.bigint() - t0) / n, sink }));
  } else {
    execFileSync('callgrind_control', ['-z', String(process.pid)], { stdio: 'ignore' });
    for (let i = 0; i < n; i++) sink += await one(i);
    execFileSync('callgrind_control', ['-d', String(process.pid)], { stdio: 'ignore' });
    console.log(sink);
  }
}
