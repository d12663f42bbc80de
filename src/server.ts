import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import { DataSource } from 'typeorm';
import type { Config } from './config';
import { createRequestContext, RequestContext } from './context';
import { AppError, formatError, isExpected } from './errors';
import { Authenticator } from './modules/access';
import type { Log } from './log';
import { EventBus, startEventBus } from './modules/events';
import { createSchema } from './schema';
import { serveSubscriptions } from './websocket';
import { apolloHardening } from './platform/hardening';
import { requestErrorHandler } from './platform/http-errors';
import { rateLimited, RateLimiter } from './platform/rate-limit';
import { graphqlOverExpress } from './platform/graphql-over-express';
import { HttpListener, openHttpListener } from './platform/http-listener';
import { addGaugeSource } from './platform/metrics';
import { Readiness } from './platform/readiness';
import { requestLogPlugin } from './platform/request-log';
import { serviceUnavailable, serviceUnavailablePlugin } from './platform/service-unavailable';
import { isDatabaseUnavailable } from './db/unavailable';

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
}): ApolloServer<RequestContext> {
  const exposeInternals = options.config.nodeEnv === 'development';
  // Limits, rate limit, no schema hints in production: src/platform/hardening.ts.
  const hardening = apolloHardening<RequestContext>(options.config);
  return new ApolloServer<RequestContext>({
    schema: options.schema ?? createSchema(),
    introspection: options.config.nodeEnv !== 'production',
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops Apollo itself; two handlers racing left the process hanging.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatError(formatted, error, exposeInternals),
    parseOptions: hardening.parseOptions,
    validationRules: hardening.validationRules,
    allowBatchedHttpRequests: hardening.allowBatchedHttpRequests,
    persistedQueries: hardening.persistedQueries,
    hideSchemaDetailsFromClientErrors: hardening.hideSchemaDetailsFromClientErrors,
    plugins: [
      // No field sets a cache hint and responses are per viewer; Apollo's default cache-control
      // plugin would otherwise wrap every field of every answer (a what-if has 200,000).
      ApolloServerPluginCacheControlDisabled(),
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
  stop(): Promise<void>;
}

/**
 * HTTP → Express → Apollo. `/graphql` serves the API; the probes and `/metrics` are the listener's
 * (src/platform/http-listener.ts). main.ts opens the listener early, so the probes answer while the
 * server starts, and passes it here; without one (tests), one is opened, ready at once.
 */
export async function startHttpServer(
  config: Config, dataSource: DataSource, log: Log,
  options: { listener?: HttpListener } = {},
): Promise<RunningServer> {
  const listener = options.listener ?? await openHttpListener(config, log, new Readiness('ready'));
  const httpServer: http.Server = listener.server;
  const authenticator = new Authenticator(config.jwt);
  const limiter = new RateLimiter({ perMinute: config.limits.rateLimitPerMinute, burst: config.limits.rateLimitBurst });
  // Subscriptions: WebSocket on the same port and path; events between instances via LISTEN/NOTIFY.
  const schema = createSchema();
  const events = await startEventBus(dataSource, { embedded: config.databaseUrl === undefined, log });
  const subscriptions = serveSubscriptions({ httpServer, schema, dataSource, events, authenticator, limiter, config, log });
  listener.countWebSockets();
  const apollo = createApolloServer({ config, log, schema, plugins: [subscriptions.drainPlugin] });
  await apollo.start();
  const stopGauges = addGaugeSource({ pool: poolStatistics(dataSource), subscriptions: () => events.listenerCount });

  const graphql = express.Router();
  graphql.use(
    express.json({ limit: config.limits.requestBytes }),
    graphqlOverExpress(apollo,
      // A caller over its rate gets 429 before its query is parsed (src/platform/rate-limit.ts).
      rateLimited(limiter, async ({ req, res }) => {
        const requestId = requestIdOf(req);
        res.setHeader('x-request-id', requestId);
        let viewer;
        try {
          viewer = await authenticator.viewerFor(dataSource.manager, req.header('authorization'), new Date());
        } catch (error) {
          // A token that is present but unusable is a 401, never a silent fall-back to the public.
          if (error instanceof AppError) {
            throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
          }
          if (isDatabaseUnavailable(error)) throw serviceUnavailable();
          throw error;
        }
        return createRequestContext(dataSource.manager, { requestId, viewer, clientAddress: req.socket.remoteAddress ?? 'unknown' });
      }),
    ),
  );
  // Body too large, not JSON: a JSON GraphQL error with a 4xx, not Express's HTML page.
  graphql.use(requestErrorHandler({ log, maxBodyBytes: config.limits.requestBytes, requestIdOf }));
  listener.serveGraphQL(graphql);

  return {
    url: listener.url,
    port: listener.port,
    events,
    async stop() {
      // Requests in flight finish and keep-alive connections close first; then the WebSockets
      // (Apollo's drain closes them, graphql-ws says "going away") and the event bus.
      await listener.drain(config.operations.shutdownTimeoutSeconds * 1000);
      await apollo.stop();
      await events.stop();
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
