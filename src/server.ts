import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { GraphQLSchema } from 'graphql';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import cors from 'cors';
import express from 'express';
import { DataSource } from 'typeorm';
import { CallerGate, callerOf } from './caller';
import type { Config } from './config';
import { createRequestContext, RequestContext } from './context';
import { formatError, isExpected } from './errors';
import type { Log } from './log';
import { EventBus, startEventBus } from './modules/events';
import { createSchema } from './schema';
import { serveSubscriptions } from './websocket';
import type { Admission } from './platform/admission';
import { admissionFor, apolloHardening } from './platform/hardening';
import { requestErrorHandler } from './platform/http-errors';
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
  /** The limits every operation passes (src/platform/admission.ts); the WebSocket server shares them. */
  admission?: Admission;
  /** Counts an admitted operation's cost against its caller's work per minute (src/caller.ts). */
  charge?: (context: RequestContext, cost: number) => Promise<void>;
}): ApolloServer<RequestContext> {
  const exposeInternals = options.config.nodeEnv === 'development';
  // Limits, no schema hints in production: src/platform/hardening.ts.
  const hardening = apolloHardening<RequestContext>(options.config, options.admission ?? admissionFor(options.config), { callerOf, charge: options.charge });
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
  // Who is asking and how much, the same over HTTP and WebSocket: src/caller.ts, src/platform/admission.ts.
  const gate = new CallerGate(config, dataSource);
  const admission = admissionFor(config);
  // Subscriptions: WebSocket on the same port and path; events between instances via LISTEN/NOTIFY.
  const schema = createSchema();
  const events = await startEventBus(dataSource, { embedded: config.databaseUrl === undefined, log });
  const subscriptions = serveSubscriptions({ httpServer, schema, dataSource, events, gate, admission, config, log });
  const web = new PublicFace({ config, schema, db: dataSource.manager, events, gate, log });
  const apollo = createApolloServer({
    config, log, httpServer, schema, admission, charge: gate.chargeOverHttp, plugins: [subscriptions.drainPlugin, ...web.apolloPlugins],
  });
  await apollo.start();

  app.set('trust proxy', gate.trustsProxy);
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
    gate.door,
    express.json({ limit: config.limits.requestBytes }),
    // Rate limits and authentication before the query is parsed (src/caller.ts); the limits of the query after.
    graphqlOverExpress(apollo, async ({ req, res }) => {
      const requestId = requestIdOf(req);
      res.setHeader('x-request-id', requestId);
      const clientAddress = gate.clientAddressOf(req);
      const viewer = await gate.identifyOverHttp(clientAddress, req.header('authorization'));
      return createRequestContext(dataSource.manager, { requestId, viewer, clientAddress });
    }),
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
