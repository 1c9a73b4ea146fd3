// @ts-check
// A policy JSON editor with live validation by the server's own validator (parse.js, served from the
// compiled server code under lib/policy/), so what the editor accepts is what the server accepts.
import { h } from './dom.js';

/** @typedef {'identity' | 'session' | 'trust' | 'bucket'} PolicyKind */
/** @typedef {{ok: true} | {ok: false, error: {reason: string, message: string, path: string}}} ParseResult */

/** @type {Promise<((text: string, kind: PolicyKind) => ParseResult) | null>} */
// @ts-ignore -- served at run time from the compiled server (dist/src/policy/parse.js); not a file here
const validator = import('../lib/policy/parse.js').then(
  (m) => /** @type {(text: string, kind: PolicyKind) => ParseResult} */ (m.parsePolicy),
  () => null,
);

/**
 * Line and column of a character offset (1-based).
 * @param {string} text
 * @param {number} offset
 */
function lineCol(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Where a JSON syntax error is, when the engine's message gives a position but no line.
 * @param {string} text
 * @param {string} message
 */
function jsonWhere(text, message) {
  if (/line \d+/.test(message)) return '';
  const m = /position (\d+)/.exec(message);
  // No position: the engine ran out of input, so the fault is at the end (something left unclosed).
  const { line, col } = lineCol(text, m ? Number(m[1]) : text.trimEnd().length);
  return ` (line ${line}, column ${col})`;
}

/**
 * @param {{kind: PolicyKind, value?: string, optional?: boolean, rows?: number, name?: string, onChange?: (valid: boolean) => void}} opts
 */
export function policyEditor(opts) {
  const textarea = h('textarea', {
    class: 'policy-text',
    rows: opts.rows ?? 14,
    spellcheck: 'false',
    autocomplete: 'off',
    name: opts.name ?? 'policy',
    'aria-label': `${opts.kind} policy document`,
    value: opts.value ?? '',
  });
  const status = h('div', { class: 'validation', role: 'status', 'aria-live': 'polite' });
  let valid = false;

  const check = async () => {
    const text = textarea.value;
    const parse = await validator;
    if (opts.optional && text.trim() === '') {
      valid = true;
      status.className = 'validation ok';
      status.textContent = 'No policy (optional).';
      opts.onChange?.(valid);
      return;
    }
    if (!parse) {
      valid = true;
      status.className = 'validation unknown';
      status.textContent = 'The validator could not be loaded; the server will check the document when you save.';
      opts.onChange?.(valid);
      return;
    }
    const r = parse(text, opts.kind);
    valid = r.ok;
    if (r.ok) {
      status.className = 'validation ok';
      status.textContent = `Valid ${opts.kind} policy.`;
    } else {
      status.className = 'validation bad';
      // Grammar messages start with the place (`Statement[0].Effect …`); JSON ones get a line and column.
      const where = r.error.path && !r.error.message.startsWith(r.error.path) ? ` (at ${r.error.path})` : r.error.reason === 'json' ? jsonWhere(text, r.error.message) : '';
      status.textContent = `${r.error.message}${where}`;
    }
    opts.onChange?.(valid);
  };
  textarea.addEventListener('input', () => void check());
  void check();

  const el = h('div', { class: 'policy-editor' }, textarea, status);
  return {
    el,
    textarea,
    get value() {
      return textarea.value;
    },
    /** @param {string} v */
    set value(v) {
      textarea.value = v;
      void check();
    },
    get valid() {
      return valid;
    },
    ready: () => check(),
  };
}

/**
 * A starting document for each kind.
 * @param {PolicyKind} kind
 * @param {string} [accountId]
 */
export function template(kind, accountId = '*') {
  if (kind === 'trust') {
    return JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: [`acs:ram::${accountId}:root`] } }] }, null, 2);
  }
  return JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:*:my-bucket', 'acs:oss:*:*:my-bucket/*'] }] }, null, 2);
}

/**
 * A policy document pretty-printed with statements as separate elements; `highlight` statement
 * indexes get the `deciding` class (the statement that decided a request).
 * indexes in `applying` (also applied, did not decide) get `applies`.
 * @param {string} text
 * @param {number[]} highlight
 * @param {number[]} [applying]
 */
export function renderPolicy(text, highlight, applying = []) {
  /** @type {any} */
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return h('pre', { class: 'policy-view' }, text);
  }
  if (!doc || !Array.isArray(doc.Statement)) return h('pre', { class: 'policy-view' }, JSON.stringify(doc, null, 2));
  const rest = { ...doc };
  delete rest.Statement;
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, '');
  // Statements are block elements (one box each, so a highlight is one rectangle); the text between
  // them carries no newlines of its own.
  /** @type {Array<string | HTMLElement>} */
  const parts = [`${head}${Object.keys(rest).length > 0 ? ',' : ''}\n  "Statement": [`];
  doc.Statement.forEach((/** @type {unknown} */ st, /** @type {number} */ i) => {
    const body = JSON.stringify(st, null, 2).split('\n').map((l) => `    ${l}`).join('\n') + (i < doc.Statement.length - 1 ? ',' : '');
    const deciding = highlight.includes(i);
    const cls = deciding ? 'statement deciding' : applying.includes(i) ? 'statement applies' : 'statement';
    parts.push(h('span', { class: cls, 'data-statement': i, title: deciding ? `Statement[${i}] decided this request` : `Statement[${i}]` }, body));
  });
  parts.push('  ]\n}');
  return h('pre', { class: 'policy-view' }, ...parts);
}
