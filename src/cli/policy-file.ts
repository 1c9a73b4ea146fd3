import { readFile } from 'node:fs/promises';

/** A policy file's text, or the reason it cannot be read (reported like any invalid document). */
export async function readPolicyFile(file: string): Promise<{ text: string } | { error: string }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(err)}` };
  }
}
