import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { Organisation } from './organisation.entity';
import { findMunicipality, findOrganisation, listOrganisations, municipalitiesServed } from './organisation.service';
import { addMembership, endMembership, registerOrganisation } from './organisation.mutations';

const TYPE_BY_KIND = {
  MUNICIPALITY: 'Municipality',
  SHARED_SERVICE_ORGANISATION: 'SharedServiceOrganisation',
  VENDOR: 'Vendor',
  COORDINATOR: 'Coordinator',
} as const;

export function organisationTypeName(organisation: Organisation) {
  return TYPE_BY_KIND[organisation.kind];
}

const organisationFields = {
  id: (o: Organisation) => toGlobalId('Organisation', o.id),
};

export const organisationResolvers: Resolvers = {
  Query: {
    organisation: (_, args, ctx) => findOrganisation(ctx, args),
    organisations: (_, args, ctx) => listOrganisations(ctx, args),
    municipality: (_, { cbsCode }, ctx) => findMunicipality(ctx, cbsCode),
  },
  Mutation: {
    registerOrganisation: async (_, { input }, ctx) => ({ organisation: await registerOrganisation(ctx, input) }),
    addMembership: async (_, { input }, ctx) => ({ membership: await addMembership(ctx, input) }),
    endMembership: async (_, { input }, ctx) => ({ membership: await endMembership(ctx, input) }),
  },
  Organisation: {
    __resolveType: (o) => organisationTypeName(o),
  },
  Municipality: {
    ...organisationFields,
    cbsCode: (o) => o.cbsCode!,
    population: (o) => o.population!,
    memberships: (o, _, ctx) => ctx.loaders.membershipsByMunicipality.load(o.id),
  },
  SharedServiceOrganisation: {
    ...organisationFields,
    memberships: (o, _, ctx) => ctx.loaders.membershipsBySharedServiceOrganisation.load(o.id),
    municipalities: (o, { on }, ctx) => municipalitiesServed(ctx, o.id, on ?? ctx.now.toISOString().slice(0, 10)),
  },
  Vendor: {
    ...organisationFields,
    customers: async (o, _, ctx) => loadExisting(ctx.loaders.organisationById, await ctx.loaders.customerIdsByVendor.load(o.id)),
  },
  Coordinator: {
    ...organisationFields,
  },
  Membership: {
    id: (m) => toGlobalId('Membership', m.id),
    sharedServiceOrganisation: async (m, _, ctx) => (await ctx.loaders.organisationById.load(m.sharedServiceOrganisationId))!,
    municipality: async (m, _, ctx) => (await ctx.loaders.organisationById.load(m.municipalityId))!,
  },
};
