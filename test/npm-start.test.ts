// `npm start` without `--` (cli/npm-start.ts optionsNpmKept): a server option npm kept for itself is a usage error,
// but npm exports its configuration files' keys the same way (a `host=` or `port=` line in ~/.npmrc or the project's
// .npmrc is npm_config_host, npm_config_port in every script): those are no typo and must never stop a start.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { optionsNpmKept } from '../src/cli/npm-start.js';

const FLAGS = [
  { long: '--host', takesValue: true },
  { long: '--port', takesValue: true },
  { long: '--in-memory', takesValue: false },
  { long: '--no-fsync', takesValue: false },
];
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function npmEnv(userrc: string, projectrc?: string): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'alunite-npmrc-'));
  dirs.push(dir);
  await writeFile(join(dir, 'userrc'), userrc);
  if (projectrc !== undefined) await writeFile(join(dir, '.npmrc'), projectrc);
  return {
    npm_lifecycle_event: 'start', npm_package_name: 'alunite',
    npm_config_userconfig: join(dir, 'userrc'), npm_config_globalconfig: join(dir, 'missing'), npm_config_local_prefix: dir,
  };
}

describe('npm start: options npm kept', () => {
  it('a flag given before `--` is still refused', async () => {
    const env = { ...(await npmEnv('registry=https://registry.npmjs.org/\n')), npm_config_port: '19603', npm_config_fsync: '' };
    assert.equal(
      optionsNpmKept(FLAGS, [], env),
      'npm kept --port, --no-fsync for itself (options before `--` are npm\'s), so the server never got them: give server options after `--`: npm start -- --port 19603 --no-fsync',
    );
  });

  it('keys of npm\'s configuration files named like server options start the server (user and project .npmrc)', async () => {
    // As npm 11 exports them: `host = 0.0.0.0` in the user's file, `In-Memory` (a bare key: true) in the project's.
    const env = { ...(await npmEnv('; a comment\nhost = 0.0.0.0\n', 'In-Memory\n')), npm_config_host: '0.0.0.0', npm_config_in_memory: 'true' };
    assert.equal(optionsNpmKept(FLAGS, [], env), null);
    // Given on npm's command line besides: still refused.
    assert.match(optionsNpmKept(FLAGS, ['8931'], { ...env, npm_config_port: 'true' }) ?? '', /^npm kept --port for itself .*npm start -- --port 8931$/);
  });

  it('the command it suggests keeps the options the server did get, with their values', async () => {
    // npm start --port 8931 extra: 8931 is the value npm kept, `extra` a word the server got.
    assert.match(optionsNpmKept(FLAGS, ['8931', 'extra'], { ...(await npmEnv('')), npm_config_port: 'true' }) ?? '', /: npm start -- --port 8931 extra$/);
    // npm start --no-fsync -- --port 8931: the server got `--port 8931`; 8931 is no value npm kept.
    const env = { ...(await npmEnv('')), npm_config_fsync: '' };
    assert.match(optionsNpmKept(FLAGS, ['--port', '8931'], env) ?? '', /^npm kept --no-fsync for itself .*: npm start -- --no-fsync --port 8931$/);
  });
});
