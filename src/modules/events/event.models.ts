import type { EventBatch, IncidentChangeEvent, StatusChangeEvent } from './change-event';

/** What a `statusChanged` subscriber receives, before its selection is resolved. */
export interface StatusChangeModel {
  event: StatusChangeEvent;
  /** The fetch it came with: its deliveries share one set of loaders. */
  batch: EventBatch;
  /** The municipality the subscription named, if any. */
  municipalityId: string | null;
}

/** What an `incidentUpdated` subscriber receives. */
export interface IncidentChangeModel {
  event: IncidentChangeEvent;
  batch: EventBatch;
}

/** Every payload the subscriptions yield carries its batch (src/websocket.ts shares loaders by it). */
export function batchOf(payload: unknown): EventBatch | null {
  if (typeof payload !== 'object' || payload === null || !('batch' in payload)) return null;
  const batch = (payload as { batch: unknown }).batch;
  return typeof batch === 'object' && batch !== null && 'events' in batch ? (batch as EventBatch) : null;
}
