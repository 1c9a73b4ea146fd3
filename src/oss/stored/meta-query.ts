import { AppError } from '../../errors.js';
import { xmlText } from '../xml.js';
import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { empty, readSmallBody } from '../handlers/common.js';
import { META_QUERY_OPENED_AT, metaQueryOpenedAt, metaQueryPhase } from '../../domain/meta-query.js';
import { metaQueryMode } from '../handlers/meta-query.js';
import { validateDocument, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, MAX_BODY, requestSchema, respond } from './common.js';

// The metadata index switch. DoMetaQuery (oss/handlers/meta-query.ts, docs/meta-query.md) reads the objects
// table itself, so the index is complete as soon as it is opened; GetMetaQueryStatus still reports OSS's Ready
// phase for a moment after opening (domain/meta-query.ts metaQueryPhase), then Running.

export const openMetaQuery: Handler = async (req) => {
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const raw = await readSmallBody(req.body, MAX_BODY);
  let body: Doc | null = null;
  if (raw.length > 0) {
    const { root, node } = requestSchema('OpenMetaQuery');
    body = validateDocument(xmlText(raw), root, node, { maxItems: { 'Filters.Filter': 100, 'WorkflowParameters.WorkflowParameter': 100 } });
  }
  const mode = metaQueryMode(req.query.get('mode'));
  const nowMs = req.services.stored.now();
  const now = isoDate(nowMs);
  await req.services.stored.update(bucketOf(req), 'meta-query', (current) => {
    // Opening again keeps the index (and its creation time).
    if (asDoc(current) !== null) return current;
    // The state is not stored: GetMetaQueryStatus derives it from the opening time. The mode, filters and
    // workflow parameters are kept and shown back (the Python SDK v2 reads them).
    const doc: Doc = { CreateTime: now, UpdateTime: now, [META_QUERY_OPENED_AT]: String(nowMs), MetaQueryMode: mode };
    if (body?.Filters !== undefined) doc.Filters = body.Filters;
    if (body?.WorkflowParameters !== undefined) doc.WorkflowParameters = body.WorkflowParameters;
    return asJson(doc);
  }, false, written);
  return empty();
};

export const getMetaQueryStatus: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'meta-query');
  const doc = asDoc(value);
  if (doc === null) throw new AppError('MetaQueryNotExist', undefined, { BucketName: bucketOf(req) });
  const { state, phase } = metaQueryPhase(metaQueryOpenedAt(doc), req.services.stored.now(), req.services.metaQuery.readyMs);
  // Opened by an older Alunite: no mode kept, the default.
  return respond('GetMetaQueryStatus', { ...doc, State: state, Phase: phase, MetaQueryMode: typeof doc.MetaQueryMode === 'string' ? doc.MetaQueryMode : 'basic' });
};

export const closeMetaQuery: Handler = async (req) => {
  await req.services.stored.update(bucketOf(req), 'meta-query', () => null, true);
  return empty();
};
