// route()'s short cut for plain object requests (GetObject, HeadObject, PutObject, DeleteObject without a query) must
// give exactly what the full routing gives: the same Operation, checks included, or the same error. Compared here on
// generated requests: every method, every addressing, every header the routing reads, and queries naming each
// sub-resource of the API metadata, the unpublished ones and the SDKs' signed ones.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATALOG } from '../src/oss/catalog.js';
import {
  PLAIN_OBJECT_METHODS, plainObjectRoute, route, routeBySubresources, UNPUBLISHED_SUBRESOURCES, type Operation, type RouteInput,
} from '../src/oss/operations.js';
import { LEGACY_V1_SUB_RESOURCES, SUB_RESOURCES } from '../src/auth/signature/request.js';
import { mulberry32 } from './helpers/seeded-random.js';

/** Every query key anything names: the metadata's sub-resources and parameters, the unpublished and signed ones. */
const KEYS: string[] = [...new Set([
  ...CATALOG.flatMap((op) => [...op.subresources.map(([k]) => k), ...op.requiredQuery, ...op.query]),
  ...UNPUBLISHED_SUBRESOURCES, ...SUB_RESOURCES, ...LEGACY_V1_SUB_RESOURCES,
  'versionId', 'x-oss-process', 'style', 'styleName', 'agenticBucket', 'comp', 'foo', 'x-param-null', 't',
])];
/** Every header the routing reads, with values that pass or fail its checks. */
const HEADERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ...[...new Set(CATALOG.flatMap((op) => op.requiredHeaders))].map((h) => [h, ['x', 'private']] as const),
  ['x-oss-copy-source', ['/b/src', '/b/src?versionId=v1', 'bad']],
  ['x-oss-tagging', ['a=b']],
  ['x-oss-object-acl', ['private']],
  ['x-oss-tagging-directive', ['Replace', 'Copy']],
  ['x-oss-callback', ['e30=']],
  ['content-type', ['multipart/form-data; boundary=x', 'text/plain']],
];
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'get'];
const ADDRESSES: ReadonlyArray<RouteInput['address']> = [
  { style: 'service', bucket: null, key: null },
  { style: 'path', bucket: 'b', key: null },
  { style: 'virtual-hosted', bucket: 'b', key: null },
  { style: 'path', bucket: 'b', key: 'k' },
  { style: 'virtual-hosted', bucket: 'b', key: 'dir/k?x=1' },
  { style: 'cname', bucket: 'b', key: 'k!style' },
  { style: 'path', bucket: 'b', key: ' ' },
];
const VALUES = ['', '1', '2', 'x', 'callback', 'add', 'csv/select', 'v1', '0'];

function inputOf(method: string, address: RouteInput['address'], query: Array<[string, string]>, headers: Record<string, string>): RouteInput {
  return {
    method,
    address,
    query: new Map(query),
    copySource: headers['x-oss-copy-source'],
    contentType: headers['content-type'],
    callback: headers['x-oss-callback'] !== undefined,
    objectAcl: headers['x-oss-object-acl'] !== undefined,
    taggingDirective: headers['x-oss-tagging-directive'],
    tagging: headers['x-oss-tagging'] !== undefined,
    hasHeader: (name) => headers[name] !== undefined,
  };
}

/** What a routing gives: the Operation, or the error's class, code and message. */
function outcome(router: (input: RouteInput) => Operation, input: RouteInput): unknown {
  try {
    return { op: router(input) };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { error: [e.constructor.name, e.code, e.message] };
  }
}

describe('route(): the plain object short cut', () => {
  test('is on for GET, HEAD, PUT and DELETE (the metadata has no unimplemented bare object operation)', () => {
    assert.deepEqual([...PLAIN_OBJECT_METHODS].sort(), ['DELETE', 'GET', 'HEAD', 'PUT']);
  });

  test('gives what the full routing gives, on every method × address × header set without a query', () => {
    let taken = 0;
    let cases = 0;
    // Every subset of up to two headers (with each of their values), on every method and address.
    const sets: Array<Record<string, string>> = [{}];
    for (const [h, vs] of HEADERS) for (const v of vs) sets.push({ [h]: v });
    for (let i = 0; i < HEADERS.length; i++) {
      for (let j = i + 1; j < HEADERS.length; j++) sets.push({ [HEADERS[i]![0]]: HEADERS[i]![1][0]!, [HEADERS[j]![0]]: HEADERS[j]![1].at(-1)! });
    }
    for (const method of METHODS) {
      for (const address of ADDRESSES) {
        for (const headers of sets) {
          const input = inputOf(method, address, [], headers);
          cases++;
          if (plainObjectRoute(input) !== null) taken++;
          assert.deepEqual(outcome(route, input), outcome(routeBySubresources, input), `${method} ${JSON.stringify(address)} ${JSON.stringify(headers)}`);
        }
      }
    }
    // The short cut did serve the plain requests (4 methods × 4 object addresses × the header sets without a copy
    // source for PUT), so the comparison above covered it.
    assert.ok(taken > 500, `${taken} of ${cases}`);
  });

  test('takes no request with a query, and route() is unchanged there (every sub-resource name, 8,000 random requests)', () => {
    const rnd = mulberry32(0x15_2026);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const check = (input: RouteInput, label: string): void => {
      assert.equal(plainObjectRoute(input), null, label);
      assert.deepEqual(outcome(route, input), outcome(routeBySubresources, input), label);
    };
    // Each key alone, on each method and object or bucket address.
    for (const k of KEYS) {
      for (const method of METHODS) {
        for (const address of ADDRESSES) check(inputOf(method, address, [[k, '']], {}), `${method} ?${k}`);
      }
    }
    for (let i = 0; i < 8_000; i++) {
      const query: Array<[string, string]> = [];
      const n = 1 + Math.floor(rnd() * 3);
      for (let j = 0; j < n; j++) query.push([pick(KEYS), pick(VALUES)]);
      const headers: Record<string, string> = {};
      for (let j = Math.floor(rnd() * 3); j > 0; j--) {
        const [h, vs] = pick(HEADERS);
        headers[h] = pick(vs);
      }
      const method = pick(METHODS);
      const address = pick(ADDRESSES);
      check(inputOf(method, address, query, headers), `${method} ${JSON.stringify(address)} ${JSON.stringify(query)} ${JSON.stringify(headers)}`);
    }
  });
});
