/**
 * A lean POP RPC caller for the benchmark: HMAC-SHA1 (SignatureVersion 1.0) form POSTs over a keep-alive
 * agent, as bench/client.ts is for OSS. It measures what the server can do when the caller is cheap; the
 * pop-core figures stay beside it (an SDK spends ~300 µs of CPU per call on the same 2 cores).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { percentEncode } from '../src/rpc/encoding.js';
import { rpcSignature, rpcStringToSign } from '../src/rpc/signature.js';

export interface RpcKeys {
  accessKeyId: string;
  accessKeySecret: string;
}

export class LeanRpc {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(url: string, private readonly keys: RpcKeys, private readonly version: string, concurrency: number) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  /** One call; resolves with the parsed JSON answer, rejects on a non-200 status. */
  call(action: string, params: Record<string, string>): Promise<unknown> {
    const all = new Map<string, string>([
      ...Object.entries(params),
      ['Action', action],
      ['Format', 'JSON'],
      ['Version', this.version],
      ['AccessKeyId', this.keys.accessKeyId],
      ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureVersion', '1.0'],
      ['SignatureNonce', randomUUID()],
      ['Timestamp', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ]);
    all.set('Signature', rpcSignature(this.keys.accessKeySecret, rpcStringToSign('POST', all)));
    const body = Buffer.from([...all].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&'));
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: this.host, port: this.port, method: 'POST', path: '/', agent: this.agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${action}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
