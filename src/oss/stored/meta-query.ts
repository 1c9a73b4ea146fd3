import { AppError, invalidArgument } from '../../errors.js';
import { xmlText } from '../xml.js';
import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { empty, readSmallBody } from '../handlers/common.js';
import { metaQueryPhase } from '../../domain/meta-query.js';
import { validateDocument, type Doc } from './schema.js';
import { asDoc, asJson, bucketOf, MAX_BODY, requestSchema, respond } from './common.js';

// The metadata index switch. DoMetaQuery (oss/handlers/meta-query.ts, docs/meta-query.md) reads the objects
// table itself, so the index is complete as soon as it is opened; GetMetaQueryStatus still reports OSS's Ready
// phase for a moment after opening (domain/meta-query.ts metaQueryPhase), then Running.

export const openMetaQuery: Handler = async (req) => {
  const raw = await readSmallBody(req.body, MAX_BODY);
  let body: Doc | null = null;
  if (raw.length > 0) {
    const { root, node } = requestSchema('OpenMetaQuery');
    body = validateDocument(xmlText(raw), root, node, { maxItems: { 'Filters.Filter': 100, 'WorkflowParameters.WorkflowParameter': 100 } });
  }
  const mode = req.query.get('mode') || 'basic';
  if (mode !== 'basic' && mode !== 'semantic') throw invalidArgument('mode must be basic or semantic.', 'mode', mode.slice(0, 32));
  const now = isoDate(req.services.stored.now());
  await req.services.stored.update(bucketOf(req), 'meta-query', (current) => {
    const doc = asDoc(current);
    if (doc !== null && doc.State === 'Running') return current;
    // Opened now, or stored as Ready by an earlier Alunite (which built no index): running from now on.
    const created = doc !== null && typeof doc.CreateTime === 'string' ? doc.CreateTime : now;
    // The mode, filters and workflow parameters are kept and shown back (the Python SDK v2 reads them).
    const extra: Doc = { MetaQueryMode: mode };
    if (body?.Filters !== undefined) extra.Filters = body.Filters;
    if (body?.WorkflowParameters !== undefined) extra.WorkflowParameters = body.WorkflowParameters;
    return asJson({ State: 'Running', Phase: 'IncrementalScanning', CreateTime: created, UpdateTime: now, ...extra });
  });
  return empty();
};

export const getMetaQueryStatus: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'meta-query');
  const doc = asDoc(value);
  if (doc === null) throw new AppError('MetaQueryNotExist', undefined, { BucketName: bucketOf(req) });
  const created = typeof doc.CreateTime === 'string' ? Date.parse(doc.CreateTime) : NaN;
  const { state, phase } = metaQueryPhase(created, req.services.stored.now(), req.services.metaQuery.readyMs);
  // Opened by an older Alunite: no mode kept, the default.
  return respond('GetMetaQueryStatus', { ...doc, State: state, Phase: phase, MetaQueryMode: typeof doc.MetaQueryMode === 'string' ? doc.MetaQueryMode : 'basic' });
};

export const closeMetaQuery: Handler = async (req) => {
  await req.services.stored.update(bucketOf(req), 'meta-query', () => null, true);
  return empty();
};
