import { Readable } from 'node:stream';
import { AppError, invalidArgument } from '../../errors.js';
import { checkPreconditions } from '../../domain/conditions.js';
import { assertBucketName, assertObjectKey } from '../../domain/names.js';
import { assertSourceSize, processImage, IMAGE_LIMITS, type ProcessResult } from '../../image/apply.js';
import { parseProcess, parseSaveAsBody, styleSteps, type Step } from '../../image/parse.js';
import type { ImageStyle } from '../../image/styles.js';
import { assertReadUnprotected, processOf } from '../image-access.js';
import { httpDate } from '../../util/time.js';
import type { Handler, OssRequest, OssResponse } from '../context.js';
import { preconditionsFrom } from '../headers.js';
import { childText, el, type XmlNode } from '../xml.js';
import { empty, kmsDecryptCheck, readCheckedBody, readConfigXml, symlinkTargetCheck, xmlResponse } from './common.js';
import { writeChecks } from '../operations.js';
import { triggerCallbackOf, writtenOf, type CallbackSpec } from '../callback.js';
import { overwriteForbidden } from '../overwrite.js';
import { applyResponseOverrides, forceDownloadOfActiveContent } from '../response-overrides.js';
import { assertImageAnswerRoom, heldImageAnswer } from '../image-answers.js';

// HTTP glue of image processing and styles (docs/image-processing.md): the grammar is image/parse.ts, the
// pixels image/apply.ts, the styles image/styles.ts. Sources are read through the object service like any
// GetObject (versions, symlinks, archive state, encryption at rest), refused by size before a byte is read.

/** Reads an object's bytes for processing: its size is checked first, so at most IMAGE_LIMITS.maxSourceBytes are held. */
async function readSource(req: OssRequest, bucket: string, key: string, versionId?: string, conditions = false): Promise<Buffer> {
  const { meta, data } = await req.services.objects.readView(bucket, key, symlinkTargetCheck(req, bucket), versionId);
  await kmsDecryptCheck(req, data);
  // The source, a link's target or a watermark image: an anonymous caller gets none that is protected but by a style.
  await assertReadUnprotected(req, bucket, data.key);
  if (conditions) checkPreconditions(meta, preconditionsFrom(req.headers));
  await req.services.objects.assertReadable(data, bucket);
  assertSourceSize(data.size);
  const inline = req.services.objects.inlineBytes(data, null);
  if (inline !== null) return inline;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.services.objects.openRead(data, null) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > IMAGE_LIMITS.maxSourceBytes) throw new AppError('ImageTooLarge');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Runs steps on an object; a watermark image is another object of the bucket, read with the caller's rights.
 * `answered`: the result goes back to the client, so the job starts only while processed answers waiting for their
 * clients are within their bound (checked in the job's slot, before the source is read: oss/image-answers.ts).
 */
async function processObject(req: OssRequest, bucket: string, key: string, steps: Step[], versionId?: string, answered = false): Promise<ProcessResult> {
  const load = (): Promise<Buffer> => {
    if (answered) assertImageAnswerRoom();
    return readSource(req, bucket, key, versionId, true);
  };
  return processImage(load, steps, {
    ...(req.clientGone !== undefined ? { clientGone: req.clientGone } : {}),
    loadImage: async (mark) => {
      await req.authorize([{ action: 'oss:GetObject', bucket, key: mark, acl: 'read' }]);
      return readSource(req, bucket, mark);
    },
  });
}

/** The steps an x-oss-process value names, expanding `style/<name>`. */
async function stepsOf(req: OssRequest, raw: string): Promise<Step[]> {
  if (raw.includes('|')) throw invalidArgument('sys/saveas can only be used with POST.', 'x-oss-process', raw.slice(0, 256));
  const parsed = parseProcess(raw);
  if (parsed.kind === 'image') return parsed.steps;
  const style = await req.services.styles.get(req.op.bucket!, parsed.name);
  return styleSteps(style.content);
}

/** GetObject with x-oss-process: the processed image, or the info / average-hue JSON. */
export async function getProcessedObject(req: OssRequest): Promise<OssResponse> {
  const steps = await stepsOf(req, processOf(req.op, req.query) ?? '');
  const versionId = req.query.get('versionId');
  // A version is processed only while the key has a current object: under a delete marker the answer is
  // NoSuchKey, as the save-as form gives (the C++ SDK's ProcessObjectWithVersioningEnableTest) [UNVERIFIED].
  if (versionId !== undefined) await req.services.objects.head(req.op.bucket!, req.op.key!);
  // response-* parameters apply as on a plain GetObject (a download name for a thumbnail) [UNVERIFIED]: checked
  // before the pixels are worked (anonymous callers may not use them), set on the answer after.
  const overrides: Record<string, string> = {};
  applyResponseOverrides(req, overrides);
  const result = await processObject(req, req.op.bucket!, req.op.key!, steps, versionId, true);
  const headers: Record<string, string> = { 'Content-Length': String(Buffer.byteLength(result.body)) };
  headers['Content-Type'] = result.type === 'json' ? 'application/json' : result.contentType;
  Object.assign(headers, overrides);
  // Relabelled text/html (or a key named .html), a processed image is a download, as a plain GET's would be.
  forceDownloadOfActiveContent(headers, req.op.key!, req.op.key!, undefined);
  return { status: 200, headers, body: result.type === 'image' ? heldImageAnswer(result.body) : result.body };
}

/** The body of a save-as request: a form field, a few KiB at most. */
const MAX_SAVE_AS_BODY = 16 * 1024;

/** POST /<key>?x-oss-process with `x-oss-process=image/…|sys/saveas,o_…,b_…`: the result as a new object. */
export const processObjectSave: Handler = async (req) => {
  const raw = await readCheckedBody(req, MAX_SAVE_AS_BODY);
  const body = raw.toString('utf8');
  const trigger = triggerCallbackOf(new URLSearchParams(body).get('x-oss-process') ?? '');
  if (trigger !== null) return triggerCallback(req, trigger);
  const { steps, saveAs } = parseSaveAsBody(body);
  const bucket = saveAs.bucket ?? req.op.bucket!;
  try {
    assertBucketName(bucket);
    assertObjectKey(saveAs.key);
  } catch {
    throw invalidArgument('The sys/saveas target bucket or object name is invalid.', 'x-oss-process');
  }
  // Writing the target is a PutObject of it (an ACL that grants writes grants it), checked before any work; it is
  // encrypted as the target bucket's default says, so its KMS key is that one whatever the request's headers say.
  await req.authorize(writeChecks('oss:PutObject', bucket, saveAs.key, 'write', { tagging: false, objectAcl: false, encrypts: 'bucketDefault' }));
  const result = await processObject(req, req.op.bucket!, req.op.key!, steps);
  const contentType = result.type === 'json' ? 'application/json' : result.contentType;
  const bytes = typeof result.body === 'string' ? Buffer.from(result.body, 'utf8') : result.body;
  await req.services.objects.put({
    bucket,
    key: saveAs.key,
    headers: { contentType },
    userMeta: {},
    body: Readable.from([bytes]),
    expect: { length: bytes.length },
    // No x-oss-forbid-overwrite here; the target bucket's overwrite rules apply as to a PutObject of the target.
    forbidOverwrite: await overwriteForbidden(req, bucket, saveAs.key, null),
  });
  // `bucket` echoes the `b_` parameter: "" when the target is the source's bucket by default (the Go SDK's
  // TestProcessObject and oss2's test_process_object expect this of OSS).
  const answer = JSON.stringify({ bucket: saveAs.bucket ?? '', fileSize: bytes.length, object: saveAs.key, status: 'OK' });
  return { status: 200, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(answer)) }, body: answer };
};

/**
 * TriggerCallback (`x-oss-process=trigger/callback,…` in the body, the mobile SDKs' `triggerCallback`): the callback
 * an upload of the object would have sent, sent now for the stored object, its answer the request's (the callback
 * server's JSON, or 203 CallbackFailed). The caller must be allowed to write the object as well as read it: a
 * callback tells an application server an object was uploaded [UNVERIFIED: which action OSS checks].
 */
async function triggerCallback(req: OssRequest, spec: CallbackSpec): Promise<OssResponse> {
  const bucket = req.op.bucket!;
  const key = req.op.key!;
  if (req.services.callbacks === undefined) throw new AppError('NotImplemented', 'Upload callbacks are not enabled on this server.');
  await req.authorize(writeChecks('oss:PutObject', bucket, key, 'write', { tagging: false, objectAcl: false, encrypts: false }));
  const obj = await req.services.objects.head(bucket, key);
  return { status: 200, headers: {}, written: writtenOf(obj), callback: { spec, operation: 'TriggerCallback' } };
}

// ---- Styles ----

const styleParams = (req: OssRequest): { styleName: string; category?: string } => {
  const op = req.op;
  if (op.name !== 'PutStyle' && op.name !== 'GetStyle' && op.name !== 'DeleteStyle') throw new AppError('InternalError');
  return op.params;
};

export const putStyle: Handler = async (req) => {
  const { styleName, category } = styleParams(req);
  // The bucket authorized on, before the body: a slow body must not land on a bucket of that name created meanwhile.
  const written = await req.services.buckets.incarnation(req.op.bucket!);
  const doc = await readConfigXml(req, 'Style', 16 * 1024);
  const content = childText(doc, 'Content')?.trim();
  if (content === undefined) throw new AppError('MalformedXML', undefined, { ErrorDetail: 'Style needs a Content element.' });
  await req.services.styles.put(req.op.bucket!, styleName, content, category, written);
  return empty();
};

function styleXml(s: ImageStyle): XmlNode {
  return el('Style', [
    el('Name', s.name),
    el('Content', s.content),
    el('CreateTime', httpDate(s.createTime)),
    el('LastModifyTime', httpDate(s.lastModifyTime)),
    el('Category', s.category),
  ]);
}

export const getStyle: Handler = async (req) => xmlResponse(styleXml(await req.services.styles.get(req.op.bucket!, styleParams(req).styleName)));

export const listStyle: Handler = async (req) => xmlResponse(el('StyleList', (await req.services.styles.list(req.op.bucket!)).map(styleXml)));

export const deleteStyle: Handler = async (req) => {
  await req.services.styles.delete(req.op.bucket!, styleParams(req).styleName);
  return empty(204);
};

/** Whether a GetObject asks for processing (`x-oss-process`, or a style after a delimiter), decided once in the GetObject handler. */
export const wantsProcessing = (req: Pick<OssRequest, 'op' | 'query'>): boolean => processOf(req.op, req.query) !== undefined;
