// SelectObject and CreateSelectObjectMeta over an object's bytes (docs/select.md), without HTTP: the object
// streams in (gunzipped when asked), records are read one at a time, and output leaves in batches as
// results come. Splits and line numbers are recomputed from the bytes on each request (nothing is stored).
import { createGunzip } from 'node:zlib';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { csvRecords, type CsvFormat, type Progress } from './csv-reader.js';
import { EvalError } from './eval-error.js';
import { compile, csvText, jsonValue, keeps, newRecord, Timestamp, type Aggregator, type ColumnReader, type Compiled, type Value } from './evaluate.js';
import { jsonRecords, NumberText, type JsonType } from './json-reader.js';
import { jsonText, rawJson } from './json-text.js';
import { parseSql, SqlError, type PathPart, type SelectStatement } from './sql-parser.js';

/** A new split starts once the records of the current one reach this many characters. */
export const SPLIT_CHARS = 1024 * 1024;
/** Output is handed out in batches of about this many bytes. */
const BATCH_BYTES = 64 * 1024;
/** Scanning this far (decoded bytes) without output produces a keep-alive (continuous frame). */
const KEEPALIVE_BYTES = 1024 * 1024;
/** Longest output record (characters): the largest input record (a JSON one) fits; more is a data error. */
export const MAX_OUTPUT_RECORD_CHARS = 4 * 1024 * 1024;
/** Most items in a select list. */
export const MAX_SELECT_ITEMS = 1024;
/**
 * A GZIP object may inflate to at most this many times the compressed bytes read so far, plus
 * GZIP_INFLATE_SLACK: real CSV/JSON compresses 3-20x, while a gzip bomb (about 1000x) would make a few KB
 * cost minutes of scanning. The bound is relative, so a large honest object is never cut.
 */
export const MAX_GZIP_RATIO = 100;
export const GZIP_INFLATE_SLACK = 1024 * 1024;
/** The scan gives the event loop back after this much uninterrupted work (ms). */
const SLICE_MS = 10;

export type HeaderInfo = 'NONE' | 'IGNORE' | 'USE';

export interface SelectInput {
  compression: 'NONE' | 'GZIP';
  csv?: { header: HeaderInfo; format: CsvFormat };
  json?: { type: JsonType; numbersAsString: boolean };
  /** line-range / split-range, both ends included, 0-based. */
  range: { kind: 'line' | 'split'; start: number; end: number } | null;
}

export interface SelectOutput {
  recordDelimiter: string;
  /** CSV only. */
  fieldDelimiter: string;
  keepAllColumns: boolean;
  outputHeader: boolean;
}

export interface SelectOptions {
  skipPartialDataRecord: boolean;
  maxSkippedRecordsAllowed: number;
}

export interface SelectQuery {
  /** Parsed by parseStatement before the object is opened (bad SQL is a 400, not an end frame). */
  stmt: SelectStatement;
  input: SelectInput;
  output: SelectOutput;
  options: SelectOptions;
}

/** What the execution hands out: output bytes, or a sign of progress while nothing matches. */
export type SelectEvent = { type: 'data'; bytes: Buffer } | { type: 'progress' };

/** Counters of a run: raw bytes taken from the object, and bytes after GZIP decoding (progress). */
export interface ScanStats {
  scanned: number;
  decoded?: number;
  /** Set by the caller: true once nobody reads the answer any more (the scan stops). */
  closed?: () => boolean;
}

/** Thrown when the reader of the answer went away: the scan ends quietly. */
export class ScanClosed extends Error {}

/**
 * More records skipped (SkipPartialDataRecord) than MaxSkippedRecordsAllowed. Met before any output went out, it is
 * the select's HTTP answer, 400 InvalidCsvLine (the C++ SDK v2's SelectObject_SkipPartialData reads that code from
 * OSS's error response: its frame decoder reports no end-frame status); after, the end frame carries it.
 */
export class SkippedRecordsExceeded extends EvalError {
  constructor(max: number) {
    super(`More than ${max} records lack a column the query reads.`, 'InvalidCsvLine');
  }
}

/**
 * Lets other requests run: after SLICE_MS of work the scan yields to the event loop (setImmediate), and
 * stops when the answer's reader has gone.
 */
function slicer(stats: ScanStats): () => Promise<void> | null {
  let since = performance.now();
  return () => {
    const now = performance.now();
    if (now - since < SLICE_MS) return null;
    return (async () => {
      await nextTurn();
      since = performance.now();
      if (stats.closed?.()) throw new ScanClosed('the reader went away');
    })();
  };
}

export const sqlError = (message: string): AppError => new AppError('InvalidSqlExpression', message);

/** Parses the SQL; throws the 400 for bad SQL before anything is read. */
export function parseStatement(sql: string, input: SelectInput): SelectStatement {
  let stmt: SelectStatement;
  try {
    stmt = parseSql(sql);
  } catch (err) {
    if (err instanceof SqlError) throw sqlError(err.message);
    throw err;
  }
  if (input.csv && (stmt.from.path.length > 0 || stmt.from.wildcard)) throw sqlError('A CSV object is selected FROM ossobject, without a path.');
  if (stmt.items !== null && stmt.items.length > MAX_SELECT_ITEMS) throw sqlError(`A select list may hold at most ${MAX_SELECT_ITEMS} items.`);
  return stmt;
}

/** Raw bytes counted, then gunzipped when the object is compressed. */
function decoded(source: Readable, compression: SelectInput['compression'], stats: ScanStats): AsyncIterable<Buffer> {
  const raw = (async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      stats.scanned += (chunk as Buffer).length;
      if (compression !== 'GZIP') stats.decoded = (stats.decoded ?? 0) + (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  if (compression !== 'GZIP') return raw;
  return (async function* (): AsyncGenerator<Buffer> {
    const gunzip = createGunzip();
    const input = Readable.from(raw);
    input.on('error', (err) => gunzip.destroy(err));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip) {
        const inflated = (stats.decoded ?? 0) + (chunk as Buffer).length;
        stats.decoded = inflated;
        if (inflated > stats.scanned * MAX_GZIP_RATIO + GZIP_INFLATE_SLACK) {
          throw new EvalError(`The GZIP object inflates to more than ${MAX_GZIP_RATIO} times its compressed size.`, 'InvalidCompressionFormat');
        }
        yield chunk as Buffer;
      }
    } catch (err) {
      if (err instanceof Error && (err as { code?: string }).code?.startsWith('Z_')) throw new EvalError('The object is not valid GZIP data.', 'InvalidCompressionFormat');
      throw err;
    } finally {
      input.destroy();
      source.destroy();
    }
  })();
}

function tooWide(): never {
  throw new EvalError(`An output record would be longer than ${MAX_OUTPUT_RECORD_CHARS} characters.`);
}

/**
 * Refuses a row whose values add up past MAX_OUTPUT_RECORD_CHARS before any output text is built (the
 * same 1 MiB field selected 500 times would otherwise be copied 500 times).
 */
function checkRowSize(values: Value[]): void {
  let total = 0;
  for (const v of values) {
    if (typeof v === 'string') total += v.length;
    else if (v !== null && typeof v === 'object' && !(v instanceof Timestamp)) total += jsonText(v).length;
    else total += 32;
    if (total > MAX_OUTPUT_RECORD_CHARS) tooWide();
  }
}

/** The data error with the record it happened at (its number only: never its content). */
function atRecord(err: unknown, line: number): unknown {
  if (err instanceof SkippedRecordsExceeded) return err;
  if (err instanceof EvalError && !err.message.includes(' (record ')) return new EvalError(`${err.message} (record ${line + 1})`, err.code);
  return err;
}

/** Tracks splits: a new one starts after the current one reaches SPLIT_CHARS. */
class SplitCounter {
  index = 0;
  private startChars = 0;
  constructor(private readonly progress: Progress) {}
  /** Call after each record was read; returns the split the record belonged to. */
  afterRecord(): number {
    const split = this.index;
    if (this.progress.chars - this.startChars >= SPLIT_CHARS) {
      this.index++;
      this.startChars = this.progress.chars;
    }
    return split;
  }
}

function csvQuote(s: string, out: SelectOutput): string {
  if (s.includes('"') || s.includes(out.fieldDelimiter) || s.includes(out.recordDelimiter) || s.includes('\n') || s.includes('\r')) {
    return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

function pathName(path: PathPart[]): string | null {
  const last = path[path.length - 1];
  return last?.kind === 'field' ? last.name : null;
}

/** Reads a JSON path; `undefined` when the record lacks it. */
function readPath(record: unknown, path: PathPart[]): unknown {
  let v: unknown = record;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (p.kind === 'index') {
      if (!Array.isArray(v)) return undefined;
      v = v[p.index];
    } else {
      if (Array.isArray(v)) return undefined;
      v = Object.prototype.hasOwnProperty.call(v, p.name) ? (v as Record<string, unknown>)[p.name] : undefined;
    }
  }
  return v;
}

/**
 * Runs a select. The first event is handed out once the query is ready (the CSV header read and the names
 * resolved): errors up to there are SQL errors (AppErrors, or EvalErrors of a constant expression) the caller
 * answers as HTTP errors. Errors in the object's bytes, the header line included, come after it: EvalErrors
 * for the end frame.
 */
export async function* runSelect(query: SelectQuery, source: Readable, stats: ScanStats): AsyncGenerator<SelectEvent> {
  const { input, output, options } = query;
  const { stmt } = query;
  const progress: Progress = { chars: 0 };
  const bytes = decoded(source, input.compression, stats);
  const splits = new SplitCounter(progress);
  let missing = false;
  let skipped = 0;
  const aggregates: Aggregator[] = [];
  // Filled by prepare() once the columns can be resolved.
  const compiled: { where: Compiled | null; items: Compiled[] | null } = { where: null, items: null };
  let names: string[] = [];
  /** CSV KeepAllColumns: the column each item shows (null: not a plain column). */
  let keepIndexes: Array<number | null> | null = null;
  let header: string[] | null = null;
  const batch: string[] = [];
  let batchBytes = 0;
  let rowsOut = 0;
  let lastEventAt = 0;
  const limit = stmt.limit ?? Number.POSITIVE_INFINITY;

  const prepare = (column: ColumnReader): void => {
    compiled.where = stmt.where === null ? null : compile(stmt.where, column, aggregates);
    if (stmt.items !== null) {
      compiled.items = stmt.items.map((it) => compile(it.expr, column, aggregates));
      names = stmt.items.map((it, k) => it.alias ?? (it.expr.kind === 'column' ? pathName(it.expr.path) : null) ?? `_${k + 1}`);
    }
  };
  const emit = (line: string): void => {
    if (line.length > MAX_OUTPUT_RECORD_CHARS) tooWide();
    batch.push(line);
    batchBytes += line.length;
    rowsOut++;
  };
  const flush = (): SelectEvent | null => {
    if (batch.length === 0) return null;
    const out = Buffer.from(batch.join(''), 'utf8');
    batch.length = 0;
    batchBytes = 0;
    lastEventAt = stats.decoded ?? 0;
    return { type: 'data', bytes: out };
  };
  /** A full batch to hand out, or a keep-alive after a long scan without output. */
  const pending = (): SelectEvent | null => {
    if (batchBytes >= BATCH_BYTES) return flush();
    const at = stats.decoded ?? 0;
    if (at - lastEventAt < KEEPALIVE_BYTES) return null;
    lastEventAt = at;
    return { type: 'progress' };
  };
  /** 1 once a CSV header line was read: it is line 0 of a line-range. */
  let headerLines = 0;
  /** Whether the record passes the range and WHERE; missing columns count as partial records. */
  const inRange = (line: number, split: number): 'before' | 'in' | 'after' => {
    const r = input.range;
    if (r === null) return 'in';
    const at = r.kind === 'line' ? line + headerLines : split;
    return at < r.start ? 'before' : at > r.end ? 'after' : 'in';
  };
  const partial = (): boolean => {
    if (!missing) return false;
    missing = false;
    if (!options.skipPartialDataRecord) return false;
    if (++skipped > options.maxSkippedRecordsAllowed) {
      throw new SkippedRecordsExceeded(options.maxSkippedRecordsAllowed);
    }
    return true;
  };
  /** Record number of the last record taken (0-based), for ranges and error messages. */
  let line = -1;
  const pause = slicer(stats);
  /**
   * The next record of either format: null at the end (or past the range), 'skip' before the range (the
   * caller loops, so keep-alives go on while a long range is skipped). Wrapped: a JSON record may be 'skip'.
   */
  const nextInRange = async <T>(records: AsyncIterator<T>): Promise<{ value: T } | 'skip' | null> => {
    const p = pause();
    if (p !== null) await p;
    let next: IteratorResult<T>;
    try {
      next = await records.next();
    } catch (err) {
      throw atRecord(err, line + 1);
    }
    if (next.done === true) return null;
    const split = splits.afterRecord();
    line++;
    const pos = inRange(line, split);
    return pos === 'after' ? null : pos === 'before' ? 'skip' : { value: next.value };
  };

  if (input.csv) {
    const csv = input.csv;
    const records = csvRecords(bytes, csv.format, progress)[Symbol.asyncIterator]();
    try {
      if (csv.header !== 'NONE') {
        let first: IteratorResult<string[]>;
        try {
          first = await records.next();
        } catch (err) {
          // The header line is data: an error reading it ends the frames as any other record's does, in
          // every FileHeaderInfo mode (only SQL and request errors are HTTP errors).
          yield { type: 'progress' };
          throw atRecord(err, 0);
        }
        splits.afterRecord();
        // The header is line 0 of a line-range (the meta counts it as a row too): the C++ SDK v2's
        // SelectObject_CsvRange reads line-range=1-3 of a FileHeaderInfo USE object as its first three records.
        // Record numbers in error messages stay those of the records after it.
        headerLines = 1;
        if (!first.done) header = first.value;
      }
      const byName = new Map<string, number>();
      if (csv.header === 'USE' && header !== null) header.forEach((h, k) => { if (!byName.has(h)) byName.set(h, k); });
      const indexOf = (path: PathPart[]): number => {
        const p = path[0];
        if (path.length !== 1 || p === undefined || p.kind !== 'field') throw sqlError('A CSV column is named _<n> or by its header name, without a path.');
        const m = /^_(\d{1,5})$/.exec(p.name);
        if (m && !p.quoted) {
          const n = Number(m[1]);
          if (n < 1) throw sqlError(`There is no column ${p.name}.`);
          return n - 1;
        }
        if (csv.header !== 'USE') throw sqlError(`The column ${p.name.slice(0, 64)} needs FileHeaderInfo USE (or name it _<n>).`);
        let k = byName.get(p.name);
        if (k === undefined) for (const [h, i] of byName) if (h.toLowerCase() === p.name.toLowerCase()) { k = i; break; }
        if (k === undefined) throw sqlError(`The column ${p.name.slice(0, 64)} is not in the CSV header.`);
        return k;
      };
      const column: ColumnReader = (path) => {
        const k = indexOf(path);
        return (record) => {
          const r = record as string[];
          if (k >= r.length) {
            missing = true;
            return null;
          }
          return r[k]!;
        };
      };
      prepare(column);
      if (output.keepAllColumns && stmt.items !== null && !stmt.aggregate) {
        keepIndexes = stmt.items.map((it) => (it.expr.kind === 'column' ? indexOf(it.expr.path) : null));
      }
      yield { type: 'progress' }; // ready: names resolved
      if (output.outputHeader && !stmt.aggregate) {
        const head = stmt.items === null ? header ?? [] : keepIndexes?.every((k) => k !== null) && header !== null ? header : names;
        if (head.length > 0) {
          emit(head.map((h) => csvQuote(h, output)).join(output.fieldDelimiter) + output.recordDelimiter);
          rowsOut = 0; // LIMIT counts records, not the header line
        }
      }
      for (;;) {
        const ev = pending();
        if (ev !== null) yield ev;
        if (rowsOut >= limit && !stmt.aggregate) break;
        const next = await nextInRange(records);
        if (next === null) break;
        if (next === 'skip') continue;
        const record = next.value;
        newRecord();
        try {
        missing = false;
        const w = compiled.where;
        if (w !== null && !keeps(w(record))) {
          partial();
          continue;
        }
        if (stmt.aggregate) {
          for (const a of aggregates) a.add(record);
          if (partial()) continue;
        } else if (compiled.items === null) {
          emit(record.map((f) => csvQuote(f, output)).join(output.fieldDelimiter) + output.recordDelimiter);
        } else {
          const values = compiled.items.map((f) => f(record));
          if (partial()) continue;
          checkRowSize(values);
          let row: string[];
          if (keepIndexes !== null) {
            row = record.map(() => '');
            keepIndexes.forEach((k, j) => {
              if (k !== null) row[k] = csvText(values[j]!);
            });
          } else {
            row = values.map(csvText);
          }
          emit(row.map((f) => csvQuote(f, output)).join(output.fieldDelimiter) + output.recordDelimiter);
        }
        } catch (err) {
          throw atRecord(err, line);
        }
      }
    } finally {
      await records.return?.(undefined);
      source.destroy();
    }
    if (stmt.aggregate) {
      const values = (compiled.items ?? []).map((f) => f(null));
      emit(values.map((v) => csvQuote(csvText(v), output)).join(output.fieldDelimiter) + output.recordDelimiter);
    }
    const last = flush();
    if (last !== null) yield last;
    return;
  }

  const json = input.json!;
  const records = jsonRecords(bytes, json.type, json.numbersAsString, progress)[Symbol.asyncIterator]();
  const column: ColumnReader = (path) => (record) => {
    const v = readPath(record, path);
    if (v === undefined) {
      missing = true;
      return null;
    }
    return (v instanceof NumberText ? v.text : v) as Value;
  };
  prepare(column);
  // With ParseJsonNumberAsString a number is written as the number it was (its own digits), not as the string the
  // evaluator saw; otherwise JSON.stringify's text, exact integers past 2^53 as their digits.
  const serialize = json.numbersAsString ? rawJson : jsonText;
  /**
   * Items that are plain columns, read again from the record: a path the record lacks is left out of the output
   * object (oss2's test_select_json_object_with_skip_partial_data: `select key` over `{"key2":"def"}` writes `{}`,
   * not `{"key":null}`); with ParseJsonNumberAsString a number is written from the record, as the number it was.
   */
  const itemPaths = stmt.items !== null ? stmt.items.map((it) => (it.expr.kind === 'column' ? it.expr.path : null)) : null;
  const jsonLine = (values: Value[], record?: unknown): string => {
    const obj: Record<string, unknown> = {};
    values.forEach((v, k) => {
      let name = names[k]!;
      if (Object.prototype.hasOwnProperty.call(obj, name)) name = `_${k + 1}`;
      const path = record === undefined ? null : itemPaths?.[k] ?? null;
      const raw = path === null ? undefined : readPath(record, path);
      if (path !== null && raw === undefined) return;
      obj[name] = raw instanceof NumberText ? raw : jsonValue(v);
    });
    return serialize(obj) + output.recordDelimiter;
  };
  try {
    yield { type: 'progress' };
    outer: for (;;) {
      const ev = pending();
      if (ev !== null) yield ev;
      if (rowsOut >= limit && !stmt.aggregate) break;
      const next = await nextInRange(records);
      if (next === null) break;
      if (next === 'skip') continue;
      let rows: unknown[] = [next.value];
      if (stmt.from.path.length > 0 || stmt.from.wildcard) {
        const at = readPath(next.value, stmt.from.path);
        rows = stmt.from.wildcard ? (Array.isArray(at) ? at : []) : at === undefined ? [] : [at];
      }
      try {
      for (const record of rows) {
        if (rowsOut >= limit && !stmt.aggregate) break outer;
        newRecord();
        missing = false;
        const w = compiled.where;
        if (w !== null && !keeps(w(record))) {
          partial();
          continue;
        }
        if (stmt.aggregate) {
          for (const a of aggregates) a.add(record);
          partial();
        } else if (compiled.items === null) {
          emit(serialize(record) + output.recordDelimiter);
        } else {
          const values = compiled.items.map((f) => f(record));
          if (partial()) continue;
          checkRowSize(values);
          emit(jsonLine(values, record));
        }
      }
      } catch (err) {
        throw atRecord(err, line);
      }
    }
  } finally {
    await records.return?.(undefined);
    source.destroy();
  }
  if (stmt.aggregate) emit(jsonLine((compiled.items ?? []).map((f) => f(null))));
  const last = flush();
  if (last !== null) yield last;
}

export interface MetaResult {
  splits: number;
  rows: number;
  columns: number;
}

/**
 * CreateSelectObjectMeta: rows, splits and (CSV) the widest record's column count, from one scan. Yields a
 * progress event after each MiB scanned (the caller sends keep-alives) and returns the counts.
 */
export async function* scanMeta(input: SelectInput, source: Readable, stats: ScanStats): AsyncGenerator<{ type: 'progress' }, MetaResult> {
  const progress: Progress = { chars: 0 };
  const bytes = decoded(source, input.compression, stats);
  const splits = new SplitCounter(progress);
  let rows = 0;
  let columns = 0;
  let lastSplit = -1;
  let lastEventAt = 0;
  const records: AsyncIterable<unknown> = input.csv ? csvRecords(bytes, input.csv.format, progress) : jsonRecords(bytes, input.json!.type, true, progress);
  const pause = slicer(stats);
  try {
    try {
    for await (const record of records) {
      const p = pause();
      if (p !== null) await p;
      rows++;
      if (Array.isArray(record) && input.csv && record.length > columns) columns = record.length;
      lastSplit = splits.afterRecord();
      const at = stats.decoded ?? 0;
      if (at - lastEventAt >= KEEPALIVE_BYTES) {
        lastEventAt = at;
        yield { type: 'progress' };
      }
    }
    } catch (err) {
      throw atRecord(err, rows);
    }
  } finally {
    source.destroy();
  }
  return { rows, columns, splits: lastSplit + 1 };
}
