import type { Effective, StatusTimeline } from './status.engine';
import type { Component } from '../component/component.entity';
import type { Organisation } from '../organisation/organisation.entity';

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
  /**
   * The rows themselves, when the code that built the model already holds them and has checked
   * the viewer may see them: a resolver that returns a value instead of a promise keeps
   * graphql-js on its synchronous path, which is what makes a 40,000-row what-if affordable.
   */
  service?: Component;
  municipality?: Organisation;
}
