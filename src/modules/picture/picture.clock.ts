import type { DataSource, EntityManager } from 'typeorm';
import { inWriteTransaction } from '../../db/write-transaction';
import type { Log } from '../../log';
import type { NewStatusChange } from '../events';
import { pictureKeeper } from './picture.keeper';
import { pictureRepository } from './picture.repository';

/**
 * Time changes the picture without any request: an announced maintenance window begins or ends, a
 * heartbeat runs out and makes its component, and everything depending on it, stale. The clock
 * finds those moments in the stored picture, in the order they came, and takes each in as a write
 * of its own, judged at that moment (its own transaction, its own change events, recorded by
 * `record`, which the caller supplies: the picture module does not reach into the events module).
 * Every instance runs a clock; when two find the same deadline, the second finds it taken in.
 */
/** A tick takes in every moment that is due; this many means a bug, not a backlog. */
const MAX_MOMENTS = 1_000_000;

export async function takeInTime(
  dataSource: DataSource, now: Date, record: (db: EntityManager, changes: readonly NewStatusChange[], now: Date) => Promise<void>,
): Promise<number> {
  let taken = 0;
  for (;;) {
    const done = await inWriteTransaction(dataSource.manager, async (tx) => {
      const changes = await pictureKeeper.takeInNextDue(tx, now);
      if (changes === null) return false;
      await record(tx, changes, now);
      return true;
    });
    if (!done) return taken;
    taken += 1;
    if (taken > MAX_MOMENTS) throw new Error(`More than ${MAX_MOMENTS} moments of time taken in by one tick: the clock is not advancing`);
  }
}

export function keepPictureOnTime(
  dataSource: DataSource,
  options: { everyMs: number; log: Log; record: (db: EntityManager, changes: readonly NewStatusChange[], now: Date) => Promise<void> },
): { stop(): void } {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    takeInTime(dataSource, new Date(), options.record).then(
      (taken) => {
        if (taken > 0) options.log.info('heartbeats ran out', { components: taken });
      },
      (error: unknown) => options.log.error('taking in heartbeats that ran out failed; trying again at the next tick', { error }),
    ).finally(() => {
      running = false;
    });
  };
  const timer = setInterval(tick, options.everyMs);
  timer.unref();
  tick();
  return { stop: () => clearInterval(timer) };
}

/**
 * Builds the stored picture from the facts when it was never built (a new database, one that the
 * migration to the stored picture emptied, or one loaded around the API and marked so). Returns the
 * number of components judged, or null when the picture was there.
 */
export async function ensurePicture(dataSource: DataSource, now: Date): Promise<number | null> {
  if (await pictureRepository.built(dataSource.manager)) return null;
  return pictureKeeper.rebuild(dataSource.manager, now);
}
