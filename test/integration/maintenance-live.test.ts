import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { createLog } from '../../src/log';
import { issueToken, Role } from '../../src/modules/access';
import { recordTimeTaken } from '../../src/modules/maintenance';
import { takeInTime } from '../../src/modules/picture';
import { RunningServer, startHttpServer } from '../../src/server';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { liveClient, LiveSubscription, waitUntil } from '../helpers/live';

/**
 * Announced maintenance in subscriptions (issue 17): `maintenanceChanged` over graphql-ws, real HTTP
 * writes, the picture's clock driven by takeInTime as the server's clock drives it. On a PostgreSQL
 * server the writes go through instance A and the subscribers listen on B (LISTEN/NOTIFY between
 * them); on the embedded engine one instance does both.
 */
const ON_SERVER = Boolean(process.env.DATABASE_URL);
const log = createLog('silent');
let db: TestDatabase;
let writer: RunningServer;
let reader: RunningServer;
let readerDataSource: DataSource | null = null;

const tokens: Record<'hltsamen' | 'hillegom' | 'tilburg' | 'centric', string> = {} as never;
let hltGateway: string;
let tilburgGateway: string;

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

const MUNICIPALITY = `
  subscription($cbs: String, $since: String) {
    maintenanceChanged(municipalityCbsCode: $cbs, since: $since) {
      cursor action occurredAt
      window { id title state components { name } }
      notice { title publicText startsAt endsAt services { name } }
    }
  }`;
/** The public form: `window` is not among the fields the public may ask for (access/public-reads.ts). */
const PUBLIC = MUNICIPALITY.replace(' window { id title state components { name } }', '');
const BY_COMPONENT = `subscription($id: ID) { maintenanceChanged(componentId: $id) { cursor action window { id } notice { title } } }`;
const WHOLE_PICTURE = `subscription($since: String) { maintenanceChanged(since: $since) { cursor action window { id title } } }`;

const SCHEDULE = `mutation($input: ScheduleMaintenanceInput!) { scheduleMaintenance(input: $input) { maintenanceWindow { id revision } } }`;
const UPDATE = `mutation($input: UpdateMaintenanceInput!) { updateMaintenance(input: $input) { maintenanceWindow { id revision } } }`;
const CANCEL = `mutation($input: CancelMaintenanceInput!) { cancelMaintenance(input: $input) { maintenanceWindow { id revision } } }`;

function config() {
  return loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', WEBHOOK_WORKER: 'off',
    ...(ON_SERVER ? { DATABASE_URL: db.url } : {}),
  });
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  const one = async (sql: string, parameters: unknown[]) => ((await db.dataSource.query(sql, parameters)) as { id: string }[])[0].id;
  const organisation = (name: string) => one(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]);
  const issue = async (organisationId: string, role: Role) =>
    (await db.dataSource.transaction((tx) => issueToken(tx, { organisationId, role, expiresInDays: 1, label: 'maintenance-live test', issuedByTokenId: null }))).secret;
  tokens.hltsamen = await issue(await organisation('HLTsamen'), 'OPERATOR');
  tokens.hillegom = await issue(await organisation('Hillegom'), 'MUNICIPALITY');
  tokens.tilburg = await issue(await organisation('Tilburg'), 'OPERATOR');
  tokens.centric = await issue(await organisation('Centric'), 'VENDOR');
  hltGateway = globalId('Component', await one(`SELECT id FROM component WHERE name = $1`, ['HLTsamen Citrix Gateway']));
  tilburgGateway = globalId('Component', await one(`SELECT id FROM component WHERE name = $1`, ['Tilburg Citrix ADC']));

  writer = await startHttpServer(config(), db.dataSource, log);
  if (ON_SERVER) {
    readerDataSource = createDataSource({ url: db.url, poolSize: 5 });
    await readerDataSource.initialize();
    reader = await startHttpServer(config(), readerDataSource, log);
  } else {
    reader = writer;
  }
});

afterAll(async () => {
  if (reader !== writer) await reader?.stop();
  await writer?.stop();
  await readerDataSource?.destroy();
  await db?.close();
});

const clients: ReturnType<typeof liveClient>[] = [];
function client(token?: string) {
  const opened = liveClient(reader.url, token);
  clients.push(opened);
  return opened;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((opened) => opened.dispose()));
  await waitUntil(() => reader.events.listenerCount === 0, 2000, 'subscriptions to end');
});

async function post(token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(writer.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Both instances have fetched every stored event. */
async function settled(): Promise<void> {
  const [{ seq }] = await db.dataSource.query(`SELECT coalesce(max(position_end), 0)::int AS seq FROM change_write`);
  await waitUntil(() => writer.events.position >= seq && reader.events.position >= seq, 3000, `event ${seq} to reach every instance`);
}

async function listening(count: number): Promise<void> {
  await waitUntil(() => reader.events.listenerCount >= count, 10_000, `${count} subscriptions`);
}

/** Reads `n` results of a subscription, failing on errors. */
async function take(subscription: LiveSubscription, n: number): Promise<any[]> {
  const taken = [];
  for (let i = 0; i < n; i += 1) taken.push(await subscription.nextData('maintenanceChanged', 3000));
  return taken;
}

/**
 * The picture's clock is driven forward in this file (takeInTime), so every window lies after the
 * moments taken in before it: `base` moves on with each test.
 */
let base = Date.now() + 3_600_000;
function nextSlot() {
  base += 3_600_000;
  return { startsAt: new Date(base), endsAt: new Date(base + 600_000), during: new Date(base + 60_000), after: new Date(base + 900_000) };
}

test('a municipality hears SCHEDULED, UPDATED, STARTED, ENDED and CANCELLED of the windows its services stand on; the public only the notice; another municipality nothing', async () => {
  const hillegom = new LiveSubscription(client(tokens.hillegom), MUNICIPALITY, { cbs: 'GM0534' });
  const lisse = new LiveSubscription(client(), PUBLIC, { cbs: 'GM0553' });
  const tilburg = new LiveSubscription(client(), PUBLIC, { cbs: 'GM0855' });
  const operator = new LiveSubscription(client(tokens.hltsamen), WHOLE_PICTURE);
  const gateway = new LiveSubscription(client(tokens.hltsamen), BY_COMPONENT, { id: hltGateway });
  const centric = new LiveSubscription(client(tokens.centric), WHOLE_PICTURE);
  await listening(6);

  const slot = nextSlot();
  const { scheduleMaintenance } = await post(tokens.hltsamen, SCHEDULE, { input: {
    componentIds: [hltGateway], title: 'Patch the gateway', publicText: 'Thuiswerken kan even niet.',
    startsAt: slot.startsAt.toISOString(), endsAt: slot.endsAt.toISOString(),
  } });
  const windowId = scheduleMaintenance.maintenanceWindow.id;
  await post(tokens.hltsamen, UPDATE, { input: { maintenanceId: windowId, revision: 1, title: 'Patch the gateway (CVE-2019-19781)' } });
  await takeInTime(db.dataSource, slot.during, recordTimeTaken);
  await takeInTime(db.dataSource, slot.after, recordTimeTaken);

  const second = nextSlot();
  const { scheduleMaintenance: cancelled } = await post(tokens.hltsamen, SCHEDULE, { input: {
    componentIds: [hltGateway], title: 'Second patch', startsAt: second.startsAt.toISOString(), endsAt: second.endsAt.toISOString(),
  } });
  await post(tokens.hltsamen, CANCEL, { input: { maintenanceId: cancelled.maintenanceWindow.id } });
  await settled();

  const actions = ['SCHEDULED', 'UPDATED', 'STARTED', 'ENDED', 'SCHEDULED', 'CANCELLED'];
  const heard = await take(hillegom, 6);
  expect(heard.map((c) => c.action)).toEqual(actions);
  // The window as it is when the change is delivered, for a municipality that may read it (its picture holds the gateway).
  expect(heard[0].window).toMatchObject({ id: windowId, title: 'Patch the gateway', state: 'SCHEDULED', components: [{ name: 'HLTsamen Citrix Gateway' }] });
  expect(heard[0].notice).toMatchObject({ title: 'Patch the gateway', publicText: 'Thuiswerken kan even niet.', startsAt: slot.startsAt.toISOString() });
  expect(heard[1]).toMatchObject({ window: { title: 'Patch the gateway (CVE-2019-19781)' }, notice: { title: 'Patch the gateway (CVE-2019-19781)' } });
  expect(heard[0].notice.services.map((s: { name: string }) => s.name)).toContain('Remote work');
  expect(heard[5]).toMatchObject({ action: 'CANCELLED', window: { id: cancelled.maintenanceWindow.id, title: 'Second patch', state: 'CANCELLED' } });
  // Cursors grow: they are positions in the change stream.
  const positions = heard.map((c) => c.cursor);
  expect(new Set(positions).size).toBe(6);

  const publicly = await take(lisse, 6);
  expect(publicly.map((c) => c.action)).toEqual(actions);
  expect(publicly[2]).toMatchObject({ action: 'STARTED', notice: { title: 'Patch the gateway (CVE-2019-19781)' } });
  expect(publicly[2].window).toBeUndefined();

  expect((await take(operator, 6)).map((c) => c.action)).toEqual(actions);
  expect((await take(gateway, 6)).map((c) => [c.action, c.notice])).toEqual(actions.map((a) => [a, null]));

  // Tilburg's services do not stand on HLTsamen's gateway; Centric may not read HLTsamen's gateway.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(tilburg.results).toEqual([]);
  expect(centric.results).toEqual([]);
});

test('since: a subscriber that comes back receives what it missed, in order, once, then live changes', async () => {
  const first = new LiveSubscription(client(tokens.hillegom), MUNICIPALITY, { cbs: 'GM0534' });
  await listening(1);
  const slot = nextSlot();
  const { scheduleMaintenance } = await post(tokens.hltsamen, SCHEDULE, { input: {
    componentIds: [hltGateway], title: 'Resume me', startsAt: slot.startsAt.toISOString(), endsAt: slot.endsAt.toISOString(),
  } });
  const windowId = scheduleMaintenance.maintenanceWindow.id;
  const [scheduled] = await take(first, 1);
  expect(scheduled.action).toBe('SCHEDULED');
  first.close();
  await waitUntil(() => reader.events.listenerCount === 0, 2000, 'the first subscription to end');

  // Missed while away: an update, an unrelated window elsewhere (Tilburg's), the start and the end.
  await post(tokens.hltsamen, UPDATE, { input: { maintenanceId: windowId, revision: 1, title: 'Resumed' } });
  await post(tokens.tilburg, SCHEDULE, { input: {
    componentIds: [tilburgGateway], title: 'Tilburg only', startsAt: slot.startsAt.toISOString(), endsAt: slot.endsAt.toISOString(),
  } });
  await takeInTime(db.dataSource, slot.during, recordTimeTaken);
  await takeInTime(db.dataSource, slot.after, recordTimeTaken);
  await settled();

  const again = new LiveSubscription(client(tokens.hillegom), MUNICIPALITY, { cbs: 'GM0534', since: scheduled.cursor });
  const missed = await take(again, 3);
  expect(missed.map((c) => [c.action, c.window.id])).toEqual([['UPDATED', windowId], ['STARTED', windowId], ['ENDED', windowId]]);

  // Then live, none twice.
  const later = nextSlot();
  await post(tokens.hltsamen, SCHEDULE, { input: {
    componentIds: [hltGateway], title: 'Live again', startsAt: later.startsAt.toISOString(), endsAt: later.endsAt.toISOString(),
  } });
  expect(await take(again, 1)).toMatchObject([{ action: 'SCHEDULED', window: { title: 'Live again' } }]);
  await settled();
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(again.unread).toBe(0);

  // A coordinator-less whole picture resumes the same way (the operator's own windows, Tilburg's not).
  const operator = new LiveSubscription(client(tokens.hltsamen), WHOLE_PICTURE, { since: scheduled.cursor });
  expect((await take(operator, 4)).map((c) => c.action)).toEqual(['UPDATED', 'STARTED', 'ENDED', 'SCHEDULED']);
});

/** The error a subscription was refused with: its code. */
async function refusedWith(subscription: LiveSubscription): Promise<unknown> {
  await subscription.ended(3000);
  const errors = (subscription.results[0]?.errors ?? subscription.failure) as { extensions?: { code?: string } }[];
  return errors?.[0]?.extensions?.code;
}

test('who may follow what: the public a municipality (not the window), a component needs a token whose picture holds it', async () => {
  const publicWindow = new LiveSubscription(client(), MUNICIPALITY, { cbs: 'GM0534' });
  expect(await refusedWith(publicWindow)).toBe('UNAUTHENTICATED');

  const publicWhole = new LiveSubscription(client(), WHOLE_PICTURE);
  expect(await refusedWith(publicWhole)).toBe('UNAUTHENTICATED');

  const foreignComponent = new LiveSubscription(client(tokens.centric), BY_COMPONENT, { id: hltGateway });
  expect(await refusedWith(foreignComponent)).toBe('FORBIDDEN');

  const unknown = new LiveSubscription(client(), PUBLIC, { cbs: 'GM9999' });
  expect(await refusedWith(unknown)).toBe('NOT_FOUND');
});
