import type { DataSource } from 'typeorm';
import type { Log } from '../../log';
import { changeEventRepository } from './change-event.repository';

/** Events pruned per transaction. */
const PRUNE_BATCH = 10_000;
/** How often an instance looks for events past their retention. */
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Prunes the change events that occurred more than `retentionHours` before `now`, oldest first, in
 * batches. Returns how many. A subscriber's `since` from before the horizon is refused from then on
 * (subscription.service.ts), so pruning never makes a replay silently incomplete.
 */
export async function pruneChangeEvents(dataSource: DataSource, retentionHours: number, now: Date = new Date()): Promise<number> {
  const before = new Date(now.getTime() - retentionHours * 3_600_000);
  let total = 0;
  for (;;) {
    const pruned = await changeEventRepository.pruneOldest(dataSource.manager, before, PRUNE_BATCH);
    total += pruned;
    if (pruned < PRUNE_BATCH) return total;
  }
}

/**
 * Prunes now and then every hour, until stopped. Every instance does it; they prune the same oldest
 * events, and whichever comes second finds nothing left to do.
 */
export function keepChangeEventsPruned(dataSource: DataSource, retentionHours: number, log: Log): { stop(): void } {
  const prune = () => {
    pruneChangeEvents(dataSource, retentionHours).then(
      (pruned) => {
        if (pruned > 0) log.info('pruned change events', { pruned, retentionHours });
      },
      (error: unknown) => log.error('pruning change events failed', { error }),
    );
  };
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
