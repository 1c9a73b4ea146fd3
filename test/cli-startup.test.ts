// The CLI's client commands start without loading the server: main.js's static imports reach neither server.js
// nor the drivers and libraries only the server uses. Loading them made every `alunite …` command take 0.8–1.0 s
// (330 modules) where 0.3 s does (docs/cli.md). A static walk of the compiled modules' import statements.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every module main.js-style static imports reach: relative files, and packages as `pkg:<name>`. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [normalize(entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.startsWith('pkg:')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) todo.push(normalize(join(dirname(file), spec)));
      else todo.push(`pkg:${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!}`);
    }
  }
  return seen;
}

const SERVER_ONLY = ['pkg:sharp', 'pkg:pg', 'pkg:better-sqlite3', 'pkg:jose', 'pkg:xml-crypto', 'pkg:prom-client', 'pkg:pino', 'pkg:busboy'];

describe('CLI start-up', () => {
  it('the walk finds what the server loads (so an empty answer below means something)', () => {
    // The stores are imported when opened (store/meta/open.ts), so the walk starts from them too.
    const server = new Set([...staticClosure(join(SRC, 'server.js')), ...staticClosure(join(SRC, 'store', 'meta', 'sqlite', 'store.js')), ...staticClosure(join(SRC, 'store', 'meta', 'postgres', 'store.js'))]);
    for (const p of SERVER_ONLY) assert.ok(server.has(p), p);
  });

  it('main.js reaches neither server.js nor the server\'s drivers and libraries', () => {
    const cli = staticClosure(join(SRC, 'cli', 'main.js'));
    assert.ok(cli.has(join(SRC, 'cli', 'policy-simulate.js')) && cli.has('pkg:commander'), 'the walk follows the commands');
    assert.ok(!cli.has(join(SRC, 'server.js')), 'server.js is imported by the server command\'s action only');
    assert.deepEqual(SERVER_ONLY.filter((p) => cli.has(p)), []);
    assert.ok(cli.size < 150, `${cli.size} modules`);
  });
});
