import { malformedXml } from '../xml-reader.js';
import { child, listOf, textOf, type Doc } from './schema.js';

// PutBucketHttpsConfig's rules beyond the schema, as oss2's tests/test_bucket_https_config.py expects of OSS:
// a TLS version OSS does not know, or TLS enabled with no version, is MalformedXML; a version named twice is
// kept once.

const TLS_VERSIONS: readonly string[] = ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The document to store: `doc` with each TLSVersion once, in the order first named. */
export function checkHttpsConfig(doc: Doc): Doc {
  const tls = child(doc, 'TLS');
  if (tls === undefined) return doc;
  const versions: string[] = [];
  for (const v of listOf(tls, 'TLSVersion')) {
    if (typeof v !== 'string' || !TLS_VERSIONS.includes(v)) throw malformedXml('TLSVersion must be TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3.');
    if (!versions.includes(v)) versions.push(v);
  }
  if (textOf(tls, 'Enable') === 'true' && versions.length === 0) throw malformedXml('TLS that is enabled needs at least one TLSVersion.');
  const { TLSVersion: _named, ...rest } = tls;
  return { ...doc, TLS: versions.length > 0 ? { ...rest, TLSVersion: versions } : rest };
}
