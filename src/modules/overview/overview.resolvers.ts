import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { impact, nationalOverview } from './overview.service';

export const overviewResolvers: Resolvers = {
  Query: {
    impact: (_, args, ctx) => impact(ctx, args),
    nationalOverview: (_, { asOf }, ctx) => nationalOverview(ctx, asOf ?? null),
  },
  ImpactReport: {
    component: async (r, _, ctx) => (await ctx.loaders.componentById.load(r.componentIds[0]))!,
    components: (r, _, ctx) => loadExisting(ctx.loaders.componentById, r.componentIds),
    municipalities: (r, _, ctx) => loadExisting(ctx.loaders.organisationById, r.municipalityIds),
  },
  NationalOverview: {
    componentsByStatus: async (o) => (await o.counts()).componentsByStatus,
    componentsByKind: async (o) => (await o.counts()).componentsByKind,
    gatewaysByProduct: (o) => o.gatewaysByProduct(),
    residentsAffected: (o) => o.residentsAffected(),
    municipalitiesWithOutage: async (o, _, ctx) => loadExisting(ctx.loaders.organisationById, await o.municipalityIdsWithOutage()),
    silentOrganisations: async (o, _, ctx) =>
      loadExisting(ctx.loaders.organisationById, [...new Set((await o.silentSince()).map((s) => s.organisationId))]),
    silentSince: (o) => o.silentSince(),
  },
  SilentOrganisation: {
    organisation: async (s, _, ctx) => (await ctx.loaders.organisationById.load(s.organisationId))!,
  },
};
