// How `npm test` lays the suite's files out over its test processes (test/run.ts).
//
// A test process costs about a CPU second before its first test ends (node, the test runner, importing the server's
// ~430 modules, ali-oss): over 300 files that was a sixth of the suite's CPU. Files that leave no process-wide
// state behind therefore share a process, a few at a time, their tests run one after another as they would alone; a
// file that touches the process (environment, hooks on the root test, exit handlers, memory or CPU measured, `only`)
// or says `// test-runner: alone` keeps one of its own. The processes then start longest first, so that the two
// running at the end are short ones.

/** What makes a file need a process of its own, read from its compiled source. */
const OWN_PROCESS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(before|after|beforeEach|afterEach)\(/m, 'hooks on the root test'],
  [/process\.env(\.[A-Za-z_$][\w$]*|\[[^\]]+\])\s*=[^=]|delete process\.env/, 'sets the environment'],
  [/process\.(chdir|umask|on|once|exit|exitCode|setUncaughtExceptionCaptureCallback)\b|memoryUsage|\bgc\(\)|getActiveResources|\bmock\.|\/proc\/self/, 'process state'],
  [/only:\s*true|\.only\(/, '`only`'],
  [/helpers\/(heap-probe|loop-turns|cpu-time|soak|postgres)\.js/, 'measures its process, or PostgreSQL'],
  [/\/\/ test-runner: alone/, 'asks to'],
];

/** Why `source` needs a process of its own; empty when it may share one. */
export function ownProcessReasons(source: string): string[] {
  return OWN_PROCESS.filter(([re]) => re.test(source)).map(([, why]) => why);
}

/** The test files `source` imports (`import('./x.test.js')`), as names in its own folder. */
export function importedTestFiles(source: string): string[] {
  return [...source.matchAll(/\bimport\(\s*['"]\.\/([\w.-]+\.test\.js)['"]\s*\)/g)].map((m) => m[1]!);
}

export interface TestUnit {
  /** The files one process runs, in this order. */
  readonly files: string[];
  /** Their measured seconds, summed (the order the units start in). */
  readonly weight: number;
}

export interface PlanOptions {
  /** Seconds a file took when last measured; files missing get the median. */
  readonly weights: ReadonlyMap<string, number>;
  /** A shared process takes files until their weights reach this. */
  readonly shareUpTo: number;
  /** …or it holds this many files. */
  readonly maxShared: number;
}

/**
 * Units for `files` (each with its source): the files that may share, in name order, cut into runs of at most
 * `shareUpTo` seconds and `maxShared` files (a file heavier than that alone); every other file alone. Heaviest first.
 */
export function planUnits(files: ReadonlyArray<{ name: string; source: string }>, o: PlanOptions): TestUnit[] {
  const known = [...o.weights.values()].sort((a, b) => a - b);
  const median = known.length > 0 ? known[Math.floor(known.length / 2)]! : 1;
  // A file that imports other test files (the PostgreSQL runs of SQLite suites) runs their tests again, but the
  // timings name a test after the file that defines it: that file's weight holds both runs, this one's neither.
  // Both then count the imported weights (an over-estimate, which only starts them earlier).
  const sources = new Map(files.map((f) => [f.name, f.source]));
  const weightOf = (name: string): number =>
    (o.weights.get(name) ?? median) + importedTestFiles(sources.get(name) ?? '').reduce((sum, f) => sum + (o.weights.get(f) ?? median), 0);
  const units: TestUnit[] = [];
  let open: string[] = [];
  let openWeight = 0;
  const close = (): void => {
    if (open.length > 0) units.push({ files: open, weight: openWeight });
    open = [];
    openWeight = 0;
  };
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const w = weightOf(f.name);
    if (ownProcessReasons(f.source).length > 0 || w >= o.shareUpTo) {
      units.push({ files: [f.name], weight: w });
      continue;
    }
    if (open.length >= o.maxShared || openWeight + w > o.shareUpTo) close();
    open.push(f.name);
    openWeight += w;
  }
  close();
  // Stable: equal weights keep name order.
  return units.map((u, i) => ({ u, i })).sort((a, b) => b.u.weight - a.u.weight || a.i - b.i).map(({ u }) => u);
}
