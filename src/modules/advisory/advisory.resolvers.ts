import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { exposureByStatus, findAdvisory, listAdvisories } from './advisory.service';
import { publishAdvisory } from './advisory.mutations';

export const advisoryResolvers: Resolvers = {
  Coordinator: {
    advisories: (o, args, ctx) => listAdvisories(ctx, { ...args, publisherId: o.id }),
  },
  Query: {
    advisories: (_, args, ctx) => listAdvisories(ctx, args),
    advisory: (_, { id }, ctx) => findAdvisory(ctx, id),
  },
  Mutation: {
    publishAdvisory: async (_, { input }, ctx) => ({ advisory: await publishAdvisory(ctx, input) }),
  },
  Advisory: {
    id: (a) => toGlobalId('Advisory', a.id),
    publisher: async (a, _, ctx) => (await ctx.loaders.organisationById.load(a.publisherId))!,
    affectedProducts: (a, _, ctx) => ctx.loaders.affectedProductsByAdvisory.load(a.id),
    exposure: async (a, { asOf }, ctx) => ({ advisory: a, groups: await exposureByStatus(ctx, a.id, asOf ?? null) }),
  },
  Exposure: {
    totalCount: (e) => e.groups.reduce((sum, group) => sum + group.gatewayIds.length, 0),
    byStatus: (e) => e.groups,
  },
  ExposureGroup: {
    count: (g) => g.gatewayIds.length,
    gateways: (g, _, ctx) => loadExisting(ctx.loaders.componentById, g.gatewayIds),
  },
};
