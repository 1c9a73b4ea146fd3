import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compilePolicy, evaluate, parsePolicy, type CompiledPolicy, type PolicyKind } from '../policy/index.js';

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust', 'session'];

function kind(value: string): PolicyKind {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}.`);
  return value as PolicyKind;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function print(out: unknown): void {
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

/**
 * `alunite policy validate|simulate`: the policy engine without a server, so a policy can be checked
 * and a decision explained before anything is attached. Output is JSON for scripts.
 */
export function policyCommand(): Command {
  const cmd = new Command('policy').description('validate policy documents and simulate decisions (no server needed)');

  cmd
    .command('validate')
    .description('check policy documents against the grammar; exit 1 if any is invalid')
    .argument('<file...>', 'policy JSON files')
    .option('--kind <kind>', 'identity (RAM policy) | bucket | trust | session', kind, 'identity')
    .action(async (files: string[], o: { kind: PolicyKind }) => {
      const results = [];
      for (const file of files) {
        const parsed = parsePolicy(await readFile(file, 'utf8'), o.kind);
        results.push(parsed.ok ? { file, valid: true } : { file, valid: false, error: parsed.error.message, path: parsed.error.path });
      }
      print(files.length === 1 ? results[0] : results);
      if (results.some((r) => !r.valid)) process.exitCode = 1;
    });

  cmd
    .command('simulate')
    .description('evaluate policies for one request: {decision, matched, reasons}')
    .requiredOption('--policy <file>', 'an identity policy file (repeatable)', collect, [])
    .requiredOption('--action <action>', 'e.g. oss:GetObject')
    .requiredOption('--resource <arn>', 'e.g. acs:oss:cn-hangzhou:1234567890123456:bucket/key')
    .option('--kind <kind>', 'kind of the policies', kind, 'identity')
    .option('--context <key=value>', 'a condition key, e.g. acs:SourceIp=10.0.0.1 (repeatable; repeat a key for several values)', collect, [])
    .action(async (o: { policy: string[]; action: string; resource: string; kind: PolicyKind; context: string[] }) => {
      const policies: CompiledPolicy[] = [];
      for (const file of o.policy) {
        const compiled = compilePolicy(await readFile(file, 'utf8'), o.kind, { label: basename(file) });
        if (!compiled.ok) {
          print({ file, valid: false, error: compiled.error.message, path: compiled.error.path });
          process.exitCode = 1;
          return;
        }
        policies.push(compiled.policy);
      }
      const context: Record<string, string | string[]> = {};
      for (const pair of o.context) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new InvalidArgumentError(`--context expects key=value, got "${pair}"`);
        const k = pair.slice(0, eq);
        const v = pair.slice(eq + 1);
        const prev = context[k];
        context[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
      }
      const result = evaluate(policies, { action: o.action, resource: o.resource, context });
      print({ decision: result.decision, matched: result.matched, reasons: result.reasons });
    });

  return cmd;
}
