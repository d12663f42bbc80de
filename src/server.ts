import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import cors from 'cors';
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
import { PublicFace } from './web';

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
  config: Config; log: Log; httpServer?: http.Server;
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
      // Apollo's landing pages load from CDNs; browsers get GraphiQL from this server (src/web/ide.ts).
      ApolloServerPluginLandingPageDisabled(),
      ...hardening.plugins,
      requestIdPlugin(options.log),
      ...(options.httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer })] : []),
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
  /** The status pages, the IDE and the printed schema (src/web/). */
  web: PublicFace;
  stop(): Promise<void>;
}

/** HTTP → Express → Apollo. `/graphql` serves the API; `/healthz` says whether the database answers. */
export async function startHttpServer(config: Config, dataSource: DataSource, log: Log): Promise<RunningServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const authenticator = new Authenticator(config.jwt);
  const limiter = new RateLimiter({ perMinute: config.limits.rateLimitPerMinute, burst: config.limits.rateLimitBurst });
  // Subscriptions: WebSocket on the same port and path; events between instances via LISTEN/NOTIFY.
  const schema = createSchema();
  const events = await startEventBus(dataSource, { embedded: config.databaseUrl === undefined, log });
  const subscriptions = serveSubscriptions({ httpServer, schema, dataSource, events, authenticator, limiter, config, log });
  const web = new PublicFace({ config, schema, db: dataSource.manager, events, limiter, log });
  const apollo = createApolloServer({ config, log, httpServer, schema, plugins: [subscriptions.drainPlugin, ...web.apolloPlugins] });
  await apollo.start();

  app.disable('x-powered-by');
  // No ETag: nobody sends If-None-Match with a POST, and hashing a 5.8 MB what-if costs 10–20 ms.
  app.disable('etag');
  app.get('/healthz', async (_request, response) => {
    try {
      await dataSource.query('SELECT 1');
      response.json({ status: 'ok' });
    } catch {
      response.status(503).json({ status: 'database unavailable' });
    }
  });
  web.mount(app, apollo);
  app.use(
    '/graphql',
    cors({ origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins] }),
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
          throw error;
        }
        return createRequestContext(dataSource.manager, { requestId, viewer, clientAddress: req.socket.remoteAddress ?? 'unknown' });
      }),
    ),
  );
  // Body too large, not JSON: a JSON GraphQL error with a 4xx, not Express's HTML page.
  app.use('/graphql', requestErrorHandler({ log, maxBodyBytes: config.limits.requestBytes, requestIdOf }));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    events,
    web,
    async stop() {
      web.stop();
      await apollo.stop();
      await events.stop();
    },
  };
}
