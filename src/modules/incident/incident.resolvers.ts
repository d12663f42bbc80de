import type { Resolvers } from '../../generated/graphql';
import type { RequestContext } from '../../context';
import { onTypes, COMPONENT_TYPES } from '../../common/resolver-types';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { findIncident, incidentsBehind, listIncidents } from './incident.service';
import { effectiveStatusOf } from '../picture';
import { declareIncident, issueClearance, postIncidentUpdate, resolveIncident } from './incident.mutations';

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
    declareIncident: async (_, { input }, ctx) => ({ incident: await declareIncident(ctx, input) }),
    postIncidentUpdate: (_, { input }, ctx) => postIncidentUpdate(ctx, input),
    resolveIncident: async (_, { input }, ctx) => ({ incident: await resolveIncident(ctx, input) }),
    issueClearance: (_, { input }, ctx) => issueClearance(ctx, input),
  },
  Incident: {
    id: (i) => toGlobalId('Incident', i.id),
    declaredBy: async (i, _, ctx) => (await ctx.loaders.organisationById.load(i.declaredById))!,
    affectedComponents: async (i, _, ctx) => loadExisting(ctx.loaders.componentById, await ctx.loaders.componentIdsByIncident.load(i.id)),
    advisories: async (i, _, ctx) => loadExisting(ctx.loaders.advisoryById, await ctx.loaders.advisoryIdsByIncident.load(i.id)),
    updates: (i, _, ctx) => ctx.loaders.updatesByIncident.load(i.id),
  },
  IncidentUpdate: {
    id: (u) => toGlobalId('IncidentUpdate', u.id),
    incident: async (u, _, ctx) => (await ctx.loaders.incidentById.load(u.incidentId))!,
    author: async (u, _, ctx) => (await ctx.loaders.organisationById.load(u.authorId))!,
  },
};
