import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { GraphQLSchema } from 'graphql';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import { DataSource } from 'typeorm';
import { CallerGate, callerOf } from './caller';
import type { Config } from './config';
import { createRequestContext, RequestContext } from './context';
import { formatError, isExpected } from './errors';
import type { Log } from './log';
import { EventBus, startEventBus } from './modules/events';
import { WebhookWorker } from './modules/webhooks';
import { DestinationPolicy } from './platform/outbound-destination';
import { PUBLIC_FIELDS } from './modules/access';
import { createSchema } from './schema';
import { serveSubscriptions } from './websocket';
import type { Admission } from './platform/admission';
import { admissionFor, apolloHardening } from './platform/hardening';
import { requestErrorHandler } from './platform/http-errors';
import { graphqlOverExpress } from './platform/graphql-over-express';
import { HttpListener, openHttpListener } from './platform/http-listener';
import { addGaugeSource } from './platform/metrics';
import { Readiness } from './platform/readiness';
import { requestLogPlugin } from './platform/request-log';
import { serviceUnavailable, serviceUnavailablePlugin } from './platform/service-unavailable';
import { isDatabaseUnavailable } from './db/unavailable';
import { PublicFace } from './web';
import { statusReportRoutes } from './rest/status-reports.route';

/** Logs unexpected errors with the request id, and puts that id on the masked error the client sees. */
function requestIdPlugin(log: Log): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (!isExpected(error)) {
              log.error('request failed', { requestId: contextValue.requestId, operationName, error: error.originalError ?? error });
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
            error.extensions?.code === 'INTERNAL_SERVER_ERROR'
              ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
              : error);
        },
      };
    },
  };
}

export function createApolloServer(options: {
  config: Config; log: Log;
  /** The schema the WebSocket server shares; built here when there is none. */
  schema?: GraphQLSchema;
  plugins?: ApolloServerPlugin<RequestContext>[];
  /** The limits every operation passes (src/platform/admission.ts); the WebSocket server shares them. */
  admission?: Admission;
  /** Counts an admitted operation's cost against its caller's work per minute (src/caller.ts). */
  charge?: (context: RequestContext, cost: number) => Promise<void>;
}): ApolloServer<RequestContext> {
  const exposeInternals = options.config.nodeEnv === 'development';
  // Limits, no schema hints in production: src/platform/hardening.ts.
  const hardening = apolloHardening<RequestContext>(options.config, options.admission ?? admissionFor(options.config, PUBLIC_FIELDS), { callerOf, charge: options.charge });
  return new ApolloServer<RequestContext>({
    schema: options.schema ?? createSchema(),
    introspection: options.config.nodeEnv !== 'production',
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops Apollo itself; two handlers racing left the process hanging.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatError(formatted, error, exposeInternals),
    parseOptions: hardening.parseOptions,
    allowBatchedHttpRequests: hardening.allowBatchedHttpRequests,
    persistedQueries: hardening.persistedQueries,
    hideSchemaDetailsFromClientErrors: hardening.hideSchemaDetailsFromClientErrors,
    plugins: [
      // No field sets a cache hint and responses are per viewer; Apollo's default cache-control
      // plugin would otherwise wrap every field of every answer (a what-if has 200,000).
      ApolloServerPluginCacheControlDisabled(),
      // Apollo would add per-field timings (and error details) to any answer whose request asks for a
      // federation trace; tracing is OpenTelemetry's here, not the gateway's.
      ApolloServerPluginInlineTraceDisabled(),
      // Apollo's landing pages load from CDNs; browsers get GraphiQL from this server (src/web/ide.ts).
      ApolloServerPluginLandingPageDisabled(),
      ...hardening.plugins,
      requestIdPlugin(options.log),
      // PostgreSQL away: 503 with Retry-After. One log line and metrics per request (src/platform/).
      serviceUnavailablePlugin(),
      requestLogPlugin(),
      ...(options.plugins ?? []),
    ],
  });
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Honour a load balancer's request id when it looks like one; otherwise make one. */
function requestIdOf(request: express.Request): string {
  const given = request.header('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface RunningServer {
  url: string;
  port: number;
  /** This instance's change events: subscribers listening, fetches made (tests and diagnostics). */
  events: EventBus;
  /** This instance's webhook delivery worker; null with WEBHOOK_WORKER=off. */
  webhooks: WebhookWorker | null;
  /** The status pages, the IDE and the printed schema (src/web/). */
  web: PublicFace;
  stop(): Promise<void>;
}

/**
 * HTTP → Express → Apollo. `/graphql` serves the API, the public face (src/web/) the pages around it;
 * the probes and `/metrics` are the listener's (src/platform/http-listener.ts). main.ts opens the
 * listener early, so the probes answer while the server starts, and passes it here; without one
 * (tests), one is opened, ready at once.
 */
export async function startHttpServer(
  config: Config, dataSource: DataSource, log: Log,
  options: { listener?: HttpListener } = {},
): Promise<RunningServer> {
  const listener = options.listener ?? await openHttpListener(config, log, new Readiness('ready'));
  const httpServer: http.Server = listener.server;
  // Who is asking and how much, the same over HTTP and WebSocket: src/caller.ts, src/platform/admission.ts.
  const gate = new CallerGate(config, dataSource);
  const admission = admissionFor(config, PUBLIC_FIELDS);
  // Subscriptions: WebSocket on the same port and path; events between instances via LISTEN/NOTIFY.
  const schema = createSchema();
  const events = await startEventBus(dataSource, { embedded: config.databaseUrl === undefined, log });
  // Webhooks: the outbox worker, woken by every batch of change events (src/modules/webhooks).
  const destinations = new DestinationPolicy(config.webhooks);
  const webhooks = config.webhooks.worker
    ? new WebhookWorker({ db: dataSource.manager, policy: destinations, log, timeoutMs: config.webhooks.timeoutMs, concurrency: config.webhooks.concurrency })
    : null;
  const stopWaking = webhooks ? events.watch(() => webhooks.wake()) : () => {};
  webhooks?.start();
  const subscriptions = serveSubscriptions({ httpServer, schema, dataSource, events, gate, admission, config, log, destinations });
  listener.countWebSockets();
  const web = new PublicFace({ config, schema, db: dataSource.manager, events, gate, log });
  const apollo = createApolloServer({
    config, log, schema, admission, charge: gate.chargeOverHttp, plugins: [subscriptions.drainPlugin, ...web.apolloPlugins],
  });
  await apollo.start();
  const stopGauges = addGaugeSource({ pool: poolStatistics(dataSource), subscriptions: () => events.listenerCount });

  listener.app.set('trust proxy', gate.trustsProxy);
  // Rate limits and authentication before the query is parsed (src/caller.ts); the limits of the query after.
  const contextFor = async ({ req, res }: { req: express.Request; res: express.Response }) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const clientAddress = gate.clientAddressOf(req);
    try {
      const viewer = await gate.identifyOverHttp(clientAddress, req.header('authorization'));
      return createRequestContext(dataSource.manager, { requestId, viewer, clientAddress, destinations });
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw serviceUnavailable();
      throw error;
    }
  };
  const pages = express.Router();
  // The vendor's REST way in and its OpenAPI document (src/rest/): the same operations through the same pipeline.
  pages.use('/api/v1', gate.door, express.json({ limit: config.limits.requestBytes }));
  pages.use(statusReportRoutes(apollo, contextFor));
  pages.use('/api/v1', requestErrorHandler({ log, maxBodyBytes: config.limits.requestBytes, requestIdOf }));
  web.mount(pages, apollo);
  listener.servePages(pages);
  const graphql = express.Router();
  graphql.use(
    gate.door,
    express.json({ limit: config.limits.requestBytes }),
    graphqlOverExpress(apollo, contextFor),
  );
  // Body too large, not JSON: a JSON GraphQL error with a 4xx, not Express's HTML page.
  graphql.use(requestErrorHandler({ log, maxBodyBytes: config.limits.requestBytes, requestIdOf }));
  listener.serveGraphQL(graphql);

  return {
    url: listener.url,
    port: listener.port,
    events,
    webhooks,
    web,
    async stop() {
      // Requests in flight finish and keep-alive connections close first; then the live pages, the
      // WebSockets (Apollo's drain closes them, graphql-ws says "going away") and the event bus.
      await listener.drain(config.operations.shutdownTimeoutSeconds * 1000);
      web.stop();
      await apollo.stop();
      // Attempts in flight finish (each within WEBHOOK_TIMEOUT_MS) and are recorded; the rest wait in the outbox.
      stopWaking();
      await webhooks?.stop();
      await events.stop();
      await gate.close();
      stopGauges();
      await listener.close();
    },
  };
}

/** The request pool's state for /metrics (pg-pool's counters, read at scrape time). */
function poolStatistics(dataSource: DataSource) {
  const pool = () => (dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number; options: { max: number } } }).master;
  return () => {
    const current = pool();
    return { total: current?.totalCount ?? 0, idle: current?.idleCount ?? 0, waiting: current?.waitingCount ?? 0, max: current?.options.max ?? 0 };
  };
}
