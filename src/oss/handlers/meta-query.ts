import { AppError, invalidArgument } from '../../errors.js';
import { MEDIA_TYPES, mediaTypeOf, type AggregationResult, type MediaType, type MetaQueryFile, type MetaQueryRequest } from '../../domain/meta-query.js';
import type { Handler } from '../context.js';
import { childText, el, many, parseXmlBody, type XmlChild, type XmlNode, xmlText } from '../xml.js';
import { readSmallBody, xmlResponse } from './common.js';

// DoMetaQuery (docs/meta-query.md): the MetaQuery request document ⇄ domain/meta-query.ts. Scalar retrieval
// (`mode=basic`, the default); `mode=semantic` has no vector index behind it here: its natural-language Query is not
// understood, and the answer is the objects its SimpleQuery (scalar, optional) and MediaTypes select.

/** A MetaQuery document is a query and a few options; this bounds the rest (the Query text has its own limit). */
const MAX_BODY = 64 * 1024;

function requestOf(text: string): MetaQueryRequest {
  const doc = parseXmlBody(text, 'MetaQuery');
  const query = childText(doc, 'Query');
  if (query === undefined) throw invalidArgument('Query is required.', 'Query');
  const aggregations: MetaQueryRequest['aggregations'] = [];
  const container = doc.Aggregations;
  if (container !== undefined && container !== '') {
    if (typeof container !== 'object' || Array.isArray(container)) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Aggregations must occur once.' });
    for (const item of many((container as Record<string, unknown>).Aggregation)) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Aggregation needs Field and Operation.' });
      const node = item as Record<string, unknown>;
      const field = childText(node, 'Field');
      const operation = childText(node, 'Operation');
      if (field === undefined || operation === undefined) throw invalidArgument('Each Aggregation needs a Field and an Operation.', 'Aggregation');
      aggregations.push({ field, operation });
    }
  }
  const nextToken = childText(doc, 'NextToken');
  const maxResults = childText(doc, 'MaxResults');
  const sort = childText(doc, 'Sort');
  const order = childText(doc, 'Order');
  return {
    query,
    aggregations,
    ...(nextToken !== undefined ? { nextToken } : {}),
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(sort !== undefined ? { sort } : {}),
    ...(order !== undefined ? { order } : {}),
  };
}

const pairs = (container: string, item: string, list: ReadonlyArray<readonly [string, string]>): XmlChild =>
  list.length > 0 && el(container, list.map(([k, v]) => el(item, [el('Key', k), el('Value', v)])));

function fileXml(f: MetaQueryFile): XmlNode {
  return el('File', [
    el('Filename', f.filename),
    el('Size', f.size),
    el('FileModifiedTime', new Date(f.modified).toISOString()),
    el('OSSObjectType', f.objectType),
    el('OSSStorageClass', f.storageClass),
    el('ObjectACL', f.acl),
    el('ETag', `"${f.etag}"`),
    el('OSSCRC64', f.crc64),
    f.serverSideEncryption !== undefined && el('ServerSideEncryption', f.serverSideEncryption),
    el('OSSTaggingCount', f.tags.length),
    pairs('OSSTagging', 'Tagging', f.tags),
    pairs('OSSUserMeta', 'UserMeta', f.userMeta.map(([k, v]) => [`x-oss-meta-${k}`, v] as const)),
  ]);
}

function aggregationXml(a: AggregationResult): XmlNode {
  return el('Aggregation', [
    el('Field', a.field),
    el('Operation', a.operation),
    a.value !== undefined && el('Value', a.value),
    a.groups !== undefined && el('Groups', a.groups.map((g) => el('Group', [el('Value', g.value), el('Count', g.count)]))),
  ]);
}

/** The `mode` query parameter of OpenMetaQuery and DoMetaQuery: basic (the default, also when empty) or semantic. */
export function metaQueryMode(raw: string | undefined): 'basic' | 'semantic' {
  const mode = raw || 'basic';
  if (mode !== 'basic' && mode !== 'semantic') throw invalidArgument('mode must be basic or semantic.', 'mode', mode.slice(0, 32));
  return mode;
}

/** Every object: a semantic query without a SimpleQuery is not narrowed by a scalar condition. */
const EVERY_OBJECT = '{"Field":"Size","Value":"0","Operation":"gte"}';

/**
 * A semantic DoMetaQuery (`mode=semantic`) read as the scalar query it carries: `SimpleQuery` (or every object),
 * `MaxResults`, `NextToken`; its `MediaTypes` filter the page. The Query text is required, as OSS requires it.
 */
function semanticOf(text: string): { request: MetaQueryRequest; mediaTypes: ReadonlySet<MediaType> } {
  const doc = parseXmlBody(text, 'MetaQuery');
  const query = childText(doc, 'Query');
  if (query === undefined || query.trim() === '') throw invalidArgument('Query is required.', 'Query');
  const mediaTypes = new Set<MediaType>();
  const container = doc.MediaTypes;
  if (container !== undefined && container !== '') {
    if (typeof container !== 'object' || Array.isArray(container)) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'MediaTypes must occur once.' });
    for (const item of many((container as Record<string, unknown>).MediaType)) {
      const type = typeof item === 'string' ? item.trim() : '';
      if (!(MEDIA_TYPES as readonly string[]).includes(type)) throw invalidArgument(`MediaType must be one of ${MEDIA_TYPES.join(', ')}.`, 'MediaType', type.slice(0, 32));
      mediaTypes.add(type as MediaType);
    }
  }
  const simple = childText(doc, 'SimpleQuery');
  const nextToken = childText(doc, 'NextToken');
  const maxResults = childText(doc, 'MaxResults');
  return {
    request: {
      query: simple !== undefined && simple.trim() !== '' ? simple : EVERY_OBJECT,
      aggregations: [],
      ...(nextToken !== undefined && nextToken !== '' ? { nextToken } : {}),
      ...(maxResults !== undefined ? { maxResults } : {}),
    },
    mediaTypes,
  };
}

export const doMetaQuery: Handler = async (req) => {
  const raw = await readSmallBody(req.body, MAX_BODY);
  if (metaQueryMode(req.query.get('mode')) === 'semantic') {
    const { request, mediaTypes } = semanticOf(xmlText(raw));
    const result = await req.services.metaQuery.query(req.op.bucket!, request);
    const files = mediaTypes.size === 0 ? result.files : result.files.filter((f) => {
      const type = mediaTypeOf(f.filename);
      return type !== null && mediaTypes.has(type);
    });
    return xmlResponse(el('MetaQuery', [el('NextToken', result.nextToken ?? ''), el('Files', files.map(fileXml))]));
  }
  const result = await req.services.metaQuery.query(req.op.bucket!, requestOf(xmlText(raw)));
  return xmlResponse(el('MetaQuery', [
    // Always present, empty on the last page: oss2's parse_do_bucket_meta_query_result reads it with _find_tag, which
    // raises when it is missing (test_bucket_meta_query against OSS parses a last page), as OSS's sample answer has it.
    el('NextToken', result.nextToken ?? ''),
    // A query with aggregations answers them alone (domain/meta-query.ts): no Files element, as OSS writes none.
    result.aggregations.length === 0 && el('Files', result.files.map(fileXml)),
    result.aggregations.length > 0 && el('Aggregations', result.aggregations.map(aggregationXml)),
  ]));
};
