import { invalidArgument } from '../errors.js';
import {
  LIFECYCLE_LIMITS,
  TRANSITION_CLASSES,
  type LifecycleConfig,
  type LifecycleExpiration,
  type LifecycleFilter,
  type LifecycleRule,
  type LifecycleTag,
  type LifecycleWhen,
  type TransitionClass,
  type TransitionOptions,
} from '../domain/lifecycle.js';
import { el, parseXmlBody, type XmlChild, type XmlNode } from './xml.js';
import { childBool, childElement, childElements, childInt, childTextOnce, INTEGER_TEXT, malformedXml, type XmlElement } from './xml-reader.js';

// The LifecycleConfiguration XML of PutBucketLifecycle / GetBucketLifecycle ⇄ the domain's LifecycleConfig.
// Structure faults (an element where text belongs, a repeated single element, a bad boolean) are
// MalformedXML here; the rules' meaning is checked by domain/lifecycle.ts validateLifecycle.

type Node = XmlElement;

const malformed = malformedXml;
const textOf = (parent: Node, name: string): string | undefined => childTextOnce(parent, name);
const containerOf = childElement;
const containers = (parent: Node, name: string): Node[] => childElements(parent, name);
// Any letter case: oss2 writes ExpiredObjectDeleteMarker as Python's str(bool), `True`/`False`.
const boolOf = (parent: Node, name: string): boolean | undefined => childBool(parent, name, 'MalformedXML', undefined, true);
const intOf = (parent: Node, name: string): number | undefined =>
  childInt(parent, name, INTEGER_TEXT, (t) => invalidArgument(`${name} must be a positive integer.`, name, t));

function tagOf(node: Node): LifecycleTag {
  const key = textOf(node, 'Key');
  if (key === undefined) throw malformed('Tag must contain a Key.');
  return { key, value: textOf(node, 'Value') ?? '' };
}

function whenOf(node: Node, withDate = false): LifecycleWhen {
  const days = intOf(node, 'Days');
  const cbd = textOf(node, 'CreatedBeforeDate')?.trim();
  const date = withDate ? textOf(node, 'Date')?.trim() : undefined;
  return { ...(days !== undefined ? { days } : {}), ...(cbd !== undefined ? { createdBeforeDate: cbd } : {}), ...(date !== undefined ? { date } : {}) };
}

function storageClassOf(node: Node, element: string): TransitionClass {
  const raw = textOf(node, 'StorageClass')?.trim();
  if (raw === undefined) throw malformed(`${element} must contain a StorageClass.`);
  const found = TRANSITION_CLASSES.find((c) => c === raw);
  if (!found) throw invalidArgument(`${element} StorageClass must be IA, Archive, ColdArchive or DeepColdArchive.`, 'StorageClass', raw);
  return found;
}

function optionsOf(node: Node): TransitionOptions {
  const out: TransitionOptions = {};
  const a = boolOf(node, 'IsAccessTime');
  const r = boolOf(node, 'ReturnToStdWhenVisit');
  const s = boolOf(node, 'AllowSmallFile');
  if (a !== undefined) out.isAccessTime = a;
  if (r !== undefined) out.returnToStdWhenVisit = r;
  if (s !== undefined) out.allowSmallFile = s;
  return out;
}

function noncurrentDaysOf(node: Node, element: string): number {
  const n = intOf(node, 'NoncurrentDays');
  if (n === undefined) throw malformed(`${element} must contain NoncurrentDays.`);
  return n;
}

function filterOf(node: Node): LifecycleFilter {
  const out: LifecycleFilter = {
    not: containers(node, 'Not').map((n) => {
      const tag = containerOf(n, 'Tag');
      return { prefix: textOf(n, 'Prefix') ?? '', ...(tag ? { tag: tagOf(tag) } : {}) };
    }),
  };
  const gt = intOf(node, 'ObjectSizeGreaterThan');
  const lt = intOf(node, 'ObjectSizeLessThan');
  if (gt !== undefined) out.objectSizeGreaterThan = gt;
  if (lt !== undefined) out.objectSizeLessThan = lt;
  return out;
}

function ruleOf(node: Node): LifecycleRule {
  const status = textOf(node, 'Status')?.trim();
  if (status === undefined) throw malformed('Rule must contain a Status.');
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed('Status must be Enabled or Disabled.');
  const exp = containerOf(node, 'Expiration');
  let expiration: LifecycleExpiration | undefined;
  if (exp) {
    const eodm = boolOf(exp, 'ExpiredObjectDeleteMarker');
    expiration = { ...whenOf(exp, true), ...(eodm !== undefined ? { expiredObjectDeleteMarker: eodm } : {}) };
  }
  const abort = containerOf(node, 'AbortMultipartUpload');
  const nce = containerOf(node, 'NoncurrentVersionExpiration');
  const filter = containerOf(node, 'Filter');
  return {
    id: textOf(node, 'ID') ?? '',
    prefix: textOf(node, 'Prefix') ?? '',
    status,
    tags: containers(node, 'Tag').map(tagOf),
    ...(filter ? { filter: filterOf(filter) } : {}),
    ...(expiration ? { expiration } : {}),
    transitions: containers(node, 'Transition').map((t) => ({ ...whenOf(t), storageClass: storageClassOf(t, 'Transition'), ...optionsOf(t) })),
    ...(abort ? { abortMultipartUpload: whenOf(abort, true) } : {}),
    ...(nce ? { noncurrentVersionExpiration: { noncurrentDays: noncurrentDaysOf(nce, 'NoncurrentVersionExpiration') } } : {}),
    noncurrentVersionTransitions: containers(node, 'NoncurrentVersionTransition').map((t) => ({
      noncurrentDays: noncurrentDaysOf(t, 'NoncurrentVersionTransition'),
      storageClass: storageClassOf(t, 'NoncurrentVersionTransition'),
      ...optionsOf(t),
    })),
  };
}

/** Parses a PutBucketLifecycle body (not yet validated: see validateLifecycle). */
export function parseLifecycleXml(body: string): LifecycleConfig {
  // 1,000 rules of up to 64 nodes each (every element a rule documents, four transitions of each kind).
  const doc = parseXmlBody(body, 'LifecycleConfiguration', { maxNodes: 64 * LIFECYCLE_LIMITS.maxRules + 16 });
  return { rules: containers(doc, 'Rule').map(ruleOf) };
}

function whenXml(w: LifecycleWhen): XmlChild[] {
  return [w.days !== undefined && el('Days', w.days), w.createdBeforeDate !== undefined && el('CreatedBeforeDate', w.createdBeforeDate), w.date !== undefined && el('Date', w.date)];
}

function optionsXml(t: TransitionOptions): XmlChild[] {
  return [
    t.isAccessTime !== undefined && el('IsAccessTime', t.isAccessTime),
    t.returnToStdWhenVisit !== undefined && el('ReturnToStdWhenVisit', t.returnToStdWhenVisit),
    t.allowSmallFile !== undefined && el('AllowSmallFile', t.allowSmallFile),
  ];
}

const tagXml = (t: LifecycleTag): XmlNode => el('Tag', [el('Key', t.key), el('Value', t.value)]);

/** GetBucketLifecycle's body, elements in the order OSS documents them. */
export function lifecycleXml(config: LifecycleConfig): XmlNode {
  return el(
    'LifecycleConfiguration',
    config.rules.map((r) =>
      el('Rule', [
        el('ID', r.id),
        el('Prefix', r.prefix),
        el('Status', r.status),
        r.expiration && el('Expiration', [
          ...whenXml(r.expiration),
          r.expiration.expiredObjectDeleteMarker !== undefined && el('ExpiredObjectDeleteMarker', r.expiration.expiredObjectDeleteMarker),
        ]),
        ...r.transitions.map((t) => el('Transition', [...whenXml(t), el('StorageClass', t.storageClass), ...optionsXml(t)])),
        r.abortMultipartUpload && el('AbortMultipartUpload', whenXml(r.abortMultipartUpload)),
        ...r.tags.map(tagXml),
        r.noncurrentVersionExpiration && el('NoncurrentVersionExpiration', [el('NoncurrentDays', r.noncurrentVersionExpiration.noncurrentDays)]),
        ...r.noncurrentVersionTransitions.map((t) => el('NoncurrentVersionTransition', [el('NoncurrentDays', t.noncurrentDays), el('StorageClass', t.storageClass), ...optionsXml(t)])),
        r.filter && el('Filter', [
          ...r.filter.not.map((n) => el('Not', [el('Prefix', n.prefix), n.tag && tagXml(n.tag)])),
          r.filter.objectSizeGreaterThan !== undefined && el('ObjectSizeGreaterThan', r.filter.objectSizeGreaterThan),
          r.filter.objectSizeLessThan !== undefined && el('ObjectSizeLessThan', r.filter.objectSizeLessThan),
        ]),
      ]),
    ),
  );
}
