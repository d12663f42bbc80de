import type { EntityManager } from 'typeorm';
import { changeEventRepository } from './change-event.repository';
import { markEventsRecorded, requireTransaction } from './in-process-channel';

/**
 * Stores that an incident changed (declared, updated, cleared, resolved), with the timeline entry the
 * change added if it added one. Call it inside the write's transaction, after the write: the event
 * carries the incident's state as the write left it. Subscribers hear of it at commit.
 */
export async function recordIncidentUpdate(db: EntityManager, incidentId: string, incidentUpdateId: string | null): Promise<void> {
  requireTransaction(db);
  await changeEventRepository.lockEventOrder(db);
  const seq = await changeEventRepository.insertIncidentChange(db, incidentId, incidentUpdateId);
  if (seq === null) throw new Error(`recordIncidentUpdate: no incident ${incidentId}`);
  await changeEventRepository.notify(db, seq);
  markEventsRecorded(db);
}
