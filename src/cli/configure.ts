import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { alunitePaths, checkEndpoint, checkProfileName, DEFAULT_REGION, DEV_ENDPOINT, readConfig, writeProfile, type Profile } from './profile.js';
import { printable, printJson, printTable, run, UsageError } from './output.js';

interface ConfigureFlags {
  profile: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  json?: boolean;
}

/** `abcd…wxyz`: enough of a secret to recognise it, not to use it. */
export function mask(secret: string | undefined): string {
  if (secret === undefined || secret === '') return '';
  return secret.length <= 8 ? '****' : `${'*'.repeat(4)}${secret.slice(-4)}`;
}

async function prompt(current: Profile): Promise<Profile> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const ask = async (label: string, value: string | undefined, shown = value): Promise<string | undefined> => {
      const answer = (await rl.question(`${label} [${printable(shown ?? '')}]: `)).trim();
      return answer === '' ? value : answer;
    };
    const endpoint = await ask('Endpoint', current.endpoint ?? DEV_ENDPOINT);
    const region = await ask('Region', current.region ?? DEFAULT_REGION);
    const accessKeyId = await ask('AccessKey ID', current.access_key_id);
    const accessKeySecret = await ask('AccessKey Secret', current.access_key_secret, mask(current.access_key_secret));
    const token = await ask('Security token (STS; "-" for none)', current.security_token, mask(current.security_token));
    return { endpoint, region, access_key_id: accessKeyId, access_key_secret: accessKeySecret, security_token: token === '-' ? '' : token };
  } finally {
    rl.close();
  }
}

/**
 * `alunite configure [--profile NAME]`: writes a profile to ~/.alunite/config (0600). On a TTY it
 * prompts for every value (Enter keeps the current one); otherwise the flags are the values and
 * the profile must end up complete. `configure list` shows the profiles without secrets.
 */
export function configureCommand(): Command {
  const cmd = new Command('configure')
    .description('write a profile (endpoint, region, AccessKey) to ~/.alunite/config (env ALUNITE_CONFIG)')
    .option('--profile <name>', 'profile name', 'default')
    .option('--endpoint <url>', 'http(s)://host[:port]')
    .option('--region <region>', 'region id, e.g. cn-hangzhou')
    .option('--access-key-id <id>', 'AccessKey id')
    .option('--access-key-secret <secret>', 'AccessKey secret')
    .option('--security-token <token>', 'STS security token (temporary credentials); "" removes it')
    .option('--json', 'print the written profile (secret masked) as JSON');
  cmd.action(
    run(async () => {
      const o = cmd.opts<ConfigureFlags>();
      const name = checkProfileName(o.profile);
      const file = alunitePaths().config;
      const existing = (await readConfig(file))?.get(name) ?? {};
      const given: Profile = {
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.region !== undefined ? { region: o.region } : {}),
        ...(o.accessKeyId !== undefined ? { access_key_id: o.accessKeyId } : {}),
        ...(o.accessKeySecret !== undefined ? { access_key_secret: o.accessKeySecret } : {}),
        ...(o.securityToken !== undefined ? { security_token: o.securityToken } : {}),
      };
      const anyFlag = Object.keys(given).length > 0;
      let values: Profile;
      if (!anyFlag && process.stdin.isTTY) values = await prompt(existing);
      else if (!anyFlag) throw new UsageError('not a terminal: pass the values as flags (--endpoint, --access-key-id, --access-key-secret, --region, --security-token)');
      else values = given;
      const merged: Profile = { ...existing, ...values };
      if (merged.endpoint !== undefined) merged.endpoint = checkEndpoint(merged.endpoint);
      const missing = (['endpoint', 'access_key_id', 'access_key_secret'] as const).filter((k) => !merged[k]);
      if (missing.length) throw new UsageError(`profile ${name} would have no ${missing.join(', ')} (give ${missing.map((k) => `--${k.replaceAll('_', '-')}`).join(', ')})`);
      merged.region = (merged.region ?? DEFAULT_REGION).replace(/^oss-/, '');
      const written = await writeProfile(file, name, merged);
      if (o.json) printJson({ profile: name, file, ...publicView(written) });
      else process.stderr.write(`profile ${name} written to ${file}\n`);
    }),
  );

  const list = cmd
    .command('list')
    .description('list the profiles (secrets masked)')
    .option('--json', 'machine-readable output');
  list.action(
    run(async () => {
      const file = alunitePaths().config;
      const config = (await readConfig(file)) ?? new Map<string, Profile>();
      const rows = [...config].map(([name, p]) => ({ profile: name, ...publicView(p) }));
      if (list.optsWithGlobals<{ json?: boolean }>().json) printJson(rows);
      else printTable(rows.map((r) => [r.profile, r.endpoint ?? '', r.region ?? '', r.accessKeyId ?? '', r.temporary ? 'sts' : '']), ['PROFILE', 'ENDPOINT', 'REGION', 'ACCESS KEY ID', '']);
    }),
  );
  return cmd;
}

function publicView(p: Profile): { endpoint?: string; region?: string; accessKeyId?: string; accessKeySecret: string; temporary: boolean } {
  return {
    ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
    ...(p.region !== undefined ? { region: p.region } : {}),
    ...(p.access_key_id !== undefined ? { accessKeyId: p.access_key_id } : {}),
    accessKeySecret: mask(p.access_key_secret),
    temporary: p.security_token !== undefined,
  };
}
