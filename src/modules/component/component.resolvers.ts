import type { InfrastructureResolvers, Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { effectiveStatusesAt } from '../picture';
import { onTypes, ORGANISATION_TYPES } from '../../common/resolver-types';
import { Component } from './component.entity';
import { externalRefOf, findComponent, findComponentByExternalRef, listComponents, listComponentsOf, versionOf } from './component.service';
import { addDependency, registerComponent, removeDependency, retireComponent, updateComponent } from './component.mutations';

const TYPE_BY_KIND = {
  GATEWAY: 'Gateway',
  APPLICATION: 'Application',
  SERVICE: 'Service',
  INFRASTRUCTURE: 'Infrastructure',
} as const;

export function componentTypeName(component: Component) {
  return TYPE_BY_KIND[component.kind];
}

/** The fields every kind of component shares. */
const componentFields: InfrastructureResolvers = {
  id: (c) => toGlobalId('Component', c.id),
  operator: async (c, _, ctx) => (await ctx.loaders.organisationById.load(c.operatorId))!,
  reportedStatus: (c, { asOf }, ctx) => ctx.loaders.reportedStatusAt(asOf ?? ctx.now).load(c.id),
  dependsOn: (c, _, ctx) => ctx.loaders.dependenciesOf.load(c.id),
  dependents: (c, _, ctx) => ctx.loaders.dependentsOf.load(c.id),
  externalRef: (c, _, ctx) => externalRefOf(ctx, c),
};

export const componentResolvers: Resolvers = {
  ...onTypes(ORGANISATION_TYPES, {
    components: (o: { id: string }, args: { first?: number | null; after?: string | null }, ctx: Parameters<typeof listComponentsOf>[0]) =>
      listComponentsOf(ctx, o.id, args),
  }),
  Query: {
    component: (_, { id }, ctx) => findComponent(ctx, id),
    componentByExternalRef: (_, { externalRef, operatorId }, ctx) => findComponentByExternalRef(ctx, externalRef, operatorId),
    components: (_, args, ctx) => listComponents(ctx, args, (ids) => effectiveStatusesAt(ctx, ids, null)),
  },
  Mutation: {
    registerComponent: async (_, { input }, ctx) => ({ component: await registerComponent(ctx, input) }),
    updateComponent: async (_, { input }, ctx) => ({ component: await updateComponent(ctx, input) }),
    addDependency: async (_, { input }, ctx) => ({ dependency: await addDependency(ctx, input) }),
    removeDependency: async (_, { input }, ctx) => ({ dependency: await removeDependency(ctx, input) }),
    retireComponent: async (_, { input }, ctx) => ({ component: await retireComponent(ctx, input) }),
  },
  Component: {
    __resolveType: (c) => componentTypeName(c),
  },
  Gateway: {
    ...componentFields,
    productVendor: (c) => c.productVendor!,
    product: (c) => c.product!,
    internetFacing: (c) => c.internetFacing!,
    version: (c, _, ctx) => versionOf(ctx, c),
  },
  Application: { ...componentFields, version: (c, _, ctx) => versionOf(ctx, c) },
  Infrastructure: { ...componentFields },
  Service: {
    ...componentFields,
    audience: (c) => c.audience!,
    deliveredTo: async (c, _, ctx) => loadExisting(ctx.loaders.organisationById, await ctx.loaders.municipalityIdsByService.load(c.id)),
  },
  Dependency: {
    id: (d) => toGlobalId('Dependency', d.id),
    component: async (d, _, ctx) => (await ctx.loaders.componentById.load(d.componentId))!,
    dependsOn: async (d, _, ctx) => (await ctx.loaders.componentById.load(d.dependsOnId))!,
  },
};
