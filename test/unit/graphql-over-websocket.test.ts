import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { serveGraphqlOverWebSocket } from '../../src/platform/graphql-over-websocket';
import type { Log } from '../../src/log';

const EVENTS = 60;

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { counted: Int! }
`);

/** Every event at once, as a gateway's outage hands a subscriber its services' changes. */
async function* burst(): AsyncGenerator<{ counted: number }> {
  for (let i = 1; i <= EVENTS; i++) yield { counted: i };
}

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

describe('graphql-ws over ws (src/platform/graphql-over-websocket.ts)', () => {
  let httpServer: http.Server;
  let adapter: { dispose(): Promise<void> };
  let url: string;
  /** Writes to the network of each connection's socket. */
  const writes: number[] = [];

  beforeAll(async () => {
    httpServer = http.createServer();
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
    adapter = serveGraphqlOverWebSocket({ schema, roots: { subscription: { counted: burst } } }, wsServer, quiet, (socket, request) => {
      const index = writes.push(0) - 1;
      const raw = request.socket as Socket & { _writev?: (...args: unknown[]) => unknown; _write: (...args: unknown[]) => unknown };
      const writev = raw._writev!.bind(raw);
      const write = raw._write.bind(raw);
      raw._writev = (...args) => { writes[index] += 1; return writev(...args); };
      raw._write = (...args) => { writes[index] += 1; return write(...args); };
      return { socket, request };
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`;
  });

  afterAll(async () => {
    await adapter.dispose();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  it('sends the events of one turn in a few writes, in order, all of them', async () => {
    const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
    try {
      const received: number[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ counted: number }>({ query: 'subscription { counted }' }, {
          next: (result) => received.push(result.data!.counted),
          error: reject,
          complete: resolve,
        });
      });
      expect(received).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
      // One write per event before: the connection's acknowledgement, the burst and its completion
      // now leave in a handful.
      expect(writes).toHaveLength(1);
      expect(writes[0]).toBeLessThanOrEqual(5);
    } finally {
      await client.dispose();
    }
  });
});
