import type { IncidentState } from '../incident';
import type { ComponentStatus, StatusCause } from '../../common/vocabulary';

/** A component's effective status changed (its own report, or a dependency's). */
export interface StatusChangeEvent {
  kind: 'STATUS';
  /**
   * The event's position: delivery order across every server instance, given as the write that
   * caused it commits (positions have no gaps). The `since` cursor encodes it.
   */
  seq: number;
  componentId: string;
  /** The municipalities the component is delivered to when it is a service; otherwise empty. */
  municipalityIds: string[];
  status: ComponentStatus;
  previousStatus: ComponentStatus;
  cause: StatusCause | null;
  /** The component first, the root cause last; empty when operational or unknown. */
  rootCause: string[];
  /** When the new status took effect: the observation of the report that changed it. */
  since: Date | null;
  /** This component or something it depends on has been silent longer than its heartbeat. */
  stale: boolean;
  occurredAt: Date;
}

/** An incident was declared, updated (a clearance included) or resolved. */
export interface IncidentChangeEvent {
  kind: 'INCIDENT';
  seq: number;
  incidentId: string;
  /** The timeline entry this change added, when it added one. */
  incidentUpdateId: string | null;
  /** The incident's state once the change was made. */
  incidentState: IncidentState;
  occurredAt: Date;
}

/** What happens to an announced maintenance window (issue 17). */
export type MaintenanceAction = 'SCHEDULED' | 'UPDATED' | 'CANCELLED' | 'STARTED' | 'ENDED';

/**
 * A maintenance window was scheduled, updated or cancelled, or the clock saw it start or end. The
 * status changes it causes are STATUS events of their own; this says what happened to the window.
 */
export interface MaintenanceChangeEvent {
  kind: 'MAINTENANCE';
  seq: number;
  maintenanceId: string;
  action: MaintenanceAction;
  occurredAt: Date;
}

export type ChangeEvent = StatusChangeEvent | IncidentChangeEvent | MaintenanceChangeEvent;

/**
 * Events fetched together, by one query. Everything delivered from one batch may share one set of
 * loaders (src/websocket.ts), so a thousand subscribers of one municipality cost what one costs.
 */
export interface EventBatch {
  events: readonly ChangeEvent[];
}

const statusByMunicipality = new WeakMap<EventBatch, Map<string, StatusChangeEvent[]>>();

/**
 * The batch's status changes that name `municipalityId`, in `seq` order: grouped once per batch,
 * so a thousand subscribers of different municipalities do not each test every event of a
 * gateway's outage.
 */
export function statusChangesFor(batch: EventBatch, municipalityId: string): readonly StatusChangeEvent[] {
  let grouped = statusByMunicipality.get(batch);
  if (!grouped) {
    grouped = new Map();
    for (const event of batch.events) {
      if (event.kind !== 'STATUS') continue;
      for (const id of event.municipalityIds) {
        const events = grouped.get(id);
        if (events) events.push(event);
        else grouped.set(id, [event]);
      }
    }
    statusByMunicipality.set(batch, grouped);
  }
  return grouped.get(municipalityId) ?? [];
}
