// @ts-check
// Tiny DOM helpers. Text always goes in as text nodes (never innerHTML), so names, keys and messages
// from the server cannot become markup; no inline styles either (the CSP forbids them).
import { ApiError } from './api.js';

/**
 * @typedef {string | number | Node | null | undefined | false | any[]} Child (arrays nest)
 * @typedef {Record<string, string | number | boolean | EventListener | null | undefined>} Attrs
 */

/**
 * `h('button', {class: 'x', onclick: fn}, 'Save')`
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)) el.value = String(v);
    else if (k === 'style') throw new Error('inline styles are not allowed');
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} el
 * @param {Child[]} children
 */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {Child[]} children
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The page-wide message area (errors and notices). */
function messages() {
  return /** @type {HTMLElement} */ (document.getElementById('messages'));
}

export function clearMessages() {
  messages().replaceChildren();
}

/**
 * A failed call as the server answered it: Code, Message, RequestId (and a way to ask why, for denials).
 * @param {unknown} err
 */
export function errorBox(err) {
  if (!(err instanceof ApiError)) {
    return h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Error: '), err instanceof Error ? err.message : String(err));
  }
  const denied = err.status === 403;
  // A refused "why?" call must not send the user back to the page that just failed: say what it needs.
  const explaining = err.action === 'ram:ExplainRequest' || err.action === 'ram:SimulatePrincipalPolicy';
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-code': err.code },
    h('div', {}, h('strong', {}, 'Code: '), h('code', { class: 'err-code' }, err.code)),
    h('div', {}, h('strong', {}, 'Message: '), h('span', { class: 'err-message' }, err.message)),
    err.requestId ? h('div', {}, h('strong', {}, 'RequestId: '), h('code', { class: 'err-request-id' }, err.requestId)) : null,
    err.action ? h('div', { class: 'muted' }, `while calling ${err.action}${err.resource ? ` on ${err.resource}` : ''}`) : null,
    denied && explaining
      ? h('div', { class: 'why-hint' }, `Explaining a decision needs ${err.action} allowed to you (a RAM policy on your user, group or role); ask an administrator for it, or sign in as the account root.`)
      : denied ? h('div', {}, h('a', { href: '#/why', class: 'why-link' }, 'Why was this denied?')) : null,
  );
}

/**
 * Shows an error in an area (the page-wide one by default), replacing the error shown there before:
 * one error per area at a time, each dismissible.
 * @param {unknown} err
 * @param {HTMLElement} [area]
 */
export function report(err, area = messages()) {
  const box = errorBox(err);
  const close = h('button', { type: 'button', class: 'link close', 'aria-label': 'Dismiss', onclick: () => box.remove() }, '×');
  box.prepend(close);
  for (const old of area.querySelectorAll(':scope > .error')) old.remove();
  area.prepend(box);
  return box;
}

/**
 * Removes the error shown in an area (the page-wide one by default).
 * @param {HTMLElement} [area]
 */
export function dismissError(area = messages()) {
  for (const old of area.querySelectorAll(':scope > .error')) old.remove();
}

/** @param {string} text */
export function notice(text) {
  const area = messages();
  for (const old of area.querySelectorAll(':scope > .notice')) old.remove();
  const box = h('div', { class: 'notice', role: 'status' }, text);
  area.prepend(box);
  setTimeout(() => box.remove(), 6000);
}

/**
 * Runs an action from a button: disabled while it runs, errors reported. A button's action that
 * succeeds dismisses the error shown before (it is about an earlier attempt).
 * @param {HTMLButtonElement | null} button
 * @param {() => Promise<unknown>} fn
 * @param {HTMLElement} [area] where its error goes (default: the page-wide area)
 */
export async function run(button, fn, area) {
  if (button) button.disabled = true;
  try {
    await fn();
    if (button) dismissError(area);
    return true;
  } catch (e) {
    report(e, area);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * Copies text to the clipboard: the async Clipboard API where the page may use it (a secure context),
 * else a hidden textarea and execCommand('copy'), which plain-http origins still allow on a click.
 * @param {string} text
 * @param {string} what shown in the notice
 */
export async function copyText(text, what) {
  let done = false;
  if (window.isSecureContext && navigator.clipboard) {
    done = await navigator.clipboard.writeText(text).then(() => true, () => false);
  }
  if (!done) {
    const area = h('textarea', { readonly: true, class: 'offscreen', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    done = document.execCommand('copy');
    area.remove();
  }
  if (!done) throw new Error(`The browser refused to copy ${what}; select it and copy it by hand.`);
  notice(`${what} copied.`);
}

/**
 * A "Copy" button for a value.
 * @param {string} label
 * @param {() => string} value
 * @param {string} what shown in the notice
 * @param {Attrs} [attrs]
 */
export function copyButton(label, value, what, attrs = {}) {
  const btn = h('button', { type: 'button', class: 'copy', ...attrs, onclick: () => void run(btn, () => copyText(value(), what)) }, label);
  return btn;
}

/**
 * A button that asks for a second click before doing something destructive.
 * @param {string} label
 * @param {() => Promise<unknown>} fn
 * @param {Attrs} [attrs]
 */
export function dangerButton(label, fn, attrs = {}) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const btn = h('button', {
    type: 'button',
    class: 'danger',
    ...attrs,
    onclick: async () => {
      if (btn.dataset.armed !== 'true') {
        btn.dataset.armed = 'true';
        btn.textContent = `Confirm ${label.toLowerCase()}`;
        timer = setTimeout(() => {
          btn.dataset.armed = 'false';
          btn.textContent = label;
        }, 5000);
        return;
      }
      clearTimeout(timer);
      btn.dataset.armed = 'false';
      btn.textContent = label;
      await run(btn, fn);
    },
  }, label);
  return btn;
}

/**
 * A labelled form field.
 * @param {string} label
 * @param {HTMLElement} input
 * @param {string} [hint]
 */
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

/**
 * A table; `rows` are arrays of cells.
 * @param {string[]} head
 * @param {Child[][]} rows
 * @param {string} [empty]
 * @param {Attrs} [attrs]
 */
export function table(head, rows, empty = 'Nothing here yet.', attrs = {}) {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    // data-label: the narrow layout shows each row as a card, labelling its cells (console.css).
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': head[i] || null }, c))))),
  );
}

/**
 * A list in a RAM answer: `{Users: {User: [...]}}` → the array (absent → []).
 * @param {any} obj
 * @param {string} outer
 * @param {string} inner
 * @returns {any[]}
 */
export function list(obj, outer, inner) {
  const v = obj?.[outer]?.[inner];
  return Array.isArray(v) ? v : v ? [v] : [];
}

/**
 * Options for a <select>.
 * @param {string[]} values
 * @param {string} [placeholder]
 */
export function options(values, placeholder) {
  return [placeholder !== undefined ? h('option', { value: '' }, placeholder) : null, ...values.map((v) => h('option', { value: v }, v))];
}

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** @type {Array<() => void>} */
const cleanups = [];

/**
 * Runs `fn` when the user leaves the current page (timers, countdowns).
 * @param {() => void} fn
 */
export function onLeave(fn) {
  cleanups.push(fn);
}

export function leavePage() {
  while (cleanups.length > 0) cleanups.pop()?.();
}

/**
 * "12m 05s" until `ms`, or "expired".
 * @param {number} ms
 */
export function countdown(ms) {
  const left = Math.floor((ms - Date.now()) / 1000);
  if (left <= 0) return 'expired';
  const hrs = Math.floor(left / 3600);
  const min = Math.floor((left % 3600) / 60);
  const sec = left % 60;
  return `${hrs > 0 ? `${hrs}h ` : ''}${hrs > 0 || min > 0 ? `${String(min).padStart(hrs > 0 ? 2 : 1, '0')}m ` : ''}${String(sec).padStart(2, '0')}s`;
}
