import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import type express from 'express';
import type { RequestContext } from '../context';
import type { Log } from '../log';
import { countErrors, observeRequest } from './metrics';

/** What one HTTP request to /graphql did, gathered on its way through Express and Apollo. */
interface RequestRecord {
  startedAt: bigint;
  operationName?: string;
  operationType?: string;
  organisationId?: string;
  role?: string;
  /** OK, or the first error's extensions.code; set by Apollo's part, else read from the status. */
  outcome?: string;
}

const RECORD = 'ketenbeeldRequestRecord';
/** Apollo hands plugins the HTTPGraphQLRequest we built (graphql-over-express.ts): the link back. */
const byGraphQLRequest = new WeakMap<object, RequestRecord>();

/**
 * One log line and one latency observation per HTTP request to /graphql: request id, operation
 * name and type, the caller's organisation and role (never the token), status, outcome, duration.
 * Written when the response has been sent (or the client went away), so refusals before Apollo
 * (rate limit, a bad token, an unreadable body) get their line too.
 */
export function logRequests(log: Log): express.RequestHandler {
  return (_req, res, next) => {
    const record: RequestRecord = { startedAt: process.hrtime.bigint() };
    res.locals[RECORD] = record;
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    let written = false;
    const write = (finished: boolean) => {
      if (written) return;
      written = true;
      const seconds = Number(process.hrtime.bigint() - record.startedAt) / 1e9;
      const outcome = finished ? record.outcome ?? outcomeOfStatus(res.statusCode) : 'CLIENT_CLOSED';
      const operation = operationLabel(record.operationName);
      const type = record.operationType ?? 'none';
      observeRequest(operation, type, outcome, seconds);
      if (!record.outcome && outcome !== 'OK' && outcome !== 'CLIENT_CLOSED') countErrors([outcome]);
      log.info('request', {
        requestId: res.getHeader('x-request-id'),
        operationName: record.operationName ?? null,
        operationType: record.operationType ?? null,
        organisationId: record.organisationId ?? null,
        role: record.role ?? null,
        status: res.statusCode,
        outcome,
        ms: Math.round(seconds * 10_000) / 10,
        ...(traceId ? { traceId } : {}),
      });
    };
    res.once('finish', () => write(true));
    res.once('close', () => write(res.writableFinished));
    next();
  };
}

/** Called by the handler that hands the request to Apollo, so the plugin below finds the record. */
export function linkGraphQLRequest(graphQLRequest: object, res: express.Response): void {
  const record = res.locals[RECORD] as RequestRecord | undefined;
  if (record) byGraphQLRequest.set(graphQLRequest, record);
}

/** Apollo's part of the record: which operation ran, for whom, and the first error code. */
export function requestLogPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request }) {
      const record = request.http ? byGraphQLRequest.get(request.http) : undefined;
      if (!record) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          record.operationName = operationName ?? undefined;
          record.operationType = operation?.operation;
        },
        async willSendResponse({ response, contextValue }) {
          const viewer = contextValue.viewer;
          if (viewer?.kind === 'organisation') {
            record.organisationId = viewer.organisationId;
            record.role = viewer.role;
          } else if (viewer) {
            record.role = 'PUBLIC';
          }
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors ?? [] : [];
          const codes = errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          countErrors(codes);
          record.outcome = codes[0] ?? 'OK';
        },
      };
    },
  };
}

/** Refusals that never reached Apollo's plugins: the status says what they were. */
function outcomeOfStatus(status: number): string {
  if (status < 400) return 'OK';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  if (status < 500) return 'BAD_USER_INPUT';
  return 'INTERNAL_SERVER_ERROR';
}

/**
 * Operation names come from clients: a label per name would let one client grow the metrics
 * without bound. Names that look like names are kept, up to a number of distinct ones.
 */
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_OPERATION_LABELS = 200;
const operationLabels = new Set<string>();

function operationLabel(name: string | undefined): string {
  if (!name) return 'anonymous';
  if (!OPERATION_NAME.test(name)) return 'invalid';
  if (operationLabels.has(name)) return name;
  if (operationLabels.size >= MAX_OPERATION_LABELS) return 'other';
  operationLabels.add(name);
  return name;
}
