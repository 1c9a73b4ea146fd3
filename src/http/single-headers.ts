import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.js';
import { closeWithError } from './close-with-error.js';

/**
 * Header fields a request may carry once. node keeps the first of several `Host` or `Authorization` lines and
 * drops the rest without a word, while a proxy or cache in front may act on another one: the bucket a
 * virtual-hosted request names, or the credentials it is signed with, would differ between the hops (RFC 9112
 * §3.2: a request with more than one Host line MUST be answered 400). Such a request is refused, and its
 * connection closed, before anything reads it.
 */
/** True when the request was refused (answered 400 InvalidRequest): drop it. */
export function refuseRepeatedSingletons(req: IncomingMessage, res: ServerResponse): boolean {
  const raw = req.rawHeaders;
  let host = false;
  let authorization = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Only names of the right length are compared: the common request pays a length check per line.
    let repeated = false;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      repeated = host;
      host = true;
    } else if (name.length === 13 && name.toLowerCase() === 'authorization') {
      repeated = authorization;
      authorization = true;
    }
    if (repeated) {
      req.resume();
      closeWithError(req, res, new AppError('InvalidRequest', `The request has more than one ${name} header.`));
      return true;
    }
  }
  return false;
}
