import { DEV_DEFAULTS } from '../defaults.js';

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
