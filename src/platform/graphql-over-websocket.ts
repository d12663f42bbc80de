import type http from 'node:http';
import { CloseCode, handleProtocols, makeServer, ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Log } from '../log';

/** What every connection's context carries: its socket and the HTTP request that opened it. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

/** How often an idle connection is pinged; one that does not answer within as long is dropped. */
const KEEP_ALIVE_MS = 12_000;

/** Bytes that may wait for a client before the next message waits for them to be written. */
const SEND_BUFFER_BYTES = 1 << 20;

/** Queued bytes written at once without waiting for the end of the turn, so the client can start reading. */
const WRITE_BYTES = 16 * 1024;

/**
 * graphql-ws over `ws` (what graphql-ws/use/ws does, in a few lines we can read and change), with the
 * log as ours: graphql-ws's own adapter writes every socket error to console.error with its stack.
 *
 * A client's breach of the WebSocket protocol (a frame over the size limit, invalid UTF-8, an
 * unmasked frame: the `WS_ERR_*` errors of `ws`) is the client's mistake: `ws` closes the connection
 * with the matching code (1009 Message Too Big for a frame over `maxPayload`) and this logs one
 * warning line without a stack. Anything else is ours: logged as an error, closed with 1011.
 */
export function serveGraphqlOverWebSocket<P extends Record<string, unknown> | undefined, E extends SocketExtra>(
  options: ServerOptions<P, E>,
  wsServer: WebSocketServer,
  log: Log,
  extraOf: (socket: WebSocket, request: http.IncomingMessage) => E,
): { dispose(): Promise<void> } {
  const server = makeServer<P, E>(options);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('error', (error) => log.error('WebSocket server failed', { error }));
  wsServer.on('connection', (socket, request) => {
    socket.once('error', (error: Error & { code?: string }) => {
      if (error.code?.startsWith('WS_ERR_')) {
        log.warn('WebSocket connection closed: the client broke the protocol', { code: error.code, reason: error.message });
        return;
      }
      log.error('WebSocket connection failed', { error });
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });

    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);

    // The messages of one turn of the event loop leave in one write (or one per WRITE_BYTES): a
    // gateway going down sends a dashboard dozens of events at once, and a write (a system call) per
    // event cost more than the events. graphql-ws waits for each message before it sends the next,
    // so a message counts as sent once it is queued, until SEND_BUFFER_BYTES wait for a client that
    // reads slowly; then the next waits until they are written. (`request.socket` is the socket `ws`
    // took over.)
    let corked = false;
    const queue = (data: string, written?: (error?: Error) => void) => {
      if (!corked) {
        corked = true;
        request.socket.cork();
        setImmediate(() => {
          corked = false;
          request.socket.uncork();
        });
      }
      socket.send(data, written);
      if (request.socket.writableLength >= WRITE_BYTES) {
        request.socket.uncork();
        request.socket.cork();
      }
    };

    const closed = server.opened({
      protocol: socket.protocol,
      send: (data) => {
        if (socket.readyState !== socket.OPEN) return;
        // A failed write closes the socket, and graphql-ws ends its subscriptions then.
        if (socket.bufferedAmount < SEND_BUFFER_BYTES) return queue(data, () => {});
        return new Promise<void>((resolve, reject) => queue(data, (error) => (error ? reject(error) : resolve())));
      },
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) => socket.on('message', async (data) => {
        try {
          await handle(String(data));
        } catch (error) {
          log.error('WebSocket message failed', { error });
          socket.close(CloseCode.InternalServerError, 'Internal server error');
        }
      }),
    }, extraOf(socket, request));

    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
