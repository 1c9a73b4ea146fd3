import { readFile } from 'node:fs/promises';
import type { PolicyKind } from '../policy/index.js';

/** A policy file's text, or the reason it cannot be read (reported like any invalid document). */
export async function readPolicyFile(file: string): Promise<{ text: string } | { error: string }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(err)}` };
  }
}

/**
 * The linter's warnings about a document about to be sent (`file:line:column: warning: … [Code]` on stderr): the
 * server is the judge of validity, but what is valid and cannot do what it says (no Principal in a bucket policy,
 * a trust principal that admits no one, an unknown action) is said before it takes effect. The policy engine is
 * imported here, by the commands that send a document, not with every `alunite ram|sts|oss` command line.
 */
export async function warnPolicyLint(file: string, text: string, kind: PolicyKind): Promise<void> {
  const { lintPolicy } = await import('../policy/index.js');
  for (const w of lintPolicy(text, kind).warnings) {
    process.stderr.write(`${file}${w.line !== undefined ? `:${w.line}:${w.column}` : ''}: warning: ${w.message} [${w.code}]\n`);
  }
}
