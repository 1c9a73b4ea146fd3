// Where the CLI's endpoint and credentials come from (src/cli/profile.ts): flags > environment > profile >
// development defaults, credentials never mixed across layers, clear errors for missing profiles.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig, resolveConnection, serializeConfig } from '../src/cli/profile.js';
import { UsageError } from '../src/cli/output.js';
import { DEV_DEFAULTS } from '../src/server.js';

let dir: string;
let file: string;
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: dir, ALUNITE_CONFIG: file, ...extra });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alunite-profile-'));
  file = join(dir, 'config');
  await writeFile(
    file,
    [
      '# comment',
      '[default]',
      'endpoint = http://profile-default:8930',
      'access_key_id = id-default',
      'access_key_secret = secret-default',
      '',
      '[temp]',
      'endpoint = https://temp.example.com',
      'region = oss-cn-beijing',
      'access_key_id = STS.id-temp',
      'access_key_secret = secret-temp',
      'security_token = token==with=equals',
      'expiration = 2030-01-01T00:00:00Z',
      '',
      '[broken]',
      'endpoint = http://x',
    ].join('\n'),
  );
});
after(() => rm(dir, { recursive: true, force: true }));

async function usageError(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, re);
    return true;
  });
}

describe('resolveConnection', () => {
  it('the default profile, with the default region', async () => {
    const c = await resolveConnection({}, env());
    assert.deepEqual(
      { ...c },
      { endpoint: 'http://profile-default:8930', region: 'cn-hangzhou', accessKeyId: 'id-default', accessKeySecret: 'secret-default', source: `profile default (${file})` },
    );
  });

  it('a named profile by flag or ALUNITE_PROFILE (flag wins); values may contain "="', async () => {
    const byEnv = await resolveConnection({}, env({ ALUNITE_PROFILE: 'temp' }));
    assert.equal(byEnv.securityToken, 'token==with=equals');
    assert.equal(byEnv.region, 'cn-beijing');
    assert.equal(byEnv.endpoint, 'https://temp.example.com');
    assert.equal(byEnv.expiration, '2030-01-01T00:00:00Z');
    const byFlag = await resolveConnection({ profile: 'default' }, env({ ALUNITE_PROFILE: 'temp' }));
    assert.equal(byFlag.accessKeyId, 'id-default');
  });

  it('environment beats the profile, flags beat the environment, per field', async () => {
    const e = env({ ALUNITE_ENDPOINT: 'http://env:1', ALUNITE_ACCESS_KEY_ID: 'id-env', ALUNITE_ACCESS_KEY_SECRET: 'secret-env', ALUNITE_REGION: 'cn-shanghai' });
    const fromEnv = await resolveConnection({}, e);
    assert.deepEqual([fromEnv.endpoint, fromEnv.accessKeyId, fromEnv.accessKeySecret, fromEnv.region, fromEnv.source], ['http://env:1', 'id-env', 'secret-env', 'cn-shanghai', 'environment']);
    const fromFlags = await resolveConnection({ endpoint: 'flag:2', accessKeyId: 'id-flag', accessKeySecret: 'secret-flag' }, e);
    assert.deepEqual([fromFlags.endpoint, fromFlags.accessKeyId, fromFlags.region, fromFlags.source], ['http://flag:2', 'id-flag', 'cn-shanghai', 'flags']);
  });

  it('a profile named by --profile beats the environment (an exported STS session does not hijack it); ALUNITE_PROFILE does not', async () => {
    const exported = env({ ALUNITE_ENDPOINT: 'http://env:1', ALUNITE_ACCESS_KEY_ID: 'STS.exported', ALUNITE_ACCESS_KEY_SECRET: 's', ALUNITE_SECURITY_TOKEN: 't', ALUNITE_REGION: 'cn-shanghai' });
    const named = await resolveConnection({ profile: 'temp' }, exported);
    assert.deepEqual([named.accessKeyId, named.securityToken, named.endpoint, named.region], ['STS.id-temp', 'token==with=equals', 'https://temp.example.com', 'cn-beijing']);
    assert.match(named.source, /^profile temp/);
    const byVariable = await resolveConnection({}, { ...exported, ALUNITE_PROFILE: 'temp' });
    assert.deepEqual([byVariable.accessKeyId, byVariable.source], ['STS.exported', 'environment']);
    const flagsStillWin = await resolveConnection({ profile: 'temp', accessKeyId: 'id-flag', accessKeySecret: 'x', endpoint: 'flag:2' }, exported);
    assert.deepEqual([flagsStillWin.accessKeyId, flagsStillWin.endpoint], ['id-flag', 'http://flag:2']);
  });

  it('credentials are never mixed: a token from the profile does not ride along with flag keys', async () => {
    const c = await resolveConnection({ accessKeyId: 'id-flag', accessKeySecret: 'secret-flag' }, env({ ALUNITE_PROFILE: 'temp', ALUNITE_SECURITY_TOKEN: 'env-token' }));
    assert.equal(c.securityToken, undefined);
    assert.equal(c.expiration, undefined);
    assert.equal(c.endpoint, 'https://temp.example.com', 'the endpoint still comes from the profile');
    const envOnly = await resolveConnection({}, env({ ALUNITE_ACCESS_KEY_ID: 'STS.x', ALUNITE_ACCESS_KEY_SECRET: 's', ALUNITE_SECURITY_TOKEN: 'env-token', ALUNITE_PROFILE: 'temp' }));
    assert.deepEqual([envOnly.accessKeyId, envOnly.securityToken, envOnly.expiration], ['STS.x', 'env-token', undefined]);
  });

  it('development defaults only when nothing is configured', async () => {
    const none = await resolveConnection({}, { HOME: dir, ALUNITE_CONFIG: join(dir, 'absent') });
    assert.deepEqual(
      [none.endpoint, none.accessKeyId, none.accessKeySecret, none.source],
      ['http://127.0.0.1:8930', DEV_DEFAULTS.accessKeyId, DEV_DEFAULTS.accessKeySecret, 'development defaults'],
    );
    // Another port of a local server: the development keys still apply.
    const port = await resolveConnection({ endpoint: 'http://127.0.0.1:9999' }, { HOME: dir, ALUNITE_CONFIG: join(dir, 'absent') });
    assert.equal(port.accessKeyId, DEV_DEFAULTS.accessKeyId);
  });

  it('clear errors: unknown profile, missing file, incomplete profile or flags, malformed file', async () => {
    await usageError(resolveConnection({ profile: 'prod' }, env()), /profile "prod" not found in .*config \(profiles: default, temp, broken\)/);
    await usageError(resolveConnection({ profile: 'prod' }, { HOME: dir, ALUNITE_CONFIG: join(dir, 'absent') }), /absent does not exist \(run: alunite configure --profile prod\)/);
    await usageError(resolveConnection({ profile: 'broken' }, env()), /profile broken .* has no access_key_id\/access_key_secret/);
    await usageError(resolveConnection({ accessKeySecret: 's' }, env()), /--access-key-secret \(or a security token\) is given without --access-key-id/);
    await usageError(resolveConnection({}, env({ ALUNITE_ACCESS_KEY_ID: 'id' })), /ALUNITE_ACCESS_KEY_ID is given without ALUNITE_ACCESS_KEY_SECRET/);
    await usageError(resolveConnection({ endpoint: 'ftp://x' }, env()), /only http and https/);
    await usageError(resolveConnection({ profile: 'bad name!' }, env()), /invalid profile name/);
    const bad = join(dir, 'bad');
    await writeFile(bad, '[default]\nendpoint http://x\n');
    await usageError(resolveConnection({}, { HOME: dir, ALUNITE_CONFIG: bad }), /bad:2: expected "key = value"/);
    await writeFile(bad, 'endpoint = http://x\n');
    await usageError(resolveConnection({}, { HOME: dir, ALUNITE_CONFIG: bad }), /bad:1: "endpoint" is outside a \[profile\] section/);
  });

  it('parse and serialize round-trip', () => {
    const text = '[default]\nendpoint = http://a\naccess_key_id = i\naccess_key_secret = s\n\n[x]\nregion = cn-beijing\n';
    assert.equal(serializeConfig(parseConfig(text, 'f')), text);
  });
});
