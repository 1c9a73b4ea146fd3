import { overwriteForbidden } from '../overwrite.js';
import { TASK_ID, ASYNC_FETCH_LIMITS, type FetchCallback, type FetchTaskInfo } from '../../domain/async-fetch.js';
import { assertObjectKey } from '../../domain/names.js';
import { parseStorageClass } from '../../domain/objects.js';
import { AppError, invalidArgument } from '../../errors.js';
import { parseCallback, writtenOf } from '../callback.js';
import type { Handler } from '../context.js';
import { header } from '../headers.js';
import { writeChecks } from '../operations.js';
import { childBool, childTextOnce } from '../xml-reader.js';
import { el } from '../xml.js';
import { readConfigXml, xmlResponse } from './common.js';

// PutAsyncFetchTask / GetAsyncFetchTask (docs/async-fetch.md, routed by oss/async-fetch-route.ts): XML in and out;
// the task rules and the run are domain/async-fetch.ts, the outbound fetch oss/async-fetch-source.ts.

const MAX_BODY = 64 * 1024;
const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;

/** A required text element ('' or absent: InvalidArgument naming it) [UNVERIFIED: OSS's code for a missing one]. */
function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw invalidArgument(`${name} is required.`, name);
  return value;
}

/**
 * A URL's user name and password are never kept (GetAsyncFetchTask would show them to its readers): replaced by
 * `***`, which the fetch still refuses as credentials in the URL (the task fails, as before).
 */
function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = '***';
  parsed.password = '';
  return parsed.href;
}

export const putAsyncFetchTask: Handler = async (req) => {
  const bucket = req.op.bucket!;
  const doc = await readConfigXml(req, 'AsyncFetchTaskConfiguration', MAX_BODY);
  const url = withoutCredentials(required(childTextOnce(doc, 'Url')?.trim(), 'Url'));
  if (Buffer.byteLength(url) > ASYNC_FETCH_LIMITS.urlBytes) throw invalidArgument(`Url is longer than ${ASYNC_FETCH_LIMITS.urlBytes} bytes.`, 'Url');
  const object = required(childTextOnce(doc, 'Object', 2048), 'Object');
  assertObjectKey(object);
  const host = childTextOnce(doc, 'Host', ASYNC_FETCH_LIMITS.hostChars)?.trim() ?? '';
  if (host !== '' && !HOST.test(host)) throw invalidArgument('Host is not a host name.', 'Host', host);
  const contentMd5 = childTextOnce(doc, 'ContentMD5', 64)?.trim() ?? '';
  if (contentMd5 !== '' && (!/^[A-Za-z0-9+/]{22}==$/.test(contentMd5) || Buffer.from(contentMd5, 'base64').length !== 16)) {
    throw invalidArgument('ContentMD5 must be the base64 of an MD5 digest.', 'ContentMD5', contentMd5);
  }
  const callback = childTextOnce(doc, 'Callback', 16 * 1024)?.trim() ?? '';
  const spec = parseCallback(callback, () => undefined, null);
  const storageClass = childTextOnce(doc, 'StorageClass', 64)?.trim() ?? '';
  if (storageClass !== '') parseStorageClass(storageClass, 'StorageClass');
  // Left out, IgnoreSameKey is true (the Java SDK's and oss2's tests read it back so after a task that did not set it).
  const ignoreSameKey = childBool(doc, 'IgnoreSameKey', 'InvalidArgument', 16, true) ?? true;
  // The task writes the object as PutObject would: the caller must be allowed that write too (and its KMS key use).
  await req.authorize(writeChecks('oss:PutObject', bucket, object, 'write', { tagging: false, objectAcl: false, encrypts: 'bucketDefault' }));
  let run: FetchCallback | null = null;
  if (spec !== null) {
    const callbacks = req.services.callbacks;
    if (callbacks === undefined) throw new AppError('NotImplemented', 'Upload callbacks are not enabled on this server.');
    const publicKeyUrl = callbacks.publicKeyUrl(header(req.headers, 'host'), bucket, req.endpoint.scheme === 'https', req.endpoint.host);
    run = (obj) => callbacks.notify(spec, { object: writtenOf(obj), clientIp: '', requestId: '', operation: 'AsyncFetch' }, publicKeyUrl);
  }
  // The task runs later without the caller: whether the bucket's overwrite rules forbid this caller to replace the
  // object is decided now and kept with it (docs/stored-configurations.md, overwrite rules).
  const forbidden = await overwriteForbidden(req, bucket, object, null);
  const info: FetchTaskInfo = { url, object, host, contentMd5, callback, storageClass, ignoreSameKey, ...(forbidden ? { overwriteForbidden: true } : {}) };
  const id = await req.services.asyncFetch.submit(bucket, info, run, req.accountId);
  return xmlResponse(el('AsyncFetchTaskResult', [el('TaskId', id)]));
};

export const getAsyncFetchTask: Handler = async (req) => {
  const id = header(req.headers, 'x-oss-task-id')?.trim();
  if (id === undefined || id === '') throw invalidArgument('The x-oss-task-id header is required.', 'x-oss-task-id');
  if (!TASK_ID.test(id)) throw new AppError('NoSuchAsyncFetchTask');
  const task = await req.services.asyncFetch.get(req.op.bucket!, id);
  const i = task.info;
  return xmlResponse(el('AsyncFetchTaskInfo', [
    el('TaskId', task.id),
    el('State', task.state),
    el('ErrorMsg', task.errorMsg),
    el('TaskInfo', [
      el('Url', i.url),
      el('Object', i.object),
      el('Host', i.host),
      el('ContentMD5', i.contentMd5),
      el('Callback', i.callback),
      el('StorageClass', i.storageClass),
      el('IgnoreSameKey', i.ignoreSameKey),
    ]),
  ]));
};
