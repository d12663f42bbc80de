import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { W4_REPORT_STATUS, W5_STATUS_CHANGED } from './queries';

/**
 * W5, subscription fan-out: `subscribers` graphql-ws clients subscribe to `statusChanged` for one
 * municipality; then a service delivered there is switched MAJOR_OUTAGE ↔ OPERATIONAL `flips` times
 * with reportStatus, and for each flip the time from sending the mutation to each subscriber's
 * receiving the change is recorded.
 */
export interface FanoutConfig {
  kind: 'fanout';
  httpUrl: string;
  wsUrl: string;
  headers: Record<string, string>;
  subscribers: number;
  flips: number;
  municipality: string;
  /** Global id of a service delivered to `municipality` that is OPERATIONAL and imposed on by nothing. */
  serviceId: string;
  timeoutSeconds: number;
}

export interface FanoutResult {
  subscribers: number;
  flips: number;
  /** Over every (flip, subscriber) delivery: ms from sending the mutation to receiving the change. */
  deliveryMs: { p50: number; p99: number; max: number };
  /** Per flip, the slowest subscriber's delay; the median of those. */
  lastSubscriberMsMedian: number;
  mutationMsMedian: number;
  delivered: number;
  missing: number;
  problems: string[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFanout(config: FanoutConfig): Promise<FanoutResult> {
  const problems: string[] = [];
  const clients: Client[] = [];
  /** Per subscriber: arrival time of each (status) change of the service, in order. */
  const arrivals: { status: string; at: number }[][] = [];
  let connected = 0;
  for (let i = 0; i < config.subscribers; i++) {
    const received: { status: string; at: number }[] = [];
    arrivals.push(received);
    const client = createClient({
      url: config.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: config.headers.authorization },
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => void connected++ },
    });
    clients.push(client);
    client.subscribe<{ statusChanged: { component: { id: string }; status: string } }>(
      { query: W5_STATUS_CHANGED, variables: { cbs: config.municipality } },
      {
        next: (message) => {
          const change = message.data?.statusChanged;
          if (change && change.component.id === config.serviceId) received.push({ status: change.status, at: performance.now() });
          if (message.errors && problems.length < 3) problems.push(JSON.stringify(message.errors).slice(0, 300));
        },
        error: (error) => {
          if (problems.length < 3) problems.push(`subscription error: ${JSON.stringify(error).slice(0, 300)}`);
        },
        complete: () => undefined,
      },
    );
  }
  const deadline = performance.now() + config.timeoutSeconds * 1000;
  while (connected < config.subscribers && performance.now() < deadline) await sleep(50);
  // The protocol has no "subscribed" acknowledgement: give the server a moment to register them all.
  await sleep(1000);

  const deliveries: number[] = [];
  const lastPerFlip: number[] = [];
  const mutationTimes: number[] = [];
  let missing = 0;
  for (let flip = 0; flip < config.flips; flip++) {
    const status = flip % 2 === 0 ? 'MAJOR_OUTAGE' : 'OPERATIONAL';
    const before = arrivals.map((list) => list.length);
    const sent = performance.now();
    const response = await fetch(config.httpUrl, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: W4_REPORT_STATUS, operationName: 'Report',
        variables: { input: { componentId: config.serviceId, status, ...(status === 'OPERATIONAL' ? {} : { cause: 'FAILURE' }), source: 'bench:w5' } },
      }),
    });
    const answer = (await response.json()) as { errors?: unknown[] };
    mutationTimes.push(performance.now() - sent);
    if (answer.errors && problems.length < 3) problems.push(`reportStatus: ${JSON.stringify(answer.errors).slice(0, 300)}`);
    const flipDeadline = performance.now() + config.timeoutSeconds * 1000;
    const arrived = () => arrivals.filter((list, i) => list.slice(before[i]).some((a) => a.status === status)).length;
    while (arrived() < config.subscribers && performance.now() < flipDeadline) await sleep(5);
    let last = 0;
    arrivals.forEach((list, i) => {
      const hit = list.slice(before[i]).find((a) => a.status === status);
      if (!hit) {
        missing++;
        return;
      }
      deliveries.push(hit.at - sent);
      last = Math.max(last, hit.at - sent);
    });
    lastPerFlip.push(last);
    await sleep(200);
  }
  for (const client of clients) await client.dispose();
  const sorted = deliveries.sort((a, b) => a - b);
  return {
    subscribers: config.subscribers, flips: config.flips,
    deliveryMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN },
    lastSubscriberMsMedian: median(lastPerFlip), mutationMsMedian: median(mutationTimes),
    delivered: deliveries.length, missing, problems,
  };
}
