import { HeaderMap } from '@apollo/server';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import express from 'express';
import type { RequestContext } from '../context';
import { OPENAPI_DOCUMENT } from './openapi';

/**
 * The vendor's REST way in (issue 17): POST /api/v1/status-reports and /api/v1/status-reports/batch.
 * Each request is turned into the one GraphQL operation it stands for and run through Apollo's HTTP
 * pipeline with the same context (authentication), admission (limits and cost, charged against the
 * caller's work per minute), audit and errors as POST /graphql: there is no second code path, only a
 * different envelope. The operations are fixed here; the body is their `input`.
 */
export const REST_OPERATIONS = {
  single: {
    operationName: 'RestReportStatus',
    query: `mutation RestReportStatus($input: ReportStatusInput!) { reportStatus(input: $input) {
      statusReport { id status cause observedAt recordedAt source reportedBy note component { id } }
      replayed current effectiveStatus { status cause since stale } } }`,
    field: 'reportStatus',
  },
  batch: {
    operationName: 'RestReportStatuses',
    query: `mutation RestReportStatuses($input: ReportStatusesInput!) { reportStatuses(input: $input) {
      accepted replayed refused
      results { index outcome idempotencyKey current
        statusReport { id status cause observedAt recordedAt source reportedBy note component { id } }
        effectiveStatus { status cause since stale }
        error { code field message } } } }`,
    field: 'reportStatuses',
  },
} as const;

/** GraphQL error codes as HTTP statuses, for a client that reads only the status line. */
const HTTP_STATUS_OF: Readonly<Record<string, number>> = {
  BAD_USER_INPUT: 400, GRAPHQL_VALIDATION_FAILED: 400, GRAPHQL_PARSE_FAILED: 400, BAD_REQUEST: 400,
  UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503,
};

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; field?: string; [key: string]: unknown } }[];
}

export function statusReportRoutes(
  apollo: ApolloServer<RequestContext>,
  contextFor: (http: { req: express.Request; res: express.Response }) => Promise<RequestContext>,
): express.Router {
  const router = express.Router();
  const run = (operation: (typeof REST_OPERATIONS)[keyof typeof REST_OPERATIONS]): express.RequestHandler => async (req, res) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    headers.set('content-type', 'application/json');
    const request: HTTPGraphQLRequest = {
      method: 'POST',
      headers,
      search: '',
      body: { query: operation.query, operationName: operation.operationName, variables: { input: req.body ?? null } },
    };
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: () => contextFor({ req, res }) });
    for (const [name, value] of response.headers) if (name !== 'content-type' && name !== 'content-length') res.setHeader(name, value);
    if (response.body.kind !== 'complete') throw new Error('A REST operation answered incrementally');
    const answer = JSON.parse(response.body.string) as GraphQLAnswer;
    const error = answer.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
      res.status(HTTP_STATUS_OF[code] ?? (response.status && response.status >= 400 ? response.status : 500)).json({
        error: { code, message: error.message, field: error.extensions?.field ?? null, requestId: error.extensions?.requestId ?? undefined },
      });
      return;
    }
    res.status(200).json(answer.data?.[operation.field] ?? null);
  };
  router.post('/api/v1/status-reports', run(REST_OPERATIONS.single));
  router.post('/api/v1/status-reports/batch', run(REST_OPERATIONS.batch));
  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(OPENAPI_DOCUMENT);
  });
  return router;
}
