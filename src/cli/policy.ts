import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compilePolicy, DEFAULT_MAX_LENGTH, evaluate, parsePolicy, type CompiledPolicy, type PolicyKind } from '../policy/index.js';

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust', 'session'];

function kind(value: string): PolicyKind {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}.`);
  return value as PolicyKind;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A policy file's text, or the reason it cannot be read (reported like any invalid document). */
async function readPolicyFile(file: string): Promise<{ text: string } | { error: string }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(err)}` };
  }
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
        const read = await readPolicyFile(file);
        if ('error' in read) {
          results.push({ file, valid: false, error: read.error });
          continue;
        }
        const parsed = parsePolicy(read.text, o.kind);
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
        const read = await readPolicyFile(file);
        if ('error' in read) {
          print({ file, valid: false, error: read.error });
          process.exitCode = 1;
          return;
        }
        // The same length limit as validate (and the RAM API), so simulate never accepts what they refuse.
        const compiled = compilePolicy(read.text, o.kind, { label: basename(file), maxLength: DEFAULT_MAX_LENGTH[o.kind] });
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
