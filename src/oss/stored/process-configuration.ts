import { invalidArgument } from '../../errors.js';
import type { Handler } from '../context.js';
import { el, type XmlChild } from '../xml.js';
import { xmlResponse } from '../handlers/common.js';
import { asDoc, bucketOf } from './common.js';
import { textOf, type Doc } from './schema.js';

// A bucket's image-processing settings (PutProcessConfiguration, docs/stored-configurations.md). The API metadata
// publishes only the Put; the Java SDK's getBucketProcess reads them back with GET ?processConfiguration, and its
// BucketProcesTest pins the answer: the defaults (Both, Disabled, no suffix, no delimiters, Version 2) before any
// Put, the delimiters in character order, no suffix while protection is off, OssDomainSupportAtProcess not shown.

export const PROCESS_CONFIG = 'process-configuration';
const COMPLIED_HOSTS: ReadonlySet<string> = new Set(['Img', 'Both']);
const STATES: ReadonlySet<string> = new Set(['Enabled', 'Disabled']);
/** The characters a style may be separated from a key by (OSS's image style delimiters). */
const DELIMITERS: ReadonlySet<string> = new Set(['-', '_', '/', '!']);

/** What the Put refuses beyond the schema: every field the Get shows must be one it can show. */
export function checkProcessConfiguration(doc: Doc): void {
  const host = textOf(doc, 'CompliedHost');
  if (host === undefined || !COMPLIED_HOSTS.has(host)) throw invalidArgument('CompliedHost must be Img or Both.', 'CompliedHost', host ?? '');
  for (const name of ['SourceFileProtect', 'OssDomainSupportAtProcess']) {
    const v = textOf(doc, name);
    if (v !== undefined && !STATES.has(v)) throw invalidArgument(`${name} must be Enabled or Disabled.`, name, v);
  }
  for (const d of delimitersOf(textOf(doc, 'StyleDelimiters'))) {
    if (!DELIMITERS.has(d)) throw invalidArgument('StyleDelimiters may hold only -, _, / and ! (comma-separated).', 'StyleDelimiters', textOf(doc, 'StyleDelimiters') ?? '');
  }
}

/** `/,-` → ['-', '/']: the set, in character order. */
export function delimitersOf(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(',').map((d) => d.trim()).filter((d) => d !== ''))].sort();
}

export const getProcessConfiguration: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), PROCESS_CONFIG);
  const doc = asDoc(value) ?? {};
  const protect = textOf(doc, 'SourceFileProtect') === 'Enabled';
  const children: XmlChild[] = [
    el('CompliedHost', textOf(doc, 'CompliedHost') ?? 'Both'),
    el('SourceFileProtect', protect ? 'Enabled' : 'Disabled'),
    el('SourceFileProtectSuffix', protect ? (textOf(doc, 'SourceFileProtectSuffix') ?? '') : ''),
    el('StyleDelimiters', delimitersOf(textOf(doc, 'StyleDelimiters')).join(',')),
    el('Version', '2'),
  ];
  return xmlResponse(el('BucketProcessConfiguration', children));
};
