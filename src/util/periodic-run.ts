/**
 * One background job at a time, on a timer and on demand: what the lifecycle, inventory, replication and blob-GC
 * workers share. A run asked for while one is in progress joins it; after stop() none starts, and stop() waits for
 * the one in progress, so the stores can close after it.
 */
export class PeriodicRun<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;
  private halted = false;

  /** `run`: one job; `whenStopped`: what runOnce answers after stop(). */
  constructor(private readonly run: () => Promise<T>, private readonly whenStopped: () => T) {}

  /** True once stop() was called: a job in progress checks it between steps and ends early. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Runs the job every `intervalMs` (never when ≤ 0), and once at once with `now`; a failed job goes to `onError`. */
  start(intervalMs: number, onError: (err: unknown) => void, now = false): void {
    if (intervalMs <= 0) return;
    const tick = (): void => {
      this.runOnce().catch(onError);
    };
    if (now) tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  /** One job now (joins one already running). */
  runOnce(): Promise<T> {
    if (this.halted) return Promise.resolve(this.whenStopped());
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** No job starts from now on; waits for the one in progress, whatever its outcome. */
  async stop(): Promise<void> {
    this.halted = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
