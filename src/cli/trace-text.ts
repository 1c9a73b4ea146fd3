import type { DecisionTrace, LayerTrace, StatementTrace } from '../policy/index.js';
import { formatTable, printable } from './output.js';

// The readable form of `policy simulate` and `policy explain` on a terminal: the decision first, then each
// layer in evaluation order with its policies and what each statement did. The JSON (`--json`, or stdout not
// a terminal) has the same facts.

const VERDICT: Record<string, string> = {
  Allow: 'allows',
  ExplicitDeny: 'denies',
  NoMatch: 'no match',
  NotConsulted: 'not consulted',
};

const PART: Record<string, string> = {
  Action: 'the action does not match',
  NotAction: 'the action is excluded by NotAction',
  Resource: 'the resource does not match',
  NotResource: 'the resource is excluded by NotResource',
  Principal: 'the principal does not match',
  Condition: 'a condition does not hold',
};

function statementLine(s: StatementTrace, deciding: boolean): string[] {
  const sid = s.sid !== undefined ? ` (Sid ${JSON.stringify(s.sid)})` : '';
  const what = s.applied ? (s.effect === 'Deny' ? 'applies: denies' : 'applies: allows') : (PART[s.failed ?? ''] ?? `does not apply (${s.failed ?? '?'})`);
  const lines = [`Statement[${s.index}] ${s.effect}${sid}: ${what}${deciding ? '  <- decides' : ''}`];
  for (const c of s.conditions ?? []) {
    const actual = c.actual === null ? 'the request has no value for it' : `the request has ${c.actual.map((v) => JSON.stringify(v)).join(', ')}`;
    lines.push(`  ${c.operator} ${c.key} ${c.expected.map((v) => JSON.stringify(v)).join(', ')}: ${actual}`);
  }
  return lines;
}

function layerLines(l: LayerTrace, decidingLayer: string | undefined): string[] {
  const lines = [`${l.layer}: ${VERDICT[l.verdict] ?? l.verdict}${l.layer === decidingLayer ? ' (this layer decided)' : ''}. ${l.reason}`];
  for (const p of l.policies) {
    lines.push(`  policy ${JSON.stringify(p.name)}: ${VERDICT[p.verdict] ?? p.verdict}`);
    for (const s of p.statements) {
      const deciding = l.deciding !== undefined && l.deciding.policy === p.name && l.deciding.statement === s.index;
      for (const line of statementLine(s, deciding)) lines.push(`    ${line}`);
    }
  }
  return lines;
}

/** Every layer of a decision, as lines (no trailing newline). */
export function traceLines(t: DecisionTrace): string[] {
  return t.layers.flatMap((l) => layerLines(l, t.decidingLayer));
}

/** `policy simulate`: the decision and its reasons, then the layers. */
export function simulateText(r: { decision: unknown; identityDecision?: unknown; reasons: readonly string[]; trace?: DecisionTrace }): string {
  const head = r.trace !== undefined ? `${String(r.decision)}: ${r.trace.action} on ${r.trace.resource}` : String(r.decision);
  const lines = [head];
  // The identity policies' own verdict, when another layer decided otherwise (the trace may show them as not
  // consulted: the layers stop at the first refusal).
  if (r.identityDecision !== undefined && r.identityDecision !== r.decision) lines.push(`(without the other layers, the identity policies would give ${String(r.identityDecision)})`);
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.trace !== undefined) lines.push('', ...traceLines(r.trace));
  return `${lines.map(printable).join('\n')}\n`;
}

/** `policy explain`: who asked what and how it was answered, the decision, then the layers. */
export function explainText(r: {
  requestId?: unknown; time?: unknown; principal?: unknown; sourceIp?: unknown; action?: unknown; resource?: unknown;
  decision?: unknown; layer?: unknown; policy?: unknown; statementIndex?: number; statement?: unknown;
  status?: number; errorCode?: unknown; message?: unknown; trace?: DecisionTrace;
}): string {
  const s = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
  const answer = [r.status !== undefined ? String(r.status) : undefined, s(r.errorCode)].filter((x) => x !== undefined).join(' ');
  let decided: string;
  // Answered before any policy was asked: a bad signature or key, a malformed request, or a fact checked first
  // (NoSuchBucket: the bucket's owner decides whose policies apply).
  if (s(r.decision) === undefined) decided = `none: answered before authorization${s(r.errorCode) !== undefined ? ` (${s(r.errorCode)!})` : ''}, so no policy was consulted`;
  else {
    // The ACL layer's "policy" is the ACL's name (private, public-read…).
    const by = [s(r.layer) !== undefined ? `the ${s(r.layer)} layer` : undefined, s(r.policy) !== undefined ? `${s(r.layer) === 'acl' ? 'ACL' : 'policy'} ${JSON.stringify(s(r.policy))}` : undefined, r.statementIndex !== undefined && r.statementIndex >= 0 ? `Statement[${r.statementIndex}]` : undefined].filter((x) => x !== undefined);
    decided = `${s(r.decision)!}${by.length > 0 ? ` by ${by.join(', ')}` : ''}`;
  }
  const rows: string[][] = [];
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined) rows.push([k, v]);
  };
  add('request', s(r.requestId));
  add('time', s(r.time));
  add('principal', s(r.principal));
  add('source IP', s(r.sourceIp));
  add('action', s(r.action));
  add('resource', s(r.resource));
  add('answer', answer === '' ? undefined : answer);
  add('message', s(r.message));
  add('decision', decided);
  add('statement', s(r.statement)?.replace(/\s*\n\s*/g, ' '));
  let out = formatTable(rows);
  if (r.trace !== undefined) out += `\n${traceLines(r.trace).map(printable).join('\n')}\n`;
  return out;
}
