// test/helpers/test-plan.ts: which files share a test process, and the order processes start in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownProcessReasons, planUnits } from './helpers/test-plan.js';

const plain = "import { it } from 'node:test';\nit('x', () => {});\n";

describe('test plan', () => {
  it('keeps a file that touches the process in a process of its own', () => {
    assert.deepEqual(ownProcessReasons(plain), []);
    for (const src of [
      "before(async () => { srv = await start(); });\n",
      "process.env.ALUNITE_X = '1';\n",
      "process.env['ALUNITE_X'] = '1';\n",
      'delete process.env.HOME;\n',
      "process.on('exit', () => {});\n",
      'const m = process.memoryUsage();\n',
      `it('x', { ${'only'}: true }, () => {});\n`, // written so that this file does not itself read as using `only`
      "import { testPostgres } from './helpers/postgres.js';\n",
      '// test-runner: alone\n',
    ]) assert.notDeepEqual(ownProcessReasons(plain + src), [], src);
    // Reading the environment, or a hook inside a describe, is fine.
    assert.deepEqual(ownProcessReasons(`${plain}const v = process.env.X === '1';\ndescribe('d', () => {\n  before(() => {});\n});\n`), []);
  });

  it('shares files up to the weight and count limits, in name order, and starts the heaviest first', () => {
    const weights = new Map([['a.test.js', 4], ['b.test.js', 4], ['c.test.js', 4], ['d.test.js', 30], ['e.test.js', 1], ['f.test.js', 2]]);
    const files = ['f', 'e', 'd', 'c', 'b', 'a', 'g'].map((n) => ({ name: `${n}.test.js`, source: plain }));
    files.push({ name: 'h.test.js', source: `${plain}process.env.X = '2';\n` });
    const units = planUnits(files, { weights, shareUpTo: 10, maxShared: 2 });
    assert.deepEqual(units.map((u) => u.files), [
      ['d.test.js'], // heavier than a shared process takes
      ['a.test.js', 'b.test.js'], // 8: the count limit
      ['f.test.js', 'g.test.js'], // 6: g was never measured, so the median (4)
      ['c.test.js', 'e.test.js'], // 5: d, between them, went alone
      ['h.test.js'], // sets the environment; the median
    ]);
    assert.deepEqual(units.map((u) => u.weight), [30, 8, 6, 5, 4]);
    // The weight limit: 4 + 4 + 4 > 10.
    assert.deepEqual(planUnits(files.slice(3, 6), { weights, shareUpTo: 10, maxShared: 8 }).map((u) => u.files), [['a.test.js', 'b.test.js'], ['c.test.js']]);
    // Every file once.
    assert.deepEqual(units.flatMap((u) => u.files).sort(), files.map((f) => f.name).sort());
  });

  it('counts the test files a file imports in its weight (the timings name tests after the file defining them)', () => {
    const weights = new Map([['suite.test.js', 20], ['other.test.js', 6], ['pg-suite.test.js', 0.3], ['x.test.js', 1]]);
    const pg = `process.env.ALUNITE_TEST_META = 'postgres';\nawait import('./suite.test.js');\nawait import("./other.test.js");\n`;
    const units = planUnits([{ name: 'x.test.js', source: plain }, { name: 'pg-suite.test.js', source: pg }], { weights, shareUpTo: 25, maxShared: 8 });
    assert.deepEqual(units.map((u) => [u.files, u.weight]), [[['pg-suite.test.js'], 26.3], [['x.test.js'], 1]]);
  });

  it('gives every file its own process when nothing may be shared', () => {
    const files = ['a', 'b', 'c'].map((n) => ({ name: `${n}.test.js`, source: plain }));
    const units = planUnits(files, { weights: new Map(), shareUpTo: 0, maxShared: 1 });
    assert.deepEqual(units.map((u) => u.files), [['a.test.js'], ['b.test.js'], ['c.test.js']]);
  });
});
