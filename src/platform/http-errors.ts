import type { ErrorRequestHandler, Request } from 'express';
import type { Log } from '../log';

/**
 * Errors raised before a request reaches Apollo: by express.json (a body over the size limit, a body
 * that is not JSON, an unknown charset or content encoding). Express's own handler answers those
 * with an HTML page, and outside production with a stack trace. This answers them the way the API
 * answers everything else: JSON, a GraphQL error with a code from the closed list, a 4xx status.
 */
export function requestErrorHandler(options: { log: Log; maxBodyBytes: number; requestIdOf: (request: Request) => string }): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const requestId = requestIdOf(response.getHeader('x-request-id')) ?? options.requestIdOf(request);
    response.setHeader('x-request-id', requestId);
    const status = clientErrorStatus(error);
    if (status !== null) {
      response.status(status).json({ errors: [{ message: clientMessage(error, options.maxBodyBytes), extensions: { code: 'BAD_USER_INPUT' } }] });
      return;
    }
    options.log.error('request failed before GraphQL', { requestId, error });
    response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
  };
}

/** body-parser's errors (the http-errors package) carry a 4xx `status` and a `type`. */
interface HttpError {
  status: number;
  type?: string;
}

function isHttpError(error: unknown): error is HttpError {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number';
}

function clientErrorStatus(error: unknown): number | null {
  return isHttpError(error) && error.status >= 400 && error.status < 500 ? error.status : null;
}

/** Fixed messages: the library's own can quote the body back (JSON.parse does). */
function clientMessage(error: unknown, maxBodyBytes: number): string {
  switch (isHttpError(error) ? error.type : undefined) {
    case 'entity.too.large':
      return `The request body is larger than the limit of ${maxBodyBytes} bytes.`;
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'charset.unsupported':
      return 'The request body’s charset is not supported: send UTF-8.';
    case 'encoding.unsupported':
      return 'The request body’s content encoding is not supported.';
    case 'request.aborted':
      return 'The request was aborted before its body was read.';
    default:
      return 'The request could not be read.';
  }
}

function requestIdOf(header: unknown): string | null {
  return typeof header === 'string' ? header : null;
}
