// Streaming CSV records (RFC 4180 with OSS's options): custom record delimiter (1 or 2 characters), field
// delimiter and quote character, comment lines, quoted record delimiters allowed or not. Text arrives in
// chunks and records leave as soon as they end; only the record being read is held, bounded. A line RFC 4180
// does not allow (a quote inside an unquoted field, text after a closing quote, a quote never closed) is
// refused as OSS refuses it: InvalidCsvLine "The line is invalid" (Java SDK v2 testCSVSelectObjectMetaException).
import { StringDecoder } from 'node:string_decoder';
import { EvalError } from './eval-error.js';

export interface CsvFormat {
  recordDelimiter: string;
  fieldDelimiter: string;
  quote: string;
  /** '' for none. */
  comment: string;
  allowQuotedRecordDelimiter: boolean;
}

/** Longest record accepted (characters), and most fields in one. */
export const MAX_RECORD_CHARS = 1024 * 1024;
export const MAX_FIELDS = 10_000;

/** The message of a malformed line (OSS's words, which the Java SDK v2 tests look for), with the reason. */
function invalidLine(reason: string): EvalError {
  return new EvalError(`The line is invalid: ${reason}.`, 'InvalidCsvLine');
}

/** How far the reader got: characters of the records handed out (splits are counted in characters). */
export interface Progress {
  chars: number;
}

/** Splits CSV text into records of fields; `push` returns the records completed by that text. */
export class CsvSplitter {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** The current field began with a quote (so a quote inside it closes or escapes). */
  private quotedField = false;
  /** The current field's closing quote was read: only a delimiter may follow. */
  private closedQuote = false;
  private atRecordStart = true;
  private inComment = false;
  private recordChars = 0;
  private pending = '';
  private readonly rd0: string;
  private readonly rd1: string;

  constructor(private readonly f: CsvFormat, private readonly progress: Progress) {
    this.rd0 = f.recordDelimiter[0]!;
    this.rd1 = f.recordDelimiter[1] ?? '';
  }

  push(text: string, final: boolean, out: string[][]): void {
    const s = this.pending + text;
    this.pending = '';
    const n = s.length;
    const { fieldDelimiter: fd, quote: q, comment } = this.f;
    let i = 0;
    let run = 0;
    const flushRun = (to: number): void => {
      if (to > run) this.field += s.slice(run, to);
    };
    while (i < n) {
      const c = s[i]!;
      // A character that may start a two-character token needs the next one, unless the text is over.
      if (!final && i === n - 1 && (c === this.rd0 && this.rd1 !== '' || (this.inQuotes && c === q))) {
        flushRun(i);
        this.pending = c;
        return;
      }
      if (this.inComment) {
        if (c === this.rd0 && (this.rd1 === '' || s[i + 1] === this.rd1)) {
          const len = this.rd1 === '' ? 1 : 2;
          this.progress.chars += this.recordChars + len;
          this.recordChars = 0;
          this.inComment = false;
          this.atRecordStart = true;
          i += len;
          run = i;
          continue;
        }
        this.recordChars++;
        i++;
        run = i;
        continue;
      }
      if (++this.recordChars > MAX_RECORD_CHARS) throw new EvalError(`A CSV record is longer than ${MAX_RECORD_CHARS} characters.`, 'InvalidCsvLine');
      if (this.inQuotes) {
        if (c === q) {
          flushRun(i);
          if (s[i + 1] === q) {
            this.field += q;
            this.recordChars++;
            i += 2;
          } else {
            this.inQuotes = false;
            this.closedQuote = true;
            i++;
          }
          run = i;
          continue;
        }
        if (!this.f.allowQuotedRecordDelimiter && c === this.rd0 && (this.rd1 === '' || s[i + 1] === this.rd1)) {
          // Quoted record delimiters not allowed: the delimiter ends the record even inside quotes, which
          // leaves this field's quote open (and the next line's closing quote bare).
          throw invalidLine('a quoted field holds the record delimiter, and AllowQuotedRecordDelimiter is false');
        }
        i++;
        continue;
      }
      if (this.atRecordStart && comment !== '' && c === comment) {
        this.inComment = true;
        this.atRecordStart = false;
        i++;
        run = i;
        continue;
      }
      this.atRecordStart = false;
      const isRecordDelimiter = c === this.rd0 && (this.rd1 === '' || s[i + 1] === this.rd1);
      // A CR after the closing quote is a CRLF line end under the default `\n` delimiter (an Excel export): kept in the
      // field as before, not refused; any other text there is.
      if (this.closedQuote && c !== fd && !isRecordDelimiter && c !== '\r') throw invalidLine('text follows the closing quote of a field');
      if (c === q) {
        if (this.field !== '' || run !== i || this.quotedField) throw invalidLine('a quote character inside an unquoted field');
        this.inQuotes = true;
        this.quotedField = true;
        i++;
        run = i;
        continue;
      }
      if (c === fd) {
        flushRun(i);
        this.endField();
        i++;
        run = i;
        continue;
      }
      if (isRecordDelimiter) {
        flushRun(i);
        const len = this.rd1 === '' ? 1 : 2;
        this.endField();
        out.push(this.fields);
        this.fields = [];
        this.progress.chars += this.recordChars - 1 + len;
        this.recordChars = 0;
        this.atRecordStart = true;
        i += len;
        run = i;
        continue;
      }
      i++;
    }
    flushRun(n);
    if (final && this.inQuotes) throw invalidLine('a quoted field is not closed');
    if (final && !this.inComment && !(this.atRecordStart && this.fields.length === 0 && this.field === '' && !this.quotedField)) {
      this.endField();
      out.push(this.fields);
      this.fields = [];
      this.progress.chars += this.recordChars;
      this.recordChars = 0;
      this.atRecordStart = true;
    }
  }

  private endField(): void {
    if (this.fields.length >= MAX_FIELDS) throw new EvalError(`A CSV record has more than ${MAX_FIELDS} fields.`, 'InvalidCsvLine');
    this.fields.push(this.field);
    this.field = '';
    this.quotedField = false;
    this.closedQuote = false;
  }
}

/** What splits decoded text into records, chunk by chunk (CSV lines, JSON values). */
export interface Splitter<R> {
  push(text: string, final: boolean, out: R[]): void;
}

/**
 * The records of a UTF-8 byte stream, decoded across chunk boundaries and cut by `splitter`. A fault the splitter
 * meets comes after the records completed before it in the same chunk, so the record number it is reported with
 * is its own.
 */
export async function* splitRecords<R>(source: AsyncIterable<Buffer>, splitter: Splitter<R>): AsyncGenerator<R> {
  const decoder = new StringDecoder('utf8');
  const out: R[] = [];
  const push = function* (text: string, final: boolean): Generator<R> {
    let failure: unknown = null;
    try {
      splitter.push(text, final, out);
    } catch (err) {
      failure = err;
    }
    yield* out;
    out.length = 0;
    if (failure !== null) throw failure;
  };
  for await (const chunk of source) yield* push(decoder.write(chunk), false);
  yield* push(decoder.end(), true);
}

/** Records of a CSV byte stream, decoded as UTF-8 across chunk boundaries. */
export function csvRecords(source: AsyncIterable<Buffer>, format: CsvFormat, progress: Progress): AsyncGenerator<string[]> {
  return splitRecords(source, new CsvSplitter(format, progress));
}
