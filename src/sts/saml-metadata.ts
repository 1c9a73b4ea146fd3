// A SAML provider's metadata as AssumeRoleWithSAML needs it, parsed once per metadata document and remembered
// (bounded, least recently used first out), never once per call: the caller of AssumeRoleWithSAML is anonymous
// and the metadata (up to 100 KiB, docs/limits.md) costs far more to parse than a refused assertion. Keyed by a
// digest of the stored document itself, so an UpdateSAMLProvider takes effect at once (a new document is a new
// key) in every process, and a document that fails to parse fails again from memory.
import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { parseSamlMetadata, type SamlMetadata } from '../ims/model.js';

/** Distinct metadata documents remembered per process (each ≤ 5 certificates and an entity ID). */
export const SAML_METADATA_CACHE_ENTRIES = 512;

type Parsed = { ok: true; metadata: SamlMetadata } | { ok: false; error: AppError };

const cache = new Map<string, Parsed>();
let parses = 0;

/** How many metadata documents this process has parsed for AssumeRoleWithSAML (tests: parse-once). */
export function samlMetadataParseCount(): number {
  return parses;
}

/** The provider's parsed metadata; throws the parse error (an AppError) when the stored document is refused. */
export function samlMetadataOf(encodedMetadata: string): SamlMetadata {
  const key = createHash('sha256').update(encodedMetadata).digest('base64');
  let parsed = cache.get(key);
  if (parsed) {
    cache.delete(key);
  } else {
    parses++;
    try {
      parsed = { ok: true, metadata: parseSamlMetadata(encodedMetadata) };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      parsed = { ok: false, error };
    }
    if (cache.size >= SAML_METADATA_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, parsed);
  if (!parsed.ok) throw new AppError(parsed.error.code, parsed.error.message);
  return parsed.metadata;
}
