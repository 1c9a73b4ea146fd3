import type { AddressInfo } from 'node:net';
import { defaultMaxConnections, readTlsMaterial } from '../http/serve.js';
import { createLogger, type Logger } from '../log.js';
import { systemClock, type Clock } from '../util/time.js';
import { jwtAuthenticator, usersAuthenticator, type Authenticator } from './auth.js';
import type { VendConfig } from './config.js';
import { createVendServer } from './http.js';
import { VendService } from './service.js';
import { StsIssuer } from './sts.js';

// `alunite vend`: the token vending service, a process of its own (docs/vend.md).

export { loadConfigFile, parseConfig, ConfigError, type VendConfig } from './config.js';

export interface VendOptions {
  config: VendConfig;
  /** Tests inject a clock (JWT times, cache half-life, rate limit); production reads the system clock. */
  clock?: Clock;
  log?: Logger;
  /** Overrides config.listen. */
  host?: string;
  port?: number;
  /** Overrides config.listen.tls (the CLI's --cert/--key). */
  tls?: { cert: string; key: string };
  /** Ask STS who the AccessKey belongs to and refuse the account's own key (the CLI does). */
  refuseRootKey?: boolean;
  /**
   * Connections held at once; beyond, new ones are closed as they arrive. Default: as the server's own listener,
   * from the process's open-file limit (http/serve.ts defaultMaxConnections); null: no cap.
   */
  maxConnections?: number | null;
}

export interface RunningVend {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startVend(opts: VendOptions): Promise<RunningVend> {
  const config = opts.config;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger('info');
  const issuer = new StsIssuer(config.sts);
  if (opts.refuseRootKey) await issuer.checkNotRoot();
  const auth: Authenticator = config.auth.mode === 'users' ? await usersAuthenticator(config.auth, clock) : jwtAuthenticator(config.auth, clock);
  const service = new VendService({ config, auth, issuer, clock, log });
  const tlsFiles = opts.tls ?? config.listen.tls;
  // Read and checked before anything listens: a bad file stops the start with a message naming it.
  const tls = tlsFiles === null ? null : await readTlsMaterial(tlsFiles);
  const server = createVendServer({ config, service, auth, log, tls });
  // A flood of idle connections must not take every file descriptor, the one vend needs to reach STS included.
  const cap = opts.maxConnections === undefined ? defaultMaxConnections() : opts.maxConnections;
  if (cap !== null) server.maxConnections = cap;
  const host = opts.host ?? config.listen.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? config.listen.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `${tls === null ? 'http' : 'https'}://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
