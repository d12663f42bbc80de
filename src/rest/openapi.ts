/**
 * The OpenAPI 3.1 description of the REST way in (src/rest/status-reports.route.ts), served at
 * GET /openapi.json. The request bodies are the GraphQL inputs (schema/status.graphql) as JSON; the
 * answers are the GraphQL payloads. test/integration/vendor-rest.test.ts validates it against the
 * OpenAPI 3.1 schema and checks the inputs' fields against the GraphQL schema.
 */
const STATUS = ['OPERATIONAL', 'DEGRADED_PERFORMANCE', 'PARTIAL_OUTAGE', 'MAJOR_OUTAGE', 'UNDER_MAINTENANCE', 'UNKNOWN'];
const CAUSE = ['PRECAUTIONARY_SHUTDOWN', 'FAILURE', 'MAINTENANCE', 'COMPROMISE', 'DEPENDENCY'];
const nullable = (schema: Record<string, unknown>) => ({ oneOf: [schema, { type: 'null' }] });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'ketenbeeld status reports',
    version: '1.0.0',
    description: 'Status reports from a vendor\'s or operator\'s integration. Each call runs the GraphQL mutation of the same name '
      + '(reportStatus, reportStatuses) with the same authentication, limits, idempotency and audit; see docs/vendor-api.md.',
  },
  servers: [{ url: '/' }],
  security: [{ bearerToken: [] }],
  paths: {
    '/api/v1/status-reports': {
      post: {
        operationId: 'reportStatus',
        summary: 'Report the status of one component (GraphQL reportStatus).',
        requestBody: { required: true, content: { 'application/json': { schema: ref('ReportStatusInput') } } },
        responses: {
          200: { description: 'Stored (or replayed: the first result of the same idempotencyKey).', content: { 'application/json': { schema: ref('ReportStatusPayload') } } },
          400: errorResponse('BAD_USER_INPUT: the input is wrong (`field` names it).'),
          401: errorResponse('UNAUTHENTICATED: no valid bearer token.'),
          403: errorResponse('FORBIDDEN: not the component\'s operator.'),
          404: errorResponse('NOT_FOUND: no such component (or externalRef among your components).'),
          409: errorResponse('CONFLICT: the idempotencyKey was used for a different report.'),
          429: errorResponse('RATE_LIMITED: see Retry-After.'),
          503: errorResponse('SERVICE_UNAVAILABLE: try again after Retry-After.'),
        },
      },
    },
    '/api/v1/status-reports/batch': {
      post: {
        operationId: 'reportStatuses',
        summary: 'Report up to 500 statuses at once, each on its own (GraphQL reportStatuses).',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['reports'], additionalProperties: false, properties: { reports: { type: 'array', minItems: 1, maxItems: 500, items: ref('ReportStatusInput') } } } } },
        },
        responses: {
          200: { description: 'One result per report, in order: ACCEPTED, REPLAYED or REFUSED (with its error).', content: { 'application/json': { schema: ref('ReportStatusesPayload') } } },
          400: errorResponse('BAD_USER_INPUT: no reports, more than 500, or a report that is not a ReportStatusInput.'),
          401: errorResponse('UNAUTHENTICATED'),
          429: errorResponse('RATE_LIMITED: every report counts against the limits.'),
          503: errorResponse('SERVICE_UNAVAILABLE'),
        },
      },
    },
  },
  components: {
    securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'A ketenbeeld access token (OPERATOR or VENDOR role).' } },
    schemas: {
      ReportStatusInput: {
        type: 'object',
        description: 'Exactly one of componentId and externalRef.',
        required: ['status'],
        additionalProperties: false,
        properties: {
          componentId: { type: 'string', description: 'The component\'s id (a GraphQL ID).' },
          externalRef: { type: 'string', maxLength: 200, description: 'Your own name for the component (Component.externalRef).' },
          status: { type: 'string', enum: STATUS.filter((s) => s !== 'UNKNOWN') },
          cause: { type: 'string', enum: CAUSE, description: 'Required for every status but OPERATIONAL.' },
          observedAt: { type: 'string', format: 'date-time', description: 'Default now; at most five minutes ahead.' },
          source: { type: 'string', maxLength: 2000 },
          note: { type: 'string', maxLength: 2000 },
          reportedBy: { type: 'string', maxLength: 200 },
          idempotencyKey: { type: 'string', maxLength: 200, description: 'The same key from your organisation returns the first result and changes nothing.' },
        },
      },
      StatusReport: {
        type: 'object',
        required: ['id', 'status', 'observedAt', 'recordedAt', 'component'],
        properties: {
          id: { type: 'string' },
          status: { type: 'string', enum: STATUS },
          cause: nullable({ type: 'string', enum: CAUSE }),
          observedAt: { type: 'string', format: 'date-time' },
          recordedAt: { type: 'string', format: 'date-time' },
          source: nullable({ type: 'string' }),
          reportedBy: nullable({ type: 'string' }),
          note: nullable({ type: 'string' }),
          component: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        },
      },
      EffectiveStatus: {
        type: 'object',
        required: ['status', 'stale'],
        properties: {
          status: { type: 'string', enum: STATUS },
          cause: nullable({ type: 'string', enum: CAUSE }),
          since: nullable({ type: 'string', format: 'date-time' }),
          stale: { type: 'boolean' },
        },
      },
      ReportStatusPayload: {
        type: 'object',
        required: ['statusReport', 'replayed', 'current', 'effectiveStatus'],
        properties: {
          statusReport: ref('StatusReport'),
          replayed: { type: 'boolean' },
          current: { type: 'boolean', description: 'False when a newer observation was already known.' },
          effectiveStatus: ref('EffectiveStatus'),
        },
      },
      ReportStatusesPayload: {
        type: 'object',
        required: ['accepted', 'replayed', 'refused', 'results'],
        properties: {
          accepted: { type: 'integer' },
          replayed: { type: 'integer' },
          refused: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'outcome'],
              properties: {
                index: { type: 'integer' },
                outcome: { type: 'string', enum: ['ACCEPTED', 'REPLAYED', 'REFUSED'] },
                idempotencyKey: nullable({ type: 'string' }),
                current: nullable({ type: 'boolean' }),
                statusReport: nullable(ref('StatusReport')),
                effectiveStatus: nullable(ref('EffectiveStatus')),
                error: nullable({
                  type: 'object', required: ['code', 'message'],
                  properties: { code: { type: 'string' }, field: nullable({ type: 'string' }), message: { type: 'string' } },
                }),
              },
            },
          },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object', required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, field: nullable({ type: 'string' }), requestId: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;
