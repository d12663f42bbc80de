import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

/** The closed list of error codes clients may see (api.md, "Errors"). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

/** What domain code throws. `field` names the argument or input field that was wrong. */
export class AppError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badInput = (message: string, field?: string) => new AppError('BAD_USER_INPUT', message, field);
export const notFound = (message: string, field?: string) => new AppError('NOT_FOUND', message, field);

/**
 * Codes Apollo and graphql-js raise themselves before a resolver runs (parse and validation errors,
 * bad variables). They are safe to pass through: the message describes the client's own query.
 */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: 'BAD_USER_INPUT',
  GRAPHQL_VALIDATION_FAILED: 'BAD_USER_INPUT',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_USER_INPUT',
  OPERATION_RESOLUTION_FAILURE: 'BAD_USER_INPUT',
};

export type ErrorLogger = (requestId: string | undefined, error: unknown) => void;

/**
 * The only place errors become what a client sees. Domain errors keep their code and message;
 * anything else is masked, with the request id that finds it in the server log.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  options: { requestId?: string; exposeInternals: boolean; log: ErrorLogger },
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
    };
  }
  const apolloCode = formatted.extensions?.code;
  if (typeof apolloCode === 'string' && apolloCode in CLIENT_ERROR_CODES && !(original instanceof AppError)) {
    const isResolverThrown = original instanceof Error && !(original instanceof GraphQLError);
    if (!isResolverThrown) {
      return {
        message: formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: CLIENT_ERROR_CODES[apolloCode] },
      };
    }
  }
  options.log(options.requestId, original);
  return {
    message: options.exposeInternals && original instanceof Error
      ? `Internal server error: ${original.message}`
      : 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: options.requestId },
  };
}
