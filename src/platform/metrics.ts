import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What Prometheus scrapes at `/metrics` (docs/operations.md lists every series). The metric objects
 * stay in this file; the rest of the program calls the small functions below, so no module needs to
 * know prom-client.
 *
 * One registry per process. Several servers in one process (the tests) share it; gauges that read a
 * server's own state (its pool, its event bus) add up what every registered source reports.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const requestDuration = new Histogram({
  name: 'ketenbeeld_graphql_request_duration_seconds',
  help: 'GraphQL requests over HTTP, from arrival to the last byte sent, by operation name and type and outcome (OK or the first error code)',
  labelNames: ['operation', 'type', 'outcome'] as const,
  buckets: SECONDS,
  registers: [registry],
});

const errors = new Counter({
  name: 'ketenbeeld_graphql_errors_total',
  help: 'GraphQL errors sent to clients, by extensions.code (each code once per response)',
  labelNames: ['code'] as const,
  registers: [registry],
});

const rateLimitRefusals = new Counter({
  name: 'ketenbeeld_rate_limit_refusals_total',
  help: 'Requests refused by the rate limit, by transport (http, websocket)',
  labelNames: ['transport'] as const,
  registers: [registry],
});

const eventDeliveryLag = new Histogram({
  name: 'ketenbeeld_event_delivery_lag_seconds',
  help: 'From a change event being stored to its delivery to subscribers on this instance',
  buckets: SECONDS,
  registers: [registry],
});

const pictureUpkeep = new Histogram({
  name: 'ketenbeeld_picture_upkeep_seconds',
  help: 'Time a write spent keeping the stored live picture current, by kind of write',
  labelNames: ['write'] as const,
  buckets: SECONDS,
  registers: [registry],
});

const pictureUpkeepPhase = new Histogram({
  name: 'ketenbeeld_picture_upkeep_phase_seconds',
  help: 'Time a write keeping the stored live picture current spent in each phase: read, lock, judge, write, change set',
  labelNames: ['write', 'phase'] as const,
  buckets: SECONDS,
  registers: [registry],
});

const databaseUnavailable = new Counter({
  name: 'ketenbeeld_database_unavailable_total',
  help: 'Requests answered 503 because PostgreSQL could not be reached or did not answer in time',
  registers: [registry],
});

const webhookAttempts = new Counter({
  name: 'ketenbeeld_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered, failed: retried later, given_up: endpoint disabled)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const webhookDeliveryLag = new Histogram({
  name: 'ketenbeeld_webhook_delivery_lag_seconds',
  help: 'From a change event being stored to the receiver acknowledging its webhook delivery',
  buckets: SECONDS,
  registers: [registry],
});

/** Something whose current state a scrape reads: one server's pool, its WebSocket server, its event bus. */
export interface GaugeSource {
  pool?: () => { total: number; idle: number; waiting: number; max: number };
  webSocketConnections?: () => number;
  subscriptions?: () => number;
}

const sources = new Set<GaugeSource>();
const sum = (read: (source: GaugeSource) => number | undefined) => [...sources].reduce((total, source) => total + (read(source) ?? 0), 0);

new Gauge({
  name: 'ketenbeeld_db_pool_connections',
  help: 'Connections of the request pool, by state (in_use, idle, max)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.set({ state: 'in_use' }, sum((s) => s.pool && s.pool().total - s.pool().idle));
    this.set({ state: 'idle' }, sum((s) => s.pool?.().idle));
    this.set({ state: 'max' }, sum((s) => s.pool?.().max));
  },
});

new Gauge({
  name: 'ketenbeeld_db_pool_waiting_requests',
  help: 'Queries waiting for a connection of the request pool',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.pool?.().waiting));
  },
});

new Gauge({
  name: 'ketenbeeld_websocket_connections',
  help: 'Open WebSocket (graphql-ws) connections',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.webSocketConnections?.()));
  },
});

new Gauge({
  name: 'ketenbeeld_subscriptions',
  help: 'Active GraphQL subscriptions',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.subscriptions?.()));
  },
});

/** Registers a source of gauge readings; returns the function that removes it (at shutdown). */
export function addGaugeSource(source: GaugeSource): () => void {
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

export function observeRequest(operation: string, type: string, outcome: string, seconds: number): void {
  requestDuration.observe({ operation, type, outcome }, seconds);
}

export function countErrors(codes: Iterable<string>): void {
  for (const code of new Set(codes)) errors.inc({ code });
}

/** For the rate limiter, whichever transport refused the request. */
export function countRateLimitRefusal(transport: 'http' | 'websocket'): void {
  rateLimitRefusals.inc({ transport });
}

/** For the events module: from an event being stored to its hand-over to this instance's subscribers. */
export function countWebhookAttempt(outcome: 'delivered' | 'failed' | 'given_up'): void {
  webhookAttempts.inc({ outcome });
}

export function observeWebhookDeliveryLag(seconds: number): void {
  webhookDeliveryLag.observe(Math.max(0, seconds));
}

export function observeEventDeliveryLag(seconds: number): void {
  eventDeliveryLag.observe(Math.max(0, seconds));
}

/** For the picture module: how long one write (reportStatus, addDependency, …) spent keeping the picture current. */
export function observePictureUpkeep(writeKind: string, seconds: number): void {
  pictureUpkeep.observe({ write: writeKind }, seconds);
}

/** The phases of a write's upkeep of the picture, in their order. */
export type UpkeepPhase = 'read' | 'lock' | 'judge' | 'write' | 'change set';

/**
 * For the picture module: how long one write spent in one phase of keeping the picture current
 * (`read` the rows, `lock` them, `judge` the members, `write` the rows, build the `change set`). A
 * `lock` that takes long is a write waiting for another that holds rows it needs.
 */
export function observePictureUpkeepPhase(writeKind: string, phase: UpkeepPhase, seconds: number): void {
  pictureUpkeepPhase.observe({ write: writeKind, phase }, seconds);
}

export function countDatabaseUnavailable(): void {
  databaseUnavailable.inc();
}

export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
