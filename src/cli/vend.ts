import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { hashPassword } from '../vend/password.js';
import { addUser } from '../vend/users.js';
import { printJson, UsageError } from './output.js';

// `alunite vend` (the token vending service) and `alunite vend add-user` (its users file).

function port(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535).');
  return n;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export function vendCommand(): Command {
  const vend = new Command('vend')
    .description('start the STS token vending service for app users (docs/vend.md)')
    .option('--config <file>', 'YAML configuration (see examples/vend.yaml)')
    .option('--host <host>', 'address to listen on (overrides listen.host)')
    .option('--port <port>', 'port to listen on (overrides listen.port)', port)
    .option('--cert <file>', 'TLS certificate (PEM): serve HTTPS only (overrides listen.tls.cert)')
    .option('--key <file>', 'TLS private key (PEM) (overrides listen.tls.key)')
    .option('--json', 'print one JSON line {url, roleArn, stsEndpoint, auth, grants} once listening')
    .action(async (o: { config?: string; host?: string; port?: number; cert?: string; key?: string; json?: boolean }) => {
      if (o.config === undefined) throw new UsageError("required option '--config <file>' not specified");
      if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together.');
      // The service and its logger are loaded when it starts: every CLI command loads this file.
      const [{ loadConfigFile, startVend }, { createLogger }] = await Promise.all([import('../vend/index.js'), import('../log.js')]);
      const config = loadConfigFile(o.config);
      const running = await startVend({
        config,
        log: createLogger('info'),
        refuseRootKey: true,
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.cert !== undefined && o.key !== undefined ? { tls: { cert: o.cert, key: o.key } } : {}),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ url: running.url, roleArn: config.sts.roleArn, stsEndpoint: config.sts.endpoint, auth: config.auth.mode, grants: [...config.grants.keys()] })}\n`);
      } else {
        process.stdout.write(`alunite vend: role ${config.sts.roleArn} via ${config.sts.endpoint}, auth ${config.auth.mode}, grants ${[...config.grants.keys()].join(', ')}\n`);
        // What an app (or the person trying it) does next: the two calls, and the demo page when it is served.
        const bearer = config.auth.mode === 'users' ? `the token from POST ${running.url}/login {"username":…,"password":…}` : 'a JWT from your identity provider';
        process.stdout.write(`app users: GET ${running.url}/sts/token with "Authorization: Bearer <${bearer}>" gets credentials${config.demo ? `; demo page: ${running.url}/` : ''}\n`);
        process.stdout.write(`alunite vend listening on ${running.url}\n`);
      }
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  vend
    .command('add-user')
    .description('add a user to a users file (created with mode 0600); the password is read from stdin or generated')
    .requiredOption('--users <file>', 'the users file (auth.usersFile)')
    .option('--group <group>', "the user's group (${group} in session policies)")
    .option('--password-stdin', 'read the password from standard input (else a random one is printed)')
    .option('--json', 'print {user, group, usersFile, password} (password only when generated)')
    .argument('<name>', 'user id: 2-64 characters of A-Z a-z 0-9 . _ @ -')
    .action(async (name: string, o: { users: string; group?: string; passwordStdin?: boolean; json?: boolean }) => {
      let password: string;
      let generated = false;
      if (o.passwordStdin) {
        password = (await readStdin()).replace(/\r?\n$/, '');
        if (password.length < 8) throw new Error('alunite vend add-user: the password must be at least 8 characters');
        if (password.length > 1024) throw new Error('alunite vend add-user: the password must be at most 1024 characters');
      } else {
        password = randomBytes(18).toString('base64url');
        generated = true;
      }
      await addUser(o.users, name, await hashPassword(password), o.group);
      if (o.json) return printJson({ user: name, group: o.group ?? null, usersFile: o.users, ...(generated ? { password } : {}) });
      process.stdout.write(`added user ${name}${o.group !== undefined ? ` (group ${o.group})` : ''} to ${o.users}\n`);
      if (generated) process.stdout.write(`password: ${password}\n`);
    });
  return vend;
}
