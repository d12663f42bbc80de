import type { ComponentStatus, StatusCause } from './status-report.entity';

/**
 * Severity for "the worst wins". UNKNOWN ranks above OPERATIONAL (we cannot promise it works) but
 * below every reported problem (a known outage explains more than silence). Planned maintenance
 * ranks below a partial outage: it is announced and bounded.
 */
const SEVERITY: Record<ComponentStatus, number> = {
  OPERATIONAL: 0,
  UNKNOWN: 1,
  DEGRADED_PERFORMANCE: 2,
  UNDER_MAINTENANCE: 3,
  PARTIAL_OUTAGE: 4,
  MAJOR_OUTAGE: 5,
};

export function severity(status: ComponentStatus): number {
  return SEVERITY[status];
}

/** A status that something depending on this component would feel. UNKNOWN is not an outage. */
export function isOutage(status: ComponentStatus): boolean {
  return status !== 'OPERATIONAL' && status !== 'UNKNOWN';
}

/**
 * What one dependency edge imposes on the component that depends on it (domain.md):
 * REQUIRED passes an outage on unchanged, OPTIONAL turns any outage into at most DEGRADED_PERFORMANCE.
 * Returns null when nothing is imposed.
 */
export function imposedBy(kind: 'REQUIRED' | 'OPTIONAL', dependencyStatus: ComponentStatus): ComponentStatus | null {
  if (!isOutage(dependencyStatus)) return null;
  return kind === 'REQUIRED' ? dependencyStatus : 'DEGRADED_PERFORMANCE';
}

export function isWorse(a: ComponentStatus, b: ComponentStatus): boolean {
  return SEVERITY[a] > SEVERITY[b];
}

export type { ComponentStatus, StatusCause };
