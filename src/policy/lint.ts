/**
 * `policy validate`: every grammar fault of a document (errors, from parse.ts) and what is valid but cannot
 * do what it says (warnings): actions no service has, resources none of a statement's actions can act
 * on, condition keys the service does not have. Pure (no I/O): the CLI and the server share it.
 */
import { compileGlob } from './glob.js';
import { EXISTING_OBJECT_TAG_ACTIONS, isKnownConditionKey, knownActions, ossActionOfOperation, type KnownService, type ResourceType } from './known-actions.js';
import { jsonSyntaxErrorAt, locateElements, type TextPosition } from './locate.js';
import { parsePolicyAll, type ParseOptions } from './parse.js';
import type { PolicyDocument, PolicyKind, PolicyStatement } from './types.js';

export interface LintFinding {
  /** Errors: `Length` | `Json` | `Grammar`. Warnings: `UnknownService` | `UnknownAction` | `ResourceTypeMismatch` | `UnknownConditionKey` | `NoPrincipal` | `PrincipalFormat` | `ConditionKeyNotCarried`. */
  readonly code: string;
  /** Starts with the place (`Statement[0].Action[1]`) when there is one. */
  readonly message: string;
  /** `Statement[0].Action[1]`; '' for the document as a whole. */
  readonly path: string;
  /** Index in Statement, when the finding is inside one. */
  readonly statement?: number;
  readonly sid?: string;
  /** The statement element (`Action`, `Resource`, `Condition`…) or top-level element. */
  readonly field?: string;
  /** Where the element starts in the text (1-based). */
  readonly line?: number;
  readonly column?: number;
}

export interface LintReport {
  /** No errors (warnings do not make a document invalid). */
  readonly valid: boolean;
  readonly errors: readonly LintFinding[];
  readonly warnings: readonly LintFinding[];
}

const ERROR_CODE = { length: 'Length', json: 'Json', grammar: 'Grammar' } as const;

/** Checks `text` as a policy of `kind`; never throws. */
export function lintPolicy(text: string, kind: PolicyKind, opts: ParseOptions = {}): LintReport {
  const parsed = parsePolicyAll(text, kind, opts);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const locate = raw === undefined ? () => null : locateElements(text);
  const sids = sidsOf(raw);
  const finding = (code: string, path: string, message: string, at?: TextPosition | null): LintFinding => {
    const m = /^Statement\[(\d+)\](?:\.([A-Za-z]+))?/.exec(path);
    const statement = m ? Number(m[1]) : undefined;
    const field = m ? m[2] : /^[A-Za-z]+/.exec(path)?.[0];
    // A string where a list may be (`"Resource": "…"`) is item [0] of the parsed list: its place is the element's.
    const pos = at ?? (path === '' ? null : locate(path) ?? locate(path.replace(/\[0\]$/, '')));
    return {
      code,
      message,
      path,
      ...(statement !== undefined ? { statement } : {}),
      ...(statement !== undefined && sids[statement] !== undefined ? { sid: sids[statement] } : {}),
      ...(field !== undefined ? { field } : {}),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    };
  };
  const errors = parsed.ok
    ? []
    : parsed.errors.map((e) => finding(ERROR_CODE[e.reason], e.path, e.message, e.reason === 'json' ? jsonSyntaxErrorAt(text) : undefined));
  const warnings: LintFinding[] = [];
  const warn = (code: string, path: string, detail: string): void => void warnings.push(finding(code, path, `${path} ${detail}`));
  if (parsed.ok) lintDocument(parsed.policy, kind, warn);
  // A grammar error elsewhere does not hide a misspelt action: those are named in the same pass.
  else lintRawActions(raw, new Set(errors.map((e) => e.path)), warn);
  return { valid: errors.length === 0, errors: byPlace(errors), warnings: byPlace(warnings) };
}

/** In text order, as a reader goes through the file; findings without a place (the whole document) first. */
function byPlace(findings: LintFinding[]): LintFinding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (a.f.line ?? 0) - (b.f.line ?? 0) || (a.f.column ?? 0) - (b.f.column ?? 0) || a.i - b.i)
    .map(({ f }) => f);
}

function sidsOf(raw: unknown): Array<string | undefined> {
  if (typeof raw !== 'object' || raw === null || !('Statement' in raw) || !Array.isArray(raw.Statement)) return [];
  return raw.Statement.map((s: unknown) => (typeof s === 'object' && s !== null && 'Sid' in s && typeof s.Sid === 'string' ? s.Sid : undefined));
}

type Warn = (code: string, path: string, detail: string) => void;

/** The Action / NotAction names of a document that did not parse as a whole, read from its JSON as it is. */
function lintRawActions(raw: unknown, faulty: ReadonlySet<string>, warn: Warn): void {
  if (typeof raw !== 'object' || raw === null || !('Statement' in raw)) return;
  const statements: unknown[] = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  statements.forEach((st, i) => {
    if (typeof st !== 'object' || st === null) return;
    for (const field of ['Action', 'NotAction'] as const) {
      const value: unknown = (st as Record<string, unknown>)[field];
      const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
      names.forEach((name: unknown, j) => {
        const path = `Statement[${i}].${field}[${j}]`;
        // One that is itself a grammar error (`"Oss: GetObject"`) was named as that.
        // (A lone string's error is at the element itself, `Statement[0].Action`.)
        if (typeof name === 'string' && name !== '' && !faulty.has(path) && !(typeof value === 'string' && faulty.has(`Statement[${i}].${field}`))) actionReach(name, path, warn);
      });
    }
  });
}

/** What one Action entry names: known actions (with their resource types), or why it names none. */
interface ActionReach {
  readonly types: readonly ResourceType[];
  /** An action of a service Alunite has no table for: its resources cannot be checked. */
  readonly unknownService?: string;
}

function lintDocument(doc: PolicyDocument, kind: PolicyKind, warn: Warn): void {
  doc.statements.forEach((st, i) => {
    // Valid, and what OSS does (docs/policy.md), but easy to write by mistake: a private bucket turns public.
    // A missing Principal parses as `[]`: both mean every caller in OSS.
    if (kind === 'bucket' && st.effect === 'Allow' && st.principal?.type === 'bucket' && st.principal.values.length === 0) {
      warn('NoPrincipal', `Statement[${i}]`, 'names no Principal (absent or []): in a bucket policy it allows everyone, anonymous requests included (name the principals, or "*" to mean it)');
    }
    if (kind === 'trust' && st.principal?.type === 'trust') {
      st.principal.ram.forEach((value, j) => {
        const problem = ramPrincipalProblem(value);
        if (problem) warn('PrincipalFormat', `Statement[${i}].Principal.RAM[${j}]`, problem);
      });
    }
    if (kind === 'bucket' && st.principal?.type === 'bucket') {
      st.principal.values.forEach((value, j) => {
        const problem = bucketPrincipalProblem(value);
        if (problem) warn('PrincipalFormat', `Statement[${i}].Principal[${j}]`, problem);
      });
    }
    lintStatement(st, `Statement[${i}]`, warn);
  });
}

/** The forms a trust policy's RAM principal is matched against (policy/compile.ts `ramIds`). */
const RAM_PRINCIPAL_RE = /^acs:ram::[^:]+:(root|user\/.+|role\/.+)$/;

/**
 * Why a trust policy's `RAM` entry can admit no caller, or null. Callers are matched as
 * `acs:ram::<account>:root` (any identity of the account), `…:user/<name>` and `…:role/<name>`; a user's name or
 * a bare account id is valid JSON but never matches (AssumeRole then answers NoPermission).
 */
function ramPrincipalProblem(value: string): string | null {
  const wild = value.search(/[*?]/);
  if (wild >= 0) {
    const prefix = value.slice(0, wild);
    return 'acs:ram::'.startsWith(prefix) || prefix.startsWith('acs:ram::') ? null
      : `${JSON.stringify(value)} cannot match acs:ram::<account id>:root, …:user/<name> or …:role/<name>: it admits no caller`;
  }
  if (RAM_PRINCIPAL_RE.test(value)) return null;
  if (/^\d+$/.test(value)) {
    return `${JSON.stringify(value)} is an account id, not an ARN: it admits no caller; write "acs:ram::${value}:root" for every RAM user and role of that account`;
  }
  if (!value.includes(':')) {
    return `${JSON.stringify(value)} is not an ARN: it admits no caller; a RAM user is "acs:ram::<account id>:user/${value}", a role "acs:ram::<account id>:role/${value}", every identity of an account "acs:ram::<account id>:root"`;
  }
  return `${JSON.stringify(value)} is not acs:ram::<account id>:root, …:user/<name> or …:role/<name>: it admits no caller`;
}

/** The forms a bucket policy's principal is matched against (policy/compile.ts `bucketIds`), besides `*` and UIDs. */
const STS_SESSION_RE = /^arn:sts::[^:]+:assumed-role\/[^/]+\/.+$/;

/**
 * Why a bucket policy's principal can match no caller, or null. Callers are matched by their account's UID (its
 * root), a RAM user's UID, or `arn:sts::<account id>:assumed-role/<role>/<session>` (a role session); a RAM ARN
 * (`acs:ram::…:role/…`, the trust-policy form) is valid JSON but never matches, so a Deny written so never applies.
 */
function bucketPrincipalProblem(value: string): string | null {
  if (value === '*' || /^\d+$/.test(value) || STS_SESSION_RE.test(value)) return null;
  const wild = value.search(/[*?]/);
  if (wild >= 0) {
    const prefix = value.slice(0, wild);
    if (/^\d*$/.test(prefix) || 'arn:sts::'.startsWith(prefix) || prefix.startsWith('arn:sts::')) return null;
  }
  const forms = 'a bucket policy matches an account or RAM user by its UID ("<uid>"), a role session by "arn:sts::<account id>:assumed-role/<role>/<session>" ("…/*" for every session), everyone by "*"';
  const ram = /^acs:ram::([^:]*):(role|user)\/(.+)$/.exec(value);
  if (ram?.[2] === 'role') {
    return `${JSON.stringify(value)} is a RAM role ARN (the trust-policy form): it matches no caller, so a Deny written so never applies; ${forms}: "arn:sts::${ram[1]}:assumed-role/${ram[3]}/*"`;
  }
  return `${JSON.stringify(value)} matches no caller, so a Deny written so never applies; ${forms}`;
}

function lintStatement(st: PolicyStatement, path: string, warn: Warn): void {
  const field = st.action ? 'Action' : 'NotAction';
  const reaches: ActionReach[] = [];
  (st.action ?? st.notAction ?? []).forEach((pattern, j) => {
    const reach = actionReach(pattern, `${path}.${field}[${j}]`, warn);
    if (reach) reaches.push(reach);
  });
  if (st.action && st.resource && reaches.length > 0) {
    st.resource.forEach((resource, j) => {
      if (reaches.some((r) => r.unknownService !== undefined && resourceOfService(resource, r.unknownService))) return;
      const types = reaches.flatMap((r) => r.types);
      if (types.some((t) => canMatch(resource, t))) return;
      warn('ResourceTypeMismatch', `${path}.Resource[${j}]`, `${JSON.stringify(resource)} cannot match any resource of the statement's actions (${describeTypes(st.action!, types)})`);
    });
  }
  // Only object reads and the object-tagging actions carry oss:ExistingObjectTag: with other actions alone (a Deny
  // on oss:DeleteObject so written) the condition never holds, and the statement never applies.
  const tagBlind = st.action !== undefined && reaches.length > 0 && !reaches.some((r) => r.unknownService !== undefined) &&
    !st.action.some((pattern) => { const m = compileGlob(pattern.toLowerCase()); return [...EXISTING_OBJECT_TAG_ACTIONS].some((a) => m(a)); });
  st.condition.forEach((c) => {
    const at = `${path}.Condition.${c.operator}[${JSON.stringify(c.key)}]`;
    if (isKnownConditionKey(c.key) === false) {
      warn('UnknownConditionKey', at, `names the condition key ${JSON.stringify(c.key)}, which ${c.key.slice(0, c.key.indexOf(':'))} does not have; a request never carries it`);
    } else if (c.key.toLowerCase() === NEVER_CARRIED_KEY) {
      // Listed by OSS (spec ram-sts §1.7, for WORM) without saying which requests carry it: none carries it here.
      warn('ConditionKeyNotCarried', at, `names ${JSON.stringify(c.key)}, which no request carries on this server [UNVERIFIED: which OSS operations set it]; ${c.operator.startsWith('Null') ? 'the key is always absent' : c.operator.includes('Not') ? 'the key is absent, so the condition always holds' : 'the condition never holds and the statement never applies'}`);
    } else if (tagBlind && c.key.toLowerCase().startsWith('oss:existingobjecttag/')) {
      warn('ConditionKeyNotCarried', at, `names ${JSON.stringify(c.key)}, which only object reads (oss:GetObject, oss:GetObjectVersion) and the object-tagging actions carry; none of the statement's actions does, so ${c.operator.startsWith('Null') ? 'the key is always absent' : 'the condition never holds and the statement never applies'}`);
    }
  });
}

/** A documented condition key (known-actions.ts) that Alunite sets on no request: a Deny conditioned on it never applies. */
const NEVER_CARRIED_KEY = 'oss:object-remaining-retention-days';

const SERVICES: readonly KnownService[] = ['oss', 'ram', 'sts', 'kms'];

/** The known actions `pattern` matches; null (after a warning) when it matches none. `*` reaches everything. */
function actionReach(pattern: string, path: string, warn: Warn): ActionReach | null {
  if (pattern === '*') return { types: [], unknownService: '*' };
  const colon = pattern.indexOf(':');
  const servicePattern = pattern.slice(0, colon).toLowerCase();
  const name = pattern.slice(colon + 1).toLowerCase();
  const serviceMatch = compileGlob(servicePattern);
  const services = SERVICES.filter((s) => serviceMatch(s));
  if (services.length === 0) {
    warn('UnknownService', path, `names the service ${JSON.stringify(pattern.slice(0, colon))}, which Alunite does not serve (known: ${SERVICES.join(', ')}); the statement never matches a request here`);
    return { types: [], unknownService: servicePattern };
  }
  const nameMatch = compileGlob(name);
  const types: ResourceType[] = [];
  let matched = 0;
  for (const service of services) {
    for (const [action, actionTypes] of knownActions()[service]) {
      if (!nameMatch(action.toLowerCase())) continue;
      matched++;
      types.push(...actionTypes);
    }
  }
  // A service wildcard (`*:Get*`) may also mean services Alunite does not serve.
  const alsoUnknown = /[*?]/.test(servicePattern) ? { unknownService: servicePattern } : {};
  if (matched > 0) return { types, ...alsoUnknown };
  if (/[*?]/.test(servicePattern)) return { types, ...alsoUnknown };
  warn('UnknownAction', path, `${JSON.stringify(pattern)} matches no ${services[0]} action${suggestion(services[0]!, pattern.slice(colon + 1))}`);
  return null;
}

/**
 * Why a request's action (`oss:GetObject`, no wildcards: what `policy simulate` is asked about) is no action
 * Alunite knows, with a suggestion; null when it is one. A policy names such an action only through wildcards.
 */
export function unknownActionNote(action: string): string | null {
  const colon = action.indexOf(':');
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1);
  const known = SERVICES.find((s) => s === service);
  if (known === undefined) return `${JSON.stringify(action)} names the service ${JSON.stringify(action.slice(0, colon))}, which Alunite does not serve (known: ${SERVICES.join(', ')})`;
  for (const a of knownActions()[known].keys()) if (a.toLowerCase() === name.toLowerCase()) return null;
  return `${JSON.stringify(action)} is no ${known} action${suggestion(known, name)}`;
}

/** ` (did you mean "oss:GetObject"?)`, or why a known operation is not an action of its own. */
function suggestion(service: KnownService, name: string): string {
  const actions = [...knownActions()[service].keys()];
  if (service === 'oss') {
    const op = ossActionOfOperation(name);
    if (op?.action === null) return ` (${op.operation} is not authorized by any action)`;
    if (op !== undefined) return ` (the ${op.operation} operation is authorized as "oss:${op.action}")`;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const a of actions) {
    const d = distance(a.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = a;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean "${service}:${best}"?)` : '';
}

/** Levenshtein distance (action names are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

const TYPE_NAME: Readonly<Record<string, string>> = {
  'oss:service': 'the account (acs:oss:*:<account>:*)',
  'oss:bucket': 'buckets (acs:oss:*:<account>:<bucket>)',
  'oss:object': 'objects (acs:oss:*:<account>:<bucket>/<key>)',
  'oss:accesspoint': 'access points (acs:oss:*:<account>:accesspoint/<name>)',
  'ram:any': 'RAM resources (acs:ram:*:<account>:…)',
  'ram:request': 'requests (acs:ram:*:<account>:request/<id>)',
  'kms:key': 'KMS keys (acs:kms:<region>:<account>:key/<key id>)',
};

function describeTypes(actions: readonly string[], types: readonly ResourceType[]): string {
  const names = [...new Set(types.map((t) => TYPE_NAME[`${t.service}:${t.kind}`] ?? `RAM ${t.kind}s (acs:ram:*:<account>:${t.kind}/<name>)`))];
  return `${actions.join(', ')} act${actions.length === 1 && !/[*?]/.test(actions[0]!) ? 's' : ''} on ${names.join(', ')}`;
}

/** Whether resource pattern `resource` names something of a service matched by `servicePattern`. */
function resourceOfService(resource: string, servicePattern: string): boolean {
  if (servicePattern === '*' || resource === '*') return true;
  return globsIntersect(atomsOfResource(resource), [...lit('acs:'), ...atomsOfGlob(servicePattern, NO_COLON), ...lit(':'), { cls: ANY, star: true }]);
}

// ---- Can a policy's Resource pattern match some request ARN of a type? Both are regular languages over
// characters; the product of their automata tells whether they share a string.

type CharClass = { readonly lit: string } | { readonly not: string };
interface Atom {
  readonly cls: CharClass;
  /** true: zero or more; false: exactly one. */
  readonly star: boolean;
}

const ANY: CharClass = { not: '' };
const NO_COLON: CharClass = { not: ':' };
const NO_SLASH_OR_COLON: CharClass = { not: '/:' };

function lit(s: string): Atom[] {
  return [...s].map((c) => ({ cls: { lit: c }, star: false }));
}
function plus(cls: CharClass): Atom[] {
  return [{ cls, star: false }, { cls, star: true }];
}

/** A glob (`*`, `?`) whose wildcards stay within `wild` characters. */
function atomsOfGlob(glob: string, wild: CharClass): Atom[] {
  return [...glob].map((c) => (c === '*' ? { cls: wild, star: true } : c === '?' ? { cls: wild, star: false } : { cls: { lit: c }, star: false }));
}

/**
 * A policy Resource as resource.ts matches it: with five segments, wildcards in the service, region and
 * account stay inside their segment and the relative id is globbed whole; otherwise a whole-string glob.
 */
function atomsOfResource(resource: string): Atom[] {
  const parts = resource.split(':');
  if (parts.length < 5) return atomsOfGlob(resource, ANY);
  const head = parts.slice(0, 4).flatMap((p, i) => [...(i > 0 ? lit(':') : []), ...atomsOfGlob(p, NO_COLON)]);
  return [...head, ...lit(':'), ...atomsOfGlob(parts.slice(4).join(':'), ANY)];
}

/**
 * Request ARNs of a type (policy/arn.ts, ram/arn.ts): OSS carries a region (never empty: the bucket's, or `*` for
 * ListBuckets), RAM none. So `acs:oss::*:b/*`, an empty region as in S3's ARNs, matches no OSS request: a Deny
 * written so would silently never apply, and is warned about like any resource of the wrong shape.
 */
function atomsOfType(t: ResourceType): Atom[] {
  const account = plus(NO_COLON);
  if (t.service === 'oss') {
    const head = [...lit('acs:oss:'), ...plus(NO_COLON), ...lit(':'), ...account, ...lit(':')];
    switch (t.kind) {
      case 'service':
        return [...head, ...lit('*')];
      case 'bucket':
        return [...head, ...plus(NO_SLASH_OR_COLON)];
      case 'object':
        return [...head, ...plus(NO_SLASH_OR_COLON), ...lit('/'), ...plus(ANY)];
      case 'accesspoint':
        return [...head, ...lit('accesspoint/'), ...plus(ANY)];
    }
  }
  if (t.service === 'kms') return [...lit('acs:kms:'), ...plus(NO_COLON), ...lit(':'), ...account, ...lit(':key/'), ...plus(ANY)];
  const head = [...lit('acs:ram::'), ...account, ...lit(':')];
  return t.kind === 'any' ? [...head, ...plus(ANY)] : [...head, ...lit(`${t.kind}/`), ...plus(ANY)];
}

function overlap(a: CharClass, b: CharClass): boolean {
  if ('lit' in a && 'lit' in b) return a.lit === b.lit;
  if ('lit' in a) return !(b as { not: string }).not.includes(a.lit);
  if ('lit' in b) return !a.not.includes(b.lit);
  return true; // two complements of finite sets always share a character
}

function globsIntersect(p: readonly Atom[], t: readonly Atom[]): boolean {
  const seen = new Set<number>();
  const width = t.length + 1;
  const stack: Array<[number, number]> = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const id = i * width + j;
    if (seen.has(id)) continue;
    seen.add(id);
    if (i === p.length && j === t.length) return true;
    const a = p[i];
    const b = t[j];
    if (a?.star) stack.push([i + 1, j]);
    if (b?.star) stack.push([i, j + 1]);
    if (a && b && overlap(a.cls, b.cls)) stack.push([a.star ? i : i + 1, b.star ? j : j + 1]);
  }
  return false;
}

/** Whether policy Resource `resource` matches at least one request ARN of type `t`. */
export function canMatch(resource: string, t: ResourceType): boolean {
  if (resource === '*') return true;
  return globsIntersect(atomsOfResource(resource), atomsOfType(t));
}
