import type { Delivery } from './overview.repository';
import type { ComponentStatus } from '../status';

/**
 * domain.md: residents affected = the population of each municipality for which a RESIDENTS-audience
 * service is not OPERATIONAL, counted once per municipality. (UNKNOWN counts: nobody can say it works.)
 */
export function residentsAffected(deliveries: readonly Delivery[], statusOf: (serviceId: string) => ComponentStatus): number {
  const counted = new Map<string, number>();
  for (const delivery of deliveries) {
    if (delivery.audience !== 'RESIDENTS' || counted.has(delivery.municipalityId)) continue;
    if (statusOf(delivery.serviceId) !== 'OPERATIONAL') counted.set(delivery.municipalityId, delivery.population);
  }
  let total = 0;
  for (const population of counted.values()) total += population;
  return total;
}
