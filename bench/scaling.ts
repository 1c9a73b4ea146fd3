/**
 * Phase [5/5] of `npm run bench -- --meta …`: aggregate 4 KiB PUT and GET ops/s with 1, 2 and 3 Alunite
 * processes sharing one PostgreSQL schema and one blob directory (per group), the client spreading
 * requests round-robin over a group's processes. All groups run side by side and take turns in rounds,
 * so a burst of other load lands on all of them alike. Reported with the CPU the Alunite processes used
 * per request and how busy the whole machine was (PostgreSQL and this client included).
 */
import { Target, type BenchRequest, type BenchResponse, type Credentials } from './client.js';
import { cpuSeconds, hostBusySeconds, type ServerProcess } from './proc.js';

export interface ScaleResult {
  processes: number;
  op: 'PUT' | 'GET';
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** user+sys CPU of the group's Alunite processes per request. */
  aluniteCpuUsPerOp: number;
  /** Cores the whole machine was busy on average (Alunite, PostgreSQL, this client, anything else). */
  hostBusyCores: number;
  /** Cores this client process used. */
  clientCores: number;
  /** Cores the group's Alunite processes used. */
  aluniteCores: number;
  /** Cores the PostgreSQL server's processes used; null when the bench cannot see them (a server given by URL). */
  postgresCores: number | null;
  errors: number;
  firstError?: string;
  rounds: number[];
}

interface Group {
  servers: ServerProcess[];
  targets: Target[];
}

const SMALL = Buffer.alloc(4096, 0x79);
const BUCKET = 'bench-scale';
const key = (i: number): string => `scale/${String(i).padStart(7, '0')}`;

interface Part {
  ops: number;
  seconds: number;
  cpu: number;
  host: number;
  client: number;
  pg: number | null;
  lat: number[];
  errors: number;
  firstError?: string;
}

async function spread(g: Group, from: number, count: number, concurrency: number, make: (i: number) => BenchRequest, check: (r: BenchResponse) => string | null,
  pgCpu?: () => number): Promise<Part> {
  const lat: number[] = new Array<number>(count);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu0 = g.servers.reduce((n, s) => n + cpuSeconds(s.pid), 0);
  const host0 = hostBusySeconds();
  const client0 = process.cpuUsage();
  const pg0 = pgCpu?.() ?? null;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const s = process.hrtime.bigint();
        try {
          const problem = check(await g.targets[(from + i) % g.targets.length]!.send(make(from + i)));
          if (problem) {
            errors++;
            firstError ??= problem;
          }
        } catch (err) {
          errors++;
          firstError ??= String(err);
        }
        lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(client0);
  return {
    ops: count,
    seconds,
    cpu: g.servers.reduce((n, s) => n + cpuSeconds(s.pid), 0) - cpu0,
    host: hostBusySeconds() - host0,
    client: (c.user + c.system) / 1e6,
    pg: pg0 === null ? null : pgCpu!() - pg0,
    lat,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

function summarize(processes: number, op: 'PUT' | 'GET', parts: Part[]): ScaleResult {
  const ops = parts.reduce((n, p) => n + p.ops, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const pct = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? NaN;
  const r: ScaleResult = {
    processes,
    op,
    ops,
    seconds,
    opsPerSec: ops / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    aluniteCpuUsPerOp: (parts.reduce((n, p) => n + p.cpu, 0) * 1e6) / ops,
    hostBusyCores: parts.reduce((n, p) => n + p.host, 0) / seconds,
    clientCores: parts.reduce((n, p) => n + p.client, 0) / seconds,
    aluniteCores: parts.reduce((n, p) => n + p.cpu, 0) / seconds,
    postgresCores: parts.some((p) => p.pg === null) ? null : parts.reduce((n, p) => n + p.pg!, 0) / seconds,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    rounds: parts.map((p) => p.ops / p.seconds),
  };
  const firstError = parts.find((p) => p.firstError !== undefined)?.firstError;
  if (firstError !== undefined) r.firstError = firstError;
  return r;
}

export interface ScalingOptions {
  /** Starts one Alunite process of group `processes` (index `i`), on the group's database and blob directory. */
  start(processes: number, i: number): Promise<ServerProcess>;
  creds: Credentials;
  ops: number;
  rounds: number;
  concurrency: number;
  log(line: string): void;
  /** CPU seconds the PostgreSQL server's processes have used so far, when the bench can see them. */
  postgresCpuSeconds?: () => number;
}

export async function scaling(o: ScalingOptions): Promise<ScaleResult[]> {
  const sizes = [1, 2, 3];
  const groups: Group[] = [];
  try {
    for (const n of sizes) {
      const servers = await Promise.all(Array.from({ length: n }, (_, i) => o.start(n, i)));
      groups.push({ servers, targets: servers.map((s) => new Target(s.url, o.creds, o.concurrency)) });
    }
    for (const g of groups) {
      const res = await g.targets[0]!.send({ method: 'PUT', bucket: BUCKET, key: null, body: Buffer.alloc(0) });
      if (res.status !== 200) throw new Error(`create bucket: HTTP ${res.status} ${res.text}`);
      // Warm every process (JIT, pools, prepared statements), unmeasured.
      await spread(g, 10_000_000, 200 * g.servers.length, o.concurrency, (i) => ({ method: 'PUT', bucket: BUCKET, key: key(i), body: SMALL }), () => null);
      await spread(g, 10_000_000, 200 * g.servers.length, o.concurrency, (i) => ({ method: 'GET', bucket: BUCKET, key: key(i) }), () => null);
    }
    const out: ScaleResult[] = [];
    for (const op of ['PUT', 'GET'] as const) {
      const parts = groups.map((): Part[] => []);
      for (let r = 0; r < o.rounds; r++) {
        const from = Math.floor((o.ops * r) / o.rounds);
        const count = Math.floor((o.ops * (r + 1)) / o.rounds) - from;
        for (let k = 0; k < groups.length; k++) {
          const gi = (k + r) % groups.length;
          const make = (i: number): BenchRequest =>
            op === 'PUT' ? { method: 'PUT', bucket: BUCKET, key: key(i), body: SMALL } : { method: 'GET', bucket: BUCKET, key: key(i) };
          const check = (res: BenchResponse): string | null =>
            res.status !== 200 ? `HTTP ${res.status} ${res.text.slice(0, 200)}` : op === 'GET' && res.bytes !== 4096 ? `got ${res.bytes} bytes` : null;
          parts[gi]!.push(await spread(groups[gi]!, from, count, o.concurrency, make, check, o.postgresCpuSeconds));
        }
      }
      for (let gi = 0; gi < groups.length; gi++) {
        const r = summarize(sizes[gi]!, op, parts[gi]!);
        out.push(r);
        o.log(
          `  ${r.processes} process${r.processes > 1 ? 'es' : '  '} ${op}  ${r.opsPerSec.toFixed(0).padStart(6)} ops/s  p50 ${r.p50Ms.toFixed(2)} ms  ` +
            `alunite ${r.aluniteCpuUsPerOp.toFixed(0)} µs CPU/op  cores: alunite ${r.aluniteCores.toFixed(2)}, postgres ${r.postgresCores?.toFixed(2) ?? '?'}, ` +
            `client ${r.clientCores.toFixed(2)}, machine busy ${r.hostBusyCores.toFixed(2)}` +
            (r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''),
        );
      }
    }
    return out;
  } finally {
    for (const g of groups) {
      for (const t of g.targets) t.close();
      for (const s of g.servers) await s.stop();
    }
  }
}
