import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { Config } from '../config';
import { Admission, admissionPlugin, Caller } from './admission';

type HardeningOptions<TContext extends object> = Pick<
  ApolloServerOptions<TContext>,
  'parseOptions' | 'allowBatchedHttpRequests' | 'persistedQueries' | 'hideSchemaDetailsFromClientErrors'
> & { plugins: ApolloServerPlugin<TContext>[] };

/** The limits of one operation, from the configuration; one instance serves HTTP and WebSocket. */
export function admissionFor(config: Config, publicFields?: Readonly<Record<string, readonly string[]>>): Admission {
  const { limits } = config;
  return new Admission({
    maxDepth: limits.queryDepth,
    maxAliases: limits.queryAliases,
    maxDirectives: limits.queryDirectives,
    maxTokens: limits.queryTokens,
    maxCost: limits.queryCost,
    maxPublicCost: limits.queryCostPublic,
  }, { hideSuggestions: config.nodeEnv === 'production', serviceSdl: config.nodeEnv !== 'production', publicFields });
}

/**
 * What src/server.ts hands Apollo to keep one request from costing the server too much or telling
 * a stranger too much. The limits themselves are the admission's (src/platform/admission.ts), shared
 * with the WebSocket server; the rate limit comes before, with the caller (src/platform/rate-limit.ts).
 */
export function apolloHardening<TContext extends object>(
  config: Config,
  admission: Admission,
  how: { callerOf: (context: TContext) => Caller; charge?: (context: TContext, cost: number) => Promise<void> },
): HardeningOptions<TContext> {
  const production = config.nodeEnv === 'production';
  return {
    parseOptions: admission.parseOptions,
    // Apollo's default, stated: a JSON array of operations would multiply every other limit.
    allowBatchedHttpRequests: false,
    // No client here sends query hashes, and automatic persisted queries let anyone fill the
    // server's cache. Off, a persistedQuery extension is refused as PERSISTED_QUERY_NOT_SUPPORTED;
    // on, a hash that did not match its query came back as an error without a code (masked as internal).
    persistedQueries: false,
    // "Did you mean …?" spells out the schema to someone guessing at it; introspection is off there too.
    hideSchemaDetailsFromClientErrors: production,
    plugins: [
      admissionPlugin<TContext>(admission, how),
      ...(production ? [hideSuggestionsPlugin<TContext>()] : []),
    ],
  };
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
