/**
 * Where each element of a JSON document is in its text, so a fault found on the parsed value
 * (`Statement[0].Action[1]`) can be shown as `line:column` in the file. Pure, no imports (the console
 * loads the policy modules in the browser).
 */
export interface TextPosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units (what editors count for the characters a policy holds). */
  readonly column: number;
}

/** The line and column of offset `at` in `text`. */
export function positionAt(text: string, at: number): TextPosition {
  let line = 1;
  let start = 0;
  const end = Math.min(Math.max(at, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}

class SyntaxFault {
  constructor(readonly at: number) {}
}

const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Scans `text` as JSON, recording where each element starts (an object member: its key) under the path the
 * policy parser writes (`Version`, `Statement[0].Effect`). Throws SyntaxFault at the first offending offset.
 */
function scan(text: string, offsets: Map<string, number>): void {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const expect = (c: string): void => {
    ws();
    if (text[i] !== c) throw new SyntaxFault(i);
    i++;
  };
  const str = (): string => {
    ws();
    const start = i;
    if (text[i] !== '"') throw new SyntaxFault(i);
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) throw new SyntaxFault(i);
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) throw new SyntaxFault(text.length);
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw new SyntaxFault(start);
    }
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const at = i;
        const key = str();
        const dotted = path === '' ? key : `${path}.${key}`;
        offsets.set(dotted, at);
        expect(':');
        value(dotted);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}');
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        ws();
        offsets.set(`${path}[${n}]`, i);
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']');
        return;
      }
    }
    if (c === '"') {
      str();
      return;
    }
    LITERAL.lastIndex = i;
    if (!LITERAL.test(text)) throw new SyntaxFault(i);
    i = LITERAL.lastIndex;
  };
  value('');
  ws();
  if (i < text.length) throw new SyntaxFault(i);
}

/** Where JSON.parse would have stopped: the position of the first syntax error, or null if there is none. */
export function jsonSyntaxErrorAt(text: string): TextPosition | null {
  try {
    scan(text, new Map());
    return null;
  } catch (e) {
    // Anything else (nesting deeper than the stack) has no position to show.
    return e instanceof SyntaxFault ? positionAt(text, e.at) : null;
  }
}

/**
 * Every element's path → where it starts in `text` (an object member: its key). Paths are written as the
 * policy parser writes them (`Version`, `Statement[0].Effect`); `parent["key"]` is the member `parent.key`
 * (condition keys are written so). A later duplicate key wins, as in JSON.parse. Only what precedes a
 * syntax error is found.
 */
export function locateElements(text: string): (path: string) => TextPosition | null {
  const offsets = new Map<string, number>([['', 0]]);
  try {
    scan(text, offsets);
  } catch {
    // a syntax error (or nesting deeper than the stack): what precedes it is found
  }
  return (path) => {
    const dotted = path.replace(/\[("(?:[^"\\]|\\.)*")\]/g, (_, q: string) => `.${JSON.parse(q) as string}`);
    const at = offsets.get(dotted);
    return at === undefined ? null : positionAt(text, at);
  };
}
