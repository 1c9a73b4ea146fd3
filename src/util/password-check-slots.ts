// Shared by the token-vending service's log-ins (vend/auth.ts) and the console's sign-in (console/signin.ts).

/**
 * A bound on password checks running at once: each scrypt takes 16 MiB and a thread of libuv's small pool
 * (shared with file I/O) for ~50 ms. Up to `queue` more wait their turn; `run` refuses beyond that (null).
 */
export class PasswordCheckSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly queue: number,
  ) {}

  /** Runs `fn` in a slot, or returns null at once when all slots and the queue are taken. */
  async run<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.queue) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      // The slot passes to the next waiter (running stays the same), else it is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
