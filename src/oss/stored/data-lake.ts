import { randomUUID } from 'node:crypto';
import { AppError, invalidArgument } from '../../errors.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import { empty } from '../handlers/common.js';
import { listOf, textOf, type Doc } from './schema.js';
import { asDoc, asJson, bucketBeforeBody, bucketOf, readDocument, respond } from './common.js';

// Data lake jobs (docs/stored-configurations.md). Alunite has no cache tier in front of its storage and no
// storage-transfer service: a prefetch job is stored, and starting it finishes it at once (every byte is
// already local, so there is nothing to prefetch); no operation creates a storage transfer job, so the list
// of them is always empty.

/** Prefetch jobs one bucket may hold. */
export const MAX_PREFETCH_JOBS = 100;
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

function jobsOf(value: Json | null): Doc[] {
  const doc = asDoc(value);
  return doc === null ? [] : (listOf(doc, 'Job') as Doc[]);
}

function jobIdOf(req: OssRequest, required: boolean): string | undefined {
  const id = req.query.get('x-oss-datalake-job-id');
  if (id === undefined || id === '') {
    if (required) throw invalidArgument('x-oss-datalake-job-id is required.', 'x-oss-datalake-job-id');
    return undefined;
  }
  if (!JOB_ID.test(id)) throw invalidArgument('x-oss-datalake-job-id must be 1 to 64 letters, digits, - or _.', 'x-oss-datalake-job-id', id.slice(0, 64));
  return id;
}

/** Creates a prefetch job (a new ID), or replaces the rule of the job named by x-oss-datalake-job-id. */
export const putDataLakeCachePrefetchJob: Handler = async (req) => {
  const given = jobIdOf(req, false);
  const written = await bucketBeforeBody(req); // before the body (common.ts)
  const doc = await readDocument(req, 'PutDataLakeCachePrefetchJob', { maxItems: { Includes: 100, Excludes: 100 }, maxLength: { Includes: 1024, Excludes: 1024, Tag: 128 } });
  const id = given ?? randomUUID();
  const now = String(Math.floor(req.services.stored.now() / 1000));
  await req.services.stored.update(bucketOf(req), 'datalake-prefetch', (current) => {
    const all = jobsOf(current);
    const existing = all.find((j) => textOf(j, 'ID') === id);
    if (given !== undefined && existing === undefined) throw new AppError('NoSuchDataLakeCachePrefetchJob', undefined, { JobId: id });
    if (existing === undefined && all.length >= MAX_PREFETCH_JOBS) throw invalidArgument(`A bucket may have at most ${MAX_PREFETCH_JOBS} prefetch jobs.`, 'x-oss-datalake-cache-prefetch-job');
    const job: Doc = { ID: id, Rule: doc, Status: 'Created', CreateTime: textOf(existing ?? {}, 'CreateTime') ?? now, LastModifyTime: now };
    return asJson({ Job: [...all.filter((j) => textOf(j, 'ID') !== id), job] });
  }, false, written);
  return respond('PutDataLakeCachePrefetchJob', { ID: id });
};

/** Starting a job finishes it: the data is already where a prefetch would put it. */
export const startDataLakeCachePrefetchJob: Handler = async (req) => {
  const id = jobIdOf(req, true)!;
  const now = String(Math.floor(req.services.stored.now() / 1000));
  await req.services.stored.update(bucketOf(req), 'datalake-prefetch', (current) => {
    const all = jobsOf(current);
    if (!all.some((j) => textOf(j, 'ID') === id)) throw new AppError('NoSuchDataLakeCachePrefetchJob', undefined, { JobId: id });
    return asJson({ Job: all.map((j) => (textOf(j, 'ID') === id ? { ...j, Status: 'Finished', LastModifyTime: now } : j)) });
  });
  return empty();
};

/** No operation creates storage transfer jobs: the list is always empty. */
export const listDataLakeStorageTransferJob: Handler = async (req) => {
  await req.services.stored.get(bucketOf(req), 'datalake-prefetch');
  return respond('ListDataLakeStorageTransferJob', { Truncated: 'false' });
};
