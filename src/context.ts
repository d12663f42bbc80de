import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { createAdvisoryLoaders } from './modules/advisory/advisory.loaders';
import { createComponentLoaders } from './modules/component/component.loaders';
import { createIncidentLoaders } from './modules/incident/incident.loaders';
import { createOrganisationLoaders } from './modules/organisation/organisation.loaders';
import { createStatusLoaders } from './modules/status/status.loaders';

/** Fresh for every request, so nothing cached in a loader outlives the request that loaded it. */
export function createLoaders(db: EntityManager) {
  return {
    ...createOrganisationLoaders(db),
    ...createComponentLoaders(db),
    ...createStatusLoaders(db),
    ...createIncidentLoaders(db),
    ...createAdvisoryLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface RequestContext {
  db: EntityManager;
  loaders: Loaders;
  requestId: string;
  /** One clock reading per request: every "now" in one answer is the same moment. */
  now: Date;
}

export function createRequestContext(db: EntityManager, requestId: string = randomUUID()): RequestContext {
  return { db, loaders: createLoaders(db), requestId, now: new Date() };
}
