import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  compilePolicy,
  DEFAULT_MAX_LENGTH,
  evaluate,
  explainPolicyLayers,
  explainPolicySet,
  CompiledPolicy,
  type DecisionTrace,
  type LayerTrace,
  type PolicyKind,
  type StatementTrace,
  unknownActionNote,
} from '../policy/index.js';
import { markExplainCommand, printJson, remote, run, UsageError } from './output.js';
import { explainText, simulateText } from './trace-text.js';
import { readPolicyFile } from './policy-file.js';
import { popContext, RAM_VERSION } from './pop.js';
import type { ConnectionFlags } from './profile.js';

// `alunite policy simulate`: one request against policy files (no server), or against a named user or
// role of a running server (SimulatePrincipalPolicy). Both print {decision, matched, reasons, trace}:
// `trace` has every layer in evaluation order with each statement's failing part (docs/policy.md).

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust', 'session'];

interface SimulateOptions extends ConnectionFlags {
  policy: string[];
  sessionPolicy?: string;
  action: string;
  resource: string;
  kind: PolicyKind;
  context: string[];
  user?: string;
  role?: string;
  json?: boolean;
}

/** Readable text on a terminal; JSON with --json or when stdout is a pipe or a file (what scripts read). */
function readable(o: { json?: boolean }): boolean {
  return o.json !== true && process.stdout.isTTY === true;
}

/** A policy file that does not compile: the JSON document, or one line on stderr on a terminal. */
function printInvalid(o: { json?: boolean }, c: Record<string, unknown>): void {
  if (!readable(o)) return printJson(c);
  const at = typeof c.path === 'string' && c.path !== '' ? ` (at ${c.path})` : '';
  process.stderr.write(`error: ${String(c.file)}: ${String(c.error)}${at}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Compiled, with the same length limit as validate and the RAM API; or the {file, valid, error} to print. */
async function compileFile(file: string, kind: PolicyKind): Promise<CompiledPolicy | Record<string, unknown>> {
  const read = await readPolicyFile(file);
  if ('error' in read) return { file, valid: false, error: read.error };
  const compiled = compilePolicy(read.text, kind, { label: basename(file), maxLength: DEFAULT_MAX_LENGTH[kind] });
  return compiled.ok ? compiled.policy : { file, valid: false, error: compiled.error.message, path: compiled.error.path };
}

function parseContext(pairs: readonly string[]): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--context expects key=value, got "${pair}"`);
    const k = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    const prev = context[k];
    context[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
  }
  return context;
}

/** The deciding layer's reason first when another layer than the identity policies decided. */
function reasonsWith(trace: DecisionTrace, identityReasons: readonly string[]): string[] {
  const deciding = trace.layers.find((l) => l.layer === trace.decidingLayer);
  return deciding && deciding.layer !== 'identity' ? [`${deciding.layer}: ${deciding.reason}`, ...identityReasons] : [...identityReasons];
}

// ---------------------------------------------------------------------------------------------
// The wire form (rpc/trace-wire.ts) back to the trace, so both modes print the same structure.

type Wire = Record<string, unknown>;
const items = (v: unknown, key: string): Wire[] => {
  const inner = (v as Wire | undefined)?.[key];
  return Array.isArray(inner) ? (inner as Wire[]) : inner === undefined ? [] : [inner as Wire];
};
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function traceFromWire(w: Wire): DecisionTrace {
  const layers: LayerTrace[] = items(w.Layers, 'Layer').map((l) => {
    const policy = str(l.DecidingPolicy);
    return {
      layer: String(l.Name) as LayerTrace['layer'],
      verdict: String(l.Verdict) as LayerTrace['verdict'],
      reason: String(l.Reason ?? ''),
      policies: items(l.Policies, 'Policy').map((p) => ({
        name: String(p.Name),
        verdict: String(p.Verdict) as 'Allow' | 'ExplicitDeny' | 'NoMatch',
        statements: items(p.Statements, 'Statement').map((s): StatementTrace => {
          const conditions = items(s.Conditions, 'Condition').map((c) => ({
            key: String(c.Key),
            operator: String(c.Operator),
            expected: ([] as unknown[]).concat((c.Expected as Wire | undefined)?.Value ?? []).map(String),
            actual: c.Actual === undefined ? null : ([] as unknown[]).concat((c.Actual as Wire).Value).map(String),
          }));
          return {
            index: Number(s.Index),
            ...(s.Sid !== undefined ? { sid: String(s.Sid) } : {}),
            effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
            applied: s.Applied === true || s.Applied === 'true',
            ...(s.FailedPart !== undefined ? { failed: String(s.FailedPart) as NonNullable<StatementTrace['failed']> } : {}),
            ...(conditions.length > 0 ? { conditions } : {}),
          };
        }),
      })),
      ...(policy !== undefined ? { deciding: { policy, statement: Number(l.DecidingStatementIndex) } } : {}),
    };
  });
  const decidingLayer = str(w.DecidingLayer);
  return {
    action: String(w.Action),
    resource: String(w.Resource),
    decision: String(w.Decision) as DecisionTrace['decision'],
    ...(decidingLayer !== undefined ? { decidingLayer: decidingLayer as LayerTrace['layer'] } : {}),
    layers,
  };
}

async function fromFiles(o: SimulateOptions, kindDefaulted: boolean): Promise<void> {
  if (o.policy.length === 0 && o.sessionPolicy === undefined) throw new UsageError('give --policy <file> (and --session-policy <file>), or --user <name> / --role <name> for a principal of a running server');
  const policies: CompiledPolicy[] = [];
  for (const file of o.policy) {
    const c = await compileFile(file, o.kind);
    if (!(c instanceof CompiledPolicy)) {
      printInvalid(o, c);
      // A bucket or trust policy given without --kind fails on its Principal: say which kind it is.
      if (kindDefaulted) {
        for (const k of ['bucket', 'trust'] as const) {
          if ((await compileFile(file, k)) instanceof CompiledPolicy) {
            process.stderr.write(`hint: ${file} is a valid ${k} policy: give --kind ${k} (without --kind, --policy files are RAM identity policies)\n`);
            break;
          }
        }
      }
      process.exitCode = 1;
      return;
    }
    policies.push(c);
  }
  let sessionPolicy: CompiledPolicy | null = null;
  if (o.sessionPolicy !== undefined) {
    if (o.kind !== 'identity') throw new UsageError('--session-policy combines with identity policies (--kind identity)');
    const c = await compileFile(o.sessionPolicy, 'session');
    if (!(c instanceof CompiledPolicy)) {
      printInvalid(o, c);
      process.exitCode = 1;
      return;
    }
    sessionPolicy = c;
  }
  const context = parseContext(o.context);
  // Every signed RAM caller has acs:MFAPresent, false unless a console sign-in proved a code (docs/policy.md): so
  // here too unless --context says otherwise. Before, it was missing, and a "Deny without MFA" never applied.
  if (o.kind === 'identity' && !Object.keys(context).some((k) => k.toLowerCase() === 'acs:mfapresent')) context['acs:MFAPresent'] = 'false';
  const request = { action: o.action, resource: o.resource, context };
  const result = evaluate(policies, request);
  if (o.kind === 'identity') {
    // A role's policies with a session policy: the session policy gates (their intersection), as STS does.
    const trace = explainPolicyLayers({ identityPolicies: policies, sessionPolicy, request });
    const out = { decision: trace.decision, matched: result.matched, reasons: reasonsWith(trace, result.reasons), trace };
    if (readable(o)) process.stdout.write(simulateText(out));
    else printJson(out);
    return;
  }
  // Policies of another kind: that one layer, as written.
  const set = explainPolicySet(policies, request);
  const layer: LayerTrace = { layer: o.kind === 'bucket' ? 'bucket' : o.kind === 'trust' ? 'trust' : 'session', verdict: set.verdict, reason: `The ${o.kind} policies given, evaluated as one set.`, policies: set.policies, ...(set.deciding ? { deciding: set.deciding } : {}) };
  const trace: DecisionTrace = { action: o.action, resource: o.resource, decision: result.decision, decidingLayer: layer.layer, layers: [layer] };
  const out = { decision: result.decision, matched: result.matched, reasons: result.reasons, trace };
  if (readable(o)) process.stdout.write(simulateText(out));
  else printJson(out);
}

async function forPrincipal(o: SimulateOptions): Promise<void> {
  if (o.user !== undefined && o.role !== undefined) throw new UsageError('give --user or --role, not both');
  if (o.policy.length > 0) throw new UsageError('--policy files and a named principal (--user/--role) do not combine: the server has the principal\'s policies');
  if (o.user !== undefined && o.sessionPolicy !== undefined) throw new UsageError('--session-policy applies to a role (--role)');
  let sessionPolicy: string | undefined;
  if (o.sessionPolicy !== undefined) {
    const read = await readPolicyFile(o.sessionPolicy);
    if ('error' in read) throw new UsageError(read.error);
    sessionPolicy = read.text;
  }
  const ram = await popContext(o, RAM_VERSION);
  const body = await ram.call('SimulatePrincipalPolicy', {
    ...(o.user !== undefined ? { UserName: o.user } : { RoleName: o.role! }),
    ActionName: o.action,
    Resource: o.resource,
    Context: JSON.stringify(parseContext(o.context)),
    ...(sessionPolicy !== undefined ? { SessionPolicy: sessionPolicy } : {}),
  });
  const r = (body.EvaluationResult ?? {}) as Wire;
  const out = {
    decision: r.Decision,
    identityDecision: r.IdentityDecision,
    matched: items(r.MatchedStatements, 'Statement').map((m) => ({ policy: m.PolicyName, statement: m.StatementIndex, effect: m.Effect })),
    reasons: items({ R: (r.Reasons as Wire | undefined)?.Reason }, 'R').map(String),
    trace: r.Trace === undefined ? undefined : traceFromWire(r.Trace as Wire),
  };
  if (readable(o)) process.stdout.write(simulateText(out));
  else printJson(out);
}

/**
 * The request must name an action and a resource as a request carries them: `service:Action` and an ARN
 * (`acs:oss:<region>:<account>:<bucket>/<key>`). Anything else matched no statement and came back as a
 * plain ImplicitDeny, as if the policy were at fault. An action Alunite does not know is a warning on stderr (the simulation still runs: a policy may name it).
 */
function checkRequest(o: SimulateOptions): void {
  const colon = o.action.indexOf(':');
  if (colon <= 0 || colon === o.action.length - 1 || /[*?\s]/.test(o.action)) {
    throw new UsageError(`--action expects one action as service:Name, e.g. oss:GetObject, got ${JSON.stringify(o.action)}`);
  }
  if (!/^acs:[^:]+:[^:]*:[^:]*:./.test(o.resource)) {
    throw new UsageError(
      `--resource expects an ARN, acs:<service>:<region>:<account>:<resource>, e.g. acs:oss:cn-hangzhou:1000000000000001:my-bucket/key ` +
        `(an object), acs:oss:cn-hangzhou:1000000000000001:my-bucket (a bucket) or acs:ram::1000000000000001:role/name; got ${JSON.stringify(o.resource)}`,
    );
  }
  const note = unknownActionNote(o.action);
  if (note !== null) process.stderr.write(`warning: ${note}\n`);
  // A request names one resource: a `*` or `?` in it is a character of that name (an object key may hold one), which
  // a policy's `bucket/*` matches like any other. A user writing `bucket/*` to ask "every key" would read an Allow
  // as covering all keys, while a statement for `bucket/private/*` is never consulted for it.
  const wild = o.resource.search(/[*?]/);
  if (wild >= 0) {
    process.stderr.write(
      `warning: --resource names one resource: its ${JSON.stringify(o.resource[wild])} is a literal character of that name, not a wildcard; ` +
        `the decision is for that one resource, not for every resource it would match in a policy (simulate a sample key instead)\n`,
    );
  }
}

export function simulateCommand(): Command {
  const cmd = new Command('simulate')
    .description('the decision for one request, layer by layer: from policy files, or for a user/role of a running server (--user/--role)')
    .option('--policy <file>', 'an identity policy file (repeatable)', collect, [])
    .option('--session-policy <file>', 'a session policy (STS AssumeRole Policy): intersected with the role\'s policies')
    .requiredOption('--action <action>', 'e.g. oss:GetObject')
    .requiredOption('--resource <arn>', 'e.g. acs:oss:cn-hangzhou:1234567890123456:bucket/key')
    .addOption(new Option('--kind <kind>', 'kind of the --policy files').choices(KINDS).default('identity'))
    .option('--context <key=value>', 'a condition key, e.g. acs:SourceIp=10.0.0.1 (repeatable; repeat a key for several values)', collect, [])
    .option('--user <name>', 'simulate this RAM user of the server (its own and its groups\' policies, the live bucket policies and ACLs)')
    .option('--role <name>', 'simulate this role of the server (with --session-policy: a session of it)');
  remote(cmd);
  cmd.action(
    run(async () => {
      const o = cmd.opts<SimulateOptions>();
      checkRequest(o);
      await (o.user !== undefined || o.role !== undefined ? forPrincipal(o) : fromFiles(o, cmd.getOptionValueSource('kind') === 'default'));
    }),
  );
  return cmd;
}

/**
 * `alunite policy explain <RequestId>`: why the server decided a request it answered (ExplainRequest, the
 * Alunite extension of RAM), with the same layered trace as simulate. The id is the one an error printed
 * (`(RequestId: …)`), OSS or RAM/STS; the server remembers its last 10,000 requests (docs/policy.md).
 */
export function explainCommand(): Command {
  const cmd = new Command('explain')
    .description('why a running server allowed or refused a request: the decision of the RequestId an error printed, layer by layer (ExplainRequest)')
    .argument('<request-id>', 'the RequestId of an OSS, RAM or STS answer, e.g. from "error: AccessDenied: … (RequestId: …)"');
  remote(cmd);
  cmd.action(
    run(async (requestId: string) => {
      const o = cmd.opts<ConnectionFlags & { json?: boolean }>();
      markExplainCommand();
      const ram = await popContext(o, RAM_VERSION);
      const body = await ram.call('ExplainRequest', { RequestId: requestId });
      const r = (body.Request ?? {}) as Wire;
      const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));
      const out = {
        requestId: r.RequestId,
        time: r.Time,
        principal: r.Principal,
        sourceIp: r.SourceIp,
        action: r.Action,
        resource: r.Resource,
        decision: r.Decision ?? null,
        layer: r.Layer,
        policy: r.Policy,
        statementIndex: num(r.StatementIndex),
        statement: r.Statement,
        status: num(r.Status),
        errorCode: r.ErrorCode,
        message: r.Message,
        trace: r.Trace === undefined ? undefined : traceFromWire(r.Trace as Wire),
      };
      if (readable(o)) process.stdout.write(explainText(out));
      else printJson(out);
    }),
  );
  return cmd;
}
