import { Command, Option } from 'commander';
import { CliError, hintOnFailure, parsePositiveInt, printable, printJson, printRecord, remote, run, shellQuote, UsageError } from './output.js';
import { warnPolicyLint } from './policy-file.js';
import { popContext, readDocument, STS_VERSION, type PopContext } from './pop.js';
import { alunitePaths, checkProfileName, writeProfile, type ConnectionFlags } from './profile.js';

// `alunite sts assume-role|whoami` over STS (POP RPC, Version 2015-04-01).

interface Common extends ConnectionFlags {
  json?: boolean;
}

interface AssumeRoleBody {
  RequestId: string;
  AssumedRoleUser: { Arn: string; AssumedRoleId: string };
  Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string };
}

export { shellQuote };

// The service's NoPermission text is the cloud's and does not say why; a first try with nothing configured runs
// as root (the development keys), which no trust policy can admit.
const ROOT_CANNOT_ASSUME = 'these credentials are the account\'s root AccessKey (with nothing configured, the development keys), ' +
  'and the root account cannot assume roles: use a RAM user\'s AccessKey that may call sts:AssumeRole and that the role\'s trust policy names ' +
  '(--profile, or --access-key-id/--access-key-secret; README, "Command line client")';

/** Whether the credentials are the account's root (GetCallerIdentity; false when that fails too). */
async function callerIsRoot(ctx: PopContext): Promise<boolean> {
  const who = await ctx.call('GetCallerIdentity').catch(() => undefined);
  return who?.IdentityType === 'Account';
}

export function stsCommand(): Command {
  const sts = new Command('sts').description('STS: temporary credentials (AssumeRole) and the caller identity');

  const assume = remote(
    sts
      .command('assume-role')
      .description('get temporary credentials for a role, as a RAM user allowed sts:AssumeRole (not the root account: the development keys are root\'s)')
      .requiredOption('--role-arn <arn>', 'e.g. acs:ram::1000000000000001:role/uploader')
      .requiredOption('--session-name <name>', 'RoleSessionName (2-64 of A-Za-z0-9.@-_)')
      .option('--policy <file>', 'session policy JSON file: the credentials get at most what it allows (- for stdin)')
      .option('--duration <seconds>', 'DurationSeconds, 900 up to the role maximum (default 3600)', parsePositiveInt)
      .option('--external-id <id>', 'ExternalId the trust policy may require')
      .addOption(new Option('--export', 'print `export ALUNITE_…=…` lines for a POSIX shell: eval "$(alunite sts assume-role … --export)"; on failure a line that makes the eval fail').conflicts('json'))
      .option('--save-profile <name>', 'also write the credentials to this profile in ~/.alunite/config'),
  );
  assume.action(
    run(async () => {
      const o = assume.opts<Common & { roleArn: string; sessionName: string; policy?: string; duration?: number; externalId?: string; export?: boolean; saveProfile?: string }>();
      if (o.saveProfile !== undefined) checkProfileName(o.saveProfile);
      // The cloud's STS only says "wrongly formed" (Alunite's adds the rule); the rule is the same on the cloud.
      if (!/^[A-Za-z0-9._@-]{2,64}$/.test(o.sessionName)) {
        throw new UsageError(`--session-name must be 2 to 64 characters of letters, digits, ".", "_", "@" and "-" (RoleSessionName), got ${JSON.stringify(o.sessionName)}`);
      }
      const policy = o.policy !== undefined ? await readDocument(o.policy, 'session policy') : undefined;
      if (policy !== undefined) await warnPolicyLint(o.policy!, policy, 'session');
      const ctx = await popContext(o, STS_VERSION);
      const b = await ctx.call<AssumeRoleBody>('AssumeRole', {
        RoleArn: o.roleArn,
        RoleSessionName: o.sessionName,
        ...(policy !== undefined ? { Policy: policy } : {}),
        ...(o.duration !== undefined ? { DurationSeconds: o.duration } : {}),
        ...(o.externalId !== undefined ? { ExternalId: o.externalId } : {}),
      }).catch(async (err: unknown) => {
        if ((err as { code?: unknown }).code === 'NoPermission' && await callerIsRoot(ctx)) hintOnFailure(ROOT_CANNOT_ASSUME);
        throw err;
      });
      const c = b.Credentials;
      // Kept in a profile, shown again later (`oss sign`'s note) and written into --export's comment: only a
      // timestamp is taken.
      if (!/^[0-9T:.+Z-]{1,40}$/.test(String(c.Expiration))) throw new CliError('InvalidResponse', `the server's Expiration is not a timestamp: ${JSON.stringify(String(c.Expiration).slice(0, 100))}`);
      if (o.saveProfile !== undefined) {
        const file = alunitePaths().config;
        await writeProfile(file, o.saveProfile, {
          endpoint: ctx.endpoint, region: ctx.region, access_key_id: c.AccessKeyId, access_key_secret: c.AccessKeySecret, security_token: c.SecurityToken, expiration: c.Expiration,
        }, true);
        process.stderr.write(`${printable(`profile ${o.saveProfile} written to ${file} (expires ${c.Expiration})`)}\n`);
      }
      if (o.export) {
        // The endpoint goes along: the exported credentials belong to this server, whatever profile is default.
        const lines = [
          ['ALUNITE_ENDPOINT', ctx.endpoint],
          ['ALUNITE_REGION', ctx.region],
          ['ALUNITE_ACCESS_KEY_ID', c.AccessKeyId],
          ['ALUNITE_ACCESS_KEY_SECRET', c.AccessKeySecret],
          ['ALUNITE_SECURITY_TOKEN', c.SecurityToken],
        ].map(([k, v]) => `export ${k}=${shellQuote(v!)}`);
        // A comment the shell reads too: Expiration was checked to be a timestamp above (a newline in it would
        // otherwise become a command for `eval`).
        process.stdout.write(`${lines.join('\n')}\n# expires ${c.Expiration}\n`);
        return;
      }
      if (o.json) {
        printJson({ ...c, AssumedRoleUser: b.AssumedRoleUser, RequestId: b.RequestId });
        return;
      }
      printRecord({
        AccessKeyId: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken, Expiration: c.Expiration,
        AssumedRoleUser: b.AssumedRoleUser.Arn, AssumedRoleId: b.AssumedRoleUser.AssumedRoleId,
      });
    }),
  );

  const whoami = remote(sts.command('whoami').description('who the credentials are (GetCallerIdentity)'));
  whoami.action(
    run(async () => {
      const o = whoami.opts<Common>();
      const ctx = await popContext(o, STS_VERSION);
      const b = await ctx.call('GetCallerIdentity');
      if (o.json) printJson(b);
      else {
        const { RequestId: _r, ...rest } = b;
        printRecord(rest);
      }
    }),
  );

  return sts;
}
