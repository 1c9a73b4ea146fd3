import { AppError } from '../errors.js';
import { authorizeAction, DOC, mustUser, targetUser, type ExtrasContext } from './extras-context.js';
import type { RamCaller } from './service.js';

// GetAccessKeyLastUsed (docs/ram.md). Requests only note the time in memory (one Map.set per request
// signed with a RAM user's key); a timer writes the notes in batches, and close() writes the rest. A crash
// loses at most one interval of notes, so the stored time is at most `flushIntervalMs` behind.
// AccessKeyIds are unique server-wide, so one writer (the default account's) notes and stores the uses of every
// account's keys (documents of the default account, keyed by AccessKeyId); another account's instance
// delegates to it after checking, through its own view, that the key is one of its users' (docs/accounts.md).

const BATCH = 200;

export class AccessKeyLastUsed {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ExtrasContext,
    readonly flushIntervalMs = 60_000,
    private readonly shared?: AccessKeyLastUsed,
  ) {}

  /** Notes a use (the request path: no I/O). */
  note(accessKeyId: string, time: number): void {
    if (this.shared) return this.shared.note(accessKeyId, time);
    const seen = this.pending.get(accessKeyId);
    if (seen === undefined || time > seen) this.pending.set(accessKeyId, time);
  }

  start(): void {
    if (this.shared || this.timer) return;
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
    if (this.shared) return this.shared.flush();
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
    return (this.shared ?? this).lastUse(input.accessKeyId);
  }

  /** When a key was last used (noted or stored), unchecked: callers first check the key is the caller's account's. */
  private async lastUse(accessKeyId: string): Promise<number | undefined> {
    const stored = (await this.ctx.store.readIdentityDocs(DOC.lastUsed, [accessKeyId])).get(accessKeyId);
    const times = [this.pending.get(accessKeyId), stored !== undefined ? (JSON.parse(stored) as { t: number }).t : undefined].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.max(...times);
  }
}
