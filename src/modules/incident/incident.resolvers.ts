import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import type { RequestContext } from '../../context';
import { onTypes, COMPONENT_TYPES } from '../../common/resolver-types';
import { effectiveStatusOf } from '../picture';
import { findIncident, incidentsBehind, listIncidents } from './incident.service';
import { acknowledgeIncident, declareIncident, issueClearance, postIncidentUpdate, resolveIncident, updateIncident } from './incident.mutations';

export const incidentResolvers: Resolvers = {
  ...onTypes(COMPONENT_TYPES, {
    incidents: async (c: { id: string }, _: unknown, ctx: RequestContext) =>
      incidentsBehind(ctx, c.id, (await effectiveStatusOf(ctx, c.id, null)).rootCause, ctx.now, { openOnly: false }),
  }),
  ServiceAvailability: {
    incidents: (m, _, ctx) => (m.hasHistory ? incidentsBehind(ctx, m.serviceId, m.rootCause, m.asOf, { openOnly: true }) : []),
  },
  Query: {
    incidents: (_, args, ctx) => listIncidents(ctx, args),
    incident: (_, { id }, ctx) => findIncident(ctx, id),
  },
  Mutation: {
    declareIncident: (_, { input }, ctx) => declareIncident(ctx, input),
    postIncidentUpdate: (_, { input }, ctx) => postIncidentUpdate(ctx, input),
    resolveIncident: (_, { input }, ctx) => resolveIncident(ctx, input),
    issueClearance: (_, { input }, ctx) => issueClearance(ctx, input),
    updateIncident: (_, { input }, ctx) => updateIncident(ctx, input),
    acknowledgeIncident: (_, { input }, ctx) => acknowledgeIncident(ctx, input),
  },
  Incident: {
    id: (i) => toGlobalId('Incident', i.id),
    declaredBy: async (i, _, ctx) => (await ctx.loaders.organisationById.load(i.declaredById))!,
    affectedComponents: async (i, _, ctx) => loadExisting(ctx.loaders.componentById, await ctx.loaders.componentIdsByIncident.load(i.id)),
    advisories: async (i, _, ctx) => loadExisting(ctx.loaders.advisoryById, await ctx.loaders.advisoryIdsByIncident.load(i.id)),
    updates: (i, _, ctx) => ctx.loaders.updatesByIncident.load(i.id),
    recipients: async (i, _, ctx) => loadExisting(ctx.loaders.organisationById, await ctx.loaders.recipientIdsByIncident.load(i.id)),
  },
  IncidentUpdate: {
    id: (u) => toGlobalId('IncidentUpdate', u.id),
    incident: async (u, _, ctx) => (await ctx.loaders.incidentById.load(u.incidentId))!,
    author: async (u, _, ctx) => (await ctx.loaders.organisationById.load(u.authorId))!,
    recipients: async (u, _, ctx) => loadExisting(ctx.loaders.organisationById, await ctx.loaders.recipientIdsByIncidentUpdate.load(u.id)),
  },
};
