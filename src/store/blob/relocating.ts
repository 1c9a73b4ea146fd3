import type { ReadRangesOptions } from './types.js';

/** How many times one range's blob is relocated before the read fails (each relocation reads the record again). */
export const RELOCATE_TRIES = 8;

/**
 * What `attempt` yields at `at`; when it fails with ENOENT (the blob gone, maybe after it yielded some: the attempt
 * carries on from what it gave out), again at the place `relocate` names for those bytes now (BlobRange.relocate),
 * at most RELOCATE_TRIES times: another process may replace each in turn. The failure stands when there is no
 * `relocate`, it answers null, or the tries are spent; a relocation that rejects fails the read with its own error.
 */
export async function* relocating<P, T>(at: P, relocate: (() => Promise<P | null>) | undefined, attempt: (at: P) => AsyncIterable<T>): AsyncGenerator<T> {
  for (let tries = 0; ; tries++) {
    try {
      yield* attempt(at);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT' || relocate === undefined || tries >= RELOCATE_TRIES) throw err;
      const moved = await relocate();
      if (moved === null) throw err;
      at = moved;
    }
  }
}

/** The error a read fails with for a blob found missing (after any relocation): `vanished`'s, when it names one, else `err`. */
export async function vanishedError(err: Error, vanished: ReadRangesOptions['vanished']): Promise<Error> {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || vanished === undefined) return err;
  return (await vanished().catch(() => null)) ?? err;
}
