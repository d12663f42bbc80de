import type { RequestContext } from './context';
import { badInput } from './errors';
import { loadNode, NodeModel } from './node.resolvers';
import { componentTypeName } from './modules/component/component.resolvers';
import { organisationTypeName } from './modules/organisation/organisation.resolvers';
import { Component } from './modules/component/component.entity';
import { checkCbsCode, Organisation } from './modules/organisation';
import { GlobalIdType, idOf } from './common/global-id';

/** What a gateway sends for an entity a partner's graph refers to: its type and its key fields. */
interface Representation {
  __typename: string;
  id?: unknown;
  cbsCode?: unknown;
}

/** @apollo/subgraph calls it with the representation and the request's context. */
type ResolveReference = (reference: Representation, ctx: RequestContext) => Promise<unknown>;

/**
 * An entity by its global id, through the same guarded loaders as `node(id:)`: an entity the caller
 * may not read is refused exactly as `node(id:)` refuses it (FORBIDDEN, UNAUTHENTICATED for the
 * public), a malformed id or one of another type is BAD_USER_INPUT. An id that names nothing, or an
 * entity of another kind than asked for (a vendor's id as a Municipality), is null: in a federated
 * answer the partner's field then has nothing to join, rather than failing the whole answer.
 */
function byGlobalId(type: GlobalIdType, isAsked: (node: NodeModel) => boolean): ResolveReference {
  return async (reference, ctx) => {
    if (typeof reference.id !== 'string') throw badInput(`${reference.__typename} is referred to by its id`, 'id');
    const node = await loadNode(ctx, type, idOf(type, reference.id));
    return node && isAsked(node) ? node : null;
  };
}

const organisation = (typeName?: string) =>
  byGlobalId('Organisation', (node) => node instanceof Organisation && (!typeName || organisationTypeName(node) === typeName));
const component = (typeName?: string) =>
  byGlobalId('Component', (node) => node instanceof Component && (!typeName || componentTypeName(node) === typeName));

/**
 * `__resolveReference` of every entity (`@key` in schema/*.graphql), for the `_entities` field that
 * @apollo/subgraph adds. A municipality is also known by its CBS code, as `municipality(cbsCode:)`
 * finds it (public, like the root field).
 */
export const federationResolvers: Record<string, { __resolveReference: ResolveReference }> = {
  Organisation: { __resolveReference: organisation() },
  Municipality: {
    __resolveReference: async (reference, ctx) => {
      if (typeof reference.cbsCode !== 'string') return organisation('Municipality')(reference, ctx);
      return ctx.loaders.organisationByCbsCode.load(checkCbsCode(reference.cbsCode));
    },
  },
  SharedServiceOrganisation: { __resolveReference: organisation('SharedServiceOrganisation') },
  Vendor: { __resolveReference: organisation('Vendor') },
  Coordinator: { __resolveReference: organisation('Coordinator') },
  Component: { __resolveReference: component() },
  Gateway: { __resolveReference: component('Gateway') },
  Application: { __resolveReference: component('Application') },
  Service: { __resolveReference: component('Service') },
  Infrastructure: { __resolveReference: component('Infrastructure') },
  Incident: { __resolveReference: byGlobalId('Incident', () => true) },
  Advisory: { __resolveReference: byGlobalId('Advisory', () => true) },
};
