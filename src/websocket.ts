import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  createSourceEventStream, execute, ExecutionArgs, ExecutionResult, FormattedExecutionResult,
  GraphQLError, GraphQLFormattedError, GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { DataSource } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import { CallerGate, callerOf } from './caller';
import type { Config } from './config';
import type { DestinationPolicy } from './platform/outbound-destination';
import { createLoaders, createRequestContext, Loaders, RequestContext } from './context';
import { AppError, formatError, isExpected } from './errors';
import type { Log } from './log';
import { PUBLIC_VIEWER, unusableTokenIds, Viewer } from './modules/access';
import { batchOf, EventBatch, EventBus } from './modules/events';
import type { Admission } from './platform/admission';
import { serveGraphqlOverWebSocket, SocketExtra } from './platform/graphql-over-websocket';
import { RateLimited } from './platform/rate-limit';
import { countRateLimitRefusal } from './platform/metrics';

/** What one WebSocket connection remembers: who it authenticated as at connection_init, and from where. */
interface Connection extends SocketExtra {
  viewer?: Viewer;
  clientAddress: string;
}

type SubscriptionResult = AsyncIterableIterator<ExecutionResult> | ExecutionResult;

/**
 * graphql-js's `subscribe`, except that every event is executed in a context of its own: a fresh
 * clock reading and fresh loaders, so a subscription open for a week does not answer from a week-old
 * cache. Events fetched together share one set of loaders (`loadersFor`), so N subscribers of one
 * municipality cost the queries of one. The subscription's access scope is kept: who may see what
 * was decided when it began.
 */
async function subscribeWithContextPerEvent(
  args: ExecutionArgs,
  contextFor: (subscription: RequestContext, payload: unknown) => RequestContext,
): Promise<SubscriptionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(stream))) return stream as ExecutionResult;
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const subscription = args.contextValue as RequestContext;
  const events: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]() {
      return events;
    },
    async next() {
      const item = await source.next();
      if (item.done) return { value: undefined, done: true };
      const result = await execute({ ...args, rootValue: item.value, contextValue: contextFor(subscription, item.value) });
      return { value: result, done: false };
    },
    // Must end at once, also while waiting for the next event (graphql-ws calls it when a client leaves).
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
  };
  return events;
}

export interface SubscriptionServer {
  /** Closes every socket when Apollo drains, so the HTTP server can close (SIGTERM). */
  drainPlugin: ApolloServerPlugin<RequestContext>;
}

/**
 * Subscriptions over WebSocket (the graphql-ws protocol) on the HTTP server's own port and path.
 * The token comes in `connectionParams.authorization` and is checked like the HTTP header, with the
 * same rate limits (src/caller.ts); every subscription passes the same admission as an HTTP
 * operation (src/platform/admission.ts). Only subscriptions: queries and mutations go over HTTP.
 */
export function serveSubscriptions(options: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  dataSource: DataSource;
  events: EventBus;
  gate: CallerGate;
  admission: Admission;
  config: Config;
  log: Log;
  /** Where webhook endpoints may point (mutations over WebSocket check URLs as over HTTP). */
  destinations: DestinationPolicy;
}): SubscriptionServer {
  const { schema, events, gate, admission, config, log, destinations } = options;
  const db = options.dataSource.manager;
  const exposeInternals = config.nodeEnv === 'development';
  const loadersOfBatch = new WeakMap<EventBatch, Loaders>();

  const sharedLoaders = (payload: unknown): Loaders | undefined => {
    const batch = batchOf(payload);
    if (!batch) return undefined;
    let loaders = loadersOfBatch.get(batch);
    if (!loaders) {
      loaders = createLoaders(db, new Date());
      loadersOfBatch.set(batch, loaders);
      // Subscribers resolve their events one at a time, each in its own tick, so without this every
      // event would load its component alone (a gateway's outage: hundreds of statements). One load
      // for the batch's components, started now; each event's load then finds it in the cache.
      const componentIds = [...new Set(batch.events.flatMap((event) => (event.kind === 'STATUS' ? [event.componentId] : [])))];
      if (componentIds.length > 0) void loaders.componentById.loadMany(componentIds);
    }
    return loaders;
  };

  // Each event in a context of its own: the subscription's scope, the loaders its batch shares.
  const eventContext = (subscription: RequestContext, payload: unknown): RequestContext => createRequestContext(db, {
    destinations,
    scope: subscription.scope,
    requestId: subscription.requestId,
    clientAddress: subscription.clientAddress,
    unguarded: sharedLoaders(payload),
  });

  const format = (error: GraphQLError, requestId: string | undefined): GraphQLFormattedError => {
    // An error thrown by the event stream reaches us wrapped, without a path.
    const original = error.originalError instanceof AppError ? error.originalError : error;
    if (!isExpected(original)) log.error('subscription failed', { requestId, error: error.originalError ?? error });
    const formatted = formatError(error.toJSON(), original, exposeInternals);
    return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && requestId
      ? { ...formatted, extensions: { ...formatted.extensions, requestId } }
      : formatted;
  };

  // A subscription outlives the check of its token at connection_init: a token revoked during a
  // crisis (a leaked vendor token, say) or expired must stop receiving changes. Every
  // subscriptionTokenCheckSeconds the tokens of open connections are checked again, in one statement.
  type OrganisationViewer = Extract<Viewer, { kind: 'organisation' }>;
  const authenticated = new Map<WebSocket, OrganisationViewer>();
  const closeConnectionsWithUnusableTokens = async () => {
    if (authenticated.size === 0) return;
    const now = new Date();
    // Stored tokens are checked in the database; a JWT cannot be revoked here, only expire.
    const unusable = await unusableTokenIds(db, [...new Set([...authenticated.values()].map((viewer) => viewer.tokenId))], now);
    for (const [socket, viewer] of authenticated) {
      const expired = viewer.expiresAt !== undefined && viewer.expiresAt.getTime() <= now.getTime();
      if (!expired && !unusable.has(viewer.tokenId)) continue;
      authenticated.delete(socket);
      socket.close(CloseCode.Forbidden, 'Forbidden: the token has expired or was revoked');
    }
  };
  const tokenCheck = setInterval(() => {
    closeConnectionsWithUnusableTokens().catch((error: unknown) => log.error('checking the tokens of open subscriptions failed', { error }));
  }, config.subscriptionTokenCheckSeconds * 1000);
  tokenCheck.unref();

  const wsServer = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: config.limits.requestBytes });
  wsServer.once('close', () => clearInterval(tokenCheck));
  const server = serveGraphqlOverWebSocket<Record<string, unknown>, Connection>({
    schema,
    onConnect: async (ctx) => {
      const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      const socket = ctx.extra.socket;
      try {
        if (given !== undefined && given !== null && typeof given !== 'string') {
          throw new AppError('UNAUTHENTICATED', 'connectionParams.authorization must be "Bearer <token>"');
        }
        const viewer = await gate.identify(ctx.extra.clientAddress, given ?? undefined, false);
        ctx.extra.viewer = viewer;
        if (viewer.kind === 'organisation') {
          authenticated.set(socket, viewer);
          socket.once('close', () => authenticated.delete(socket));
        }
        return true;
      } catch (error) {
        // The WebSocket counterparts of HTTP's 429 and 401: a present but unusable token never falls back to the public.
        if (error instanceof RateLimited) {
          socket.close(CloseCode.TooManyInitialisationRequests, error.message);
          return false;
        }
        if (error instanceof AppError) {
          socket.close(CloseCode.Forbidden, `Forbidden: ${error.message}`.slice(0, 120));
          return false;
        }
        throw error;
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      const viewer = ctx.extra.viewer ?? PUBLIC_VIEWER;
      const { clientAddress } = ctx.extra;
      try {
        await gate.subscription(viewer, clientAddress);
      } catch (error) {
        if (error instanceof RateLimited) {
          countRateLimitRefusal('websocket');
          return [new GraphQLError(error.message, { extensions: { code: 'RATE_LIMITED' } })];
        }
        throw error;
      }
      const result = admission.admit(schema, {
        query: payload.query, operationName: payload.operationName, variables: payload.variables,
        caller: callerOf({ viewer }), transport: 'websocket',
      });
      if ('refused' in result) return [...result.refused];
      try {
        await gate.charge(viewer, clientAddress, result.admitted.cost);
      } catch (error) {
        if (error instanceof RateLimited) {
          countRateLimitRefusal('websocket');
          return [new GraphQLError(error.message, { extensions: { code: 'RATE_LIMITED' } })];
        }
        throw error;
      }
      const contextValue = createRequestContext(db, { viewer, clientAddress, requestId: randomUUID(), destinations });
      const args: ExecutionArgs = {
        schema,
        document: result.admitted.document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
        // The subscriptions' source of events: this instance's bus, and the context an event is
        // resolved in, for filters that must read (events/subscription.service.ts).
        rootValue: { events, contextFor: (event: unknown) => eventContext(contextValue, event) },
      };
      return args;
    },
    subscribe: (args) => subscribeWithContextPerEvent(args, eventContext),
    onNext: (_ctx, _id, _payload, args, result): FormattedExecutionResult | void => {
      if (!result.errors) return;
      const requestId = (args.contextValue as RequestContext | undefined)?.requestId;
      return { ...result, errors: result.errors.map((error) => format(error, requestId)) };
    },
    onError: (_ctx, _id, _payload, errors) => errors.map((error) => format(error, undefined)),
  }, wsServer, log, (socket, request) => ({ socket, request, clientAddress: gate.clientAddressOf(request) }));

  return {
    drainPlugin: {
      async serverWillStart() {
        return {
          async drainServer() {
            clearInterval(tokenCheck);
            await server.dispose();
          },
        };
      },
    },
  };
}
