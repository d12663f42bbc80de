/**
 * The domain's words (../shared/design/domain.md) that more than one module speaks: the status
 * vocabulary (Statuspage's, plus UNKNOWN) and the kinds of the register. Each module owns what it
 * stores; these are only the names, so that no module has to import another to say them.
 */

export type ComponentStatus =
  | 'OPERATIONAL'
  | 'DEGRADED_PERFORMANCE'
  | 'PARTIAL_OUTAGE'
  | 'MAJOR_OUTAGE'
  | 'UNDER_MAINTENANCE'
  | 'UNKNOWN';

/** What a report may say: UNKNOWN means "never reported" and is never reported. */
export type ReportedStatus = Exclude<ComponentStatus, 'UNKNOWN'>;

export type StatusCause = 'PRECAUTIONARY_SHUTDOWN' | 'FAILURE' | 'MAINTENANCE' | 'COMPROMISE' | 'DEPENDENCY';

export type ComponentKind = 'GATEWAY' | 'APPLICATION' | 'SERVICE' | 'INFRASTRUCTURE';

export type Audience = 'RESIDENTS' | 'STAFF' | 'BUSINESSES';

export type DependencyKind = 'REQUIRED' | 'OPTIONAL';
