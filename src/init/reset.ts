// `POST /-/reset` (development only, `--allow-reset`): everything removed, then the declared state applied.
// Semantics under concurrency (docs/init.md): in this process a reset waits for the requests in progress to
// finish and holds new ones until it is done, so every request runs wholly before or wholly after it. Other
// processes sharing a PostgreSQL store are ordered by the store's table locks (store reset()).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateInternal } from '../auth/internal-request.js';
import type { CredentialResolver } from '../auth/principal.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OssResponse } from '../oss/context.js';
import type { BlobStore } from '../store/blob/types.js';
import type { MetadataStore } from '../store/meta/types.js';
import type { Clock } from '../util/time.js';
import { applyState, type ApplyDeps, type ApplyResult } from './apply.js';
import { InitFileError } from './state.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Counts requests in progress and lets one task at a time run with none in progress. */
export class RequestGate {
  private inFlight = 0;
  private closed = false;
  private held: Array<() => void> = [];
  private drained: (() => void) | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly released = new WeakSet<IncomingMessage>();

  wrap(handler: Listener): Listener {
    return (req, res) => {
      const run = (): void => {
        this.inFlight++;
        res.once('close', () => {
          if (!this.released.has(req)) this.leave();
        });
        handler(req, res);
      };
      if (this.closed) this.held.push(run);
      else run();
    };
  }

  private leave(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.drained) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }

  /** Runs `fn` once every other request has finished, holding new ones meanwhile; `req` (the caller's own) no longer counts. */
  async exclusive<T>(req: IncomingMessage, fn: () => Promise<T>): Promise<T> {
    if (!this.released.has(req)) {
      this.released.add(req);
      this.leave();
    }
    const previous = this.chain;
    let release!: () => void;
    this.chain = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    this.closed = true;
    try {
      if (this.inFlight > 0) await new Promise<void>((r) => { this.drained = r; });
      return await fn();
    } finally {
      this.closed = false;
      const held = this.held;
      this.held = [];
      release();
      for (const run of held) run();
    }
  }
}

export interface ResetDeps extends ApplyDeps {
  enabled: boolean;
  /** The state file to re-read and apply after the wipe; none: the server is left empty. */
  initFile?: string;
  meta: MetadataStore;
  blobs: BlobStore;
  credentials: CredentialResolver;
  region: string;
  clock: Clock;
  hostnames: readonly string[];
  gate: RequestGate;
  log: Logger;
}

/** Removes everything (metadata in one transaction, then the blobs it referenced). */
export async function wipe(meta: MetadataStore, blobs: BlobStore): Promise<number> {
  const blobIds = await meta.reset();
  await blobs.delete(blobIds);
  return blobIds.length;
}

/** Answers `/-/reset`; errors are thrown as AppErrors and rendered in the OSS error shape by the listener. */
export async function handleReset(req: IncomingMessage, deps: ResetDeps): Promise<OssResponse> {
  if (!deps.enabled) throw new AppError('AccessDenied', 'Reset is disabled on this server: start it with --allow-reset (ALUNITE_ALLOW_RESET=1), for development and tests only.');
  const method = req.method ?? 'GET';
  if (method !== 'POST') throw new AppError('MethodNotAllowed', 'Use POST /-/reset.');
  // Signed like any OSS request over the path /-/reset; only the account's root credentials may reset.
  const auth = await authenticateInternal(req, deps);
  if (auth.principal.type !== 'root' || auth.principal.accountId !== deps.accountId) {
    throw new AppError('AccessDenied', 'Only the account\'s root AccessKey can reset the server.');
  }
  // Read and validated before anything is removed: a broken file leaves the server as it was.
  let state;
  try {
    // The state-file loader (and yaml) is imported only by a server given a state file.
    state = deps.initFile !== undefined ? (await import('./load.js')).loadState(deps.initFile) : undefined;
  } catch (err) {
    if (err instanceof InitFileError) throw new AppError('InvalidArgument', `The state file cannot be applied, nothing was reset. ${err.message}`);
    throw err;
  }
  const result = await deps.gate.exclusive(req, async (): Promise<{ blobs: number } & ApplyResult> => {
    const blobs = await wipe(deps.meta, deps.blobs);
    const applied = state ? await applyState(state, deps) : { changes: [] };
    return { blobs, ...applied };
  });
  deps.log.info('reset to the declared state', { file: deps.initFile ?? null, blobsRemoved: result.blobs, changes: result.changes.length });
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: 'reset', stateFile: deps.initFile ?? null, changes: result.changes }),
  };
}
