import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { acceptChunkedWithLength } from './chunked-length.js';
import { unpaceLoopback } from './loopback-pacing.js';
import { answerClientError } from './client-error.js';
import { onePerConnection } from './one-per-connection.js';

/** `--cert`/`--key` (PEM files); with `port`, HTTPS listens there and plain HTTP stays on the main port. */
export interface TlsOptions {
  cert: string;
  key: string;
  port?: number;
}

interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the certificate and key at start-up; every error names the file at fault. */
export async function readTlsMaterial(tls: TlsOptions): Promise<TlsMaterial> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const [cert, key] = await Promise.all([read(tls.cert, 'certificate'), read(tls.key, 'private key')]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`the TLS certificate ${tls.cert} is not a PEM certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`the TLS private key ${tls.key} is not a PEM private key: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`the TLS private key ${tls.key} does not belong to the certificate ${tls.cert}`);
  return { cert, key };
}

export interface Listening {
  /** The main listener: HTTPS when TLS is on without its own port, else HTTP. */
  server: Server;
  port: number;
  url: string;
  /** The second (HTTPS) listener of `--https-port`. */
  https?: { server: Server; port: number; url: string };
  close(): Promise<void>;
}

// requestTimeout 0: a multi-gigabyte upload may take hours. What is bounded instead is silence: a socket
// with no bytes either way for idleTimeoutMs (default 5 minutes) is closed, so a stalled or trickling client
// cannot hold a connection (and a half-read PostObject form) forever.
const HTTP_OPTIONS: ServerOptions = { keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 };
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

function listenOn(server: Server, port: number, host: string, keepLoopbackPacing: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // Connections from this host go unpaced under BBR: its pacing timers cost a large GET half its CPU.
      if (!keepLoopbackPacing) unpaceLoopback(server);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Descriptors kept for everything but client connections (blob files, the database, the hash workers' pipes). */
const RESERVED_FDS = 1024;

/**
 * How many client connections the process accepts at once, by default: half of its open-file limit less a
 * reserve (node raises the soft limit to the hard one at start), since a connection serving a download or an
 * upload holds a blob file open besides its socket. Without a cap, a flood of idle connections took every
 * descriptor, and requests in flight could then fail to open their blob files (EMFILE); a cap of the whole
 * limit still let ~10,000 stalled downloads of a public object do the same. With it, the connections beyond
 * are closed as they come and the ones in flight keep working. Null where the limit cannot be read (not
 * Linux): no cap.
 */
export function defaultMaxConnections(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line || line[1] === 'unlimited') return null;
    const limit = Number(line[1]);
    return Math.max(32, Math.floor((limit - Math.min(RESERVED_FDS, Math.floor(limit / 4))) / 2));
  } catch {
    return null;
  }
}

/** Starts the listener(s) for one handler: HTTP, HTTPS, or HTTP and HTTPS on two ports. */
export async function listen(
  host: string,
  port: number,
  tls: (TlsMaterial & { port?: number }) | null,
  handler: RequestListener,
  limits: { idleTimeoutMs?: number; maxConnections?: number | null; keepLoopbackPacing?: boolean } = {},
): Promise<Listening> {
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  // HTTP and HTTPS on two ports split the cap.
  const cap = limits.maxConnections === undefined ? defaultMaxConnections() : limits.maxConnections;
  const perServer = cap === null ? null : tls !== null && tls.port !== undefined ? Math.max(1, Math.floor(cap / 2)) : cap;
  const make = (secure: boolean): Server => {
    const serial = onePerConnection(handler);
    const server = secure && tls ? createHttpsServer({ ...HTTP_OPTIONS, cert: tls.cert, key: tls.key }, serial) : createServer(HTTP_OPTIONS, serial);
    server.on('clientError', answerClientError);
    acceptChunkedWithLength(server);
    server.setTimeout(limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    // node drops header lines past the 2,000th without a word, so a second Host or Authorization hidden behind 2,000
    // short lines went unseen (http/single-headers.ts): every line is kept. The head is bounded in bytes anyway
    // (maxHeaderSize, 16 KiB: at most ~4,000 lines).
    server.maxHeadersCount = 0;
    if (perServer !== null) server.maxConnections = perServer;
    return server;
  };
  const mainSecure = tls !== null && tls.port === undefined;
  const server = make(mainSecure);
  const mainPort = await listenOn(server, port, host, limits.keepLoopbackPacing === true);
  const listening: Listening = {
    server,
    port: mainPort,
    url: `${mainSecure ? 'https' : 'http'}://${hostForUrl}:${mainPort}`,
    close: async () => {
      await Promise.all([closeServer(server), ...(listening.https ? [closeServer(listening.https.server)] : [])]);
    },
  };
  if (tls !== null && tls.port !== undefined) {
    const secure = make(true);
    try {
      const securePort = await listenOn(secure, tls.port, host, limits.keepLoopbackPacing === true);
      listening.https = { server: secure, port: securePort, url: `https://${hostForUrl}:${securePort}` };
    } catch (err) {
      await closeServer(server);
      throw err;
    }
  }
  return listening;
}
