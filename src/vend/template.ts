import { createHash } from 'node:crypto';
import { parsePolicy, type PolicyError } from '../policy/index.js';

// Session-policy templates. A template is a parsed JSON document; `${user}`, `${group}` and `${bucket}` are
// replaced inside its string values only (never in raw text, never in object keys), so a value can never
// close a string or add a statement. The values themselves are checked before they get here (names.ts).

export const TEMPLATE_VARIABLES = ['user', 'group', 'bucket'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Readonly<Record<TemplateVariable, string | undefined>>;

const VARIABLE_RE = /\$\{([^}]*)\}/g;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface TemplateFault {
  /** JSON path inside the template: `Statement[0].Resource[1]`, '' for the whole document. */
  path: string;
  message: string;
}

export class PolicyTemplate {
  /** Variables the template uses (a grant using `${group}` needs users with a group). */
  readonly variables: ReadonlySet<TemplateVariable>;

  private constructor(private readonly doc: Json) {
    const used = new Set<TemplateVariable>();
    walkStrings(doc, '', (s) => {
      for (const m of s.matchAll(VARIABLE_RE)) used.add(m[1] as TemplateVariable);
    });
    this.variables = used;
  }

  /** Checks the document's shape and variables; does not check the policy grammar (see validate). */
  static from(value: unknown): { ok: true; template: PolicyTemplate } | { ok: false; fault: TemplateFault } {
    let doc: unknown = value;
    if (typeof value === 'string') {
      try {
        doc = JSON.parse(value);
      } catch (err) {
        return { ok: false, fault: { path: '', message: `not valid JSON (${err instanceof Error ? err.message : String(err)})` } };
      }
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, fault: { path: '', message: 'must be a policy document (an object)' } };
    let fault: TemplateFault | null = null;
    walkStrings(doc as Json, '', (s, path) => {
      for (const m of s.matchAll(VARIABLE_RE)) {
        if (fault === null && !(TEMPLATE_VARIABLES as readonly string[]).includes(m[1]!)) {
          fault = { path, message: `unknown variable \${${m[1]}} (known: ${TEMPLATE_VARIABLES.map((v) => `\${${v}}`).join(', ')})` };
        }
      }
    });
    if (fault !== null) return { ok: false, fault };
    return { ok: true, template: new PolicyTemplate(doc as Json) };
  }

  /** The policy text for these values (compact JSON). Values must have been checked by unsafeNameReason. */
  render(values: TemplateValues): string {
    return JSON.stringify(substitute(this.doc, values));
  }

  /**
   * Trial substitution with the longest allowed user id and group, then the policy engine's session-policy
   * validation (grammar and the 2048-character limit), so a grant that STS would refuse fails at start-up.
   */
  validate(bucket: string): TemplateFault | null {
    const longest = 'u'.repeat(64);
    const text = this.render({ user: longest, group: longest.replace(/u/g, 'g'), bucket });
    const parsed = parsePolicy(text, 'session');
    if (parsed.ok) return null;
    const e: PolicyError = parsed.error;
    // The engine's message starts with the path when there is one; keep it as the path.
    const message = e.path !== '' && e.message.startsWith(e.path) ? e.message.slice(e.path.length).replace(/^[:\s]+/, '') : e.message;
    return { path: e.path, message: e.reason === 'length' ? `${message} (after substituting a 64-character user id and group)` : message };
  }
}

/** sha256 of a rendered policy, for the issuance log (the policy itself may be long). */
export function policyDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function substitute(node: Json, values: TemplateValues): Json {
  if (typeof node === 'string') {
    return node.replace(VARIABLE_RE, (_, name: string) => {
      const v = values[name as TemplateVariable];
      if (v === undefined) throw new Error(`template variable \${${name}} has no value`);
      return v;
    });
  }
  if (Array.isArray(node)) return node.map((n) => substitute(n, values));
  if (node !== null && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) out[k] = substitute(v, values);
    return out;
  }
  return node;
}

function walkStrings(node: Json, path: string, visit: (s: string, path: string) => void): void {
  if (typeof node === 'string') visit(node, path);
  else if (Array.isArray(node)) node.forEach((n, i) => walkStrings(n, `${path}[${i}]`, visit));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) walkStrings(v, path === '' ? k : /^[A-Za-z_][\w]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, visit);
  }
}
