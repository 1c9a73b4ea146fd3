import { isIP } from 'node:net';
import { DEV_DEFAULTS } from '../defaults.js';
import { isLoopback } from '../util/loopback.js';

/**
 * The root account the server runs as: ALUNITE_* variables first, then the state file's `account`, then the development
 * defaults. The state-file loader (and yaml) is imported only when there is a state file.
 */
export async function rootAccount(initFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<{ accountId: string; accessKeyId: string; accessKeySecret: string; usingDevKeys: boolean }> {
  const declared = initFile !== undefined ? (await import('../init/load.js')).loadState(initFile, env).account : undefined;
  const accountId = env.ALUNITE_ACCOUNT_ID ?? declared?.id ?? DEV_DEFAULTS.accountId;
  const accessKeyId = env.ALUNITE_ROOT_ACCESS_KEY_ID ?? declared?.rootAccessKey?.id ?? DEV_DEFAULTS.accessKeyId;
  const accessKeySecret = env.ALUNITE_ROOT_ACCESS_KEY_SECRET ?? declared?.rootAccessKey?.secret ?? DEV_DEFAULTS.accessKeySecret;
  return { accountId, accessKeyId, accessKeySecret, usingDevKeys: accessKeyId === DEV_DEFAULTS.accessKeyId };
}

/** Whether a listen address is reachable from this machine only: `localhost`, or a loopback IP (bracketed or not). */
export function listensOnLoopbackOnly(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  // Only a real IP goes to the address test: a name such as 127.0.0.1.example.com resolves elsewhere.
  return h === 'localhost' || (isIP(h) !== 0 && isLoopback(h));
}

/**
 * The development root keys are public (README.md, the start-up banner, the console's sign-in page through
 * /-/console/config): on an address other machines reach (--host 0.0.0.0 for phones on the network, a container's
 * port published to a CI network) anyone there signs as the account's root. The start goes on, as an emulator's does
 * (a CI container must listen beyond its loopback, and its clients carry the well-known keys), but says so loudly on
 * stderr, every time: the text to print, or null when the keys are the server's own or it listens on loopback only.
 */
export function devKeysOnNetworkWarning(host: string, root: { accessKeyId: string; accessKeySecret: string }): string | null {
  if (root.accessKeyId !== DEV_DEFAULTS.accessKeyId || root.accessKeySecret !== DEV_DEFAULTS.accessKeySecret || listensOnLoopbackOnly(host)) return null;
  return (
    `alunite: WARNING: --host ${host} (ALUNITE_HOST) listens beyond this machine with the public development root AccessKey: ` +
    'anyone who can reach the server is the account\'s root. For anything but a throwaway emulator set ALUNITE_ROOT_ACCESS_KEY_ID and ' +
    'ALUNITE_ROOT_ACCESS_KEY_SECRET (or the state file\'s account.rootAccessKey), or listen on 127.0.0.1.'
  );
}
