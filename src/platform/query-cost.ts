import type { ApolloServerPlugin } from '@apollo/server';
import { getNullableType, GraphQLError, isListType } from 'graphql';
import { ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../common/pagination';

/**
 * What a list without a `first` argument (a municipality's services, a component's dependencies,
 * a root-cause path) is assumed to hold. Real lists here are a handful to a few dozen items; ten
 * keeps a dashboard far below the limit while nesting such lists multiplies quickly.
 */
export const ASSUMED_LIST_SIZE = 10;

/**
 * The cost of a field: 1, plus what is selected under it, times the number of items it can return.
 *
 * - A paged field (`first`) returns at most `first` items. A connection is costed as
 *   `first` × everything selected under it (edges, totalCount, pageInfo): a slight overestimate
 *   that keeps the rule to one line. `edges` itself is not multiplied again.
 *   `first` is capped at the page size the API accepts (larger ones are refused by the resolver
 *   with a message naming `first`, which is more useful than "too costly"); a missing or null
 *   `first` counts as a full page.
 * - Any other list is assumed to hold ASSUMED_LIST_SIZE items.
 * - Introspection (`__schema`, `__type`, `__typename`) is free: it reads no data, and the
 *   introspection query of a client or code generator must not be refused.
 */
export const estimateFieldCost: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.name.startsWith('__')) return 0;
  if (field.args.some((argument) => argument.name === 'first')) {
    const first: unknown = args.first;
    const items = typeof first === 'number' ? Math.min(Math.max(first, 0), MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
    return 1 + items * childComplexity;
  }
  const isConnectionEdges = field.name === 'edges' && type.name.endsWith('Connection');
  if (isListType(getNullableType(field.type)) && !isConnectionEdges) {
    return 1 + ASSUMED_LIST_SIZE * childComplexity;
  }
  return 1 + childComplexity;
};

/** The estimated cost of one operation of a document, with its variables. */
export function queryCost(options: Omit<Parameters<typeof getComplexity>[0], 'estimators'>): number {
  return getComplexity({ ...options, estimators: [estimateFieldCost] });
}

/**
 * Refuses an operation whose estimated cost is above `maxCost` before it runs.
 *
 * A plugin rather than a validation rule because `first` is often a variable, and validation runs
 * once per distinct document (Apollo caches it) without the variables. `didResolveOperation` runs
 * for every request, after validation, with the variables.
 */
export function queryCostPlugin<TContext extends object>(maxCost: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          // No operation to run (several and none named): execution refuses it with a clear message.
          if (!operation) return;
          let cost: number;
          try {
            cost = queryCost({ schema, query: document, variables: request.variables ?? {}, operationName: operation.name?.value });
          } catch (error) {
            // Variables of the wrong type, or more selections than the library will walk:
            // the client's own mistake, described in graphql-js's words.
            if (error instanceof GraphQLError) throw refusal(error.message);
            throw error;
          }
          if (cost > maxCost) {
            throw refusal(`Query cost limit of ${maxCost} exceeded, estimated ${cost}. Ask for smaller pages (first) or fewer nested lists.`);
          }
        },
      };
    },
  };
}

function refusal(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}
