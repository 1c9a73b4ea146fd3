/** Reads a V8 `.cpuprofile` (node --cpu-prof) and ranks functions by self time. */
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Total minus (idle) and (program)/(garbage collector) kept apart. */
  busyMs: number;
  top: ProfileEntry[];
  /** Self time grouped by area: node internals, our src/ modules, native/GC, dependencies. */
  byArea: Record<string, number>;
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm);
  return url.replace(/^file:\/\//, '');
}

function areaOf(url: string, name: string): string {
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)') return 'native (program)';
  if (url.startsWith('node:')) return 'node core (js)';
  if (url === '') return 'native/builtin';
  if (url.includes('node_modules/')) return 'dependencies';
  if (url.includes('/dist/src/')) return 'alunite src';
  return 'other';
}

/**
 * Ranks functions by self time. With `window` (CLOCK_MONOTONIC µs, which is what both V8's profile
 * timestamps and process.hrtime read on Linux), only samples inside it count — the measured phase.
 * Note that V8 samples the main thread by wall clock: time blocked in a synchronous call (e.g. SQLite's
 * fsync inside a better-sqlite3 transaction) shows up as that function's self time.
 */
export function summarizeProfile(path: string, topN = 15, window?: [number, number]): ProfileSummary {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    const delta = prof.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window[0] || t > window[1])) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const agg = new Map<string, { name: string; where: string; us: number }>();
  const byArea: Record<string, number> = {};
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    total += us;
    const area = areaOf(url, name);
    byArea[area] = (byArea[area] ?? 0) + us / 1000;
    if (area === 'idle') {
      idle += us;
      continue;
    }
    const k = `${name}@${where}`;
    const e = agg.get(k) ?? { name, where, us: 0 };
    e.us += us;
    agg.set(k, e);
  }
  const busy = total - idle;
  const top = [...agg.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, selfPct: busy > 0 ? (100 * e.us) / busy : 0 }));
  return { totalMs: total / 1000, busyMs: busy / 1000, top, byArea };
}
