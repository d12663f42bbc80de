import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import compression from 'compression';
import cors from 'cors';
import express from 'express';
import type { Config } from '../config';
import type { Log } from '../log';
import { RETRY_AFTER_SECONDS } from '../db/unavailable';
import { addGaugeSource, metricsText } from './metrics';
import type { Readiness } from './readiness';
import { logRequests } from './request-log';
import { unavailableBody } from './service-unavailable';

/** Headers a browser client may read from an answer: how long to wait, which request, which version. */
const EXPOSED_HEADERS = ['Retry-After', 'X-Request-Id', 'ETag'];

/** Below this many bytes an answer is sent as it is; a dashboard's answer is larger, a what-if far larger. */
const COMPRESS_FROM_BYTES = 1024;
/**
 * Brotli (preferred when a browser offers it) at quality 1: on 6 MB of what-if JSON about 28 ms and
 * 290 KB, where the library's default quality 4 took 110 ms for 360 KB and gzip 40 ms for 340 KB.
 */
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } };

export interface HttpListener {
  readonly app: express.Express;
  readonly server: http.Server;
  readonly url: string;
  readonly port: number;
  /** From now on /graphql is served by `handler` (until then: 503, still starting). */
  serveGraphQL(handler: express.RequestHandler): void;
  /** The pages around the API (the public face): tried before `/graphql` is answered as the API. */
  servePages(handler: express.RequestHandler): void;
  /** Counts upgraded connections (WebSockets) from now on: call once something handles upgrades. */
  countWebSockets(): void;
  /**
   * Every answer from now on says `Connection: close`, in flight ones included where their headers
   * are not sent yet: clients and proxies stop reusing this instance's connections while it still serves.
   */
  stopKeepingAlive(): void;
  /**
   * Stops accepting connections and lets the open ones finish: every answer from now on says
   * `Connection: close` (stopKeepingAlive), idle keep-alive connections run out on their own timeout (the client
   * knows it from the Keep-Alive header and stops using them first), so no request that reaches
   * us is cut off. Resolves when no HTTP connection is left, or after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Ends whatever is still open (WebSockets included) and closes the server. */
  close(): Promise<void>;
}

/**
 * The HTTP server, listening before anything else is ready: /livez, /readyz (and the older
 * /healthz) and /metrics answer from the first moment; /graphql answers 503 with Retry-After until
 * main.ts mounts the API. CORS, compression and the request log apply to every /graphql answer.
 */
export async function openHttpListener(config: Config, log: Log, readiness: Readiness): Promise<HttpListener> {
  const app = express();
  const server = http.createServer(app);
  app.disable('x-powered-by');
  // No ETag: nobody sends If-None-Match with a POST, and hashing a 5.8 MB what-if costs 10–20 ms.
  app.disable('etag');

  const connections = trackConnections(server);
  const stopCountingWebSockets = addGaugeSource({ webSocketConnections: () => connections.upgraded.size });

  app.get('/livez', (_request, response) => {
    response.set('cache-control', 'no-store').json({ status: 'alive' });
  });
  const readinessRoute = (okStatus: string): express.RequestHandler => async (_request, response) => {
    const report = await readiness.report(config.operations.readinessTimeoutMs);
    response.set('cache-control', 'no-store').status(report.ready ? 200 : 503).json({ status: report.ready ? okStatus : report.status });
  };
  app.get('/readyz', readinessRoute('ready'));
  app.get('/healthz', readinessRoute('ok'));
  app.get('/metrics', async (_request, response) => {
    const { contentType, body } = await metricsText();
    response.set('content-type', contentType).send(body);
  });

  // The pages (a browser's GET /graphql is the IDE's) come first; until they are there, nothing.
  let pages: express.RequestHandler = (_request, _response, next) => next();
  app.use((request, response, next) => pages(request, response, next));
  let graphql: express.RequestHandler = (_request, response) => {
    response.status(503).set('retry-after', String(RETRY_AFTER_SECONDS)).json(unavailableBody('The server is starting; try again shortly.'));
  };
  app.use(
    '/graphql',
    cors({
      origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }),
    compression({ threshold: COMPRESS_FROM_BYTES, brotli: BROTLI }),
    logRequests(log),
    (request, response, next) => graphql(request, response, next),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  const stopKeepingAlive = () => {
    connections.draining = true;
    for (const response of connections.inFlight) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
  };
  return {
    app,
    server,
    port,
    url: `http://${host}:${port}/graphql`,
    serveGraphQL(handler) {
      graphql = handler;
    },
    servePages(handler) {
      pages = handler;
    },
    countWebSockets() {
      // Prepended, so the upgrade is counted before whoever handles it answers.
      server.prependListener('upgrade', (_request: http.IncomingMessage, socket: Duplex) => connections.upgrade(socket));
    },
    stopKeepingAlive,
    async drain(timeoutMs) {
      stopKeepingAlive();
      // net.Server's close, not http.Server's: that one also closes idle keep-alive connections at
      // once, and a client may be sending its next request on one at that very moment.
      if (server.listening) net.Server.prototype.close.call(server);
      await connections.settled(timeoutMs);
    },
    async close() {
      stopCountingWebSockets();
      server.closeAllConnections();
      for (const socket of connections.upgraded) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The server's connections: plain HTTP (in flight or idle) and upgraded ones, for drain and metrics. */
function trackConnections(server: http.Server) {
  const plain = new Set<net.Socket>();
  const upgraded = new Set<Duplex>();
  const inFlight = new Set<http.ServerResponse>();
  let onSettled: (() => void) | null = null;
  const state = {
    draining: false,
    upgraded,
    inFlight,
    upgrade(socket: Duplex) {
      plain.delete(socket as net.Socket);
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      if (plain.size === 0) onSettled?.();
    },
    settled(timeoutMs: number): Promise<void> {
      if (plain.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          onSettled = null;
          resolve();
        }
        onSettled = done;
      });
    },
  };
  server.on('connection', (socket) => {
    plain.add(socket);
    socket.once('close', () => {
      plain.delete(socket);
      if (state.draining && plain.size === 0) onSettled?.();
    });
  });
  // Prepended: Express may answer within the same tick (the probes), before a later listener runs.
  server.prependListener('request', (_request: http.IncomingMessage, response: http.ServerResponse) => {
    if (state.draining) response.setHeader('connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return state;
}
