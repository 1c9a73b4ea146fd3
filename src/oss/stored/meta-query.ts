import { AppError, invalidArgument } from '../../errors.js';
import { xmlText } from '../xml.js';
import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { empty, readSmallBody } from '../handlers/common.js';
import { validateDocument } from './schema.js';
import { asDoc, asJson, bucketOf, MAX_BODY, requestSchema, respond } from './common.js';

// The metadata index switch. DoMetaQuery (oss/handlers/meta-query.ts, docs/meta-query.md) reads the objects
// table itself, so the index is complete as soon as it is opened: State Running, Phase IncrementalScanning.

export const openMetaQuery: Handler = async (req) => {
  const raw = await readSmallBody(req.body, MAX_BODY);
  if (raw.length > 0) {
    const { root, node } = requestSchema('OpenMetaQuery');
    validateDocument(xmlText(raw), root, node, { maxItems: { 'Filters.Filter': 100 } });
  }
  const mode = req.query.get('mode') ?? 'basic';
  if (mode !== 'basic' && mode !== 'semantic') throw invalidArgument('mode must be basic or semantic.', 'mode', mode.slice(0, 32));
  const now = isoDate(req.services.stored.now());
  await req.services.stored.update(bucketOf(req), 'meta-query', (current) => {
    const doc = asDoc(current);
    if (doc !== null && doc.State === 'Running') return current;
    // Opened now, or stored as Ready by an earlier Alunite (which built no index): running from now on.
    const created = doc !== null && typeof doc.CreateTime === 'string' ? doc.CreateTime : now;
    return asJson({ State: 'Running', Phase: 'IncrementalScanning', CreateTime: created, UpdateTime: now });
  });
  return empty();
};

export const getMetaQueryStatus: Handler = async (req) => {
  const { value } = await req.services.stored.get(bucketOf(req), 'meta-query');
  const doc = asDoc(value);
  if (doc === null) throw new AppError('MetaQueryNotExist', undefined, { BucketName: bucketOf(req) });
  return respond('GetMetaQueryStatus', doc);
};

export const closeMetaQuery: Handler = async (req) => {
  await req.services.stored.update(bucketOf(req), 'meta-query', () => null, true);
  return empty();
};
