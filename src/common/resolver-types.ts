import type { Resolvers } from '../generated/graphql';

/** The concrete GraphQL types of the `Component` interface. */
export const COMPONENT_TYPES = ['Gateway', 'Application', 'Service', 'Infrastructure'] as const;
/** The concrete GraphQL types of the `Organisation` interface. */
export const ORGANISATION_TYPES = ['Municipality', 'SharedServiceOrganisation', 'Vendor', 'Coordinator'] as const;

/**
 * The same field resolvers on several types: a field of an interface is answered by the module that
 * owns what it returns (a component's incidents by the incident module), on every type implementing it.
 */
export function onTypes<F>(types: readonly string[], fields: F): Resolvers {
  return Object.fromEntries(types.map((type) => [type, fields])) as Resolvers;
}
