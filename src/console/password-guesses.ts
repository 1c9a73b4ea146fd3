import type { PasswordGuesses } from '../ram/extras-context.js';
import { HOUR_MS } from './attempts.js';
import { lockedAt, SharedAttempts, type SharedAttemptsStore } from './shared-attempts.js';

/**
 * Wrong passwords given outside the sign-in page (ChangePassword's OldPassword), counted with the sign-in's own
 * failures: the same shared documents, the same key (`<account>/<lower-cased user name>`) and counter `p`, so
 * the API is no faster a way to guess a console password than the sign-in page, and a lock holds on both.
 */
export function sharedPasswordGuesses(store: SharedAttemptsStore, masterKey: Buffer): PasswordGuesses {
  const attempts = new SharedAttempts(store, masterKey, HOUR_MS);
  const keyOf = (accountId: string, userName: string): string => `${accountId}/${userName.toLowerCase()}`;
  return {
    async locked(accountId, userName, now) {
      const f = await attempts.read(keyOf(accountId, userName));
      return lockedAt(f, 'p', now) || lockedAt(f, 'm', now);
    },
    async failed(accountId, userName, limit, now) {
      await attempts.fail([{ key: keyOf(accountId, userName), counter: 'p', limit, windowMs: HOUR_MS, lockMs: HOUR_MS }], now);
    },
  };
}
