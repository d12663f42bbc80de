import { GIVE_UP_AFTER_MS, nextRetry, retryDelayMs } from '../../src/modules/webhooks';

const HOUR = 3_600_000;

test('retries back off exponentially from 5 seconds, doubling, up to 2 hours apart', () => {
  expect([1, 2, 3, 4, 5, 6].map(retryDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000]);
  expect(retryDelayMs(12)).toBe(2 * HOUR);
  expect(retryDelayMs(40)).toBe(2 * HOUR);
});

test('jitter spreads each delay by at most 20% either way', () => {
  const first = new Date('2026-01-01T00:00:00Z');
  const at = (random: number) => {
    const retry = nextRetry(1, first, first, () => random);
    if (retry.giveUp) throw new Error('gave up');
    return retry.nextAttemptAt.getTime() - first.getTime();
  };
  expect(at(0)).toBe(4_000);
  expect(at(0.5)).toBe(5_000);
  expect(at(0.999999)).toBeLessThanOrEqual(6_000);
});

test('an injected clock walks the schedule: retried for at least 24 hours, then given up', () => {
  const first = new Date('2026-01-01T00:00:00Z');
  let now = first;
  let attempts = 1;
  const moments: number[] = [];
  for (;;) {
    const retry = nextRetry(attempts, first, now, () => 0.5);
    if (retry.giveUp) break;
    now = retry.nextAttemptAt;
    moments.push(now.getTime() - first.getTime());
    attempts += 1;
  }
  expect(now.getTime() - first.getTime()).toBeGreaterThanOrEqual(GIVE_UP_AFTER_MS);
  expect(moments.slice(0, 3)).toEqual([5_000, 15_000, 35_000]);
  // 11 attempts in the first three hours, then every two hours: 22 in all, over a day.
  expect(attempts).toBe(23);
});
