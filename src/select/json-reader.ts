// Streaming JSON records: LINES (top-level values one after the other, separated by whitespace: one per line,
// or objects spread over several lines as the SDKs' samples write them) and DOCUMENT (top-level objects one
// after the other, or one top-level array whose elements are the records). Record texts are cut from the
// stream by a small scanner (strings, escapes, nesting) and parsed one at a time; only the record being read
// is held.
import { EvalError } from './eval-error.js';
import { parseNumber } from './int64.js';
import { splitRecords, type Progress } from './csv-reader.js';

export type JsonType = 'DOCUMENT' | 'LINES';

/** Longest JSON record accepted (characters), and deepest nesting in one. */
export const MAX_JSON_RECORD_CHARS = 4 * 1024 * 1024;
const MAX_JSON_DEPTH = 256;

/**
 * A JSON number read with ParseJsonNumberAsString: the evaluator sees its text (compared and cast as text,
 * no precision lost), and the output writes it back as the number it was, digit for digit (Python SDK v2
 * test_select_object_json expects `"age":43`, not `"age":"43"`).
 */
export class NumberText {
  constructor(readonly text: string) {}
  /** Where the evaluator makes text of an object holding it, it is the string it stands for. */
  toJSON(): string {
    return this.text;
  }
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const isJsonSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Parses one record keeping every number's text (ParseJsonNumberAsString). JSON.parse cannot hand out a
 * number's source text here (Node 20), so the text is rewritten first: a number becomes the string "n<text>",
 * a string value "s<value>" (keys, followed by `:`, are left alone), and the reviver turns them back into
 * `number(text)` (a NumberText unless told otherwise) and the string. Valid JSON stays valid and invalid stays invalid; a malformed number (`-`, `01`,
 * `1.`) is refused rather than kept as text.
 */
export function parseKeepingNumbers(text: string, number: (text: string) => unknown = (t) => new NumberText(t)): unknown {
  let out = '';
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      let k = j + 1;
      while (k < text.length && isJsonSpace(text[k]!)) k++;
      if (text[k] !== ':') {
        out += `${text.slice(run, i + 1)}s`;
        run = i + 1;
      }
      i = j;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      const number = text.slice(i, j);
      if (!JSON_NUMBER.test(number)) throw new SyntaxError('not a JSON number');
      out += `${text.slice(run, i)}"n${number}"`;
      run = j;
      i = j - 1;
    }
  }
  return JSON.parse(out + text.slice(run), (_key, v: unknown) => {
    if (typeof v !== 'string') return v;
    return v.charCodeAt(0) === 0x6e ? number(v.slice(1)) : v.slice(1);
  });
}

/** Whether a parsed value holds a number of magnitude 2^53 or more: one JSON.parse may have rounded. */
function holdsUnsafeNumber(v: unknown): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'number' ? x >= 2 ** 53 || x <= -(2 ** 53) : typeof x === 'object' && x !== null && holdsUnsafeNumber(x)) return true;
    }
    return false;
  }
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'number' ? x >= 2 ** 53 || x <= -(2 ** 53) : typeof x === 'object' && x !== null && holdsUnsafeNumber(x)) return true;
  }
  return false;
}

/**
 * Parses one record with its integers exact (int64.ts): JSON.parse, and only when the result holds a number of
 * magnitude 2^53 or more (which an integer past 2^53 always parses to) the record is read again keeping every
 * number's text, an integer within int64 becoming a bigint (beyond it, and numbers with a fraction or exponent,
 * stay doubles). The check walks the parsed values (cheaper than a scan of the text) and passes over strings.
 */
export function parseExactIntegers(text: string): unknown {
  const v: unknown = JSON.parse(text);
  const unsafe = typeof v === 'object' && v !== null ? holdsUnsafeNumber(v) : typeof v === 'number' && (v >= 2 ** 53 || v <= -(2 ** 53));
  return unsafe ? parseKeepingNumbers(text, (t) => parseNumber(t) ?? Number(t)) : v;
}

/** Cuts record texts out of JSON text. */
export class JsonSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** DOCUMENT: null until the first value shows whether the document is one array. */
  private arrayMode: boolean | null = null;
  private arrayClosed = false;
  /** LINES: what the record being read is ('none' between records). */
  private kind: 'none' | 'nested' | 'string' | 'token' = 'none';
  /** LINES: a closed record not handed out yet (the rest of its line is still to be read). */
  private pending: string | null = null;
  /** LINES: characters read and not yet counted into the progress. */
  private uncounted = 0;
  /** LINES: the last record was a closed value, which one comma may follow. */
  private afterValue = false;

  constructor(private readonly type: JsonType, private readonly progress: Progress) {}

  push(text: string, final: boolean, out: string[]): void {
    if (this.type === 'LINES') this.lines(text, final, out);
    else this.document(text, final, out);
  }

  /**
   * LINES: a record is a bracketed value or a string, ending where its brackets or quotes close (on whatever
   * line), or, starting with anything else, the rest of its line (a number, `true`, or text JSON.parse then
   * refuses, as when records were whole lines). Whitespace, and one comma after a closed value, separate
   * records. Characters are counted into the progress at each newline between records, and a closed record is
   * handed out there (or once the next record starts on the same line): with one record per line this is
   * exactly the line-by-line counting, so splits stay where they were.
   */
  private lines(text: string, final: boolean, out: string[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.kind) {
        case 'none':
          if (c === 0x0a) {
            this.uncounted++;
            this.commit(out);
          } else if (c === 0x20 || c === 0x09 || c === 0x0d) {
            this.uncounted++;
          } else if (c === 0x2c && this.afterValue) {
            // One comma may follow a closed object, array or string (objects listed as in an array).
            this.afterValue = false;
            this.uncounted++;
          } else {
            this.commit(out); // a record closed earlier on this line is complete
            this.uncounted = 1;
            this.afterValue = false;
            start = i;
            if (c === 0x7b || c === 0x5b) {
              this.kind = 'nested';
              this.depth = 1;
            } else if (c === 0x22) {
              this.kind = 'string';
            } else {
              this.kind = 'token';
            }
          }
          continue;
        case 'token': {
          // The rest of the line, found at once.
          const nl = text.indexOf('\n', i);
          const end = nl < 0 ? text.length : nl;
          this.uncounted += end - i;
          i = end - 1;
          if (nl >= 0) {
            i = nl;
            this.close(text.slice(start, nl));
            this.uncounted++;
            this.commit(out);
          }
          continue;
        }
        default: {
          // 'string' or 'nested': a tight loop over local state up to the closing quote or bracket.
          let depth = this.depth;
          let inString = this.kind === 'string' || this.inString;
          let escape = this.escape;
          let j = i;
          let closed = false;
          for (; j < text.length; j++) {
            const d = text.charCodeAt(j);
            if (inString) {
              if (escape) escape = false;
              else if (d === 0x5c) escape = true;
              else if (d === 0x22) {
                inString = false;
                if (this.kind === 'string') {
                  closed = true;
                  break;
                }
              }
            } else if (d === 0x22) {
              inString = true;
            } else if (d === 0x7b || d === 0x5b) {
              if (++depth > MAX_JSON_DEPTH) throw new EvalError(`A JSON line is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'InvalidJsonData');
            } else if ((d === 0x7d || d === 0x5d) && --depth === 0) {
              closed = true;
              break;
            }
          }
          this.depth = depth;
          this.inString = inString;
          this.escape = escape;
          if (closed) {
            this.uncounted += j - i + 1;
            this.close(text.slice(start, j + 1));
            i = j;
          } else {
            this.uncounted += j - i;
            i = j - 1;
          }
          continue;
        }
      }
    }
    if (this.kind !== 'none') {
      this.buf += text.slice(start);
      this.checkLength(this.buf);
    }
    if (final) {
      // The last record: a token ends with the text; an unclosed value is handed out as it is, for JSON.parse
      // to refuse as it refused an unfinished last line.
      if (this.kind !== 'none') this.close('');
      this.commit(out);
    }
  }

  /** LINES: the record being read is complete (`tail` is its text in the current chunk). */
  private close(tail: string): void {
    const record = this.buf + tail;
    // A bare token runs to the end of its line (a comma after it is part of it, as before).
    this.afterValue = this.kind !== 'token';
    this.buf = '';
    this.kind = 'none';
    this.inString = false;
    this.escape = false;
    this.checkLength(record);
    this.pending = record;
  }

  /** LINES: counts the characters read so far and hands out the closed record, if any. */
  private commit(out: string[]): void {
    this.progress.chars += this.uncounted;
    this.uncounted = 0;
    // A "record" of only non-JSON whitespace (a line of U+00A0, say) is skipped, as blank lines were.
    if (this.pending !== null && this.pending.trim() !== '') out.push(this.pending);
    this.pending = null;
  }

  private checkLength(record: string): void {
    if (record.length > MAX_JSON_RECORD_CHARS) throw new EvalError(`A JSON line is longer than ${MAX_JSON_RECORD_CHARS} characters.`, 'InvalidJsonData');
  }

  private document(text: string, final: boolean, out: string[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === '\\') this.escape = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      const ws = c === ' ' || c === '\n' || c === '\r' || c === '\t';
      if (this.arrayMode === null) {
        if (ws) continue;
        this.arrayMode = c === '[';
        if (this.arrayMode) {
          this.depth = 1;
          start = i + 1;
          continue;
        }
      }
      const base = this.arrayMode ? 1 : 0;
      if (this.arrayClosed) {
        if (!ws) throw new EvalError('Unexpected text after the end of the JSON document.', 'InvalidJsonData');
        continue;
      }
      if (this.depth === base && this.buf === '' && start === i && ws) {
        start = i + 1;
        continue;
      }
      if (c === '"') {
        this.inString = true;
      } else if (c === '{' || c === '[') {
        if (++this.depth > MAX_JSON_DEPTH) throw new EvalError(`The JSON document is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'InvalidJsonData');
      } else if (c === '}' || c === ']') {
        if (this.arrayMode && this.depth === 1) {
          // The closing bracket of the top-level array.
          this.emit(text.slice(start, i), out);
          this.arrayClosed = true;
          this.depth = 0;
          start = i + 1;
          continue;
        }
        this.depth--;
        if (!this.arrayMode && this.depth === 0) {
          this.emit(text.slice(start, i + 1), out);
          start = i + 1;
          continue;
        }
        if (this.depth < base) throw new EvalError('Unbalanced brackets in the JSON document.', 'InvalidJsonData');
      } else if (c === ',' && this.arrayMode && this.depth === 1) {
        this.emit(text.slice(start, i), out);
        start = i + 1;
        continue;
      } else if (!this.arrayMode && this.depth === 0 && !ws) {
        throw new EvalError('A JSON DOCUMENT must hold objects (or one array of records).', 'InvalidJsonData');
      }
    }
    this.buf += text.slice(start);
    if (this.buf.length > MAX_JSON_RECORD_CHARS) throw new EvalError(`A JSON record is longer than ${MAX_JSON_RECORD_CHARS} characters.`, 'InvalidJsonData');
    if (final) {
      if (this.buf.trim() !== '' || this.depth !== 0 || this.inString) throw new EvalError('The JSON document ends in the middle of a value.', 'InvalidJsonData');
      this.progress.chars += this.buf.length;
      this.buf = '';
    }
  }

  private emit(tail: string, out: string[]): void {
    const record = this.buf + tail;
    this.buf = '';
    this.progress.chars += record.length + 1;
    if (record.trim() !== '') out.push(record);
  }
}

/** Parsed JSON records of a byte stream. */
export async function* jsonRecords(source: AsyncIterable<Buffer>, type: JsonType, numbersAsText: boolean, progress: Progress): AsyncGenerator<unknown> {
  // The message never quotes the record: its content would leak to callers allowed to write but not to
  // read (CreateSelectObjectMeta is authorized as oss:PutObject). The caller adds the record number.
  const parse = (text: string): unknown => {
    try {
      return numbersAsText ? parseKeepingNumbers(text) : parseExactIntegers(text);
    } catch {
      throw new EvalError('A record is not valid JSON.', 'InvalidJsonData');
    }
  };
  for await (const record of splitRecords(source, new JsonSplitter(type, progress))) yield parse(record);
}
