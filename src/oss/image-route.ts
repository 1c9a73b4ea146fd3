import { AppError, invalidArgument } from '../errors.js';
import type { Operation, RouteInput } from './operations.js';

// Routing of image processing and image styles (docs/image-processing.md), ahead of the refusals in
// operations.ts that answer every other use of `x-oss-process` with 501:
// - GET /<bucket>/<key>?x-oss-process=…: GetObject (oss:GetObject, or oss:GetObjectVersion with versionId),
//   whatever else the query says routed as usual;
// - POST /<bucket>/<key>?x-oss-process (empty value; the process is in the body): save-as, oss:GetObject on
//   the source here and oss:PutObject on the target once the body names it. `x-oss-process=csv/select`
//   and the like are SelectObject (oss/select-route.ts);
// - `?style` on a bucket: PutStyle / GetStyle / ListStyle / DeleteStyle, each its own action.

/** Longest styleName accepted on the wire (the service checks the name rules). */
const MAX_STYLE_NAME = 256;

export function routeImage(input: RouteInput, routeRest: (input: RouteInput) => Operation): Operation | null {
  const { method, address, query } = input;
  const { bucket, key } = address;
  if (bucket === null) return null;
  if (key === null) {
    if (!query.has('style')) return null;
    const styleName = query.get('styleName');
    const checks = (name: string): Operation['checks'] => [{ action: `oss:${name}`, bucket, key: null, acl: 'none' }];
    const named = (): string => {
      if (styleName === undefined || styleName === '') throw new AppError('MissingArgument', 'The styleName parameter is required.');
      if (styleName.length > MAX_STYLE_NAME) throw invalidArgument('The style name is too long.', 'styleName', styleName.slice(0, 64));
      return styleName;
    };
    switch (method) {
      case 'GET':
        if (styleName === undefined) return { name: 'ListStyle', bucket, key: null, checks: checks('ListStyle') };
        return { name: 'GetStyle', bucket, key: null, checks: checks('GetStyle'), params: { styleName: named() } };
      case 'PUT': {
        const category = query.get('category');
        return { name: 'PutStyle', bucket, key: null, checks: checks('PutStyle'), params: { styleName: named(), ...(category !== undefined ? { category } : {}) } };
      }
      case 'DELETE':
        return { name: 'DeleteStyle', bucket, key: null, checks: checks('DeleteStyle'), params: { styleName: named() } };
      default:
        return null;
    }
  }
  const process = query.get('x-oss-process');
  if (process === undefined) return null;
  if (method === 'GET') {
    const rest = new Map(query);
    rest.delete('x-oss-process');
    const op = routeRest({ ...input, query: rest });
    if (op.name === 'GetObject' || op.name === 'Unimplemented') return op;
    throw invalidArgument(`x-oss-process applies to GetObject only, not to ${op.name}.`, 'x-oss-process', process.slice(0, 256));
  }
  if (method === 'POST' && process === '') {
    return { name: 'ProcessObjectSave', bucket, key, checks: [{ action: 'oss:GetObject', bucket, key, acl: 'read' }] };
  }
  return null;
}
