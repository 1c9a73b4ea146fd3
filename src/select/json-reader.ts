// Streaming JSON records: LINES (one JSON object per line) and DOCUMENT (top-level objects one after the
// other, or one top-level array whose elements are the records). Record texts are cut from the stream by a
// small scanner (strings, escapes, nesting) and parsed one at a time; only the record being read is held.
import { StringDecoder } from 'node:string_decoder';
import { EvalError } from './evaluate.js';
import type { Progress } from './csv-reader.js';

export type JsonType = 'DOCUMENT' | 'LINES';

/** Longest JSON record accepted (characters), and deepest nesting in one. */
export const MAX_JSON_RECORD_CHARS = 4 * 1024 * 1024;
const MAX_JSON_DEPTH = 256;

/** Quotes every number outside strings, so JSON.parse keeps its text (ParseJsonNumberAsString). */
export function numbersAsStrings(text: string): string {
  let out = '';
  let run = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      out += `${text.slice(run, i)}"${text.slice(i, j)}"`;
      run = j;
      i = j - 1;
    }
  }
  return out + text.slice(run);
}

/** A JSON LINES record, refused when nested deeper than DOCUMENT records may be (as DOCUMENT mode does). */
function checkDepth(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new EvalError(`A JSON line is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'InvalidJsonData');
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return text;
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

  constructor(private readonly type: JsonType, private readonly progress: Progress) {}

  push(text: string, final: boolean, out: string[]): void {
    if (this.type === 'LINES') this.lines(text, final, out);
    else this.document(text, final, out);
  }

  private lines(text: string, final: boolean, out: string[]): void {
    let s = this.buf + text;
    let nl: number;
    while ((nl = s.indexOf('\n')) >= 0) {
      const line = s.slice(0, nl);
      s = s.slice(nl + 1);
      this.progress.chars += line.length + 1;
      if (line.trim() !== '') out.push(line);
    }
    if (s.length > MAX_JSON_RECORD_CHARS) throw new EvalError(`A JSON line is longer than ${MAX_JSON_RECORD_CHARS} characters.`, 'InvalidJsonData');
    this.buf = s;
    if (final) {
      this.progress.chars += s.length;
      if (s.trim() !== '') out.push(s);
      this.buf = '';
    }
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
  const decoder = new StringDecoder('utf8');
  const splitter = new JsonSplitter(type, progress);
  const out: string[] = [];
  // The message never quotes the record: its content would leak to callers allowed to write but not to
  // read (CreateSelectObjectMeta is authorized as oss:PutObject). The caller adds the record number.
  const parse = (text: string): unknown => {
    if (type === 'LINES') checkDepth(text);
    try {
      return JSON.parse(numbersAsText ? numbersAsStrings(text) : text);
    } catch {
      throw new EvalError('A record is not valid JSON.', 'InvalidJsonData');
    }
  };
  for await (const chunk of source) {
    splitter.push(decoder.write(chunk), false, out);
    for (const r of out) yield parse(r);
    out.length = 0;
  }
  splitter.push(decoder.end(), true, out);
  for (const r of out) yield parse(r);
}
