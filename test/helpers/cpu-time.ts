/**
 * This process's CPU time (user + system, every thread) in milliseconds. For tests that compare the cost of two
 * kinds of request against a server in this process: a busy machine that takes the core away between two requests
 * stretches their wall time, not the CPU they used, so a bound on CPU time holds on a slow machine as on a fast one.
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
