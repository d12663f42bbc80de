import { HeaderMap } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { RETRY_AFTER_SECONDS } from '../db/unavailable';
import { countDatabaseUnavailable } from './metrics';

/** The body of a 503 that did not reach Apollo (still starting), in the API's own error format. */
export function unavailableBody(message: string) {
  return { errors: [{ message, extensions: { code: 'SERVICE_UNAVAILABLE' } }] };
}

/** Thrown where Apollo keeps a GraphQLError's HTTP status (the context function): 503 with Retry-After. */
export function serviceUnavailable(message = 'The database is unavailable; try again shortly.'): GraphQLError {
  countDatabaseUnavailable();
  return new GraphQLError(message, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      http: { status: 503, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
    },
  });
}

/**
 * A response with a SERVICE_UNAVAILABLE error (src/errors.ts gives it to database errors that say
 * PostgreSQL is away or too slow, not that we have a bug) goes out as HTTP 503 with Retry-After,
 * so clients and proxies retry it, instead of 200 or 500.
 */
export function serviceUnavailablePlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          if (!response.body.singleResult.errors?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          countDatabaseUnavailable();
          response.http.status = 503;
          response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}
