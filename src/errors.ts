import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable } from './db/unavailable';

/** The closed list of error codes clients may see (api.md, "Errors"). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  /** PostgreSQL is away or too busy: HTTP 503 with Retry-After (src/platform/service-unavailable.ts). */
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/**
 * What domain code throws. `field` names the argument or input field that was wrong; `details` are
 * further extensions a client can act on (a CSAF document's problems by JSON path).
 */
export class AppError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badInput = (message: string, field?: string) => new AppError('BAD_USER_INPUT', message, field);
export const notFound = (message: string, field?: string) => new AppError('NOT_FOUND', message, field);

/** The access layer's refusal (AccessScope.denied): what a reader may not see, as opposed to a failure. */
export const isRefusal = (error: unknown): boolean => error instanceof AppError && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED');

/**
 * Codes that graphql-js and Apollo give errors about the request itself (syntax, validation,
 * variables). Their messages describe the client's own query, so they are safe to show.
 */
function requestErrorCode(apolloCode: unknown): ErrorCode | null {
  switch (apolloCode) {
    case 'GRAPHQL_PARSE_FAILED':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'BAD_USER_INPUT':
    case 'BAD_REQUEST':
    case 'PERSISTED_QUERY_NOT_FOUND':
    case 'PERSISTED_QUERY_NOT_SUPPORTED':
    case 'OPERATION_RESOLUTION_FAILURE':
      return 'BAD_USER_INPUT';
    // Raised before resolvers run, by the request's own context (src/server.ts).
    case 'UNAUTHENTICATED':
      return 'UNAUTHENTICATED';
    // Raised before parsing by the rate limit (src/platform/rate-limit.ts).
    case 'RATE_LIMITED':
      return 'RATE_LIMITED';
    // Raised by the context function when the token check cannot reach the database.
    case 'SERVICE_UNAVAILABLE':
      return 'SERVICE_UNAVAILABLE';
    default:
      return null;
  }
}

/**
 * True for errors the client caused or was meant to see, and for PostgreSQL being away (logged where
 * the query failed, not as a bug); false for bugs of ours.
 */
export function isExpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof AppError || isDatabaseUnavailable(original)) return true;
  if (original instanceof GraphQLError) return requestErrorCode(original.extensions?.code) !== null;
  return false;
}

/**
 * The only place errors become what a client sees. Domain errors keep their code, message and
 * field; request errors pass; anything else is masked (the request id is added on the way out).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, exposeInternals: boolean): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };
  if (original instanceof AppError) {
    return {
      ...base, message: original.message,
      extensions: { ...original.details, code: original.code, ...(original.field ? { field: original.field } : {}) },
    };
  }
  const requestCode = original instanceof GraphQLError || !(original instanceof Error)
    ? requestErrorCode(formatted.extensions?.code)
    : null;
  if (requestCode) return { ...base, message: formatted.message, extensions: { code: requestCode } };
  if (isDatabaseUnavailable(original)) {
    return { ...base, message: 'The database is unavailable; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  const detail = exposeInternals && original instanceof Error ? `: ${original.message}` : '';
  return { ...base, message: `Internal server error${detail}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
