import type { EntityManager } from 'typeorm';
import type { MaintenanceAction } from './change-event';
import { changeEventRepository, NewStatusChange } from './change-event.repository';
import { markEventsRecorded, requireTransaction } from './in-process-channel';

/**
 * Stores the status changes one write caused (the change set the picture keeper returned), in the
 * write's transaction. Subscribers hear of them when it commits; nothing waits for the others'
 * writes until then (see change-event.repository.ts).
 */
export async function recordStatusChanges(db: EntityManager, changes: readonly NewStatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  requireTransaction(db);
  const writeId = await changeEventRepository.newWrite(db, changes.length);
  await changeEventRepository.insertStatusChanges(db, writeId, 1, changes);
  markEventsRecorded(db);
}

/**
 * Stores that an incident changed (declared, updated, cleared, resolved), with the timeline entry the
 * change added if it added one. Call it inside the write's transaction, after the write: the event
 * carries the incident's state as the write left it. Subscribers hear of it at commit.
 */
export async function recordIncidentUpdate(db: EntityManager, incidentId: string, incidentUpdateId: string | null): Promise<void> {
  requireTransaction(db);
  const writeId = await changeEventRepository.newWrite(db, 1);
  if (!(await changeEventRepository.insertIncidentChange(db, writeId, 1, incidentId, incidentUpdateId))) {
    throw new Error(`recordIncidentUpdate: no incident ${incidentId}`);
  }
  markEventsRecorded(db);
}

/**
 * Stores what happened to maintenance windows (scheduled, updated, cancelled, started, ended) and the
 * status changes that caused, as one write's events, in the write's transaction: the window's event
 * comes before the status changes it explains.
 */
export async function recordMaintenanceChanges(
  db: EntityManager, windows: readonly { maintenanceId: string; action: MaintenanceAction }[], changes: readonly NewStatusChange[],
): Promise<void> {
  if (windows.length === 0 && changes.length === 0) return;
  requireTransaction(db);
  const writeId = await changeEventRepository.newWrite(db, windows.length + changes.length);
  if (windows.length > 0) await changeEventRepository.insertMaintenanceChanges(db, writeId, 1, windows);
  if (changes.length > 0) await changeEventRepository.insertStatusChanges(db, writeId, windows.length + 1, changes);
  markEventsRecorded(db);
}
