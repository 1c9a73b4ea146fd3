import { AppError, invalidArgument } from '../../errors.js';
import { isoDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { empty, readSmallBody } from '../handlers/common.js';
import { validateDocument } from './schema.js';
import { asDoc, asJson, bucketOf, MAX_BODY, requestSchema, respond } from './common.js';

// The metadata index switch (DoMetaQuery stays 501: no index is built).

export const openMetaQuery: Handler = async (req) => {
  const raw = await readSmallBody(req.body, MAX_BODY);
  if (raw.length > 0) {
    const { root, node } = requestSchema('OpenMetaQuery');
    validateDocument(raw.toString('utf8'), root, node, { maxItems: { 'Filters.Filter': 100 } });
  }
  const mode = req.query.get('mode') ?? 'basic';
  if (mode !== 'basic' && mode !== 'semantic') throw invalidArgument('mode must be basic or semantic.', 'mode', mode.slice(0, 32));
  const now = isoDate(req.services.stored.now());
  await req.services.stored.update(bucketOf(req), 'meta-query', (current) => current ?? asJson({ State: 'Ready', Phase: 'FullScanning', CreateTime: now, UpdateTime: now }));
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
