// Writes whose size the server learns late or never (shared by the storage capacity and storage quota suites,
// docs/storage-capacity.md): a PUT that declares a length and never sends the body, a PostObject form, a chunked
// UploadPart. V1-signed with the test server's root key.
import { request } from 'node:http';
import { signPostPolicyV1 } from '../../src/oss/post-policy.js';
import { parseErrorXml, rawRequest, v1Authorization } from './raw-http.js';
import type { SignedReply } from './signed.js';
import { AK, SECRET } from './server.js';

/**
 * A V1-signed PUT declaring `length` bytes whose body is never sent: the answer to its headers, then the
 * connection is dropped.
 */
export function declaredOnly(port: number, bucket: string, key: string, query: Array<[string, string]>, length: number): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { host: `localhost:${port}`, 'x-oss-date': new Date().toUTCString(), 'content-length': String(length) };
  headers.authorization = v1Authorization({ method: 'PUT', bucket, key, query, headers }, AK, SECRET).authorization;
  const qs = query.length > 0 ? `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: 'PUT', path: `/${bucket}/${key}${qs}`, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        r.destroy();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') reject(err);
    });
    r.flushHeaders();
  });
}

/** A V1 PostObject form (its file part has no declared length). */
export async function postForm(url: string, bucket: string, key: string, data: string): Promise<{ status: number; text: string }> {
  const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [['starts-with', '$key', 'form/']] })).toString('base64');
  const fd = new FormData();
  for (const [k, v] of [['key', key], ['OSSAccessKeyId', AK], ['policy', policy], ['Signature', signPostPolicyV1(SECRET, policy)]] as const) fd.append(k, v);
  fd.append('file', new Blob([data]), 'f.txt');
  const res = await fetch(`${url}/${bucket}/`, { method: 'POST', body: fd });
  return { status: res.status, text: await res.text() };
}

/** A V1-signed UploadPart whose body is sent chunked (no Content-Length). */
export async function chunkedPart(port: number, bucket: string, key: string, uploadId: string, body: string): Promise<SignedReply> {
  const query: Array<[string, string]> = [['partNumber', '1'], ['uploadId', uploadId]];
  const headers: Record<string, string> = { host: `localhost:${port}`, 'x-oss-date': new Date().toUTCString(), 'transfer-encoding': 'chunked' };
  headers.authorization = v1Authorization({ method: 'PUT', bucket, key, query, headers }, AK, SECRET).authorization;
  const res = await rawRequest(port, { method: 'PUT', path: `/${bucket}/${key}?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, headers, body });
  const text = res.body.toString('utf8');
  return { status: res.status, headers: res.headers, text, body: res.body, err: text.includes('<Error>') ? parseErrorXml(text) : null };
}
