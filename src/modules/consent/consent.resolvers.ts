import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import { decideRelationRequest, requestDelivery, requestDependency, requestMembership } from './consent.mutations';
import { listRelationRequests, madeRelation, requestedComponent } from './consent.service';

const organisation = (ctx: Parameters<typeof listRelationRequests>[0], id: string | null) => (id === null ? null : ctx.loaders.organisationById.load(id));

export const consentResolvers: Resolvers = {
  Query: {
    relationRequests: (_, args, ctx) => listRelationRequests(ctx, args),
  },
  Mutation: {
    requestDependency: async (_, { input }, ctx) => ({ request: await requestDependency(ctx, input) }),
    requestDelivery: async (_, { input }, ctx) => ({ request: await requestDelivery(ctx, input) }),
    requestMembership: async (_, { input }, ctx) => ({ request: await requestMembership(ctx, input) }),
    acceptRelationRequest: async (_, { input }, ctx) => ({ request: await decideRelationRequest(ctx, 'accept', input) }),
    declineRelationRequest: async (_, { input }, ctx) => ({ request: await decideRelationRequest(ctx, 'decline', input) }),
    withdrawRelationRequest: async (_, { input }, ctx) => ({ request: await decideRelationRequest(ctx, 'withdraw', input) }),
  },
  RelationRequest: {
    id: (r) => toGlobalId('RelationRequest', r.id),
    requestedBy: async (r, _, ctx) => (await organisation(ctx, r.requestedById))!,
    awaiting: async (r, _, ctx) => (await organisation(ctx, r.awaitingId))!,
    component: (r, _, ctx) => requestedComponent(ctx, r.componentId),
    dependsOn: (r, _, ctx) => requestedComponent(ctx, r.dependsOnId),
    municipality: (r, _, ctx) => organisation(ctx, r.municipalityId),
    sharedServiceOrganisation: (r, _, ctx) => organisation(ctx, r.sharedServiceOrganisationId),
    decidedBy: (r, _, ctx) => organisation(ctx, r.decidedById),
    dependency: async (r, _, ctx) => (await madeRelation(ctx, r)).dependency,
    membership: async (r, _, ctx) => (await madeRelation(ctx, r)).membership,
  },
  RequestedComponent: {
    id: (c) => toGlobalId('Component', c.id),
    operator: async (c, _, ctx) => (await ctx.loaders.organisationById.load(c.operatorId))!,
  },
};
