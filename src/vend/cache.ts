import type { Clock } from '../util/time.js';

// Vended credentials per (user, group, grant): reused while less than half of their lifetime has passed,
// so every answer still has at least half a lifetime left; concurrent requests of one user share one
// AssumeRole call (single flight).

export interface Issued {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string;
  /** As STS wrote it (ISO 8601, seconds, Z). */
  readonly expiration: string;
}

interface Entry {
  readonly value: Issued;
  /** Local clock time after which the entry is not handed out again. */
  readonly reuseUntil: number;
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Issued>>();

  constructor(
    private readonly enabled: boolean,
    private readonly clock: Clock,
  ) {}

  /** Cached credentials or a new issue; `fresh` tells whether `issue` ran for this call. */
  async get(key: string, issue: () => Promise<Issued>): Promise<{ value: Issued; fresh: boolean }> {
    if (!this.enabled) return { value: await issue(), fresh: true };
    const hit = this.entries.get(key);
    if (hit && this.clock() < hit.reuseUntil) return { value: hit.value, fresh: false };
    const pending = this.inFlight.get(key);
    if (pending) return { value: await pending, fresh: false };
    const started = this.clock();
    const p = issue().then(
      (value) => {
        const expiresAt = Date.parse(value.expiration);
        // Half of the lifetime as seen from here (start of the call → STS's Expiration).
        const reuseUntil = Number.isFinite(expiresAt) ? started + (expiresAt - started) / 2 : started;
        if (this.entries.size >= 10_000) this.sweep();
        this.entries.set(key, { value, reuseUntil });
        return value;
      },
    );
    this.inFlight.set(key, p);
    try {
      return { value: await p, fresh: true };
    } finally {
      this.inFlight.delete(key);
    }
  }

  private sweep(): void {
    const now = this.clock();
    for (const [k, e] of this.entries) if (now >= e.reuseUntil) this.entries.delete(k);
  }
}
