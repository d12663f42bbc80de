import type { EntityManager } from 'typeorm';
import type { ChangeEvent } from './change-event';
import { changeEventRepository } from './change-event.repository';

/**
 * The stored change stream, read-only, for modules that follow it on their own cursor (webhooks):
 * the events after a position, oldest first; the newest position; the pruning horizon.
 */
export function changeEventsAfter(db: EntityManager, seq: number, limit: number): Promise<ChangeEvent[]> {
  return changeEventRepository.after(db, seq, limit);
}

export function newestChangeEventSeq(db: EntityManager): Promise<number> {
  return changeEventRepository.lastSeq(db);
}

export function changeEventsPrunedThrough(db: EntityManager): Promise<number> {
  return changeEventRepository.prunedThrough(db);
}
