// docs/ram.md's RAM coverage table is generated (src/ram/coverage.ts) and kept true here; the operation
// list is the published metadata's (test/fixtures/ram-sts-api-operations.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RAM_PUBLISHED_OPERATIONS, ramCoverageSection, withRamCoverage } from '../src/ram/coverage.js';
import { isRamExtraAction } from '../src/rpc/ram-extra-actions.js';
import { isRamAction } from '../src/rpc/ram-actions.js';
import { RAM_ACTION_NAMES } from '../src/ram/actions.js';

const root = new URL('../../', import.meta.url);

test('the operation list is the metadata\'s RAM operations, in order', () => {
  const meta = JSON.parse(readFileSync(new URL('test/fixtures/ram-sts-api-operations.json', root), 'utf8')) as { services: { ram: Record<string, string[]> } };
  assert.deepEqual([...RAM_PUBLISHED_OPERATIONS], Object.keys(meta.services.ram));
  assert.equal(RAM_PUBLISHED_OPERATIONS.length, 66);
});

test("README's RAM operation count is the published list's", () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const m = /All (\d+) RAM operations of the published API answer/.exec(readme);
  assert.ok(m, 'the README names how many RAM operations answer');
  assert.equal(Number(m[1]), RAM_PUBLISHED_OPERATIONS.length);
});

test('docs/ram.md holds the generated coverage section', () => {
  const doc = readFileSync(new URL('docs/ram.md', root), 'utf8');
  assert.equal(doc, withRamCoverage(doc), 'run `node dist/src/ram/coverage.js --write docs/ram.md`');
  assert.ok(doc.includes(ramCoverageSection()));
});

test('every action of the RAM table is dispatched by one of the RPC tables', () => {
  for (const a of RAM_ACTION_NAMES) {
    if (a === 'ExplainRequest') continue;
    assert.ok(isRamAction(a) !== isRamExtraAction(a), a);
  }
});
