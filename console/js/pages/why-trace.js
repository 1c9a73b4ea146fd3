// @ts-check
// The layered diagram of a decision trace (ExplainRequest's and SimulatePrincipalPolicy's `Trace`): one
// box per layer in the order the server evaluates them, its verdict coloured, each policy's statements
// with what failed (Action, Resource, Principal, or the condition with expected and actual values).
import { h, list } from '../dom.js';

const LAYER_TITLES = /** @type {Record<string, string>} */ ({
  session: 'Session policy',
  identity: 'Identity policies (RAM)',
  bucket: 'Bucket policy',
  owner: 'Bucket owner',
  acl: 'ACL',
  trust: 'Role trust policy',
});

const VERDICT_TEXT = /** @type {Record<string, string>} */ ({
  Allow: 'Allow',
  ExplicitDeny: 'Explicit Deny',
  NoMatch: 'no statement matched',
  NotConsulted: 'not consulted',
});

const PART_TEXT = /** @type {Record<string, string>} */ ({
  Action: 'Action does not cover the request\'s action',
  NotAction: 'NotAction excludes the request\'s action',
  Resource: 'Resource does not match the request\'s resource',
  NotResource: 'NotResource excludes the request\'s resource',
  Principal: 'Principal does not name the caller',
  Condition: 'a condition does not hold',
});

/** Loads the diagram's stylesheet once (the CSP allows same-origin stylesheets, not inline styles). */
export function ensureStyles() {
  if (document.getElementById('why-trace-css')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', id: 'why-trace-css', href: new URL('./why-trace.css', import.meta.url).href }));
}

/** @param {any} v @returns {string[]} */
function values(v) {
  const x = v?.Value;
  return Array.isArray(x) ? x.map(String) : x === undefined || x === null ? [] : [String(x)];
}

/** @param {any} c one failing condition */
function conditionView(c) {
  const missing = c.Missing === true || c.Missing === 'true' || c.Actual === undefined;
  return h('li', { class: 'trace-condition', 'data-key': String(c.Key) },
    h('code', { class: 'trace-cond-op' }, String(c.Operator)), ' ',
    h('code', { class: 'trace-cond-key' }, String(c.Key)), ' expected ',
    h('code', { class: 'trace-cond-expected' }, values(c.Expected).join(', ')), ', request has ',
    missing ? h('code', { class: 'trace-cond-actual missing' }, 'missing') : h('code', { class: 'trace-cond-actual' }, values(c.Actual).join(', ')));
}

/**
 * @param {any} s a statement of the trace
 * @param {boolean} deciding
 */
function statementView(s, deciding) {
  const applied = s.Applied === true || s.Applied === 'true';
  const failed = s.FailedPart === undefined ? null : String(s.FailedPart);
  const conditions = list(s, 'Conditions', 'Condition');
  return h('li', {
    class: `trace-statement ${applied ? 'applied' : 'failed'} effect-${s.Effect}${deciding ? ' deciding' : ''}`,
    'data-statement': String(s.Index),
    'data-failed': failed ?? '',
  },
  h('span', { class: 'trace-st-name' }, `Statement[${s.Index}]`, s.Sid !== undefined ? ` "${s.Sid}"` : ''), ' ',
  h('span', { class: `trace-effect effect-${s.Effect}` }, String(s.Effect)), ' ',
  applied
    ? h('span', { class: 'trace-st-result' }, deciding ? 'applies — decides this layer' : 'applies')
    : h('span', { class: 'trace-st-result' }, 'does not apply: ', h('mark', { class: 'trace-failed-part' }, failed ?? '?'), ` (${PART_TEXT[failed ?? ''] ?? ''})`),
  conditions.length > 0 ? h('ul', { class: 'trace-conditions' }, conditions.map(conditionView)) : null);
}

/**
 * @param {any} layer
 * @param {string | undefined} decidingLayer
 */
function layerView(layer, decidingLayer) {
  const name = String(layer.Name);
  const verdict = String(layer.Verdict);
  const policies = list(layer, 'Policies', 'Policy');
  return h('li', { class: `trace-layer verdict-${verdict}${name === decidingLayer ? ' deciding' : ''}`, 'data-layer': name, 'data-verdict': verdict },
    h('div', { class: 'trace-layer-head' },
      h('span', { class: 'trace-layer-name' }, LAYER_TITLES[name] ?? name),
      // The owner and ACL layers have no statements: "grants nothing" says what they did.
      h('span', { class: `trace-verdict verdict-${verdict}` }, verdict === 'NoMatch' && (name === 'owner' || name === 'acl') ? 'grants nothing' : VERDICT_TEXT[verdict] ?? verdict),
      name === decidingLayer ? h('span', { class: 'trace-decides' }, 'decided') : null),
    h('p', { class: 'trace-reason' }, String(layer.Reason ?? '')),
    policies.map((p) => {
      const statements = list(p, 'Statements', 'Statement');
      return h('div', { class: 'trace-policy', 'data-policy': String(p.Name) },
        h('div', { class: 'trace-policy-name' }, String(p.Name), ' ', h('span', { class: `trace-verdict small verdict-${p.Verdict}` }, VERDICT_TEXT[String(p.Verdict)] ?? String(p.Verdict))),
        statements.length === 0 ? h('p', { class: 'muted' }, 'No statements.') : h('ul', { class: 'trace-statements' },
          statements.map((s) => statementView(s, layer.DecidingPolicy === p.Name && String(layer.DecidingStatementIndex) === String(s.Index)))));
    }));
}

/**
 * The whole diagram.
 * @param {any} trace the wire form (`Trace`)
 */
export function traceDiagram(trace) {
  ensureStyles();
  const decidingLayer = trace.DecidingLayer === undefined ? undefined : String(trace.DecidingLayer);
  return h('div', { class: 'trace', id: 'trace', 'data-decision': String(trace.Decision) },
    h('p', { class: 'trace-summary' },
      h('span', { class: `decision ${trace.Decision}` }, String(trace.Decision)), ' for ',
      h('code', {}, String(trace.Action)), ' on ', h('code', {}, String(trace.Resource)),
      decidingLayer ? ` — decided by the ${LAYER_TITLES[decidingLayer] ?? decidingLayer} layer` : ''),
    h('ol', { class: 'trace-layers' }, list(trace, 'Layers', 'Layer').map((l) => layerView(l, decidingLayer))));
}
