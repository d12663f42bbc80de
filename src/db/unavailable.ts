/**
 * Errors that say "PostgreSQL cannot be reached or did not answer in time", as opposed to a bug:
 * the request may succeed if sent again a little later, so the client gets 503 with Retry-After
 * rather than a masked internal error.
 */

/** Socket errors of the connection to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SQLSTATEs: class 08 (connection exception); the server shutting down or starting up (57P01–57P03);
 * too many connections (53300); a statement cancelled by statement_timeout (57014) or a lock not
 * granted in time (55P03): the database is too busy for this request now.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03']);

/** node-postgres and pg-pool say these in words only. */
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated due to connection timeout',
];

/**
 * TypeORM's, when the server ended a connection in the middle of a transaction: the query runner
 * released it, and the transaction's next statement finds it gone.
 */
const RELEASED = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

export class DatabaseBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseBusyError';
  }
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof DatabaseBusyError || RELEASED.has(current.name)) return true;
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))) return true;
    if (MESSAGES.some((message) => current instanceof Error && current.message.startsWith(message))) return true;
    // TypeORM's QueryFailedError keeps pg's error as driverError, a GraphQLError as originalError.
    const wrapper = current as { driverError?: unknown; originalError?: unknown; cause?: unknown };
    current = wrapper.driverError ?? wrapper.originalError ?? wrapper.cause;
  }
  return false;
}

/** What a client is told to wait before trying again. */
export const RETRY_AFTER_SECONDS = 5;
