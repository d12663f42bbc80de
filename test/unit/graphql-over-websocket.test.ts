import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { serveGraphqlOverWebSocket } from '../../src/platform/graphql-over-websocket';
import type { Log } from '../../src/log';

const EVENTS = 60;

/** Events of a subscription whose client stops reading: 50 MiB in all, far more than a socket buffers. */
const LARGE_EVENTS = 200;
const LARGE_BYTES = 256 * 1024;
/** What graphql-over-websocket.ts lets wait for a client before the next message waits. */
const SEND_BUFFER_BYTES = 1 << 20;

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { counted: Int! large: String! }
`);

/** How many large events the subscription has produced so far. */
let produced = 0;
async function* large(): AsyncGenerator<{ large: string }> {
  for (let i = 1; i <= LARGE_EVENTS; i++) {
    produced = i;
    yield { large: `${i}:${'x'.repeat(LARGE_BYTES)}` };
  }
}

/** Resolves once `value()` has grown above zero and then stayed the same for `quietMs`. */
async function settled(value: () => number, quietMs: number): Promise<number> {
  while (value() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  let last = value();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (value() === last) return last;
    last = value();
  }
}

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
  /** The server's side of each connection. */
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    httpServer = http.createServer();
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
    adapter = serveGraphqlOverWebSocket({ schema, roots: { subscription: { counted: burst, large } } }, wsServer, quiet, (socket, request) => {
      const index = writes.push(0) - 1;
      sockets.push(socket);
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

  it('holds a subscription back while a client does not read, without holding its events in memory, and sends the rest once it reads', async () => {
    const client = new WebSocket(url, 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: { data?: { large: string } } }[] = [];
    let arrived: (() => void) | null = null;
    client.on('message', (data) => {
      messages.push(JSON.parse(String(data)));
      arrived?.();
    });
    const next = (type: string) => new Promise<void>((resolve) => {
      const check = () => (messages.some((m) => m.type === type) ? resolve() : (arrived = check));
      check();
    });
    try {
      await new Promise((resolve) => client.once('open', resolve));
      client.send(JSON.stringify({ type: 'connection_init' }));
      await next('connection_ack');
      const server = sockets[sockets.length - 1];
      // The client stops reading; the server goes on sending until the network's buffers are full.
      client.pause();
      produced = 0;
      client.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { large }' } }));
      const stalledAt = await settled(() => produced, 300);
      expect(stalledAt).toBeGreaterThan(0);
      expect(stalledAt).toBeLessThan(LARGE_EVENTS);
      // What waits in the server for this client: at most the send buffer and the message that filled it.
      expect(server.bufferedAmount).toBeLessThan(SEND_BUFFER_BYTES + 2 * LARGE_BYTES);

      client.resume();
      await next('complete');
      const received = messages.filter((m) => m.type === 'next').map((m) => Number(m.payload!.data!.large.split(':')[0]));
      expect(received).toEqual(Array.from({ length: LARGE_EVENTS }, (_, i) => i + 1));
    } finally {
      client.terminate();
    }
  });
});
