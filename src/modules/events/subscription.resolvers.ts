import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import type { IncidentChangeModel, StatusChangeModel } from './event.models';
import { busOf, cursorOf, incidentChanges, statusChanges, visibleRootCause } from './subscription.service';

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    statusChanged: {
      subscribe: (root, args, ctx) => statusChanges(ctx, busOf(root), args),
      resolve: (payload: StatusChangeModel) => payload,
    },
    incidentUpdated: {
      subscribe: (root, args, ctx) => incidentChanges(ctx, busOf(root), args),
      resolve: (payload: IncidentChangeModel) => payload,
    },
  },
  StatusChange: {
    cursor: (m) => cursorOf(m.event),
    component: async (m, _, ctx) => (await ctx.loaders.componentById.load(m.event.componentId))!,
    municipality: (m, _, ctx) => (m.municipalityId ? ctx.loaders.organisationById.load(m.municipalityId) : null),
    municipalities: (m, _, ctx) => loadExisting(ctx.loaders.organisationById, m.event.municipalityIds),
    status: (m) => m.event.status,
    previousStatus: (m) => m.event.previousStatus,
    cause: (m) => m.event.cause,
    since: (m) => m.event.since,
    stale: (m) => m.event.stale,
    rootCause: (m, _, ctx) => visibleRootCause(ctx, m.event.rootCause),
    occurredAt: (m) => m.event.occurredAt,
  },
  IncidentChange: {
    cursor: (m) => cursorOf(m.event),
    incident: async (m, _, ctx) => (await ctx.loaders.incidentById.load(m.event.incidentId))!,
    update: (m, _, ctx) => (m.event.incidentUpdateId ? ctx.loaders.incidentUpdateById.load(m.event.incidentUpdateId) : null),
    state: (m) => m.event.incidentState,
    occurredAt: (m) => m.event.occurredAt,
  },
};
