import type { PasswordGuesses } from '../ram/extras-context.js';
import { HOUR_MS } from './attempts.js';
import { GuessesInFlight, roomFor } from './guesses-in-flight.js';
import { lockedAt, SharedAttempts, type SharedAttemptsStore } from './shared-attempts.js';

/**
 * Wrong passwords given outside the sign-in page (ChangePassword's OldPassword), counted with the sign-in's own
 * failures: the same shared documents, the same key (`<account>/<lower-cased user name>`) and counter `p`, so
 * the API is no faster a way to guess a console password than the sign-in page, and a lock holds on both.
 * `inFlight`: the sign-in page's tally of guesses being checked, so a burst split between the two is one burst.
 */
export function sharedPasswordGuesses(store: SharedAttemptsStore, masterKey: Buffer, inFlight = new GuessesInFlight()): PasswordGuesses {
  const attempts = new SharedAttempts(store, masterKey, HOUR_MS);
  const keyOf = (accountId: string, userName: string): string => `${accountId}/${userName.toLowerCase()}`;
  return {
    async start(accountId, userName, limit, now) {
      const key = keyOf(accountId, userName);
      // A place before the count is read, given back after the failure is stored (guesses-in-flight.ts).
      const place = inFlight.enter([key]);
      try {
        const f = await attempts.read(key);
        if (lockedAt(f, 'p', now) || lockedAt(f, 'm', now)) return end(place.leave, 'locked');
        if (!roomFor(f, 'p', limit, HOUR_MS, place.ahead[0]!, now)) return end(place.leave, 'busy');
      } catch (err) {
        place.leave();
        throw err;
      }
      return {
        failed: async (at) => {
          await attempts.fail([{ key, counter: 'p', limit, windowMs: HOUR_MS, lockMs: HOUR_MS }], at);
        },
        done: place.leave,
      };
    },
  };
}

function end<T>(leave: () => void, answer: T): T {
  leave();
  return answer;
}
