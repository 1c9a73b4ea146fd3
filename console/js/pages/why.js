// @ts-check
// "Why denied?": (a) a request id → the RAM extension ExplainRequest (the server's record of that
// decision); (b) a described request (principal, action, resource, context, a role's session policy) →
// SimulatePrincipalPolicy. Both answer a trace, drawn as layers in evaluation order (why-trace.js), and
// the deciding statement highlighted in the policy's text.
import { ApiError, current, lastDenied, ossArn, pop, ramArn } from '../api.js';
import { errorBox, fill, field, h, list, options, run } from '../dom.js';
import { renderPolicy } from '../policy-editor.js';
import { listRoles, listUsers } from '../ram.js';
import { ensureStyles, traceDiagram } from './why-trace.js';

/**
 * A policy's default document: Custom first, then System.
 * @param {string} policyName
 * @returns {Promise<string | null>}
 */
async function policyText(policyName) {
  for (const type of ['Custom', 'System']) {
    try {
      const r = await pop('ram', 'GetPolicy', { PolicyName: policyName, PolicyType: type }, ramArn('policy', policyName));
      return r.DefaultPolicyVersion?.PolicyDocument ?? null;
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'EntityNotExist.Policy') throw e;
    }
  }
  return null;
}

/** @param {string} decision */
function decisionBadge(decision) {
  return h('span', { class: `decision ${decision}`, id: 'decision' }, decision);
}

/** @param {HTMLElement} root */
export async function render(root) {
  ensureStyles();
  // (a) explain a request id
  const requestId = h('input', { name: 'RequestId', class: 'wide', autocomplete: 'off', spellcheck: 'false', id: 'explain-request-id' });
  const explain = h('button', { type: 'submit', id: 'explain' }, 'Explain');
  const explainOut = h('div', { id: 'explain-result' });
  const explainForm = h('form', { class: 'inline', id: 'explain-form' }, field('Request id (from an error)', requestId), explain);
  const denial = lastDenied();
  if (denial?.requestId) requestId.value = denial.requestId;
  explainForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = requestId.value.trim();
    if (!id) return;
    fill(explainOut);
    void run(explain, async () => {
      try {
        const r = (await pop('ram', 'ExplainRequest', { RequestId: id })).Request ?? {};
        // Who and what, in one line; the layers say why.
        const summary = h('p', { class: 'explain-summary' },
          r.Decision !== undefined ? decisionBadge(String(r.Decision)) : h('span', { class: 'decision' }, 'refused before authorization'), ' ',
          String(r.Principal ?? ''), ' · ', h('code', {}, String(r.Action ?? '')), r.Resource ? [' on ', h('code', {}, String(r.Resource))] : null,
          ' · ', String(r.Status ?? ''), r.ErrorCode ? ` ${r.ErrorCode}` : '', r.Message ? `: ${r.Message}` : '',
          ' · ', String(r.Time ?? ''), ' from ', String(r.SourceIp ?? ''));
        /** @type {HTMLElement | null} */
        let doc = null;
        const index = r.StatementIndex === undefined || r.StatementIndex === '' ? Number.NaN : Number(r.StatementIndex);
        if (r.Policy && Number.isInteger(index) && index >= 0) {
          // The whole policy with the statement marked, when the caller may read it; else the statement alone.
          const text = r.Layer === 'identity' ? await policyText(String(r.Policy)).catch(() => null) : null;
          if (text) doc = renderPolicy(text, [index]);
        }
        if (!doc && r.Statement) doc = h('pre', { class: 'policy-view' }, h('span', { class: 'statement deciding' }, String(r.Statement)));
        fill(explainOut, h('div', { class: 'card sub', 'data-explained': id },
          summary,
          r.Trace ? traceDiagram(r.Trace) : h('p', { class: 'muted' }, 'This request was refused before authorization (signature, key or request form): no policy was evaluated.'),
          doc ? h('h3', {}, `Deciding statement (${r.Policy ?? ''} Statement[${r.StatementIndex ?? ''}])`) : null, doc));
      } catch (err) {
        if (err instanceof ApiError && err.code === 'InvalidAction.NotFound') {
          fill(explainOut, h('p', { class: 'muted' }, 'This server does not offer ExplainRequest; describe the request below instead.'));
          return;
        }
        fill(explainOut, errorBox(err));
      }
    });
  });

  // (b) describe a request
  const kind = h('select', { name: 'kind', 'aria-label': 'Principal kind', id: 'sim-kind' }, options(['User', 'Role']));
  const principal = h('input', { name: 'principal', list: 'sim-principals', autocomplete: 'off', id: 'sim-principal' });
  const datalist = h('datalist', { id: 'sim-principals' });
  const action = h('input', { name: 'ActionName', autocomplete: 'off', placeholder: 'oss:PutObject', id: 'sim-action' });
  const resource = h('input', { name: 'Resource', class: 'wide', autocomplete: 'off', placeholder: ossArn('my-bucket', 'path/to/object'), id: 'sim-resource' });
  const context = h('textarea', { name: 'Context', rows: 3, spellcheck: 'false', placeholder: '{"acs:SourceIp": "10.0.0.1"}', id: 'sim-context' });
  const sessionPolicy = h('textarea', { name: 'SessionPolicy', rows: 3, spellcheck: 'false', placeholder: '{"Version": "1", "Statement": [...]}', id: 'sim-session-policy' });
  const sessionField = field('Session policy (roles only, optional: the Policy of an AssumeRole)', sessionPolicy);
  const simulate = h('button', { type: 'submit', id: 'simulate' }, 'Simulate');
  const simOut = h('div', { id: 'simulate-result' });
  if (denial) {
    action.value = denial.action;
    resource.value = denial.resource;
  }
  const me = current()?.identity;
  const mine = me?.Arn.match(/:(user|assumed-role)\/([^/]+)/);
  if (mine) {
    kind.value = mine[1] === 'user' ? 'User' : 'Role';
    principal.value = mine[2] ?? '';
  }
  const fillPrincipals = async () => {
    const names = kind.value === 'User' ? (await listUsers()).map((u) => u.UserName) : (await listRoles()).map((r) => r.RoleName);
    fill(datalist, names.map((n) => h('option', { value: n })));
  };
  // Suggestions only: a principal without ram:ListUsers / ListRoles types the name.
  const showSession = () => { sessionField.hidden = kind.value !== 'Role'; };
  kind.addEventListener('change', () => {
    showSession();
    void fillPrincipals().catch(() => {});
  });
  showSession();
  const simForm = h('form', { id: 'simulate-form' },
    h('div', { class: 'inline' }, field('Principal', kind), field('Name', principal), datalist),
    h('div', { class: 'inline' }, field('Action', action), field('Resource (ARN)', resource)),
    field('Context (JSON object of condition keys, optional)', context),
    sessionField,
    simulate);
  simForm.addEventListener('submit', (e) => {
    e.preventDefault();
    fill(simOut);
    void run(simulate, async () => {
      const r = (await pop('ram', 'SimulatePrincipalPolicy', {
        [kind.value === 'User' ? 'UserName' : 'RoleName']: principal.value.trim(),
        ActionName: action.value.trim(),
        Resource: resource.value.trim(),
        Context: context.value.trim(),
        ...(kind.value === 'Role' && sessionPolicy.value.trim() ? { SessionPolicy: sessionPolicy.value.trim() } : {}),
      }, ramArn(kind.value === 'User' ? 'user' : 'role', principal.value.trim()))).EvaluationResult;
      const decision = String(r.Decision);
      const matched = list(r, 'MatchedStatements', 'Statement');
      // The marks in the RAM policies' text follow what those policies alone decided.
      const identityDecision = String(r.IdentityDecision ?? decision);
      const decidingEffect = identityDecision === 'ExplicitDeny' ? 'Deny' : identityDecision === 'Allow' ? 'Allow' : '';
      /** @type {Map<string, {deciding: number[], applying: number[]}>} */
      const byPolicy = new Map();
      for (const m of matched) {
        const entry = byPolicy.get(m.PolicyName) ?? { deciding: [], applying: [] };
        (m.Effect === decidingEffect ? entry.deciding : entry.applying).push(Number(m.StatementIndex));
        byPolicy.set(m.PolicyName, entry);
      }
      const docs = await Promise.all([...byPolicy].map(async ([name, marks]) => {
        const text = await policyText(name);
        return h('div', { class: 'policy-block', 'data-policy': name },
          h('h3', {}, `Policy ${name}`, marks.deciding.length > 0 ? ` — deciding: Statement[${marks.deciding.join('], Statement[')}]` : ''),
          text ? renderPolicy(text, marks.deciding, marks.applying) : h('p', { class: 'muted' }, 'The policy text is not readable.'));
      }));
      fill(simOut, h('div', { class: 'card sub' },
        h('p', {}, 'Decision: ', decisionBadge(decision)),
        r.Trace ? traceDiagram(r.Trace) : null,
        h('h3', {}, 'The principal\'s RAM policies'),
        h('ul', { class: 'reasons' }, list(r, 'Reasons', 'Reason').map((x) => h('li', {}, String(x)))),
        decision === 'ImplicitDeny' ? h('p', { class: 'muted' }, 'Nothing allows this request: see the layers above for the one that refused.') : null,
        docs,
        h('p', { class: 'muted' }, 'Decided against the server\'s current state: the session policy given, the principal\'s RAM policies (its own, its groups\' or the role\'s), and for OSS actions the bucket\'s policy, owner and ACL (not an object\'s own ACL).')));
    });
  });

  fill(root,
    h('h1', {}, 'Why denied?'),
    h('div', { class: 'card' }, h('h2', {}, 'Explain a request id'), h('p', { class: 'muted' }, 'Paste the RequestId of a failed call: the server looks up how it decided that request.'), explainForm, explainOut),
    h('div', { class: 'card' }, h('h2', {}, 'Describe a request'), h('p', { class: 'muted' }, 'Simulate how the server would decide a principal\'s request, layer by layer.'), simForm, simOut));
  await fillPrincipals().catch(() => {});
}
