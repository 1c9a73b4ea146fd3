import { AppError } from '../errors.js';
import { authorizeAction, DOC, mustUser, targetUser, type ExtrasContext } from './extras-context.js';
import type { RamCaller } from './service.js';

// GetAccessKeyLastUsed (docs/ram.md). Requests only note the time in memory (one Map.set per request
// signed with a RAM user's key); a timer writes the notes in batches, and close() writes the rest. A crash
// loses at most one interval of notes, so the stored time is at most `flushIntervalMs` behind.

const BATCH = 200;

export class AccessKeyLastUsed {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ExtrasContext,
    readonly flushIntervalMs = 60_000,
  ) {}

  /** Notes a use (the request path: no I/O). */
  note(accessKeyId: string, time: number): void {
    const seen = this.pending.get(accessKeyId);
    if (seen === undefined || time > seen) this.pending.set(accessKeyId, time);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.flush().catch(() => undefined);
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes the notes taken since the last flush; a stored later time (another process) is kept. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.pending;
      if (batch.size === 0) return;
      this.pending = new Map();
      const entries = [...batch];
      for (let i = 0; i < entries.length; i += BATCH) {
        const part = entries.slice(i, i + BATCH);
        try {
          await this.ctx.store.updateIdentityDocs(part.map(([id]) => ({ kind: DOC.lastUsed, id })), (cur) =>
            part.map(([, t], j) => {
              const stored = cur[j] ? (JSON.parse(cur[j]!) as { t: number }).t : 0;
              return JSON.stringify({ t: Math.max(stored, t) });
            }));
        } catch {
          // Put them back for the next round (a later note for the same key wins).
          for (const [id, t] of part) this.note(id, t);
        }
      }
    });
    return this.flushing;
  }

  /** The AccessKey of `userName` (the calling RAM user when omitted; EntityNotExist.User.AccessKey otherwise) and when it was last used, if ever. */
  async get(caller: RamCaller, input: { userName?: string; accessKeyId: string }): Promise<number | undefined> {
    const userName = targetUser(caller, input.userName);
    await authorizeAction(this.ctx, caller, 'GetAccessKeyLastUsed', { userName });
    await mustUser(this.ctx, userName);
    const keys = await this.ctx.store.listAccessKeys(userName);
    if (!keys.some((k) => k.accessKeyId === input.accessKeyId)) throw new AppError('EntityNotExist.User.AccessKey');
    const stored = (await this.ctx.store.readIdentityDocs(DOC.lastUsed, [input.accessKeyId])).get(input.accessKeyId);
    const times = [this.pending.get(input.accessKeyId), stored !== undefined ? (JSON.parse(stored) as { t: number }).t : undefined].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.max(...times);
  }
}
