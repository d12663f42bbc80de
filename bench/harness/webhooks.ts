import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDataSource } from '../../src/db/data-source';
import { issueToken } from '../../src/modules/access';

/**
 * Webhook delivery (issue 17, W7's second half): `endpoints` endpoints on 127.0.0.1, each following
 * one gateway, registered through the API by the given callers (an organisation may have 50); then
 * the gateway is reported down and up, one flip at a time. Per flip, the time from the mutation's
 * acknowledgement (its commit has happened by then) to the arrival of each endpoint's delivery, and
 * the deliveries per second of the flip (endpoints ÷ the time from acknowledgement to the last
 * arrival). The server must allow http to 127.0.0.1 (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_ADDRESSES).
 */
export interface WebhookBenchOptions {
  graphqlUrl: string;
  /** Authorization headers of callers that may read the gateway, each registering up to 50 endpoints. */
  callers: Record<string, string>[];
  /** Global id of the gateway that is flipped. */
  gatewayId: string;
  endpoints: number;
  flips: number;
  timeoutSeconds: number;
}

export interface WebhookBenchReport {
  endpoints: number;
  flips: number;
  deliveries: number;
  missing: number;
  /** Milliseconds from the acknowledgement of the write to a delivery's arrival. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median over flips of endpoints ÷ (last arrival − acknowledgement). */
  deliveriesPerSecond: number;
  /** Flips (from 0) that some endpoint did not receive within the timeout, with how many missed each. */
  missingByFlip?: { flip: number; missing: number }[];
  /** Deliveries whose status was not the flip's (a previous flip's, arriving late): not counted as arrivals. */
  late?: number;
}

const PER_CALLER = 50;

async function post(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function measureWebhookDelivery(options: WebhookBenchOptions): Promise<WebhookBenchReport> {
  // One receiver process-side server; the path names the endpoint, the body's status the flip.
  // An arrival counts for the flip under way only when its status is that flip's: a delivery of an
  // earlier flip arriving late is counted as late, not as this flip's.
  let arrivals = new Map<number, number>();
  let expectedStatus = '';
  let late = 0;
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const endpoint = Number(request.url!.split('/').pop());
      let status: unknown = null;
      try {
        status = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { status?: unknown } }).data?.status;
      } catch {
        // Counted as late below: not this flip's.
      }
      if (status !== expectedStatus) late += 1;
      else if (!arrivals.has(endpoint)) arrivals.set(endpoint, performance.now());
      response.writeHead(204).end();
    });
  });
  receiver.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  const created: { headers: Record<string, string>; id: string }[] = [];
  try {
    if (options.endpoints > options.callers.length * PER_CALLER) throw new Error(`${options.endpoints} endpoints need ${Math.ceil(options.endpoints / PER_CALLER)} callers`);
    for (let i = 0; i < options.endpoints; i++) {
      const headers = options.callers[Math.floor(i / PER_CALLER)];
      const data = await post(options.graphqlUrl, headers,
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id } } }`,
        { input: { url: `http://127.0.0.1:${port}/hook/${i}`, filter: { componentIds: [options.gatewayId], kinds: ['STATUS_CHANGED'] } } });
      created.push({ headers, id: data.createWebhookEndpoint.webhookEndpoint.id });
    }
    const latencies: number[] = [];
    const rates: number[] = [];
    let missing = 0;
    const missingByFlip: { flip: number; missing: number }[] = [];
    for (let flip = 0; flip < options.flips; flip++) {
      arrivals = new Map();
      const down = flip % 2 === 0;
      expectedStatus = down ? 'MAJOR_OUTAGE' : 'OPERATIONAL';
      await post(options.graphqlUrl, options.callers[0], `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }`, {
        input: { componentId: options.gatewayId, status: down ? 'MAJOR_OUTAGE' : 'OPERATIONAL', cause: down ? 'PRECAUTIONARY_SHUTDOWN' : null },
      });
      const ack = performance.now();
      const deadline = ack + options.timeoutSeconds * 1000;
      while (arrivals.size < options.endpoints && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
      missing += options.endpoints - arrivals.size;
      if (arrivals.size < options.endpoints) missingByFlip.push({ flip, missing: options.endpoints - arrivals.size });
      const times = [...arrivals.values()].map((t) => t - ack);
      latencies.push(...times);
      if (times.length > 0) rates.push(times.length / (Math.max(...times) / 1000));
    }
    latencies.sort((a, b) => a - b);
    rates.sort((a, b) => a - b);
    return {
      endpoints: options.endpoints, flips: options.flips, deliveries: latencies.length, missing,
      p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1] ?? NaN,
      deliveriesPerSecond: percentile(rates, 50), missingByFlip, late,
    };
  } finally {
    for (const endpoint of created) {
      await post(options.graphqlUrl, endpoint.headers, `mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId } }`, { id: endpoint.id }).catch(() => {});
    }
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  }
}

export function webhookMarkdown(report: WebhookBenchReport, setting: string): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  return [
    `### Webhook delivery (W7, deliveries to ${report.endpoints} endpoints on 127.0.0.1)`,
    '',
    setting,
    '',
    '| endpoints | flips | deliveries | missing | p50 ms | p99 ms | max ms | deliveries/s (median flip) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${report.endpoints} | ${report.flips} | ${report.deliveries} | ${report.missing} | ${f(report.p50Ms)} | ${f(report.p99Ms)} | ${f(report.maxMs)} | ${f(report.deliveriesPerSecond)} |`,
    '',
    'Latency: from the reportStatus acknowledgement (the write has committed) to the delivery arriving at the receiver.',
    ...(report.missingByFlip && report.missingByFlip.length > 0 ? ['', `Missed: ${report.missingByFlip.map((m) => `flip ${m.flip} (${m.missing})`).join(', ')}.`] : []),
    ...(report.late ? ['', `${report.late} deliveries arrived with an earlier flip's status (late), not counted as arrivals.`] : []),
  ].join('\n');
}

/**
 * Bearer headers of `count` new coordinator organisations (an organisation may have 50 endpoints; a
 * coordinator reads every gateway), issued with ketenbeeld's own token code on the bench database.
 */
export async function benchCallers(databaseUrl: string, count: number): Promise<Record<string, string>[]> {
  const dataSource = createDataSource({ url: databaseUrl, poolSize: 1 });
  await dataSource.initialize();
  try {
    const callers: Record<string, string>[] = [];
    for (let i = 0; i < count; i++) {
      const [org] = await dataSource.query(`INSERT INTO organisation (kind, name) VALUES ('COORDINATOR', $1) RETURNING id`, [`Bench webhook coordinator ${Date.now()}-${i}`]);
      const issued = await dataSource.transaction((tx) => issueToken(tx, { organisationId: org.id, role: 'COORDINATOR', expiresInDays: 1, label: 'bench webhooks', issuedByTokenId: null }));
      callers.push({ authorization: `Bearer ${issued.secret}` });
    }
    return callers;
  } finally {
    await dataSource.destroy();
  }
}
