import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { PUBLIC_VIEWER, Viewer } from './modules/access/viewer';
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
  viewer: Viewer;
  /** The caller's address as the HTTP server saw it (behind a proxy: the proxy's). */
  clientAddress: string;
  loaders: Loaders;
  requestId: string;
  /** One clock reading per request: every "now" in one answer is the same moment. */
  now: Date;
}

export function createRequestContext(
  db: EntityManager,
  options: { requestId?: string; viewer?: Viewer; clientAddress?: string } = {},
): RequestContext {
  return {
    db,
    viewer: options.viewer ?? PUBLIC_VIEWER,
    clientAddress: options.clientAddress ?? 'unknown',
    loaders: createLoaders(db),
    requestId: options.requestId ?? randomUUID(),
    now: new Date(),
  };
}
