import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';

/**
 * W7's webhook half: one endpoint per municipality a vendor's bulk shutdown affects, on a receiver
 * on 127.0.0.1, each registered through the API (filter: that municipality, STATUS_CHANGED) by a
 * coordinator (50 endpoints per organisation). Per batch, what each endpoint must receive is read
 * from ketenbeeld's own change stream afterwards (every STATUS event of the batch's positions naming
 * its municipality: the rule `status.changed` applies for an owner who reads everything); the
 * receiver checks every message's signature (Standard Webhooks), type, position and municipality.
 * The server must allow http to 127.0.0.1 (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_ADDRESSES).
 */
export interface W7BatchDeliveries {
  direction: 'off' | 'on';
  /** Change events (positions) of the batch. */
  events: number;
  /** Endpoints with at least one expected delivery. */
  endpointsAffected: number;
  expected: number;
  received: number;
  missing: number;
  /** Wrong signature, type, municipality, or a position outside every batch. */
  wrong: number;
  /** The same webhook-id again (delivery is at least once: allowed, counted). */
  duplicates: number;
  /** From sending the batch until every affected endpoint had every delivery (NaN: some never came). */
  allDeliveredMs: number;
}

export interface W7Deliveries {
  endpoints: number;
  batches: W7BatchDeliveries[];
  /** Per delivery: arrival − the change's `occurredAt` (its transaction's start, shortly before its commit). */
  commitToDeliveryMs: { p50: number; p99: number; max: number };
  allDeliveredMs: { p50: number; p99: number };
  error: string | null;
}

interface Endpoint {
  index: number;
  municipalityId: string;
  cbsCode: string;
  /** Global id of the municipality, as messages name it. */
  municipalityGlobalId: string;
  key: Buffer;
  headers: Record<string, string>;
  id: string;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function graphql(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data;
}

/** The municipalities whose delivered services stand on any of the gateways now (live edges). */
export async function municipalitiesStandingOn(url: string, gatewayIds: string[]): Promise<{ id: string; cbsCode: string }[]> {
  const client = new Client({ connectionString: url, application_name: 'bench-w7' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; cbs_code: string }>(
      `WITH RECURSIVE above(id) AS (
         SELECT unnest($1::uuid[])
         UNION
         SELECT d.component_id FROM above a JOIN dependency d ON d.depends_on_id = a.id AND d.removed_at IS NULL
       )
       SELECT DISTINCT o.id, o.cbs_code FROM above a JOIN service_delivery sd ON sd.service_id = a.id
         JOIN organisation o ON o.id = sd.municipality_id
        WHERE sd.delivered_until IS NULL OR sd.delivered_until > now()
        ORDER BY o.cbs_code`,
      [gatewayIds]);
    return rows.map((r) => ({ id: r.id, cbsCode: r.cbs_code }));
  } finally {
    await client.end();
  }
}

export class DeliveryWatch {
  private endpoints: Endpoint[] = [];
  private readonly byPath = new Map<number, Endpoint>();
  /** endpoint index → position → arrival (Date.now()). */
  private arrivals = new Map<number, Map<number, number>>();
  private readonly seenIds = new Set<string>();
  private readonly latencies: number[] = [];
  private wrong = 0;
  private duplicates = 0;
  /** Positions that belong to some batch: a delivery of another is wrong. */
  private readonly batchRanges: [number, number][] = [];
  private receiver: http.Server | null = null;
  private port = 0;
  readonly report: W7Deliveries = {
    endpoints: 0, batches: [], commitToDeliveryMs: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN }, allDeliveredMs: { p50: Number.NaN, p99: Number.NaN }, error: null,
  };

  constructor(private readonly graphqlUrl: string, private readonly databaseUrl: string) {}

  async start(municipalities: { id: string; cbsCode: string }[], callers: Record<string, string>[]): Promise<void> {
    this.receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.receive(request, Buffer.concat(chunks).toString('utf8'));
        response.writeHead(204).end();
      });
    });
    this.receiver.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.receiver!.listen(0, '127.0.0.1', resolve));
    this.port = (this.receiver.address() as AddressInfo).port;
    if (municipalities.length > callers.length * 50) throw new Error(`${municipalities.length} endpoints need ${Math.ceil(municipalities.length / 50)} callers`);
    for (const [index, municipality] of municipalities.entries()) {
      const headers = callers[Math.floor(index / 50)];
      const data = await graphql(this.graphqlUrl, headers,
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret webhookEndpoint { id } } }`,
        { input: { url: `http://127.0.0.1:${this.port}/w7/${index}`, description: `bench W7 ${municipality.cbsCode}`, filter: { municipalityCbsCodes: [municipality.cbsCode], kinds: ['STATUS_CHANGED'] } } });
      const endpoint: Endpoint = {
        index, municipalityId: municipality.id, cbsCode: municipality.cbsCode,
        municipalityGlobalId: Buffer.from(`Organisation:${municipality.id}`).toString('base64url'),
        key: Buffer.from(String(data.createWebhookEndpoint.secret).replace(/^whsec_/, ''), 'base64'),
        headers, id: data.createWebhookEndpoint.webhookEndpoint.id,
      };
      this.endpoints.push(endpoint);
      this.byPath.set(index, endpoint);
    }
    this.report.endpoints = this.endpoints.length;
  }

  private receive(request: http.IncomingMessage, body: string): void {
    const endpoint = this.byPath.get(Number(request.url!.split('/').pop()));
    const at = Date.now();
    if (!endpoint) {
      this.wrong += 1;
      return;
    }
    const id = String(request.headers['webhook-id'] ?? '');
    const timestamp = String(request.headers['webhook-timestamp'] ?? '');
    const expected = createHmac('sha256', endpoint.key).update(`${id}.${timestamp}.${body}`).digest('base64');
    const signatures = String(request.headers['webhook-signature'] ?? '').split(' ').map((s) => s.replace(/^v1,/, ''));
    let message: { type?: string; data?: { position?: number; occurredAt?: string; municipalities?: { id: string }[] } };
    try {
      message = JSON.parse(body);
    } catch {
      this.wrong += 1;
      return;
    }
    const position = Number(message.data?.position);
    if (!signatures.includes(expected) || message.type !== 'status.changed' || !Number.isFinite(position)
      || !(message.data?.municipalities ?? []).some((m) => m.id === endpoint.municipalityGlobalId)
      || !this.batchRanges.some(([from, to]) => position > from && position <= to)) {
      this.wrong += 1;
      return;
    }
    if (this.seenIds.has(`${endpoint.index}/${id}`)) {
      this.duplicates += 1;
      return;
    }
    this.seenIds.add(`${endpoint.index}/${id}`);
    let positions = this.arrivals.get(endpoint.index);
    if (!positions) this.arrivals.set(endpoint.index, (positions = new Map()));
    positions.set(position, at);
    if (message.data?.occurredAt) this.latencies.push(at - Date.parse(message.data.occurredAt));
  }

  /** The newest position of the change stream. */
  async position(): Promise<number> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'bench-w7' });
    await client.connect();
    try {
      return Number((await client.query<{ p: string }>(`SELECT coalesce(max(position_end), 0) AS p FROM change_write`)).rows[0].p);
    } finally {
      await client.end();
    }
  }

  /** Marks the positions a batch may deliver; call before sending it (`from`: the position before). */
  expectBatch(from: number): void {
    this.batchRanges.push([from, Number.MAX_SAFE_INTEGER]);
  }

  /**
   * After the batch: what each endpoint must receive (the STATUS events of positions (from, to] naming
   * its municipality), then waits until every one has arrived or `timeoutMs` passed since `sentAt`.
   */
  async awaitBatch(direction: 'off' | 'on', from: number, sentAt: number, timeoutMs: number): Promise<W7BatchDeliveries> {
    const to = await this.position();
    this.batchRanges[this.batchRanges.length - 1] = [from, to];
    const wrongBefore = this.wrong;
    const duplicatesBefore = this.duplicates;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'bench-w7' });
    await client.connect();
    let rows: { municipality_id: string; seq: string }[];
    let events: number;
    try {
      const batchEvents = `SELECT w.position_end - w.event_count + e.n AS seq, e.municipality_ids
        FROM change_write w JOIN change_event e ON e.write_id = w.id
        WHERE w.position_end > $1 AND w.position_end - w.event_count + e.n > $1 AND w.position_end - w.event_count + e.n <= $2 AND e.kind = 'STATUS'`;
      ({ rows } = await client.query(`SELECT m::text AS municipality_id, b.seq FROM (${batchEvents}) b, unnest(b.municipality_ids) AS m`, [from, to]));
      events = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM (${batchEvents}) b`, [from, to])).rows[0].n);
    } finally {
      await client.end();
    }
    const byMunicipality = new Map(this.endpoints.map((e) => [e.municipalityId, e]));
    const expected = new Map<number, number[]>();
    for (const row of rows) {
      const endpoint = byMunicipality.get(row.municipality_id);
      if (endpoint) expected.set(endpoint.index, [...(expected.get(endpoint.index) ?? []), Number(row.seq)]);
    }
    const total = [...expected.values()].reduce((n, list) => n + list.length, 0);
    const arrivedCount = () => [...expected].reduce((n, [index, positions]) => {
      const got = this.arrivals.get(index);
      return n + (got ? positions.filter((p) => got.has(p)).length : 0);
    }, 0);
    const deadline = sentAt + timeoutMs;
    while (arrivedCount() < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const received = arrivedCount();
    let last = 0;
    for (const [index, positions] of expected) {
      const got = this.arrivals.get(index);
      for (const p of positions) last = Math.max(last, got?.get(p) ?? 0);
    }
    const batch: W7BatchDeliveries = {
      direction, events, endpointsAffected: expected.size, expected: total, received, missing: total - received,
      wrong: this.wrong - wrongBefore, duplicates: this.duplicates - duplicatesBefore,
      allDeliveredMs: received === total ? last - sentAt : Number.NaN,
    };
    this.report.batches.push(batch);
    return batch;
  }

  async stop(): Promise<void> {
    const all = this.report.batches.map((b) => b.allDeliveredMs).filter((x) => Number.isFinite(x));
    this.report.allDeliveredMs = { p50: percentile(all, 50), p99: percentile(all, 99) };
    this.report.commitToDeliveryMs = { p50: percentile(this.latencies, 50), p99: percentile(this.latencies, 99), max: this.latencies.length ? this.latencies.reduce((a, b) => Math.max(a, b)) : Number.NaN };
    for (const endpoint of this.endpoints) {
      await graphql(this.graphqlUrl, endpoint.headers, `mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId } }`, { id: endpoint.id }).catch(() => {});
    }
    if (this.receiver) {
      this.receiver.closeAllConnections();
      await new Promise((resolve) => this.receiver!.close(resolve));
    }
  }
}

export function w7DeliveriesMarkdown(report: W7Deliveries): string {
  const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : '–');
  const lines = [
    `### W7 webhook deliveries: ${report.endpoints} endpoints on 127.0.0.1, one per affected municipality`,
    '',
    'Each endpoint follows one municipality (`municipalityCbsCodes`, `STATUS_CHANGED`), registered by a coordinator. What it must receive',
    "per batch is read afterwards from ketenbeeld's change stream (every status change of the batch naming its municipality); every",
    'message is checked: signature (Standard Webhooks), type, municipality, position within the batch.',
    '',
    '| | p50 | p99 | max |',
    '|---|---|---|---|',
    `| change's occurredAt (its transaction's start) → delivery | ${ms(report.commitToDeliveryMs.p50)} | ${ms(report.commitToDeliveryMs.p99)} | ${ms(report.commitToDeliveryMs.max)} |`,
    `| batch sent → every affected endpoint has every delivery | ${ms(report.allDeliveredMs.p50)} | ${ms(report.allDeliveredMs.p99)} | |`,
    '',
    '| batch | status changes | endpoints affected | deliveries expected | received | missing | wrong | duplicates | all delivered after |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.batches.map((b, i) => `| ${i + 1} ${b.direction} | ${b.events} | ${b.endpointsAffected} | ${b.expected} | ${b.received} | ${b.missing} | ${b.wrong} | ${b.duplicates} | ${ms(b.allDeliveredMs)} |`),
  ];
  if (report.error) lines.push('', `Stopped: ${report.error}`);
  return lines.join('\n');
}
