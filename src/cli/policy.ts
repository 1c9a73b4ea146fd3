import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { parsePolicy, type PolicyKind } from '../policy/index.js';
import { simulateCommand } from './policy-simulate.js';

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust', 'session'];

function kind(value: string): PolicyKind {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}.`);
  return value as PolicyKind;
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

  cmd.addCommand(simulateCommand());

  return cmd;
}
