import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Log } from '../../src/log';
import type { Viewer } from '../../src/modules/access';
import { WebhookWorker } from '../../src/modules/webhooks';
import { newestChangeEventSeq } from '../../src/modules/events';
import { fanOutOnce } from '../../src/modules/webhooks/webhook.fanout';
import { webhookRepository } from '../../src/modules/webhooks/webhook.repository';
import { DestinationPolicy } from '../../src/platform/outbound-destination';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * Webhooks end to end on 127.0.0.1: registration through the API, changes through reportStatus,
 * the worker on an injected clock (a day of failures without waiting a day), receivers that are
 * down, slow, answer 500, redirect, then recover. Signatures are checked with the standardwebhooks
 * package, not with our code.
 */
let db: TestDatabase;
let api: TestApi;
const LOCAL = new DestinationPolicy({ allowHttp: true, allowedAddresses: ['127.0.0.1'] });
const viewers: Record<'tilburg' | 'tilburgMunicipality' | 'hltsamen' | 'hillegom', Viewer> = {} as never;
let tilburgGateway: string;
let hltGateway: string;

/** The worker's clock: real time plus what a test has skipped. */
let skipped = 0;
const clock = () => new Date(Date.now() + skipped);
const warnings: string[] = [];
const log: Log = { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) };

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const uuidOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];

interface Received { headers: http.IncomingHttpHeaders; body: string }

/** A receiver on 127.0.0.1 whose answer a test changes: 'ok', 'fail' (500), 'slow', 'redirect'. */
class Receiver {
  mode: 'ok' | 'fail' | 'slow' | 'redirect' = 'ok';
  readonly received: Received[] = [];
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (this.mode === 'slow') {
        setTimeout(() => response.end('late'), 2000).unref();
        return;
      }
      this.received.push({ headers: request.headers, body });
      if (this.mode === 'fail') response.writeHead(500).end(`broken ${'x'.repeat(1000)}`);
      else if (this.mode === 'redirect') response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      else response.writeHead(204).end();
    });
  });

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  types(): string[] {
    return this.received.map((r) => JSON.parse(r.body).type);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const receivers: Receiver[] = [];
async function receiver(): Promise<Receiver> {
  const opened = await new Receiver().start();
  receivers.push(opened);
  return opened;
}

function worker(policy: DestinationPolicy = LOCAL): WebhookWorker {
  return new WebhookWorker({ db: db.dataSource.manager, policy, log, timeoutMs: 500, concurrency: 8, now: clock, random: () => 0.5 });
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url enabled filter { kinds } } } }`;
async function register(viewer: Viewer, url: string, filter: Record<string, unknown> = {}) {
  const data = await api.data(CREATE, { input: { url, filter } }, viewer);
  return { id: data.createWebhookEndpoint.webhookEndpoint.id as string, secret: data.createWebhookEndpoint.secret as string };
}

const LOG = `query { webhookEndpoints { edges { node { id enabled disabledReason deliveries(first: 20) { totalCount edges { node {
  id messageId eventType state attempts statusCode responseExcerpt error nextAttemptAt deliveredAt payload redeliveryOf { id } } } } } } } }`;
async function deliveriesOf(viewer: Viewer, endpointId: string) {
  const data = await api.data(LOG, {}, viewer);
  const endpoint = data.webhookEndpoints.edges.map((e: any) => e.node).find((n: any) => n.id === endpointId);
  return { endpoint, deliveries: endpoint.deliveries.edges.map((e: any) => e.node) as any[] };
}

let flips = 0;
/** A status change of the component: alternately an outage and back. */
async function change(viewer: Viewer, componentId: string): Promise<string> {
  flips += 1;
  const down = flips % 2 === 1;
  await api.data(`mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }`, {
    input: { componentId, status: down ? 'MAJOR_OUTAGE' : 'OPERATIONAL', cause: down ? 'FAILURE' : null },
  }, viewer);
  return down ? 'MAJOR_OUTAGE' : 'OPERATIONAL';
}

/** Nothing left from earlier tests: every endpoint deleted, the outbox caught up with the change events. */
async function clean(): Promise<void> {
  await db.dataSource.query(`DELETE FROM webhook_endpoint`);
  await worker().settle();
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  api.destinations = LOCAL;
  const one = async (sql: string, parameters: unknown[]) => ((await db.dataSource.query(sql, parameters)) as { id: string }[])[0].id;
  const organisation = (name: string) => one(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]);
  const as = async (name: string, role: Viewer extends infer V ? V extends { role: infer R } ? R : never : never): Promise<Viewer> =>
    ({ kind: 'organisation', organisationId: await organisation(name), role, tokenId: 'webhooks test' });
  viewers.tilburg = await as('Tilburg', 'OPERATOR');
  viewers.tilburgMunicipality = await as('Tilburg', 'MUNICIPALITY');
  viewers.hltsamen = await as('HLTsamen', 'OPERATOR');
  viewers.hillegom = await as('Hillegom', 'MUNICIPALITY');
  tilburgGateway = globalId('Component', await one(`SELECT id FROM component WHERE name = $1`, ['Tilburg Citrix ADC']));
  hltGateway = globalId('Component', await one(`SELECT id FROM component WHERE name = $1`, ['HLTsamen Citrix Gateway']));
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
  skipped = 0;
});

afterAll(async () => {
  await api?.stop();
  await db?.close();
});

test('the secret is shown once; a change reaches the endpoint signed so that standardwebhooks verifies it', async () => {
  await clean();
  const hook = await receiver();
  const { id, secret } = await register(viewers.tilburg, hook.url);
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  // No field of the endpoint gives the secret again.
  const schema = await api.data(`{ __type(name: "WebhookEndpoint") { fields { name } } }`);
  expect(schema.__type.fields.map((f: { name: string }) => f.name)).not.toContain('secret');

  await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
  expect(hook.received.length).toBeGreaterThan(0);
  const verifier = new Webhook(secret);
  for (const message of hook.received) {
    const payload = verifier.verify(message.body, message.headers as Record<string, string>) as any;
    expect(payload.type).toBe('status.changed');
  }
  const gateway = hook.received.map((m) => JSON.parse(m.body)).find((m) => m.data.component.id === tilburgGateway);
  expect(gateway.data).toMatchObject({ status: 'MAJOR_OUTAGE', cause: 'FAILURE', component: { name: 'Tilburg Citrix ADC' } });
  // A tampered body fails the same verification.
  expect(() => verifier.verify(hook.received[0].body.replace('MAJOR', 'MINOR'), hook.received[0].headers as Record<string, string>)).toThrow();

  const { deliveries } = await deliveriesOf(viewers.tilburg, id);
  expect(deliveries.every((d) => d.state === 'DELIVERED' && d.statusCode === 204 && d.attempts === 1)).toBe(true);
  expect(deliveries.length).toBe(hook.received.length);
});

test('an endpoint receives only what its organisation could read, and only the kinds and components asked for', async () => {
  await clean();
  const hlt = await receiver();
  const tilburg = await receiver();
  const incidentsOnly = await receiver();
  const gatewayOnly = await receiver();
  await register(viewers.hltsamen, hlt.url);
  await register(viewers.tilburgMunicipality, tilburg.url);
  await register(viewers.tilburg, incidentsOnly.url, { kinds: ['INCIDENT_UPDATED'] });
  await register(viewers.tilburg, gatewayOnly.url, { componentIds: [tilburgGateway] });

  await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
  expect(hlt.received).toHaveLength(0);
  expect(tilburg.received.length).toBeGreaterThan(0);
  expect(incidentsOnly.received).toHaveLength(0);
  expect(gatewayOnly.received.map((m) => JSON.parse(m.body).data.component.id)).toEqual([tilburgGateway]);

  await change(viewers.hltsamen, hltGateway);
  await worker().settle();
  expect(hlt.received.length).toBeGreaterThan(0);
  const tilburgComponents = tilburg.received.map((m) => JSON.parse(m.body).data.component.name);
  expect(tilburgComponents.some((name: string) => name.startsWith('HLTsamen'))).toBe(false);
  await change(viewers.hltsamen, hltGateway);
  await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
});

test('maintenance announced ahead reaches the endpoints that may read the component, as maintenance.changed', async () => {
  await clean();
  const tilburg = await receiver();
  const hlt = await receiver();
  await register(viewers.tilburg, tilburg.url, { kinds: ['MAINTENANCE_CHANGED'] });
  await register(viewers.hltsamen, hlt.url, { kinds: ['MAINTENANCE_CHANGED'] });
  const startsAt = new Date(Date.now() + 86_400_000).toISOString();
  const endsAt = new Date(Date.now() + 90_000_000).toISOString();
  await api.data(`mutation($input: ScheduleMaintenanceInput!) { scheduleMaintenance(input: $input) { maintenanceWindow { id } } }`, {
    input: { componentIds: [tilburgGateway], title: 'Citrix ADC firmware 13.0.47.24', publicText: 'Remote work unavailable', startsAt, endsAt },
  }, viewers.tilburg);
  await worker().settle();
  expect(hlt.received).toHaveLength(0);
  expect(tilburg.types()).toEqual(['maintenance.changed']);
  const { data } = JSON.parse(tilburg.received[0].body);
  expect(data).toMatchObject({
    action: 'SCHEDULED',
    maintenance: { title: 'Citrix ADC firmware 13.0.47.24', startsAt, endsAt, components: [{ id: tilburgGateway }] },
  });
});

test('down, 500, then recovered: retried with backoff, in order per endpoint, others not held up', async () => {
  await clean();
  const flaky = await receiver();
  const healthy = await receiver();
  const flakyUrl = flaky.url;
  await flaky.stop();
  receivers.splice(receivers.indexOf(flaky), 1);
  const { id } = await register(viewers.tilburg, flakyUrl, { componentIds: [tilburgGateway] });
  await register(viewers.tilburg, healthy.url, { componentIds: [tilburgGateway] });

  const reported = [await change(viewers.tilburg, tilburgGateway), await change(viewers.tilburg, tilburgGateway)];
  const run = worker();
  await run.settle();
  // The healthy endpoint has both, in order; the down one has tried only its first.
  expect(healthy.received.map((m) => JSON.parse(m.body).data.status)).toEqual(reported);
  let log = await deliveriesOf(viewers.tilburg, id);
  const [second, first] = log.deliveries;
  expect(first).toMatchObject({ state: 'PENDING', attempts: 1, statusCode: null });
  expect(first.error).toMatch(/ECONNREFUSED/);
  expect(second).toMatchObject({ state: 'PENDING', attempts: 0 });
  // The first retry comes 5 s later (jitter at its middle here).
  expect(new Date(first.nextAttemptAt).getTime() - clock().getTime()).toBeGreaterThan(4000);
  expect(new Date(first.nextAttemptAt).getTime() - clock().getTime()).toBeLessThanOrEqual(5000);

  // Back, but answering 500: the excerpt is kept, at most 200 characters.
  const revived = await new Receiver().start(Number(new URL(flakyUrl).port));
  receivers.push(revived);
  revived.mode = 'fail';
  skipped += 6_000;
  await run.settle();
  log = await deliveriesOf(viewers.tilburg, id);
  expect(log.deliveries[1]).toMatchObject({ state: 'PENDING', attempts: 2, statusCode: 500, error: 'answered 500' });
  expect(log.deliveries[1].responseExcerpt).toHaveLength(200);
  expect(log.deliveries[0].attempts).toBe(0);

  // Slow: the attempt ends at the timeout.
  revived.mode = 'slow';
  skipped += 11_000;
  await run.settle();
  log = await deliveriesOf(viewers.tilburg, id);
  expect(log.deliveries[1]).toMatchObject({ attempts: 3, error: 'no answer within 500 ms' });

  // Recovered: both, first first.
  revived.mode = 'ok';
  skipped += 25_000;
  await run.settle();
  expect(revived.received.map((m) => JSON.parse(m.body).data.status)).toEqual([reported[0], reported[0], reported[1]]);
  log = await deliveriesOf(viewers.tilburg, id);
  expect(log.deliveries.map((d) => d.state)).toEqual(['DELIVERED', 'DELIVERED']);
  // The retries carried the same message id.
  const ids = revived.received.map((m) => m.headers['webhook-id']);
  expect(ids[0]).toBe(ids[1]);
  expect(ids[2]).not.toBe(ids[0]);
});

test('a day of failures disables the endpoint, says why, and logs it; enabling resumes the held deliveries; redelivery repeats a message', async () => {
  await clean();
  const hook = await receiver();
  hook.mode = 'fail';
  const { id } = await register(viewers.tilburg, hook.url, { componentIds: [tilburgGateway] });
  await change(viewers.tilburg, tilburgGateway);
  await change(viewers.tilburg, tilburgGateway);
  const run = worker();
  await run.settle();
  for (let hours = 0; hours < 26; hours += 1) {
    skipped += 3_600_000;
    await run.settle();
  }
  let log = await deliveriesOf(viewers.tilburg, id);
  expect(log.endpoint.enabled).toBe(false);
  expect(log.endpoint.disabledReason).toMatch(/failed for 24 hours.*answered 500/);
  expect(log.deliveries[1].state).toBe('FAILED');
  expect(log.deliveries[1].attempts).toBeGreaterThan(10);
  expect(log.deliveries[0]).toMatchObject({ state: 'PENDING', attempts: 0 });
  expect(warnings).toContain('webhook endpoint disabled after a day of failed deliveries');

  // Disabled: nothing is attempted.
  const before = hook.received.length;
  skipped += 3_600_000;
  await run.settle();
  expect(hook.received.length).toBe(before);

  hook.mode = 'ok';
  await api.data(`mutation($id: ID!) { enableWebhookEndpoint(input: { id: $id }) { webhookEndpoint { enabled disabledReason } } }`, { id }, viewers.tilburg);
  await run.settle();
  log = await deliveriesOf(viewers.tilburg, id);
  expect(log.deliveries[0].state).toBe('DELIVERED');

  const failed = log.deliveries[1];
  const redo = await api.data(`mutation($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { delivery { id messageId state redeliveryOf { id } } } }`, { id: failed.id }, viewers.tilburg);
  expect(redo.redeliverWebhook.delivery).toMatchObject({ messageId: failed.messageId, state: 'PENDING', redeliveryOf: { id: failed.id } });
  await run.settle();
  const last = hook.received[hook.received.length - 1];
  expect(last.headers['webhook-id']).toBe(failed.messageId);
  expect(last.body).toBe(failed.payload);
  // Another organisation may not redeliver it.
  const refused = await api.query(`mutation($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { delivery { id } } }`, { id: failed.id }, viewers.hltsamen);
  expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('refused destinations: private, link-local, loopback, localhost, plain http when not allowed; a redirect is not followed', async () => {
  await clean();
  const strict = new DestinationPolicy({ allowHttp: false, allowedAddresses: [] }, async (host) => (host === 'localhost' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '93.184.215.14', family: 4 }]));
  api.destinations = strict;
  try {
    for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/hook', 'https://localhost/hook',
      'https://[::ffff:127.0.0.1]/hook', 'http://example.org/hook', 'https://192.168.1.1/', 'https://[fd00::1]/', 'not a url']) {
      const result = await api.query(CREATE, { input: { url } }, viewers.tilburg);
      expect({ url, code: result.errors?.[0].extensions?.code, field: result.errors?.[0].extensions?.field }).toEqual({ url, code: 'BAD_USER_INPUT', field: 'url' });
    }
    expect((await api.query(CREATE, { input: { url: 'https://example.org/hook' } }, viewers.tilburg)).errors).toBeUndefined();
  } finally {
    api.destinations = LOCAL;
  }
  expect(await db.dataSource.query(`SELECT url FROM webhook_endpoint`)).toEqual([{ url: 'https://example.org/hook' }]);
  await db.dataSource.query(`DELETE FROM webhook_endpoint`);

  // Registered while its name resolved to a public address; at delivery it resolves to a private one.
  const rebinding = new DestinationPolicy({ allowHttp: true, allowedAddresses: [] }, async () => [{ address: '10.0.0.1', family: 4 }]);
  api.destinations = new DestinationPolicy({ allowHttp: true, allowedAddresses: [] }, async () => [{ address: '93.184.215.14', family: 4 }]);
  const { id: rebound } = await register(viewers.tilburg, 'http://hooks.example.org/hook', { componentIds: [tilburgGateway] });
  api.destinations = LOCAL;
  const redirecting = await receiver();
  redirecting.mode = 'redirect';
  const { id: redirected } = await register(viewers.tilburg, redirecting.url, { componentIds: [tilburgGateway] });
  await change(viewers.tilburg, tilburgGateway);
  await worker(rebinding).settle();
  expect((await deliveriesOf(viewers.tilburg, rebound)).deliveries[0].error).toMatch(/^refused: hooks.example.org resolves to 10.0.0.1, a private address/);
  await clean();
  await change(viewers.tilburg, tilburgGateway);
  const { id: again } = await register(viewers.tilburg, redirecting.url, { componentIds: [tilburgGateway] });
  await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
  const [delivery] = (await deliveriesOf(viewers.tilburg, again)).deliveries;
  expect(delivery).toMatchObject({ state: 'PENDING', statusCode: 302, error: 'redirect to http://127.0.0.1:1/elsewhere not followed' });
  expect(redirected).toBeDefined();
  await clean();
  await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
});

test('a worker that stops, or dies mid-attempt, loses nothing: the next one delivers from the rows', async () => {
  await clean();
  const hook = await receiver();
  const { id, secret } = await register(viewers.tilburg, hook.url, { componentIds: [tilburgGateway] });
  const reported = [await change(viewers.tilburg, tilburgGateway), await change(viewers.tilburg, tilburgGateway)];
  // One worker fans out and claims the first delivery, then dies before sending it.
  expect(await fanOutOnce(db.dataSource.manager, clock(), log)).toBeGreaterThan(0);
  const [claimed] = await webhookRepository.claimDue(db.dataSource.manager, clock(), new Date(clock().getTime() + 40_000), 10);
  expect(claimed.endpointId).toBe(uuidOf(id));
  // A worker started and stopped before anything fell due.
  const stopped = worker();
  stopped.start();
  await stopped.stop();
  // The next worker: the claimed delivery is leased, and the one behind it waits for it.
  const next = worker();
  await next.settle();
  expect(hook.received).toHaveLength(0);
  skipped += 41_000;
  await next.settle();
  const entries = await deliveriesOf(viewers.tilburg, id);
  expect(entries.deliveries.map((d) => d.state)).toEqual(['DELIVERED', 'DELIVERED']);
  const verifier = new Webhook(secret);
  const statuses = hook.received.map((m) => (verifier.verify(m.body, m.headers as Record<string, string>) as any).data.status);
  expect(statuses).toEqual(reported);
});

test('a change whose wake comes while the worker is setting its timer is delivered now, not after the idle check', async () => {
  await clean();
  const hook = await receiver();
  await register(viewers.tilburg, hook.url, { componentIds: [tilburgGateway] });
  const running = worker();
  // The change commits, and the event bus wakes the worker, just as its last pass looks up when
  // the next retry falls due (the moment the whole run's webhook benchmark lost flips in).
  const nextDue = webhookRepository.nextDue.bind(webhookRepository);
  let changed: Promise<string> | null = null;
  const spy = jest.spyOn(webhookRepository, 'nextDue').mockImplementation(async (manager) => {
    if (!changed) {
      changed = change(viewers.tilburg, tilburgGateway);
      await changed;
      running.wake();
    }
    return nextDue(manager);
  });
  try {
    running.start();
    const deadline = Date.now() + 5_000;
    while (hook.received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(hook.received.map((m) => JSON.parse(m.body).data.status)).toEqual([await changed!]);
  } finally {
    spy.mockRestore();
    await running.stop();
  }
});

test('with no enabled endpoint the fan-out reads no events and moves to the newest; an endpoint registered then receives what follows', async () => {
  await clean();
  await change(viewers.tilburg, tilburgGateway);
  await change(viewers.tilburg, tilburgGateway);
  expect(await fanOutOnce(db.dataSource.manager, clock(), log)).toBe(0);
  expect(await webhookRepository.lockFanout(db.dataSource.manager)).toBe(await newestChangeEventSeq(db.dataSource.manager));
  const hook = await receiver();
  await register(viewers.tilburg, hook.url, { componentIds: [tilburgGateway] });
  const reported = await change(viewers.tilburg, tilburgGateway);
  await worker().settle();
  expect(hook.received.map((m) => JSON.parse(m.body).data.status)).toEqual([reported]);
});

test('endpoints are their organisation’s: updating, rotating, disabling, deleting, reading the log', async () => {
  await clean();
  const hook = await receiver();
  const { id, secret } = await register(viewers.tilburg, hook.url);
  for (const mutation of ['rotateWebhookSecret(input: { id: $id }) { secret }', 'disableWebhookEndpoint(input: { id: $id }) { webhookEndpoint { id } }',
    'deleteWebhookEndpoint(input: { id: $id }) { deletedId }', 'updateWebhookEndpoint(input: { id: $id, description: "x" }) { webhookEndpoint { id } }']) {
    const result = await api.query(`mutation($id: ID!) { ${mutation} }`, { id }, viewers.hltsamen);
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
  expect((await api.data(`{ webhookEndpoints { totalCount } }`, {}, viewers.hltsamen)).webhookEndpoints.totalCount).toBe(0);
  const publicResult = await api.query(`{ webhookEndpoints { totalCount } }`, {}, { kind: 'public' });
  expect(publicResult.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  const rotated = await api.data(`mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret } }`, { id }, viewers.tilburg);
  expect(rotated.rotateWebhookSecret.secret).not.toBe(secret);
  const updated = await api.data(`mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, filter: { kinds: [INCIDENT_UPDATED], municipalityCbsCodes: ["GM0855"] } }) {
    webhookEndpoint { filter { kinds municipalities { cbsCode } } } } }`, { id }, viewers.tilburg);
  expect(updated.updateWebhookEndpoint.webhookEndpoint.filter).toEqual({ kinds: ['INCIDENT_UPDATED'], municipalities: [{ cbsCode: 'GM0855' }] });
  const bad = await api.query(`mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, filter: { municipalityCbsCodes: ["GM9999"] } }) { webhookEndpoint { id } } }`, { id }, viewers.tilburg);
  expect(bad.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  const deleted = await api.data(`mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedId } }`, { id }, viewers.tilburg);
  expect(deleted.deleteWebhookEndpoint.deletedId).toBe(id);
  expect((await api.data(`{ webhookEndpoints { totalCount } }`, {}, viewers.tilburg)).webhookEndpoints.totalCount).toBe(0);
});

test('N+1 guard: the endpoint list with filters and delivery logs costs the same for 3 endpoints as for 30', async () => {
  await clean();
  const query = `{ webhookEndpoints(first: 50) { totalCount edges { node { url organisation { name } filter { kinds components { name } municipalities { cbsCode } }
    deliveries(first: 5) { totalCount edges { node { state attempts redeliveryOf { id } } } } } } } }`;
  const count = async () => {
    db.queries.reset();
    const result = await api.query(query, {}, viewers.tilburg);
    expect(result.errors).toBeUndefined();
    return { statements: db.queries.count, endpoints: result.data!.webhookEndpoints.totalCount };
  };
  const hook = await receiver();
  const grow = async (n: number) => {
    for (let i = 0; i < n; i++) await register(viewers.tilburg, `${hook.url}/${i}`, { componentIds: [tilburgGateway], municipalityCbsCodes: ['GM0855'] });
    await change(viewers.tilburg, tilburgGateway);
    await worker().settle();
  };
  await grow(3);
  const small = await count();
  await grow(27);
  const large = await count();
  expect([small.endpoints, large.endpoints]).toEqual([3, 30]);
  expect(large.statements).toBeLessThanOrEqual(small.statements + 2);
  await clean();
});
