#!/usr/bin/env node
// Generates src/oss/stored/schemas.ts: the XML body schemas (request and response) of the "stored and
// returned" OSS configuration operations, resolved from Alibaba Cloud's API metadata into a compact typed
// table that src/oss/stored/schema.ts validates request bodies against and renders responses from
// (element names, order, types, enums, published `required`, repeated elements). Also writes
// test/fixtures/oss-stored-schemas.json (the resolved subset), so a plain clone regenerates and checks it.
//
//   node scripts/gen-oss-stored.mjs [path/to/oss-2019-05-17.schemas.json]
//
// Without an argument it reads the checked-in fixture. The operations it covers are listed in OPERATIONS;
// how each behaves (put/get/delete of which configuration) is src/oss/stored/specs.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURE = join(root, 'test/fixtures/oss-stored-schemas.json');
export const OUT = join(root, 'src/oss/stored/schemas.ts');

/** The operations served by the stored-configuration mechanism (docs/stored-configurations.md). */
export const OPERATIONS = [
  'PutBucketTags', 'GetBucketTags', 'DeleteBucketTags',
  'PutBucketTransferAcceleration', 'GetBucketTransferAcceleration',
  'PutBucketHttpsConfig', 'GetBucketHttpsConfig',
  'PutBucketArchiveDirectRead', 'GetBucketArchiveDirectRead',
  'PutUserDefinedLogFieldsConfig', 'GetUserDefinedLogFieldsConfig', 'DeleteUserDefinedLogFieldsConfig',
  'PutBucketCommonHeader', 'DeleteBucketCommonHeader',
  'PutBucketResourceGroup', 'GetBucketResourceGroup',
  'PutBucketAccessMonitor', 'GetBucketAccessMonitor',
  'PutBucketHash', 'PutProcessConfiguration',
  'PutBucketReplication', 'GetBucketReplication', 'GetBucketReplicationLocation', 'GetBucketReplicationProgress',
  'DeleteBucketReplication', 'PutBucketRtc',
  'PutBucketInventory', 'GetBucketInventory', 'ListBucketInventory', 'DeleteBucketInventory',
  'PutCname', 'ListCname', 'DeleteCname', 'CreateCnameToken', 'GetCnameToken',
  'GetBucketPolicyStatus', 'DescribeRegions',
  'CreateAccessPoint', 'GetAccessPoint', 'ListAccessPoints', 'DeleteAccessPoint',
  'PutAccessPointPolicy', 'GetAccessPointPolicy', 'DeleteAccessPointPolicy',
  'CreateBucketDataRedundancyTransition', 'GetBucketDataRedundancyTransition', 'ListBucketDataRedundancyTransition',
  'ListUserDataRedundancyTransition', 'DeleteBucketDataRedundancyTransition',
  'OpenMetaQuery', 'GetMetaQueryStatus', 'CloseMetaQuery',
  'PutLiveChannel', 'ListLiveChannel', 'DeleteLiveChannel', 'PutLiveChannelStatus', 'GetLiveChannelInfo',
  'GetLiveChannelHistory', 'GetLiveChannelStat',
  // Access points: their Block Public Access and the Object FC access points (docs/access-points.md).
  'PutAccessPointPublicAccessBlock', 'GetAccessPointPublicAccessBlock', 'DeleteAccessPointPublicAccessBlock',
  'CreateAccessPointForObjectProcess', 'GetAccessPointForObjectProcess', 'ListAccessPointsForObjectProcess',
  'DeleteAccessPointForObjectProcess', 'PutAccessPointConfigForObjectProcess', 'GetAccessPointConfigForObjectProcess',
  'PutAccessPointPolicyForObjectProcess', 'GetAccessPointPolicyForObjectProcess', 'DeleteAccessPointPolicyForObjectProcess',
  // Anti-DDoS records, the last small 501s, VOD playlists (docs/anti-ddos.md, docs/stored-configurations.md).
  'InitUserAntiDDosInfo', 'UpdateUserAntiDDosInfo', 'GetUserAntiDDosInfo',
  'InitBucketAntiDDosInfo', 'UpdateBucketAntiDDosInfo', 'ListBucketAntiDDosInfo',
  'GetBucketEventNotification', 'PutChannel',
  'PutDataLakeCachePrefetchJob', 'StartDataLakeCachePrefetchJob', 'ListDataLakeStorageTransferJob',
  'GetVodPlaylist', 'PostVodPlaylist',
];

const MAX_DEPTH = 12;

/** A metadata schema → compact node: {t:'o', p:[[name, node, flags]]} | {t:'s'|'i'|'b'|'n', e?:[…]}. */
function compact(schema, components, depth) {
  if (depth > MAX_DEPTH) throw new Error('schema nested too deeply (recursive $ref?)');
  let s = schema;
  if (s.$ref) s = { ...components[s.$ref.replace('#/components/schemas/', '')], required: s.required };
  if (s.type === 'object' || s.properties) {
    const props = [];
    for (const [name, raw] of Object.entries(s.properties ?? {})) {
      let child = raw.$ref ? { ...components[raw.$ref.replace('#/components/schemas/', '')], required: raw.required } : raw;
      let flags = '';
      if (child.type === 'array') {
        flags += 'm';
        child = child.items;
      }
      if (raw.required === true) flags += 'r';
      props.push([name, compact(child, components, depth + 1), flags]);
    }
    return { t: 'o', p: props };
  }
  const t = { string: 's', integer: 'i', boolean: 'b', number: 'n' }[s.type];
  if (t === undefined) throw new Error(`unsupported schema type ${JSON.stringify(s).slice(0, 80)}`);
  return s.enum ? { t, e: s.enum } : { t };
}

/** A body schema {properties: {Root: …}} → {root, node}, or the raw type for non-XML bodies. */
function rootOf(schema, components) {
  if (!schema) return undefined;
  const s = schema.$ref ? components[schema.$ref.replace('#/components/schemas/', '')] : schema;
  const names = Object.keys(s.properties ?? {});
  if (names.length !== 1) return s.type === 'string' ? { raw: 'string' } : undefined;
  return { root: names[0], node: compact(s.properties[names[0]], components, 0) };
}

export function reduce(metadata) {
  const components = metadata.components.schemas;
  const ops = {};
  for (const name of OPERATIONS) {
    const api = metadata.apis[name];
    if (!api) throw new Error(`${name} is not in the metadata`);
    const body = (api.parameters ?? []).find((p) => p.in === 'body');
    const res = api.responses && !Array.isArray(api.responses) ? api.responses['200'] : undefined;
    const request = body ? rootOf(body.schema, components) : undefined;
    const response = res && !Array.isArray(res) && res.schema ? rootOf(res.schema, components) : undefined;
    ops[name] = { ...(request ? { request } : {}), ...(response ? { response } : {}) };
  }
  return { source: 'Alibaba Cloud API metadata, OSS 2019-05-17 (api-docs schemas snapshot)', operations: ops };
}

/**
 * Values OSS accepts that the metadata snapshot predates: [operations, parent element, element, values]. The
 * inventory fields ObjectAcl, TaggingCount, ObjectType and Crc64 are in OSS's current inventory documentation,
 * and ali-oss's own bucket test puts an inventory with all ten fields and expects it stored.
 */
export const ENUM_ADDITIONS = [
  [['PutBucketInventory', 'GetBucketInventory', 'ListBucketInventory'], 'OptionalFields', 'Field', ['ObjectAcl', 'TaggingCount', 'ObjectType', 'Crc64', 'TransitionTime']],
];

const WORKFLOW_PARAMETERS = { t: 'o', p: [['WorkflowParameter', { t: 'o', p: [['Name', { t: 's' }, ''], ['Value', { t: 's' }, '']] }, 'm']] };

/**
 * Elements OSS reads and writes that the metadata snapshot predates: [operation, 'request' | 'response', element,
 * node, flags], appended to the body's root. The meta query's mode, filters and workflow parameters (OpenMetaQuery's
 * `mode` and body, echoed by GetMetaQueryStatus): the Python SDK v2's test_meta_query_client reads them back.
 */
export const ELEMENT_ADDITIONS = [
  ['OpenMetaQuery', 'request', 'WorkflowParameters', WORKFLOW_PARAMETERS, ''],
  ['GetMetaQueryStatus', 'response', 'MetaQueryMode', { t: 's' }, ''],
  ['GetMetaQueryStatus', 'response', 'Filters', { t: 'o', p: [['Filter', { t: 's' }, 'm']] }, ''],
  ['GetMetaQueryStatus', 'response', 'WorkflowParameters', WORKFLOW_PARAMETERS, ''],
];

/** `reduced` with ENUM_ADDITIONS (every `parent`/`element` pair in the operation's bodies) and ELEMENT_ADDITIONS applied. */
export function withAdditions(reduced) {
  const copy = JSON.parse(JSON.stringify(reduced));
  for (const [op, which, element, node, flags] of ELEMENT_ADDITIONS) {
    const body = copy.operations[op]?.[which];
    if (body?.node?.t !== 'o') throw new Error(`ELEMENT_ADDITIONS: ${op} has no XML ${which}`);
    if (body.node.p.some(([name]) => name === element)) throw new Error(`ELEMENT_ADDITIONS: ${op} ${which} already has ${element}`);
    body.node.p.push([element, node, flags]);
  }
  for (const [ops, parent, element, values] of ENUM_ADDITIONS) {
    for (const op of ops) {
      let found = 0;
      const visit = (node, name) => {
        if (node.t !== 'o') return;
        for (const [childName, child] of node.p) {
          if (name === parent && childName === element && child.e) {
            child.e = [...child.e, ...values.filter((v) => !child.e.includes(v))];
            found++;
          }
          visit(child, childName);
        }
      };
      for (const body of [copy.operations[op]?.request, copy.operations[op]?.response]) if (body?.node) visit(body.node, body.root);
      if (found === 0) throw new Error(`ENUM_ADDITIONS: no ${parent}/${element} enum in ${op}`);
    }
  }
  return copy;
}

export function schemasSource(reducedAsPublished) {
  const reduced = withAdditions(reducedAsPublished);
  const lines = Object.entries(reduced.operations).map(([name, v]) => `  ${name}: ${JSON.stringify(v)},`);
  return `// GENERATED by scripts/gen-oss-stored.mjs from ${reduced.source}, with its ENUM_ADDITIONS and ELEMENT_ADDITIONS.
// Do not edit by hand: change the generator and run it (test/oss-stored-configs.test.ts checks the two agree).

/** A schema node: an element with children (in published order; flags 'm' repeated, 'r' required) or text. */
export type SchemaNode =
  | { readonly t: 'o'; readonly p: ReadonlyArray<readonly [string, SchemaNode, string]> }
  | { readonly t: 's' | 'i' | 'b' | 'n'; readonly e?: readonly string[] };

/** A body: an XML document with its root element, or a non-XML text body (a JSON policy). */
export type BodySchema = { readonly root: string; readonly node: SchemaNode } | { readonly raw: 'string' };

export interface StoredOperationSchemas {
  readonly request?: BodySchema;
  readonly response?: BodySchema;
}

export type StoredOperationName =
${Object.keys(reduced.operations).map((n) => `  | '${n}'`).join('\n')};

/** The ${Object.keys(reduced.operations).length} operations served by the stored-configuration mechanism, with their bodies. */
export const STORED_SCHEMAS: { readonly [N in StoredOperationName]: StoredOperationSchemas } = {
${lines.join('\n')}
};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const input = process.argv[2];
  const reduced = input ? reduce(JSON.parse(readFileSync(input, 'utf8'))) : JSON.parse(readFileSync(FIXTURE, 'utf8'));
  if (input) writeFileSync(FIXTURE, `${JSON.stringify(reduced, null, 1)}\n`);
  writeFileSync(OUT, schemasSource(reduced));
  process.stdout.write(`${Object.keys(reduced.operations).length} operations → ${OUT}\n`);
}
