// The failing tests of a `node --test` TAP stream, to repeat them after the counts (a CI log often keeps only its
// last lines, and the runner prints a failure where its file's output falls, hundreds of lines up).

/**
 * Collects each failing test's TAP block (`not ok` and its YAML, where the location and error are) as the runner
 * prints them, leaving out suites that failed only because a test in them did.
 */
export class FailureCollector {
  private rest = '';
  private current: { indent: string; lines: string[] } | null = null;
  private readonly blocks: string[][] = [];
  private count = 0;

  push(text: string): void {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (this.current) {
      if (this.current.lines.length < 60) this.current.lines.push(line);
      if (line === `${this.current.indent}  ...`) {
        const block = this.current.lines;
        this.current = null;
        if (!block.some((l) => l.includes("failureType: 'subtestsFailed'"))) {
          this.count++;
          if (this.blocks.length < 20) this.blocks.push(block);
        }
      }
      return;
    }
    const m = /^(\s*)not ok \d+ - /.exec(line);
    if (m) this.current = { indent: m[1] ?? '', lines: [line] };
  }

  summary(): string {
    if (this.count === 0) return '';
    const shown = this.count > this.blocks.length ? ` (the first ${this.blocks.length} shown)` : '';
    const out = [`# failing tests: ${this.count}${shown}`];
    for (const block of this.blocks) {
      const indent = (block[0] ?? '').length - (block[0] ?? '').trimStart().length;
      for (const l of block) out.push(`#   ${l.slice(Math.min(indent, l.length - l.trimStart().length))}`);
    }
    return out.join('\n') + '\n';
  }
}
