import type { Effective, StatusTimeline } from './status.engine';

/** A component's effective status, with what is needed to answer `since` about it. */
export interface EffectiveStatusModel {
  effective: Effective;
  /** Null for a hypothetical picture (impact), which has no past. */
  timeline: StatusTimeline | null;
  asOf: Date;
}

/** One service as one municipality sees it. */
export interface ServiceAvailabilityModel extends EffectiveStatusModel {
  serviceId: string;
  municipalityId: string;
}
