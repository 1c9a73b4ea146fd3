import { httpDate } from '../../util/time.js';
import type { Handler } from '../context.js';
import { quoted } from '../headers.js';
import type { Operation } from '../operations.js';
import { empty } from './common.js';

/** SealAppendObject (docs/traffic-limit-seal.md): 200 with the first seal's time in x-oss-sealed-time. */
export const sealAppendObject: Handler<Extract<Operation, { name: 'SealAppendObject' }>> = async (req) => {
  req.body.resume();
  const obj = await req.services.objects.seal(req.op.bucket!, req.op.key!, req.op.params.position);
  const sealed = obj.attrs?.sealedTime;
  return empty(200, {
    ETag: quoted(obj.etag),
    ...(typeof sealed === 'number' ? { 'x-oss-sealed-time': httpDate(sealed) } : {}),
  });
};
