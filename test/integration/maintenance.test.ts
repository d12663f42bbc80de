import type { Viewer } from '../../src/modules/access';
import { recordTimeTaken } from '../../src/modules/maintenance';
import { takeInTime } from '../../src/modules/picture';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * Scheduled maintenance (issue 17): announced ahead, taken into the picture by its clock when it
 * begins and ends, edited without moving the past. Time is driven as the picture tests drive it:
 * takeInTime with a chosen moment, recorded as the server's clock records it.
 */
let db: TestDatabase;
let api: TestApi;
let make: ReturnType<typeof factories>;
let operator: Viewer & { kind: 'organisation' };
let other: Viewer & { kind: 'organisation' };
let municipalityViewer: Viewer;
let municipalityId: string;

const gid = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');
const sql = (text: string, params: unknown[] = []) => db.dataSource.query(text, params);

const SCHEDULE = `mutation($input: ScheduleMaintenanceInput!) { scheduleMaintenance(input: $input) {
  maintenanceWindow { id title publicText startsAt endsAt state revision components { id } } } }`;
const UPDATE = `mutation($input: UpdateMaintenanceInput!) { updateMaintenance(input: $input) { maintenanceWindow { id startsAt endsAt revision state } } }`;
const CANCEL = `mutation($input: CancelMaintenanceInput!) { cancelMaintenance(input: $input) { maintenanceWindow { id endsAt cancelledAt state } } }`;
const STATUS = `query($id: ID!, $asOf: DateTime) { component(id: $id) { effectiveStatus(asOf: $asOf) { status cause } } }`;

beforeAll(async () => {
  db = await openTestDatabase();
  api = await new TestApi(db.dataSource).start();
  make = factories(db.dataSource.manager);
  const org = await make.organisation('SHARED_SERVICE_ORGANISATION');
  const otherOrg = await make.organisation('VENDOR');
  const municipality = await make.organisation('MUNICIPALITY');
  municipalityId = municipality.id;
  operator = { kind: 'organisation', organisationId: org.id, role: 'OPERATOR', tokenId: 'op' };
  other = { kind: 'organisation', organisationId: otherOrg.id, role: 'VENDOR', tokenId: 'other' };
  municipalityViewer = { kind: 'organisation', organisationId: municipality.id, role: 'MUNICIPALITY', tokenId: 'm' };
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await db?.close();
});

/** A gateway of the operator with a service on it, both OPERATIONAL a minute ago. */
async function gatewayWithService() {
  const gateway = await make.component(operator.organisationId, 'GATEWAY');
  const service = await make.service(operator.organisationId, [municipalityId]);
  await make.dependency(service.id, gateway.id, 'REQUIRED', null, new Date(Date.now() - 120_000));
  await make.report(gateway.id, operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 60_000));
  await make.report(service.id, operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 60_000));
  return { gateway, service, gatewayId: gid('Component', gateway.id), serviceId: gid('Component', service.id) };
}

const statusOf = async (id: string, asOf?: Date) => (await api.data(STATUS, { id, asOf: asOf?.toISOString() })).component.effectiveStatus;
const live = async (uuid: string) => (await sql(`SELECT status, cause FROM live_status WHERE component_id = $1`, [uuid]))[0];
const maintenanceEvents = async (windowGlobalId: string) => {
  const uuid = Buffer.from(windowGlobalId, 'base64url').toString().split(':')[1];
  return (await sql(`SELECT maintenance_action FROM change_event WHERE maintenance_id = $1 ORDER BY (SELECT position_end FROM change_write w WHERE w.id = write_id), n`, [uuid])).map((r: { maintenance_action: string }) => r.maintenance_action);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('scheduled ahead: the picture does not change; the clock takes start and end in without a request; asOf answers see it ahead', async () => {
  const { gateway, service, gatewayId, serviceId } = await gatewayWithService();
  const now = Date.now();
  const startsAt = new Date(now + 60_000);
  const endsAt = new Date(now + 120_000);
  const { scheduleMaintenance } = await api.data(SCHEDULE, { input: { componentIds: [gatewayId], title: 'Patch CVE-2019-19781', publicText: 'Inloggen kan even niet', startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString() } }, operator);
  expect(scheduleMaintenance.maintenanceWindow).toMatchObject({ state: 'SCHEDULED', revision: 1, components: [{ id: gatewayId }] });
  expect(await live(gateway.id)).toEqual({ status: 'OPERATIONAL', cause: null });
  expect(await live(service.id)).toEqual({ status: 'OPERATIONAL', cause: null });
  // A question about a moment in the window, asked before it begins, includes it.
  const during = new Date(now + 90_000);
  expect(await statusOf(serviceId, during)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'DEPENDENCY' });
  // A what-if of that moment too: a second gateway the service needs only optionally fails; the window makes it worse.
  const spare = await make.component(operator.organisationId, 'GATEWAY');
  await make.dependency(service.id, spare.id, 'OPTIONAL', null, new Date(now - 120_000));
  await make.report(spare.id, operator.organisationId, 'OPERATIONAL', new Date(now - 60_000));
  const IMPACT = `query($id: ID!, $asOf: DateTime) { impact(componentId: $id, status: MAJOR_OUTAGE, asOf: $asOf) { affected { service { id } status } } }`;
  const statusIn = (answer: { impact: { affected: { service: { id: string }; status: string }[] } }) => answer.impact.affected.find((a) => a.service.id === serviceId)?.status;
  expect(statusIn(await api.data(IMPACT, { id: gid('Component', spare.id) }))).toBe('DEGRADED_PERFORMANCE');
  expect(statusIn(await api.data(IMPACT, { id: gid('Component', spare.id), asOf: during.toISOString() }))).toBe('UNDER_MAINTENANCE');
  const { component } = await api.data(`query($id: ID!) { component(id: $id) { maintenance { id title } } }`, { id: gatewayId }, operator);
  expect(component.maintenance).toEqual([{ id: scheduleMaintenance.maintenanceWindow.id, title: 'Patch CVE-2019-19781' }]);

  await takeInTime(db.dataSource, during, recordTimeTaken);
  expect(await live(gateway.id)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'MAINTENANCE' });
  expect(await live(service.id)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'DEPENDENCY' });
  await takeInTime(db.dataSource, new Date(now + 150_000), recordTimeTaken);
  expect(await live(gateway.id)).toEqual({ status: 'OPERATIONAL', cause: null });
  expect(await live(service.id)).toEqual({ status: 'OPERATIONAL', cause: null });
  expect(await maintenanceEvents(scheduleMaintenance.maintenanceWindow.id)).toEqual(['SCHEDULED', 'STARTED', 'ENDED']);
});

test('a running window is shortened and extended but never moved into the past; cancelled, it ends now and the past keeps it', async () => {
  const { gateway, gatewayId, serviceId } = await gatewayWithService();
  const { scheduleMaintenance } = await api.data(SCHEDULE, { input: { componentIds: [gatewayId], title: 'Now', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 600_000).toISOString() } }, operator);
  const window = scheduleMaintenance.maintenanceWindow;
  expect(window.state).toBe('IN_PROGRESS');
  expect(await live(gateway.id)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'MAINTENANCE' });
  await sleep(50);
  const inside = new Date(Date.now() - 10);
  const before = await statusOf(serviceId, inside);
  expect(before).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'DEPENDENCY' });

  const moved = await api.query(UPDATE, { input: { maintenanceId: window.id, revision: 1, startsAt: new Date(Date.now() + 60_000).toISOString() } }, operator);
  expect(moved.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'startsAt' });
  const intoPast = await api.query(UPDATE, { input: { maintenanceId: window.id, revision: 1, endsAt: new Date(Date.now() - 3_600_000).toISOString() } }, operator);
  expect(intoPast.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endsAt' });
  const shortened = await api.data(UPDATE, { input: { maintenanceId: window.id, revision: 1, endsAt: new Date(Date.now() + 300_000).toISOString() } }, operator);
  expect(shortened.updateMaintenance.maintenanceWindow.revision).toBe(2);
  const stale = await api.query(UPDATE, { input: { maintenanceId: window.id, revision: 1, title: 'x' } }, operator);
  expect(stale.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'revision' });
  const extended = await api.data(UPDATE, { input: { maintenanceId: window.id, revision: 2, endsAt: new Date(Date.now() + 900_000).toISOString() } }, operator);
  expect(extended.updateMaintenance.maintenanceWindow).toMatchObject({ revision: 3, state: 'IN_PROGRESS' });
  expect(await statusOf(serviceId, inside)).toEqual(before);

  const { cancelMaintenance } = await api.data(CANCEL, { input: { maintenanceId: window.id } }, operator);
  expect(cancelMaintenance.maintenanceWindow.state).toBe('CANCELLED');
  expect(await live(gateway.id)).toEqual({ status: 'OPERATIONAL', cause: null });
  expect(await statusOf(serviceId, inside)).toEqual(before);
  expect(await maintenanceEvents(window.id)).toEqual(['SCHEDULED', 'UPDATED', 'UPDATED', 'CANCELLED']);
  const again = await api.query(CANCEL, { input: { maintenanceId: window.id } }, operator);
  expect(again.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
});

test('cancelled before it began, a window never counted', async () => {
  const { gatewayId, serviceId } = await gatewayWithService();
  const startsAt = new Date(Date.now() + 3_600_000);
  const { scheduleMaintenance } = await api.data(SCHEDULE, { input: { componentIds: [gatewayId], title: 'Later', startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString() } }, operator);
  const during = new Date(startsAt.getTime() + 60_000);
  expect((await statusOf(serviceId, during)).status).toBe('UNDER_MAINTENANCE');
  await api.data(CANCEL, { input: { maintenanceId: scheduleMaintenance.maintenanceWindow.id, revision: 1 } }, operator);
  expect((await statusOf(serviceId, during)).status).toBe('OPERATIONAL');
  const { maintenance } = await api.data(`{ maintenance(includeCancelled: false) { edges { node { id } } } }`, {}, operator);
  expect(maintenance.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(scheduleMaintenance.maintenanceWindow.id);
});

test("a worse own report wins over maintenance; someone else's component, a past start and a municipality are refused, writing nothing", async () => {
  const { gateway, gatewayId } = await gatewayWithService();
  await make.report(gateway.id, operator.organisationId, 'MAJOR_OUTAGE', new Date(Date.now() - 1000), 'COMPROMISE');
  await api.data(SCHEDULE, { input: { componentIds: [gatewayId], title: 'During outage', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 600_000).toISOString() } }, operator);
  expect(await live(gateway.id)).toEqual({ status: 'MAJOR_OUTAGE', cause: 'COMPROMISE' });

  const windows = async () => (await sql(`SELECT count(*)::int AS n FROM maintenance_window`))[0].n;
  const count = await windows();
  const input = { componentIds: [gatewayId], title: 'x', startsAt: new Date(Date.now() + 60_000).toISOString(), endsAt: new Date(Date.now() + 120_000).toISOString() };
  expect((await api.query(SCHEDULE, { input }, other)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await api.query(SCHEDULE, { input }, municipalityViewer)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const past = await api.query(SCHEDULE, { input: { ...input, startsAt: new Date(Date.now() - 3_600_000).toISOString() } }, operator);
  expect(past.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'startsAt' });
  const backwards = await api.query(SCHEDULE, { input: { ...input, endsAt: input.startsAt } }, operator);
  expect(backwards.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endsAt' });
  expect(await windows()).toBe(count);
});
