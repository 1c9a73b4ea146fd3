/**
 * SelectObject's scan without HTTP (src/select/service.ts runSelect over an in-memory object): a few MB of CSV and
 * JSON LINES with small integers, the common case, through a WHERE on a number, arithmetic, SUM/MIN/MAX and
 * `select *`. Prints the median of several runs per query, so a change to the evaluator can be compared before
 * and after on the same machine. Not a test.
 *
 *   node dist/bench/select-scan.js [--mb 8] [--runs 7] [--case N]
 *
 * --case N runs only the Nth query (0-based; -1: none, only the data is built), for instruction counts on a busy
 * machine: `valgrind --tool=callgrind --callgrind-out-file=/dev/null node dist/bench/select-scan.js --mb 1
 * --runs 3 --case N`, its "Collected" total minus that of `--case -1`, compared between two builds.
 */
import { Readable } from 'node:stream';
import { parseStatement, runSelect, type SelectInput, type SelectQuery } from '../src/select/service.js';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt; };
const mb = Number(arg('--mb', '8'));
const runs = Number(arg('--runs', '7'));
const only = process.argv.includes('--case') ? Number(arg('--case', '-1')) : null;

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

async function once(sql: string, input: SelectInput, body: Buffer): Promise<{ ms: number; out: number }> {
  const query: SelectQuery = {
    stmt: parseStatement(sql, input),
    input,
    output: { recordDelimiter: '\n', fieldDelimiter: ',', keepAllColumns: false, outputHeader: false },
    options: { skipPartialDataRecord: false, maxSkippedRecordsAllowed: 0 },
  };
  const source = Readable.from([body.subarray(0, body.length >> 1), body.subarray(body.length >> 1)]);
  let out = 0;
  const t0 = process.hrtime.bigint();
  for await (const ev of runSelect(query, source, { scanned: 0 })) if (ev.type === 'data') out += ev.bytes.length;
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
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

console.log(`CSV ${(csv.length / 1048576).toFixed(1)} MiB, JSON LINES ${(jsonl.length / 1048576).toFixed(1)} MiB, median of ${runs} runs`);
for (const [k, [name, sql, input, body]] of cases.entries()) {
  if (only !== null && k !== only) continue;
  await once(sql, input, body); // warm-up
  const times: number[] = [];
  let out = 0;
  for (let r = 0; r < runs; r++) {
    const t = await once(sql, input, body);
    times.push(t.ms);
    out = t.out;
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(26)} ${times[runs >> 1]!.toFixed(0).padStart(6)} ms  (min ${times[0]!.toFixed(0)}, output ${out} bytes)`);
}
