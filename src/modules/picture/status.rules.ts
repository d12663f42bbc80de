import type { Audience, ComponentStatus } from '../../common/vocabulary';

/**
 * The status rules of domain.md, each written once. The status engine applies them; the stored
 * picture keeps what they decided (its `outage` and `residents_affected` columns), so SQL only
 * counts what the engine judged.
 */

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

export function isWorse(a: ComponentStatus, b: ComponentStatus): boolean {
  return SEVERITY[a] > SEVERITY[b];
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

/**
 * domain.md: residents are affected where a RESIDENTS-audience service is not OPERATIONAL.
 * UNKNOWN counts: nobody can say it works.
 */
export function affectsResidents(audience: Audience | null, status: ComponentStatus): boolean {
  return audience === 'RESIDENTS' && status !== 'OPERATIONAL';
}

/** One service delivered to one municipality, with what the residents count needs. */
export interface Delivery {
  serviceId: string;
  audience: Audience;
  municipalityId: string;
  population: number;
}

/**
 * Residents affected: the population of each municipality for which a RESIDENTS-audience service
 * is not OPERATIONAL, counted once per municipality (domain.md).
 */
export function residentsAffected(deliveries: readonly Delivery[], statusOf: (serviceId: string) => ComponentStatus): number {
  const counted = new Map<string, number>();
  for (const delivery of deliveries) {
    if (counted.has(delivery.municipalityId)) continue;
    if (affectsResidents(delivery.audience, statusOf(delivery.serviceId))) counted.set(delivery.municipalityId, delivery.population);
  }
  let total = 0;
  for (const population of counted.values()) total += population;
  return total;
}
