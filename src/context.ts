import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AccessScope } from './modules/access/access-scope';
import { GuardedLoaders, guardLoaders } from './modules/access/guarded-loaders';
import { PUBLIC_VIEWER, Viewer } from './modules/access/viewer';
import { createAdvisoryLoaders } from './modules/advisory/advisory.loaders';
import { createComponentLoaders } from './modules/component/component.loaders';
import { createIncidentLoaders } from './modules/incident/incident.loaders';
import { createOrganisationLoaders } from './modules/organisation/organisation.loaders';
import { createStatusLoaders } from './modules/status/status.loaders';
import { createPictureLoaders } from './modules/picture/picture.loaders';
import { createConsentLoaders } from './modules/consent/consent.loaders';
import { createWebhookLoaders } from './modules/webhooks/webhook.loaders';
import { DestinationPolicy } from './platform/outbound-destination';

/** Without a configured one: https only, public addresses only (WEBHOOK_* at their defaults). */
const STRICT_DESTINATIONS = new DestinationPolicy({ allowHttp: false, allowedAddresses: [] });
import { createMaintenanceLoaders } from './modules/maintenance/maintenance.loaders';

/**
 * Fresh for every request, so nothing cached in a loader outlives the request that loaded it. `now`
 * is the request's one clock reading.
 */
export function createLoaders(db: EntityManager, now: Date) {
  return {
    ...createOrganisationLoaders(db),
    ...createComponentLoaders(db),
    ...createStatusLoaders(db),
    ...createPictureLoaders(db, now),
    ...createIncidentLoaders(db),
    ...createAdvisoryLoaders(db),
    ...createConsentLoaders(db),
    ...createWebhookLoaders(db),
    ...createMaintenanceLoaders(db, now),
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
  /** Where webhook endpoints may point (src/platform/outbound-destination.ts, from the config). */
  destinations: DestinationPolicy;
}

export function createRequestContext(
  db: EntityManager,
  options: {
    requestId?: string; viewer?: Viewer; clientAddress?: string;
    /** A subscription's scope, decided when it began, and loaders shared by one batch of events. */
    scope?: AccessScope; unguarded?: Loaders;
    destinations?: DestinationPolicy;
  } = {},
): RequestContext {
  const viewer = options.scope?.viewer ?? options.viewer ?? PUBLIC_VIEWER;
  const scope = options.scope ?? new AccessScope(db, viewer);
  const now = new Date();
  const unguarded = options.unguarded ?? createLoaders(db, now);
  return {
    db,
    viewer,
    scope,
    clientAddress: options.clientAddress ?? 'unknown',
    loaders: guardLoaders(unguarded, scope),
    unguarded,
    requestId: options.requestId ?? randomUUID(),
    now,
    destinations: options.destinations ?? STRICT_DESTINATIONS,
  };
}
