import { randomUUID } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import { OVERWRITE_CONFIG, overwriteRulesOf, type OverwriteRule } from '../../domain/overwrite-rules.js';
import type { Handler } from '../context.js';
import { childElement, childElements, childTextOnce, malformedXml } from '../xml-reader.js';
import { el } from '../xml.js';
import { xmlCarries } from '../../util/xml-chars.js';
import { empty, readConfigXml, xmlResponse } from './common.js';

// The bucket's overwrite configuration (`/<bucket>/?overwriteConfig`, Put/Get/DeleteBucketOverwriteConfig; not in the
// API metadata Alunite's catalog is generated from, routed by oss/operations.ts). Kept and read back as OSS's pages
// describe it; the writes apply the rules through domain/overwrite-rules.ts (docs/stored-configurations.md). The Go SDK v2's
// TestBucketOverwriteConfig and the Python SDK v2's test_bucket_overwrite_config put, get and delete it.

const MAX_BODY = 256 * 1024;
/** OSS's pages: at most 100 rules; Prefix and Suffix at most 1,023 characters; only `forbid`. */
const MAX_RULES = 100;
const MAX_AFFIX = 1023;
const MAX_PRINCIPALS = 1000;

const RULE_FIELDS = new Set(['ID', 'Action', 'Prefix', 'Suffix', 'Principals']);
/** Text XML 1.0 cannot carry would be written back raw in the Get, which the SDKs' strict readers refuse. */
function text(v: string | undefined, name: string): string | undefined {
  if (v !== undefined && !xmlCarries(v)) throw invalidArgument(`${name} must not hold control characters.`, name, v.slice(0, 64));
  return v;
}

function ruleOf(node: Record<string, unknown>): OverwriteRule {
  for (const name of Object.keys(node)) if (!RULE_FIELDS.has(name)) throw malformedXml(`Rule.${name} is not a rule field.`);
  const action = childTextOnce(node, 'Action', 64);
  if (action === undefined) throw malformedXml('Rule.Action is required.');
  if (action !== 'forbid') throw invalidArgument('Action must be forbid.', 'Action', action);
  const id = text(childTextOnce(node, 'ID', 255), 'ID');
  const prefix = text(childTextOnce(node, 'Prefix', MAX_AFFIX), 'Prefix');
  const suffix = text(childTextOnce(node, 'Suffix', MAX_AFFIX), 'Suffix');
  const principals = childElement(node, 'Principals');
  const list = principals === undefined ? [] : principalTexts(principals);
  return {
    // An ID left out is a random UUID (OSS's PutBucketOverwriteConfig page).
    ID: id === undefined || id === '' ? randomUUID() : id,
    Action: action,
    ...(prefix !== undefined && prefix !== '' ? { Prefix: prefix } : {}),
    ...(suffix !== undefined && suffix !== '' ? { Suffix: suffix } : {}),
    Principals: list,
  };
}

function principalTexts(principals: Record<string, unknown>): string[] {
  const raw = principals.Principal;
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (items.length > MAX_PRINCIPALS) throw malformedXml('Principals holds too many Principal elements.');
  return items.map((p) => {
    if (typeof p !== 'string') throw malformedXml('Principal must be text.');
    return text(p, 'Principal')!;
  });
}

export const putBucketOverwriteConfig: Handler = async (req) => {
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await readConfigXml(req, 'OverwriteConfiguration', MAX_BODY);
  for (const name of Object.keys(doc)) if (name !== 'Rule') throw malformedXml(`OverwriteConfiguration.${name} is not a rule.`);
  const rules = childElements(doc, 'Rule', MAX_RULES).map(ruleOf);
  const ids = new Set<string>();
  for (const { ID } of rules) {
    if (ids.has(ID)) throw invalidArgument('Each rule ID must be unique.', 'ID', ID);
    ids.add(ID);
  }
  // The document replaces the bucket's rules (OSS: "PutBucketOverwriteConfig has overwrite semantics").
  await req.services.stored.update(req.op.bucket!, OVERWRITE_CONFIG, () => ({ Rule: rules.map((r) => ({ ...r })) } as unknown as Json), false, written);
  return empty();
};

export const getBucketOverwriteConfig: Handler = async (req) => {
  const { value } = await req.services.stored.get(req.op.bucket!, OVERWRITE_CONFIG);
  const rules = overwriteRulesOf(value);
  // OSS's page: a bucket without overwrite rules answers 404.
  if (rules === null) throw new AppError('NoSuchBucketOverwriteConfig', undefined, { BucketName: req.op.bucket! });
  return xmlResponse(el('OverwriteConfiguration', rules.map((r) => el('Rule', [
    el('ID', r.ID),
    el('Action', r.Action),
    r.Prefix !== undefined && el('Prefix', r.Prefix),
    r.Suffix !== undefined && el('Suffix', r.Suffix),
    r.Principals.length > 0 && el('Principals', r.Principals.map((p) => el('Principal', p))),
  ]))));
};

export const deleteBucketOverwriteConfig: Handler = async (req) => {
  await req.services.stored.update(req.op.bucket!, OVERWRITE_CONFIG, () => null, true);
  return empty(204);
};
