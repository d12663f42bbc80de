/**
 * When a failed delivery is tried again (docs/webhooks.md, "Retries"): exponential backoff from 5
 * seconds, doubling up to 2 hours between attempts, each delay spread by ±20% (jitter, so endpoints
 * that failed together do not come back in lockstep). A delivery that has been failing for 24 hours
 * is given up: its endpoint is disabled and its owner can read why.
 */
export const FIRST_RETRY_MS = 5_000;
export const LONGEST_RETRY_MS = 2 * 3_600_000;
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const JITTER = 0.2;

/** The delay after the `attempts`-th failed attempt (1 for the first), before jitter. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), LONGEST_RETRY_MS);
}

export type Retry = { giveUp: true } | { giveUp: false; nextAttemptAt: Date };

/**
 * After a failed attempt: the next attempt's moment, or give up when the delivery has failed since
 * `firstAttemptAt` for GIVE_UP_AFTER_MS. `random` in [0, 1) (injected in tests).
 */
export function nextRetry(attempts: number, firstAttemptAt: Date, now: Date, random: () => number = Math.random): Retry {
  if (now.getTime() - firstAttemptAt.getTime() >= GIVE_UP_AFTER_MS) return { giveUp: true };
  const spread = 1 + JITTER * (2 * random() - 1);
  return { giveUp: false, nextAttemptAt: new Date(now.getTime() + Math.round(retryDelayMs(attempts) * spread)) };
}
