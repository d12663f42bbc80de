import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AccessScope } from './modules/access/access-scope';
import { GuardedLoaders, guardLoaders } from './modules/access/guarded-loaders';
import { PUBLIC_VIEWER, Viewer } from './modules/access/viewer';
import { createAdvisoryLoaders } from './modules/advisory/advisory.loaders';
import { createComponentLoaders } from './modules/component/component.loaders';
import type { EventBus } from './modules/events';
import { createIncidentLoaders } from './modules/incident/incident.loaders';
import { createOrganisationLoaders } from './modules/organisation/organisation.loaders';
import { createStatusLoaders } from './modules/status/status.loaders';

/** Fresh for every request, so nothing cached in a loader outlives the request that loaded it. */
export function createLoaders(db: EntityManager) {
  const components = createComponentLoaders(db);
  return {
    ...createOrganisationLoaders(db),
    ...components,
    ...createStatusLoaders(db, (component) => components.componentById.prime(component.id, component)),
    ...createIncidentLoaders(db),
    ...createAdvisoryLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface RequestContext {
  db: EntityManager;
  viewer: Viewer;
  /** What the viewer may see and do; every guarded loader asks it. */
  scope: AccessScope;
  /** The caller's address as the HTTP server saw it (behind a proxy: the proxy's). */
  clientAddress: string;
  /** What resolvers read through: every answer has passed the access policy. */
  loaders: GuardedLoaders;
  /**
   * The same loaders without the policy, for services that compute what the viewer may see from
   * rows it may not (a municipality's availability through a vendor's gateway). Never for resolvers.
   */
  unguarded: Loaders;
  requestId: string;
  /** One clock reading per request: every "now" in one answer is the same moment. */
  now: Date;
  /** This instance's change events; only on WebSocket subscriptions (src/websocket.ts). */
  events?: EventBus;
}

export function createRequestContext(
  db: EntityManager,
  options: {
    requestId?: string; viewer?: Viewer; clientAddress?: string;
    /** A subscription's scope, decided when it began, and loaders shared by one batch of events. */
    scope?: AccessScope; unguarded?: Loaders; events?: EventBus;
  } = {},
): RequestContext {
  const viewer = options.scope?.viewer ?? options.viewer ?? PUBLIC_VIEWER;
  const scope = options.scope ?? new AccessScope(db, viewer);
  const unguarded = options.unguarded ?? createLoaders(db);
  return {
    db,
    viewer,
    scope,
    clientAddress: options.clientAddress ?? 'unknown',
    loaders: guardLoaders(unguarded, scope),
    unguarded,
    requestId: options.requestId ?? randomUUID(),
    now: new Date(),
    events: options.events,
  };
}
