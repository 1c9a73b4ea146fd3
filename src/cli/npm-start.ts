import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` runs the server as `sh -c "node bin/alunite server"`. Stopping npm with SIGTERM (a process
 * manager, a CI step, `kill <npm's pid>`) reaches that shell, which on Debian (dash) dies without passing
 * the signal on: the server was left running, holding its port and its data directory. Started that way,
 * the server now stops as on SIGTERM once the process that started it is gone (it is re-parented). Started
 * any other way (systemd, `nohup`, a shell) it never watches its parent: outliving a shell is what those
 * are for.
 */
export function stopWithNpmStart(stop: () => void, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.npm_lifecycle_event !== 'start' || env.npm_package_name !== 'alunite') return false;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.stderr.write('alunite: the `npm start` that ran this server has ended: stopping\n');
    stop();
  }, 500);
  timer.unref();
  return true;
}

/**
 * The keys set in npm's configuration files (user, global, project), as npm names their variables (lower case, `_`
 * for `-`). Unreadable or absent files set none.
 */
function npmrcKeys(env: NodeJS.ProcessEnv): Set<string> {
  const files = [
    env.npm_config_userconfig ?? env.NPM_CONFIG_USERCONFIG ?? join(homedir(), '.npmrc'),
    env.npm_config_globalconfig ?? env.NPM_CONFIG_GLOBALCONFIG,
    env.npm_config_local_prefix !== undefined ? join(env.npm_config_local_prefix, '.npmrc') : undefined,
  ];
  const keys = new Set<string>();
  for (const file of files) {
    if (file === undefined) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split(/\r?\n/)) {
      const at = line.indexOf('=');
      const key = (at < 0 ? line : line.slice(0, at)).trim();
      if (key === '' || key.startsWith(';') || key.startsWith('#')) continue;
      keys.add(key.toLowerCase().replace(/-/g, '_'));
    }
  }
  return keys;
}

/** A server option as npm sees it: its long flag (`--port`, `--no-fsync`) and whether it takes a value. */
export interface ServerFlag {
  long: string;
  takesValue: boolean;
}

/**
 * `npm start --port 8931`, without the `--` that ends npm's own options: npm keeps `--port` for itself (an
 * "Unknown cli config" warning scrolls past), exports it as `npm_config_port` and never passes it on. `--port=8931`
 * then started the server on 8930 as if nothing was asked; `--port 8931` passed the bare `8931` on (npm sets
 * `npm_config_port=true`), which the server refused as "too many arguments". Under `npm start`, a server option
 * npm kept is a usage error naming the command that means it. Null when npm kept none (or this is not `npm start`).
 */
export function optionsNpmKept(flags: readonly ServerFlag[], args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.npm_lifecycle_event !== 'start' || env.npm_package_name !== 'alunite') return null;
  // Bare words the server got (the values npm left behind), by position: not the values of options the server got
  // too (`npm start --no-fsync -- --port 8931`), which the command suggested keeps as they are.
  const valued = new Set(flags.filter((f) => f.takesValue).map((f) => f.long));
  const strays = args.flatMap((a, i) => (!a.startsWith('-') && !(i > 0 && valued.has(args[i - 1]!)) ? [i] : []));
  const used = new Set<number>();
  const kept: string[] = [];
  let configured: Set<string> | undefined;
  for (const flag of flags) {
    const name = flag.long.replace(/^--(no-)?/, '').replace(/-/g, '_');
    const value = env[`npm_config_${name}`];
    if (value === undefined) continue;
    // npm exports its configuration files' keys the same way (`host=…` in ~/.npmrc is npm_config_host, with a warning):
    // those are no typo of this command, and refusing them would refuse every `npm start`, `--` or not.
    configured ??= npmrcKeys(env);
    if (configured.has(name)) continue;
    if (!flag.takesValue) kept.push(flag.long);
    else if (value !== 'true' && value !== '') kept.push(`${flag.long} ${value}`);
    else {
      const at = strays.shift();
      if (at !== undefined) used.add(at);
      kept.push(`${flag.long} ${at !== undefined ? args[at]! : '<value>'}`);
    }
  }
  if (kept.length === 0) return null;
  return `npm kept ${kept.map((k) => k.split(' ')[0]).join(', ')} for itself (options before \`--\` are npm's), so the server never got ${kept.length === 1 ? 'it' : 'them'}: `
    + `give server options after \`--\`: npm start -- ${[...kept, ...args.filter((_, i) => !used.has(i))].join(' ')}`;
}
