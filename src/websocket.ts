import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  createSourceEventStream, execute, ExecutionArgs, ExecutionResult, FormattedExecutionResult, getOperationAST,
  GraphQLError, GraphQLFormattedError, GraphQLSchema, parse, specifiedRules, validate,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { DataSource } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import type { Config } from './config';
import { createLoaders, createRequestContext, Loaders, RequestContext } from './context';
import { AppError, formatError, isExpected } from './errors';
import type { Log } from './log';
import { Authenticator, PUBLIC_VIEWER, rateLimitKey, unusableTokenIds, Viewer } from './modules/access';
import { batchOf, EventBatch, EventBus } from './modules/events';
import { apolloHardening } from './platform/hardening';
import type { RateLimiter } from './platform/rate-limit';

/** What one WebSocket connection remembers: who it authenticated as, at connection_init. */
interface Connection extends Record<PropertyKey, unknown> {
  viewer: Viewer;
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

/** graphql-js's request errors have no code; give them the one Apollo would, so formatError keeps them. */
function requestError(error: GraphQLError, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'BAD_USER_INPUT'): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

export interface SubscriptionServer {
  /** Closes every socket when Apollo drains, so the HTTP server can close (SIGTERM). */
  drainPlugin: ApolloServerPlugin<RequestContext>;
}

/**
 * Subscriptions over WebSocket (the graphql-ws protocol) on the HTTP server's own port and path.
 * The token comes in `connectionParams.authorization` and is checked like the HTTP header; the
 * query limits and the rate limit are the HTTP path's. Only subscriptions: queries and mutations go
 * through Apollo over HTTP, with its plugins.
 */
export function serveSubscriptions(options: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  dataSource: DataSource;
  events: EventBus;
  authenticator: Authenticator;
  limiter: RateLimiter;
  config: Config;
  log: Log;
}): SubscriptionServer {
  const { schema, events, authenticator, limiter, config, log } = options;
  const db = options.dataSource.manager;
  const hardening = apolloHardening<RequestContext>(config);
  const rules = [...specifiedRules, ...(hardening.validationRules ?? [])];
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
  const server = useServer<Record<string, unknown>, Connection>({
    schema,
    onConnect: async (ctx) => {
      const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      try {
        if (given !== undefined && given !== null && typeof given !== 'string') {
          throw new AppError('UNAUTHENTICATED', 'connectionParams.authorization must be "Bearer <token>"');
        }
        const viewer = await authenticator.viewerFor(db, given ?? undefined, new Date());
        ctx.extra.viewer = viewer;
        if (viewer.kind === 'organisation') {
          const socket = ctx.extra.socket;
          authenticated.set(socket, viewer);
          socket.once('close', () => authenticated.delete(socket));
        }
        return true;
      } catch (error) {
        // The WebSocket counterpart of the HTTP 401: a present but unusable token never falls back to the public.
        if (error instanceof AppError) {
          ctx.extra.socket.close(CloseCode.Forbidden, `Forbidden: ${error.message}`.slice(0, 120));
          return false;
        }
        throw error;
      }
    },
    onSubscribe: (ctx, _id, payload) => {
      const viewer = ctx.extra.viewer ?? PUBLIC_VIEWER;
      const clientAddress = ctx.extra.request.socket.remoteAddress ?? 'unknown';
      const wait = limiter.take(rateLimitKey(viewer, clientAddress));
      if (wait > 0) {
        return [new GraphQLError(`Too many requests; try again in ${wait} s`, { extensions: { code: 'RATE_LIMITED' } })];
      }
      let document;
      try {
        document = parse(payload.query, hardening.parseOptions);
      } catch (error) {
        if (error instanceof GraphQLError) return [requestError(error, 'GRAPHQL_PARSE_FAILED')];
        throw error;
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return invalid.map((error) => requestError(error, 'GRAPHQL_VALIDATION_FAILED'));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [new GraphQLError('Name the operation to run (operationName)', { extensions: { code: 'BAD_USER_INPUT' } })];
      if (operation.operation !== 'subscription') {
        return [new GraphQLError('Only subscriptions go over WebSocket; send queries and mutations as HTTP POST to /graphql', { extensions: { code: 'BAD_USER_INPUT' } })];
      }
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: createRequestContext(db, { viewer, clientAddress, requestId: randomUUID() }),
        // The subscriptions' source of events: this instance's bus (subscription.service.ts).
        rootValue: { events },
      };
      return args;
    },
    subscribe: (args) => subscribeWithContextPerEvent(args, (subscription, payload) => createRequestContext(db, {
      scope: subscription.scope,
      requestId: subscription.requestId,
      clientAddress: subscription.clientAddress,
      unguarded: sharedLoaders(payload),
    })),
    onNext: (_ctx, _id, _payload, args, result): FormattedExecutionResult | void => {
      if (!result.errors) return;
      const requestId = (args.contextValue as RequestContext | undefined)?.requestId;
      return { ...result, errors: result.errors.map((error) => format(error, requestId)) };
    },
    onError: (_ctx, _id, _payload, errors) => errors.map((error) => format(error, undefined)),
  }, wsServer);

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
