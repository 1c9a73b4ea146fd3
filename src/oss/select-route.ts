import type { Operation, RouteInput } from './operations.js';

// Routing of SelectObject and CreateSelectObjectMeta (docs/select.md), ahead of the refusals that answer
// other uses of `x-oss-process` with 501: `POST /<bucket>/<key>?x-oss-process=csv/select|json/select`
// reads the object (oss:GetObject, an ACL that grants reads grants it); `csv/meta|json/meta` needs write
// permission on the object as documented (oss:PutObject, as ossutil's page names it). Other non-empty
// processes on POST stay 501.
const SELECT_PROCESSES: ReadonlyMap<string, { name: 'SelectObject' | 'CreateSelectObjectMeta'; format: 'csv' | 'json' }> = new Map([
  ['csv/select', { name: 'SelectObject', format: 'csv' }],
  ['json/select', { name: 'SelectObject', format: 'json' }],
  ['csv/meta', { name: 'CreateSelectObjectMeta', format: 'csv' }],
  ['json/meta', { name: 'CreateSelectObjectMeta', format: 'json' }],
] as const);

export function routeSelect(input: RouteInput): Operation | null {
  const { method, address, query } = input;
  const { bucket, key } = address;
  if (method !== 'POST' || bucket === null || key === null) return null;
  const process = query.get('x-oss-process');
  if (process === undefined) return null;
  const hit = SELECT_PROCESSES.get(process.toLowerCase());
  if (hit === undefined) {
    if (process === '') return null; // image save-as (oss/image-route.ts)
    // Another processing POST (a video or document process, a typo): 501 as before, after authorization.
    const message = `POST with x-oss-process=${process.slice(0, 64)} is not implemented by Alunite yet.`;
    return { name: 'Unimplemented', bucket, key, checks: [{ action: 'oss:GetObject', bucket, key, acl: 'none' }], params: { operation: 'SelectObject', message } };
  }
  if (hit.name === 'SelectObject') {
    // `versionId` selects from that version, read as GetObject reads one (oss:GetObjectVersion, its own ACL).
    const versionId = query.get('versionId');
    const check = versionId === undefined
      ? { action: 'oss:GetObject', bucket, key, acl: 'read' as const }
      : { action: 'oss:GetObjectVersion', bucket, key, acl: 'read' as const, versionId };
    return { name: 'SelectObject', bucket, key, checks: [check], params: { format: hit.format } };
  }
  return { name: 'CreateSelectObjectMeta', bucket, key, checks: [{ action: 'oss:PutObject', bucket, key, acl: 'write' }], params: { format: hit.format } };
}
