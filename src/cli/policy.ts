import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compilePolicy, DEFAULT_MAX_LENGTH, evaluate, lintPolicy, type CompiledPolicy, type LintFinding, type PolicyKind } from '../policy/index.js';
import { EXIT_SERVICE, run, usageExitCodes } from './output.js';

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

type FileFinding = LintFinding & { file: string };

/** `file:line:column: warning: message [Code] (Sid "x")`, as compilers write them. */
function findingLine(f: FileFinding, severity: 'error' | 'warning'): string {
  const at = f.line !== undefined ? `${f.file}:${f.line}:${f.column}` : f.file;
  const sid = f.sid !== undefined ? ` (Sid ${JSON.stringify(f.sid)})` : '';
  return `${at}: ${severity}: ${f.message}${sid} [${f.code}]\n`;
}

/**
 * `alunite policy validate|simulate`: the policy engine without a server, so a policy can be checked
 * and a decision explained before anything is attached. validate: readable findings, or JSON with `--json`;
 * exit 0 valid, 1 invalid (or a warning with --strict), 2 usage error.
 */
export function policyCommand(): Command {
  const cmd = usageExitCodes(new Command('policy').description('validate policy documents and simulate decisions (no server needed)'));

  cmd
    .command('validate')
    .description('check policy documents: every grammar error (exit 1), and warnings for unknown actions, services and condition keys and resources the actions cannot act on')
    .argument('<file...>', 'policy JSON files')
    .option('--kind <kind>', 'identity (RAM policy) | bucket | trust | session', kind, 'identity')
    .option('--strict', 'warnings fail too (exit 1)')
    .option('--json', 'machine-readable report on stdout: {valid, errors, warnings, files}')
    .action(run(async (files: string[], o: { kind: PolicyKind; strict?: boolean; json?: boolean }) => {
      const errors: FileFinding[] = [];
      const warnings: FileFinding[] = [];
      const results: Array<{ file: string; valid: boolean; errors: number; warnings: number }> = [];
      for (const file of files) {
        const read = await readPolicyFile(file);
        const report = 'error' in read
          ? { valid: false, errors: [{ code: 'Unreadable', message: read.error, path: '' }], warnings: [] }
          : lintPolicy(read.text, o.kind);
        errors.push(...report.errors.map((f) => ({ file, ...f })));
        warnings.push(...report.warnings.map((f) => ({ file, ...f })));
        const valid = report.valid && !(o.strict === true && report.warnings.length > 0);
        results.push({ file, valid, errors: report.errors.length, warnings: report.warnings.length });
      }
      const valid = results.every((r) => r.valid);
      if (o.json) {
        print({ valid, errors, warnings, files: results });
      } else {
        // Findings on stderr (file:line:column, as compilers write them), one verdict per file on stdout.
        for (const f of errors) process.stderr.write(findingLine(f, 'error'));
        for (const f of warnings) process.stderr.write(findingLine(f, 'warning'));
        for (const r of results) {
          const counts = [r.errors > 0 ? `${r.errors} error${r.errors === 1 ? '' : 's'}` : '', r.warnings > 0 ? `${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : ''].filter((c) => c !== '');
          process.stdout.write(`${r.file}: ${r.valid ? 'valid' : 'invalid'}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}\n`);
        }
      }
      if (!valid) process.exitCode = EXIT_SERVICE;
    }));

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
