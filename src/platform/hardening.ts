import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Config } from '../config';
import { nulCharacterPlugin } from './nul-characters';
import { queryCostPlugin } from './query-cost';
import { queryLimitRules, queryParseOptions } from './query-limits';

type HardeningOptions<TContext extends object> = Pick<
  ApolloServerOptions<TContext>,
  'parseOptions' | 'validationRules' | 'allowBatchedHttpRequests' | 'persistedQueries' | 'hideSchemaDetailsFromClientErrors'
> & { plugins: ApolloServerPlugin<TContext>[] };

/**
 * What src/server.ts hands Apollo to keep one request from costing the server too much or telling
 * a stranger too much. (The rate limit sits in the context function: src/platform/rate-limit.ts.)
 */
export function apolloHardening<TContext extends object>(config: Config): HardeningOptions<TContext> {
  const production = config.nodeEnv === 'production';
  const limits = {
    maxDepth: config.limits.queryDepth,
    maxAliases: config.limits.queryAliases,
    maxDirectives: config.limits.queryDirectives,
    maxTokens: config.limits.queryTokens,
  };
  return {
    parseOptions: queryParseOptions(limits),
    validationRules: queryLimitRules(limits),
    // Apollo's default, stated: a JSON array of operations would multiply every other limit.
    allowBatchedHttpRequests: false,
    // No client here sends query hashes, and automatic persisted queries let anyone fill the
    // server's cache. Off, a persistedQuery extension is refused as PERSISTED_QUERY_NOT_SUPPORTED;
    // on, a hash that did not match its query came back as an error without a code (masked as internal).
    persistedQueries: false,
    // "Did you mean …?" spells out the schema to someone guessing at it; introspection is off there too.
    hideSchemaDetailsFromClientErrors: production,
    plugins: [
      operationTypePlugin<TContext>(),
      nulCharacterPlugin<TContext>(),
      queryCostPlugin<TContext>(config.limits.queryCost),
      ...(production ? [hideSuggestionsPlugin<TContext>()] : []),
    ],
  };
}

/**
 * Operations Apollo would run but cannot answer, refused as the client's mistake rather than left
 * to fail in execution with an error that has no code (which is masked as internal):
 * - a subscription over HTTP: Apollo executes it like a query and the subscription field resolves
 *   to nothing. Subscriptions are served over WebSocket (graphql-ws). Only real HTTP requests are
 *   refused; tests may still execute operations directly.
 * - an operation type the schema lacks (`subscription` before there was a Subscription type):
 *   graphql-js's validation lets it through.
 */
function operationTypePlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, operation, request }) {
          if (!operation) return;
          if (!schema.getRootType(operation.operation)) {
            throw refusal(`This API has no ${operation.operation} operations.`);
          }
          if (operation.operation === 'subscription' && request.http) {
            throw refusal('Subscriptions are served over WebSocket (the graphql-ws protocol), not over HTTP.');
          }
        },
      };
    },
  };
}

function refusal(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

/**
 * Apollo's hideSchemaDetailsFromClientErrors strips suggestions from validation errors only.
 * Errors about variables come later (a wrong enum value in a variable: 'Did you mean the enum
 * value "MUNICIPALITY"?') and would still name parts of the schema, so they are stripped here.
 */
function hideSuggestionsPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({
            ...error,
            message: error.message.replace(/ ?Did you mean .+?\?$/, ''),
          }));
        },
      };
    },
  };
}
