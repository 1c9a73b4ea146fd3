import type { IncomingMessage, ServerResponse } from 'node:http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * For a metadata store shared by several processes (one with refreshSharedState): each request first
 * catches up with the identity and bucket changes other processes committed (one small query, shared by
 * concurrent requests), so no cache answers a request with state older than its arrival. If the database
 * cannot be reached, the caches are dropped and the request goes on, to fail on its own queries with the
 * usual error. Other stores get the listener unchanged.
 */
export function withSharedState(store: { refreshSharedState?(): Promise<void> }, listener: Listener): Listener {
  if (!store.refreshSharedState) return listener;
  const refresh = store.refreshSharedState.bind(store);
  return (req, res) => {
    refresh().then(
      () => listener(req, res),
      () => listener(req, res),
    );
  };
}
