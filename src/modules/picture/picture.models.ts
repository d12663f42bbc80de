import type { ComponentStatus, StatusCause } from '../../common/vocabulary';
import type { Component } from '../component';
import type { Organisation } from '../organisation';

/** A component's effective status at one moment, as the API shows it. */
export interface EffectiveStatusModel {
  componentId: string;
  /** The moment described. */
  asOf: Date;
  status: ComponentStatus;
  cause: StatusCause | null;
  /** When the effective status last changed to this value; null when unknown or hypothetical. */
  since: Date | null;
  stale: boolean;
  /** When this component's own heartbeat ran out, when it has. */
  staleSince: Date | null;
  /** Component ids: this one first, the root cause last. */
  rootCause: string[];
  rootCauseReportId: string | null;
  /** The announced maintenance window at the root that explains the status, when one does. */
  rootCauseMaintenanceId: string | null;
}

/** One service as one municipality sees it. */
export interface ServiceAvailabilityModel extends EffectiveStatusModel {
  serviceId: string;
  municipalityId: string;
  /** False for a what-if: a hypothetical status has no history to measure uptime against. */
  hasHistory: boolean;
  /**
   * The rows themselves, when the code that built the model already holds them and has checked the
   * viewer may see them: a resolver that returns a value keeps graphql-js on its synchronous path,
   * which a what-if listing 40,000 services needs.
   */
  service?: Component;
  municipality?: Organisation;
}
