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
