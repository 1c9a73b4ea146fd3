import type { Readable } from 'node:stream';

/**
 * Reads a small request body whole, up to `limit` bytes; past it, throws what `tooLarge` makes (each entry point
 * answers in its own protocol's error). `keepRequest`: stopping at the limit leaves the request intact, so a
 * writer that drains the rest keeps the connection (OSS); otherwise the request is destroyed.
 */
export async function readBoundedBody(body: Readable, limit: number, tooLarge: () => Error, keepRequest = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: !keepRequest }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
