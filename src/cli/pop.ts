import { readFile } from 'node:fs/promises';
import { PopClient, type PopParams } from '../client/pop.js';
import { advancing, UsageError, setEndpointForErrors } from './output.js';
import { resolveConnection, type ConnectionFlags } from './profile.js';

// RAM and STS calls for the CLI: the shared PopClient with the resolved connection.

export const RAM_VERSION = '2015-05-01';
export const STS_VERSION = '2015-04-01';

export interface PopContext {
  call<T = Record<string, unknown>>(action: string, params?: PopParams): Promise<T>;
  endpoint: string;
  region: string;
}

export async function popContext(flags: ConnectionFlags, apiVersion: string): Promise<PopContext> {
  const conn = await resolveConnection(flags);
  setEndpointForErrors(conn.endpoint);
  const client = new PopClient({
    endpoint: conn.endpoint,
    apiVersion,
    accessKeyId: conn.accessKeyId,
    accessKeySecret: conn.accessKeySecret,
    ...(conn.securityToken !== undefined ? { securityToken: conn.securityToken } : {}),
  });
  return { call: (action, params) => client.request(action, params), endpoint: conn.endpoint, region: conn.region };
}

/** Every item of a Marker/IsTruncated list (RAM ListUsers, ListRoles…). */
export async function listAllPages<T>(ctx: PopContext, action: string, params: PopParams, items: (body: Record<string, unknown>) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const body = await ctx.call(action, { ...params, MaxItems: 100, ...(marker !== undefined ? { Marker: marker } : {}) });
    out.push(...(items(body) ?? []));
    if (body.IsTruncated !== true || typeof body.Marker !== 'string') return out;
    marker = advancing(seen, body.Marker, `${action} listing (Marker)`);
  }
}

/** A policy document from a file (`-` reads stdin); checked to be JSON before it is sent. */
export async function readDocument(file: string, what: string): Promise<string> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${file} is not JSON: ${(err as Error).message}`);
  }
  return text;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
