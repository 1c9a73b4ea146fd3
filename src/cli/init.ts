// `alunite init …`: the declared starting state (docs/init.md). `server --init FILE` applies a file at
// start; `init check` validates one; `init export` writes the current state of a data directory.
import { Command } from 'commander';
import { signV1, stringToSignV1 } from '../auth/signature/v1.js';
import { certificateHint } from '../client/tls-hint.js';
import { CliError, printable, printJson, refusalsNotExplained, remote, run, setEndpointForErrors, usageExitCodes } from './output.js';
import { resolveConnection, type Connection, type ConnectionFlags } from './profile.js';
import type { ExportFlags } from './init-export.js';

// Heavy modules (the stores, the state-file loader) are loaded by the actions that need them: every CLI
// command loads this file.

/** `POST /-/reset` signed (V1) with the connection's key; the server's answer, or a CliError with its code. */
async function postReset(conn: Connection): Promise<{ stateFile: string | null; changes: string[] }> {
  setEndpointForErrors(conn.endpoint);
  // The server decides a reset before any policy is read and keeps no record for ExplainRequest.
  refusalsNotExplained();
  const date = new Date().toUTCString();
  const headers: Record<string, string> = { date };
  if (conn.securityToken !== undefined) headers['x-oss-security-token'] = conn.securityToken;
  const toSign = stringToSignV1({ method: 'POST', bucket: '-', key: 'reset', query: [], headers }, date, false);
  headers.authorization = `OSS ${conn.accessKeyId}:${signV1(conn.accessKeySecret, toSign)}`;
  const url = `${conn.endpoint.replace(/\/+$/, '')}/-/reset`;
  // fetch's own failure is only "fetch failed": say where, and why (its cause), as the other commands do.
  const res = await fetch(url, { method: 'POST', headers }).catch((err: unknown) => {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const what = `${err instanceof Error ? err.message : String(err)}${cause}`;
    throw new CliError('NetworkError', `cannot reach ${url} (${what})${certificateHint(what)}`);
  });
  const text = await res.text();
  if (!res.ok) {
    const field = (name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
    throw new CliError(field('Code') ?? `HTTP${res.status}`, field('Message') ?? text.slice(0, 200), field('RequestId'));
  }
  return JSON.parse(text) as { stateFile: string | null; changes: string[] };
}

export function initCommand(): Command {
  const cmd = new Command('init').description('the declared starting state: users, keys, roles, policies, buckets, objects (docs/init.md)');
  cmd
    .command('check <file>')
    .description('validate a state file and list every error with its line and field (exit 1 when there is one)')
    .action(async (file: string) => {
      const { loadState } = await import('../init/load.js');
      const state = loadState(file);
      process.stdout.write(
        `${state.file}: valid: ${state.users.length} user(s), ${state.groups.length} group(s), ${state.policies.length} policy(ies), ` +
          `${state.roles.length} role(s), ${state.buckets.length} bucket(s)${state.accounts?.length ? `, ${state.accounts.length} other account(s)` : ''}\n`,
      );
    });
  cmd
    .command('export')
    .description('write the current state of a data directory (stop the server first) in the state-file format')
    .option('--data <dir>', 'data directory (env ALUNITE_DATA)', process.env.ALUNITE_DATA)
    .option('--meta <url>', 'a postgres:// metadata store (env ALUNITE_META)', process.env.ALUNITE_META)
    .option('--with-secrets', 'include the AccessKey secrets (and the root key from ALUNITE_ROOT_ACCESS_KEY_*)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--objects <dir>', 'also write every object\'s bytes under this directory and declare them')
    .action(async (o: ExportFlags) => (await import('./init-export.js')).runExport(o));
  const resetCmd = remote(
    cmd.command('reset').description('POST /-/reset: remove everything and apply the server\'s --init file again (server started with --allow-reset; root credentials)'),
  );
  resetCmd.action(
    run(async () => {
      const o = resetCmd.opts<ConnectionFlags & { json?: boolean }>();
      const out = await postReset(await resolveConnection(o));
      if (o.json) printJson(out);
      else process.stdout.write(`${printable(`reset to ${out.stateFile ?? 'an empty server (no --init file)'}: ${out.changes.length} change(s) applied`)}\n`);
    }),
  );
  return usageExitCodes(cmd);
}
