/**
 * SelectObject's scan without HTTP (src/select/service.ts runSelect over an in-memory object): a few MB of CSV and
 * JSON LINES with small integers, the common case, through a WHERE on a number, arithmetic, SUM/MIN/MAX and
 * `select *`. Prints the median and least CPU ms of several runs per query. Not a test.
 *
 *   node dist/bench/select-scan.js [--mb 8] [--runs 7] [--case N] [--against DIR]
 *
 * --against DIR compares with another build in the same process (DIR: its dist/, e.g. a copy made before a change):
 * the two runSelects alternate run by run, so both meet the same load. On a shared machine this is the comparison
 * that holds: separate processes drift by tens of percent, valgrind instruction counts by ±10% (JIT and GC timing).
 * Run it against a copy of this build too (same code twice): the spread it shows is the noise.
 * --case N runs only the Nth query (0-based).
 */
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as own from '../src/select/service.js';
import type { SelectInput, SelectQuery } from '../src/select/service.js';

type Service = Pick<typeof own, 'parseStatement' | 'runSelect'>;

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt; };
const mb = Number(arg('--mb', '8'));
const runs = Number(arg('--runs', '7'));
const only = process.argv.includes('--case') ? Number(arg('--case', '-1')) : null;
const againstDir = process.argv.includes('--against') ? arg('--against', '') : null;
const against: Service | null = againstDir === null ? null : await import(pathToFileURL(resolve(againstDir, 'src/select/service.js')).href) as Service;

function build(line: (i: number) => string): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const l = line(i);
    parts.push(l);
    size += l.length;
  }
  return Buffer.from(parts.join(''));
}
const csv = build((i) => `${i},${(i * 7919) % 100000},${i % 97}.5,name${i % 1000},${1_600_000_000 + i}\n`);
const jsonl = build((i) => `{"id":${i},"n":${(i * 7919) % 100000},"f":${i % 97}.5,"s":"name${i % 1000}","t":${1_600_000_000 + i}}\n`);

const csvInput: SelectInput = { compression: 'NONE', csv: { header: 'NONE', format: { recordDelimiter: '\n', fieldDelimiter: ',', quote: '"', comment: '', allowQuotedRecordDelimiter: true } }, range: null };
const jsonInput: SelectInput = { compression: 'NONE', json: { type: 'LINES', numbersAsString: false }, range: null };

/** CPU ms of one select (this thread: the scan is synchronous between reads of the in-memory source). */
async function once(service: Service, sql: string, input: SelectInput, body: Buffer): Promise<{ ms: number; out: number }> {
  const query: SelectQuery = {
    stmt: service.parseStatement(sql, input),
    input,
    output: { recordDelimiter: '\n', fieldDelimiter: ',', keepAllColumns: false, outputHeader: false },
    options: { skipPartialDataRecord: false, maxSkippedRecordsAllowed: 0 },
  };
  const source = Readable.from([body.subarray(0, body.length >> 1), body.subarray(body.length >> 1)]);
  let out = 0;
  const t0 = process.cpuUsage();
  for await (const ev of service.runSelect(query, source, { scanned: 0 })) if (ev.type === 'data') out += ev.bytes.length;
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, out };
}

const cases: Array<[string, string, SelectInput, Buffer]> = [
  ['csv where _2 > 50000', 'select _1, _4 from ossobject where _2 > 50000', csvInput, csv],
  ['csv arithmetic', 'select _1 * 2 + _2, _5 - 1600000000, _2 / 7, _2 % 7 from ossobject', csvInput, csv],
  ['csv cast + sum/min/max', 'select sum(cast(_2 as int)), min(_5), max(_5), sum(_3), avg(_2) from ossobject', csvInput, csv],
  ['csv select *', 'select * from ossobject', csvInput, csv],
  ['json where n > 50000', 'select s.id, s.s from ossobject s where s.n > 50000', jsonInput, jsonl],
  ['json arithmetic', 'select s.id * 2 + s.n as a, s.t - 1600000000 as b from ossobject s', jsonInput, jsonl],
  ['json sum/min/max', 'select sum(s.n), min(s.t), max(s.t), avg(s.f) from ossobject s', jsonInput, jsonl],
  ['json select *', 'select * from ossobject', jsonInput, jsonl],
];

/** Median and least of sorted times. */
const summary = (t: number[]): string => {
  return `${t[t.length >> 1]!.toFixed(0).padStart(5)} ms (min ${t[0]!.toFixed(0)})`;
};
console.log(`CSV ${(csv.length / 1048576).toFixed(1)} MiB, JSON LINES ${(jsonl.length / 1048576).toFixed(1)} MiB, median CPU of ${runs} runs${against ? `, this build against ${againstDir}` : ''}`);
for (const [k, [name, sql, input, body]] of cases.entries()) {
  if (only !== null && k !== only) continue;
  await once(own, sql, input, body); // warm-up
  if (against) await once(against, sql, input, body);
  const mine: number[] = [];
  const theirs: number[] = [];
  let out = 0;
  for (let r = 0; r < runs; r++) {
    const t = await once(own, sql, input, body);
    mine.push(t.ms);
    out = t.out;
    if (against) {
      const u = await once(against, sql, input, body);
      theirs.push(u.ms);
      if (u.out !== out) console.log(`  ${name}: the other build wrote ${u.out} bytes, this one ${out}`);
    }
  }
  mine.sort((a, b) => a - b);
  theirs.sort((a, b) => a - b);
  const ratio = against ? `  ratio of medians ${(mine[runs >> 1]! / theirs[runs >> 1]!).toFixed(3)}` : '';
  console.log(`${name.padEnd(24)} ${summary(mine)}${against ? `  against ${summary(theirs)}` : ''}${ratio}  (output ${out} bytes)`);
}
