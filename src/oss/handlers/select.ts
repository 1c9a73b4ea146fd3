import { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../../errors.js';
import { continuousFrame, dataFrame, endFrame, metaEndFrame } from '../../select/frames.js';
import { EvalError } from '../../select/eval-error.js';
import { parseStatement, runSelect, scanMeta, ScanClosed, SkippedRecordsExceeded, type HeaderInfo, type MetaResult, type ScanStats, type SelectInput, type SelectQuery } from '../../select/service.js';
import type { Handler, OssRequest } from '../context.js';
import type { Operation } from '../operations.js';
import type { ObjectRecord } from '../../domain/model.js';
import { checkMd5, kmsDecryptCheck, readSmallBody, symlinkTargetCheck } from './common.js';
import { header } from '../headers.js';
import { parseXmlBody, xmlText } from '../xml.js';
import { childBool, childElement, childTextOnce, type XmlElement } from '../xml-reader.js';
import { assertReadUnprotected } from '../image-access.js';

// SelectObject and CreateSelectObjectMeta (docs/select.md): the request XML → a SelectQuery, the object read
// through the same domain read path as GetObject (symlinks, archive state, encryption), and the answer
// framed (or raw with OutputRawData) as the select service hands results out.

/** The request XML: a few KiB of settings and a base64 SQL text. */
const MAX_BODY = 64 * 1024;

type Node = XmlElement;

/** An absent element reads as an empty one (every field then takes its default). */
const NONE: Node = Object.freeze(Object.create(null) as Node);

const child = (node: Node, name: string): Node => childElement(node, name) ?? NONE;
const text = (node: Node, name: string): string | undefined => childTextOnce(node, name)?.trim();
/** Booleans in any letter case (oss2 writes `True`/`False`); empty is the default. */
const bool = (node: Node, name: string, dflt: boolean): boolean => childBool(node, name, 'InvalidArgument', undefined, true) ?? dflt;

/** A base64 field (delimiters, the SQL): decoded UTF-8, or the default when absent. */
function base64(node: Node, name: string, dflt: string, maxChars: number): string {
  const t = text(node, name);
  if (t === undefined) return dflt;
  const compact = t.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw invalidArgument(`${name} must be base64-encoded.`, name, t.slice(0, 64));
  const value = Buffer.from(compact, 'base64').toString('utf8');
  if ([...value].length > maxChars) throw invalidArgument(`${name} is too long (at most ${maxChars} characters).`, name, t.slice(0, 64));
  return value;
}

function parseRange(raw: string | undefined, compressed: boolean): SelectInput['range'] {
  if (raw === undefined || raw === '') return null;
  const m = /^(line|split)-range=(\d{0,15})-(\d{0,15})$/.exec(raw.trim());
  if (!m || (m[2] === '' && m[3] === '')) throw invalidArgument('Range must be line-range=<start>-<end> or split-range=<start>-<end>.', 'Range', raw.slice(0, 64));
  if (compressed) throw invalidArgument('Range cannot be used with GZIP objects.', 'Range', raw.slice(0, 64));
  const start = m[2] === '' ? 0 : Number(m[2]);
  const end = m[3] === '' ? Number.MAX_SAFE_INTEGER : Number(m[3]);
  if (end < start) throw invalidArgument('The Range end is before its start.', 'Range', raw.slice(0, 64));
  return { kind: m[1] as 'line' | 'split', start, end };
}

/** InputSerialization (shared by both operations). */
function inputOf(node: Node, format: 'csv' | 'json', forMeta: boolean): SelectInput {
  let compressionRaw = (text(node, 'CompressionType') ?? 'None').toUpperCase();
  // oss2 sends the meta request's CompressionType base64-encoded ("Tm9uZQ==").
  if (compressionRaw !== 'NONE' && compressionRaw !== 'GZIP') {
    const decodedValue = Buffer.from(text(node, 'CompressionType') ?? '', 'base64').toString('utf8').toUpperCase();
    if (decodedValue === 'NONE' || decodedValue === 'GZIP') compressionRaw = decodedValue;
  }
  if (compressionRaw !== 'NONE' && compressionRaw !== 'GZIP') throw invalidArgument('CompressionType must be None or GZIP.', 'CompressionType', compressionRaw.slice(0, 64));
  const compression = compressionRaw as SelectInput['compression'];
  if (format === 'csv') {
    const csv = child(node, 'CSV');
    const headerRaw = (text(csv, 'FileHeaderInfo') ?? 'None').toUpperCase();
    if (!['NONE', 'IGNORE', 'USE'].includes(headerRaw)) throw invalidArgument('FileHeaderInfo must be None, Ignore or Use.', 'FileHeaderInfo', headerRaw.slice(0, 64));
    const recordDelimiter = base64(csv, 'RecordDelimiter', '\n', 2);
    const fieldDelimiter = base64(csv, 'FieldDelimiter', ',', 1);
    const quote = base64(csv, 'QuoteCharacter', '"', 1);
    const comment = base64(csv, 'CommentCharacter', '#', 1);
    if (recordDelimiter.length === 0) throw invalidArgument('RecordDelimiter must be one or two characters.', 'RecordDelimiter');
    if (fieldDelimiter.length !== 1) throw invalidArgument('FieldDelimiter must be one character.', 'FieldDelimiter');
    if (fieldDelimiter === quote || recordDelimiter.includes(fieldDelimiter)) throw invalidArgument('The delimiters and the quote character must differ.', 'FieldDelimiter');
    return {
      compression,
      csv: {
        header: headerRaw as HeaderInfo,
        format: { recordDelimiter, fieldDelimiter, quote, comment, allowQuotedRecordDelimiter: bool(csv, 'AllowQuotedRecordDelimiter', true) },
      },
      range: forMeta ? null : parseRange(text(csv, 'Range'), compression === 'GZIP'),
    };
  }
  const json = child(node, 'JSON');
  const type = (text(json, 'Type') ?? (forMeta ? 'LINES' : 'DOCUMENT')).toUpperCase();
  if (type !== 'DOCUMENT' && type !== 'LINES') throw invalidArgument('JSON Type must be DOCUMENT or LINES.', 'Type', type.slice(0, 64));
  if (forMeta && type !== 'LINES') throw invalidArgument('CreateSelectObjectMeta reads JSON LINES objects only.', 'Type', type);
  const range = forMeta ? null : parseRange(text(json, 'Range'), compression === 'GZIP');
  if (range !== null && type !== 'LINES') throw invalidArgument('Range applies to JSON LINES objects only.', 'Range');
  return { compression, json: { type, numbersAsString: bool(json, 'ParseJsonNumberAsString', false) }, range };
}

async function readRequest(req: OssRequest, roots: readonly string[]): Promise<Node | null> {
  const bytes = await readSmallBody(req.body, MAX_BODY);
  checkMd5(bytes, header(req.headers, 'content-md5'), false);
  const raw = xmlText(bytes);
  if (raw.trim() === '') return null;
  return parseXmlBody(raw, roots);
}

/** The object's bytes, read as GetObject reads them. */
async function openObject(req: OssRequest): Promise<Readable> {
  return (await objectToScan(req)).open();
}

/** The object a select or meta request reads (a link's target), checked readable; its bytes opened on demand. */
async function objectToScan(req: OssRequest): Promise<{ data: ObjectRecord; open(): Readable }> {
  const bucket = req.op.bucket!;
  const versionId = req.op.name === 'SelectObject' ? req.query.get('versionId') : undefined;
  const { data } = await req.services.objects.readView(bucket, req.op.key!, symlinkTargetCheck(req, bucket), versionId);
  await kmsDecryptCheck(req, data);
  // A select hands out a protected image's bytes as a GET would (oss/image-access.ts).
  await assertReadUnprotected(req, bucket, data.key);
  await req.services.objects.assertReadable(data, bucket);
  return {
    data,
    open: () => {
      const inline = req.services.objects.inlineBytes(data, null);
      return inline !== null ? Readable.from([inline]) : req.services.objects.openRead(data, null);
    },
  };
}

const wireError = (err: unknown): { status: number; message: string } => {
  if (err instanceof EvalError) return { status: 400, message: `${err.code}.${err.message}` };
  if (err instanceof AppError) return { status: err.status, message: `${err.code}.${err.message}` };
  return { status: 500, message: 'InternalError.The select failed.' };
};

/** POST /<key>?x-oss-process=csv/select|json/select: 206 and frames (or the raw records). */
export const selectObject: Handler<Extract<Operation, { name: 'SelectObject' }>> = async (req) => {
  const body = await readRequest(req, ['SelectRequest']);
  if (body === null) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'SelectObject needs a SelectRequest body.' });
  const sql = base64(body, 'Expression', '', 16 * 1024);
  if (sql.trim() === '') throw invalidArgument('The Expression (base64 SQL) is empty.', 'Expression');
  const format = req.op.params.format;
  const input = inputOf(child(body, 'InputSerialization'), format, false);
  const out = child(body, 'OutputSerialization');
  const outFormat = child(out, format === 'csv' ? 'CSV' : 'JSON');
  const options = child(body, 'Options');
  const maxSkippedRaw = text(options, 'MaxSkippedRecordsAllowed');
  if (maxSkippedRaw !== undefined && maxSkippedRaw !== '' && !/^\d{1,15}$/.test(maxSkippedRaw)) {
    throw invalidArgument('MaxSkippedRecordsAllowed must be a non-negative integer.', 'MaxSkippedRecordsAllowed', maxSkippedRaw.slice(0, 64));
  }
  const query: SelectQuery = {
    stmt: parseStatement(sql, input), // bad SQL is a 400 before the object is opened
    input,
    output: {
      // A CSV output without its own RecordDelimiter ends its records as the input's do: the C++ SDK v2's
      // SelectObject_CsvRaw reads an object split on \r\n back with \r\n [UNVERIFIED for FieldDelimiter, kept ','].
      recordDelimiter: base64(outFormat, 'RecordDelimiter', input.csv?.format.recordDelimiter ?? '\n', 2),
      fieldDelimiter: format === 'csv' ? base64(outFormat, 'FieldDelimiter', ',', 1) : ',',
      keepAllColumns: bool(out, 'KeepAllColumns', false),
      outputHeader: bool(out, 'OutputHeader', false),
    },
    options: {
      skipPartialDataRecord: bool(options, 'SkipPartialDataRecord', false),
      maxSkippedRecordsAllowed: maxSkippedRaw === undefined || maxSkippedRaw === '' ? Number.MAX_SAFE_INTEGER : Number(maxSkippedRaw),
    },
  };
  const raw = bool(out, 'OutputRawData', false);
  const crc = bool(out, 'EnablePayloadCrc', false);
  const source = await openObject(req);
  const stats: ScanStats = { scanned: 0 };
  const run = runSelect(query, source, stats);
  /** A step before the 206 goes out: its error is the HTTP answer, the scan and the object are let go. */
  const beforeOutput = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (err) {
      source.destroy();
      await run.return(undefined).catch(() => undefined);
      if (!(err instanceof EvalError)) throw err;
      if (err instanceof SkippedRecordsExceeded) throw new AppError('InvalidCsvLine', err.message);
      // SQL errors are InvalidSqlExpression. The select data codes (InvalidCsvLine, InvalidJsonData,
      // InvalidCompressionFormat) have no HTTP form of their own: InvalidArgument naming them.
      throw err.code === 'InvalidSqlExpression' ? new AppError('InvalidSqlExpression', err.message) : invalidArgument(`${err.code}: ${err.message}`, 'OutputRawData');
    }
  };
  // Ready: the header read and the names resolved. Before the first frame only the SQL can be at fault (a
  // constant LIKE pattern too long, ...): the object's bytes, header line included, report in the end frame
  // (docs/select.md "Errors").
  await beforeOutput(run.next());
  type Step = IteratorResult<Awaited<ReturnType<typeof run.next>>['value']>;
  // Raw output has no end frame to carry an error, so its first event (the first output, a keep-alive tick, or
  // the end) is read before the 206 goes out: an error in the header line or the first records is then the
  // HTTP error it is, not a cut connection. Framed output reports it in the end frame.
  let first: Step | null = null;
  // Framed output reads its first event before the 206 too: more skipped records than allowed met by then is the
  // HTTP 400 InvalidCsvLine OSS answers (the C++ SDK v2's SelectObject_SkipPartialData); any other error met by
  // then still goes in the end frame, as before.
  let firstError: unknown = null;
  if (raw) first = await beforeOutput(run.next());
  else {
    try {
      first = await run.next();
    } catch (err) {
      if (err instanceof SkippedRecordsExceeded) {
        source.destroy();
        await run.return(undefined).catch(() => undefined);
        throw new AppError('InvalidCsvLine', err.message);
      }
      firstError = err;
    }
  }
  const frames = async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        let next: Step;
        try {
          if (firstError !== null) throw firstError;
          next = first ?? (await run.next());
          first = null;
        } catch (err) {
          if (err instanceof ScanClosed) return;
          const e = wireError(err);
          if (raw) throw err; // no frame to carry it: the cut connection says it
          yield endFrame(stats.scanned, stats.scanned, e.status, e.message, crc);
          return;
        }
        if (next.done) break;
        const ev = next.value;
        if (ev === undefined) continue;
        if (ev.type === 'data') yield raw ? ev.bytes : dataFrame(stats.scanned, ev.bytes, crc);
        else if (!raw) yield continuousFrame(stats.scanned, crc);
      }
      if (!raw) yield endFrame(stats.scanned, stats.scanned, 206, '', crc);
    } finally {
      await run.return(undefined);
    }
  };
  const answer = Readable.from(frames(), { objectMode: false });
  stats.closed = () => answer.destroyed; // a closed connection destroys the body: the scan stops
  return {
    status: 206,
    headers: { 'Content-Type': 'application/octet-stream', 'x-oss-select-output-raw': raw ? 'true' : 'false' },
    body: answer,
  };
};

/** POST /<key>?x-oss-process=csv/meta|json/meta: rows, splits (and CSV columns) in a meta end frame. */
export const createSelectObjectMeta: Handler<Extract<Operation, { name: 'CreateSelectObjectMeta' }>> = async (req) => {
  const format = req.op.params.format;
  const body = await readRequest(req, ['CsvMetaRequest', 'JsonMetaRequest', 'SelectMetaRequest']);
  const input = inputOf(child(body ?? NONE, 'InputSerialization'), format, true);
  // The meta is stored with the object: without OverwriteIfExists a stored one is answered as it is, whatever the
  // request's delimiters (the C++ SDK v2's CreateSelectObjectMeta_Delimiters); with it the object is scanned again.
  const overwrite = bool(body ?? NONE, 'OverwriteIfExists', false);
  const target = await objectToScan(req);
  const json = format === 'json';
  const stored = overwrite ? undefined : req.services.objects.selectMetaOf(target.data, format);
  if (stored !== undefined) {
    const frame = metaEndFrame(json, stored.scanned, stored.scanned, 200, { splits: stored.splits, rows: stored.rows, columns: stored.columns }, '', false);
    return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: Readable.from([frame]) };
  }
  const source = target.open();
  const stats: ScanStats = { scanned: 0 };
  const scan = scanMeta(input, source, stats);
  // Keep-alive frames while a large object is scanned; the counts (or the error) in the meta end frame.
  const frames = async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        let next: IteratorResult<{ type: 'progress' }, MetaResult>;
        try {
          next = await scan.next();
        } catch (err) {
          if (err instanceof ScanClosed) return;
          const e = wireError(err);
          yield metaEndFrame(json, stats.scanned, stats.scanned, e.status, { splits: 0, rows: 0, columns: 0 }, e.message, false);
          return;
        }
        if (next.done) {
          const meta = next.value;
          try {
            await req.services.objects.storeSelectMeta(target.data, format, { splits: meta.splits, rows: meta.rows, columns: json ? 0 : meta.columns, scanned: stats.scanned });
          } catch (err) {
            const e = wireError(err);
            yield metaEndFrame(json, stats.scanned, stats.scanned, e.status, { splits: 0, rows: 0, columns: 0 }, e.message, false);
            return;
          }
          yield metaEndFrame(json, stats.scanned, stats.scanned, 200, { splits: meta.splits, rows: meta.rows, columns: meta.columns }, '', false);
          return;
        }
        yield continuousFrame(stats.scanned, false);
      }
    } finally {
      await scan.return({ splits: 0, rows: 0, columns: 0 });
    }
  };
  const answer = Readable.from(frames(), { objectMode: false });
  stats.closed = () => answer.destroyed; // a closed connection destroys the body: the scan stops
  return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: answer };
};
