/**
 * A kept callgrind dump (bench/icount.ts --keep) with its JIT code named: callgrind shows V8's generated code as
 * `???:0x…`, which the server's perf map (--node-flags --perf-basic-prof, kept as FILE.map) names. Prints the
 * instructions per request of each function (exclusive), largest first; with a second dump and map, the two side
 * by side and their difference (e.g. root against a RAM user). Needs callgrind_annotate. Not a test.
 *
 *   node dist/bench/icount-names.js DUMP MAP [DUMP2 MAP2] [--n 2000] [--top 60]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface MapEntry {
  start: number;
  size: number;
  name: string;
}

function readMap(file: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) out.push({ start: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The last entry starting at or before `addr` that covers it (V8 may reuse an address: the map's later line is the code's). */
function nameAt(map: readonly MapEntry[], addr: number): string | null {
  let lo = 0;
  let hi = map.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid]!.start <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const e = best < 0 ? null : map[best]!;
  return e !== null && addr < e.start + e.size ? e.name : null;
}

/** Exclusive instructions per function of a dump, JIT code named, per request. */
function perFunction(dump: string, mapFile: string, n: number): Map<string, number> {
  const map = readMap(mapFile);
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9,]+) \(\s*[0-9.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    let name = m[2]!;
    // The event loop's frames, which hold everything inclusively.
    if (/PROGRAM TOTALS|libc_start|below main|::Run\(\)|SpinEventLoop|node::Start|\?\?\?:main |ld-linux/.test(name)) continue;
    const jit = /^\?\?\?:0x([0-9a-f]+) \[\?\?\?\]/.exec(name);
    if (jit) name = `JS ${nameAt(map, parseInt(jit[1]!, 16)) ?? `(unnamed 0x${jit[1]})`}`;
    name = name.replace(/^JS JS:[*~^]?/, 'JS ').replace(/'2 \[/, ' [');
    out.set(name, (out.get(name) ?? 0) + Number(m[1]!.replaceAll(',', '')) / n);
  }
  return out;
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const n = opt('--n', 2000);
const top = opt('--top', 60);
if (args.length !== 2 && args.length !== 4) throw new Error('usage: icount-names.js DUMP MAP [DUMP2 MAP2] [--n 2000] [--top 60]');
const a = perFunction(args[0]!, args[1]!, n);
const b = args.length === 4 ? perFunction(args[2]!, args[3]!, n) : null;
const sum = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);
const fmt = (v: number): string => String(Math.round(v)).padStart(8);
if (b === null) {
  console.log(`${fmt(sum(a))} instructions per request in all`);
  for (const [k, v] of [...a].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${fmt(v)} ${k}`);
} else {
  console.log(`${fmt(sum(a))} ${fmt(sum(b))} ${fmt(sum(b) - sum(a))} in all`);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0] as const);
  rows.sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]));
  for (const [k, x, y] of rows.slice(0, top)) console.log(`${fmt(x)} ${fmt(y)} ${fmt(y - x)} ${k}`);
}
