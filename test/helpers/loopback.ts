// Clients that reach OSS host names (`<bucket>.oss-cn-shenzhen.aliyuncs.com`, `oss-accelerate.aliyuncs.com`) on the
// test server: every name resolves to the loopback, the Host left as the client names it.
import { Agent, request } from 'node:http';
import type { LookupAddress } from 'node:dns';

/** An HTTP agent whose every lookup answers 127.0.0.1 (for ali-oss's `agent` option). */
export const loopbackAgent = new Agent({
  lookup: ((_host: string, opts: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    if (opts.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as never,
});

/** A GET of a URL through the loopback agent (its Host as the URL names it). */
export function loopbackGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: loopbackAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}
