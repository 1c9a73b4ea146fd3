import { Command, InvalidArgumentError } from 'commander';
import { lintPolicy, type LintFinding, type PolicyKind } from '../policy/index.js';
import { EXIT_SERVICE, run, usageExitCodes } from './output.js';
import { readPolicyFile } from './policy-file.js';
import { explainCommand, simulateCommand } from './policy-simulate.js';

const KINDS: readonly PolicyKind[] = ['identity', 'bucket', 'trust', 'session'];

function kind(value: string): PolicyKind {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}.`);
  return value as PolicyKind;
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
  const cmd = usageExitCodes(new Command('policy').description('validate policy documents and simulate decisions (no server needed); explain a server\'s decision by request id'));

  cmd
    .command('validate')
    .description('check policy documents: every grammar error (exit 1), and warnings for unknown actions, services and condition keys and resources the actions cannot act on')
    .argument('<file...>', 'policy JSON files')
    .option('--kind <kind>', 'identity (RAM policy) | bucket | trust | session', kind, 'identity')
    .option('--strict', 'warnings fail too (exit 1)')
    .option('--json', 'machine-readable report on stdout: {valid, errors, warnings, files}')
    .action(run(async (files: string[], o: { kind: PolicyKind; strict?: boolean; json?: boolean }, self: Command) => {
      // A bucket or trust policy checked as the default kind fails on its Principal: say which kind it is.
      const kindDefaulted = self.getOptionValueSource('kind') === 'default';
      const hints: string[] = [];
      const errors: FileFinding[] = [];
      const warnings: FileFinding[] = [];
      const results: Array<{ file: string; valid: boolean; errors: number; warnings: number }> = [];
      for (const file of files) {
        const read = await readPolicyFile(file);
        const report = 'error' in read
          ? { valid: false, errors: [{ code: 'Unreadable', message: read.error, path: '' }], warnings: [] }
          : lintPolicy(read.text, o.kind);
        if (kindDefaulted && !report.valid && !('error' in read)) {
          const fits = (['bucket', 'trust'] as const).find((k) => lintPolicy(read.text, k).valid);
          if (fits !== undefined) hints.push(`hint: ${file} is a valid ${fits} policy: validate it with --kind ${fits} (without --kind, a file is checked as a RAM identity policy)\n`);
        }
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
        for (const h of hints) process.stderr.write(h);
        for (const r of results) {
          const counts = [r.errors > 0 ? `${r.errors} error${r.errors === 1 ? '' : 's'}` : '', r.warnings > 0 ? `${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : ''].filter((c) => c !== '');
          process.stdout.write(`${r.file}: ${r.valid ? 'valid' : 'invalid'}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}\n`);
        }
      }
      if (!valid) process.exitCode = EXIT_SERVICE;
    }));

  cmd.addCommand(simulateCommand());
  cmd.addCommand(explainCommand());

  return cmd;
}
