import { AppError, type ErrorCode } from '../../errors.js';
import { xmlText } from '../xml.js';
import type { Json } from '../../domain/stored-configs.js';
import type { Handler, OssRequest } from '../context.js';
import type { BucketIncarnation } from '../../store/meta/types.js';
import { header } from '../headers.js';
import { checkMd5, empty, readSmallBody, xmlResponse } from '../handlers/common.js';
import { renderNode, validateDocument, type Bounds, type Doc } from './schema.js';
import { STORED_SCHEMAS, type BodySchema, type SchemaNode, type StoredOperationName } from './schemas.js';

// What every stored-configuration handler shares (docs/stored-configurations.md): reading and validating a
// request document against the generated schema, rendering a response in the published shape, and the
// generic put / get / delete of one document per bucket.

/** Request bodies of configurations: the documented limits are smaller; this bounds the rest. */
export const MAX_BODY = 64 * 1024;

export const bucketOf = (req: OssRequest): string => req.op.bucket!;

/**
 * The bucket a write is authorized on, captured before its body is read and passed as `sameBucket` to the store
 * write: a slow body must not land on a bucket of that name its owner deleted and any account created meanwhile
 * (docs/postgres.md).
 */
export const bucketBeforeBody = (req: OssRequest): Promise<BucketIncarnation> => req.services.buckets.incarnation(bucketOf(req));

function xmlSchema(body: BodySchema | undefined, what: string): { root: string; node: SchemaNode } {
  if (body === undefined || !('root' in body)) throw new Error(`${what}: no XML schema in the metadata`);
  return body;
}
export const requestSchema = (op: StoredOperationName): { root: string; node: SchemaNode } => xmlSchema(STORED_SCHEMAS[op].request, `${op} request`);
export const responseSchema = (op: StoredOperationName): { root: string; node: SchemaNode } => xmlSchema(STORED_SCHEMAS[op].response, `${op} response`);

/** Reads, size-checks (Content-MD5 when sent) and validates the request document of `op`. */
export async function readDocument(req: OssRequest, op: StoredOperationName, bounds: Bounds = {}): Promise<Doc> {
  const raw = await readSmallBody(req.body, MAX_BODY);
  checkMd5(raw, header(req.headers, 'content-md5'), false);
  const { root, node } = requestSchema(op);
  return validateDocument(xmlText(raw), root, node, bounds);
}

/** The response document of `op` rendered from `doc` in the published shape. */
export function respond(op: StoredOperationName, doc: Doc): ReturnType<typeof xmlResponse> {
  const { root, node } = responseSchema(op);
  return xmlResponse(renderNode(root, node, doc)!);
}

export const asDoc = (v: Json | null): Doc | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as unknown as Doc) : null);
export const asJson = (d: Doc): Json => d as unknown as Json;

// ---- one document per bucket ---------------------------------------------------------------------------

export interface Single {
  /** Store name (`stored.<config>`). */
  config: string;
  bounds?: Bounds;
  /** Checks beyond the schema (a semantic rule): throw an AppError to refuse; a document returned is stored instead. */
  check?: (doc: Doc) => Doc | void;
}

export function putSingle(op: StoredOperationName, spec: Single): Handler {
  return async (req) => {
    const written = await bucketBeforeBody(req);
    const doc = await readDocument(req, op, spec.bounds);
    const stored = spec.check?.(doc) ?? doc;
    await req.services.stored.update(bucketOf(req), spec.config, () => asJson(stored), false, written);
    return empty();
  };
}

/** Get: the stored document, else `absent` (an error code, or the document OSS shows for the default). */
export function getSingle(op: StoredOperationName, config: string, absent: ErrorCode | Doc): Handler {
  return async (req) => {
    const { value } = await req.services.stored.get(bucketOf(req), config);
    const doc = asDoc(value);
    if (doc === null) {
      if (typeof absent === 'string') throw new AppError(absent, undefined, { BucketName: bucketOf(req) });
      return respond(op, absent);
    }
    return respond(op, doc);
  };
}

export function deleteSingle(config: string): Handler {
  return async (req) => {
    await req.services.stored.update(bucketOf(req), config, () => null, true);
    return empty(204);
  };
}

