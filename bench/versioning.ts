/**
 * Versioning phases of `npm run bench` (docs/versioning.md), on one Alunite server:
 *  - PUT and GET of 4 KiB objects in a bucket with versioning Enabled against an unversioned bucket, in
 *    alternating rounds (target: versioned within 1.2× of unversioned);
 *  - listing a bucket of N keys × V versions (default 10,000 × 10): ListObjects of its current keys and
 *    ListObjectVersions of every version, against ListObjects of N keys in an unversioned bucket (target: the
 *    versioned bucket's keys/s ≥ 50% of the unversioned).
 * Not a test: nothing fails on timing. Standalone: `node dist/bench/versioning.js [--quick] [--meta postgres]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rate, Target, type BenchRequest, type BenchResponse } from './client.js';
import { startProcess, type ServerProcess } from './proc.js';
import { benchPostgres } from './postgres.js';

export interface VersioningBenchOptions {
  ops: number;
  rounds: number;
  concurrency: number;
  listKeys: number;
  versionsPerKey: number;
}

export interface VersioningBenchResult {
  put: { plain: number; versioned: number; ratio: number };
  get: { plain: number; versioned: number; ratio: number };
  list: { plainKeysPerSec: number; versionedKeysPerSec: number; versionsPerSec: number; keys: number; versions: number; ratio: number };
}

const SMALL = Buffer.alloc(4096, 0x76);
const key = (i: number): string => `obj/${String(i).padStart(6, '0')}`;

async function must(target: Target, r: BenchRequest, ok: number): Promise<BenchResponse> {
  const res = await target.send(r);
  if (res.status !== ok) throw new Error(`${r.method} ${r.bucket}/${r.key ?? ''}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  return res;
}


/** Pages through a whole listing (1000 per page) following its markers; entries per second. */
async function listAll(target: Target, bucket: string, versions: boolean): Promise<{ entries: number; perSec: number }> {
  let entries = 0;
  let query: Array<[string, string]> = versions ? [['versions', '']] : [];
  const t0 = process.hrtime.bigint();
  for (;;) {
    const res = await must(target, { method: 'GET', bucket, key: null, query: [...query, ['max-keys', '1000']], collect: true }, 200);
    entries += res.text.split(versions ? /<Version>|<DeleteMarker>/ : /<Contents>/).length - 1;
    if (!res.text.includes('<IsTruncated>true</IsTruncated>')) break;
    const tag = (t: string): string => /<(\w+)>([^<]*)<\/\1>/.exec(res.text.slice(res.text.indexOf(`<${t}>`)))?.[2] ?? '';
    query = versions ? [['versions', ''], ['key-marker', tag('NextKeyMarker')], ['version-id-marker', tag('NextVersionIdMarker')]] : [['marker', tag('NextMarker')]];
  }
  return { entries, perSec: entries / (Number(process.hrtime.bigint() - t0) / 1e9) };
}

export async function versioningBench(target: Target, o: VersioningBenchOptions, log: (line: string) => void): Promise<VersioningBenchResult> {
  const plain = 'bench-ver-plain';
  const versioned = 'bench-ver-enabled';
  for (const b of [plain, versioned, `${plain}-list`, `${versioned}-list`]) await must(target, { method: 'PUT', bucket: b, key: null, body: Buffer.alloc(0) }, 200);
  const enable = Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
  for (const b of [versioned, `${versioned}-list`]) await must(target, { method: 'PUT', bucket: b, key: null, query: [['versioning', '']], body: enable }, 200);

  // PUT then GET, the two buckets taking turns round by round; each PUT round overwrites the same keys, so
  // the versioned bucket accumulates versions as a real one does.
  const sum = { put: { plain: 0, versioned: 0 }, get: { plain: 0, versioned: 0 } };
  const perRound = Math.max(1, Math.floor(o.ops / o.rounds));
  for (const op of ['put', 'get'] as const) {
    for (let r = 0; r < o.rounds; r++) {
      for (const [name, bucket] of [['plain', plain], ['versioned', versioned]] as const) {
        const ops = await rate(perRound, o.concurrency, (i) =>
          op === 'put'
            ? must(target, { method: 'PUT', bucket, key: key(i), body: SMALL }, 200)
            : must(target, { method: 'GET', bucket, key: key(i) }, 200),
        );
        sum[op][name] += ops / o.rounds;
      }
    }
    log(`  ${op.toUpperCase()} 4 KiB  unversioned ${sum[op].plain.toFixed(0)} ops/s   versioned ${sum[op].versioned.toFixed(0)} ops/s   ` +
      `(versioned/unversioned ${(sum[op].versioned / sum[op].plain).toFixed(2)}, target ≥ 0.83)`);
  }

  // Listing: N keys unversioned; N keys × V versions.
  log(`  populating ${o.listKeys} keys, and ${o.listKeys} keys × ${o.versionsPerKey} versions …`);
  await rate(o.listKeys, o.concurrency, (i) => must(target, { method: 'PUT', bucket: `${plain}-list`, key: key(i), body: SMALL.subarray(0, 16) }, 200));
  for (let v = 0; v < o.versionsPerKey; v++) {
    await rate(o.listKeys, o.concurrency, (i) => must(target, { method: 'PUT', bucket: `${versioned}-list`, key: key(i), body: SMALL.subarray(0, 16) }, 200));
  }
  // Best of three passes each (the machine is shared).
  const best = async (bucket: string, versions: boolean): Promise<{ entries: number; perSec: number }> => {
    let top = { entries: 0, perSec: 0 };
    for (let i = 0; i < 3; i++) {
      const r = await listAll(target, bucket, versions);
      if (r.perSec > top.perSec) top = r;
    }
    return top;
  };
  const plainList = await best(`${plain}-list`, false);
  const currentList = await best(`${versioned}-list`, false);
  const versionList = await best(`${versioned}-list`, true);
  if (plainList.entries !== o.listKeys || currentList.entries !== o.listKeys || versionList.entries !== o.listKeys * o.versionsPerKey) {
    throw new Error(`listing counts: ${plainList.entries} / ${currentList.entries} / ${versionList.entries}`);
  }
  const result: VersioningBenchResult = {
    put: { ...sum.put, ratio: sum.put.versioned / sum.put.plain },
    get: { ...sum.get, ratio: sum.get.versioned / sum.get.plain },
    list: {
      plainKeysPerSec: plainList.perSec, versionedKeysPerSec: currentList.perSec, versionsPerSec: versionList.perSec,
      keys: o.listKeys, versions: versionList.entries, ratio: Math.min(currentList.perSec, versionList.perSec) / plainList.perSec,
    },
  };
  log(`  LIST unversioned ${plainList.perSec.toFixed(0)} keys/s   versioned bucket: ListObjects ${currentList.perSec.toFixed(0)} keys/s, ` +
    `ListObjectVersions ${versionList.perSec.toFixed(0)} versions/s (lower/unversioned ${result.list.ratio.toFixed(2)}, target ≥ 0.5)`);
  return result;
}

// Standalone: one fresh Alunite server (SQLite, or PostgreSQL with --meta).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const metaAt = args.indexOf('--meta');
  const creds = { accessKeyId: 'LTAI5tBenchAccessKey01', accessKeySecret: 'BenchSecret0123456789abcdefABCD' };
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const scratch = mkdtempSync(join(tmpdir(), 'alunite-bench-ver-'));
  const pg = metaAt >= 0 ? await benchPostgres(args[metaAt + 1] ?? 'postgres') : null;
  let server: ServerProcess | undefined;
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ALUNITE_')) env[k] = v;
    env.ALUNITE_ROOT_ACCESS_KEY_ID = creds.accessKeyId;
    env.ALUNITE_ROOT_ACCESS_KEY_SECRET = creds.accessKeySecret;
    env.ALUNITE_ACCOUNT_ID = '1234567890123456';
    const meta = pg ? ['--meta', await pg.freshUrl()] : [];
    server = await startProcess('alunite', [join(root, 'bin', 'alunite'), 'server', '--host', '127.0.0.1', '--port', '0', '--data', scratch, '--log-level', 'warn', ...meta], env, root);
    const target = new Target(server.url, creds, 8);
    process.stdout.write(`versioning bench (${pg ? pg.label : 'SQLite'})\n`);
    await versioningBench(target, { ops: quick ? 2000 : 10_000, rounds: 4, concurrency: 8, listKeys: quick ? 2000 : 10_000, versionsPerKey: 10 }, (l) => process.stdout.write(`${l}\n`));
    target.close();
  } finally {
    await server?.stop();
    await pg?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
