#!/usr/bin/env node
// Generates test/fixtures/api-fuzz-shapes.json, the input shapes test/fuzz-catalog.test.ts mutates: for each of
// the 162 OSS operations its parameters (place, type, enum) and its XML body as a tree of element names and
// value types ($refs resolved); for each RAM and STS action its parameters and their types.
//
//   node scripts/gen-fuzz-shapes.mjs <dir holding oss-2019-05-17.schemas.json, ram-…, sts-…>
//
// The metadata is not in the repository; the fixture is, so the test runs from a plain clone.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? '/work/shared/spec/api-docs';
const OUT = join(root, 'test/fixtures/api-fuzz-shapes.json');

const read = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

/** A schema as a compact shape: 's' | 'i' | 'b' | {e: [enum]} | {a: shape} | {o: {name: shape}}; recursion cut at depth 8. */
function shapeOf(schema, schemas, depth = 0) {
  if (schema === undefined || depth > 8) return 's';
  if (schema.$ref !== undefined) return shapeOf(schemas[schema.$ref.split('/').pop()], schemas, depth + 1);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return { e: schema.enum.map(String) };
  switch (schema.type) {
    case 'integer':
    case 'number':
      return 'i';
    case 'boolean':
      return 'b';
    case 'array':
      return { a: shapeOf(schema.items, schemas, depth + 1) };
    case 'object': {
      const o = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) o[k] = shapeOf(v, schemas, depth + 1);
      return { o };
    }
    default:
      return 's';
  }
}

const oss = read('oss-2019-05-17.schemas.json');
const ossSchemas = oss.components.schemas;
const ossOps = {};
for (const [name, api] of Object.entries(oss.apis)) {
  const params = [];
  let body;
  for (const p of api.parameters ?? []) {
    if (p.in === 'body') {
      const props = Object.entries(p.schema?.properties ?? {});
      if (p.style === 'xml' && props.length === 1) body = { root: props[0][0], shape: shapeOf(props[0][1], ossSchemas) };
      else if (p.schema?.$ref !== undefined) body = { root: p.schema.$ref.split('/').pop(), shape: shapeOf(p.schema, ossSchemas) };
      else body = 'raw';
      continue;
    }
    if (p.in === 'host') continue;
    params.push({ name: p.name, in: p.in, type: shapeOf(p.schema, ossSchemas) });
  }
  ossOps[name] = body === undefined ? { params } : { params, body };
}

function popActions(file) {
  const m = read(file);
  const out = {};
  for (const [name, api] of Object.entries(m.apis)) {
    out[name] = (api.parameters ?? []).map((p) => ({ name: p.name, type: shapeOf(p.schema, m.components?.schemas ?? {}) }));
  }
  return out;
}

const fixture = {
  source: 'Alibaba Cloud API metadata: OSS 2019-05-17, RAM 2015-05-01, STS 2015-04-01 (api-docs schemas snapshot)',
  oss: ossOps,
  ram: popActions('ram-2015-05-01.schemas.json'),
  sts: popActions('sts-2015-04-01.schemas.json'),
};
writeFileSync(OUT, `${JSON.stringify(fixture)}\n`);
console.log(`wrote ${OUT}: ${Object.keys(ossOps).length} OSS operations, ${Object.keys(fixture.ram).length} RAM and ${Object.keys(fixture.sts).length} STS actions`);
