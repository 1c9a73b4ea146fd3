#!/usr/bin/env node
// `npm install`/`npm ci` step: builds the optional CRC-64 addon (native/crc64) with node-gyp. Never fails
// the install: without a compiler, headers or node-gyp the server uses the JavaScript CRC-64 instead
// (slower on large uploads, same answers). ALUNITE_NO_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'crc64');
const say = (msg) => process.stderr.write(`alunite: ${msg}\n`);

if (process.env.ALUNITE_NO_NATIVE === '1') {
  say('ALUNITE_NO_NATIVE=1: not building the CRC-64 addon (the JavaScript CRC-64 is used)');
  process.exit(0);
}
if (!existsSync(join(dir, 'binding.gyp'))) process.exit(0);

// npm runs lifecycle scripts with its bundled node-gyp in npm_config_node_gyp; otherwise look next to npm.
const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
const gyp = candidates.find((p) => p && existsSync(p));
if (!gyp) {
  say('node-gyp not found: the CRC-64 addon is not built (the JavaScript CRC-64 is used)');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
// Distribution packages of node ship the headers next to the binary: use them rather than downloading.
const localHeaders = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(localHeaders, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${localHeaders}`);
const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  say(`the CRC-64 addon did not build (the JavaScript CRC-64 is used):\n${(r.stderr || r.stdout || String(r.error ?? '')).split('\n').slice(-15).join('\n')}`);
  process.exit(0);
}
say('built the CRC-64 addon (native/crc64)');
